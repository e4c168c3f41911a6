"""rfsym.erf: the empirical ERF of a PyTorch model; with uniform weights and linear activations it equals the
exact connection counts."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import rfsym
from rfsym import Conv, Network, Pool, RfsymError
from rfsym.erf import area_ratio, erf

nn = torch.nn


def ones(m):
    with torch.no_grad():
        for p in m.parameters():
            p.fill_(1.0)
    return m


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 4), st.integers(1, 2), st.integers(1, 3), st.integers(0, 2)), min_size=1, max_size=4
    ),
    st.integers(12, 24),
    st.integers(1, 3),
)
def test_uniform_linear_model_equals_the_counts(layers, n, samples):
    """Conv2d (all weights 1, no bias) and summing average pooling, no activations: mean |grad| == counts."""
    mods, rf = [], []
    for i, (k, s, d, p) in enumerate(layers):
        if i % 2 and d == 1 and p <= k // 2:
            mods.append(nn.AvgPool2d(k, s, padding=p, divisor_override=1))
            rf.append(Pool(kernel=k, stride=s, padding=p, mode="avg", name=f"l{i}"))
        else:
            mods.append(ones(nn.Conv2d(1, 1, k, stride=s, dilation=d, padding=p, bias=False)))
            rf.append(Conv(kernel=k, stride=s, dilation=d, padding=p, name=f"l{i}"))
    model = nn.Sequential(*mods)
    net = Network(rf)
    try:
        res = erf(model, (1, n, n), samples=samples)
    except RfsymError:
        with pytest.raises(RfsymError):
            net.table(input=n)
        return
    cov = rfsym.coverage(net, unit=res.unit, input=(n, n))
    want = torch.zeros(n, n, dtype=torch.float64)
    for i, a in enumerate(cov[0].counts):
        for j, b in enumerate(cov[1].counts):
            want[cov[0].offset + i, cov[1].offset + j] = a * b
    assert torch.equal(res.scores, want)
    assert res.unit == tuple(m // 2 for m in res.output)


def test_random_inputs_trained_weights_and_ratios():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 2, 5, padding=2))
    seen = []
    res = erf(model, 32, samples=4, progress=lambda i, n: seen.append((i, n)))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert res.scores.shape == (32, 32) and res.dtype == "float64" and res.unit == (16, 16)
    nz = torch.nonzero(res.scores)
    assert nz.min(0).values.tolist() == [13, 13] and nz.max(0).values.tolist() == [19, 19]  # r = 7 around 16
    ratios = res.area_ratios()
    sides = [ratios[t][0] for t in (0.2, 0.3, 0.5, 0.99)]
    assert sides == sorted(sides) and all(s % 2 == 1 for s in sides)
    assert res.to_dict()["area_ratios"][0]["threshold"] == 0.2
    again = erf(model, 32, samples=4)
    assert torch.equal(again.scores, res.scores)  # seeded
    own = erf(model, 32, inputs=[torch.ones(3, 32, 32)], relu=True, dtype="float32")
    assert own.samples == 1 and own.dtype == "float32"


def test_area_ratio_definition():
    """RepLKNet: the smallest centred square (side 2i + 1, i >= 1) holding more than t of the total."""
    data = torch.zeros(9, 9, dtype=torch.float64)
    data[4, 4] = 8.0
    data[0, 0] = 2.0
    assert area_ratio(data, 0.5, log=False) == (3, 9 / 81)
    assert area_ratio(data, 0.85, log=False) is None  # the corner lies outside every square below half the input
    assert area_ratio(torch.zeros(5, 5), 0.2) is None


def test_errors():
    model = nn.Conv2d(1, 1, 3)
    for kw, msg in [
        ({"samples": 0}, "samples must be"),
        ({"dtype": "half"}, "dtype must be"),
        ({"unit": (9, 9)}, "outside the output"),
        ({"inputs": [torch.zeros(2, 8, 8)]}, "has shape"),
    ]:
        with pytest.raises(RfsymError, match=msg):
            erf(model, 8, **kw)
    with pytest.raises(RfsymError, match="torch.nn.Module"):
        erf("model", 8)
    with pytest.raises(RfsymError, match="failed"):
        erf(model, 2)


def test_cli(tmp_path):
    (tmp_path / "erfmod.py").write_text(
        textwrap.dedent(
            """
            import torch.nn as nn
            def make():
                m = nn.Sequential(nn.Conv2d(1, 1, 3, padding=1, bias=False), nn.Conv2d(1, 1, 3, dilation=2, padding=2, bias=False))
                for p in m.parameters():
                    p.data.fill_(1.0)
                return m
            def broken():
                raise ValueError("nope")
            """
        )
    )

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "rfsym", "erf", *args], capture_output=True, text=True, cwd=tmp_path
        )

    res = run("erfmod:make", "--input", "21", "--samples", "2", "--progress")
    assert res.returncode == 0, res.stderr
    assert res.stderr.splitlines() == ["rfsym erf: sample 1/2", "rfsym erf: sample 2/2"]
    assert "output unit (10, 10)" in res.stdout and "t = 99%: side" in res.stdout and "2 samples" in res.stdout
    from PIL import Image

    (tmp_path / "imgs").mkdir()
    Image.new("L", (30, 30), 200).save(tmp_path / "imgs" / "a.png")
    res = run("erfmod:make", "--input", "21", "--images", "imgs")
    assert res.returncode == 0 and "1 sample," in res.stdout, res.stderr
    res = run("erfmod:make", "--input", "21", "--format", "json", "--raw")
    import json

    d = json.loads(res.stdout)
    assert (
        d["nonzero"] == 49
        and d["samples"] == 16
        and [r["threshold"] for r in d["area_ratios"]] == [0.2, 0.3, 0.5, 0.99]
    )
    for args, msg in [
        (("erfmod:broken", "--input", "8"), "raised ValueError: nope"),
        (("erfmod:make", "--input", "8", "--samples", "-1"), "samples must be"),
        (("erfmod:make",), "--input"),
        (("net.toml", "--input", "8"), "package.module:factory"),
    ]:
        res = run(*args)
        assert res.returncode == 2 and msg in res.stderr and len(res.stderr.strip().splitlines()) <= 2, res.stderr


def test_images_and_saved_tensors(tmp_path):
    from PIL import Image

    from rfsym.erf import image_inputs, tensor_inputs

    folder = tmp_path / "imgs"
    folder.mkdir()
    for i, colour in enumerate([(255, 0, 0), (0, 128, 255)]):
        Image.new("RGB", (40, 30), colour).save(folder / f"im{i}.png")
    (folder / "notes.txt").write_text("not an image")
    xs = image_inputs(str(folder), (16, 16))
    assert len(xs) == 2 and xs[0].shape == (3, 16, 16)
    assert abs(float(xs[0][0, 0, 0]) - (1 - 0.485) / 0.229) < 1e-12  # red channel of a red image, normalised
    model = torch.nn.Conv2d(3, 1, 3)
    res = erf(model, 16, inputs=xs)
    assert res.samples == 2
    torch.save(torch.stack(xs), tmp_path / "x.pt")
    assert all(torch.equal(a, b) for a, b in zip(tensor_inputs(tmp_path / "x.pt"), xs))
    assert len(image_inputs(str(folder), (8, 8), 1, limit=1)) == 1
    with pytest.raises(RfsymError, match="no image files"):
        image_inputs(str(tmp_path), (8, 8))
    (tmp_path / "bad.pt").write_text("junk")
    with pytest.raises(RfsymError, match="cannot read the tensors"):
        tensor_inputs(tmp_path / "bad.pt")
    (folder / "broken.png").write_text("junk")
    with pytest.raises(RfsymError, match="cannot read the image"):
        image_inputs(str(folder), (8, 8))


def test_imported_model_counts_equal_its_erf():
    """A PyTorch model with weights 1 (residual sum, max pooling as summing average pooling): rfsym.from_torch +
    counts_nd equal rfsym.erf on the same model."""

    class Res(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = ones(nn.Conv2d(1, 1, 3, padding=1, bias=False))
            self.b = ones(nn.Conv2d(1, 1, 3, padding=2, dilation=2, bias=False))
            self.pool = nn.AvgPool2d(2, divisor_override=1)

        def forward(self, x):
            y = self.a(x)
            return self.pool(y + self.b(y))

    model = Res()
    res = erf(model, 14, samples=1)
    g = rfsym.from_torch(model, 14)
    nd = rfsym.coverage.counts_nd(g, unit=res.unit, input=14)
    want = torch.zeros(14, 14, dtype=torch.float64)
    for i, row in enumerate(nd.counts):
        for j, c in enumerate(row):
            want[nd.offset[0] + i, nd.offset[1] + j] = c
    assert torch.equal(res.scores, want)
