"""Display mixins: ``sympy.latex(obj)`` and Jupyter for rfsym objects, without importing sympy early.

``sympy.latex(obj)`` asks an object for ``_latex(printer)``; Jupyter asks for
``_repr_latex_()`` / ``_repr_html_()``.  These mixins import
:mod:`rfsym.printing.latex` only when called, so ``import rfsym`` stays light.
"""

from __future__ import annotations

from typing import Any

__all__ = ["JupyterLatex", "LatexPrintable"]


class LatexPrintable:
    """Mixin: ``sympy.latex(obj)`` prints with rfsym's printer (settings carried over)."""

    __slots__ = ()

    def _latex(self, printer: Any, **kwargs: Any) -> str:
        from .latex import _latex_method

        return _latex_method(self, printer, **kwargs)


class JupyterLatex(LatexPrintable):
    """Mixin: also ``_repr_latex_`` for Jupyter."""

    __slots__ = ()

    def _repr_latex_(self) -> str:
        from .latex import repr_latex

        return repr_latex(self)
