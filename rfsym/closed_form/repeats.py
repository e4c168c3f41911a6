"""Repeated blocks with a symbolic number of copies: sums and products over the copies.

``Repeat(block, times=L)`` composes L copies of the block's map: with the
copies' jump prefix products ``J_{i-1}`` the stack has

    m = prod_{i<=L} m_i,   a = sum_{i<=L} a_i J_{i-1},   (b, c likewise),
    g = sum_{i<=L} g_i D_{i-1}

which sympy evaluates as geometric sums (with the ``s = 1`` branch) when the
block's parameters do not depend on the copy; indexed parameters (``k[l]``)
stay as ``Sum``/``Product``.  The results are tidied with
:func:`rfsym.simplify`'s rules.
"""

from __future__ import annotations

from typing import Any

import sympy

from .. import _arith as A
from .. import simplification as S
from ..errors import RfsymError
from ..maps import AffineMap, int_ceiling, int_floor, same

__all__ = ["repeat_map", "tidy"]


def repeat_map(rep: Any, block: AffineMap) -> AffineMap:
    """Closed form of ``Repeat(block, times=L)`` for a symbolic L: sums and products over the copies.

    ``block`` is the composed map of one copy, in which ``rep.index`` (if any)
    is still free.
    """
    L = A.to_sympy(rep.times)
    if rep.index is not None:
        idx_name = rep.index.name
        i = sympy.Symbol(idx_name, integer=True, positive=True)
    else:
        idx_name = None
        i = sympy.Dummy("i", integer=True, positive=True)  # never a user's symbol (a kernel named i)
    t = sympy.Dummy("i", integer=True, positive=True)

    def at(e: Any, v: Any) -> Any:
        e = A.to_sympy(e)
        if idx_name is None:
            return e
        syms = {s: v for s in e.free_symbols if getattr(s, "name", None) == idx_name}
        return e.xreplace(syms) if syms else e

    if block.xdep or not block.folds:
        raise RfsymError(
            f"{rep.label()}: the block's output size is not a single floor of its input "
            "(n-dependent 'same' padding or ceil_mode); no closed form in a symbolic number of copies "
            "(give times a number)"
        )

    def prod(e: Any, upper: Any) -> Any:
        return _doit(sympy.Product(at(e, t), (t, 1, upper)))

    jm_prev = prod(block.m, i - 1)
    dn_prev = prod(block.den, i - 1)

    def total(e: Any, pre: Any) -> Any:
        return A.norm(tidy(_doit(sympy.Sum(at(e, i) * pre, (i, 1, L)))))

    m = A.norm(tidy(prod(block.m, L)))
    den = A.norm(tidy(prod(block.den, L)))
    std = block.pad is not None and same(block.m, block.den)
    return AffineMap(
        m=m,
        a=total(block.a, jm_prev),
        b=total(block.b, jm_prev),
        c=total(block.c, jm_prev),
        g=total(block.g, dn_prev),  # e = -1 + Σ_i D_{i-1} (1 + e_i)
        den=den,
        count=block.count,
        nsym=0 if A.is_num(m) else 1,
        pad_=(lambda: total(block.pad, jm_prev)) if std else None,
        centred=block.centred,
    )


def _shortest(expr: Any) -> Any:
    """expr, or its expansion inside each floor and at the top when that is shorter (terms that cancel)."""

    if not isinstance(expr, sympy.Basic) or expr.is_Atom or expr.has(sympy.Sum, sympy.Product):
        return expr
    ops = sympy.count_ops(expr)
    if ops > 400:
        return expr

    def expand_floor(f: Any) -> Any:
        e = sympy.expand(f.args[0])
        if sympy.count_ops(e) >= sympy.count_ops(f.args[0]):
            return f
        return A.to_sympy(int_floor(e) if isinstance(f, sympy.floor) else int_ceiling(e))

    best = expr.replace(lambda e: isinstance(e, (sympy.floor, sympy.ceiling)), expand_floor)
    flat = sympy.expand(best) if not best.has(sympy.floor, sympy.ceiling, sympy.Piecewise) else best
    for cand in (best, flat):
        if sympy.count_ops(cand) < ops:
            expr, ops = cand, sympy.count_ops(cand)
    return expr


def _doit(expr: Any) -> Any:
    """Evaluate sums/products sympy can do; keep the rest unevaluated (indexed symbols)."""

    if expr.has(sympy.Indexed):
        # sympy cannot evaluate sums over indexed symbols; products of constant factors still simplify
        return expr
    return expr.doit()


def tidy(expr: Any, domains: dict[str, Any] | None = None) -> Any:
    """Piecewise folded to the top and its branches simplified (rfsym.simplify rules)."""

    if A.is_num(expr):
        return expr
    expr = A.to_sympy(expr)
    if not isinstance(expr, sympy.Basic):
        return expr
    try:
        if expr.has(sympy.Piecewise) and all(
            isinstance(c, (sympy.Eq, sympy.Ne)) or c is sympy.true
            for pw in expr.atoms(sympy.Piecewise)
            for _, c in pw.args
        ):
            expr = sympy.piecewise_fold(expr)  # case splits of geometric sums (s = 1), not ceil_mode's
        expr = S.simplify(expr, domains=domains)
        return _shortest(expr)
    except (ArithmeticError, ValueError, TypeError):  # sympy gave up (e.g. PrecisionExhausted): keep the form
        return expr
