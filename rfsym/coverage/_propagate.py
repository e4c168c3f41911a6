"""Walk the steps backwards from one unit: first the hulls and path bounds (to refuse huge work before
doing it), then the counts or the support."""

from __future__ import annotations

from typing import Any

from ..errors import RfsymError
from ..graph import INPUT
from . import _engine as E
from ._geometry import Step

#: Most work units (element-tap additions, one more per 1024 bits of the counts) one count propagation may
#: do: about 6 s here (additions run at C speed through map(operator.add), about 8e7 units/s).
MAX_COUNT_WORK = 5 * 10**8
#: Widest feature-map span (units) a support (hole) propagation may hold.
MAX_SUPPORT_WIDTH = 2**26
#: Widest span (units) a count propagation may hold (one list entry per unit).
MAX_COUNT_WIDTH = 2**24

Hull = tuple[int, int] | None


def _hull_in(st: Step, h: tuple[int, int]) -> Hull:
    lo, hi = h
    if st.kind == "window":
        lo, hi = lo * st.s - st.pl, hi * st.s - st.pl + st.d * (st.k - 1)
    elif st.kind == "scatter":
        lo, hi = -((st.d * (st.k - 1) - lo - st.pl) // st.s), (hi + st.pl) // st.s
    elif st.kind == "linear":
        lo, hi = (2 * lo + 1 - st.s) // (2 * st.s), (2 * hi + 1 - st.s) // (2 * st.s) + 1
    if st.n_in is not None:
        lo, hi = max(lo, 0), min(hi, st.n_in - 1)
    return (lo, hi) if lo <= hi else None


def bounds(steps: list[Step], unit: int) -> tuple[int, int, int]:
    """(count work, widest span, bits of the largest path total) for propagating from ``unit``."""
    hull: dict[str, Hull] = {steps[-1].name: (unit, unit)}
    total: dict[str, int] = {steps[-1].name: 1}
    work, widest = 0, 1
    for st in reversed(steps):
        h = hull.pop(st.name, None)
        t = total.pop(st.name, 0)
        if h is None:
            continue
        width = h[1] - h[0] + 1
        widest = max(widest, width)
        work += width * max(st.k if st.kind != "linear" else 2, 1)
        hin = _hull_in(st, h)
        if hin is None:
            continue
        widest = max(widest, hin[1] - hin[0] + 1)
        for x in st.inputs:
            old = hull.get(x)
            hull[x] = hin if old is None else (min(old[0], hin[0]), max(old[1], hin[1]))
            total[x] = total.get(x, 0) + t * st.fan
    bits = max(total.get(INPUT, 1), 1).bit_length()
    return work, widest, bits


def check_limits(steps: list[Step], unit: int, support: bool, where: str) -> None:
    work, widest, bits = bounds(steps, unit)
    if support:
        if widest > MAX_SUPPORT_WIDTH:
            raise RfsymError(
                f"{where}: the unit reaches a span of {widest} units, above the limit of {MAX_SUPPORT_WIDTH} for holes"
            )
        return
    if widest > MAX_COUNT_WIDTH:
        raise RfsymError(
            f"{where}: the unit reaches a span of {widest} units, above the limit of {MAX_COUNT_WIDTH} for counts"
        )
    cost = work * (1 + bits // 1024)
    if cost > MAX_COUNT_WORK:
        raise RfsymError(
            f"{where}: counting the paths needs about {cost} additions (span up to {widest} units, counts of up "
            f"to {bits} bits), above the limit of {MAX_COUNT_WORK}; holes(...) needs only the support"
        )


def propagate(steps: list[Step], unit: int, ops: dict[str, Any]) -> E.Vec:
    """The vector over input pixels (counts or support) of ``unit`` of the last step."""
    vec: dict[str, E.Vec] = {steps[-1].name: ops["unit"](unit)}
    for st in reversed(steps):
        v = vec.pop(st.name, None)
        if v is None or not v[1]:
            continue
        if st.kind == "window":
            v = ops["window"](v, st.k, st.s, st.pl, st.d)
        elif st.kind == "scatter":
            v = ops["scatter"](v, st.k, st.s, st.pl, st.d)
        elif st.kind == "linear":
            v = ops["linear"](v, st.s, st.n_in)
        v = ops["clip"](v, st.n_in) if st.n_in is not None else ops["trim"](v)
        for x in st.inputs:
            old = vec.get(x)
            vec[x] = v if old is None else ops["add"](old, v)
    out = vec.get(INPUT)
    return ops["trim"](out) if out is not None else ops["empty"]
