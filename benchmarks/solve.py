"""``rfsym solve`` on the issue-4 template against brute-force enumeration with the seed loop.

Template: L convolutions with k_i in {1, 3, 5, 7} and s_i in {1, 2} (8^L configurations).

* 8 layers (16.7 M configurations), every configuration with r = 99 and j = 16 (71 525):
  ``rfsym solve template8.toml --target r=99 --target j=16 --limit 100000 --format json``
  run as a user runs it — a new process each time (process start, imports, spec parsing,
  solving, writing 10.7 MB of JSON included) — against the seed program's ``outFromIn``
  loop over all 16.7 M configurations, in this run, and the two sets compared.  Target:
  at least 100x.  The CLI runs several times (median) and both wall-clock and CPU time
  (``getrusage`` of the child; ``time.process_time`` of the loop) are printed, since other
  jobs on a shared machine slow both down.  The first CLI run is a warm-up: with
  ``PYTHONDONTWRITEBYTECODE`` unset for the child, Python caches the bytecode of rfsym as an
  installed package has it.
* ``--quick``: the 8-layer brute force is extrapolated from the 6-layer one (x 64
  configurations, up to x 8/6 layers each) instead of run (a minute).
* in-process ``rfsym.solve`` (6 and 8 layers), and 20 layers (8^20 ~ 1.2e18 configurations):
  count the solutions of r = 99, j = 16 in under 5 s; the fewest weights.

* graph solve (issue 12): a ResNet-18 style graph template (stem kernel, four stage depths in
  1..8: 12 288 assignments) against evaluating every assignment's graph table; target >= 50x.

Usage: python benchmarks/solve.py [--quick] [--runs N] [--graph (the graph part only)]
"""

from __future__ import annotations

import itertools
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rfsym import Conv, Graph, Network, Repeat, solve
from rfsym.solver import parse_target_string
from rfsym.values import SymbolDomain

ROOT = Path(__file__).resolve().parent.parent


def template(depth: int) -> Network:
    layers = [Conv(kernel=f"k{i}", stride=f"s{i}", name=f"c{i}") for i in range(1, depth + 1)]
    doms = {}
    for i in range(1, depth + 1):
        doms[f"k{i}"] = SymbolDomain(choices=(1, 3, 5, 7))
        doms[f"s{i}"] = SymbolDomain(choices=(1, 2))
    return Network(layers, symbols=doms, name=f"template{depth}")


def template_toml(depth: int) -> str:
    lines = ["[symbols]"]
    for i in range(1, depth + 1):
        lines += [f"k{i} = {{ choices = [1, 3, 5, 7] }}", f"s{i} = {{ choices = [1, 2] }}"]
    for i in range(1, depth + 1):
        lines += ["[[layers]]", f'name = "c{i}"', 'kind = "conv"', f'kernel = "k{i}"', f'stride = "s{i}"']
    return "\n".join(lines) + "\n"


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


def brute(depth: int, r: int, j: int) -> tuple[set[tuple], float, float]:
    """Every configuration through the seed loop (input 10^6 so that n never runs out):
    (set of (k..., s...), wall seconds, CPU seconds)."""
    t, c = time.perf_counter(), time.process_time()
    found = set()
    pairs = [(k, s) for k in (1, 3, 5, 7) for s in (1, 2)]
    for combo in itertools.product(pairs, repeat=depth):
        cur = (10**6, 1, 1, 0.5)
        for k, s in combo:
            cur = outFromIn((k, s, 0), cur)
        if cur[2] == r and cur[1] == j:
            found.add(tuple(k for k, _ in combo) + tuple(s for _, s in combo))
    return found, time.perf_counter() - t, time.process_time() - c


def names(depth: int) -> list[str]:
    return [f"k{i}" for i in range(1, depth + 1)] + [f"s{i}" for i in range(1, depth + 1)]


def child_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def cli_runs(spec: Path, runs: int) -> tuple[list[float], list[float], dict]:
    """``rfsym solve`` in a new process each time: (wall times, CPU times, the last JSON)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    cmd = [sys.executable, "-m", "rfsym", "solve", str(spec), "--target", "r=99", "--target", "j=16"]
    cmd += ["--limit", "100000", "--format", "json"]
    walls, cpus, out = [], [], None
    for i in range(runs + 1):
        c0, t0 = child_cpu(), time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
        wall, cpu = time.perf_counter() - t0, child_cpu() - c0
        if i:  # the first run is a warm-up (bytecode cache)
            walls.append(wall)
            cpus.append(cpu)
        out = proc.stdout
    return walls, cpus, json.loads(out or "{}")


def in_process(depth: int, r: int, j: int, repeat: int = 3) -> tuple[set[tuple], float, int]:
    best, res = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        res = solve(template(depth), r=r, j=j, limit=None)
        best = min(best, time.perf_counter() - t)
    assert res is not None and res.complete
    got = {tuple(s[n] for n in names(depth)) for s in res.solutions}
    assert len(got) == res.count
    return got, best, res.count  # type: ignore[return-value]


def resnet_template(depth_max: int = 8) -> Graph:
    """ResNet-18 style graph template: stem kernel k in {3, 5, 7}, four stage depths L1..L4 in
    1..depth_max (repeats of two 3x3 convolutions), each stage added to a 1x1 shortcut."""
    doms = {"k": SymbolDomain(choices=(3, 5, 7))}
    doms.update({f"L{i}": SymbolDomain(min=1, max=depth_max) for i in range(1, 5)})
    g = Graph(input=224, symbols=doms, name="resnet18_template")
    x = g.conv(g.input_node, kernel="k", stride=2, padding="(k - 1)/2", name="stem")
    x = g.pool(x, kernel=3, stride=2, padding=1, name="pool")
    for i in range(1, 5):
        s = 1 if i == 1 else 2
        main = g.conv(x, kernel=3, stride=s, padding=1, name=f"down{i}")
        block = (Conv(kernel=3, padding=1, name=f"a{i}"), Conv(kernel=3, padding=1, name=f"b{i}"))
        body = g.layer(Repeat(block=block, times=f"L{i}", name=f"stage{i}"), main)
        short = g.conv(x, kernel=1, stride=s, name=f"short{i}")
        x = g.add(body, short, name=f"add{i}")
    return g


def graph_brute(g: Graph, targets: list) -> tuple[set[tuple], float, float]:
    """Every assignment's graph table: (solutions, wall, CPU)."""
    names = list(g.symbols)
    vals = [sorted(g.symbols[n].choices or range(g.symbols[n].min, g.symbols[n].max + 1)) for n in names]
    t, c = time.perf_counter(), time.process_time()
    found = set()
    for combo in itertools.product(*vals):
        tab = g.subs(dict(zip(names, combo))).table()
        if all(tg.contains(tab.rows[-1].states[0].r) for tg in targets):
            found.add(combo)
    return found, time.perf_counter() - t, time.process_time() - c


