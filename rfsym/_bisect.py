"""The one "smallest (or largest) integer such that" search: exponential growth, then bisection.

Every question of the form "the smallest input size with a non-empty output",
"the smallest widening that has a solution", "the largest value still within a
target" goes through :func:`smallest` or :func:`largest`.  The predicate must be
monotone on ``[lo, cap]``; the search probes ``lo, lo + 1, lo + 2, lo + 4, …``
(never past ``cap``) until the predicate flips, then bisects the last step, so
it costs about ``2 log2(answer - lo)`` calls.  The cap is explicit: when the
predicate has not flipped by ``cap`` the result says so (``capped``) instead
of searching on.

>>> smallest(lambda x: x * x >= 50, lo=1, cap=1000)
Search(value=8, capped=False)
>>> smallest(lambda x: x > 10**6, lo=1, cap=1000)
Search(value=None, capped=True)
>>> largest(lambda x: x * x <= 50, lo=0, cap=1000)
Search(value=7, capped=False)
>>> largest(lambda x: True, lo=0, cap=1000)
Search(value=1000, capped=True)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

__all__ = ["Search", "largest", "smallest"]


class Search(NamedTuple):
    """The answer of a search.

    ``smallest``: ``value`` is the smallest x in [lo, cap] with pred(x), or None
    when pred(cap) is false (then ``capped`` is True: no answer up to the cap).
    ``largest``: ``value`` is the largest x in [lo, cap] with pred(x) (None when
    pred(lo) is false); ``capped`` is True when pred(cap) holds, i.e. the true
    largest value may lie beyond the cap.
    """

    value: int | None
    capped: bool


def _flip(pred: Callable[[int], bool], lo: int, cap: int, want: bool) -> tuple[int, int] | None:
    """(a, b) with pred(a) != want, pred(b) == want and b - a a power of two; None when pred(cap) != want.

    pred(lo) is known to differ from ``want``.
    """
    prev, step = lo, 1
    while True:
        nxt = min(lo + step, cap)
        if pred(nxt) == want:
            return prev, nxt
        if nxt >= cap:
            return None
        prev, step = nxt, step * 2


def _bisect(pred: Callable[[int], bool], a: int, b: int, want: bool) -> int:
    """The first x in (a, b] with pred(x) == want, given pred(a) != want and pred(b) == want."""
    while b - a > 1:
        mid = (a + b) // 2
        if pred(mid) == want:
            b = mid
        else:
            a = mid
    return b


def smallest(pred: Callable[[int], bool], lo: int, cap: int) -> Search:
    """The smallest integer x in [lo, cap] with pred(x), for pred false…false true…true."""
    if lo > cap:
        raise ValueError(f"empty search range [{lo}, {cap}]")
    if pred(lo):
        return Search(lo, False)
    span = _flip(pred, lo, cap, True)
    if span is None:
        return Search(None, True)
    return Search(_bisect(pred, span[0], span[1], True), False)


def largest(pred: Callable[[int], bool], lo: int, cap: int) -> Search:
    """The largest integer x in [lo, cap] with pred(x), for pred true…true false…false."""
    if lo > cap:
        raise ValueError(f"empty search range [{lo}, {cap}]")
    if not pred(lo):
        return Search(None, False)
    span = _flip(pred, lo, cap, False)
    if span is None:
        return Search(cap, True)
    return Search(_bisect(pred, span[0], span[1], False) - 1, False)
