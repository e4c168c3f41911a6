"""Exact N-D connection counts, for graphs whose merges make the per-axis counts non-separable.

Every layer kind reads a product of per-axis index sets, so a layer's backward
step on an N-D vector is its 1-D step along each axis in turn; merges add
whole N-D vectors, which is why a graph's pixel count is a sum over paths of
products and not the product of the axes' counts.

An N-D vector is nested: ``(lo, [elements])`` along axis 0 whose elements are
(N-1)-D vectors, down to the 1-D lists of ints of :mod:`rfsym.coverage._engine`.
Along the inner axis the 1-D code runs as is; along an outer axis the same
reading rules move whole sub-vectors, added with the inner axes' addition.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .. import _arith as A
from ..errors import RfsymError
from ..graph import INPUT
from . import _engine as E
from ._geometry import Step
from ._propagate import _hull_in

__all__ = ["CoverageND", "MAX_ND_WORK", "propagate_nd"]

#: Most element additions (pixels of the N-D vectors times taps) one N-D propagation may do.
MAX_ND_WORK = 2 * 10**8

EMPTY: E.Vec = (0, [])


def _add(x: E.Vec, y: E.Vec, depth: int) -> E.Vec:
    if depth == 1:
        return E.c_add(x, y)
    return E.c_merge(x, y, EMPTY, lambda u, v: _add(u, v, depth - 1))


def _trim(v: E.Vec) -> E.Vec:
    lo, vals = v
    a, b = 0, len(vals)
    while a < b and not vals[a][1]:
        a += 1
    while b > a and not vals[b - 1][1]:
        b -= 1
    return EMPTY if a == b else (lo + a, vals[a:b])


def _scale(v: E.Vec, w: Any, depth: int) -> E.Vec:
    if w == 1:
        return v
    lo, vals = v
    if depth == 1:
        return (lo, [c * w for c in vals])
    return (lo, [_scale(e, w, depth - 1) for e in vals])


def _outer_step(v: E.Vec, st: Step, depth: int, weighted: bool = False) -> E.Vec:
    """The 1-D reading rule of ``st`` along the outer axis of a depth-``depth`` vector."""
    lo, vals = v
    acc: dict[int, E.Vec] = {}

    def put(i: int, e: E.Vec) -> None:
        old = acc.get(i)
        acc[i] = e if old is None else _add(old, e, depth - 1)

    for idx, e in enumerate(vals):
        if not e[1]:
            continue
        u = lo + idx
        if st.kind == "window":
            for t in range(st.k):
                put(u * st.s - st.pl + t * st.d, e)
        elif st.kind == "scatter":
            for t in range(st.k):
                q, r = divmod(u + st.pl - t * st.d, st.s)
                if r == 0:
                    put(q, e)
        elif st.kind == "linear" and weighted:
            for src, w in E.linear_weights(u, st.s, st.n_in).items():
                put(src, _scale(e, w, depth - 1))
        elif st.kind == "linear":
            for src in E.linear_reads(u, st.s, st.n_in):
                put(src, e)
        else:
            put(u, e)
    if st.n_in is not None:
        acc = {i: e for i, e in acc.items() if 0 <= i < st.n_in}
    if not acc:
        return EMPTY
    a, b = min(acc), max(acc)
    return (a, [acc.get(i, EMPTY) for i in range(a, b + 1)])


def _step(v: E.Vec, sts: list[Step], weighted: bool = False) -> E.Vec:
    """One layer's backward step on an N-D vector (``sts``: its step on each axis, outer first)."""
    st, depth = sts[0], len(sts)
    if depth == 1:
        if st.kind == "window":
            v = E.c_window(v, st.k, st.s, st.pl, st.d)
        elif st.kind == "scatter":
            v = E.c_scatter(v, st.k, st.s, st.pl, st.d)
        elif st.kind == "linear":
            v = E.c_linear(v, st.s, st.n_in, weighted)
        return E.c_clip(v, st.n_in) if st.n_in is not None else E.c_trim(v)
    v = _outer_step(v, st, depth, weighted)
    lo, vals = v
    return _trim((lo, [_step(e, sts[1:], weighted) if e[1] else e for e in vals]))


def _work(plans: list[list[Step]], units: tuple[int, ...]) -> int:
    """Upper bound of the element additions: per node, the product of its hull widths times the taps."""
    hulls: list[dict[str, Any]] = [{p[-1].name: (u, u)} for p, u in zip(plans, units)]
    work = 0
    for i in range(len(plans[0]) - 1, -1, -1):
        sts = [p[i] for p in plans]
        hs: list[tuple[int, int]] = [h[sts[0].name] for h in hulls if h.get(sts[0].name) is not None]
        if len(hs) < len(hulls):
            continue
        widths = [h[1] - h[0] + 1 for h in hs]
        work += math.prod(widths) * sum(max(st.k, 2) for st in sts)
        for h, st, hh in zip(hulls, sts, hs):
            hin = _hull_in(st, hh)
            if hin is None:
                continue
            for x in st.inputs:
                old = h.get(x)
                h[x] = hin if old is None else (min(old[0], hin[0]), max(old[1], hin[1]))
    return work


