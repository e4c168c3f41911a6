"""Dynamic programming over layers for unknowns with finite domains.

The state after a layer is the tuple of tracked quantities ``(n, j, r, start,
P)`` together with the values of the unknowns that are still *open* (used by
an earlier layer and by a later one).  Each layer is processed once for every
state and every value of the unknowns it introduces, so the work grows with
the number of distinct states, never with the product of the domains.

States that cannot reach a target any more are pruned with exact bounds from
the closed form of the remaining layers: for an affine quantity
``q_end = q + j * G`` with ``G = c_{l+1} + a_{l+1} (c_{l+2} + a_{l+2}(...))``,
and ``j_end = j * a_{l+1} a_{l+2} ...``; the smallest and largest G and
products over the remaining layers' options bound every completion.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .. import _arith as A
from ..errors import RfsymError
from ..layers import AxisState, Layer
from ._model import AFFINE_Q, QORDER, Coeffs, CoeffTemplate, Domain, coefficients, concrete, layer_key, weights_of
from .targets import Target

_QI = {q: i for i, q in enumerate(QORDER)}
INF = float("inf")
#: Limits, checked before the work they bound: values tried per layer, (state, value) pairs
#: per layer, solutions listed at once.
MAX_OPTIONS = 100_000
MAX_STEP = 20_000_000
MAX_LISTING = 10_000_000


@dataclass
class _Node:
    count: int = 0
    best: Any = INF
    ties: int = 0
    preds: list = field(default_factory=list)


@dataclass
class DPResult:
    count: int
    solutions: list[tuple] | PathTree  # value tuples in the order of the unknowns given to solve_dp
    optimum: Any = None
    ties: int | None = None
    states: int = 0
    values: set[tuple] | None = None  # with carry: the target values reached, in target order


class _Option:
    __slots__ = ("layer", "co", "fast", "cost")

    def __init__(self, layer: Layer, co: Coeffs, fast: bool, cost: Any):
        self.layer, self.co, self.fast, self.cost = layer, co, fast, cost


def solve_dp(
    layers: list[Layer],
    syms: list[Any],
    domains: dict[str, Domain],
    targets: list[tuple[int, Target]],
    n0: int | None,
    *,
    axis: int = 0,
    convention: str = "framework",
    origin: Any = 0,
    ndim: int = 1,
    objective: str | None = None,
    enumerate_limit: int | None = 0,
    exact: bool = False,
    shared: dict | None = None,
    progress: Callable[[str], None] | None = None,
    carry: bool = False,
) -> DPResult:
    """Count (and list up to ``enumerate_limit``) the assignments of ``syms`` meeting ``targets``.

    ``targets`` are (layer index, target) pairs; index ``len(layers) - 1`` is
    the output.  With ``objective`` ("depth" or "sum_k2") only optimal
    assignments are listed and ``optimum``/``ties`` are filled in.  With ``carry`` the
    states also carry the values of the targets passed, and ``values`` lists the
    distinct tuples of target values reached (for the nearest achievable values).
    """
    dp = _Programme(layers, syms, domains, targets, n0, axis, convention, ndim, objective, exact, shared, carry)
    want_preds = enumerate_limit is None or enumerate_limit > 0
    history, final, total_states = dp.forward(origin, want_preds, progress)
    count = sum(nd.count for nd in final.values())
    optimum = ties = None
    if objective is not None:
        optimum = min((nd.best for nd in final.values()), default=None)
        ties = sum(nd.ties for nd in final.values() if nd.best == optimum)
    sols: list[tuple] | PathTree = []
    if want_preds and final:
        history.append(final)
        listed = (ties or 0) if objective is not None else count
        if enumerate_limit is None and listed > MAX_LISTING:
            raise RfsymError(
                f"{listed} solutions: above the listing limit of {MAX_LISTING}; count them or give a limit"
            )
        sols = dp.listing(history, final, optimum, listed, enumerate_limit)
    values = None
    if carry:
        order = sorted(range(len(targets)), key=lambda t: (targets[t][0], t))  # carried in layer order
        values = set()
        for key in final:
            got = dict(zip(order, key[2]))
            values.add(tuple(got[t] for t in range(len(targets))))
    return DPResult(count, sols, optimum, ties, total_states, values)


class _Programme:
    """One dynamic programme: which unknowns each layer opens and closes, the options of
    every layer, the bounds of the remaining layers, and the forward pass over states."""

    def __init__(  # type: ignore[no-untyped-def]
        self, layers, syms, domains, targets, n0, axis, convention, ndim, objective, exact, shared, carry=False
    ) -> None:
        self.layers, self.syms, self.domains, self.targets = layers, syms, domains, targets
        self.n0, self.axis, self.convention, self.ndim = n0, axis, convention, ndim
        self.objective, self.exact = objective, exact
        self.shared = {} if shared is None else shared
        self.order = {s: i for i, s in enumerate(syms)}
        self.carry_at = [
            tuple(_QI[t.quantity] for pos, t in targets if pos == i) if carry else () for i in range(len(layers))
        ]
        self._schedule()
        self.track = {q: False for q in QORDER}
        self.track["j"] = True
        self.track["n"] = n0 is not None
        for _, t in targets:
            self.track[t.quantity] = True
        if n0 is None and any(t.quantity == "n" for _, t in targets):
            raise RfsymError("targets on n need an input size (give the spec an 'input' or pass input=)")
        L = len(layers)
        self.opt_cache: list[dict[tuple, _Option | None]] = [{} for _ in range(L)]
        self.lkeys = [layer_key(lay) for lay in layers]
        self.all_opts = [self._every_option(i) for i in range(L)]
        self.bound_tables = [self._bound_table(pos, t) for pos, t in targets]

    # -- which layer introduces and which layer last uses each unknown ------------
    def _schedule(self) -> None:
        syms, order, L = self.syms, self.order, len(self.layers)
        layer_syms = [sorted(lay.free_symbols & set(syms), key=order.__getitem__) for lay in self.layers]
        first: dict[Any, int] = {}
        last: dict[Any, int] = {}
        for i, ss in enumerate(layer_syms):
            for s in ss:
                first.setdefault(s, i)
                last[s] = i
        for s in syms:
            if s not in first:  # e.g. b in dilation b**(l-1) with a single copy: any value works
                first[s] = last[s] = 0
                layer_syms[0] = sorted([*layer_syms[0], s], key=order.__getitem__)
        self.layer_syms = layer_syms
        self._check_options()
        self.open_after = [tuple(s for s in syms if first[s] <= i < last[s]) for i in range(L)]
        self.new_at = [tuple(s for s in layer_syms[i] if first[s] == i) for i in range(L)]
        self.new_vals = [
            list(itertools.product(*(self.domains[s.name].values() for s in self.new_at[i]))) for i in range(L)
        ]

    def _check_options(self) -> None:
        """Refuse a layer with too many value combinations before any of them is built."""
        domains, layers = self.domains, self.layers
        self.n_options = [
            math.prod(domains[s.name].size() or 0 for s in self.layer_syms[i]) for i in range(len(layers))
        ]
        for i, n in enumerate(self.n_options):
            if n > MAX_OPTIONS:
                names = ", ".join(f"{s.name} ({domains[s.name].describe()})" for s in self.layer_syms[i])
                raise RfsymError(
                    f"{layers[i].label()}: {n} combinations of {names} to try, above the limit of {MAX_OPTIONS}; "
                    "narrow the domains or the targets"
                )

    # -- the options of a layer: concrete layer, coefficients, cost ---------------
    def _build(self, i: int, vals: tuple) -> tuple[Layer, Coeffs] | None:
        """The concrete layer and its coefficients; shared by identical layers (copies of a block)."""
        axis, convention, shared, lsyms = self.axis, self.convention, self.shared, self.layer_syms[i]
        skey = (self.lkeys[i], axis, convention, tuple(s.name for s in lsyms), vals)
        if skey in shared:
            return shared[skey]  # type: ignore[no-any-return]
        lay = concrete(self.layers[i], dict(zip(lsyms, vals)))
        if lay is None:
            shared[skey] = None
            return None
        co = None
        if lsyms and self.n_options[i] > 4:  # many options: one symbolic run, then substitution
            tkey = ("template", self.lkeys[i], axis, convention)
            tmpl = shared.get(tkey)
            if tmpl is None:
                tmpl = shared[tkey] = CoeffTemplate(self.layers[i], axis, convention)
            got = tmpl.for_values(dict(zip(lsyms, vals)))
            if got is not None and all(got[1][q] is not None for q in AFFINE_Q if self.track[q]):
                a, c = got
                co = Coeffs(a, c, 0 if (a == 1 and c["r"] == 0) else 1, weights_of(lay, axis, self.ndim))
        if co is None:
            co = coefficients(lay, axis, convention, self.ndim)
        shared[skey] = (lay, co)
        return lay, co

    def option(self, i: int, vals: tuple) -> _Option | None:
        cache = self.opt_cache[i]
        if vals in cache:
            return cache[vals]
        built = self._build(i, vals)
        o = None
        if built is not None:
            lay, co = built
            track = self.track
            fast = all(co.c[q] is not None for q in AFFINE_Q if track[q])
            if not fast and not track["n"]:
                slow = ", ".join(q for q in AFFINE_Q if track[q] and co.c[q] is None)
                raise RfsymError(f"{lay.label()}: its effect on {slow} depends on the input size; give an input size")
            cost = 0
            if self.objective is not None:
                cost = co.depth if self.objective == "depth" else weights_of(lay, self.axis, self.ndim)
            o = _Option(lay, co, fast, cost)
        cache[vals] = o
        return o

    def _every_option(self, i: int) -> list[_Option]:
        lsyms = self.layer_syms[i]
        opts = []
        for vals in itertools.product(*(self.domains[s.name].values() for s in lsyms)):
            o = self.option(i, vals)
            if o is not None:
                opts.append(o)
        if not opts:
            raise RfsymError(
                f"{self.layers[i].label()}: no value of {', '.join(s.name for s in lsyms)} gives a valid layer"
            )
        return opts

    # -- bounds over the remaining layers (relaxation: every option of every layer) --
    def _bound_table(self, pos: int, t: Target) -> list[tuple[Any, Any] | None]:
        """tab[l] = (lo, hi) of the factor (j) or the added amount per unit jump (r, start, P)
        over the layers l+1 .. pos; None = unbounded."""
        q = t.quantity
        tab: list[tuple[Any, Any] | None] = [None] * len(self.layers)
        all_opts = self.all_opts
        if q == "j":
            lo = hi = 1
            tab[pos] = (1, 1)
            for m in range(pos, 0, -1):
                lo = lo * min(o.co.a for o in all_opts[m])
                hi = hi * max(o.co.a for o in all_opts[m])
                tab[m - 1] = (lo, hi)
        elif q in AFFINE_Q:
            glo: Any = 0
            ghi: Any = 0
            tab[pos] = (0, 0)
            for m in range(pos, 0, -1):
                if not all(o.co.c[q] is not None for o in all_opts[m]):
                    break
                glo = min(o.co.c[q] + o.co.a * glo for o in all_opts[m])
                ghi = max(o.co.c[q] + o.co.a * ghi for o in all_opts[m])
                tab[m - 1] = (glo, ghi)
        return tab

    def feasible(self, i: int, st: tuple) -> bool:
        """False when no completion of the state after layer i can meet some target."""
        for (pos, t), tab in zip(self.targets, self.bound_tables):
            if pos < i:
                continue
            v = st[_QI[t.quantity]]
            if pos == i:
                if not t.contains(v):
                    return False
                continue
            b = tab[i]
            if b is None:
                continue
            if t.quantity == "j":
                lo, hi = v * b[0], v * b[1]
            else:
                lo, hi = v + st[1] * b[0], v + st[1] * b[1]
            if (t.hi is not None and lo > t.hi) or (t.lo is not None and hi < t.lo):
                return False
        return True

    def apply(self, o: _Option, st: tuple) -> tuple | None:
        """The state after option o's layer (None: empty output, or a dropped feature with exact)."""
        n, j, r, s, P = st
        if self.track["n"]:
            n2 = self._n_out(o, n)
            if n2 < 1 or (self.exact and not n2 > self._n_out(o, n - 1)):
                return None
        else:
            n2 = n
        if not o.fast:
            out = o.layer.transfer(AxisState(n, j, r, s, P), self.axis, self.convention)
            return (n2, out.j, out.r, out.start, out.P)
        c, tr = o.co.c, self.track
        return (
            n2,
            A.norm(o.co.a * j),
            A.norm(r + c["r"] * j) if tr["r"] else r,
            A.norm(s + c["start"] * j) if tr["start"] else s,
            A.norm(P + c["effective_padding"] * j) if tr["effective_padding"] else P,
        )

    def _n_out(self, o: _Option, n: int) -> Any:
        n2 = o.co.ncache.get(n)
        if n2 is None:
            n2 = o.co.ncache[n] = o.layer.transfer(AxisState(n, 1, 1, 0, 0), self.axis, self.convention).n
        return n2

    # -- the forward pass ----------------------------------------------------------
    def forward(
        self, origin: Any, want_preds: bool, progress: Callable[[str], None] | None
    ) -> tuple[list[dict[tuple, _Node]], dict[tuple, _Node], int]:
        """Layer by layer, every state times every value of the unknowns the layer opens.
        Returns the states before each layer (with predecessors when listing), the final
        states (empty when some layer had none) and the number of states built."""
        init = (self.n0 if self.n0 is not None else 0, 1, 1, A.norm(origin) if self.track["start"] else 0, 0)
        cur: dict[tuple, _Node] = {(init, (), ()): _Node(1, 0, 1)}
        history: list[dict[tuple, _Node]] = []
        total_states, L = 0, len(self.layers)
        for i in range(L):
            nxt = self._step(i, cur, want_preds)
            total_states += len(nxt)
            if want_preds:
                history.append(cur)
            cur = nxt
            if progress is not None:
                progress(f"layer {i + 1}/{L}: {len(cur)} states")
            if not cur:
                break
        return history, cur, total_states

    def _step(self, i: int, cur: dict[tuple, _Node], want_preds: bool) -> dict[tuple, _Node]:
        if len(cur) * len(self.new_vals[i]) > MAX_STEP:
            raise RfsymError(
                f"{self.layers[i].label()}: {len(cur)} states times {len(self.new_vals[i])} values to try, above "
                f"the limit of {MAX_STEP}; narrow the domains or the targets"
            )
        nxt: dict[tuple, _Node] = {}
        before = self.open_after[i - 1] if i else ()
        lsyms, nsyms, after, carry = self.layer_syms[i], self.new_at[i], self.open_after[i], self.carry_at[i]
        option, apply, feasible, objective = self.option, self.apply, self.feasible, self.objective
        for key, node in cur.items():
            st, openv, carried = key
            known = dict(zip(before, openv))
            for nv in self.new_vals[i]:
                if nv:
                    known.update(zip(nsyms, nv))
                o = option(i, tuple(known[s] for s in lsyms))
                if o is None:
                    continue
                st2 = apply(o, st)
                if st2 is None or not feasible(i, st2):
                    continue
                key2 = (st2, tuple(known[s] for s in after), carried + tuple(st2[q] for q in carry))
                n2 = nxt.get(key2)
                if n2 is None:
                    n2 = nxt[key2] = _Node()
                n2.count += node.count
                if objective is not None:
                    c = node.best + o.cost
                    if c < n2.best:
                        n2.best, n2.ties = c, node.ties
                    elif c == n2.best:
                        n2.ties += node.ties
                if want_preds:
                    n2.preds.append((key, nv, o.cost))
        return nxt

    # -- listing the solutions -------------------------------------------------------
    def listing(
        self, history: list[dict], final: dict, optimum: Any, listed: int, limit: int | None
    ) -> list[tuple] | PathTree:
        """The solutions as value tuples in the order of ``syms`` (a PathTree: all of them, sorted)."""
        new_idx = [tuple(self.order[s] for s in self.new_at[i]) for i in range(len(self.layers))]
        sols: list[tuple] = []
        if listed <= 2_000_000 and (limit is None or limit >= listed):
            # every solution is wanted: build them as tuples, sharing suffixes (fast path)
            flat = [k for idx in new_idx for k in idx]  # tuple position -> unknown index
            if flat == sorted(flat):  # layer order is the unknowns' order: paths come out sorted
                return PathTree(history, final, optimum, listed, [[s.name for s in ss] for ss in self.new_at])
            rows = _all_paths(history, final, optimum)
            where = [flat.index(k) for k in range(len(self.syms))]
            return [tuple(row[w] for w in where) for row in rows]
        for path in _paths(history, final, optimum, new_idx, len(self.syms)):
            sols.append(tuple(path))
            if limit is not None and len(sols) >= limit:
                break
        return sols


