"""rfsym.from_torch: PyTorch modules and functional calls imported as rfsym networks.

Numbers are checked against the brute-force pixel-set oracle (tests/oracle.py)
and against PyTorch's own output shapes; never against rfsym's arithmetic.
"""

from __future__ import annotations

import sys
from fractions import Fraction

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from oracle import count_windows, oracle

import rfsym
from rfsym import Graph, Network, RfsymError, from_torch
from rfsym.io._graphbuild import global_paths
from rfsym.layers import ConvTranspose, Identity, Pool, Upsample

# -- random 1-D stacks against the oracle ------------------------------------------------


@st.composite
def torch_layer(draw):
    kind = draw(st.sampled_from(["conv", "conv", "maxpool", "avgpool", "relu"]))
    if kind == "relu":
        return {"kind": "relu"}
    k = draw(st.integers(1, 6))
    s = draw(st.integers(1, 3))
    if kind == "conv":
        return {
            "kind": "conv",
            "kernel": k,
            "stride": s,
            "dilation": draw(st.integers(1, 3)),
            "padding": (draw(st.integers(0, 3)), draw(st.integers(0, 3))),
        }
    p = draw(st.integers(0, k // 2))  # PyTorch: pooling padding at most half the kernel
    d = draw(st.integers(1, 3)) if kind == "maxpool" else 1
    return {"kind": kind, "kernel": k, "stride": s, "dilation": d, "padding": (p, p), "ceil_mode": draw(st.booleans())}


def to_module(params):
    mods = []
    for p in params:
        if p["kind"] == "relu":
            mods.append(nn.ReLU())
        elif p["kind"] == "conv":
            pl, pr = p["padding"]
            if pl == pr:
                mods.append(nn.Conv1d(1, 1, p["kernel"], p["stride"], pl, p["dilation"]))
            else:  # asymmetric: explicit padding, then an unpadded convolution
                mods += [nn.ConstantPad1d((pl, pr), 0.0), nn.Conv1d(1, 1, p["kernel"], p["stride"], 0, p["dilation"])]
        elif p["kind"] == "maxpool":
            mods.append(
                nn.MaxPool1d(p["kernel"], p["stride"], p["padding"][0], p["dilation"], ceil_mode=p["ceil_mode"])
            )
        else:
            mods.append(nn.AvgPool1d(p["kernel"], p["stride"], p["padding"][0], ceil_mode=p["ceil_mode"]))
    return nn.Sequential(*mods)


def as_oracle(params):
    return [{"kernel": 1} if p["kind"] == "relu" else {k: v for k, v in p.items() if k != "kind"} for p in params]


def oracle_ok(params, n):
    size = n
    for p in as_oracle(params):
        size = count_windows(p, size)
        if size < 1:
            return False
    return True


class TestRandomStacks:
    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(params=st.lists(torch_layer(), min_size=1, max_size=6), n=st.integers(1, 60))
    def test_against_oracle_and_torch_shapes(self, params, n):
        """The imported network's output n, j, r, start, P equal the oracle's, and n equals PyTorch's output length."""
        assume(any(p["kind"] != "relu" for p in params))
        assume(oracle_ok(params, n))
        model = to_module(params)
        expect = oracle(as_oracle(params), n)[-1]
        out = from_torch(model, n).table().output[0]
        assert (out.n, out.j, out.r, Fraction(out.start), out.P) == (
            expect["n"],
            expect["j"],
            expect["r"],
            expect["start"],
            expect["P"],
        )
        with torch.no_grad():
            assert model(torch.zeros(1, 1, n)).shape[-1] == out.n

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(params=st.lists(torch_layer(), min_size=1, max_size=5), n=st.integers(1, 40))
    def test_fx_and_hooks_agree(self, params, n):
        """Tracing with torch.fx and recording with hooks give the same table."""
        assume(any(p["kind"] != "relu" for p in params) and oracle_ok(params, n))
        model = to_module(params)
        a = from_torch(model, n, method="fx").table()
        b = from_torch(model, n, method="hooks").table()
        assert [(r.name, r.states) for r in a.rows] == [(r.name, r.states) for r in b.rows]

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(params=st.lists(torch_layer(), min_size=1, max_size=5), n=st.integers(1, 30))
    def test_too_small_input_is_a_clear_error(self, params, n):
        """An input too small for the model raises RfsymError naming the layer, never a torch error."""
        assume(any(p["kind"] != "relu" for p in params) and not oracle_ok(params, n))
        with pytest.raises(RfsymError, match="needs a larger input"):
            from_torch(to_module(params), n)


# -- modules --------------------------------------------------------------------------


def out_state(model, size, **kw):
    return from_torch(model, size, **kw).table().output


class TestModules:
    def test_conv_nd(self):
        """Conv1d/2d/3d with per-axis kernel, stride, padding and dilation match PyTorch's output shape."""
        for nd, conv in ((1, nn.Conv1d), (2, nn.Conv2d), (3, nn.Conv3d)):
            k, s, p, d = (3, 5, 2)[:nd], (1, 2, 3)[:nd], (0, 2, 1)[:nd], (2, 1, 1)[:nd]
            m = conv(2, 3, k, s, p, d)
            sizes = (17, 19, 23)[:nd]
            states = out_state(m, sizes)
            shape = m(torch.zeros(1, 2, *sizes)).shape[2:]
            for ax in range(nd):
                kap = d[ax] * (k[ax] - 1) + 1
                assert states[ax].n == shape[ax]
                assert states[ax].r == kap and states[ax].j == s[ax]
                assert states[ax].start == Fraction(1, 2) + Fraction(kap - 1, 2) - p[ax]

    def test_conv_same_padding(self):
        """padding='same' (PyTorch: extra padding on the right) keeps the size and centres the window."""
        m = nn.Conv1d(1, 1, 4, padding="same", dilation=1)
        (st_,) = out_state(m, 10)
        expect = oracle([{"kernel": 4, "padding": (1, 2)}], 10)[-1]
        assert (st_.n, st_.r, st_.start) == (10, 4, expect["start"])

    def test_pools_3d_and_ceil_mode(self):
        """3-D max-pooling with padding, dilation and ceil_mode: n equals PyTorch's output shape on every axis."""
        m = nn.MaxPool3d((3, 2, 4), (2, 2, 3), (1, 0, 2), (1, 2, 1), ceil_mode=True)
        sizes = (10, 11, 13)
        states = out_state(m, sizes)
        shape = m(torch.zeros(1, 1, *sizes)).shape[2:]
        assert tuple(s.n for s in states) == tuple(shape)

    def test_avgpool_ceil_drops_window_in_padding(self):
        """AvgPool2d with ceil_mode: the output size follows PyTorch's rule for a last window in the padding."""
        for n in range(3, 20):
            m = nn.AvgPool2d(3, 2, 1, ceil_mode=True)
            assert out_state(m, n)[0].n == m(torch.zeros(1, 1, n, n)).shape[-1]

    def test_adaptive_pool_divisible(self):
        """AdaptiveAvgPool2d to a divisor of the map is a pool of kernel = stride = n/o."""
        net = from_torch(nn.Sequential(nn.Conv2d(1, 1, 3, padding=1), nn.AdaptiveAvgPool2d((4, 2))), 8)
        lay = net.layers[-1]
        assert isinstance(lay, Pool) and lay.axis_params(0)[:2] == (2, 2) and lay.axis_params(1)[:2] == (4, 4)

    def test_adaptive_pool_non_divisible_is_refused(self):
        """Adaptive pooling from 7 to 3 has unequal windows: a clear error naming the module."""
        with pytest.raises(RfsymError, match=r"1 \(torch.nn.AdaptiveMaxPool2d\).*different sizes"):
            from_torch(nn.Sequential(nn.Conv2d(1, 1, 3), nn.AdaptiveMaxPool2d(3)), 9)

    def test_flatten_linear_sees_whole_map(self):
        """Flatten then Linear: one output whose window is the whole remaining map (as the gradient shows)."""
        m = nn.Sequential(
            nn.Conv2d(1, 2, 3, stride=2), nn.Flatten(), nn.Linear(2 * 7 * 7, 5), nn.ReLU(), nn.Linear(5, 3)
        )
        (a, b) = out_state(m, 15)
        assert a.n == 1 and a.r == 15 and a.start == Fraction(15, 2)
        x = torch.ones(1, 1, 15, 15, requires_grad=True)
        with torch.no_grad():
            for p in m.parameters():
                p.fill_(0.1)
        m(x)[0, 0].backward()
        assert bool((x.grad != 0).all())

    def test_view_and_mean_heads(self):
        """x.view(N, -1) and x.mean((2, 3)) are recognised as a flatten and a global pooling."""

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(1, 4, 3)
                self.fc = nn.Linear(4 * 8 * 8, 2)
                self.fc2 = nn.Linear(4, 2)

            def forward(self, x):
                y = self.conv(x)
                return self.fc(y.view(y.size(0), -1)) + self.fc2(y.mean((2, 3)))

        g = from_torch(Net(), 10)
        assert isinstance(g, Graph)
        out = g.table().output
        assert out[0].n == 1 and out[0].r == 10

    def test_matmul_head(self):
        """`torch.flatten(x, 1) @ W` is a fully connected head: one output seeing the whole map."""

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.c = nn.Conv2d(1, 2, 3)
                self.w = nn.Parameter(torch.zeros(2 * 6 * 6, 3))

            def forward(self, x):
                return torch.flatten(self.c(x), 1) @ self.w

        out = out_state(Net(), 8)
        assert [(s.n, s.r) for s in out] == [(1, 8), (1, 8)]

    def test_pass_through_modules(self):
        """Activations, norms, dropout and Identity add rows to nothing: the table equals the bare convolution's."""
        body = [
            nn.BatchNorm2d(2),
            nn.GroupNorm(1, 2),
            nn.LayerNorm([2, 9, 9]),
            nn.Dropout2d(),
            nn.Identity(),
            nn.GELU(),
            nn.SiLU(),
            nn.Hardswish(),
            nn.LeakyReLU(),
            nn.Softmax(dim=1),
            nn.InstanceNorm2d(2),
        ]
        m = nn.Sequential(nn.Conv2d(1, 2, 3), *body)
        net = from_torch(m, 11)
        assert len(net.layers) == 1 and net.layers[0].name == "0"

    def test_padding_modules(self):
        """ZeroPad2d / ReflectionPad2d become a 1-wide layer with that padding (torch lists the last axis first)."""
        m = nn.Sequential(nn.ReflectionPad2d((1, 2, 3, 0)), nn.Conv2d(1, 1, 3))
        h, w = out_state(m, (8, 9))
        shape = m(torch.zeros(1, 1, 8, 9)).shape[2:]
        assert (h.n, w.n) == tuple(shape)
        assert h.start == Fraction(1, 2) + 1 - 3 and w.start == Fraction(1, 2) + 1 - 1

    def test_transposed_and_upsample(self):
        """ConvTranspose2d, Upsample and F.interpolate become rfsym's transposed layers with PyTorch's output size."""

        class Dec(nn.Module):
            def __init__(self):
                super().__init__()
                self.t = nn.ConvTranspose2d(1, 1, 4, 2, 1, output_padding=1)
                self.u = nn.Upsample(scale_factor=2, mode="bilinear")

            def forward(self, x):
                return F.interpolate(self.u(self.t(x)), scale_factor=3, mode="nearest")

        net = from_torch(Dec(), 5)
        kinds = [type(lay) for lay in net.layers]
        assert kinds == [ConvTranspose, Upsample, Upsample]
        assert net.table().output[0].n == Dec()(torch.zeros(1, 1, 5, 5)).shape[-1]

    def test_interpolate_by_size(self):
        """F.interpolate(size=...) with an integer ratio is an upsampling by that factor."""

        class M(nn.Module):
            def forward(self, x):
                return F.interpolate(x, size=(12, 8))

        net = from_torch(nn.Sequential(nn.Conv2d(1, 1, 3, padding=1), M()), (4, 4))
        assert tuple(s.n for s in net.table().output) == (12, 8)


class TestFunctionalAndGraphs:
    def test_functional_calls(self):
        """F.conv2d with a parameter weight and F.max_pool2d with ceil_mode are imported like the modules."""

        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.w = nn.Parameter(torch.zeros(4, 1, 5, 3))

            def forward(self, x):
                x = F.conv2d(x, self.w, stride=(2, 1), padding=(2, 0))
                x = F.max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True)
                return torch.relu(x)

        h, w = out_state(M(), (21, 17))
        shape = M()(torch.zeros(1, 1, 21, 17)).shape[2:]
        assert (h.n, w.n) == tuple(shape)
        assert (h.r, w.r) == (5 + 2 * 2, 3 + 2)

    def test_add_and_cat_make_a_graph(self):
        """`+` and torch.cat of two feature maps become add/concat merges of an rfsym Graph."""

        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.a = nn.Conv2d(1, 2, 3, padding=1)
                self.b = nn.Conv2d(1, 2, 5, padding=2)
                self.c = nn.Conv2d(4, 1, 1)

            def forward(self, x):
                y = self.a(x) + self.b(x)
                return self.c(torch.cat([y, self.a(x)], dim=1))

        g = from_torch(M(), 16)
        assert isinstance(g, Graph)
        names = list(g.nodes)
        assert "add" in names and "cat" in names
        assert g.inputs_of("add") == ("a", "b")
        assert g.table().output[0].r == 5

    def test_residual_union_equals_gradient_extent(self):
        """A residual block's r (union of the two paths) equals the extent of the input gradient."""

        class Res(nn.Module):
            def __init__(self):
                super().__init__()
                self.c1 = nn.Conv1d(1, 1, 3, padding=1)
                self.c2 = nn.Conv1d(1, 1, 5, padding=2, dilation=1)

            def forward(self, x):
                return self.c2(self.c1(x)) + x

        (st_,) = out_state(Res(), 40)
        m = Res()
        with torch.no_grad():
            for p in m.parameters():
                p.fill_(1.0)
        x = torch.ones(1, 1, 40, requires_grad=True)
        m(x)[0, 0, 20].backward()
        nz = torch.nonzero(x.grad[0, 0]).flatten()
        assert int(nz[-1] - nz[0] + 1) == st_.r == 7

    def test_squeeze_excitation_is_global(self):
        """An SE gate (global pooling broadcast back) is a global operation: the network is the local field of the
        paths that avoid it, and global_paths says every unit also sees the whole input (as the gradient shows)."""

        class SE(nn.Module):
            def __init__(self, detach=False):
                super().__init__()
                self.c = nn.Conv2d(1, 4, 3, padding=1)
                self.pool = nn.AdaptiveAvgPool2d(1)
                self.fc = nn.Conv2d(4, 4, 1)
                self.detach = detach

            def forward(self, x):
                y = self.c(x)
                g = self.pool(y)
                return y * torch.sigmoid(self.fc(g.detach() if self.detach else g))

        g = from_torch(SE(), 12)
        out = g.table().output
        assert (out[0].n, out[0].j, out[0].r) == (12, 1, 3)  # conv c alone, not the whole-map window
        info = global_paths(g)
        assert info is not None and not info.only and any("pool" in op for op in info.ops)
        for detach, extent in ((False, (0, 11)), (True, (4, 6))):
            m = SE(detach)
            with torch.no_grad():
                for p in m.parameters():
                    p.fill_(0.5)
            x = torch.ones(1, 1, 12, 12, requires_grad=True)
            m(x)[0, :, 5, 5].sum().backward()
            nz = torch.nonzero(x.grad[0, 0].abs().sum(0)).flatten()
            assert (int(nz[0]), int(nz[-1])) == extent  # the whole input; with the gate detached the 3-wide box

    def test_concat_along_space_is_refused(self):
        """torch.cat along a spatial axis is an unsupported op with a clear message."""

        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.c = nn.Conv1d(1, 1, 3)

            def forward(self, x):
                y = self.c(x)
                return torch.cat([y, y], dim=2)

        with pytest.raises(RfsymError, match="not along channels"):
            from_torch(M(), 10)

    def test_hooks_fallback_for_untraceable_models(self):
        """Data-dependent control flow defeats torch.fx; the hook recorder still imports the model."""

        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.c = nn.Conv1d(1, 1, 3)
                self.p = nn.MaxPool1d(2)

            def forward(self, x):
                if x.sum() > 0:
                    x = x * 2
                return self.p(torch.relu(self.c(x)))

        with pytest.raises(RfsymError, match="torch.fx cannot trace"):
            from_torch(M(), 20, method="fx")
        (st_,) = out_state(M(), 20)
        assert (st_.n, st_.r, st_.j) == (9, 4, 2)


class TestErrors:
    def test_unsupported_module_names_path_and_type(self):
        """An unsupported module gets an error with its module path and type; passthrough= accepts it."""
        m = nn.Sequential(nn.Conv1d(1, 4, 3), nn.Sequential(nn.Identity(), nn.Unfold(2)))
        with pytest.raises(RfsymError, match=r"1\.1 \(torch\.nn\.Unfold\): unsupported module"):
            from_torch(m, 10)
        net = from_torch(m, 10, passthrough=["1.1"])
        assert net.table().output[0].r == 3

    def test_unsupported_op(self):
        """An unsupported tensor operation on a feature map names the call."""

        class M(nn.Module):
            def forward(self, x):
                return torch.flip(x, dims=[2])

        with pytest.raises(RfsymError, match="unsupported operation 'flip'"):
            from_torch(nn.Sequential(nn.Conv1d(1, 1, 3), M()), 10)

    def test_not_a_model(self):
        """from_torch of something that is not an nn.Module is a clear error."""
        with pytest.raises(RfsymError, match="needs a torch.nn.Module"):
            from_torch(lambda x: x, 10)

    def test_bad_input_size_and_passthrough_name(self):
        """Non-positive sizes, wrong axis counts and unknown passthrough names are clear errors."""
        m = nn.Conv2d(1, 1, 3)
        with pytest.raises(RfsymError, match="positive"):
            from_torch(m, 0)
        with pytest.raises(RfsymError, match="does not fit"):
            from_torch(m, (1, 2, 3, 4, 5))
        with pytest.raises(RfsymError, match="no module 'nope'"):
            from_torch(m, 8, passthrough=["nope"])

    def test_smallest_input_hint(self):
        """The error names the smallest input that works; PyTorch agrees (runs at it, fails one below)."""
        m = nn.Sequential(nn.Conv2d(1, 1, 5), nn.MaxPool2d(2), nn.Conv2d(1, 1, 5, dilation=2))
        with pytest.raises(RfsymError, match=r"smallest input that works is (\d+)\)") as info:
            from_torch(m, 10)
        n = int(info.value.args[0].rsplit(" ", 1)[-1].rstrip(")"))
        assert m(torch.zeros(1, 1, n, n)).shape[-1] == 1
        with pytest.raises(RuntimeError):
            m(torch.zeros(1, 1, n - 1, n - 1))

    def test_too_small_input_graph(self):
        """A too-small input in a branching model names the layer where the map vanishes."""
        with pytest.raises(RfsymError, match=r"Mixed_\w+.*needs a larger input"):
            from_torch(_inception(), 60)

    def test_importing_rfsym_does_not_import_torch(self):
        """`import rfsym` pulls in neither torch nor onnx (checked in a fresh interpreter)."""
        import subprocess

        code = "import sys, rfsym; print('torch' in sys.modules, 'onnx' in sys.modules)"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        assert out.split() == ["False", "False"]


def _inception():
    from _torch_models import Trunk, inception_v3

    return Trunk(inception_v3(8))


def test_public_api():
    """from_torch, from_onnx and verify are exported."""
    assert {"from_torch", "from_onnx", "verify"} <= set(rfsym.__all__)
    assert isinstance(from_torch(nn.Conv1d(1, 1, 3), 5), Network)
    assert isinstance(Identity(), rfsym.layers.Layer)


# -- issue 15: layouts, crops, pixel shuffles, global operations ------------------------------


def _grad_field(model, shape, axis=-1):
    """(r, j, start) on the last axis from the float64 gradients of two middle units (tests/_grad_check.py)."""
    from _grad_check import field, forward

    x, y, _ = forward(model, shape)
    n = int(y.shape[axis])
    u = (n - 1) // 2
    return field(x, y, y.dim() - 3, (u, u + 1))[:3], tuple(y.shape[2:])


class _Shuffle(nn.Module):
    """ShuffleNet's channel shuffle between two convolutions (view to 5 axes, transpose, view back)."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(1, 4, 3, stride=2)
        self.b = nn.Conv2d(4, 4, 5, padding=1)

    def forward(self, x):
        x = self.a(x)
        n, c, h, w = x.size()
        x = x.view(n, 2, c // 2, h, w).transpose(1, 2).contiguous().view(n, -1, h, w)
        return self.b(x)


class _ChannelsLast(nn.Module):
    """A ConvNeXt block: depthwise conv, permute to channels last, LayerNorm and Linear on channels, permute back."""

    def __init__(self):
        super().__init__()
        self.dw = nn.Conv2d(4, 4, 7, padding=3, groups=4)
        self.norm = nn.LayerNorm(4)
        self.fc = nn.Linear(4, 8)
        self.out = nn.Conv2d(8, 4, 3, stride=2)

    def forward(self, x):
        y = self.dw(x).permute(0, 2, 3, 1)
        y = torch.nn.functional.gelu(self.fc(self.norm(y)))
        return self.out(y.permute(0, 3, 1, 2))


class TestLayouts:
    @pytest.mark.parametrize("make", [_Shuffle, _ChannelsLast])
    @pytest.mark.parametrize("method", ["fx", "hooks"])
    def test_channel_only_rearrangements(self, make, method):
        """A channel shuffle and a channels-last block keep the spatial axes: r, j, start and n match the gradients."""
        m = make()
        chans = m.a.in_channels if hasattr(m, "a") else 4
        (r, j, start), shape = _grad_field(m, (1, chans, 9, 41))
        out = from_torch(m, (9, 41), method=method).table().output
        assert tuple(s.n for s in out) == shape
        assert (out[1].r, out[1].j, out[1].start) == (r, j, start)

    def test_same_tensor_twice(self):
        """x + x and x * sigmoid(x) (SiLU written out) are one input of the merge, not an error."""

        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.c = nn.Conv1d(1, 1, 5)

            def forward(self, x):
                y = self.c(x)
                return (y + y) * torch.sigmoid(y)

        assert from_torch(M(), 20).table().output[0].r == 5

    def test_mixing_reshape_is_refused_naming_the_module(self):
        """A view that mixes a spatial axis with the channels names the module and suggests --passthrough."""

        class Mix(nn.Module):
            def forward(self, x):
                n, c, h, w = x.size()
                return x.view(n, c * 2, h // 2, w)

        m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Sequential(Mix()))
        with pytest.raises(RfsymError, match=r"1\.0 .*mixes its spatial axes.*--passthrough '1\.0'"):
            from_torch(m, 12, method="fx")


@st.composite
def crop_case(draw):
    k1, s1, d1 = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    k2 = draw(st.integers(1, 4))
    n = draw(st.integers(12, 50))
    start = draw(st.integers(-3, 4))
    stop = draw(st.one_of(st.none(), st.integers(-4, 40)))
    step = draw(st.integers(1, 3))
    pad = draw(st.one_of(st.none(), st.tuples(st.integers(-3, 0), st.integers(-3, 0))))
    return k1, s1, d1, k2, n, slice(start, stop, step), pad


class _Crop(nn.Module):
    def __init__(self, k1, s1, d1, k2, key, pad):
        super().__init__()
        self.a = nn.Conv1d(1, 2, k1, s1, dilation=d1, padding=1)
        self.b = nn.Conv1d(2, 1, k2)  # no padding after the crop: see docs/models.md, cropping
        self.key, self.pad = key, pad

    def forward(self, x):
        y = self.a(x)[:, :, self.key]
        if self.pad is not None:
            y = F.pad(y, self.pad)
        return self.b(y)


class TestCrops:
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(case=crop_case())
    def test_slices_and_negative_padding_against_gradients(self, case):
        """x[..., a:b:step] and F.pad with negative pads crop the map: every unit's gradient extent lies in
        rfsym's box (equal when the box is inside the input), and n equals PyTorch's output length."""
        from _grad_check import extent, forward

        k1, s1, d1, k2, n, key, pad = case
        m = _Crop(k1, s1, d1, k2, key, pad)
        try:
            with torch.no_grad():
                n_torch = m(torch.zeros(1, 1, n)).shape[-1]
        except RuntimeError:
            n_torch = 0
        assume(n_torch >= 1)
        for method in ("fx", "hooks"):
            st_ = from_torch(m, n, method=method).table(origin=Fraction(1, 2)).output[0]
            assert st_.n == n_torch
        x, y, _ = forward(m, (1, 1, n))
        for u in range(n_torch):
            got = extent(x, y, (u,))[0]
            c = st_.start + u * st_.j
            lo, hi = c - Fraction(st_.r) / 2, c + Fraction(st_.r) / 2
            if got is not None:
                assert lo <= got[0] and got[1] + 1 <= hi
                if lo >= 0 and hi <= n:
                    assert (got[0], got[1] + 1) == (lo, hi)


class TestPixelShuffle:
    @pytest.mark.parametrize("factor", [2, 3])
    def test_shuffle_and_unshuffle_against_gradients(self, factor):
        """PixelShuffle (nearest upsampling by r) and PixelUnshuffle (a window r, stride r): n and the bounds."""
        from _grad_check import extent, forward

        up = nn.Sequential(nn.Conv2d(1, factor * factor, 3), nn.PixelShuffle(factor), nn.Conv2d(1, 1, 3))
        down = nn.Sequential(nn.PixelUnshuffle(factor), nn.Conv2d(factor * factor, 1, 3))
        for m, rows, n in ((up, 4, 13), (down, 3 * factor, 6 * factor)):
            st_ = from_torch(m, (rows, n)).table().output[1]
            x, y, _ = forward(m, (1, 1, rows, n))
            assert y.shape[-1] == st_.n
            for u in range(int(st_.n)):
                lo, hi = extent(x, y, (int(y.shape[2]) // 2, u))[1]
                c = st_.start + u * st_.j
                assert c - Fraction(st_.r) / 2 <= lo and hi + 1 <= c + Fraction(st_.r) / 2
        st_ = from_torch(down, 6 * factor).table().output[0]
        assert (st_.j, st_.r) == (factor, 3 * factor)  # exact jump change, and the window as a convolution


class TestGlobal:
    def test_attention_residual_is_global(self):
        """x + attention(x) over all positions: the local field is the patch embedding's, and the unit is global."""

        class ViTish(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = nn.Conv2d(3, 8, 4, stride=4)
                self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
                self.mlp = nn.Linear(8, 8)

            def forward(self, x):
                t = self.embed(x).flatten(2).transpose(1, 2)
                t = t + self.attn(t, t, t)[0]
                return self.mlp(t)

        net = from_torch(ViTish(), 32)
        out = net.table().output
        assert (out[0].r, out[0].j) == (4, 4)
        info = global_paths(net)
        assert info is not None and any("attn" in op for op in info.ops) and not info.only

    def test_pooled_head_is_global_only(self):
        """A pooled classifier head: every path is global (the old whole-map window is kept and marked)."""
        m = nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
        net = from_torch(m, 10)
        info = global_paths(net)
        assert info is not None and info.only and net.table().output[0].r == 10
        assert global_paths(from_torch(nn.Conv2d(1, 1, 3), 10)) is None


class TestPassthroughAndFallback:
    def test_patterns(self):
        """passthrough takes patterns; one that matches nothing is an error naming it."""
        m = nn.Sequential(nn.Conv1d(1, 1, 3), nn.Sequential(nn.Unfold(2)), nn.Sequential(nn.Unfold(2)))
        assert from_torch(m, 10, passthrough=["?.0"]).table().output[0].r == 3
        with pytest.raises(RfsymError, match="no module 'x.\\*'"):
            from_torch(m, 10, passthrough=["x.*"])

    def test_fx_refusal_falls_back_to_hooks(self):
        """A view fx sees only as proxies (a size from numel()) fails under fx; the default method then uses hooks.

        (Sizes multiplied, ``y.shape[2] * y.shape[3]``, are numbers under fx since the token layout.)"""

        class Tokens(nn.Module):
            def __init__(self):
                super().__init__()
                self.c = nn.Conv2d(1, 2, 3)

            def forward(self, x):
                y = self.c(x)
                return y.view(y.shape[0], y.shape[1], y.numel() // y.shape[0] // y.shape[1]).mean(-1)

        with pytest.raises(RfsymError, match="mixes its spatial axes"):
            from_torch(Tokens(), 9, method="fx")
        net = from_torch(Tokens(), 9)
        assert global_paths(net).only and net.table().output[0].r == 9


class TestTableCli:
    def test_passthrough_and_global_line(self, tmp_path):
        """`rfsym table pkg:factory --passthrough PATTERN` works, and a global model gets its 'global:' line."""
        import json
        import subprocess

        (tmp_path / "nets.py").write_text(
            "import torch, torch.nn as nn\n"
            "class SE(nn.Module):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.c = nn.Conv2d(3, 4, 3)\n"
            "        self.gate = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(4, 4, 1), nn.Sigmoid())\n"
            "        self.odd = nn.Sequential(nn.Unfold(2))\n"
            "    def forward(self, x):\n"
            "        y = self.c(x)\n"
            "        return self.odd(y * self.gate(y))\n"
            "def se():\n    return SE()\n"
        )

        def run(*args):
            return subprocess.run(
                [sys.executable, "-m", "rfsym", "table", "nets:se", "--input", "16", *args],
                capture_output=True,
                text=True,
                cwd=tmp_path,
            )

        bad = run()
        assert bad.returncode == 2 and "--passthrough 'odd.0'" in bad.stderr
        ok = run("--passthrough", "odd.*")
        assert ok.returncode == 0, ok.stderr
        assert ok.stdout.splitlines()[-1].startswith("global: every output unit also sees the whole input")
        js = json.loads(run("--passthrough", "odd.*", "--format", "json").stdout)
        assert js["global"]["whole_input"] is True and js["layers"][-1]["r"] == [3, 3]
        zoo = subprocess.run(
            [sys.executable, "-m", "rfsym", "table", "alexnet", "--passthrough", "x"], capture_output=True, text=True
        )
        assert zoo.returncode == 2 and "applies to PyTorch factories, ONNX and .keras files only" in zoo.stderr

    def test_derive_passthrough(self, tmp_path):
        """`rfsym derive pkg:factory --passthrough PATTERN` (issue 15): the closed forms of the imported model with
        the matched modules passed through, equal to its table at the given input; a zoo spec refuses the flag."""
        import json
        import subprocess

        (tmp_path / "dnets.py").write_text(
            "import torch.nn as nn\n"
            "def net():\n"
            "    return nn.Sequential(nn.Conv2d(1, 2, 3, stride=2), nn.Unfold(2), nn.Conv2d(2, 2, 5))\n"
        )

        def run(*args):
            return subprocess.run(
                [sys.executable, "-m", "rfsym", "derive", *args], capture_output=True, text=True, cwd=tmp_path
            )

        bad = run("dnets:net", "--input", "33")
        assert bad.returncode == 2 and "--passthrough" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
        ok = run("dnets:net", "--input", "33", "--passthrough", "1", "--format", "json")
        assert ok.returncode == 0, ok.stderr
        out = json.loads(ok.stdout)
        assert (out["j"], out["r"], out["n"]) == ([2, 2], [11, 11], [12, 12])  # 33 -> 16 -> 12; r = 3 + 4*2
        zoo = run("alexnet", "--passthrough", "x")
        assert zoo.returncode == 2 and "applies to PyTorch factories, ONNX and .keras files only" in zoo.stderr
