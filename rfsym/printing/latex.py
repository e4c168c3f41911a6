r"""LaTeX for rfsym objects, built on sympy's printing package.

:class:`RfsymLatexPrinter` subclasses sympy's ``LatexPrinter`` and adds
``_print_<Class>`` methods for layers, networks, tables, axis states, closed
forms and solution sets; the rfsym classes get a ``_latex`` method, so
``sympy.latex(net)`` works as well as :func:`latex`.

>>> from rfsym import Conv, Pool, Network
>>> latex(Conv(kernel=3, stride=2, padding=1))
'\\mathrm{conv}(k = 3,\\ s = 2,\\ p = 1)'
>>> latex(Network([Conv(kernel=3), Conv(kernel=3)], input=32), environment="inline")
'$n_{L} = 28,\\quad j_{L} = 1,\\quad r_{L} = 5,\\quad \\mathrm{start}_{L} = 2.5,\\quad P_{L} = 0$'

The printing package, by idea: :mod:`~rfsym.printing.printer` (the
``LatexPrinter`` subclass), :mod:`~rfsym.printing.settings`,
:mod:`~rfsym.printing.relations` (what objects print as),
:mod:`~rfsym.printing.environments`, :mod:`~rfsym.printing.derivation`,
:mod:`~rfsym.printing.table` (one renderer per table format),
:mod:`~rfsym.printing.tikz` and :mod:`~rfsym.printing.escape` (user strings).
This module holds the entry points: :func:`latex`, :func:`derivation`, and
the hooks behind ``sympy.latex(obj)`` and Jupyter (:mod:`rfsym._display`).

References: sympy's ``sympy/printing/latex.py`` (the printer extended here);
Araujo, Norris and Sim, *Computing Receptive Fields of Convolutional Neural
Networks*, Distill 2019 (effective padding ``P``).
"""

from __future__ import annotations

from typing import Any

from .. import _arith as A
from ..errors import RfsymError
from ..network import Table
from .derivation import derivation
from .environments import wrap
from .printer import RfsymLatexPrinter, printer_for
from .relations import relations_of
from .settings import QUANTITIES

__all__ = ["QUANTITIES", "RfsymLatexPrinter", "derivation", "latex", "latex_lines", "latex_method", "repr_latex"]


def latex(obj: Any, **settings: Any) -> str:
    r"""LaTeX of an rfsym object (layer, network, table, state, closed form, solutions) or a sympy expression.

    >>> import sympy
    >>> latex(sympy.floor((sympy.Symbol("n") + 3) / 2))
    '\\left\\lfloor \\frac{n + 3}{2} \\right\\rfloor'
    >>> latex(sympy.Symbol("n_in"))
    'n_{\\mathrm{in}}'
    """
    p = RfsymLatexPrinter(settings)
    if isinstance(obj, Table):
        return p._print_Table(obj)
    rels = relations_of(p, obj)
    if rels is not None:
        return wrap(p, rels)
    try:
        body = p._hprint_dispatch(obj) if _is_rfsym(obj) else p._hprint_expr(A.to_sympy(A.norm(obj)))
    except RecursionError:
        raise RfsymError(
            "expression too deeply nested to print; print a closed form instead (rfsym.closed_form)"
        ) from None
    return wrap(p, None, body)


def latex_lines(obj: Any, **settings: Any) -> list[str]:
    """The relations of ``obj`` as ``lhs &= rhs`` lines (what an ``align`` environment of :func:`latex` holds)."""
    p = RfsymLatexPrinter(settings)
    rels = relations_of(p, obj)
    if rels is None:
        raise RfsymError(f"a {type(obj).__name__} prints as one expression, not as relations")
    return [f"{lhs} &= {rhs}" for lhs, rhs, _ in rels]


def _is_rfsym(obj: Any) -> bool:
    return type(obj).__module__.startswith("rfsym.")


def latex_method(obj: Any, printer: Any, **kwargs: Any) -> str:
    """``obj._latex(printer)``: what ``sympy.latex(obj)`` prints (settings of a plain sympy printer carried over)."""
    p = printer_for(printer)
    if isinstance(obj, Table):
        return p._print_Table(obj)
    rels = relations_of(p, obj)
    if rels is not None and printer is not p:
        return p._hprint_relations([(lhs, rhs) for lhs, rhs, _ in rels])
    return p._hprint_dispatch(obj)


def repr_latex(obj: Any) -> str:
    """What Jupyter shows: ``$\\displaystyle …$`` or an ``aligned`` block for several relations."""
    p = RfsymLatexPrinter()
    rels = relations_of(p, obj)
    if rels is None:
        return r"$\displaystyle %s$" % p._hprint_dispatch(obj)
    lines = " \\\\ ".join(f"{lhs} &= {rhs}" for lhs, rhs, _ in rels)
    return r"$\begin{aligned}%s\end{aligned}$" % lines