class PathTree:
    """The wanted paths of a finished programme, as forward edges between the states on them.

    Lists them — as value tuples or as JSON lines — in lexicographic order of the layers' new
    values without sorting: the edges out of a state have distinct new values (a state and a
    value determine the next state), so expanding each state's edges in increasing order of
    their values, suffix lists shared, gives the paths in order.
    """

    def __init__(self, history: list[dict], final: dict, optimum: Any, count: int, names: list[list[str]]):
        L = len(history) - 1
        live = _live_states(history, final, optimum)
        fwd: list[dict[tuple, list[tuple[tuple, tuple]]]] = [{} for _ in range(L)]
        for i in range(L, 0, -1):
            for key, need in live[i].items():
                for pkey, nv, cost in history[i][key].preds:
                    if pkey in live[i - 1] and (optimum is None or history[i - 1][pkey].best + cost == need):
                        fwd[i - 1].setdefault(pkey, []).append((nv, key))
        for edges in fwd:
            for out in edges.values():
                out.sort(key=_first)
        self.fwd, self.final, self.count, self.names = fwd, list(live[L]), count, names

    def __len__(self) -> int:
        return self.count

    def _expand(self, leaf: Any, piece: Callable[[int, tuple], Any]) -> Iterator[list]:
        """The paths in order, in one list per edge out of the start (the full list is never built)."""
        suf: dict[tuple, list] = {key: [leaf] for key in self.final}
        for i in range(len(self.fwd) - 1, 0, -1):
            cur: dict[tuple, list] = {}
            for key, edges in self.fwd[i].items():
                out: list = []
                for nv, nxt in edges:
                    p = piece(i, nv)
                    out.extend([p + x for x in suf[nxt]] if p else suf[nxt])
                cur[key] = out
            suf = cur  # the later layer's lists are no longer needed
        for edges in self.fwd[0].values():  # one start state
            for nv, nxt in edges:
                p = piece(0, nv)
                yield [p + x for x in suf[nxt]] if p else suf[nxt]

    def rows(self) -> list[tuple]:
        """Every path as the tuple of its new values, in order."""
        return [row for part in self._expand((), lambda i, nv: nv) for row in part]

    def json_parts(self) -> Iterator[str]:
        """The paths as JSON objects ``{"k1": 3, "s1": 1, ...}`` (as the C encoder writes them), in
        order, one per line (``",\n    "`` between them), in a few parts."""
        first = next((i for i, ns in enumerate(self.names) if ns), None)
        if first is None:
            yield ",\n    ".join(["{}"] * self.count)
            return
        keys = [[json.dumps(n) + ": " for n in ns] for ns in self.names]

        def piece(i: int, nv: tuple) -> str:
            if not nv:
                return ""
            body = ", ".join([k + str(int(v)) for k, v in zip(keys[i], nv)])
            return ("{" if i == first else ", ") + body

        for part in self._expand("}", piece):
            yield ",\n    ".join(part)


