"""rfsym.verify: rfsym's receptive fields against the model's own gradients."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from _torch_models import (
    Trunk,
    inception_v3,
    mobilenet_v1,
    resnet,
    tcn,
    unet_encoder,
    vgg,
    wav2vec2_feature_encoder,
    wavenet,
)
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_torch import oracle_ok, to_module, torch_layer

from rfsym import Conv, Network, Pool, RfsymError, verify
from rfsym.verification import expected_box


class TestModels:
    @pytest.mark.parametrize(
        "make, size",
        [
            (lambda: vgg(11, width=16).features, 200),
            (lambda: Trunk(resnet(18, width=8)), 480),
            (lambda: Trunk(resnet(50, width=4)), 480),
            (lambda: Trunk(inception_v3(32)), 1350),
            (lambda: Trunk(mobilenet_v1(16)), 360),
            (lambda: unet_encoder(16), 300),
            (lambda: wavenet(4), 4000),
            (lambda: tcn(), 1500),
            (lambda: wav2vec2_feature_encoder(32), 8000),
        ],
    )
    def test_strict_agreement(self, make, size):
        """Boxes inside the input equal the gradient region exactly (so r and start agree); clipped boxes bound it; n agrees."""
        rep = verify(make(), size, strict=True)
        assert rep.ok and rep.units
        assert all(a.r_observed == a.r and a.n_model == a.n for a in rep.axes)
        assert any(u.exact for u in rep.units) and all(u.observed is not None for u in rep.units)

    def test_r_is_observed_unclipped(self):
        """For a unit whose box lies inside the input, the gradient's extent is exactly r."""
        rep = verify(vgg(11, width=16).features, 400)
        assert all(a.r_observed == a.r == 150 for a in rep.axes)

    def test_dilation_gaps_are_reported(self):
        """A dilated convolution's receptive field has holes: the extent agrees, the gaps are counted."""
        rep = verify(nn.Conv1d(1, 1, 3, dilation=4), 30)
        assert rep.ok and all(u.holes == 6 for u in rep.units)

    def test_transposed_and_upsampling_lie_within_their_boxes(self):
        """With fractional jumps the box is a bound: every gradient lies inside it."""

        class Dec(nn.Module):
            def __init__(self):
                super().__init__()
                self.c = nn.Conv2d(1, 2, 3, stride=2, padding=1)
                self.t = nn.ConvTranspose2d(2, 2, 4, 2, 1)
                self.u = nn.Upsample(scale_factor=2, mode="bilinear")

            def forward(self, x):
                return self.u(self.t(self.c(x)))

        rep = verify(Dec(), 24, strict=True)
        assert rep.ok and not any(u.exact for u in rep.units)

    def test_functional_max_pool_is_replaced(self):
        """F.max_pool2d inside forward is averaged too: without that its gradient would reach one pixel."""

        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.c = nn.Conv2d(1, 1, 3)

            def forward(self, x):
                return F.max_pool2d(self.c(x), 4, 2, 1, dilation=2, ceil_mode=True)

        rep = verify(M(), 33, strict=True)
        assert rep.ok and rep.axes[0].r == 3 + 3 * 2


class TestDetectsWrongNumbers:
    def test_wrong_spec_is_a_mismatch(self):
        """A spec with one wrong kernel disagrees with the gradients; strict raises naming the unit."""
        model = nn.Sequential(nn.Conv2d(1, 1, 5, padding=2), nn.MaxPool2d(2))
        wrong = Network([Conv(kernel=3, padding=2), Pool(kernel=2)])
        rep = verify(model, 32, network=wrong)
        assert not rep.ok and rep.mismatches
        with pytest.raises(RfsymError, match="disagree with the gradients"):
            verify(model, 32, network=wrong, strict=True)

    def test_truncated_start_is_caught(self):
        """A start off by half a pixel (the int() truncation bug of a numeric tool) moves every box."""
        model = nn.Conv1d(1, 1, 4, stride=2, padding=1)
        shifted = Network([Conv(kernel=4, stride=2, padding=[2, 0])])
        assert not verify(model, 40, network=shifted).ok
        assert verify(model, 40, network=Network([Conv(kernel=4, stride=2, padding=1)])).ok


