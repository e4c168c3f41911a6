"""torchvision's own classification and segmentation models, imported as they are, against their float64 gradients.

Each case is the feature extractor of one model family (``weights=None``: architecture only): the
``features`` trunk where the model has one, else the graph up to the last feature map
(``create_feature_extractor``), and the dilated ResNet / MobileNet backbones of fcn and deeplabv3.
rfsym's n, j, r and start are compared with the gradients of the real model (``tests/_grad_check.py``:
positive normalised weights, max pooling replaced by average pooling of the same geometry), measured on
an input that holds the field along the measured axis (the other axis small: the runtime stays bounded).
Models with squeeze-and-excitation gates are *global*: rfsym reports the local receptive field of the
paths that avoid the gates (measured with the gates' global pooling detached) and says that every unit
also sees the whole input (checked with the gates attached).
"""

from __future__ import annotations

import time
import warnings

import pytest
import torchvision.models as tvm
from _grad_check import extent, field, forward
from torchvision.models import segmentation as seg
from torchvision.models.feature_extraction import create_feature_extractor

from rfsym import from_torch
from rfsym.errors import EmptyOutputError
from rfsym.io._graphbuild import global_paths


def _cut(make, node):
    return lambda: create_feature_extractor(make(), [node])


def _nets():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "alexnet": lambda: tvm.alexnet().features,
            "vgg11_bn": lambda: tvm.vgg11_bn().features,
            "vgg16": lambda: tvm.vgg16().features,
            "resnet18": _cut(tvm.resnet18, "layer4"),
            "resnet50": _cut(tvm.resnet50, "layer4"),
            "resnext50_32x4d": _cut(tvm.resnext50_32x4d, "layer4"),
            "wide_resnet50_2": _cut(tvm.wide_resnet50_2, "layer4"),
            "densenet121": lambda: tvm.densenet121().features,
            "googlenet": _cut(lambda: tvm.googlenet(aux_logits=False, init_weights=False), "inception5b"),
            "inception_v3": _cut(lambda: tvm.inception_v3(aux_logits=False, init_weights=False), "Mixed_7c"),
            "mobilenet_v2": lambda: tvm.mobilenet_v2().features,
            "mobilenet_v3_small": lambda: tvm.mobilenet_v3_small().features,
            "mobilenet_v3_large": lambda: tvm.mobilenet_v3_large().features,
            "shufflenet_v2_x0_5": _cut(tvm.shufflenet_v2_x0_5, "conv5"),
            "squeezenet1_0": lambda: tvm.squeezenet1_0().features,
            "squeezenet1_1": lambda: tvm.squeezenet1_1().features,
            "mnasnet0_5": lambda: tvm.mnasnet0_5().layers,
            "efficientnet_b0": lambda: tvm.efficientnet_b0().features,
            "efficientnet_v2_s": lambda: tvm.efficientnet_v2_s().features,
            "regnet_x_400mf": _cut(tvm.regnet_x_400mf, "trunk_output"),
            "regnet_y_400mf": _cut(tvm.regnet_y_400mf, "trunk_output"),
            "convnext_tiny": lambda: tvm.convnext_tiny().features,
            "fcn_resnet50": lambda: seg.fcn_resnet50(weights_backbone=None).backbone,
            "deeplabv3_mobilenet_v3_large": lambda: seg.deeplabv3_mobilenet_v3_large(weights_backbone=None).backbone,
        }


NETS = _nets()
#: families whose blocks have squeeze-and-excitation gates (global pooling inside)
GLOBAL = {"mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_b0", "efficientnet_v2_s", "regnet_y_400mf"}
GLOBAL |= {"deeplabv3_mobilenet_v3_large"}


def _thin(model, long):
    """The smallest short side (of a few) at which the model has an output: the measurement stays cheap."""
    for short in (1, 16, 32, 80):
        try:
            return short, from_torch(model, (short, long))
        except EmptyOutputError:
            continue
    raise AssertionError("no short side works")


@pytest.mark.parametrize("name", sorted(NETS))
def test_matches_gradients(name):
    """n on both axes, and r, j, start on the long axis, equal the real model's float64 gradients."""
    model = NETS[name]().eval()
    at224 = from_torch(model, 224).table().output[1]
    long = -(-(int(at224.r) + 4 * int(at224.j) + 8) // 32) * 32
    short, net = _thin(model, long)
    out = net.table().output
    x, y, mode = forward(model, (1, 3, short, long))
    assert tuple(y.shape[2:]) == tuple(s.n for s in out)
    n = int(y.shape[3])
    u = (n - 1) // 2
    r, j, start, ext = field(x, y, 1, (u, u + 1))
    assert all(0 < lo and hi < long - 1 for lo, hi in ext), (ext, long)  # both regions lie inside the input
    assert (r, j, start) == (out[1].r, out[1].j, out[1].start)
    info = global_paths(net)
    assert (info is not None) == (name in GLOBAL) == (mode.globals > 0)
    if info is not None:
        assert not info.only and "whole input" in info.note()


@pytest.mark.parametrize("name", sorted(GLOBAL))
def test_global_gates_see_the_whole_input(name):
    """With the gates attached, a unit's gradient reaches every input pixel: what 'global' says."""
    model = NETS[name]().eval()
    x, y, mode = forward(model, (1, 3, 64, 96), detach_global=False)

    ext = extent(x, y, (0, 0))
    assert mode.globals > 0 and ext == [(0, 63), (0, 95)]


def test_import_and_table_are_fast():
    """Import + table of each of these models stays under 0.2 s of CPU time in process (fx, no forward pass)."""
    import gc

    slow = {}
    for name, make in NETS.items():
        model = make().eval()
        from_torch(model, 224)  # the first call pays for torch.fx's lazy imports
        gc.collect()  # the suite's own garbage is not the import's time (a full collection here took 0.7 s)
        took = []
        for _ in range(3):  # best of three: the figure of the code, not of a collection that lands in it
            t = time.process_time()
            from_torch(model, 224).table()
            took.append(time.process_time() - t)
        if min(took) >= 0.2:
            slow[name] = round(min(took), 3)
    assert not slow


@pytest.mark.parametrize("name", ["resnet50", "mobilenet_v2", "densenet121"])
def test_verify_checks_r_j_start(name):
    """rfsym.verify without a size checks r, j and start (not just bounds) on the real models; ResNet-50 < 30 s."""
    from rfsym import verify

    t = time.process_time()
    rep = verify(NETS[name](), strict=True)
    took = time.process_time() - t
    assert rep.checked and all(rep.status(q) == "checked" for q in ("r", "j", "start"))
    if name == "resnet50":
        assert took < 30


def test_verify_mobilenet_v2_at_512_does_not_saturate():
    """At a given 512 input, ReLU6 no longer saturates in verify's copy (it reported a mismatch there)."""
    from rfsym import verify

    rep = verify(NETS["mobilenet_v2"](), 512, strict=True)
    assert rep.ok and rep.status("r") == "checked"


def test_stochastic_depth_is_an_eval_identity():
    """torchvision.ops.StochasticDepth in a residual block: imported as the identity (fx and hooks)."""
    import torch.nn as nn
    from torchvision.ops import StochasticDepth

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.c = nn.Conv2d(2, 2, 5, padding=2)
            self.sd = StochasticDepth(0.2, "row")

        def forward(self, x):
            return x + self.sd(self.c(x))

    for method in ("fx", "hooks"):
        assert from_torch(Block(), 16, method=method).table().output[0].r == 5
