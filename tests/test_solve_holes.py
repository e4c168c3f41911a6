"""Hole targets (issue 13 item 2): `holes = 0` / `dense` / `holes <= N` in rfsym.solve and `rfsym solve`, against
a brute force that builds every assignment's connection counts with the independent path counter."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from coverage_oracle import path_counts
from hypothesis import given, settings
from hypothesis import strategies as st

import rfsym
from rfsym import Conv, Network, Pool
from rfsym.errors import RfsymError
from rfsym.values import SymbolDomain

ROOT = Path(__file__).resolve().parent.parent


def _holes(kernels: list[int], dilations: list[int], strides: list[int]) -> tuple[int, int]:
    """(r, number of holes) of the output unit, from the brute-force path counter."""
    nodes, prev = {}, "input"
    for i, (k, d, s) in enumerate(zip(kernels, dilations, strides)):
        nodes[f"c{i}"] = {"kind": "conv", "kernel": k, "dilation": d, "stride": s, "inputs": [prev]}
        prev = f"c{i}"
    counts = path_counts(nodes, prev, 0, None)
    lo, hi = min(counts), max(counts)
    return hi - lo + 1, sum(1 for p in range(lo, hi + 1) if p not in counts)


def _template(kernels: list[int], strides: list[int], top: int) -> Network:
    names = [f"d{i}" for i in range(len(kernels))]
    layers = [
        Conv(kernel=k, dilation=n, stride=s, name=f"c{i}") for i, (k, n, s) in enumerate(zip(kernels, names, strides))
    ]
    return Network(layers, symbols={n: SymbolDomain(min=1, max=top) for n in names})


@settings(max_examples=25, deadline=None)
@given(
    kernels=st.lists(st.sampled_from([2, 3, 5]), min_size=2, max_size=3),
    data=st.data(),
)
def test_hole_free_schedules_match_brute_force(kernels: list[int], data: st.DataObject) -> None:
    strides = data.draw(st.lists(st.sampled_from([1, 1, 2]), min_size=len(kernels), max_size=len(kernels)))
    top = 4
    net = _template(kernels, strides, top)
    every = {}
    for ds in itertools.product(range(1, top + 1), repeat=len(kernels)):
        every[ds] = _holes(kernels, list(ds), strides)
    r = data.draw(st.sampled_from(sorted({v[0] for v in every.values()})))
    bound = data.draw(st.sampled_from([(0, 0), (1, None), (0, 2)]))
    lo, hi = bound
    want = {ds for ds, (rr, h) in every.items() if rr == r and h >= lo and (hi is None or h <= hi)}
    text = "holes=0" if bound == (0, 0) else "holes>=1" if hi is None else "holes<=2"
    res = rfsym.solve(net, [f"r={r}", text], limit=None)
    got = {tuple(s[f"d{i}"] for i in range(len(kernels))) for s in res.solutions}
    assert got == want and res.count == len(want) and res.complete
    if want:
        best = rfsym.solve(net, [f"r={r}", text], minimize=lambda a: sum(a.values()))
        assert best.optimum == min(sum(ds) for ds in want)


def test_hdc_example() -> None:
    """Wang et al.'s gridding example: three 3-convolutions with dilation 2 have holes; 1, 2, 3 has none."""
    net = _template([3, 3, 3], [1, 1, 1], 6)
    dense = {tuple(s.values()) for s in rfsym.solve(net, r=13, dense=True).solutions}
    assert (1, 2, 3) in dense and (2, 2, 2) not in dense and (1, 1, 4) in dense
    assert dense == {
        ds for ds in itertools.product(range(1, 7), repeat=3) if _holes([3] * 3, list(ds), [1] * 3) == (13, 0)
    }


