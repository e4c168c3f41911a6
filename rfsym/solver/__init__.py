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
from collections.abc import Callable
from fractions import Fraction
from operator import itemgetter
from typing import Any

from .. import _arith as A
from ..errors import RfsymError
from ..layers import Repeat
from ..network import Network, parse_origin
from ._dp import solve_dp
from ._model import Domain, make_domain, symbol_order
from ._search import Evaluator, check_monotone, position, solve_input, solve_monotone, to_progressions
from .result import Condition, Nearest, Progression, SolveResult
from .targets import QUANTITIES, Target, check_targets, parse_target, parse_target_string

__all__ = [
    "Condition",
    "Nearest",
    "Progression",
    "SolveResult",
    "Target",
    "parse_target",
    "parse_target_string",
    "solve",
]

OBJECTIVES = ("depth", "sum_k2")
DEFAULT_LIMIT = 10_000


def _collect_targets(targets: Any, kw: dict[str, Any], at: str | None) -> list[Target]:
    out: list[Target] = []
    items: list[tuple[str, Any]] = []
    if targets is not None:
        if isinstance(targets, dict):
            items.extend(targets.items())
        elif isinstance(targets, (str, Target)):
            targets = [targets]
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
    if not isinstance(net, Network):
        raise RfsymError(
            f"solve works on sequential networks (rfsym.Network); got {type(net).__name__} "
            "(networks with branches are not supported yet)"
        )
    convention = convention if convention in ("framework", "seed") else _bad_convention(convention)
    origin = parse_origin(origin)
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
        raise RfsymError(f"limit must be a non-negative integer or None (got {limit!r})")
    tlist = _collect_targets(targets, quantities, at)
    if given:
        free = {s.name for s in net.free_symbols}
        for name, v in given.items():
            if str(name) not in free:
                raise RfsymError(
                    f"given: {name!r} is not a free symbol of {net.name} (free: {', '.join(sorted(free)) or 'none'})"
                )
            if not isinstance(v, int) or isinstance(v, bool):
                raise RfsymError(f"given: {name} must be an integer (got {v!r})")
        net = net.subs(given)
    if input is not None:
        net = Network(net.layers, input=input, name=net.name, symbols=net.symbols)
    syms = symbol_order(net)
    by_name = {s.name: s for s in syms}
    domains = dict(domains or {})
    for name in domains:
        if name not in by_name:
            raise RfsymError(
                f"domains: {name!r} is not a free symbol of {net.name} (free: {', '.join(by_name) or 'none'})"
            )
    if unknowns is not None:
        names = [unknowns] if isinstance(unknowns, str) else list(unknowns)
        for u in names:
            if u not in by_name:
                raise RfsymError(
                    f"unknowns: {u!r} is not a free symbol of {net.name} (free: {', '.join(by_name) or 'none'})"
                )
        unk = [by_name[u] for u in names]
    else:
        unk = list(syms)
    if isinstance(minimize, str) and minimize not in OBJECTIVES:
        raise RfsymError(f"minimize must be one of {', '.join(OBJECTIVES)} or a callable (got {minimize!r})")
    if minimize is not None and not isinstance(minimize, str) and not callable(minimize):
        raise RfsymError(f"minimize must be one of {', '.join(OBJECTIVES)} or a callable (got {minimize!r})")
    params = [s for s in syms if s not in unk]
    if any(t.symbolic for t in tlist) or params:
        from ._symbolic import solve_symbolic

        return solve_symbolic(net, unk, params, tlist, axis=axis, convention=convention, origin=origin)
    doms = {s.name: make_domain(s, net.symbols.get(s.name), domains.get(s.name)) for s in unk}
    ctx = _Context(net, unk, doms, axis, convention, origin, exact, progress)
    res = ctx.solve(tlist, minimize, count, limit)
    if res.count == 0 and nearest:
        res.nearest = ctx.nearest(tlist, nearest)
    return res


def _bad_convention(c: Any) -> str:
    raise RfsymError(f"convention must be framework or seed (got {c!r})")


