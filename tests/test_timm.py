"""timm's CNNs (``pretrained=False``: architectures only) imported as they are, against their float64 gradients.

Each model's ``forward_features`` (the trunk before the pooled head) is imported by ``rfsym.from_torch`` and
compared with the real model's gradients exactly as in tests/test_zoo_torchvision.py: n on both axes,
r, j and start on the long axis of an input that holds the field (``tests/_grad_check.py``), and
"global" (squeeze-and-excitation, ECA, selective-kernel and split-attention gates) exactly where the
measurement met a global operation.  What timm has that rfsym refuses is listed in docs/models.md.
"""

from __future__ import annotations

import warnings
from fractions import Fraction

import pytest
import timm
import torch.nn as nn
from _grad_check import field, forward

from rfsym import RfsymError, from_torch
from rfsym.errors import EmptyOutputError
from rfsym.io.torch import global_paths
from rfsym.layers import Upsample

#: one or two small members of each family (the runtime stays bounded)
MODELS = [
    "resnet18d",
    "resnet26d",
    "resnetv2_50",
    "seresnet18",
    "legacy_seresnet18",
    "seresnext26d_32x4d",
    "ecaresnet26t",
    "skresnet18",
    "resnest14d",
    "regnetx_002",
    "regnety_002",
    "rexnet_100",
    "efficientnet_b0",
    "mobilenetv2_050",
    "mobilenetv3_small_050",
    "mnasnet_050",
    "fbnetc_100",
    "ghostnet_050",
    "hrnet_w18_small",
    "dla34",
    "dpn48b",
    "xception41",
    "vgg11",
    "cspresnet50",
    "cs3darknet_focus_s",
    "darknet17",
    "convnext_atto",
    "poolformer_s12",
    "hardcorenas_a",
    "ese_vovnet19b_dw",
    "selecsls42b",
    "lcnet_050",
    "tinynet_e",
    "mixnet_s",
    "semnasnet_050",
    "spnasnet_100",
    "repvgg_a0",
    "gernet_s",
    "hgnet_tiny",
]


class Features(nn.Module):
    """A timm model's ``forward_features``: the trunk as the model computes it."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.m = model

    def forward(self, x):
        return self.m.forward_features(x)


def make(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Features(timm.create_model(name, pretrained=False)).eval()


def _thin(model, long):
    for short in (1, 16, 32, 80):
        try:
            return short, from_torch(model, (short, long))
        except (EmptyOutputError, RfsymError):  # too small, or branches that only align at multiples of 32
            continue
    raise AssertionError("no short side works")


@pytest.mark.parametrize("name", MODELS)
def test_matches_gradients(name):
    """n on both axes, and r, j, start on the long axis, equal the real model's float64 gradients."""
    model = make(name)
    at224 = from_torch(model, 224).table().output[1]
    long = -(-(int(at224.r) + 4 * int(at224.j) + 8) // 32) * 32
    short, net = _thin(model, long)
    out = net.table().output
    x, y, mode = forward(model, (1, 3, short, long))
    assert tuple(y.shape[2:]) == tuple(s.n for s in out)
    n = int(y.shape[3])
    u = (n - 1) // 2
    r, j, start, ext = field(x, y, 1, (u, u + 1))
    assert all(0 < lo and hi < long - 1 for lo, hi in ext), (ext, long)
    st = out[1]
    if any(isinstance(lay, Upsample) for lay in net.layers):
        # Upsampled branches (HRNet's fusion): rfsym's box is the smallest window holding every
        # feature's region, a bound; each unit's gradient lies within its box.
        for unit, (lo, hi) in zip((u, u + 1), ext):
            c = st.start + unit * st.j
            assert c - Fraction(st.r) / 2 <= lo and hi + 1 <= c + Fraction(st.r) / 2
        assert j == st.j
    else:
        assert (r, j, start) == (st.r, st.j, st.start)
    assert (global_paths(net) is not None) == (mode.globals > 0)


def test_at_least_thirty_families():
    """The list covers at least 30 architectures (families, not widths of one)."""
    families = {name.split("_")[0].rstrip("0123456789d") for name in MODELS}
    assert len(MODELS) >= 30 and len(families) >= 25


REFUSED = {
    "tresnet_m": r"m\.body\.s2d .*to 6 axes mixes its spatial axes",  # space-to-depth as view/permute/view
    "levit_128s": r"m\.stages\.0\.blocks\.0\.attn\.qkv .*unsupported operation 'reshape_as'",  # attention
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refusals_name_the_module(name):
    """What rfsym refuses (docs/models.md lists why) is one line naming the module and --passthrough."""
    with pytest.raises(RfsymError, match=REFUSED[name]) as info:
        from_torch(make(name), 224)
    assert "\n" not in str(info.value) and "m." in str(info.value)