def test_refusals() -> None:
    net = Network(
        [Conv(kernel=3, dilation="d", name="c")]
    )  # d unbounded: r = 9 has one solution, r >= 9 infinitely many
    assert [s["d"] for s in rfsym.solve(net, r=9, holes=">=1").solutions] == [4]
    with pytest.raises(RfsymError, match="holes or even target needs finite domains"):
        rfsym.solve(net, r=">=9", holes=0)
    with pytest.raises(RfsymError, match=r"^target holes: give a number of holes"):
        rfsym.solve(_template([3, 3], [1, 1], 3), ["r=7", "holes=x"])
    with pytest.raises(RfsymError, match=r"^target dense: give dense"):
        rfsym.solve(_template([3, 3], [1, 1], 3), r=7, dense="no")
    big = Network(
        [Conv(kernel=3, dilation=f"d{i}", name=f"c{i}") for i in range(8)] + [Pool(kernel=2, name="p")],
        symbols={f"d{i}": SymbolDomain(min=1, max=5) for i in range(8)},
    )
    with pytest.raises(RfsymError, match=r"solutions of the other targets: at most 200000 are checked"):
        rfsym.solve(big, ["r>=1", "dense"])


def test_cli(tmp_path: Path) -> None:
    spec = tmp_path / "hdc.toml"
    spec.write_text(
        'name = "hdc"\n[symbols]\n'
        + "".join(f"d{i} = {{ min = 1, max = 6 }}\n" for i in range(3))
        + "".join(f'[[layers]]\nkind = "conv"\nkernel = 3\ndilation = "d{i}"\n' for i in range(3))
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "rfsym", "solve", str(spec), *args], capture_output=True, text=True, env=env
        )

    out = run("--target", "r=13", "--target", "dense", "--format", "json")
    assert out.returncode == 0, out.stderr
    js = json.loads(out.stdout)
    assert js["targets"][-1]["quantity"] == "holes" and len(js["solutions"]) == 9
    tex = run("--target", "r=13", "--target", "holes=0", "--format", "latex")
    assert r"\text{holes} = 0" in tex.stdout
    bad = run("--target", "r=13", "--target", "holes=abc")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def _even_brute(layers: list[tuple[int, int]]) -> bool:
    """Even overlap from the path counter: every output phase (units far from the borders) has the same total."""
    nodes, prev, period = {}, "input", 1
    for i, (k, s) in enumerate(layers):
        nodes[f"t{i}"] = {"kind": "tconv", "kernel": k, "stride": s, "inputs": [prev]}
        prev, period = f"t{i}", period * s
    base = 40 * period
    totals = {sum(path_counts(nodes, prev, base + ph, None).values()) for ph in range(period)}
    return len(totals) == 1


@settings(max_examples=15, deadline=None)
@given(depth=st.integers(1, 2), top_k=st.integers(2, 6), top_s=st.integers(1, 3))
def test_checkerboard_free_choices_match_brute_force(depth: int, top_k: int, top_s: int) -> None:
    """`even` (checkerboard = 0) keeps the kernel/stride choices of transposed convolutions whose phases all get
    the same number of paths (Odena et al.'s checkerboard), against the path counter."""
    from rfsym import ConvTranspose

    names = [(f"k{i}", f"s{i}") for i in range(depth)]
    doms = {}
    for kn, sn in names:
        doms[kn] = SymbolDomain(min=1, max=top_k)
        doms[sn] = SymbolDomain(min=1, max=top_s)
    net = Network([ConvTranspose(kernel=kn, stride=sn, name=f"t{i}") for i, (kn, sn) in enumerate(names)], symbols=doms)
    res = rfsym.solve(net, ["r>=1", "even"], limit=None)
    order = [n for pair in names for n in pair]
    got = {tuple(s[n] for n in order) for s in res.solutions}
    want = set()
    for vals in itertools.product(*[range(1, top_k + 1) if n.startswith("k") else range(1, top_s + 1) for n in order]):
        if _even_brute([(vals[2 * i], vals[2 * i + 1]) for i in range(depth)]):
            want.add(vals)
    assert got == want and res.targets[-1].quantity == "checkerboard"
    if depth == 1:  # the closed form: even iff s divides k (dilation 1)
        assert want == {(k, s) for k in range(1, top_k + 1) for s in range(1, top_s + 1) if k % s == 0}