class TestRandomStacks:
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(params=st.lists(torch_layer(), min_size=1, max_size=5), n=st.integers(1, 40))
    def test_random_stacks_verify(self, params, n):
        """Random 1-D stacks (padding, dilation, ceil_mode, max and average pooling) pass the gradient check."""
        assume(any(p["kind"] != "relu" for p in params) and oracle_ok(params, n))
        rep = verify(to_module(params), n)
        assert rep.ok, rep.to_text()


def test_expected_box_brute_force():
    """expected_box equals the pixels whose whole extent [p, p+1) lies in [c - r/2, c + r/2], clipped."""
    for r in (1, 2, 5, Fraction(13, 2)):
        for start in (Fraction(-3, 2), 0, Fraction(1, 2), Fraction(9, 4)):
            for unit in range(4):
                c = start + unit * Fraction(3, 2)
                pix = [p for p in range(12) if c - Fraction(r) / 2 <= p and p + 1 <= c + Fraction(r) / 2]
                want = (pix[0], pix[-1]) if pix else None
                assert expected_box(12, r, Fraction(3, 2), start, unit) == want


def test_report_formats():
    """The report prints a per-axis comparison and serialises to JSON."""
    rep = verify(nn.Sequential(nn.Conv2d(1, 1, 3), nn.MaxPool2d(2)), (10, 12))
    text = rep.to_text()
    assert "axis 0: n 4 (model 4), j 2, r 4" in text and "OK" in text
    data = json.loads(json.dumps(rep.to_dict()))
    assert data["ok"] is True and data["output_shape"] == [1, 1, 4, 5]


def test_errors():
    """Not a module, a model that fails to run and a too-small input are one-line RfsymErrors."""
    with pytest.raises(RfsymError, match="needs a torch.nn.Module"):
        verify("model", 10)

    class Broken(nn.Module):
        def __init__(self):
            super().__init__()
            self.c = nn.Conv2d(3, 1, 3)

        def forward(self, x):
            if x.sum() >= 0:  # defeats torch.fx; the hook run then fails inside torch
                return self.c(x[:, :1])
            return x

    with pytest.raises(RfsymError, match="failed to run on an input of shape"):
        verify(Broken(), 10)
    with pytest.raises(RfsymError, match="needs a larger input"):
        verify(nn.Conv2d(1, 1, 5), 3)


def test_resnet50_speed():
    """verify on ResNet-50 (full width) at the input size it chooses (issue 15's figure: under 30 s on 2
    cores) checks r, j and start; CPU time is bounded (wall time depends on the machine's other load)."""
    t = time.process_time()
    rep = verify(Trunk(resnet(50)), strict=True)
    assert rep.ok and time.process_time() - t < 60  # two cores' CPU seconds for 30 s of wall time


