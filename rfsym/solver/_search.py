"""One unknown with an unbounded domain: monotone bracketing, and input sizes.

*Bracketing.*  When j and r move in one direction as the unknown x grows, and so
does every output size n (proven per layer kind and role in ``_monotone``), each
target bound ``lo <= q(x)``, ``q(x) <= hi`` and validity (n >= 1 everywhere)
holds on a prefix or on a suffix of x's values.  Their intersection is an
interval, found by doubling and bisection with the transfer functions.

*Input sizes.*  Every layer's output size never decreases in its input size,
so the valid N are ``N >= N_min`` and targets on n give intervals of N.  The
rest (exact divisions, start and P under ``same`` padding) depends on N only
through N mod J, J the product of the strides, because a layer with stride s
maps n + s to n_out + 1.  One period, checked twice, gives the progressions
``N ≡ c (mod J)``.
"""

from __future__ import annotations

from collections.abc import Callable
from math import lcm
from typing import Any

from .. import _arith as A
from .._bisect import smallest
from ..errors import RfsymError
from ..network import Network
from ..values import MAX_VALUE
from ._model import Domain, exact_divisions, run, state_value
from ._monotone import Directions, occurrences
from .result import Progression
from .targets import Target

TIMES_CAP = 1 << 12  # repeat counts searched beyond the smallest one
VALUE_CAP = 1 << 62  # other values searched beyond the smallest one


def value_cap(x: Any, base: int, step: int, is_times: bool) -> int:
    """How many domain steps beyond ``base`` a search may go (the layers refuse values above MAX_VALUE)."""
    if base > MAX_VALUE:
        raise RfsymError(f"{x.name}: its domain starts at {base}, above the limit of 2**64 on parameter values")
    return min(TIMES_CAP if is_times else VALUE_CAP, MAX_VALUE - base) // step


class Evaluator:
    """Numbers for one assignment, always through the layers' transfer functions."""

    def __init__(self, net: Network, axis: int, convention: str, origin: Any, n0: Any):
        self.net, self.axis, self.convention, self.origin, self.n0 = net, axis, convention, origin, n0
        self._cache: dict[tuple, list[Any]] = {}

    def layers(self, assignment: dict[str, int]) -> tuple[list[Any], Any]:
        """The numeric layers and input size for an assignment (layers cached per non-input values)."""
        inp: Any = None
        if self.net.input is not None:
            inp = self.net.input[self.axis] if len(self.net.input) > self.axis else self.net.input[0]
        in_name = inp.name if getattr(inp, "is_Symbol", False) else None
        if in_name is not None and any(in_name == sym.name for lay in self.net.layers for sym in lay.free_symbols):
            in_name = None  # the input size also appears in a layer: substitute it everywhere
        rest = {k: v for k, v in assignment.items() if k != in_name}
        key = tuple(sorted(rest.items()))
        cache = self._cache
        if key not in cache:
            sub = self.net.subs(rest) if rest else self.net
            cache[key] = sub.flat_layers()
            if len(cache) > 4096:
                cache.pop(next(iter(cache)))
        n0: Any = self.n0
        if n0 is None and inp is not None:
            n0 = assignment[in_name] if in_name is not None and in_name in assignment else inp
            if not A.is_num(n0) and hasattr(n0, "free_symbols"):
                vals = {s: assignment[s.name] for s in n0.free_symbols if s.name in assignment}
                n0 = A.norm(n0.xreplace(vals)) if vals else n0
        if n0 is not None and not A.is_num(n0):
            n0 = None
        return cache[key], n0

    def states(self, assignment: dict[str, int]) -> tuple[list[Any], list[Any] | None, Any]:
        layers, n0 = self.layers(assignment)
        return layers, run(layers, n0, self.axis, self.convention, self.origin), n0

    def values(self, assignment: dict[str, int], targets: list[Target]) -> dict[str, Any] | None:
        """Target key -> value (None when some layer's output is empty)."""
        layers, sts, _ = self.states(assignment)
        if sts is None:
            return None
        return {t.key: state_value(sts[position(layers, t)], t.quantity) for t in targets}

    def check(self, assignment: dict[str, int], targets: list[Target], exact: bool = False) -> bool:
        layers, sts, n0 = self.states(assignment)
        if sts is None:
            return False
        for t in targets:
            if not t.contains(state_value(sts[position(layers, t)], t.quantity)):
                return False
        return not (exact and not exact_divisions(layers, n0, self.axis, self.convention, self.origin))


def position(layers: list[Any], t: Target) -> int:
    """Index into the states list (0 = input) of a target's layer."""
    if t.at is None:
        return len(layers)
    for i, lay in enumerate(layers, 1):
        if lay.label() == t.at:
            return i
    names = ", ".join(lay.label() for lay in layers[:12]) + (", ..." if len(layers) > 12 else "")
    raise RfsymError(f"target {t.key}: no layer named {t.at!r} (layers: {names})")


