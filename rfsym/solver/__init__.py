"""Solving for layer configurations: exact integer answers to design questions.

``solve(net, r=224)`` returns the **complete** set of values of the network's
free symbols (its *unknowns*) for which the targets hold and every layer's
output is non-empty.  See ``docs/solving.md``.

How the answer is found (every number goes through the layers' transfer
functions):

* unknowns with finite domains: dynamic programming over the layers on the
  state (n, j, r, start, P) plus the open unknowns, pruned with closed-form
  bounds of the remaining layers (``_dp``); unknowns in ``Repeat.times`` or in
  the input size are enumerated outside it;
* one unknown with an unbounded domain: monotone bracketing (``_search``),
  giving intervals and arithmetic progressions ``x = step*t + offset, t >= t0``;
* the input size as the unknown: intervals from monotone n, progressions
  ``N ≡ c (mod J)`` from periodicity (``_search.solve_input``);
* symbolic targets (``r="R"``) or unknowns chosen with ``unknowns=``: the closed
  form is solved by sympy, with the integrality condition (``_symbolic``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

from .. import _arith as A
from .._bisect import smallest
from ..errors import RfsymError
from ..graph import Graph
from ..layers import Repeat
from ..network import Network, parse_origin
from . import _holes
from ._dp import MAX_LISTING, solve_dp
from ._model import Domain, coefficients, make_domain, run, state_value, symbol_order, weights_of
from ._monotone import Directions, directions, occurrences, times_size_direction
from ._search import (
    TIMES_CAP,
    Evaluator,
    position,
    solve_input,
    solve_monotone,
    to_progressions,
    value_cap,
)
from .result import Condition, Nearest, Progression, Solutions, SolveResult
from .targets import QUANTITIES, Target, check_targets, parse_target, parse_target_string

__all__ = [
    "Condition",
    "Nearest",
    "Progression",
    "SolveResult",
    "Solutions",
    "Target",
    "parse_target",
    "parse_target_string",
    "solve",
]

OBJECTIVES = ("depth", "sum_k2")
DEFAULT_LIMIT = 10_000
#: With one unbounded unknown, the most solutions of the widened targets scored for ``nearest``.
NEAREST_LISTED = 10_000
#: Repeat counts beyond which the monotone search would unroll too many layers.
MAX_UNROLL = 100_000


def _collect_targets(targets: Any, kw: dict[str, Any], at: str | None) -> list[Target]:
    out: list[Target] = []
    items: list[tuple[str, Any]] = []
    if targets is not None:
        if isinstance(targets, dict):
            items.extend(targets.items())
        elif isinstance(targets, (str, Target)):
            targets = [targets]
        elif not isinstance(targets, (list, tuple)):
            raise RfsymError(f"targets: give a dict, Target objects or strings such as 'r>=100' (got {targets!r})")
        if not isinstance(targets, dict):
            for t in targets:
                if isinstance(t, Target):
                    out.append(t)
                elif isinstance(t, str):
                    out.append(parse_target_string(t))
                else:
                    raise RfsymError(f"targets: give a dict, Target objects or strings such as 'r>=100' (got {t!r})")
    for key, v in kw.items():
        if key not in QUANTITIES:
            raise RfsymError(
                f"solve() got an unknown target or option {key!r} (quantities: n, j, r, start, effective_padding, P)"
            )
        items.append((f"{at}.{key}" if at else key, v))
    for key, v in items:
        out.append(parse_target(key, v))
    return check_targets(out)


def _layer_symbols(net: Network) -> tuple[set[Any], set[Any]]:
    """(symbols in layer parameters, symbols in Repeat.times or the input)."""
    inner: set[Any] = set()
    outer: set[Any] = set()

    def visit(lay: Any) -> None:
        if isinstance(lay, Repeat):
            outer.update(getattr(lay.times, "free_symbols", ()))
            for b in lay.block:
                visit(b)
            if lay.index is not None:
                inner.discard(lay.index)
            return
        for v in lay.values():
            inner.update(getattr(v, "free_symbols", ()))

    for lay in net.layers:
        visit(lay)
    for v in net.input or ():
        outer.update(getattr(v, "free_symbols", ()))
    index = {lay.index for lay in net.layers if isinstance(lay, Repeat) and lay.index is not None}
    return inner - outer - index, outer


def solve(
    net: Network,
    targets: Any = None,
    *,
    at: str | None = None,
    unknowns: Any = None,
    given: dict[str, int] | None = None,
    domains: dict[str, Any] | None = None,
    input: Any = None,
    exact: bool = False,
    minimize: str | Callable[[dict[str, int]], Any] | None = None,
    count: bool = False,
    limit: int | None = DEFAULT_LIMIT,
    nearest: int = 3,
    axis: int = 0,
    convention: str = "framework",
    origin: Any = Fraction(1, 2),
    progress: Callable[[str], None] | None = None,
    **quantities: Any,
) -> SolveResult:
    """Every assignment of the network's free symbols that meets the targets.

    Targets are keyword arguments named after a quantity (``r=224``,
    ``j=16``, ``r=">=100"``, ``r=(">=", 100)``, ``n=(5, 9)``, ``r="R"``) or
    a dict/list in ``targets`` (``{"conv3.r": 99}``, ``["r>=100"]``);
    ``at="conv3"`` puts the keyword targets at that layer instead of the output.

    * ``unknowns``: the symbols to solve for (default: every free symbol);
      the others stay symbolic, which needs a closed form (``symbolic``).
    * ``given``: values for some symbols; ``domains``: domains overriding the
      spec's ``[symbols]`` (a ``SymbolDomain``, a ``range`` or a list).
    * ``input``: an input size overriding the network's; ``exact=True``: no
      layer drops input features (every division is exact).
    * ``minimize``: ``"depth"`` (layers that change j or r), ``"sum_k2"``
      (sum over convolutions of the kernel area, k² on one axis) or a callable
      of the assignment; ``count=True``: count without listing; ``limit``:
      list at most that many solutions (``None``: all).
    * ``axis``: which axis the targets refer to; ``convention``/``origin`` as
      in :meth:`Network.table`.

    >>> from rfsym import Conv, Network
    >>> net = Network([Conv(kernel="k", name="c1"), Conv(kernel=3, stride=2, name="c2")])
    >>> solve(net, r=9).solutions
    [{'k': 7}]
    """
    targets, quantities, hole_count = _holes.split(targets, quantities)
    if hole_count is not None:  # holes = 0 / dense / even: filters on the other targets' complete set
        options = dict(at=at, unknowns=unknowns, given=given, domains=domains, input=input, exact=exact,
                       minimize=minimize, count=count, limit=limit, nearest=nearest, axis=axis, convention=convention,
                       origin=origin, progress=progress, **quantities)  # fmt: skip
        return _holes.solve_with_holes(net, hole_count, lambda n, **o: solve(n, targets, **o), options)
    _check_options(net, at, exact, minimize, count, limit, nearest, axis, convention, progress)
    origin = parse_origin(origin)
    if isinstance(net, Graph):
        return _solve_graph(
            net, targets, quantities, at, unknowns, given, domains, input, exact, minimize, count, limit, nearest, axis,
            convention, origin,
        )  # fmt: skip
    return _solve_network(
        net, targets, quantities, at, unknowns, given, domains, input, exact, minimize, count, limit, nearest, axis,
        convention, origin, progress,
    )  # fmt: skip


def _solve_network(  # type: ignore[no-untyped-def]
    net, targets, quantities, at, unknowns, given, domains, input, exact, minimize, count, limit, nearest, axis,
    convention, origin, progress,
) -> SolveResult:  # fmt: skip
    """solve() on a sequential network: numeric answers by the dynamic programme, symbolic ones by sympy."""
    net = _with_given(net, given)
    if input is not None:
        net = Network(net.layers, input=input, name=net.name, symbols=net.symbols)
    _check_axis(net, axis)
    syms = symbol_order(net)
    by_name = {s.name: s for s in syms}
    domains = dict(domains or {})
    _check_names(domains, by_name, net, "domains")
    unk = (
        [by_name[u] for u in _check_names(_names(unknowns), by_name, net, "unknowns")] if unknowns is not None else syms
    )
    tlist = _collect_targets(targets, quantities, at)
    _check_target_symbols(tlist, net, explicit=unknowns is not None)
    params = [s for s in syms if s not in unk]
    if any(t.symbolic for t in tlist) or params:
        from ._symbolic import solve_symbolic  # closed forms and sympy's solvers: only for symbolic answers

        return solve_symbolic(net, unk, params, tlist, axis=axis, convention=convention, origin=origin)
    doms = {s.name: make_domain(s, net.symbols.get(s.name), domains.get(s.name)) for s in unk}
    ctx = _Context(net, unk, doms, axis, convention, origin, exact, progress)
    res = ctx.solve(tlist, minimize, count, limit)
    if res.count == 0 and nearest:
        res.nearest = ctx.nearest(tlist, nearest)
    return res


def _solve_graph(  # type: ignore[no-untyped-def]
    g, targets, quantities, at, unknowns, given, domains, input, exact, minimize, count, limit, nearest, axis,
    convention, origin,
) -> SolveResult:  # fmt: skip
    """solve() on a graph template: finite domains, numeric targets (rfsym.solver._graph)."""
    from ._graph import graph_domains, graph_symbol_order, solve_graph

    if exact:
        raise RfsymError("exact=True is not supported on graphs yet")
    g = _with_given(g, given)
    if g.input is None and input is None:
        raise RfsymError(f"{g.name}: a graph solve needs an input size (the spec's 'input' or input=)")
    _check_axis(g, axis)
    syms = graph_symbol_order(g, include_input=input is None)
    if input is not None:
        extra = {s for v in g.axes_input(input) for s in getattr(v, "free_symbols", ())}
        syms += sorted((s for s in extra if s not in syms), key=str)
    by_name = {s.name: s for s in syms}
    domains = dict(domains or {})
    _check_names(domains, by_name, g, "domains")
    if unknowns is not None and set(_check_names(_names(unknowns), by_name, g, "unknowns")) != set(by_name):
        raise RfsymError(f"{g.name}: symbolic answers (unknowns=) are not supported on graphs; solve for every symbol")
    tlist = _collect_targets(targets, quantities, at)
    if any(t.symbolic for t in tlist):
        raise RfsymError(f"{g.name}: symbolic target values are not supported on graphs; give numbers")
    doms = graph_domains(g, syms, domains)
    return solve_graph(
        g, tlist, syms, doms, inp=input, axis=axis, convention=convention, origin=origin, minimize=minimize,
        count_only=count, limit=limit, nearest=nearest,
    )  # fmt: skip


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_options(  # type: ignore[no-untyped-def]
    net, at, exact, minimize, count, limit, nearest, axis, convention, progress
) -> None:
    """One-line errors for arguments of the wrong type or out of range, before any work."""
    if not isinstance(net, (Network, Graph)):
        raise RfsymError(f"solve works on networks and graphs (rfsym.Network, rfsym.Graph); got {type(net).__name__}")
    if convention not in ("framework", "seed"):
        raise RfsymError(f"convention must be framework or seed (got {convention!r})")
    if limit is not None and (not _is_int(limit) or limit < 0):
        raise RfsymError(f"limit must be a non-negative integer or None (got {limit!r})")
    if limit is not None and limit > MAX_LISTING:
        raise RfsymError(f"limit {limit} is above the listing limit of {MAX_LISTING} solutions; count them instead")
    ok = minimize in OBJECTIVES if isinstance(minimize, str) else (minimize is None or callable(minimize))
    if not ok:
        raise RfsymError(f"minimize must be one of {', '.join(OBJECTIVES)} or a callable (got {minimize!r})")
    for name, v in (("exact", exact), ("count", count)):
        if not isinstance(v, bool):
            raise RfsymError(f"{name} must be True or False (got {v!r})")
    if not _is_int(nearest) or nearest < 0:
        raise RfsymError(f"nearest must be a non-negative integer (got {nearest!r})")
    if not _is_int(axis) or axis < 0:
        raise RfsymError(f"axis must be a non-negative integer (got {axis!r})")
    if at is not None and not isinstance(at, str):
        raise RfsymError(f"at must be a layer name (got {at!r})")
    if progress is not None and not callable(progress):
        raise RfsymError(f"progress must be a callable (got {progress!r})")


def _check_axis(net: Network, axis: int) -> None:
    axes = max(net.ndim or 1, len(net.input or ()))
    if axis >= axes:
        raise RfsymError(f"axis {axis}: {net.name} has {axes} axis{'es' if axes > 1 else ''} (0 to {axes - 1})")


def _with_given(net: Network, given: Any) -> Network:
    if not given:
        return net
    if not isinstance(given, dict):
        raise RfsymError(f"given must be a dict of symbol names to integers (got {given!r})")
    free = {s.name for s in net.free_symbols}
    for name, v in given.items():
        if str(name) not in free:
            raise RfsymError(
                f"given: {name!r} is not a free symbol of {net.name} (free: {', '.join(sorted(free)) or 'none'})"
            )
        if not _is_int(v):
            raise RfsymError(f"given: {name} must be an integer (got {v!r})")
    return net.subs(given)


def _names(unknowns: Any) -> list[Any]:
    if isinstance(unknowns, str):
        return [unknowns]
    if not isinstance(unknowns, (list, tuple, set, frozenset)):
        raise RfsymError(f"unknowns must be a symbol name or a list of names (got {unknowns!r})")
    return list(unknowns)


def _check_names(names: Any, by_name: dict[str, Any], net: Network, what: str) -> Any:
    for name in names:
        if not isinstance(name, str) or name not in by_name:
            raise RfsymError(
                f"{what}: {name!r} is not a free symbol of {net.name} (free: {', '.join(by_name) or 'none'})"
            )
    return names


def _check_target_symbols(tlist: list[Target], net: Network, explicit: bool) -> None:
    """A symbolic target value may only use symbols the network declares, unless the
    unknowns were chosen explicitly (then the other symbols are the answer's parameters)."""
    if explicit:
        return
    known = {s.name for s in net.free_symbols} | set(net.symbols)
    for t in tlist:
        if t.symbolic:
            new = sorted(s.name for s in t.value.free_symbols if s.name not in known)
            if new:
                raise RfsymError(
                    f"target {t.key} = {t.value}: {new[0]!r} is not a symbol of {net.name}; give a number, "
                    f"or declare {new[0]} under [symbols] (or choose the unknowns) to solve symbolically"
                )


class _Context:
    """One numeric solve: the network, its unknowns and their domains, and the evaluator."""

    def __init__(self, net, unk, doms, axis, convention, origin, exact, progress):  # type: ignore[no-untyped-def]
        self.net, self.unk, self.doms = net, unk, doms
        self.axis, self.convention, self.origin, self.exact = axis, convention, origin, exact
        self.progress = progress
        self.ev = Evaluator(net, axis, convention, origin, None)
        inner, _outer = _layer_symbols(net)
        self.inner = [s for s in unk if s in inner]
        self.outer = [s for s in unk if s not in inner]
        self.input_syms = {s for v in (net.input or ()) for s in getattr(v, "free_symbols", ())}
        self.has_input = net.input is not None and all(A.is_num(v) for v in net.input)
        self.ndim = net.ndim or 1
        self.shared: dict = {}  # concrete layers and coefficients, shared across DP runs
        self.bound_notes: list[str] = []

    # -- the main dispatch ------------------------------------------------------
    def solve(self, tlist: list[Target], minimize: Any, count_only: bool, limit: int | None) -> SolveResult:
        res = SolveResult(self.net.name, tuple(s.name for s in self.unk), tuple(tlist))
        if self.exact and self.net.input is None:
            raise RfsymError("exact=True needs an input size (the spec's 'input' or input=)")
        infinite = [s for s in self.unk if not self.doms[s.name].finite]
        if infinite and len(self.unk) == 1:
            if minimize is not None:
                raise RfsymError(f"minimize needs a finite domain; give {infinite[0].name} a max under [symbols]")
            return self._solve_one(res, tlist, limit, count_only)
        if infinite:
            saved = dict(self.doms)
            try:
                self._bound(infinite, tlist)
                res.notes.extend(self.bound_notes)
                return self._solve_finite(res, tlist, minimize, count_only, limit)
            finally:
                self.doms, self.bound_notes = saved, []
        return self._solve_finite(res, tlist, minimize, count_only, limit)

    def _solve_finite(
        self, res: SolveResult, tlist: list[Target], minimize: Any, count_only: bool, limit: int | None
    ) -> SolveResult:
        if callable(minimize):
            return self._solve_callable(res, tlist, minimize, count_only, limit)
        objective = minimize
        want = 0 if count_only else limit
        total, sols, optimum, ties = self._enumerate(tlist, objective, want)
        res.count = total
        res.method = "dynamic programming over layers" if self.inner else "enumeration"
        if objective is not None:
            res.minimize, res.optimum, res.ties = objective, optimum, (ties if total else 0)
        self._finish(res, sols, ties if objective is not None else total, count_only, limit)
        return res

    def _solve_callable(
        self, res: SolveResult, tlist: list[Target], minimize: Callable, count_only: bool, limit: int | None
    ) -> SolveResult:
        """Every solution listed, scored by the callable; the optimal ones kept."""
        n_all = self._enumerate(tlist, None, 0)[0]
        if n_all > 1_000_000:
            raise RfsymError(f"{n_all} solutions: too many for a callable objective; add targets or use depth/sum_k2")
        total, sols, _, _ = self._enumerate(tlist, None, None)
        res.count = total
        res.method = "dynamic programming over layers" if self.inner else "enumeration"
        res.minimize = getattr(minimize, "__name__", "callable")
        names = [s.name for s in self.unk]
        scored = [(minimize(dict(zip(names, s))), s) for s in _rows(sols)]
        res.ties = 0
        if scored:
            res.optimum = min(v for v, _ in scored)
            sols = [s for v, s in scored if v == res.optimum]
            res.ties = len(sols)
        self._finish(res, sols, res.ties, count_only, limit)
        return res

    def _finish(self, res: SolveResult, sols: list[tuple], wanted: int, count_only: bool, limit: int | None) -> None:
        """Sort a complete listing (value tuples in the unknowns' order), cut it at the limit,
        and say whether it is complete."""
        if isinstance(sols, list) and len(sols) == wanted and self.unk:
            sols.sort()  # (the programme's tree of paths lists them in order)
        rows: Any = [] if count_only else (sols if limit is None or len(sols) <= limit else sols[:limit])
        res.solutions = Solutions(tuple(s.name for s in self.unk), rows, ints=True)  # domain values: ints
        res.complete = not count_only and len(res.solutions) == wanted

    def _enumerate(
        self, tlist: list[Target], objective: str | None, want: int | None, carry: bool = False
    ) -> tuple[int, Any, Any, Any]:
        """(count, solutions, optimum, ties) over every value of the unknowns outside the layers
        (repeat counts, input sizes), with a dynamic programme for those inside."""
        total, optimum, ties = 0, None, 0
        sols: list[tuple] = []  # value tuples in the order of self.unk
        missing: RfsymError | None = None
        seen_layers = False
        # where each unknown's value comes from: the outer combination, or the DP's row
        source = [
            ("outer", self.outer.index(s)) if s in self.outer else ("inner", self.inner.index(s)) for s in self.unk
        ]
        identity = not self.outer and self.unk == self.inner
        for combo in itertools.product(*(self.doms[s.name].values() for s in self.outer)):
            oassign = {s.name: v for s, v in zip(self.outer, combo)}
            layers, n0 = self.ev.layers(oassign)
            try:
                pos = [(position(layers, t) - 1, t) for t in tlist]
            except RfsymError as e:  # a named layer inside a Repeat may exist only for larger counts
                missing = e
                continue
            seen_layers = True
            if any(p < 0 for p, _ in pos):
                raise RfsymError("targets at the input are not supported; name a layer")
            left = None if want is None else max(0, want - len(sols))
            cnt, found, best, nties = self._one_outer(oassign, layers, n0, pos, tlist, objective, left, want, carry)
            if not identity:
                found = [tuple(combo[i] if kind == "outer" else f[i] for kind, i in source) for f in _rows(found)]
            total += cnt
            if identity:  # one combination of (no) outer unknowns: the programme's listing as it is
                sols = found
                optimum, ties = (best, nties or 0) if objective is not None and cnt else (optimum, ties)
            elif objective is None:
                sols.extend(found)
            elif cnt and best is not None and (optimum is None or best < optimum):
                optimum, ties, sols = best, nties, found
            elif cnt and best == optimum:
                ties += nties or 0
                sols.extend(found)
        if not seen_layers and missing is not None:
            raise missing
        return total, sols, optimum, ties

    def _one_outer(  # type: ignore[no-untyped-def]
        self, oassign, layers, n0, pos, tlist, objective, left, want, carry
    ) -> tuple[int, Any, Any, Any]:
        """(count, solutions, optimum, ties) for one value of the outer unknowns (with carry,
        the target values reached are collected in ``_carried``)."""
        if not self.inner:
            ok = self.ev.check(oassign, tlist, self.exact)
            if ok and carry:
                vals = self.ev.values(oassign, tlist)
                self._carried.add(tuple(vals[t.key] for t in tlist))  # type: ignore[index]
            best = self._cost(layers, objective) if objective is not None and ok else None
            return (1, [()], best, 1 if best is not None else None) if ok else (0, [], None, None)
        r = solve_dp(
            layers,
            self.inner,
            self.doms,
            pos,
            n0 if isinstance(n0, int) else None,
            axis=self.axis,
            convention=self.convention,
            origin=self.origin,
            ndim=self.ndim,
            objective=objective,
            enumerate_limit=left if objective is None else want,
            exact=self.exact,
            shared=self.shared,
            progress=self.progress,
            carry=carry,
        )
        if carry:
            self._carried |= r.values or set()
        return r.count, r.solutions, r.optimum, r.ties

    def _cost(self, layers: list[Any], objective: str) -> Any:
        if objective == "depth":
            return sum(coefficients(lay, self.axis, self.convention, self.ndim).depth for lay in layers)
        return sum(weights_of(lay, self.axis, self.ndim) for lay in layers)

    # -- unbounded unknowns among several: a max from the targets or from validity ------
    def _bound(self, infinite: list[Any], tlist: list[Target]) -> None:
        """Give each unbounded unknown x a max: the first value beyond which the targets (or
        validity) fail for every value of the other unknowns.

        j, r and n are monotone in every unknown (``_monotone``), so each quantity is
        smallest (largest) with every other unknown at one end of its domain; x is
        bounded where even that extreme assignment fails.
        """
        dirs = {s.name: directions(self.net, s) for s in self.unk}
        for x in infinite:
            dom = self.doms[x.name]
            base = dom.first_at_least(dom.lo if dom.lo is not None else 0)
            is_times = any(role == "times" for _, role, _ in occurrences(self.net, x))
            cap = value_cap(x, base, dom.step, is_times)
            firsts = [f for f in self._bound_searches(x, base, cap, dirs, tlist) if f is not None]
            if not firsts:
                raise RfsymError(
                    f"{x.name} has an unbounded domain and the targets do not bound it (no upper bound on r or j, "
                    f"nor the output size, is exceeded up to {x.name} = {base + dom.step * cap} for any value of "
                    f"the others); give {x.name} a max under [symbols]"
                )
            hi = base + dom.step * (min(firsts) - 1)
            self.doms[x.name] = Domain(dom.name, dom.lo, hi, dom.step, dom.offset)
            self.bound_notes.append(f"{x.name} <= {hi}: beyond it the targets fail for every value of the others")

    def _bound_searches(  # type: ignore[no-untyped-def]
        self, x, base, cap, dirs, tlist
    ) -> Iterator[int | None]:
        """For each bound that grows monotonically in x, the first index t (x = base + step t) beyond it."""
        dom = self.doms[x.name]
        for tg in tlist:
            d = dirs[x.name].of(tg.quantity)
            if tg.quantity not in ("r", "j") or not d or (tg.hi if d > 0 else tg.lo) is None:
                continue
            low = self._extreme(x, tg.quantity, -d, dirs)  # the others where q is smallest (d > 0) / largest
            if low is None:
                continue
            part = "hi" if d > 0 else "lo"

            def fails(t: int, tg: Target = tg, low: dict = low, part: str = part) -> bool:
                layers = self._layers_or_none({**low, x.name: base + dom.step * t})
                if layers is None:
                    return True
                sts = run(layers, None, self.axis, self.convention, self.origin)  # r, j: any input size
                v = state_value(sts[position(layers, tg)], tg.quantity)  # type: ignore[index]
                return not (tg.holds_hi(v) if part == "hi" else tg.holds_lo(v))

            yield smallest(fails, 0, cap).value
        if self.has_input and dirs[x.name].n == -1:
            wide = self._extreme(x, "n", 1, dirs)  # the others where every n is largest
            if wide is not None:

                def empty(t: int, wide: dict = wide) -> bool:
                    assignment = {**wide, x.name: base + dom.step * t}
                    return self._layers_or_none(assignment) is None or self.ev.states(assignment)[1] is None

                yield smallest(empty, 0, cap).value

    def _layers_or_none(self, assignment: dict[str, int]) -> list[Any] | None:
        """The numeric layers, or None when a layer refuses the values (e.g. an effective kernel
        above the limit of 2**64): no solution lies there, nor beyond, since parameters only grow."""
        try:
            return self.ev.layers(assignment)[0]
        except RfsymError:
            return None

    def _extreme(self, x: Any, q: str, sign: int, dirs: dict[str, Directions]) -> dict[str, int] | None:
        """The other unknowns at the end of their domains where q is largest (sign 1) or
        smallest (-1); None when some direction is unknown or that end is unbounded."""
        out: dict[str, int] = {}
        for s in self.unk:
            if s is x:
                continue
            dom, d = self.doms[s.name], dirs[s.name].of(q)
            if d is None:
                return None
            if dom.choices:
                out[s.name] = dom.choices[-1] if d * sign > 0 else dom.choices[0]
            elif d * sign > 0:
                if dom.hi is None:
                    return None
                out[s.name] = dom.hi - (dom.hi - dom.offset) % dom.step
            else:
                out[s.name] = dom.first_at_least(dom.lo if dom.lo is not None else 0)
        return out

    # -- one unknown with an unbounded domain --------------------------------------
    def _solve_one(self, res: SolveResult, tlist: list[Target], limit: int | None, count_only: bool) -> SolveResult:
        x = self.unk[0]
        dom = self.doms[x.name]
        if x in self.input_syms:
            return self._solve_input(res, x, dom, tlist, limit, count_only)
        if self.exact:
            raise RfsymError(f"exact=True with an unbounded unknown ({x.name}): give it a max under [symbols]")
        dirs = directions(self.net, x)
        valid_dir: int | None = dirs.n if self.has_input else 0
        if self.has_input and dirs.times is not None:
            valid_dir = times_size_direction(self.net, dirs.times, self.axis, self.convention, self.origin)
        why = dirs.why or next(
            (f"r and j are not both monotone in {x.name}" for t in tlist if dirs.of(t.quantity) is None), None
        )
        if why is None and any(t.quantity not in ("r", "j") for t in tlist):
            why = "the targets are not all on r or j"
        if why is None and valid_dir is None:
            why = f"the output sizes are not monotone in {x.name}"
        base = dom.first_at_least(dom.lo if dom.lo is not None else 0)
        if why is None and dirs.times is not None and base + TIMES_CAP > MAX_UNROLL:
            why = f"{x.name} >= {base} unrolls more than {MAX_UNROLL} layers"
        if why is not None:
            return self._solve_one_sympy(res, x, dom, tlist, limit, count_only, why)
        a, b, notes = solve_monotone(self.ev, x, dom, tlist, dirs, valid_dir)
        res.notes.extend(notes)
        res.method = "monotone bracketing"
        if b is not None and b < a:
            res.count = 0
            return res
        prog = to_progressions(x, dom, a, b)
        if b is None:
            res.count, res.parametric, res.complete = None, [prog], False
            res.solutions = [] if count_only else [{x.name: v} for v in prog.values(min(limit or 0, 10))]
            return res
        res.count = b - a + 1
        if limit is None and res.count > MAX_LISTING and not count_only:
            raise RfsymError(_too_many(res.count))
        vals = prog.values(res.count if limit is None else min(limit, res.count))
        res.solutions = [] if count_only else [{x.name: v} for v in vals]
        res.complete = not count_only and len(res.solutions) == res.count
        if res.count > (limit or 0):
            res.parametric = [prog]
        return res

    def _solve_input(  # type: ignore[no-untyped-def]
        self, res: SolveResult, x, dom: Domain, tlist: list[Target], limit: int | None, count_only: bool
    ) -> SolveResult:
        vals, progs, cnt, notes = solve_input(self.ev, x, dom, tlist, self.exact, limit)
        res.method = "input sizes: monotone n, periodic divisions"
        res.notes.extend(notes)
        res.count = cnt
        if progs:
            res.parametric = progs
            res.complete = False
            listed = sorted(v for p in progs for v in p.values(10))
            res.solutions = [] if count_only else [{x.name: v} for v in listed[: min(limit or 0, 10)]]
        else:
            res.solutions = [] if count_only else [{x.name: v} for v in (vals if limit is None else vals[:limit])]
            res.complete = not count_only and len(res.solutions) == cnt
        return res

    def _solve_one_sympy(
        self, res: SolveResult, x: Any, dom: Domain, tlist: list[Target], limit: int | None, count_only: bool, why: str
    ) -> SolveResult:
        """Closed forms solved by sympy; every candidate checked with the transfer functions."""
        from ._symbolic import solve_one_sympy

        try:
            head, tail = solve_one_sympy(
                self.net, x, dom.lo, dom.hi, tlist, axis=self.axis, convention=self.convention, origin=self.origin
            )
        except RfsymError as e:
            raise RfsymError(
                f"{x.name} has an unbounded domain, {why}, and the closed form cannot be solved ({e}); "
                f"give {x.name} a max under [symbols]"
            ) from None
        if tail is not None and self.has_input:
            raise RfsymError(
                f"{x.name}: the targets hold for every {x.name} >= {tail}, and validity for an unbounded "
                f"{x.name} cannot be decided here; give {x.name} a max under [symbols]"
            )
        vals = [v for v in head if self._in_domain(dom, v) and self.ev.check({x.name: v}, tlist, self.exact)]
        res.method = "closed form solved by sympy, integers checked with the transfer functions"
        if tail is None:
            res.count = len(vals)
            res.solutions = [] if count_only else [{x.name: v} for v in (vals if limit is None else vals[:limit])]
            res.complete = not count_only and len(res.solutions) == res.count
            return res
        first = dom.first_at_least(tail)
        prog = Progression(x.name, dom.step, first % dom.step, first // dom.step)
        res.count = None
        res.complete = False
        res.parametric = [Progression(x.name, dom.step, v % dom.step, v // dom.step, v // dom.step) for v in vals]
        res.parametric.append(prog)
        listed = vals + prog.values(10)
        res.solutions = [] if count_only else [{x.name: v} for v in listed[: min(limit or 0, 10)]]
        return res

    @staticmethod
    def _in_domain(dom: Domain, v: int) -> bool:
        if dom.choices is not None:
            return v in dom.choices
        return (dom.lo is None or v >= dom.lo) and (dom.hi is None or v <= dom.hi) and (v - dom.offset) % dom.step == 0

    # -- nearest achievable values -----------------------------------------------
    def nearest(self, tlist: list[Target], how_many: int) -> list[Nearest]:
        """Widen every target by the same amount w until something is achievable; then the
        distinct achievable target values within w, closest first, each with one assignment."""
        if not tlist:
            return []

        def achievable(w: int) -> bool:
            try:
                r = self.solve([t.widened(w) for t in tlist], None, True, 0)
            except RfsymError:
                return False
            return r.count is None or r.count > 0

        w = smallest(lambda t: achievable(1 << t), 0, 40).value
        if w is None:
            return []
        width = 1
        if w:
            width = smallest(achievable, (1 << (w - 1)) + 1, 1 << w).value or (1 << w)
        wide = [t.widened(width) for t in tlist]
        scored = sorted((max(t.distance(v) for t, v in zip(tlist, vals)), vals) for vals in self._reached(wide))
        out: list[Nearest] = []
        for dist, vals in scored[:how_many]:
            exact = [Target(t.quantity, v, v, t.at) for t, v in zip(tlist, vals)]
            found = self.solve(exact, None, False, 1)
            if found.solutions:
                out.append(Nearest({t.key: v for t, v in zip(tlist, vals)}, found.solutions[0], dist))
        return out

    def _reached(self, tlist: list[Target]) -> set[tuple]:
        """Every distinct tuple of target values that some assignment reaches."""
        infinite = [s for s in self.unk if not self.doms[s.name].finite]
        if infinite and len(self.unk) == 1:  # one unbounded unknown: its (few) listed solutions
            res = self.solve(tlist, None, False, NEAREST_LISTED)
            got = (self.ev.values(s, tlist) for s in res.solutions)
            return {tuple(v[t.key] for t in tlist) for v in got if v is not None}
        saved = dict(self.doms)
        try:
            if infinite:
                self._bound(infinite, tlist)
            self._carried: set[tuple] = set()
            self._enumerate(tlist, None, 0, carry=True)
            return self._carried
        finally:
            self.doms, self.bound_notes = saved, []


def _rows(found: Any) -> list[tuple]:
    """A listing as value tuples (the programme's tree of paths expanded)."""
    return found if isinstance(found, list) else found.rows()  # type: ignore[no-any-return]


def _too_many(count: int) -> str:
    return f"{count} solutions: above the listing limit of {MAX_LISTING}; count them (count=True) or give a limit"
