"""Graph tables: propagating the union node by node vs. enumerating every path.

Run from the repository root: ``python benchmarks/graph_table.py`` (add ``--full`` for all
of ResNet-50: its 65536 paths take about a minute).

A ResNet has 2 paths per residual block, so 2**16 paths through ResNet-50's
16 blocks. rfsym's table visits each node once (the union arithmetic of
``Merge.merge`` at every add); the alternative evaluates each path as a
sequential network and takes the union at the end. Both give the same
receptive field; the script checks that and prints the times and their ratio.
"""

from __future__ import annotations

import sys
import time
import warnings

import rfsym
from rfsym.graph import AlignmentWarning


def backbone(stages: int) -> rfsym.Graph:
    """The first ``stages`` stages of the built-in FPN's ResNet-50 backbone."""
    full = rfsym.load("fpn_resnet50")
    keep = []
    for name in full.nodes:
        if name.startswith("layer") and int(name[5]) > stages:
            break
        keep.append(name)
    layers = dict(zip(full.nodes, full.layers))
    entries = [(layers[n], list(full.inputs_of(n))) for n in keep]
    return rfsym.Graph.from_layers(entries, input=224, name=f"resnet50[:{stages}]")


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    print(f"{'graph':<16} {'paths':>6} {'table (ms)':>11} {'all paths (ms)':>15} {'ratio':>7}")
    for stages in (1, 2, 3, 4) if "--full" in sys.argv else (1, 2, 3):
        g = backbone(stages)
        out = g.nodes[-1]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AlignmentWarning)
            r_table = g.table()[out].states[0].r
            t_table = best(lambda g=g: g.table())
            paths = g.paths(out, limit=10**6)
            r_paths = max(p.states[0].r for p in paths)
            t_paths = best(lambda g=g, out=out: g.paths(out, limit=10**6), repeat=1)
        assert r_table == r_paths
        print(f"{g.name:<16} {len(paths):>6} {t_table * 1e3:>11.1f} {t_paths * 1e3:>15.1f} {t_paths / t_table:>7.0f}")


if __name__ == "__main__":
    main()
