"""``rfsym coverage``: output formats, one-line errors with exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import rfsym

ROOT = Path(__file__).resolve().parent.parent
SPEC = """\
name = "dil"
[[layers]]
kind = "conv"
kernel = 3
name = "c1"
[[layers]]
kind = "conv"
kernel = 3
dilation = 2
name = "c2"
[[layers]]
kind = "conv"
kernel = 3
dilation = 9
name = "c3"
"""


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rfsym", "coverage", *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    p = tmp_path / "dil.toml"
    p.write_text(SPEC)
    return p


def test_text_and_json_agree_with_the_api(spec):
    net = rfsym.load(str(spec))
    res = run(str(spec), "--input", "40", "--unit", "5")
    assert res.returncode == 0, res.stderr
    ax = rfsym.coverage(net, unit=5, input=40)[0]
    assert " ".join(map(str, ax.counts)) in res.stdout
    assert "4 holes, largest gap 2" in res.stdout and "holes: 12..13, 21..22" in res.stdout
    res = run(str(spec), "--format", "json", "--layer", "c2", "--mass", "0.5")
    d = json.loads(res.stdout)
    a = d["axes"][0]
    cov = rfsym.coverage(net, layer="c2")[0]
    assert a["counts"] == list(cov.counts) and a["offset"] == cov.offset and a["dense"] and d["input"] is None
    assert a["effective_size"] == {"mass": "1/2", "width": cov.effective_size("0.5")[0], "first": 2}
    assert a["variance"] == "10/3"


@pytest.mark.parametrize(
    "args, msg",
    [
        (["--unit", "x"], "--unit must be an integer"),
        (["--layer", "zz"], "no layer 'zz'"),
        (["--mass", "2"], "mass must be a number in (0, 1]"),
        (["--axis", "3"], "axis 3 does not exist"),
        (["--axis", "0,1"], "--axis takes one axis"),
        (["--input", "30", "--unit", "9"], "unit 9 does not exist"),
        (["--input", "12"], "output is empty"),
        (["--input", "-3"], "positive integer"),
    ],
)
def test_errors_are_one_line_exit_2(spec, args, msg):
    res = run(str(spec), *args)
    assert res.returncode == 2 and res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and msg in lines[0] and "Traceback" not in res.stderr


def test_symbolic_spec_gives_closed_forms(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text(
        'name = "s"\n[symbols]\nk = { min = 1 }\nd = { min = 1 }\n[[layers]]\nkind = "conv"\nkernel = "k"\n'
        '[[layers]]\nkind = "conv"\nkernel = 3\ndilation = "d"\n'
    )
    res = run(str(p))
    assert res.returncode == 0, res.stderr
    assert "variance sigma^2 = (8*d**2 + k**2 - 1)/12" in res.stdout and "hole-free iff d <= k" in res.stdout
    d = json.loads(run(str(p), "--format", "json").stdout)["closed_forms"][0]
    assert d["hole_free"] == "d <= k" and d["r"] == "2*d + k"
    res = run(str(p), "--input", "9")
    assert res.returncode == 2 and "--input needs numbers" in res.stderr


def test_zoo_graph_and_control_characters(tmp_path):
    res = run("resnet18", "--input", "300,280", "--unit", "2,3", "--axis", "1")
    assert res.returncode == 0, res.stderr
    assert "dense" in res.stdout and "axis 1: unit 3" in res.stdout and "axis 0" not in res.stdout
    p = tmp_path / "e.toml"
    p.write_text('name = "a\\u001b[31m"\n[[layers]]\nkind = "conv"\nkernel = 2\nname = "c\\u0007"\n')
    res = run(str(p))
    assert res.returncode == 0 and "\x1b" not in res.stdout and "\x07" not in res.stdout and "\\e[31m" in res.stdout


def test_nd_flag():
    res = run("resnet18", "--input", "64,48", "--unit", "1,1")
    assert res.returncode == 0 and "--nd computes them" in res.stdout
    res = run("resnet18", "--input", "64,48", "--unit", "1,1", "--nd")
    assert res.returncode == 0, res.stderr
    g = rfsym.load("resnet18")
    nd = rfsym.coverage.counts_nd(g, unit=(1, 1), input=(64, 48))
    assert f"N-D: pixels 0..{nd.shape[0] - 1} x 0..{nd.shape[1] - 1}, {nd.total} paths" in res.stdout
    d = json.loads(run("resnet18", "--input", "20,20", "--nd", "--format", "json").stdout)
    assert d["nd"]["total"] == rfsym.coverage.counts_nd(g, input=(20, 20)).total
    assert run("resnet18", "--nd", "--axis", "0").returncode == 2


def test_numeric_counts_do_not_import_sympy(spec):
    code = (
        "import sys\nfrom rfsym.cli import main\n"
        f"status = main(['coverage', {str(spec)!r}, '--input', '40'])\n"
        "assert status == 0 and 'sympy' not in sys.modules, sorted(m for m in sys.modules if 'sympy' in m)[:3]\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    assert "4 holes" in res.stdout


def test_interpolation_weights_in_json(tmp_path):
    p = tmp_path / "bl.toml"
    p.write_text(
        'name = "bl"\n[[layers]]\nkind = "upsample"\nscale = 2\nmode = "bilinear"\n'
        '[[layers]]\nkind = "conv"\nkernel = 2\n'
    )
    d = json.loads(run(str(p), "--unit", "2", "--interpolation", "--nd", "--format", "json").stdout)
    assert d["axes"][0]["counts"] == ["1/4", "3/2", "1/4"] and d["axes"][0]["total"] == 2
    assert d["nd"]["counts"] == ["1/4", "3/2", "1/4"]
    d = json.loads(run(str(p), "--unit", "2", "--format", "json").stdout)
    assert d["axes"][0]["counts"] == [1, 2, 1]  # connections


def test_holes_only(spec):
    res = run(str(spec), "--holes-only", "--input", "40", "--unit", "5")
    assert res.returncode == 0, res.stderr
    assert (
        "4 holes, largest gap 2" in res.stdout and "holes: 12..13, 21..22" in res.stdout and "paths" not in res.stdout
    )
    d = json.loads(run(str(spec), "--holes-only", "--format", "json").stdout)
    assert d["axes"][0]["holes"] == 4 and d["axes"][0]["gaps"] == [[7, 8], [16, 17]]
    res = run(str(spec), "--holes-only", "--nd")
    assert res.returncode == 2 and "leave out --nd" in res.stderr
