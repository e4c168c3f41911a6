"""Text and JSON of closed forms (long, nested stacks keep their term order).

LaTeX is not printed here: ``ClosedForms.to_latex`` and ``latex_lines`` go
through rfsym's one LaTeX printer (:mod:`rfsym.printing.printer`, whose
``long_forms`` setting prints long stacks as built) via :mod:`rfsym._display`.
"""

from __future__ import annotations

from typing import Any

from .. import _arith as A


def _subs_class() -> type:
    import sympy

    return sympy.Subs


def _json(v: Any, compact: bool = False) -> Any:
    v = A.norm(v)
    if A.is_num(v):
        return A.to_json(v)
    return _str(v, compact)


def _str(v: Any, compact: bool) -> str:
    """sympy syntax; long (nested) forms keep their term order, which is also much faster to print."""
    if compact:
        from sympy.printing.str import sstr

        return str(sstr(v, order="none"))
    return str(display(v))


def _fmt(v: Any, compact: bool = False) -> str:
    v = A.norm(v)
    return A.fmt(v) if A.is_num(v) else _str(v, compact)


def _axes_str(v: Any, axes: Any, compact: bool = False) -> str:
    if axes is None:
        return _fmt(v, compact)
    return "(" + ", ".join(_fmt(x, compact) for x in v) + ")"  # a tuple, as tables print it (docs/notation.md)


def display(expr: Any) -> Any:
    """expr for printing: ``floor(n/32 - 227/32)`` shown as ``floor((n - 227)/32)`` (same value, unevaluated)."""
    import sympy

    expr = A.to_sympy(expr)
    if not isinstance(expr, sympy.Basic) or not expr.has(sympy.floor, sympy.ceiling):
        return expr

    def one(f: Any) -> Any:
        u = f.args[0]
        if not u.is_Add:
            return f
        q = sympy.ilcm(*[sympy.fraction(t.as_coeff_Mul()[0])[1] for t in u.args])
        if q == 1:
            return f
        inner = sympy.expand(u * q)
        arg = sympy.Mul(inner, sympy.Pow(q, -1, evaluate=False), evaluate=False)
        return f.func(arg, evaluate=False)

    return expr.replace(lambda e: isinstance(e, (sympy.floor, sympy.ceiling)), one)
