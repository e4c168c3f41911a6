"""Printing hooks for the core classes, installed when rfsym is imported -- without importing sympy.

``sympy.latex(obj)`` asks an object for ``_latex(printer)``, and Jupyter asks a
table for ``_repr_html_()``.  The hooks here import :mod:`rfsym.printing.latex`
or :mod:`rfsym.printing.table` only when they are called, so ``import rfsym``
stays light.  Classes that define these methods themselves keep them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["install_core"]


def latex_hook(self: Any, printer: Any, **kwargs: Any) -> str:
    """``_latex`` for rfsym objects: print with rfsym's LaTeX printer (settings carried over from ``printer``)."""
    from .latex import _latex_method

    return _latex_method(self, printer, **kwargs)


def repr_latex_hook(self: Any) -> str:
    """``_repr_latex_`` for Jupyter."""
    from .latex import repr_latex

    return repr_latex(self)


def table_html_hook(self: Any) -> str:
    """``Table._repr_html_`` for Jupyter."""
    from .table import table_html

    return table_html(self)


def install_core() -> None:
    from ..graph import Graph
    from ..layers import AxisState, Layer
    from ..network import Network, Row, Table

    for cls in (Layer, AxisState, Network, Row, Table, Graph):
        if "_latex" not in cls.__dict__:
            setattr(cls, "_latex", latex_hook)  # noqa: B010 - installed on several classes
    if "_repr_html_" not in Table.__dict__:
        Table._repr_html_ = table_html_hook  # type: ignore[attr-defined]


install_core()
