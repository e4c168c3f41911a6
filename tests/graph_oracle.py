"""Brute-force index propagation on graphs with transposed convolution and upsampling.

Independent of rfsym's arithmetic: every node is a dict of declared parameters
(``kind`` in conv, pool, tconv, nearest, linear, identity, add) with ``inputs``.
Two semantics, both by explicit index sets:

* **infinite** (:meth:`Oracle.region`): every axis is the infinite line of
  integer positions, as in the seed post; unit ``u`` of a node reads the input
  units the layer's definition names (padding positions included, they are
  units that would exist had the map been padded), down to input pixels.
* **finite** (:meth:`Oracle.reach`): only units that exist take part (padding
  is zero and carries nothing): exactly what PyTorch's gradients show.

Layer definitions (PyTorch): conv/pool unit ``u`` reads ``u s - pL + t d``;
transposed conv unit ``o`` reads ``i = (o + pL - t d)/s`` for the integer
ones; nearest reads ``floor(o/s)``; linear (align_corners=False) reads
``floor(x)`` and ``floor(x)+1`` (only if ``x`` is not an integer) for
``x = (o + 1/2)/s - 1/2``, in the finite map clamped as PyTorch does
(``x < 0`` becomes 0, the right neighbour is capped at ``n - 1``).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from oracle import count_windows


def _pads(node: dict[str, Any]) -> tuple[int, int]:
    p = node.get("padding", 0)
    return (p, p) if isinstance(p, int) else tuple(p)  # type: ignore[return-value]


class Oracle:
    def __init__(self, nodes: dict[str, dict[str, Any]], n: int) -> None:
        self.nodes = nodes
        self.sizes: dict[str, int] = {"input": n}
        self._inf: dict[tuple[str, int], frozenset[int]] = {}
        self._fin: dict[tuple[str, int], frozenset[int]] = {}
        for name, nd in nodes.items():  # topological order
            self.sizes[name] = self._size(nd)

    # -- sizes by enumeration ---------------------------------------------
    def _size(self, nd: dict[str, Any]) -> int:
        kind = nd["kind"]
        n = self.sizes[nd["inputs"][0]]
        if kind in ("conv", "pool"):
            lay = {
                "kernel": nd["kernel"],
                "stride": nd.get("stride", 1),
                "dilation": nd.get("dilation", 1),
                "padding": _pads(nd),
                "ceil_mode": nd.get("ceil_mode", False),
            }
            return count_windows(lay, n)
        if kind == "tconv":
            k, s, d = nd["kernel"], nd.get("stride", 1), nd.get("dilation", 1)
            pl, pr = _pads(nd)
            full = 1 + max(i * s + t * d for i in range(n) for t in range(k))  # uncropped positions
            return full + nd.get("output_padding", 0) - pl - pr
        if kind in ("nearest", "linear"):
            return n * nd["scale"]
        return n  # identity, add

    # -- which units of the input a unit reads ----------------------------
    def _reads(self, nd: dict[str, Any], u: int, finite: bool) -> list[tuple[str, int]]:
        kind = nd["kind"]
        ins = nd["inputs"]
        src = ins[0]
        n_in = self.sizes[src]
        if kind == "add":
            return [(x, u) for x in ins]
        if kind == "identity":
            out = [(src, u)]
        elif kind in ("conv", "pool"):
            k, s, d = nd["kernel"], nd.get("stride", 1), nd.get("dilation", 1)
            pl, _ = _pads(nd)
            out = [(src, u * s - pl + t * d) for t in range(k)]
        elif kind == "tconv":
            k, s, d = nd["kernel"], nd.get("stride", 1), nd.get("dilation", 1)
            pl, _ = _pads(nd)
            out = [(src, (u + pl - t * d) // s) for t in range(k) if (u + pl - t * d) % s == 0]
        elif kind == "nearest":
            out = [(src, u // nd["scale"])]
        elif kind == "linear":
            s = nd["scale"]
            x = Fraction(2 * u + 1 - s, 2 * s)
            if finite and x < 0:
                x = Fraction(0)
            i0 = math.floor(x)
            out = [(src, i0)]
            if x != i0:
                i1 = min(i0 + 1, n_in - 1) if finite else i0 + 1
                out.append((src, i1))
        else:
            raise ValueError(kind)
        if finite:
            out = [(a, i) for a, i in out if 0 <= i < self.sizes[a]]
        return out

    def region(self, node: str, u: int) -> frozenset[int]:
        """Input pixels unit u sees on the infinite line (padding positions included)."""
        return self._walk(node, u, False, self._inf)

    def reach(self, node: str, u: int) -> frozenset[int]:
        """Input pixels whose values reach unit u of the finite map (what gradients show)."""
        return self._walk(node, u, True, self._fin)

    def _walk(self, node: str, u: int, finite: bool, memo: dict) -> frozenset[int]:
        if node == "input":
            return frozenset({u})
        key = (node, u)
        if key not in memo:
            acc: set[int] = set()
            for a, i in self._reads(self.nodes[node], u, finite):
                acc |= self._walk(a, i, finite, memo)
            memo[key] = frozenset(acc)
        return memo[key]


def window_extents(regions: dict[int, frozenset[int]], j: Any, start: Any, origin: Any) -> tuple[Fraction, Fraction]:
    """Largest reach of the regions to the left and to the right of each unit's centre start + u j."""
    left = right = Fraction(-(10**9))
    for u, reg in regions.items():
        if not reg:
            continue
        c = Fraction(start) + u * Fraction(j)
        left = max(left, c - (min(reg) + Fraction(origin)))
        right = max(right, max(reg) + Fraction(origin) - c)
    return left, right
