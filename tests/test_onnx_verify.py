"""ONNX verify (onnxruntime forward passes, bisection over perturbed slabs) on dilated models.

The models are exported from PyTorch here (TorchScript exporter, dynamic spatial axes).  The oracle is
independent of rfsym's verification: the float64 input gradient of the PyTorch model itself with positive
weights, per output unit -- its first and last non-zero input column and the zero columns between them
(the gaps a dilated convolution leaves in its field).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import warnings

import pytest
import torch
import torch.nn as nn
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rfsym import verify


def export(model: nn.Module, shape: tuple[int, ...]) -> bytes:
    f = io.BytesIO()
    dyn = {"x": {i: f"s{i}" for i in range(2, len(shape))}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model.eval(),
            (torch.zeros(shape),),
            f,
            dynamo=False,
            input_names=["x"],
            output_names=["y"],
            dynamic_axes=dyn,
        )
    return f.getvalue()


def positive(model: nn.Module) -> nn.Module:
    m = model.double().eval()
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, (nn.Conv1d, nn.Conv2d)):
                mod.weight.fill_(1.0 / mod.weight[0].numel())
                mod.bias.fill_(0.01)
    return m


def field(model: nn.Module, sizes: tuple[int, ...], chans: int, axis: int, idx: tuple[int, ...]):
    """(first, last) input column of a unit's gradient on ``axis`` and the zero columns between them."""
    x = torch.ones((1, chans, *sizes), dtype=torch.float64, requires_grad=True)
    y = model(x)
    (g,) = torch.autograd.grad(y[(0, slice(None), *idx)].sum(), x)
    mask = g[0].abs().sum(0) != 0
    others = tuple(d for d in range(len(sizes)) if d != axis)
    line = mask.any(dim=others) if others else mask
    nz = torch.nonzero(line).flatten().tolist()
    if not nz:
        return None, 0
    return (nz[0], nz[-1]), nz[-1] - nz[0] + 1 - len(nz)


def against_gradients(model: nn.Module, rep, chans: int) -> None:
    """Every unit the ONNX verify measured (each axis on its own run, the other axes at their centre unit):
    extent and hole count equal the gradient's."""
    ref = positive(model)
    for u in rep.units:
        sizes = rep.axes[u.axis].input or rep.input
        out = ref(torch.zeros((1, chans, *sizes), dtype=torch.float64)).shape[2:]
        idx = [(int(n) - 1) // 2 for n in out]
        idx[u.axis] = u.unit
        observed, holes = field(ref, sizes, chans, u.axis, tuple(idx))
        assert (u.observed, u.holes) == (observed, holes), (u, observed, holes)


conv1 = st.builds(
    lambda k, s, d, p: (k, s, d, p),
    st.integers(1, 4),
    st.integers(1, 3),
    st.integers(1, 4),
    st.integers(0, 3),
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(conv1, min_size=1, max_size=3))
def test_dilated_chains_count_holes_like_gradients(spec):
    """Random dilated/strided Conv1d chains: the forward-pass extents and dilation holes equal the gradients'."""
    layers: list[nn.Module] = []
    for k, s, d, p in spec:
        layers += [nn.Conv1d(2 if layers else 1, 2, k, stride=s, dilation=d, padding=p), nn.ReLU()]
    model = nn.Sequential(*layers)
    try:
        positive(model)(torch.zeros((1, 1, 64), dtype=torch.float64))
    except RuntimeError:
        assume(False)  # the chain empties a 64-wide input: nothing to export
    rep = verify(export(model.float(), (1, 1, 64)), strict=True)
    assert rep.measure == "forward" and rep.checked
    against_gradients(model, rep, 1)
    expect_holes = any(d > 1 or s > k for k, s, d, _ in spec)
    if not expect_holes:
        assert all(u.holes == 0 for u in rep.units)


def dilated_2d() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 2, 3, dilation=(3, 1)),
        nn.ReLU(),
        nn.Conv2d(2, 2, 3, dilation=(2, 4), padding=1),
    )


def test_dilated_2d_holes_per_axis():
    """Dilation 3 then 2 on axis 0, 1 then 4 on axis 1: holes on both axes, each equal to the gradient's."""
    model = dilated_2d()
    rep = verify(export(model, (1, 1, 32, 32)), strict=True)
    assert rep.checked
    against_gradients(model, rep, 1)
    # inside the input: {0, 3, 6} + {0, 2, 4} misses 2 of 11 columns, {0, 1, 2} + {0, 4, 8} 2 of 11
    assert {(u.axis, u.holes) for u in rep.units if u.exact} == {(0, 2), (1, 2)}


def test_report_names_the_forward_measurement(tmp_path):
    """The text says what was measured: "(forward N)" and a forward box, never "(gradient N)"; JSON says so too."""
    path = tmp_path / "dil.onnx"
    path.write_bytes(export(dilated_2d(), (1, 1, 32, 32)))
    text = verify(path).to_text()
    assert "(forward " in text and "forward box" in text and "gradient" not in text
    assert "pixels inside do not change it: dilation gaps" in text
    out = subprocess.run(
        [sys.executable, "-m", "rfsym", "verify", str(path), "--format", "json"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["measure"] == "forward" and any(u["holes"] > 0 for u in data["units"])


def test_torch_verify_text_unchanged():
    """The PyTorch verify still says "(gradient N)" and "zero pixels inside" for the same model."""
    text = verify(dilated_2d()).to_text()
    assert "(gradient " in text and "gradient box" in text and "zero pixels inside: dilation gaps" in text
    assert "forward" not in text


@pytest.mark.parametrize("which", [0, 1])
def test_wrong_passthrough_of_a_dilated_conv_fails(which):
    """A dilated convolution declared pass-through: rfsym is wrong, the forward passes catch it."""
    import onnx

    data = export(dilated_2d(), (1, 1, 32, 32))
    model = onnx.load_from_string(data)
    conv = [n.name for n in model.graph.node if n.op_type == "Conv"][which]
    rep = verify(data, 40, passthrough=[conv])
    assert not rep.ok and any("forward" in m for m in rep.mismatches)


def test_gap_scan_over_the_limit_is_said_not_skipped_silently():
    """A global head on a 4096-wide input: scanning its 4096 columns would take 4096 runs of 4096 pixels, more than
    MAX_HOLE_SCAN: the extents are still checked, the gaps are None and a note says why."""
    from rfsym.verification import MAX_HOLE_SCAN

    model = nn.Sequential(nn.Conv1d(1, 2, 3, dilation=2), nn.ReLU(), nn.AdaptiveAvgPool1d(1))
    rep = verify(export(model, (1, 1, 64)), 4096)
    assert 4096 * 4096 > MAX_HOLE_SCAN
    assert rep.ok and [u.holes for u in rep.units] == [None]
    assert rep.units[0].observed == (0, 4095)
    assert any(n.startswith("dilation gaps not counted on axis 0: the scan needs 4096 runs") for n in rep.notes)
    small = verify(export(model, (1, 1, 64)), 64)
    assert [u.holes for u in small.units] == [0] and not any("not counted" in n for n in small.notes)
