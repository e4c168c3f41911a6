"""Symbolic targets: solve the closed form for the unknowns, keep the other symbols.

``solve(net, r="R", unknowns=["k"])`` on ``L`` copies of a stride-2 layer of
kernel k solves ``1 + (k - 1)(2**L - 1) = R`` with sympy and returns
``k = 1 + (R - 1)/(2**L - 1)`` with the condition ``(2**L - 1) | (R - 1)``:
the solution is an integer exactly when the remainder of the numerator by the
denominator (polynomial division in the symbols) is divisible by it.  The
domain of each unknown adds its own conditions (``k >= 1``, ``k`` odd, ...).
"""

from __future__ import annotations

from typing import Any

import sympy

from .. import _arith as A
from ..closed_form import derive
from ..errors import RfsymError
from ..network import Network
from .result import Condition, SolveResult
from .targets import Target


def _forms(net: Network, t: Target, axis: int, convention: str, origin: Any) -> Any:
    if t.at is not None:
        names = [lay.label() for lay in net.layers]
        if t.at not in names:
            raise RfsymError(
                f"target {t.key}: symbolic solving needs a top-level layer name (layers: {', '.join(names)})"
            )
        net = Network(net.layers[: names.index(t.at) + 1], input=net.input, name=net.name, symbols=net.symbols)
    inp = None
    if net.input is not None:
        inp = net.input[axis] if len(net.input) > axis else net.input[0]
    cf = derive(net, input=inp, axis=axis, origin=origin, convention=convention)
    return A.to_sympy(cf.as_dict()[t.quantity])


def integrality(expr: Any) -> tuple[Any, list[Condition]]:
    """``expr`` as quotient + remainder/denominator, and the condition that it is an integer."""
    num, den = sympy.fraction(sympy.together(expr))
    g = sympy.gcd(num, den)
    if g != 1 and not g.is_number:
        num, den = sympy.cancel(num / g), sympy.cancel(den / g)
    if den.is_number and den < 0:
        num, den = -num, -den
    if den.is_number and den == 1:
        return expr, []
    if den.is_number and num.is_number:
        return expr, []
    if den.is_number:  # an integer denominator: d | num, coefficients reduced modulo d
        cond = sympy.Eq(sympy.Mod(num, den, evaluate=False), 0)
        return expr, [Condition(cond, f"{den} divides ({num})")]
    try:
        q, rem = sympy.div(num, den, domain="ZZ")
    except (sympy.PolynomialError, sympy.GeneratorsNeeded, sympy.polys.polyerrors.CoercionFailed):
        q, rem = 0, num
    nice = sympy.Add(q, rem / den, evaluate=False) if q != 0 else rem / den
    if rem == 0:
        return q, []
    cond = sympy.Eq(sympy.Mod(rem, den, evaluate=False), 0)
    return nice, [Condition(cond, f"({den}) divides ({rem})")]


def solve_symbolic(
    net: Network, unk: list[Any], params: list[Any], targets: list[Target], *, axis: int, convention: str, origin: Any
) -> SolveResult:
    """Solve the closed forms for ``unk``; the other symbols stay parameters of the answer."""
    if not unk:
        raise RfsymError("no unknowns to solve for (unknowns=[] leaves nothing to solve)")
    eqs = _equations(net, unk, targets, axis, convention, origin)
    try:
        sols = sympy.solve(eqs, unk, dict=True)
    except NotImplementedError as err:
        raise RfsymError(f"sympy cannot solve {eqs} for {', '.join(s.name for s in unk)}: {err}") from None
    bounds = {s: _bounds(net, s) for s in unk}
    sols = [
        s
        for s in sols
        if all(v.is_real is not False for v in s.values())
        and not any(_never_within(s[u], *bounds[u]) for u in unk if u in s)
    ]
    res = SolveResult(net.name, tuple(s.name for s in unk), tuple(targets), count=None, complete=False)
    res.method = "symbolic: closed form solved by sympy"
    if not sols:
        res.count = 0
        res.notes.append("the closed form has no solution for the unknowns in their domains")
        return res
    if len(sols) > 1:
        res.notes.append(f"{len(sols)} branches; the first is shown, all are in notes")
        for s in sols[1:]:
            res.notes.append(", ".join(f"{k} = {v}" for k, v in s.items()))
    sol = sols[0]
    missing = [s.name for s in unk if s not in sol]
    if missing:
        raise RfsymError(f"the targets do not determine {', '.join(missing)}; add targets or fewer unknowns")
    res.symbolic = {}
    for s in unk:
        e, cs = integrality(sympy.simplify(sol[s]))
        res.symbolic[s.name] = e
        res.conditions.extend(cs)
        res.conditions.extend(_domain_conditions(net, s, sol[s], e, *bounds[s]))
    return res