class _Context:
    def __init__(self, net, unk, doms, axis, convention, origin, exact, progress):  # type: ignore[no-untyped-def]
        self.net, self.unk, self.doms = net, unk, doms
        self.axis, self.convention, self.origin, self.exact = axis, convention, origin, exact
        self.progress = progress
        self.ev = Evaluator(net, axis, convention, origin, None)
        inner, outer = _layer_symbols(net)
        self.inner = [s for s in unk if s in inner]
        self.outer = [s for s in unk if s not in inner]
        self.input_syms = {s for v in (net.input or ()) for s in getattr(v, "free_symbols", ())}
        self.ndim = net.ndim or 1
        self.shared: dict = {}  # concrete layers and coefficients, shared across DP runs

    # -- the main dispatch ------------------------------------------------------
    def solve(self, tlist: list[Target], minimize: Any, count_only: bool, limit: int | None) -> SolveResult:
        names = tuple(s.name for s in self.unk)
        res = SolveResult(self.net.name, names, tuple(tlist))
        if self.exact and self.net.input is None:
            raise RfsymError("exact=True needs an input size (the spec's 'input' or input=)")
        infinite = [s for s in self.unk if not self.doms[s.name].finite]
        objective = minimize if isinstance(minimize, str) else None
        if infinite:
            if len(self.unk) == 1:
                if minimize is not None:
                    raise RfsymError(f"minimize needs a finite domain; give {infinite[0].name} a max under [symbols]")
                return self._solve_one(res, tlist, limit, count_only)
            self._bound(infinite, tlist)
            res.notes.extend(self.bound_notes)
        if callable(minimize):
            n_all = self._enumerate(tlist, None, 0)[0]
            if n_all > 1_000_000:
                raise RfsymError(
                    f"{n_all} solutions: too many for a callable objective; add targets or use depth/sum_k2"
                )
        want = 0 if count_only else (None if callable(minimize) else limit)
        total, sols, optimum, ties = self._enumerate(tlist, objective, want)
        res.count = total
        res.method = "dynamic programming over layers" if self.inner else "enumeration"
        if callable(minimize):
            scored = [(minimize(dict(s)), s) for s in sols]
            if scored:
                optimum = min(v for v, _ in scored)
                best = [s for v, s in scored if v == optimum]
                ties = len(best)
                sols = best
            res.minimize = getattr(minimize, "__name__", "callable")
        elif minimize is not None:
            res.minimize = minimize
        if minimize is not None:
            res.optimum, res.ties = optimum, (ties if total else 0)
        if len(sols) == (ties if minimize is not None else total):
            if self.unk:
                sols = sorted(sols, key=itemgetter(*(s.name for s in self.unk)))
        shown = sols if limit is None or count_only else sols[:limit]
        res.solutions = [] if count_only else shown
        res.complete = not count_only and len(res.solutions) == (ties if minimize is not None else total)
        return res

    def _enumerate(self, tlist: list[Target], objective: str | None, want: int | None) -> tuple[int, list, Any, Any]:
        outer_vals = [self.doms[s.name].values() for s in self.outer]
        total = 0
        missing: RfsymError | None = None
        seen_layers = False
        sols: list[dict[str, int]] = []
        optimum: Any = None
        ties: Any = 0
        for combo in itertools.product(*outer_vals):
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
            if self.inner:
                left = None if want is None else max(0, want - len(sols))
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
                )
                cnt, found, best, nties = r.count, r.solutions, r.optimum, r.ties
            else:
                ok = self.ev.check(oassign, tlist, self.exact)
                cnt, found = (1, [{}]) if ok else (0, [])
                best, nties = None, None
                if objective is not None and ok:
                    best, nties = self._cost(layers, objective), 1
            if oassign:
                found = [{**oassign, **f} for f in found]
            if [s.name for s in self.unk] != [s.name for s in self.inner]:
                found = [{s.name: f[s.name] for s in self.unk} for f in found]
            total += cnt
            if objective is not None:
                if cnt and best is not None and (optimum is None or best < optimum):
                    optimum, ties, sols = best, nties, found
                elif cnt and best == optimum:
                    ties += nties or 0
                    sols.extend(found)
            else:
                sols.extend(found)
        if not seen_layers and missing is not None:
            raise missing
        return total, sols, optimum, ties

    def _bound(self, infinite: list[Any], tlist: list[Target]) -> None:
        """Give unbounded unknowns a max: the largest value that the targets' upper bounds
        (or validity) allow with every other unknown at its smallest value.

        r and j never decrease in a kernel, stride, dilation or repeat count, and
        n never increases in a kernel, stride or dilation, so no solution lies
        beyond that value.
        """
        from ._search import VALUE_CAP, _first_true, occurrences

        self.bound_notes = []
        low = {
            s.name: (
                self.doms[s.name].choices[0]
                if self.doms[s.name].choices
                else self.doms[s.name].first_at_least(self.doms[s.name].lo if self.doms[s.name].lo is not None else 0)
            )
            for s in self.unk
        }
        has_input = self.net.input is not None and all(A.is_num(v) for v in self.net.input)
        for x in infinite:
            why = check_monotone(self.net, x)
            if why is not None:
                raise RfsymError(f"{x.name} has an unbounded domain and {why}; give {x.name} a max under [symbols]")
            dom = self.doms[x.name]
            base = low[x.name]
            is_times = any(role == "times" for _, role, _, _ in occurrences(self.net, x))
            cap = ((1 << 12) if is_times else VALUE_CAP) // dom.step

            def too_big(t: int, x: Any = x, base: int = base, dom: Domain = dom, is_times: bool = is_times) -> bool:
                sts = self.ev.states({**low, x.name: base + dom.step * t})
                layers, states = sts[0], sts[1]
                if states is None:
                    return has_input and not is_times
                for tg in tlist:
                    if tg.quantity in ("r", "j") and tg.hi is not None:
                        from ._model import state_value

                        if state_value(states[position(layers, tg)], tg.quantity) > tg.hi:
                            return True
                return False

            first = _first_true(too_big, 0, cap)
            if first is None:
                raise RfsymError(
                    f"{x.name} has an unbounded domain and the targets do not bound it (with the other unknowns "
                    f"at their smallest values, no upper bound on r or j is exceeded up to {x.name} = "
                    f"{base + dom.step * cap}); give {x.name} a max under [symbols]"
                )
            hi = base + dom.step * (first - 1)
            self.doms[x.name] = Domain(dom.name, dom.lo, hi, dom.step, dom.offset)
            self.bound_notes.append(
                f"{x.name} <= {hi}: beyond it the targets fail even with the other unknowns at their smallest values"
            )

    def _cost(self, layers: list[Any], objective: str) -> Any:
        from ._model import coefficients

        cs = [coefficients(lay, self.axis, self.convention, self.ndim) for lay in layers]
        return sum(c.depth if objective == "depth" else c.weights for c in cs)

    def _solve_one(self, res: SolveResult, tlist: list[Target], limit: int | None, count_only: bool) -> SolveResult:
        x = self.unk[0]
        dom = self.doms[x.name]
        if x in self.input_syms:
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
        if self.exact:
            raise RfsymError(f"exact=True with an unbounded unknown ({x.name}): give it a max under [symbols]")
        why = check_monotone(self.net, x)
        if why is None and any(t.quantity not in ("r", "j") for t in tlist):
            why = "the targets are not all on r or j"
        if why is not None:
            return self._solve_one_sympy(res, x, dom, tlist, limit, count_only, why)
        a, b, notes = solve_monotone(self.ev, x, dom, tlist)
        res.notes.extend(notes)
        res.method = "monotone bracketing"
        if b is not None and b < a:
            res.count = 0
            return res
        prog = to_progressions(x, dom, a, b)
        if b is None:
            res.count = None
            res.parametric = [prog]
            res.complete = False
            res.solutions = [] if count_only else [{x.name: v} for v in prog.values(min(limit or 0, 10))]
            return res
        res.count = b - a + 1
        vals = prog.values(res.count if limit is None else min(limit, res.count))
        res.solutions = [] if count_only else [{x.name: v} for v in vals]
        res.complete = not count_only and len(res.solutions) == res.count
        if res.count > (limit or 0):
            res.parametric = [prog]
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
        has_input = self.net.input is not None and all(A.is_num(v) for v in self.net.input)
        if tail is not None and has_input:
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
        res.parametric = [Progression(x.name, dom.step, v % dom.step, v // dom.step, v // dom.step) for v in vals] + [
            prog
        ]
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
        """Widen every target by the same amount w until something is achievable."""
        if not tlist:
            return []

        def achievable(w: int) -> SolveResult | None:
            wide = [t.widened(w) for t in tlist]
            try:
                r = self.solve(wide, None, False, max(how_many * 20, 50))
            except RfsymError:
                return None
            return r if (r.count is None or r.count > 0) else None

        w, found = 1, None
        while w <= 1 << 40:
            found = achievable(w)
            if found is not None:
                break
            w *= 2
        if found is None:
            return []
        lo_w, hi_w = w // 2, w
        while hi_w - lo_w > 1:
            mid = (lo_w + hi_w) // 2
            r = achievable(mid)
            if r is not None:
                hi_w, found = mid, r
            else:
                lo_w = mid
        out: list[Nearest] = []
        seen: set[tuple] = set()
        scored = []
        for s in found.solutions:
            vals = self.ev.values(s, tlist)
            if vals is None:
                continue
            dist = max(t.distance(vals[t.key]) for t in tlist)
            scored.append((dist, tuple(vals[t.key] for t in tlist), vals, s))
        scored.sort(key=lambda z: (z[0], z[1]))
        for dist, key, vals, s in scored:
            if key in seen:
                continue
            seen.add(key)
            out.append(Nearest(vals, s, dist))
            if len(out) >= how_many:
                break
        return out
