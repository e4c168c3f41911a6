"""`rfsym.solve` on the issue-4 template against brute-force enumeration with the seed loop.

Template: L convolutions with k_i in {1, 3, 5, 7} and s_i in {1, 2} (8^L configurations).

* 8 layers (16.7 M configurations), all configurations with r = 99 and j = 16:
  rfsym must be >= 100x faster than brute force and give the same set.  By
  default brute force runs on the 6-layer template (262 144 configurations,
  targets r = 61, j = 8) in this run, is compared set-for-set with rfsym there,
  and its time per configuration is extrapolated to 8 layers (x 64 configurations,
  x 8/6 layers per configuration).  ``--full`` also runs the 8-layer brute
  force (about a minute) and compares the 8-layer sets.
* 20 layers (8^20 ~ 1.2e18 configurations): count the solutions of r = 99,
  j = 16 in under 5 s.

Usage: python benchmarks/solve.py [--full]
"""

from __future__ import annotations

import itertools
import math
import sys
import time

from rfsym import Conv, Network, solve
from rfsym.values import SymbolDomain


def template(depth: int) -> Network:
    layers = [Conv(kernel=f"k{i}", stride=f"s{i}", name=f"c{i}") for i in range(1, depth + 1)]
    doms = {}
    for i in range(1, depth + 1):
        doms[f"k{i}"] = SymbolDomain(choices=(1, 3, 5, 7))
        doms[f"s{i}"] = SymbolDomain(choices=(1, 2))
    return Network(layers, symbols=doms, name=f"template{depth}")


def outFromIn(conv, layerIn):  # noqa: N802 - the seed program's name
    """The seed blog program's loop body, verbatim apart from unpacking."""
    n_in, j_in, r_in, start_in = layerIn
    k, s, p = conv
    n_out = math.floor((n_in - k + 2 * p) / s) + 1
    actualP = (n_out - 1) * s - n_in + k  # noqa: N806
    pL = math.floor(actualP / 2)  # noqa: N806
    j_out = j_in * s
    r_out = r_in + (k - 1) * j_in
    start_out = start_in + ((k - 1) / 2 - pL) * j_in
    return n_out, j_out, r_out, start_out


def brute(depth: int, r: int, j: int) -> tuple[set[tuple], float]:
    """Every configuration through the seed loop (input 10^6 so that n never runs out)."""
    t = time.perf_counter()
    found = set()
    pairs = [(k, s) for k in (1, 3, 5, 7) for s in (1, 2)]
    for combo in itertools.product(pairs, repeat=depth):
        cur = (10**6, 1, 1, 0.5)
        for k, s in combo:
            cur = outFromIn((k, s, 0), cur)
        if cur[2] == r and cur[1] == j:
            found.add(tuple(k for k, _ in combo) + tuple(s for _, s in combo))
    return found, time.perf_counter() - t


def with_rfsym(depth: int, r: int, j: int, repeat: int = 3) -> tuple[set[tuple], float, int]:
    best, res = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        res = solve(template(depth), r=r, j=j, limit=None)
        best = min(best, time.perf_counter() - t)
    names = [f"k{i}" for i in range(1, depth + 1)] + [f"s{i}" for i in range(1, depth + 1)]
    got = {tuple(s[n] for n in names) for s in res.solutions}
    assert res.complete and len(got) == res.count
    return got, best, res.count


def main() -> None:
    full = "--full" in sys.argv
    print("rfsym.solve vs brute force with the seed loop (template k_i in {1,3,5,7}, s_i in {1,2})")
    # 6 layers: both, same run, same set
    b6, tb6 = brute(6, 61, 8)
    g6, tr6, c6 = with_rfsym(6, 61, 8)
    assert g6 == b6, "6-layer sets differ"
    print(f"  6 layers, r=61 j=8: {c6} solutions, same set as brute force")
    print(f"    brute force {tb6:.2f} s, rfsym {tr6:.3f} s, ratio {tb6 / tr6:.0f}x")
    # 8 layers
    g8, tr8, c8 = with_rfsym(8, 99, 16)
    low, high = tb6 * 64, tb6 * 64 * 8 / 6
    print(f"  8 layers, r=99 j=16: {c8} solutions listed by rfsym in {tr8:.3f} s")
    print(
        f"    brute force extrapolated from 6 layers: {low:.0f} s (x64 configurations) to {high:.0f} s (also x8/6 layers each)"
    )
    print(f"    ratio {low / tr8:.0f}x to {high / tr8:.0f}x   target >= 100x: {'OK' if low / tr8 >= 100 else 'MISSED'}")
    if full:
        b8, tb8 = brute(8, 99, 16)
        assert g8 == b8, "8-layer sets differ"
        print(f"    measured 8-layer brute force: {tb8:.1f} s, same set; ratio {tb8 / tr8:.0f}x")
    # 20 layers: count only
    t = time.perf_counter()
    res = solve(template(20), r=99, j=16, count=True)
    t20 = time.perf_counter() - t
    print(f"  20 layers (8^20 = {8**20:.2e} configurations), r=99 j=16: count {res.count} in {t20:.2f} s")
    print(f"    target < 5 s: {'OK' if t20 < 5 else 'MISSED'}")
    t = time.perf_counter()
    res = solve(template(20), r=99, j=16, minimize="sum_k2", limit=10)
    print(f"    fewest weights (sum k^2) = {res.optimum}, {res.ties} ties, in {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()
