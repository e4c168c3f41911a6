"""Brute-force oracle: which input pixels feed which output, by explicit index sets.

Independent of rfsym's arithmetic.  Every axis is the infinite line of
integer positions; a layer's feature i reads positions
``i*s - pL + t*d`` (t = 0..k-1) of its input, where negative positions and
positions >= n are padding (or, deeper down, features that would exist if the
map were padded: they still have a receptive field, as in the seed post).

* ``n`` is the number of windows that PyTorch keeps: every window that fits in
  the padded input; in ceil mode also those that overhang its right end by
  less than one stride, and then the last one is dropped if it starts in the
  right padding.
* ``r``, ``start`` and ``P`` come from the set of input positions that the
  first output feature reads through the whole stack: ``r = max - min + 1``,
  ``start = origin + (min + max) / 2`` (pixel i has its centre at origin + i),
  ``P = -min``; ``j`` is the distance between the sets of features 0 and 1.
* TensorFlow ``same`` padding: the output has ceil(n/s) features and the total
  padding is whatever makes the last window reach the last pixel, never less
  than 0; ``same`` puts the smaller half on the left, ``same_lower`` the larger.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any


def _pads(layer: dict[str, Any], n: int) -> tuple[int, int]:
    pad = layer.get("padding", (0, 0))
    kap = layer.get("dilation", 1) * (layer["kernel"] - 1) + 1
    s = layer.get("stride", 1)
    if pad == "valid":
        return 0, 0
    if pad in ("same", "same_lower"):
        out = -(-n // s)
        total = max((out - 1) * s + kap - n, 0)
        small, big = total // 2, total - total // 2
        return (small, big) if pad == "same" else (big, small)
    return pad


def count_windows(layer: dict[str, Any], n: int) -> int:
    """Output size by walking the windows one by one."""
    k, s, d = layer["kernel"], layer.get("stride", 1), layer.get("dilation", 1)
    pl, pr = _pads(layer, n)
    length = pl + n + pr  # padded input: positions 0..length-1
    span = d * (k - 1) + 1
    # Floor mode keeps the windows that fit; ceil mode also keeps windows that
    # overhang the padded end by less than one stride.
    overhang = s - 1 if layer.get("ceil_mode") else 0
    count = 0
    while count * s + span <= length + overhang:
        count += 1
    # PyTorch (ceil mode): the last window must start inside the input or the left padding.
    if layer.get("ceil_mode") and count and (count - 1) * s >= pl + n:
        count -= 1
    return count


def reads(layer: dict[str, Any], n_in: int, i: int) -> list[int]:
    """Input positions that output feature i reads."""
    k, s, d = layer["kernel"], layer.get("stride", 1), layer.get("dilation", 1)
    pl, _ = _pads(layer, n_in)
    return [i * s - pl + t * d for t in range(k)]


def oracle(layers: list[dict[str, Any]], n: int, origin: Any = Fraction(1, 2)) -> list[dict[str, Any]]:
    """Per-layer dicts of n, j, r, start, P for a 1-D stack.

    ``layers`` are dicts with kernel, stride, padding ((left, right) or a mode
    string), dilation and ceil_mode; pass-through layers are ``{"kernel": 1}``.
    """
    sizes = [n]
    for lay in layers:
        sizes.append(count_windows(lay, sizes[-1]))
    out = []
    for depth in range(1, len(layers) + 1):
        regions = []
        for unit in (0, 1):
            cur = {unit}
            for li in range(depth - 1, -1, -1):
                lay = layers[li]
                cur = {q for p in cur for q in reads(lay, sizes[li], p)}
            regions.append(cur)
        lo, hi = min(regions[0]), max(regions[0])
        out.append(
            {
                "n": sizes[depth],
                "j": min(regions[1]) - lo,
                "r": hi - lo + 1,
                "start": Fraction(origin) + Fraction(lo + hi, 2),
                "P": -lo,
            }
        )
    return out


def from_layer(layer: Any, axis: int = 0) -> dict[str, Any]:
    """An rfsym layer's declared numeric parameters as an oracle dict (no arithmetic)."""
    if not hasattr(layer, "axis_params"):
        return {"kernel": 1}
    k, s, pad, d, _ = layer.axis_params(axis)
    return {"kernel": k, "stride": s, "padding": pad, "dilation": d, "ceil_mode": getattr(layer, "ceil_mode", False)}
