"""Simplification rules for receptive-field closed forms, each with the condition it needs.

The public entry point is ``rfsym.simplify`` (this module is not named
``simplify`` so that the package attribute stays the function).

sympy's own ``simplify`` does not know the rules that receptive-field
arithmetic relies on (nested floors fold only for integers), and it cannot see
the domains declared in a spec (``k = { min = 1, odd = true }``).  The rules
here are applied bottom-up; each states when it holds and is only applied when
sympy's assumptions (or the declared domains, or an explicit assertion) prove
that condition.

======================  ===============================================  =========================================
rule                    rewrite                                          condition
======================  ===============================================  =========================================
``fold``                floor((floor(v) + c)/b) → floor((v + c)/b)       c integer, b positive integer, v real
``integer_floor``       floor(x) → x, ceiling(x) → x                     x integer (e.g. d(k-1)/2 with k odd)
``exact_division``      floor(a/b) → a/b                                 the caller asserts b divides a (``exact``)
``domain_piecewise``    drop Piecewise branches a domain rules out       declared symbol domains (min/max/choices)
``branch_value``        in a branch under Eq(s, v), put s = v            the branch's own condition
``geometric``           (1 - s^L)/(1 - s) → (s^L - 1)/(s - 1), factored  s ≠ 1 (the branch that has it)
``max_nonnegative``     Max(x, 0) → x                                    x >= 0 under the assumptions/domains
======================  ===============================================  =========================================

"same" padding (TensorFlow) with stride 1 has total padding d(k-1); with an
odd kernel its halves are d(k-1)/2 exactly: that is ``integer_floor`` once k
is known to be odd.

>>> import sympy
>>> x = sympy.Symbol("x", integer=True)
>>> simplify(sympy.floor((sympy.floor(x / 4) + 1) / 2)) == sympy.floor((x + 4) / 8)
True
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import sympy

from . import _arith as A
from .closed_form.result import ClosedForms
from .maps import int_floor, proved_integer, safe_xreplace
from .values import SymbolDomain

__all__ = ["RULES", "Rule", "simplify"]


@dataclass(frozen=True)
class Rule:
    """A rewrite and the condition under which it holds."""

    name: str
    rewrite: str
    condition: str


RULES: tuple[Rule, ...] = (
    Rule("fold", "floor((floor(v) + c)/b) = floor((v + c)/b)", "c an integer, b a positive integer, v real"),
    Rule("integer_floor", "floor(x) = ceiling(x) = x", "x an integer (sympy proves it from the symbols' assumptions)"),
    Rule("exact_division", "floor(a/b) = a/b", "asserted by the caller: b divides a (exact=True)"),
    Rule(
        "domain_piecewise", "drop Piecewise branches that the declared domains rule out", "the spec's [symbols] domains"
    ),
    Rule("branch_value", "inside a branch with condition Eq(s, v), s = v", "that branch's condition"),
    Rule("geometric", "(1 - s**L)/(1 - s) = (s**L - 1)/(s - 1), each branch factored", "s != 1 in that branch"),
    Rule("max_nonnegative", "Max(x, 0) = x", "x >= 0 under the assumptions or the domains' lower bounds"),
)


def simplify(expr: Any, *, domains: dict[str, Any] | None = None, exact: bool = False, integer: bool = False) -> Any:
    """Apply the rules of :data:`RULES` to ``expr`` (bottom-up) and return the result.

    ``domains`` maps symbol names to :class:`~rfsym.values.SymbolDomain` (odd,
    even, min, max, choices refine the symbols' assumptions); ``exact=True``
    asserts that every floor division is exact; ``integer=True`` treats
    symbols without assumptions as positive integers (for plain sympy input).
    Closed forms (:class:`~rfsym.closed_form.ClosedForms`) are simplified form by form.

    >>> import sympy
    >>> from rfsym.values import SymbolDomain
    >>> k, d = sympy.symbols("k d", integer=True, positive=True)
    >>> simplify(sympy.floor(d * (k - 1) / 2), domains={"k": SymbolDomain(odd=True)})
    d*(k - 1)/2
    """
    if isinstance(expr, ClosedForms):
        return _simplify_forms(expr, domains=domains, exact=exact, integer=integer)
    if isinstance(expr, tuple):
        return tuple(simplify(e, domains=domains, exact=exact, integer=integer) for e in expr)
    if A.is_num(expr) or not hasattr(expr, "free_symbols"):
        return expr
    expr = A.to_sympy(expr)
    forward, back, parity = _refine_symbols(expr, domains or {}, integer)
    if forward:
        expr = safe_xreplace(expr, forward)
    expr = _rewrite(expr, parity, exact)
    if back:
        expr = safe_xreplace(expr, back)
    return A.norm(expr) if not isinstance(expr, sympy.Basic) or expr.is_Number else expr


def _simplify_forms(forms: Any, **kw: Any) -> Any:
    if forms.compact:
        return forms  # long stacks: nested on purpose; rewriting them would flatten the nesting
    new = {k: simplify(getattr(forms, k), **kw) for k in ("n", "j", "r", "start", "P")}
    return replace(forms, **new)


def _refine_symbols(
    expr: Any, domains: dict[str, Any], integer: bool
) -> tuple[dict[Any, Any], dict[Any, Any], dict[str, Any]]:
    """Symbols with the domains' sign assumptions (positive …); the map there and back; the domains
    with every symbol's parity.

    Parity (odd, even) is kept out of sympy's assumptions: sympy 1.14 draws wrong
    integrality from it (``(x/6).is_integer`` is True for even x); the rules read
    it from the returned domains and prove integrality themselves
    (:func:`rfsym.maps.proved_integer`).
    """
    forward, back = {}, {}
    parity = dict(domains)
    for s in expr.free_symbols:
        if not isinstance(s, sympy.Symbol) or isinstance(s, sympy.Dummy):
            continue
        assume = {
            k: v for k, v in s.assumptions0.items() if v and k in ("integer", "positive", "nonnegative", "odd", "even")
        }
        if integer and not assume:
            assume = {"integer": True, "positive": True}
        dom = domains.get(s.name)
        if dom is not None:
            assume = dom.assumptions(assume)
            assume.setdefault("integer", True)
            if dom.max is not None and dom.max <= 0:
                assume.pop("positive", None)
        if assume.get("positive"):
            assume.pop("nonnegative", None)
        odd, even = assume.pop("odd", False), assume.pop("even", False)
        if odd or even:
            assume["integer"] = True
            parity[s.name] = replace(dom, odd=odd, even=even) if dom is not None else SymbolDomain(odd=odd, even=even)
        t = sympy.Symbol(s.name, **assume)
        if t != s:
            forward[s] = t
            back[t] = s
    return forward, back, parity


def _rewrite(expr: Any, domains: dict[str, Any], exact: bool) -> Any:
    if not isinstance(expr, sympy.Basic) or not expr.args:
        return expr
    if isinstance(expr, (sympy.Sum, sympy.Product)):
        return expr
    args = [_rewrite(a, domains, exact) for a in expr.args]
    if any(a is not b for a, b in zip(args, expr.args)):
        # floors and ceilings keep their brackets until the rules below prove them removable
        rebuilt = isinstance(expr, (sympy.floor, sympy.ceiling))
        expr = expr.func(*args, evaluate=False) if rebuilt else expr.func(*args)
    if isinstance(expr, sympy.floor):
        return _floor_rules(expr, domains, exact)
    if isinstance(expr, sympy.ceiling):
        if exact or proved_integer(expr.args[0], domains):
            return expr.args[0]  # integer_floor / exact_division
        return expr
    if isinstance(expr, sympy.Max):
        return _max_rule(expr, domains)
    if isinstance(expr, sympy.Piecewise):
        return _piecewise_rules(expr, domains, exact)
    return expr


def _floor_rules(expr: Any, domains: dict[str, Any], exact: bool) -> Any:
    u = expr.args[0]
    if proved_integer(u, domains):
        return u  # integer_floor
    if u.is_Add:
        v = sympy.factor_terms(u)  # k/2 - 1/2 -> (k - 1)/2
        if proved_integer(v, domains):
            return v
    if u.has(sympy.floor):
        num, den = sympy.fraction(sympy.together(u))
        if den.is_integer and den.is_positive:
            inner = [t for t in sympy.Add.make_args(num) if isinstance(t, sympy.floor)]
            if len(inner) == 1:
                c = sympy.expand(num - inner[0])
                if proved_integer(c, domains):  # fold: floor((floor(v) + c)/b) = floor((v + c)/b)
                    folded = int_floor((inner[0].args[0] + c) / den, domains)
                    return _floor_rules(folded, domains, exact) if isinstance(folded, sympy.floor) else folded
    if exact:
        return u  # exact_division (asserted)
    return expr


def _max_rule(expr: Any, domains: dict[str, Any]) -> Any:
    args = list(expr.args)
    if len(args) == 2 and sympy.S.Zero in args:
        other = args[0] if args[1] == 0 else args[1]
        if other.is_nonnegative:
            return other
    return expr


def _eq_holds(cond: Any, domains: dict[str, Any]) -> Any:
    """True/False when the domains decide Eq(s, v) (or a conjunction of them), else None."""
    if isinstance(cond, sympy.Eq):
        lhs, rhs = cond.args
        if lhs.is_Symbol and rhs.is_Number:
            s, v = lhs, rhs
        elif rhs.is_Symbol and lhs.is_Number:
            s, v = rhs, lhs
        else:
            return None
        dom = domains.get(s.name)
        if dom is not None:
            vals = dom.values(limit=10_000)
            if vals is not None:
                if all(x == v for x in vals):
                    return True
                if v not in vals:
                    return False
            elif not (v.is_Integer and dom.contains(int(v))):
                return False
        if (s.is_positive and v <= 0) or (s.is_nonnegative and v < 0):
            return False
        if (s.is_odd and v.is_Integer and v % 2 == 0) or (s.is_even and v.is_Integer and v % 2 == 1):
            return False
        return None
    if isinstance(cond, sympy.Ne):
        r = _eq_holds(sympy.Eq(*cond.args), domains)
        return None if r is None else not r
    return None


def _piecewise_rules(expr: Any, domains: dict[str, Any], exact: bool) -> Any:
    pieces: list[tuple[Any, Any]] = []
    for val, cond in expr.args:
        decided = _eq_holds(cond, domains) if cond is not sympy.true else True
        if decided is False or _shadowed(cond, [c for _, c in pieces]):
            continue  # domain_piecewise; or a branch an earlier one already covers
        if isinstance(cond, sympy.Eq) and cond.args[0].is_Symbol and cond.args[1].is_Number:
            val = val.xreplace({cond.args[0]: cond.args[1]})  # branch_value
        elif isinstance(cond, sympy.Eq) and cond.args[1].is_Symbol and cond.args[0].is_Number:
            val = val.xreplace({cond.args[1]: cond.args[0]})
        val = _geometric(val)
        pieces.append((val, cond))
        if decided is True:
            break
    if not pieces:
        return expr
    if len(pieces) == 1 or pieces[0][1] is sympy.true:
        return pieces[0][0]
    if all(p[0] == pieces[0][0] for p in pieces):
        return pieces[0][0]
    return sympy.Piecewise(*pieces)


def _shadowed(cond: Any, earlier: list[Any]) -> bool:
    """True when cond is Eq(s, v) (or a conjunction of such) under which an earlier condition holds:
    the branch is never reached (geometric sums of geometric sums: Eq(s, 1) after Eq(s**M, 1))."""
    eqs = cond.args if isinstance(cond, sympy.And) else (cond,)
    sub = {}
    for eq in eqs:
        if not (isinstance(eq, sympy.Eq) and eq.args[0].is_Symbol and eq.args[1].is_Number):
            return False
        sub[eq.args[0]] = eq.args[1]
    return any(c.xreplace(sub) is sympy.true for c in earlier)


def _geometric(val: Any) -> Any:
    """Factor a branch when that shortens it: (1 - s**L)/(1 - s) → (s**L - 1)/(s - 1)."""
    if val.has(sympy.Sum, sympy.Product, sympy.floor, sympy.Piecewise, sympy.Indexed):
        return val
    if not val.has(sympy.Pow):
        # L*k - L + 1 -> L*(k - 1) + 1: common factors of the non-constant terms
        const, rest = val.as_coeff_Add()
        f = sympy.factor_terms(rest) + const
        return f if sympy.count_ops(f) <= sympy.count_ops(val) else val
    try:
        f = sympy.factor(val)
    except (sympy.PolynomialError, NotImplementedError, TypeError):  # pragma: no cover - sympy limits
        return val
    return f if sympy.count_ops(f) <= sympy.count_ops(val) else val