def solve_monotone(
    ev: Evaluator, x: Any, dom: Domain, targets: list[Target], dirs: Directions, valid_dir: int | None
) -> tuple[int, int | None, list[str]]:
    """The interval [a, b] (b None: unbounded) of domain *indices* t (x = base + step*t) meeting the targets.

    Validity and every target bound are monotone predicates of t (``dirs``, ``valid_dir``:
    the proven directions of j, r and n in x), each true on a prefix or on a suffix of the
    indices; their intersection is an interval, found by doubling and bisection.
    """
    notes: list[str] = []
    base = dom.first_at_least(dom.lo if dom.lo is not None else 0)
    is_times = dirs.times is not None or any(role == "times" for _, role, _ in occurrences(ev.net, x))
    t_cap = value_cap(x, base, dom.step, is_times)
    if dom.hi is not None:
        t_cap = min(t_cap, (dom.hi - base) // dom.step)
    cache: dict[int, Any] = {}

    def states(t: int) -> Any:
        if t not in cache:
            cache[t] = ev.states({x.name: base + dom.step * t})
        return cache[t]

    preds: list[tuple[Callable[[int], bool], int, str]] = []
    if valid_dir:
        preds.append((lambda t: states(t)[1] is not None, valid_dir, "validity"))
    elif ev.net.input is not None and states(0)[1] is None:
        return 0, -1, notes  # validity does not depend on x, and fails
    for tg in targets:
        d = dirs.of(tg.quantity)
        assert d is not None
        if tg.lo is not None:
            preds.append((_part(states, tg, "lo"), d, str(tg)))
        if tg.hi is not None:
            preds.append((_part(states, tg, "hi"), -d, str(tg)))
    a, b = 0, t_cap
    for pred, d, what in preds:
        if d > 0:  # false ... true: the first true index is the new a
            first = smallest(pred, a, b).value
            if first is None:
                if b == t_cap and dom.hi is None:
                    notes.append(
                        f"no {x.name} up to {base + dom.step * t_cap} meets {what}; larger values were not searched"
                    )
                return 0, -1, notes
            a = first
        elif d < 0:  # true ... false: the last true index is the new b
            over = smallest(_negate(pred), a, b).value
            if over is not None:
                b = over - 1
        elif not pred(a):
            return 0, -1, notes
        if a > b:
            return 0, -1, notes
    unbounded = dom.hi is None and b == t_cap
    if unbounded and is_times:
        notes.append(
            f"searched {x.name} up to {base + dom.step * t_cap}; the targets and validity are monotone in {x.name}, "
            "so the set goes on"
        )
    return a, (None if unbounded else b), notes


def _negate(pred: Callable[[int], bool]) -> Callable[[int], bool]:
    return lambda t: not pred(t)


def _part(states: Callable[[int], Any], tg: Target, end: str) -> Callable[[int], bool]:
    """t -> the target's lower (or upper) bound holds at index t (False where a layer is empty)."""

    def holds(t: int) -> bool:
        layers, sts, _ = states(t)
        if sts is None:
            return False
        v = state_value(sts[position(layers, tg)], tg.quantity)
        return tg.holds_lo(v) if end == "lo" else tg.holds_hi(v)

    return holds


def to_progressions(x: Any, dom: Domain, a: int, b: int | None) -> Progression:
    base = dom.first_at_least(dom.lo if dom.lo is not None else 0)
    step = dom.step
    offset = base % step
    t0 = (base - offset) // step + a
    return Progression(x.name, step, offset, t0, None if b is None else (base - offset) // step + b)


def solve_input(
    ev: Evaluator, x: Any, dom: Domain, targets: list[Target], exact: bool, limit: int | None
) -> tuple[list[int], list[Progression], int | None, list[str]]:
    """Input sizes N meeting the targets: (finite list, progressions, count or None, notes)."""
    notes: list[str] = []
    lo = dom.first_at_least(dom.lo if dom.lo is not None else 1)

    def sts(N: int) -> Any:
        return ev.states({x.name: N})

    if dom.choices is not None:
        vals = [N for N in dom.choices if ev.check({x.name: N}, targets, exact)]
        return vals, [], len(vals), notes
    # smallest valid N (validity is monotone in N)
    cap = VALUE_CAP
    t_first = smallest(lambda t: sts(lo + t)[1] is not None, 0, cap).value
    if t_first is None:
        return [], [], 0, notes
    nmin = lo + t_first
    a, b = nmin, (dom.hi if dom.hi is not None else None)
    for tg in targets:
        if tg.quantity != "n":
            continue

        def nval(N: int, tg: Target = tg) -> Any:
            layers, s, _ = sts(N)
            return state_value(s[position(layers, tg)], "n")

        def n_reaches(t: int, tg: Target = tg, a: int = a) -> bool:
            return bool(nval(a + t) >= tg.lo)

        def n_exceeds(t: int, tg: Target = tg, a: int = a) -> bool:
            return bool(nval(a + t) > tg.hi)

        if tg.lo is not None:
            t = smallest(n_reaches, 0, cap).value
            if t is None:
                return [], [], 0, notes
            a = a + t
        if tg.hi is not None:
            t = smallest(n_exceeds, 0, cap).value
            if t is not None:
                b = a + t - 1 if b is None else min(b, a + t - 1)
    a = dom.first_at_least(a)
    if b is not None:
        if b < a:
            return [], [], 0, notes
        if (b - a) // dom.step > 2_000_000:
            raise RfsymError(f"too many input sizes to check ({x.name} from {a} to {b}); narrow the targets")
        vals = [N for N in range(a, b + 1, dom.step) if ev.check({x.name: N}, targets, exact)]
        return vals, [], len(vals), notes
    # unbounded: periodic in N with period J (product of strides)
    layers, s, _ = sts(a)
    J = s[-1].j
    if not isinstance(J, int):
        raise RfsymError(f"the output jump is {A.fmt(J)}; input-size progressions need an integer jump")
    period = lcm(J, dom.step)
    if period * max(1, len(layers)) > 4_000_000:
        raise RfsymError(f"the period of the input sizes ({period}) is too long to scan; give {x.name} a max")
    good = [N for N in range(a, a + period, dom.step) if ev.check({x.name: N}, targets, exact)]
    again = [N - period for N in range(a + period, a + 2 * period, dom.step) if ev.check({x.name: N}, targets, exact)]
    if good != again:
        raise RfsymError("the input sizes are not periodic in the product of the strides here; give the input a max")
    progs = [Progression(x.name, period, N % period, N // period) for N in good]
    return [], progs, (None if progs else 0), notes