def propagate_nd(
    plans: list[list[Step]], units: tuple[int, ...], where: str, weighted: bool = False
) -> tuple[tuple[int, ...], Any]:
    """(offset per axis, dense nested tuple of counts) of the unit over the input pixels."""
    from ._propagate import check_limits

    for plan, u in zip(plans, units):
        check_limits(plan, u, False, where)  # per axis: span and work
    work = _work(plans, units)
    if work > MAX_ND_WORK:
        raise RfsymError(f"{where}: the N-D counts need about {work} additions, above the limit of {MAX_ND_WORK}")
    depth = len(plans)
    start: E.Vec = (units[-1], [1])
    for u in reversed(units[:-1]):
        start = (u, [start])
    vec: dict[str, E.Vec] = {plans[0][-1].name: start}
    for i in range(len(plans[0]) - 1, -1, -1):
        sts = [p[i] for p in plans]
        v = vec.pop(sts[0].name, None)
        if v is None or not v[1]:
            continue
        v = _step(v, sts, weighted)
        for x in sts[0].inputs:
            old = vec.get(x)
            vec[x] = v if old is None else _add(old, v, depth)
    return _dense(vec.get(INPUT, EMPTY), depth)


def _bounds(v: E.Vec, depth: int) -> list[tuple[int, int]]:
    lo, vals = v
    here = (lo, lo + len(vals) - 1)
    if depth == 1:
        return [here]
    inner: list[tuple[int, int]] | None = None
    for e in vals:
        if e[1]:
            b = _bounds(e, depth - 1)
            inner = b if inner is None else [(min(p[0], q[0]), max(p[1], q[1])) for p, q in zip(inner, b)]
    return [here] + (inner or [])


def _fill(v: E.Vec, depth: int, box: list[tuple[int, int]]) -> Any:
    lo, vals = v
    a, b = box[0]
    if depth == 1:
        out = [0] * (b - a + 1)
        out[lo - a : lo - a + len(vals)] = vals
        return tuple(out)
    rows = []
    for i in range(a, b + 1):
        e = vals[i - lo] if 0 <= i - lo < len(vals) else EMPTY
        rows.append(_fill(e, depth - 1, box[1:]) if e[1] else _zeros(box[1:]))
    return tuple(rows)


def _zeros(box: list[tuple[int, int]]) -> Any:
    if len(box) == 1:
        return (0,) * (box[0][1] - box[0][0] + 1)
    return tuple(_zeros(box[1:]) for _ in range(box[0][1] - box[0][0] + 1))


def _dense(v: E.Vec, depth: int) -> tuple[tuple[int, ...], Any]:
    if not v[1]:
        return (), ()
    box = _bounds(v, depth)
    return tuple(a for a, _ in box), _fill(v, depth, box)


def _json(x: Any) -> Any:
    return [_json(e) for e in x] if isinstance(x, tuple) else A.to_json(x)


def _flat(x: Any) -> list[int]:
    if x and isinstance(x[0], tuple):
        return [c for row in x for c in _flat(row)]
    return list(x)


@dataclass(frozen=True)
class CoverageND:
    """Exact N-D counts of one unit: ``counts`` nested tuples (axis 0 outermost) over the box starting at
    ``offset``; a pixel outside the box has count 0."""

    name: str
    layer: str
    unit: tuple[int, ...]
    input: tuple[int | None, ...]
    offset: tuple[int, ...]
    counts: Any

    @property
    def shape(self) -> tuple[int, ...]:
        out, x = [], self.counts
        while isinstance(x, tuple) and x:
            out.append(len(x))
            x = x[0]
        return tuple(out)

    @property
    def total(self) -> int:
        return sum(_flat(self.counts))

    @property
    def n_holes(self) -> int:
        """Pixels of the box (the hull of the reached pixels) with count 0."""
        return sum(1 for c in _flat(self.counts) if c == 0)

    @property
    def dense(self) -> bool:
        return bool(self.offset) and self.n_holes == 0

    def at(self, pixel: tuple[int, ...]) -> int:
        """The count of one input pixel (0 outside the box)."""
        x = self.counts
        for p, o in zip(pixel, self.offset):
            if not 0 <= p - o < len(x):
                return 0
            x = x[p - o]
        return int(x)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "layer": self.layer,
            "unit": list(self.unit),
            "offset": list(self.offset),
            "shape": list(self.shape),
            "total": A.to_json(self.total),
            "dense": self.dense,
            "holes": self.n_holes,
            "counts": _json(self.counts),
        }
