"""torchvision models exported to ONNX: `rfsym table` on the file and the onnxruntime-based `verify`.

The exports use the TorchScript exporter with dynamic spatial axes, so that verify can run the model at
the input sizes it picks.  Compared with the PyTorch import of the same model (itself checked against
float64 gradients in tests/test_zoo_torchvision.py), and measured by onnxruntime forward passes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import warnings

import onnx
import pytest
import torch
from test_zoo_torchvision import NETS

from rfsym import from_onnx, from_torch, verify

MODELS = ["resnet18", "efficientnet_b0", "mobilenet_v2", "shufflenet_v2_x0_5", "squeezenet1_1", "googlenet"]


def export(model, path=None):
    import io

    f = io.BytesIO() if path is None else str(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model.eval(),
            (torch.zeros(1, 3, 224, 224),),
            f,
            dynamo=False,
            input_names=["x"],
            output_names=["y"],
            dynamic_axes={"x": {2: "h", 3: "w"}},
        )
    return f.getvalue() if path is None else path


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("onnx")
    return {name: export(NETS[name](), folder / f"{name}.onnx") for name in MODELS}


@pytest.mark.parametrize("name", MODELS)
def test_table_cli_equals_torch_import(exported, name):
    """`rfsym table model.onnx --input 224` gives the PyTorch import's output (SiLU as x * sigmoid(x) included)."""
    out = subprocess.run(
        [sys.executable, "-m", "rfsym", "table", str(exported[name]), "--input", "224", "--format", "json"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    want = from_torch(NETS[name]().eval(), 224).table().output
    assert data["layers"][-1]["r"] == [int(s.r) for s in want]
    assert data["layers"][-1]["n"] == [int(s.n) for s in want]
    assert ("global" in data) == (name == "efficientnet_b0")


@pytest.mark.parametrize("name", MODELS)
def test_onnxruntime_verify_checks_everything(exported, name):
    """verify of the ONNX file (forward passes, bisection over slabs) checks n, r, j and start."""
    rep = verify(exported[name], strict=True)
    assert rep.checked
    if name == "efficientnet_b0":
        assert rep.global_check.startswith("checked")


def test_resnet18_onnx_verify_speed(exported):
    """ONNX verify of ResNet-18 at the sizes it picks: under 30 s of CPU time (about 1 s here)."""
    t = time.process_time()
    assert verify(exported["resnet18"]).checked
    assert time.process_time() - t < 30


def test_wrong_passthrough_fails(exported):
    """A convolution node declared pass-through makes rfsym wrong: the ONNX verify catches it."""
    model = onnx.load(str(exported["resnet18"]))
    conv = [n.name for n in model.graph.node if n.op_type == "Conv"][-1]  # layer4.1.conv2, a 3x3
    rep = verify(exported["resnet18"], passthrough=[conv])
    assert not rep.ok and rep.mismatches


def test_external_data_from_the_model_folder(exported, tmp_path):
    """A model saved with external data is read and run from its own folder, whatever the current directory."""
    model = onnx.load(str(exported["squeezenet1_1"]))
    folder = tmp_path / "ext"
    folder.mkdir()
    onnx.save_model(model, str(folder / "m.onnx"), save_as_external_data=True, location="w.bin", size_threshold=0)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    out = subprocess.run(
        [sys.executable, "-m", "rfsym", "verify", str(folder / "m.onnx")], capture_output=True, text=True, cwd=elsewhere
    )
    assert out.returncode == 0, out.stderr
    assert "OK: n, r, j and start checked on every axis" in out.stdout
    assert (
        from_onnx(folder / "m.onnx", 224).table().output
        == from_torch(NETS["squeezenet1_1"]().eval(), 224).table().output
    )