def _equations(  # type: ignore[no-untyped-def]
    net: Network, unk: list[Any], targets: list[Target], axis, convention, origin
) -> list[Any]:
    eqs = []
    for t in targets:
        if not t.is_equality:
            raise RfsymError(f"target {t}: with symbolic parameters or values only equalities can be solved")
        value = t.value if t.symbolic else t.lo
        eqs.append(sympy.Eq(_forms(net, t, axis, convention, origin), A.to_sympy(value)))
    if not eqs:
        raise RfsymError("no targets given")
    extra = {s for t in targets if t.symbolic for s in t.value.free_symbols}
    clash = {s.name for s in extra} & {s.name for s in unk}
    if clash:
        raise RfsymError(f"target value uses the unknown {sorted(clash)[0]!r}; name the wanted value differently")
    return eqs


def _bounds(net: Network, s: Any) -> tuple[int | None, int | None]:
    """The smallest and largest value an unknown may take (its role and its [symbols] entry)."""
    dom = net.symbols.get(s.name)
    lo = 1 if s.is_positive else (0 if s.is_nonnegative else None)
    if dom is not None and dom.lower is not None:
        lo = dom.lower if lo is None else max(lo, dom.lower)
    hi = None
    if dom is not None:
        hi = max(dom.choices) if dom.choices else dom.max
    return lo, hi


def _never_within(value: Any, lo: int | None, hi: int | None) -> bool:
    """True when a root provably lies below ``lo`` (or above ``hi``) for every value of the
    parameters that makes it real.

    Every power with a fractional exponent (a root) is replaced by a non-negative variable;
    when what remains is a polynomial in those variables alone, its monomials are
    non-negative, so all non-constant coefficients <= 0 and a constant below lo bound it
    below lo (and symmetrically above hi).  Anything else is kept: "not shown", not "admissible".
    """
    roots = [p for p in value.atoms(sympy.Pow) if p.exp.is_Rational and not p.exp.is_integer]
    dummies = [sympy.Dummy(nonnegative=True) for _ in roots]
    e = sympy.expand(value.xreplace(dict(zip(roots, dummies))))
    if e.free_symbols - set(dummies):
        return False
    if not dummies:
        return bool(e.is_number and ((lo is not None and e < lo) or (hi is not None and e > hi)))
    poly = sympy.Poly(e, *dummies)
    const = poly.coeff_monomial(1)
    others = [c for m, c in poly.terms() if any(m)]
    if lo is not None and all(c <= 0 for c in others) and const < lo:
        return True
    return hi is not None and all(c >= 0 for c in others) and const > hi


