"""Backward propagation of path counts (or of their support) from one unit to the input.

A vector is ``(lo, values)``: the entry for unit ``lo + i`` of a feature map
is ``values[i]``.  Two kinds of values:

* counts: a list of Python ints (exact, however large; exact Fractions when
  bilinear upsampling passes its interpolation weights, :data:`WEIGHTED`);
* support: one Python int used as a bit mask (bit ``i`` set when unit
  ``lo + i`` is reached), for holes of very long stacks: shifts, ORs and
  string slicing run at C speed.

The backward step of each layer is written in terms of its per-unit reading
rule (see :mod:`rfsym.coverage._geometry`):

* ``window`` (convolution, pooling): output ``u`` reads inputs ``u s - pL + t d``;
* ``scatter`` (transposed convolution, nearest upsampling): input ``i`` writes
  outputs ``i s - pL + t d``, so output ``o`` reads the integer ``(o + pL - t d)/s``;
* ``linear`` (bilinear upsampling): output ``o`` reads ``floor(x)`` and
  ``floor(x) + 1`` (when ``x`` is not an integer), ``x = (2 o + 1 - s)/(2 s)``.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import add
from typing import Any

Vec = tuple[int, Any]  # (lo, list[int] | int mask)

EMPTY_COUNTS: Vec = (0, [])
EMPTY_SUPPORT: Vec = (0, 0)


# ---------------------------------------------------------------------------
# counts: lists of ints


def c_trim(v: Vec) -> Vec:
    lo, vals = v
    a, b = 0, len(vals)
    while a < b and not vals[a]:
        a += 1
    while b > a and not vals[b - 1]:
        b -= 1
    if a == b:
        return EMPTY_COUNTS
    return (lo + a, vals[a:b]) if a or b < len(vals) else v


def c_clip(v: Vec, n: int) -> Vec:
    lo, vals = v
    a = max(0, -lo)
    b = min(len(vals), n - lo)
    if b <= a:
        return EMPTY_COUNTS
    return c_trim((lo + a, vals[a:b]))


def c_add(x: Vec, y: Vec) -> Vec:
    return c_merge(x, y, 0, add)


def c_merge(x: Vec, y: Vec, zero: Any, plus: Callable[[Any, Any], Any]) -> Vec:
    """The element-wise sum of two offset vectors, with ``plus`` on their overlap and ``zero`` in gaps."""
    if not x[1]:
        return y
    if not y[1]:
        return x
    lo = min(x[0], y[0])
    hi = max(x[0] + len(x[1]), y[0] + len(y[1]))
    out = [zero] * (hi - lo)
    for start, vals in (x, y):
        a = start - lo
        out[a : a + len(vals)] = map(plus, out[a : a + len(vals)], vals)
    return (lo, out)


def _taps_into(out: list[int], vals: list[int], first: int, step: int, spacing: int, taps: int) -> None:
    """out[first + t spacing + i step] += vals[i] for t < taps."""
    span = (len(vals) - 1) * step + 1
    for t in range(taps):
        b = first + t * spacing
        out[b : b + span : step] = map(add, out[b : b + span : step], vals)


def c_window(v: Vec, k: int, s: int, pl: int, d: int) -> Vec:
    lo, vals = v
    if not vals:
        return EMPTY_COUNTS
    out = [0] * ((len(vals) - 1) * s + d * (k - 1) + 1)
    _taps_into(out, vals, 0, s, d, k)
    return (lo * s - pl, out)


def c_scatter(v: Vec, k: int, s: int, pl: int, d: int) -> Vec:
    lo, vals = v
    if not vals:
        return EMPTY_COUNTS
    reach = d * (k - 1)
    base = lo - reach  # corr[x - base] = sum_t out[x + t d]
    corr = [0] * (len(vals) + reach)
    _taps_into(corr, vals, 0, 1, d, k)  # tap t lands at (k - 1 - t) d: the same set of shifts
    off = (-pl - base) % s
    picked = corr[off::s]
    return c_trim(((base + off + pl) // s, picked))


def linear_reads(o: int, s: int, n_in: int | None) -> set[int]:
    """Input units output ``o`` of a linear upsampling by ``s`` reads (PyTorch, align_corners=False)."""
    num, den = 2 * o + 1 - s, 2 * s
    if n_in is not None and num < 0:
        num = 0  # PyTorch clamps a negative source coordinate to 0
    i0 = num // den
    out = {i0}
    if num % den:
        out.add(min(i0 + 1, n_in - 1) if n_in is not None else i0 + 1)
    return out


def linear_weights(o: int, s: int, n_in: int | None) -> dict[int, Any]:
    """The interpolation weights output ``o`` gives its inputs (PyTorch, align_corners=False), exact.

    ``x = (2 o + 1 - s)/(2 s)`` (0 when negative, with borders); ``floor(x)`` gets ``1 - frac(x)`` and the
    right neighbour (the last unit at the border) ``frac(x)``; zero weights are left out.
    """
    from fractions import Fraction

    num, den = 2 * o + 1 - s, 2 * s
    if n_in is not None and num < 0:
        num = 0
    i0, rem = divmod(num, den)
    if not rem:
        return {i0: 1}
    lam = Fraction(rem, den)
    i1 = min(i0 + 1, n_in - 1) if n_in is not None else i0 + 1
    out: dict[int, Any] = {i0: 1 - lam}
    out[i1] = out.get(i1, 0) + lam
    return out


def c_linear(v: Vec, s: int, n_in: int | None, weighted: bool = False) -> Vec:
    lo, vals = v
    if not vals:
        return EMPTY_COUNTS
    acc: dict[int, Any] = {}
    for i, c in enumerate(vals):
        if c:
            if weighted:
                for src, w in linear_weights(lo + i, s, n_in).items():
                    acc[src] = acc.get(src, 0) + c * w
                continue
            for src in linear_reads(lo + i, s, n_in):
                acc[src] = acc.get(src, 0) + c
    a, b = min(acc), max(acc)
    out = [0] * (b - a + 1)
    for src, c in acc.items():
        out[src - a] = c
    return (a, out)


# ---------------------------------------------------------------------------
# support: bit masks


def s_trim(v: Vec) -> Vec:
    lo, m = v
    if not m:
        return EMPTY_SUPPORT
    tz = (m & -m).bit_length() - 1
    return (lo + tz, m >> tz) if tz else v


def s_clip(v: Vec, n: int) -> Vec:
    lo, m = v
    if lo < 0:
        m >>= -lo
        lo = 0
    if n - lo <= 0:
        return EMPTY_SUPPORT
    return s_trim((lo, m & ((1 << (n - lo)) - 1)))


def s_add(x: Vec, y: Vec) -> Vec:
    if not x[1]:
        return y
    if not y[1]:
        return x
    lo = min(x[0], y[0])
    return (lo, (x[1] << (x[0] - lo)) | (y[1] << (y[0] - lo)))


def _spread(m: int, s: int) -> int:
    """Bit i of m moved to bit i s."""
    if s == 1 or m <= 1:
        return m
    bits = bin(m)[:1:-1]  # least significant first
    return int(("0" * (s - 1)).join(bits)[::-1], 2)


def _smear(m: int, spacing: int, taps: int) -> int:
    """OR of m << (t spacing) for t < taps, in O(log taps) steps."""
    out, block, have = 0, m, 1  # block = OR of `have` consecutive shifts
    shift = 0
    t = taps
    while t:
        if t & 1:
            out |= block << shift
            shift += have * spacing
        t >>= 1
        if t:
            block |= block << (have * spacing)
            have *= 2
    return out


def s_window(v: Vec, k: int, s: int, pl: int, d: int) -> Vec:
    lo, m = v
    if not m:
        return EMPTY_SUPPORT
    return (lo * s - pl, _smear(_spread(m, s), d, k))


def s_scatter(v: Vec, k: int, s: int, pl: int, d: int) -> Vec:
    lo, m = v
    if not m:
        return EMPTY_SUPPORT
    reach = d * (k - 1)
    base = lo - reach
    corr = _smear(m, d, k)
    off = (-pl - base) % s
    bits = bin(corr)[:1:-1][off::s]
    return s_trim(((base + off + pl) // s, int(bits[::-1], 2) if bits else 0))


def s_linear(v: Vec, s: int, n_in: int | None) -> Vec:
    lo, m = v
    if not m:
        return EMPTY_SUPPORT
    acc: set[int] = set()
    bits = bin(m)[:1:-1]
    for i, b in enumerate(bits):
        if b == "1":
            acc |= linear_reads(lo + i, s, n_in)
    a = min(acc)
    out = 0
    for src in acc:
        out |= 1 << (src - a)
    return (a, out)


COUNTS = {
    "trim": c_trim,
    "clip": c_clip,
    "add": c_add,
    "window": c_window,
    "scatter": c_scatter,
    "linear": c_linear,
    "unit": lambda u: (u, [1]),
    "empty": EMPTY_COUNTS,
}
#: Counts with bilinear upsampling's interpolation weights (exact Fractions) instead of its connections.
WEIGHTED = {**COUNTS, "linear": lambda v, s, n_in: c_linear(v, s, n_in, weighted=True)}
SUPPORT = {
    "trim": s_trim,
    "clip": s_clip,
    "add": s_add,
    "window": s_window,
    "scatter": s_scatter,
    "linear": s_linear,
    "unit": lambda u: (u, 1),
    "empty": EMPTY_SUPPORT,
}