class TestCli:
    def run(self, *args, cwd):
        return subprocess.run([sys.executable, "-m", "rfsym", *args], capture_output=True, text=True, cwd=cwd)

    @pytest.fixture
    def pkg(self, tmp_path):
        (tmp_path / "mymodels.py").write_text(
            "import torch.nn as nn\n"
            "def net():\n    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 4, 3))\n"
            "def notmodel():\n    return 3\n"
            "def boom():\n    raise ValueError('nope')\n"
        )
        return tmp_path

    def test_verify_and_table_from_factory(self, pkg):
        """`rfsym verify pkg:factory` prints the comparison; `rfsym table` imports the same model."""
        out = self.run("verify", "mymodels:net", "--input", "32", cwd=pkg)
        assert out.returncode == 0, out.stderr
        assert "OK" in out.stdout and "axis 1: n 14 (model 14), j 2, r 8" in out.stdout
        tab = self.run("table", "mymodels:net", "--input", "32", "--format", "json", cwd=pkg)
        assert tab.returncode == 0, tab.stderr
        assert json.loads(tab.stdout)["layers"][-1]["r"] == [8, 8]
        js = self.run("verify", "mymodels:net", "--input", "20,24", "--format", "json", cwd=pkg)
        assert json.loads(js.stdout)["ok"] is True

    def test_table_from_onnx_file(self, pkg):
        """`rfsym table model.onnx --input N` reads an exported model."""
        import io
        import warnings

        f = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                nn.Sequential(nn.Conv2d(1, 1, 5, stride=2), nn.ReLU()), (torch.zeros(1, 1, 16, 16),), f, dynamo=False
            )
        (pkg / "m.onnx").write_bytes(f.getvalue())
        out = self.run("table", "m.onnx", "--input", "33", "--format", "json", cwd=pkg)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["layers"][-1]["n"] == [15, 15]

    @pytest.mark.parametrize(
        "args, message",
        [
            (("table", "nosuch.module:f", "--input", "8"), "cannot import module 'nosuch.module'"),
            (("table", "mymodels:missing", "--input", "8"), "has no attribute 'missing'"),
            (("verify", "mymodels:notmodel", "--input", "8"), "not a torch.nn.Module"),
            (("verify", "mymodels:boom", "--input", "8"), "calling boom\\(\\) raised ValueError: nope"),
            (("table", "mymodels:net"), "needs --input"),
            (("table", "mymodels:net", "--input", "2"), "needs a larger input"),
            (("table", "corrupt.onnx"), "not a valid ONNX model"),
            (("verify", "corrupt.onnx", "--input", "8"), "not a valid ONNX model"),
        ],
    )
    def test_bad_input(self, pkg, args, message):
        """Bad factories, inputs and files exit 2 with one line on stderr and no traceback."""
        import re

        (pkg / "corrupt.onnx").write_bytes(b"not onnx at all")
        out = self.run(*args, cwd=pkg)
        assert out.returncode == 2
        assert re.search(message, out.stderr), out.stderr
        assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1

    def test_mismatch_exit_status(self, pkg):
        """Declaring a convolution pass-through makes rfsym wrong: exit 1, or 2 with --strict."""
        out = self.run("verify", "mymodels:net", "--input", "20", "--passthrough", "3", cwd=pkg)
        assert out.returncode == 1 and "MISMATCH" in out.stdout
        out = self.run("verify", "mymodels:net", "--input", "20", "--passthrough", "3", "--strict", cwd=pkg)
        assert out.returncode == 2 and "disagree with the gradients" in out.stderr


@pytest.mark.parametrize("up", ["transpose", "bilinear"])
def test_unet_decoder(up):
    """A U-Net decoder (transposed convolution or bilinear upsampling, skip concatenations) agrees with its gradients."""
    from _torch_models import UNet

    rep = verify(UNet(up=up), 48, strict=True)
    assert rep.ok and rep.axes[0].n == 48


def test_verify_function_not_shadowed_by_its_module():
    """Importing the implementation module leaves ``rfsym.verify`` the function (the module is rfsym.verification)."""
    import subprocess
    import sys

    code = "import rfsym.verification, rfsym; assert callable(rfsym.verify) and rfsym.verify.__module__ == 'rfsym.verification'"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


# -- issue 15: verify that means it ---------------------------------------------------------


class _SE(nn.Module):
    """A convolution gated by squeeze-and-excitation (global pooling, 1x1 convolutions, hard sigmoid)."""

    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.se = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(8, 8, 1), nn.Hardsigmoid())
        self.d = nn.Conv2d(8, 8, 5, padding=2)

    def forward(self, x):
        y = self.c(x)
        return self.d(y * self.se(y))


