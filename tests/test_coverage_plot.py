"""Figures of counts, holes and ERFs: the data drawn is the data computed; PNG/PDF/pgfplots files via the CLI."""

from __future__ import annotations

import re
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402

import rfsym  # noqa: E402
from rfsym import Conv, Network, RfsymError  # noqa: E402
from rfsym.coverage.plot import counts_figure, counts_pgfplots, erf_figure, figure_bytes  # noqa: E402
from rfsym.erf import erf  # noqa: E402

DIL = Network([Conv(kernel=2, name="a"), Conv(kernel=2, dilation=4, name="b")])


def test_bar_plot_draws_the_counts_and_marks_the_holes():
    cov = rfsym.coverage(DIL)
    fig = counts_figure(cov)
    (ax,) = fig.axes
    heights = [p.get_height() for p in ax.patches if type(p).__name__ == "Rectangle" and p.get_width() == 1.0]
    assert heights[: cov[0].width] == [float(c) for c in cov[0].counts]
    assert "2 holes" in ax.get_title()
    assert figure_bytes(fig, "png")[:8] == b"\x89PNG\r\n\x1a\n"


def test_heatmap_is_the_outer_product_for_chains():
    net = Network([Conv(kernel=[2, 3], dilation=[4, 1], name="a"), Conv(kernel=[2, 1], name="b")])
    cov = rfsym.coverage(net)
    fig = counts_figure(cov, log=False)
    data = fig.axes[0].images[0].get_array()
    want = [[a * b for b in cov[1].counts] for a in cov[0].counts]
    assert data.tolist() == want
    holes = counts_figure(cov, kind="holes").axes[0].images[0].get_array()
    assert holes.tolist() == [[float(bool(x)) for x in row] for row in want]
    assert figure_bytes(fig, "pdf")[:4] == b"%PDF"


def test_graphs_get_one_bar_plot_per_axis():
    g = rfsym.Graph(input=[9, 9], name="res")
    g.add("input", g.conv("input", kernel=3, padding=1, name="c"), name="y")
    fig = counts_figure(rfsym.coverage(g, unit=(4, 4), input=(9, 9)))
    assert len(fig.axes) == 2 and "non-separable" in fig._suptitle.get_text()


def test_pgfplots_coordinates_are_the_counts():
    cov = rfsym.coverage(DIL)
    tex = counts_pgfplots(cov)
    coords = re.findall(r"\((-?\d+),([0-9.e+]+)\)", tex)
    assert [(int(x), float(y)) for x, y in coords][:-1] == [(cov[0].offset + i, c) for i, c in enumerate(cov[0].counts)]
    assert tex.count("\\begin{axis}") == 1


def test_erf_figure():
    model = torch.nn.Conv2d(1, 1, 3)
    res = erf(model, 12, samples=2)
    fig = erf_figure(res)
    data = fig.axes[0].images[0].get_array()
    assert data.shape == (12, 12) and abs(float(data.max()) - 1.0) < 1e-12
    with pytest.raises(RfsymError, match="rfsym.erf result"):
        erf_figure(object())


def test_limits_and_errors():
    wide = Network([Conv(kernel=5000, name="w")])
    with pytest.raises(RfsymError, match="figure limit"):
        counts_figure(rfsym.coverage(wide))
    with pytest.raises(RfsymError, match="kind must be"):
        counts_figure(rfsym.coverage(DIL), kind="x")
    with pytest.raises(RfsymError, match=r"\.png or \.pdf"):
        figure_bytes(counts_figure(rfsym.coverage(DIL)), "svg")


def test_cli_writes_figures(tmp_path):
    spec = tmp_path / "d.toml"
    spec.write_text(
        'name = "d"\n[[layers]]\nkind = "conv"\nkernel = 2\n[[layers]]\nkind = "conv"\nkernel = 2\ndilation = 4\n'
    )

    def run(*args):
        cmd = [sys.executable, "-m", "rfsym", "coverage", str(spec), *args]
        return subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)

    for name in ("c.png", "c.pdf", "c.tex"):
        res = run("--plot", name)
        assert res.returncode == 0, res.stderr
        assert (tmp_path / name).stat().st_size > 100
    res = run("--plot", "c.png")
    assert res.returncode == 2 and "file exists" in res.stderr
    assert run("--plot", "c.png", "--force", "--kind", "holes").returncode == 0
    res = run("--plot", "c.svg")
    assert res.returncode == 2 and "--plot must end in" in res.stderr


def test_nd_heatmap_is_the_nd_counts(tmp_path):
    g = rfsym.Graph(input=[9, 9], name="res")
    g.add("input", g.conv("input", kernel=3, padding=1, name="c"), name="y")
    nd = rfsym.coverage.counts_nd(g, unit=(4, 4), input=(9, 9))
    fig = counts_figure(nd, log=False)
    assert fig.axes[0].images[0].get_array().tolist() == [[float(c) for c in row] for row in nd.counts]
    assert figure_bytes(fig, "png")[:4] == b"\x89PNG"
    spec = tmp_path / "r.toml"
    spec.write_text(
        'name = "r"\n[[layers]]\nkind = "conv"\nkernel = 3\npadding = 1\nname = "c"\n'
        '[[layers]]\nkind = "add"\ninputs = ["input", "c"]\nname = "y"\n'
    )
    cmd = [sys.executable, "-m", "rfsym", "coverage", str(spec), "--input", "9,9", "--unit", "4,4", "--nd"]
    res = subprocess.run([*cmd, "--plot", str(tmp_path / "n.png")], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    res = subprocess.run([*cmd, "--plot", str(tmp_path / "n.tex")], capture_output=True, text=True)
    assert res.returncode == 2 and "leave out --nd" in res.stderr
