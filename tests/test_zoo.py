"""The built-in zoo: specs against the imported PyTorch modules, published numbers, gradients.

torchvision cannot be installed beside torch 2.13 here, so the modules are the
re-implementations in tests/_torch_models.py (torchvision's layouts).
"""

from __future__ import annotations

import time
from fractions import Fraction

import _torch_models as M
import pytest

import rfsym
from rfsym import Graph, from_torch, verify
from rfsym.io.spec import builtin_names

# Causal stacks (WaveNet, TCN) are unaligned by design: the union is what is checked.
pytestmark = pytest.mark.filterwarnings("ignore::rfsym.graph.AlignmentWarning")

# spec name -> (module factory at full width, small-width factory for gradient checks, input for gradients)
ZOO = {
    "alexnet_torchvision": (lambda: M.alexnet().features, None, 260),
    "vgg11": (lambda: M.vgg(11).features, lambda: M.vgg(11, 16).features, 200),
    "vgg13": (lambda: M.vgg(13).features, lambda: M.vgg(13, 16).features, 200),
    "vgg16": (lambda: M.vgg(16).features, lambda: M.vgg(16, 16).features, 240),
    "vgg19": (lambda: M.vgg(19).features, lambda: M.vgg(19, 16).features, 300),
    "resnet18": (lambda: M.Trunk(M.resnet(18)), lambda: M.Trunk(M.resnet(18, width=4)), 480),
    "resnet34": (lambda: M.Trunk(M.resnet(34)), None, None),
    "resnet50": (lambda: M.Trunk(M.resnet(50)), lambda: M.Trunk(M.resnet(50, width=2)), 160),
    "resnet101": (lambda: M.Trunk(M.resnet(101)), None, None),
    "resnet152": (lambda: M.Trunk(M.resnet(152)), None, None),
    "inception_v3": (lambda: M.Trunk(M.inception_v3()), lambda: M.Trunk(M.inception_v3(32)), 299),
    "mobilenet_v1": (lambda: M.Trunk(M.mobilenet_v1()), lambda: M.Trunk(M.mobilenet_v1(16)), 360),
    "unet_encoder": (lambda: M.unet_encoder(), lambda: M.unet_encoder(16), 300),
    "wavenet": (lambda: M.wavenet(), lambda: M.wavenet(2), 4000),
    "tcn": (lambda: M.tcn(), lambda: M.tcn(), 1500),
    "wav2vec2_feature_encoder": (lambda: M.wav2vec2_feature_encoder(), lambda: M.wav2vec2_feature_encoder(32), 8000),
}


def states(table, name):
    return tuple((s.n, s.j, s.r, s.start, s.P) for s in table[name].states)


def per_axis(out, nd):
    """A spec with scalar parameters has one axis: repeat it to compare with an N-D module."""
    return tuple(out) * nd if len(out) == 1 else tuple(out)


class TestSpecsAgainstModules:
    @pytest.mark.parametrize("name", sorted(ZOO))
    def test_rows_match_the_imported_module(self, name):
        """Every layer of the spec has the n, j, r, start and P of the same layer imported from PyTorch."""
        spec = rfsym.load(name)
        tab = spec.table()
        model = ZOO[name][0]()
        imported = from_torch(model, list(tab.input)).table()
        nd = imported.ndim
        assert per_axis(tab.output, nd) == tuple(imported.output)
        if isinstance(spec, Graph):  # graphs keep torchvision's module paths
            for row in imported.rows[1:]:
                key = row.name.removeprefix("model.")
                assert per_axis(tab[key].states, nd) == row.states, key
        elif name not in ("wavenet", "tcn"):  # chains: the same layers in the same order
            mine = [
                per_axis(r.states, nd) for r in tab.rows[1:] if r.layer.kind != "identity" and r.layer.kind != "relu"
            ]
            theirs = [r.states for r in imported.rows[1:]]
            assert mine == theirs

    @pytest.mark.parametrize("name", sorted(n for n, v in ZOO.items() if v[1] is not None))
    def test_spec_against_gradients(self, name):
        """The spec's boxes match the gradients of the (narrowed) PyTorch module at an input larger than r."""
        _, small, size = ZOO[name]
        spec = rfsym.load(name)
        rep = verify(small(), size, network=spec, strict=True)
        assert rep.ok
        if size > spec.table().output[0].r:  # some box lies inside the input: checked exactly
            assert any(u.exact for u in rep.units) and all(a.r_observed == a.r for a in rep.axes)

    def test_every_spec_has_a_source_note(self):
        """Each zoo file names its source in a `source` field and in its header comment."""
        from importlib import resources

        import tomllib

        for name in sorted(ZOO):
            text = resources.files("rfsym.zoo").joinpath(f"{name}.toml").read_text()
            data = tomllib.loads(text)
            assert data.get("source"), name
            assert text.startswith("#"), name
        assert set(ZOO) <= set(builtin_names())