def _first(edge: tuple) -> Any:
    return edge[0]


def _live_states(history: list[dict], final: dict, optimum: Any) -> list[dict[tuple, Any]]:
    """The states on a wanted path (optimal ones with an optimum), layer by layer, with their best cost."""
    L = len(history) - 1
    live: list[dict[tuple, Any]] = [dict() for _ in range(L + 1)]
    for key, node in final.items():
        if optimum is None or node.best == optimum:
            live[L][key] = node.best
    for i in range(L, 0, -1):
        for key, need in live[i].items():
            for pkey, _nv, cost in history[i][key].preds:
                prev = history[i - 1][pkey]
                if optimum is not None and prev.best + cost != need:
                    continue
                live[i - 1][pkey] = prev.best
    return live


def _all_paths(history: list[dict], final: dict, optimum: Any) -> list[tuple]:
    """Every path from the start to the final states (optimal ones only with an optimum), as the
    concatenation of the layers' new values in layer order.

    ``pre[key]`` at layer i lists the value tuples of the prefixes ending in that state; each
    prefix list is built once and shared by all its extensions.
    """
    L = len(history) - 1
    live = _live_states(history, final, optimum)  # which states lie on a wanted path
    pre: dict[tuple, list[tuple]] = {key: [()] for key in live[0]}
    for i in range(1, L + 1):
        nxt: dict[tuple, list[tuple]] = {}
        for key, need in live[i].items():
            out: list[tuple] = []
            for pkey, nv, cost in history[i][key].preds:
                if pkey not in pre:
                    continue
                if optimum is not None and history[i - 1][pkey].best + cost != need:
                    continue
                if nv:
                    out.extend([p + nv for p in pre[pkey]])
                else:
                    out.extend(pre[pkey])
            nxt[key] = out
        pre = nxt
    result: list[tuple] = []
    for key in sorted(pre, key=lambda k: (k[0], k[1])):
        result.extend(pre[key])
    return result


def _paths(history: list[dict], final: dict, optimum: Any, new_at: list[tuple], nsyms: int) -> Iterator[list[int]]:
    """All assignments (values by unknown index) along paths from the start to the final states.

    With an optimum only optimal paths are followed: an edge from ``prev`` with
    cost c lies on an optimal path to a node of best cost b iff prev.best + c == b.
    """
    L = len(history) - 1
    vals: list[Any] = [None] * nsyms
    for key in sorted(final, key=lambda k: (k[0], k[1])):
        node = final[key]
        if optimum is not None and node.best != optimum:
            continue
        # iterative depth-first search; stack of (layer index, iterator over edges)
        stack = [(L, iter(node.preds), node.best)]
        while stack:
            i, it, need = stack[-1]
            edge = next(it, None)
            if edge is None:
                stack.pop()
                continue
            pkey, nv, cost = edge
            prev = history[i - 1][pkey]
            if optimum is not None and prev.best + cost != need:
                continue
            for idx, v in zip(new_at[i - 1], nv):
                vals[idx] = v
            if i - 1 == 0:
                yield vals
            else:
                stack.append((i - 1, iter(prev.preds), prev.best))