def _domain_conditions(net: Network, s: Any, value: Any, shown: Any, lo: int | None, hi: int | None) -> list[Condition]:
    """Conditions from the unknown's domain, after a non-zero denominator."""
    conds = []
    den = sympy.fraction(sympy.together(value))[1]
    if not den.is_number:
        conds.append(Condition(sympy.Ne(den, 0), f"{den} != 0"))
    dom = net.symbols.get(s.name)
    if lo is not None:
        conds.append(Condition(sympy.Ge(value, lo), f"{s.name} = {shown} >= {lo}"))
    if hi is not None:
        conds.append(Condition(sympy.Le(value, hi), f"{s.name} = {shown} <= {hi}"))
    if (dom is not None and dom.odd) or s.is_odd:
        conds.append(Condition(sympy.Eq(sympy.Mod(value, 2), 1), f"{s.name} = {shown} is odd"))
    if (dom is not None and dom.even) or s.is_even:
        conds.append(Condition(sympy.Eq(sympy.Mod(value, 2), 0), f"{s.name} = {shown} is even"))
    if dom is not None and dom.choices:
        conds.append(
            Condition(
                sympy.Or(*(sympy.Eq(value, c) for c in dom.choices)),
                f"{s.name} = {shown} is one of {list(dom.choices)}",
            )
        )
    return conds


def solve_one_sympy(
    net: Network,
    x: Any,
    lo: int | None,
    hi: int | None,
    targets: list[Target],
    *,
    axis: int,
    convention: str,
    origin: Any,
) -> tuple[list[int], int | None]:
    """One unknown, closed forms solved exactly by sympy.

    Returns the integer candidates below the tail and the start of an unbounded
    tail (None when the set is bounded).  Candidates are only *candidates*:
    the caller checks each with the transfer functions (domain, validity).
    """
    real = sympy.S.Reals
    sset = sympy.Interval(-sympy.oo if lo is None else lo, sympy.oo if hi is None else hi)
    for t in targets:
        expr = _forms(net, t, axis, convention, origin)
        extra = {s.name for s in getattr(expr, "free_symbols", ())} - {x.name}
        if extra:
            raise RfsymError(f"the closed form of {t.key} also depends on {', '.join(sorted(extra))}")
        xs = [s for s in expr.free_symbols if s.name == x.name]
        var = xs[0] if xs else x
        parts = []
        if t.is_equality:
            parts.append(sympy.Eq(expr, A.to_sympy(t.lo)))
        else:
            if t.lo is not None:
                parts.append((expr > A.to_sympy(t.lo)) if t.lo_strict else (expr >= A.to_sympy(t.lo)))
            if t.hi is not None:
                parts.append((expr < A.to_sympy(t.hi)) if t.hi_strict else (expr <= A.to_sympy(t.hi)))
        for cond in parts:
            if cond is sympy.true:
                continue
            if cond is sympy.false:
                return [], None
            got = sympy.solveset(cond, var, real)
            if isinstance(got, sympy.ConditionSet) or got.has(sympy.ConditionSet):
                raise RfsymError(f"sympy cannot solve {cond} for {x.name}")
            sset = sympy.Intersection(sset, got.xreplace({var: x}) if var != x else got)
    if sset.is_empty:
        return [], None
    if isinstance(sset, sympy.FiniteSet):
        return sorted(int(v) for v in sset if v.is_integer), None
    sup, inf = sset.sup, sset.inf
    if inf == -sympy.oo:
        raise RfsymError(f"the solution set {sset} of {x.name} is unbounded below")
    a = int(sympy.ceiling(inf))
    if sup != sympy.oo:
        b = int(sympy.floor(sup))
        if b - a > 2_000_000:
            raise RfsymError(f"{x.name}: {b - a + 1} candidates between {a} and {b}; narrow the targets")
        return [v for v in range(a, b + 1) if sset.contains(v) == sympy.true], None
    # unbounded above: the last interval of the set is the tail
    last = sset.args[-1] if isinstance(sset, sympy.Union) else sset
    tail = int(sympy.ceiling(last.inf))
    if tail - a > 2_000_000:
        raise RfsymError(f"{x.name}: too many values before the unbounded part of {sset}")
    head = [v for v in range(a, tail) if sset.contains(v) == sympy.true]
    return head, tail