class TestStatus:
    def test_auto_size_checks_everything(self):
        """Without an input size every quantity is checked, on each axis at an input that holds the field."""
        rep = verify(Trunk(resnet(18, width=8)), strict=True)
        assert rep.checked and all(rep.status(q) == "checked" for q in ("n", "r", "j", "start"))
        assert all(a.r_observed == a.r == 435 and a.j_observed == a.j == 32 for a in rep.axes)
        assert rep.to_text().splitlines()[0].endswith("OK: n, r, j and start checked on every axis")

    def test_small_input_says_only_bounded(self):
        """At an input smaller than the field, r is only bounded and j, start are not checkable: no bare OK."""
        rep = verify(Trunk(resnet(18, width=8)), 224)
        assert rep.ok and not rep.checked
        assert rep.status("r") == "only bounded" and rep.status("j") == "not checkable"
        head = rep.to_text().splitlines()[0]
        assert "OK so far" in head and "only bounded r" in head

    def test_classifier_says_why_n_and_j_are_not_checkable(self):
        """A model whose output has no spatial axes (a pooled head): r and start are checked, and the headline
        says why n and j cannot be (it used to advise verify's own input choice, which it had already made)."""
        model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 4, 3, stride=2), nn.AdaptiveAvgPool2d(1))
        model = nn.Sequential(model, nn.Flatten(), nn.Linear(4, 10))
        rep = verify(model)
        assert rep.ok and rep.status("r") == "checked" and rep.status("start") == "checked"
        assert rep.status("n") == rep.status("j") == "not checkable"
        head = rep.to_text().splitlines()[0]
        assert head.endswith("(n and j need two output units on an axis; the model's output has no spatial axes)")
        assert "picks sizes" not in head

    def test_saturating_activations_do_not_hide_the_field(self):
        """ReLU6 after residual sums saturates with positive weights (activations double per block, the cap is 6);
        verify uncaps it, so the gradient is not empty and r is checked (MobileNet v2 at 512 failed so)."""

        class Res6(nn.Module):
            def __init__(self):
                super().__init__()
                self.stem = nn.Conv2d(1, 4, 3, padding=1)
                self.blocks = nn.ModuleList(nn.Conv2d(4, 4, 3, padding=1) for _ in range(5))

            def forward(self, x):
                x = self.stem(x)
                for b in self.blocks:
                    x = F.relu6(x + b(x))
                return x

        rep = verify(Res6(), 17, strict=True)  # a square input: the activations reach the cap
        assert rep.checked and rep.axes[0].r_observed == 13

    def test_global_gate_is_checked_both_ways(self):
        """An SE model: the local field is checked with the gate detached, 'global' with it attached."""
        rep = verify(_SE(), strict=True)
        assert rep.checked and rep.global_check.startswith("checked") and rep.axes[0].r == 3 + 4 * 2

    def test_wrong_passthrough_still_fails(self):
        """Declaring the SE gate or a convolution pass-through is caught: the global gate or the field disagrees."""
        rep = verify(_SE(), passthrough=["se"])
        assert not rep.ok and "global operation" in " ".join(rep.mismatches)
        rep = verify(_SE(), passthrough=["d"])
        assert not rep.ok and rep.status("r") == "MISMATCH"

    def test_cli_without_input(self, tmp_path):
        """`rfsym verify pkg:factory` without --input picks the sizes and says what it checked."""
        (tmp_path / "se_models.py").write_text(
            f"import sys\nsys.path.insert(0, {str(Path(__file__).parent)!r})\n"
            "from test_verify import _SE\ndef se():\n    return _SE()\n"
        )
        out = subprocess.run(
            [sys.executable, "-m", "rfsym", "verify", "se_models:se"], capture_output=True, text=True, cwd=tmp_path
        )
        assert out.returncode == 0, out.stderr
        assert "OK: n, r, j and start checked on every axis" in out.stdout and "global: every output unit" in out.stdout
