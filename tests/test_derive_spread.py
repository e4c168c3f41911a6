"""`rfsym derive --spread` (issue 13 item 3): σ² of the connection counts and the hole-free condition next to
r, in closed form, checked against an independent brute-force path counter at random parameter values."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
import sympy
from coverage_oracle import path_counts
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
SPEC = """name = "dil"
input = "n"
[symbols]
k = { min = 1 }
d = { min = 1 }
s = { min = 1 }
[[layers]]
kind = "conv"
kernel = "k"
stride = "s"
[[layers]]
kind = "conv"
kernel = 3
dilation = "d"
[[layers]]
kind = "pool"
kernel = 2
stride = 2
"""


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "rfsym", *args], capture_output=True, text=True, cwd=cwd, env=env)


@pytest.fixture(scope="module")
def forms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("spread")
    (d / "dil.toml").write_text(SPEC)
    res = _cli("derive", "dil.toml", "--spread", "--format", "json", cwd=d)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def _variance(counts: dict[int, int]) -> Fraction:
    total = sum(counts.values())
    mean = Fraction(sum(p * c for p, c in counts.items()), total)
    return Fraction(sum(c * (p - mean) ** 2 for p, c in counts.items()), total)


@settings(max_examples=40, deadline=None)
@given(k=st.integers(1, 6), d=st.integers(1, 6), s=st.integers(1, 3))
def test_variance_and_holes_match_the_path_counter(forms: dict[str, str], k: int, d: int, s: int) -> None:
    nodes = {
        "c1": {"kind": "conv", "kernel": k, "stride": s, "inputs": ["input"]},
        "c2": {"kind": "conv", "kernel": 3, "dilation": d, "inputs": ["c1"]},
        "p": {"kind": "pool", "kernel": 2, "stride": 2, "inputs": ["c2"]},
    }
    counts = path_counts(nodes, "p", 0, None)
    at = {sympy.Symbol(n): v for n, v in (("k", k), ("d", d), ("s", s))}
    var = sympy.sympify(forms["variance"]).xreplace(at)
    assert Fraction(int(var.p), int(var.q)) == _variance(counts)
    lo, hi = min(counts), max(counts)
    dense = all(p in counts for p in range(lo, hi + 1))
    cond = sympy.sympify(forms["hole_free"]).xreplace(at)
    given = forms["hole_free_given"]
    if given is True or bool(sympy.sympify(given).xreplace(at)):  # the condition is exact where its order holds
        assert bool(cond) == dense
    r = sympy.sympify(forms["r"]).xreplace(at)
    assert r == hi - lo + 1


def test_text_and_latex_and_refusal(tmp_path: Path) -> None:
    (tmp_path / "dil.toml").write_text(SPEC)
    text = _cli("derive", "dil.toml", "--spread", cwd=tmp_path)
    assert text.returncode == 0 and "  sigma^2 = " in text.stdout and "  hole-free iff " in text.stdout
    tex = _cli("derive", "dil.toml", "--spread", "--format", "latex", cwd=tmp_path)
    assert tex.returncode == 0 and r"\sigma^{2}_{L} &= " in tex.stdout
    plain = _cli("derive", "dil.toml", cwd=tmp_path)
    assert "sigma" not in plain.stdout  # opt-in: the default forms are unchanged
    graph = _cli("derive", "unet", "--spread", cwd=tmp_path)
    assert graph.returncode == 2 and graph.stderr.strip() == (
        "rfsym: error: unet: --spread needs a sequential network (rfsym coverage counts graphs)"
    )