def graph_bench() -> None:
    g = resnet_template(8)
    names = list(g.symbols)
    print("graph solve: ResNet-18 style template, stem kernel in {3,5,7}, stage depths L1..L4 in 1..8 (12288)")
    for text, kw in (
        ("r >= 400, fewest layers", {"minimize": "depth"}),
        ("r >= 400, count", {"count": True}),
        ("r <= 500", {}),
        ("r = 427", {}),
    ):
        targets = [parse_target_string(x) for x in text.split(",")[0].replace(" ", "").split(";")]
        t, c = time.perf_counter(), time.process_time()
        res = solve(g, targets, limit=None, **kw)
        tr, cr = time.perf_counter() - t, time.process_time() - c
        want, tb, cb = graph_brute(g, targets)
        assert res.count == len(want)
        if not kw.get("count"):
            got = {tuple(s[n] for n in names) for s in res.solutions}
            assert got <= want and (kw.get("minimize") or got == want)
        tables = next(n for n in res.notes if "graph tables" in n)
        extra = f", optimum {res.optimum} ({res.ties} ties)" if res.minimize else ""
        print(f"  {text}: {res.count} solutions{extra}; {tables}")
        print(f"    rfsym {tr:.3f} s wall, {cr:.3f} s CPU; every table {tb:.1f} s wall, {cb:.1f} s CPU;")
        print(
            f"    ratio {tb / tr:.0f}x wall, {cb / cr:.0f}x CPU   target >= 50x: {'OK' if cb / cr >= 50 else 'MISSED'}"
        )


def main() -> None:
    if "--graph" in sys.argv:
        graph_bench()
        return
    quick = "--quick" in sys.argv
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 7
    print("rfsym solve vs brute force with the seed loop (template k_i in {1,3,5,7}, s_i in {1,2})")
    b6, tb6, cb6 = brute(6, 61, 8)
    g6, tr6, c6 = in_process(6, 61, 8)
    assert g6 == b6, "6-layer sets differ"
    print(f"  6 layers, r=61 j=8: {c6} solutions, same set as brute force")
    print(f"    in-process: brute force {tb6:.2f} s, rfsym.solve {tr6:.3f} s, ratio {tb6 / tr6:.0f}x")
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "template8.toml"
        spec.write_text(template_toml(8))
        walls, cpus, data = cli_runs(spec, runs)
    got = {tuple(s[n] for n in names(8)) for s in data["solutions"]}
    assert data["count"] == len(got) == 71525 and data["complete"]
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    print(f"  8 layers, r=99 j=16, through the CLI ({runs} runs, new process each, 71525 solutions as JSON):")
    print(f"    rfsym solve: median {wall:.3f} s wall (min {min(walls):.3f}), {cpu:.3f} s CPU (min {min(cpus):.3f})")
    if quick:
        tb8, cb8 = tb6 * 64 * 8 / 6, cb6 * 64 * 8 / 6
        print(
            f"    brute force extrapolated from 6 layers (x64 configurations, x8/6 layers): {tb8:.1f} s wall, {cb8:.1f} s CPU"
        )
    else:
        b8, tb8, cb8 = brute(8, 99, 16)
        assert got == b8, "8-layer sets differ"
        print(f"    brute force (16.7 M configurations, measured): {tb8:.1f} s wall, {cb8:.1f} s CPU; same set")
    ok = lambda x: "OK" if x >= 100 else "MISSED"  # noqa: E731
    print(
        f"    ratio (median): {tb8 / wall:.0f}x wall, {cb8 / cpu:.0f}x CPU   target >= 100x: {ok(tb8 / wall)} (wall), {ok(cb8 / cpu)} (CPU)"
    )
    g8, tr8, c8 = in_process(8, 99, 16)
    assert g8 == got
    print(f"    in-process rfsym.solve: {tr8:.3f} s (ratio {tb8 / tr8:.0f}x wall)")
    t = time.perf_counter()
    res = solve(template(20), r=99, j=16, count=True)
    t20 = time.perf_counter() - t
    print(f"  20 layers (8^20 = {8**20:.2e} configurations), r=99 j=16: count {res.count} in {t20:.2f} s")
    print(f"    target < 5 s: {'OK' if t20 < 5 else 'MISSED'}")
    t = time.perf_counter()
    res = solve(template(20), r=99, j=16, minimize="sum_k2", limit=10)
    print(f"    fewest weights (sum k^2) = {res.optimum}, {res.ties} ties, in {time.perf_counter() - t:.2f} s")
    graph_bench()


if __name__ == "__main__":
    main()
