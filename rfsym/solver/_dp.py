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


@dataclass
class _Node:
    count: int = 0
    best: Any = INF
    ties: int = 0
    preds: list = field(default_factory=list)


@dataclass
class DPResult:
    count: int
    solutions: list[dict[str, int]]
    optimum: Any = None
    ties: int | None = None
    states: int = 0


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
) -> DPResult:
    """Count (and list up to ``enumerate_limit``) the assignments of ``syms`` meeting ``targets``.

    ``targets`` are (layer index, target) pairs; index ``len(layers) - 1`` is
    the output.  With ``objective`` ("depth" or "sum_k2") only optimal
    assignments are listed and ``optimum``/``ties`` are filled in.
    """
    L = len(layers)
    names = [s.name for s in syms]
    order = {s: i for i, s in enumerate(syms)}
    layer_syms = [sorted(lay.free_symbols & set(syms), key=order.__getitem__) for lay in layers]
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
    open_after = [tuple(s for s in syms if first[s] <= i < last[s]) for i in range(L)]
    new_at = [tuple(s for s in layer_syms[i] if first[s] == i) for i in range(L)]
    new_vals = [list(itertools.product(*(domains[s.name].values() for s in new_at[i]))) for i in range(L)]

    track = {q: False for q in QORDER}
    track["j"] = True
    track["n"] = n0 is not None
    for _, t in targets:
        track[t.quantity] = True
    if track["n"] is False and any(t.quantity == "n" for _, t in targets):
        raise RfsymError("targets on n need an input size (give the spec an 'input' or pass input=)")

    opt_cache: list[dict[tuple, _Option | None]] = [dict() for _ in range(L)]
    n_options = [math.prod(domains[s.name].size() or 0 for s in layer_syms[i]) for i in range(L)]

    shared = {} if shared is None else shared
    lkeys = [layer_key(lay) for lay in layers]

    def build(i: int, vals: tuple) -> tuple[Layer, Coeffs] | None:
        """The concrete layer and its coefficients; shared by identical layers (copies of a block)."""
        skey = (lkeys[i], axis, convention, tuple(s.name for s in layer_syms[i]), vals)
        if skey in shared:
            return shared[skey]  # type: ignore[no-any-return]
        lay = concrete(layers[i], dict(zip(layer_syms[i], vals)))
        if lay is None:
            shared[skey] = None
            return None
        co = None
        if layer_syms[i] and n_options[i] > 16:  # many options: one symbolic run, then substitution
            tkey = ("template", lkeys[i], axis, convention)
            tmpl = shared.get(tkey)
            if tmpl is None:
                tmpl = shared[tkey] = CoeffTemplate(layers[i], axis, convention)
            got = tmpl.for_values(dict(zip(layer_syms[i], vals)))
            if got is not None and all(got[1][q] is not None for q in AFFINE_Q if track[q]):
                a, c = got
                co = Coeffs(a, c, 0 if (a == 1 and c["r"] == 0) else 1, weights_of(lay, axis, ndim))
        if co is None:
            co = coefficients(lay, axis, convention, ndim)
        shared[skey] = (lay, co)
        return lay, co

    def option(i: int, vals: tuple) -> _Option | None:
        cache = opt_cache[i]
        if vals in cache:
            return cache[vals]
        built = build(i, vals)
        if built is None:
            cache[vals] = None
            return None
        lay, co = built
        fast = all(co.c[q] is not None for q in AFFINE_Q if track[q])
        if not fast and not track["n"]:
            raise RfsymError(
                f"{lay.label()}: its effect on {', '.join(q for q in AFFINE_Q if track[q] and co.c[q] is None)} "
                "depends on the input size; give an input size"
            )
        cost = 0 if objective is None else (co.depth if objective == "depth" else co.weights)
        o = _Option(lay, co, fast, cost)
        cache[vals] = o
        return o

    # -- bounds over the remaining layers (relaxation: every option of every layer) --
    all_opts: list[list[_Option]] = []
    for i in range(L):
        opts = []
        for vals in itertools.product(*(domains[s.name].values() for s in layer_syms[i])):
            o = option(i, vals)
            if o is not None:
                opts.append(o)
        if not opts:
            raise RfsymError(
                f"{layers[i].label()}: no value of {', '.join(s.name for s in layer_syms[i])} gives a valid layer"
            )
        all_opts.append(opts)

    # bounds[t][l] = {q: (lo, hi)} for the layers l+1 .. pos(t); None = unbounded
    bound_tables: list[list[tuple[Any, Any] | None]] = []
    for pos, t in targets:
        q = t.quantity
        tab: list[tuple[Any, Any] | None] = [None] * L
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
            ok = True
            for m in range(pos, 0, -1):
                if ok and all(o.co.c[q] is not None for o in all_opts[m]):
                    glo = min(o.co.c[q] + o.co.a * glo for o in all_opts[m])
                    ghi = max(o.co.c[q] + o.co.a * ghi for o in all_opts[m])
                    tab[m - 1] = (glo, ghi)
                else:
                    ok = False
        bound_tables.append(tab)

    def feasible(i: int, st: tuple) -> bool:
        for (pos, t), tab in zip(targets, bound_tables):
            if pos < i:
                continue
            q = t.quantity
            v = st[_QI[q]]
            if pos == i:
                if not t.contains(v):
                    return False
                continue
            b = tab[i]
            if b is None:
                continue
            if q == "j":
                lo, hi = v * b[0], v * b[1]
            else:
                j = st[1]
                lo, hi = v + j * b[0], v + j * b[1]
            if (t.hi is not None and lo > t.hi) or (t.lo is not None and hi < t.lo):
                return False
        return True

    tn, tr, ts, tp = track["n"], track["r"], track["start"], track["effective_padding"]

    def apply(o: _Option, st: tuple) -> tuple | None:
        n, j, r, s, P = st
        if tn:
            n2 = o.co.ncache.get(n)
            if n2 is None:
                n2 = o.layer.transfer(AxisState(n, 1, 1, 0, 0), axis, convention).n
                o.co.ncache[n] = n2
            if n2 < 1:
                return None
            if exact:
                key = ("below", n)
                m2 = o.co.ncache.get(key)
                if m2 is None:
                    m2 = o.layer.transfer(AxisState(n - 1, 1, 1, 0, 0), axis, convention).n
                    o.co.ncache[key] = m2
                if not n2 > m2:
                    return None
        else:
            n2 = n
        if o.fast:
            c = o.co.c
            return (
                n2,
                A.norm(o.co.a * j),
                A.norm(r + c["r"] * j) if tr else r,
                A.norm(s + c["start"] * j) if ts else s,
                A.norm(P + c["effective_padding"] * j) if tp else P,
            )
        out = o.layer.transfer(AxisState(n, j, r, s, P), axis, convention)
        return (n2, out.j, out.r, out.start, out.P)

    init = (n0 if n0 is not None else 0, 1, 1, A.norm(origin) if track["start"] else 0, 0)
    want_preds = enumerate_limit is None or enumerate_limit > 0
    cur: dict[tuple, _Node] = {(init, ()): _Node(1, 0, 1)}
    history: list[dict[tuple, _Node]] = []
    total_states = 0
    for i in range(L):
        nxt: dict[tuple, _Node] = {}
        before = open_after[i - 1] if i else ()
        lsyms = layer_syms[i]
        nsyms = new_at[i]
        after = open_after[i]
        for key, node in cur.items():
            st, openv = key
            known = dict(zip(before, openv))
            for nv in new_vals[i]:
                if nv:
                    known.update(zip(nsyms, nv))
                o = option(i, tuple(known[s] for s in lsyms))
                if o is None:
                    continue
                st2 = apply(o, st)
                if st2 is None or not feasible(i, st2):
                    continue
                key2 = (st2, tuple(known[s] for s in after))
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
        total_states += len(nxt)
        if want_preds:
            history.append(cur)
        cur = nxt
        if progress is not None:
            progress(f"layer {i + 1}/{L}: {len(cur)} states")
        if not cur:
            break

    final = cur  # empty when the loop stopped early
    count = sum(nd.count for nd in final.values())
    optimum = ties = None
    if objective is not None:
        if final:
            optimum = min(nd.best for nd in final.values())
            ties = sum(nd.ties for nd in final.values() if nd.best == optimum)
        else:
            ties = 0
    sols: list[dict[str, int]] = []
    if want_preds and final:
        history.append(final)
        limit = enumerate_limit
        new_idx = [tuple(order[s] for s in new_at[i]) for i in range(L)]
        listed = (ties or 0) if objective is not None else count
        if listed <= 2_000_000 and (limit is None or limit >= listed):
            # every solution is wanted: build them as tuples, sharing suffixes (fast path)
            flat = [names[k] for i in range(L) for k in new_idx[i]]
            for tup in _all_paths(history, final, optimum if objective is not None else None):
                sols.append(dict(zip(flat, tup)))
        else:
            for path in _paths(history, final, optimum if objective is not None else None, new_idx, len(syms)):
                sols.append(dict(zip(names, path)))
                if limit is not None and len(sols) >= limit:
                    break
    return DPResult(count, sols, optimum, ties, total_states)


def _all_paths(history: list[dict], final: dict, optimum: Any) -> list[tuple]:
    """Every path from the start to the final states (optimal ones only with an optimum), as the
    concatenation of the layers' new values in layer order.

    ``pre[key]`` at layer i lists the value tuples of the prefixes ending in that state; each
    prefix list is built once and shared by all its extensions.
    """
    L = len(history) - 1
    # which states lie on a wanted path: walk back from the final states
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
