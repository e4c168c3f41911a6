"""Brute-force path counter for connection counts, independent of rfsym's code.

Nodes are dicts of declared parameters (``kind`` in conv, pool, tconv,
nearest, linear, identity, add; ``inputs``), in topological order.  Feature
sizes come from enumerating windows (:func:`oracle.count_windows`) and
transposed-convolution positions; the count of pixel p for unit u is the
number of distinct read chains from u down to p, walked one read at a time.
With a finite input, reads of units that do not exist (padding) are dropped
at every node; on the infinite line every read is kept.

Reading rules (PyTorch): conv/pool unit ``u`` reads ``u s - pL + t d``;
transposed conv unit ``o`` reads the integer ``(o + pL - t d)/s``; nearest
reads ``floor(o/s)``; linear reads ``floor(x)`` and, if ``x`` is not an
integer, ``floor(x) + 1`` with ``x = (o + 1/2)/s - 1/2`` (clamped at the borders
as PyTorch does; a read that lands twice on one unit is one connection).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from oracle import _pads as window_pads
from oracle import count_windows


def _win(nd: dict[str, Any]) -> dict[str, Any]:
    p = nd.get("padding", 0)
    p = (p, p) if isinstance(p, int) else p
    return {
        "kernel": nd["kernel"],
        "stride": nd.get("stride", 1),
        "dilation": nd.get("dilation", 1),
        "padding": p if isinstance(p, str) else tuple(p),
        "ceil_mode": nd.get("ceil_mode", False),
    }


def sizes(nodes: dict[str, dict[str, Any]], n0: int) -> dict[str, int]:
    out = {"input": n0}
    for name, nd in nodes.items():
        n = out[nd["inputs"][0]]
        kind = nd["kind"]
        if kind in ("conv", "pool"):
            out[name] = count_windows(_win(nd), n)
        elif kind == "tconv":
            k, s, d = nd["kernel"], nd.get("stride", 1), nd.get("dilation", 1)
            pl, pr = nd.get("padding", (0, 0))
            full = 1 + max(i * s + t * d for i in range(n) for t in range(k))
            out[name] = full + nd.get("output_padding", 0) - pl - pr
        elif kind in ("nearest", "linear"):
            out[name] = n * nd["scale"]
        else:
            out[name] = n
    return out


def reads(nd: dict[str, Any], u: int, n_in: int | None) -> list[tuple[str, int]]:
    """(input node, unit) pairs unit u of node nd reads (distinct)."""
    kind, ins = nd["kind"], nd["inputs"]
    src = ins[0]
    if kind == "add":
        return [(x, u) for x in ins]
    if kind == "identity":
        return [(src, u)]
    if kind in ("conv", "pool"):
        w = _win(nd)
        pl = window_pads(w, n_in if n_in is not None else 10**6)[0]
        return [(src, u * w["stride"] - pl + t * w["dilation"]) for t in range(w["kernel"])]
    if kind == "tconv":
        k, s, d = nd["kernel"], nd.get("stride", 1), nd.get("dilation", 1)
        pl = nd.get("padding", (0, 0))[0]
        return [(src, (u + pl - t * d) // s) for t in range(k) if (u + pl - t * d) % s == 0]
    if kind == "nearest":
        return [(src, u // nd["scale"])]
    if kind == "linear":
        s = nd["scale"]
        x = Fraction(2 * u + 1 - s, 2 * s)
        if n_in is not None and x < 0:
            x = Fraction(0)
        i0 = math.floor(x)
        got = {i0}
        if x != i0:
            got.add(min(i0 + 1, n_in - 1) if n_in is not None else i0 + 1)
        return [(src, i) for i in sorted(got)]
    raise ValueError(kind)


def path_counts(nodes: dict[str, dict[str, Any]], target: str, unit: int, n0: int | None) -> dict[int, int]:
    """{input pixel: number of paths to ``unit`` of ``target``} (zero counts left out)."""
    sz = sizes(nodes, n0) if n0 is not None else None
    memo: dict[tuple[str, int], dict[int, int]] = {}

    def walk(name: str, u: int) -> dict[int, int]:
        if name == "input":
            return {u: 1}
        key = (name, u)
        if key in memo:
            return memo[key]
        nd = nodes[name]
        n_in = sz[nd["inputs"][0]] if sz is not None else None
        acc: dict[int, int] = {}
        for src, i in reads(nd, u, n_in):
            if sz is not None and not 0 <= i < sz[src]:
                continue  # padding: carries nothing
            for p, c in walk(src, i).items():
                acc[p] = acc.get(p, 0) + c
        memo[key] = acc
        return acc

    return walk(target, unit)


def path_counts_nd(
    nodes: dict[str, dict[str, Any]], target: str, unit: tuple[int, ...], n0: tuple[int, ...] | None, nd: int
) -> dict[tuple[int, ...], int]:
    """N-D path counts of a DAG whose every node has the same parameters on each axis: a unit reads the
    product of its per-axis reads (merges read the same unit of every input)."""
    import itertools

    sz = [sizes(nodes, n) for n in n0] if n0 is not None else None
    memo: dict[tuple[str, tuple[int, ...]], dict[tuple[int, ...], int]] = {}

    def walk(name: str, u: tuple[int, ...]) -> dict[tuple[int, ...], int]:
        if name == "input":
            return {u: 1}
        key = (name, u)
        if key in memo:
            return memo[key]
        ndict = nodes[name]
        acc: dict[tuple[int, ...], int] = {}
        if ndict["kind"] == "add":
            targets = [(x, u) for x in ndict["inputs"]]
        else:
            src = ndict["inputs"][0]
            per_axis = []
            for ax in range(nd):
                n_in = sz[ax][src] if sz is not None else None
                got = [i for _, i in reads(ndict, u[ax], n_in) if sz is None or 0 <= i < sz[ax][src]]
                per_axis.append(got)
            targets = [(src, idx) for idx in itertools.product(*per_axis)]
        for src, idx in targets:
            if sz is not None and not all(0 <= i < sz[ax][src] for ax, i in enumerate(idx)):
                continue
            for p, c in walk(src, idx).items():
                acc[p] = acc.get(p, 0) + c
        memo[key] = acc
        return acc

    return walk(target, unit)