class TestPublishedNumbers:
    @pytest.mark.parametrize(
        "name, layer, r",
        [
            ("alexnet", "pool5", 195),
            ("alexnet_torchvision", "pool5", 195),
            ("vgg11", "pool5", 150),
            ("vgg13", "pool5", 156),
            ("vgg16", "pool5", 212),
            ("vgg19", "pool5", 268),
        ],
    )
    def test_r_at_pool5(self, name, layer, r):
        """r at pool5 as published: AlexNet 195, VGG-11 150, VGG-13 156, VGG-16 212, VGG-19 268."""
        assert rfsym.load(name).table()[layer].states[0].r == r

    @pytest.mark.parametrize("depth, r", [(11, 150), (13, 156), (16, 212), (19, 268)])
    def test_r_at_pool5_from_modules(self, depth, r):
        """The same numbers from the PyTorch modules themselves (not the specs)."""
        out = from_torch(M.vgg(depth).features, 224).table().output
        assert [s.r for s in out] == [r, r]

    def test_torch_scan_vgg16_number_is_wrong(self):
        """torch-scan reported 308 for VGG-16; rfsym's 212 is what the gradients show."""
        rep = verify(M.vgg(16, 16).features, 240, strict=True)
        assert all(a.r == a.r_observed == 212 for a in rep.axes)

    def test_google_alexnet_v2(self):
        """Google receptive_field's alexnet_v2 (TF-slim: conv1 VALID, other convs SAME, pools VALID): 195 / 32 / 64."""
        spec = """
        name = "alexnet_v2"
        input = 224
        [[layers]]
        name = "conv1"
        kind = "conv"
        kernel = 11
        stride = 4
        padding = "valid"
        [[layers]]
        name = "pool1"
        kind = "pool"
        kernel = 3
        stride = 2
        padding = "valid"
        [[layers]]
        name = "conv2"
        kind = "conv"
        kernel = 5
        padding = "same"
        [[layers]]
        name = "pool2"
        kind = "pool"
        kernel = 3
        stride = 2
        padding = "valid"
        [[layers]]
        name = "conv3"
        kind = "conv"
        kernel = 3
        padding = "same"
        [[layers]]
        name = "conv4"
        kind = "conv"
        kernel = 3
        padding = "same"
        [[layers]]
        name = "conv5"
        kind = "conv"
        kernel = 3
        padding = "same"
        [[layers]]
        name = "pool5"
        kind = "pool"
        kernel = 3
        stride = 2
        padding = "valid"
        """
        out = rfsym.loads(spec).table(origin=0).output[0]
        assert (out.r, out.j, out.P) == (195, 32, 64)

    def test_google_vgg_16(self):
        """Google receptive_field's vgg_16 (SAME 3x3 convolutions, VALID 2x2 pools) at pool5: 212 / 32 / 90."""
        out = rfsym.load("vgg16").table(origin=0)["pool5"].states[0]
        assert (out.r, out.j, out.P) == (212, 32, 90)

    @pytest.mark.parametrize(
        "name, layer, r",
        [
            ("resnet50", "layer4.2.add", 427),
            ("inception_v3", "Mixed_7c.cat_3", 1311),
            ("mobilenet_v1", "conv13_pw", 315),
        ],
    )
    def test_well_known_trunks(self, name, layer, r):
        """ResNet-50 (torchvision v1.5) 427; Inception v3 1311 and MobileNet v1 315 as in Araujo et al., Distill 2019."""
        assert rfsym.load(name).table()[layer].states[0].r == r

    def test_audio_models(self):
        """wav2vec 2.0: one feature per 320 samples (20 ms) seeing 400 (25 ms); WaveNet 3071; TCN 1021."""
        w = rfsym.load("wav2vec2_feature_encoder").table().output[0]
        assert (w.j, w.r, w.n) == (320, 400, 49)
        assert rfsym.load("wavenet").table().output[0].r == 3 * 1023 + 2
        tcn = rfsym.load("tcn").table().output[0]
        assert tcn.r == 1 + 2 * 2 * (2**8 - 1) and tcn.start == Fraction(1, 2) - (tcn.r - 1) / 2


def test_resnet152_import_speed():
    """Importing ResNet-152 from PyTorch and deriving its table takes well under the 5 s target."""
    model = M.Trunk(M.resnet(152))
    t = time.perf_counter()
    tab = from_torch(model, 224).table()
    assert time.perf_counter() - t < 5
    assert tab.output[0].r == 1451
