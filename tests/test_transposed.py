"""Transposed convolution and upsampling: PyTorch's sizes and gradients, the oracle, symbols, validation."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
import torch
from graph_oracle import Oracle, window_extents
from hypothesis import given, settings
from hypothesis import strategies as st

from rfsym import AxisState, ConvTranspose, Network, RfsymError, Upsample, loads

HALF = Fraction(1, 2)


def torch_reach(module: torch.nn.Module, shape: tuple[int, ...]) -> tuple[torch.Size, list[list[frozenset[int]]]]:
    """Per axis and output unit: the input pixels whose gradient is non-zero (float64)."""
    module = module.double()
    for p in module.parameters():
        torch.nn.init.constant_(p, 1.0)
    x = torch.ones(1, 1, *shape, dtype=torch.float64, requires_grad=True)
    y = module(x)[0, 0]
    out: list[list[frozenset[int]]] = []
    for ax in range(len(shape)):
        per: list[frozenset[int]] = []
        for o in range(y.shape[ax]):
            idx = [0] * len(shape)
            idx[ax] = o
            (g,) = torch.autograd.grad(y[tuple(idx)], x, retain_graph=True)
            g = g[0, 0].abs()
            nz = g > g.max() * 1e-12
            other = tuple(d for d in range(len(shape)) if d != ax)
            proj = nz.any(dim=other) if other else nz
            per.append(frozenset(torch.nonzero(proj).flatten().tolist()))
        out.append(per)
    return y.shape, out


def check_layer(layer, node: dict, shape: tuple[int, ...], module: torch.nn.Module, origin=HALF) -> None:
    """PyTorch = the finite oracle; rfsym's n matches; every region lies in rfsym's window, which the oracle fills."""
    size, reach = torch_reach(module, shape)
    for ax, n in enumerate(shape):
        st0 = layer.transfer(AxisState.input(n, origin), ax)
        assert st0.n == size[ax]
        nd = dict(node[ax] if isinstance(node, list) else node, inputs=["input"])
        orc = Oracle({"out": nd}, n)
        assert orc.sizes["out"] == size[ax]
        h = Fraction(st0.r - 1, 2)
        for o, got in enumerate(reach[ax]):
            assert got == orc.reach("out", o), (ax, o)
            if got:
                c = st0.start + o * st0.j
                assert c - h <= min(got) + origin and max(got) + origin <= c + h
        regions = {u: orc.region("out", u) for u in range(-30, 31)}
        left, right = window_extents(regions, st0.j, st0.start, origin)
        assert left == h and right == h  # the window is the tightest one holding every region
        assert st0.P == origin + h - st0.start


class TestConvTranspose:
    @settings(max_examples=120, deadline=None)
    @given(
        n=st.integers(1, 9),
        k=st.integers(1, 5),
        s=st.integers(1, 4),
        d=st.integers(1, 3),
        data=st.data(),
        origin=st.sampled_from([HALF, 0]),
    )
    def test_against_pytorch_1d(self, n, k, s, d, data, origin):
        """ConvTranspose1d: output size, reached pixels and rfsym's window for random k, s, p, output_padding, d."""
        p = data.draw(st.integers(0, d * (k - 1)))
        op = data.draw(st.integers(0, max(s, d) - 1))
        if (n - 1) * s - 2 * p + d * (k - 1) + op + 1 < 1:
            return
        mod = torch.nn.ConvTranspose1d(1, 1, k, stride=s, padding=p, output_padding=op, dilation=d, bias=False)
        lay = ConvTranspose(kernel=k, stride=s, padding=p, output_padding=op, dilation=d)
        node = {"kind": "tconv", "kernel": k, "stride": s, "padding": (p, p), "output_padding": op, "dilation": d}
        check_layer(lay, node, (n,), mod, origin)

    def test_against_pytorch_2d(self):
        """ConvTranspose2d with different parameters per axis."""
        mod = torch.nn.ConvTranspose2d(
            1, 1, (4, 3), stride=(2, 3), padding=(1, 0), output_padding=(1, 2), dilation=(1, 2), bias=False
        )
        lay = ConvTranspose(kernel=[4, 3], stride=[2, 3], padding=[1, 0], output_padding=[1, 2], dilation=[1, 2])
        nodes = [
            {"kind": "tconv", "kernel": 4, "stride": 2, "padding": (1, 1), "output_padding": 1, "dilation": 1},
            {"kind": "tconv", "kernel": 3, "stride": 3, "padding": (0, 0), "output_padding": 2, "dilation": 2},
        ]
        check_layer(lay, nodes, (5, 4), mod)

    def test_asymmetric_padding(self):
        """[left, right] padding crops the full output on each side (PyTorch pads symmetrically only)."""
        lay = ConvTranspose(kernel=4, stride=2, padding=[2, 0])
        st0 = lay.transfer(AxisState.input(6))
        full = torch.nn.functional.conv_transpose1d(torch.ones(1, 1, 6), torch.ones(1, 1, 4), stride=2)
        assert st0.n == full.shape[-1] - 2
        orc = Oracle({"o": {"kind": "tconv", "kernel": 4, "stride": 2, "padding": (2, 0), "inputs": ["input"]}}, 6)
        assert orc.sizes["o"] == st0.n
        left, right = window_extents({u: orc.region("o", u) for u in range(-20, 21)}, st0.j, st0.start, HALF)
        assert left == right == Fraction(st0.r - 1, 2)

    def test_upsampler_geometry(self):
        """k=4, s=2, p=1 (the usual 2x upsampler): output pixel o's centre is (o + 1/2)/2 in input pixels."""
        st0 = ConvTranspose(kernel=4, stride=2, padding=1).transfer(AxisState.input(8))
        for o in range(16):
            assert st0.start + o * st0.j == Fraction(2 * o + 1, 4)
        assert st0.r == Fraction(5, 2) and st0.j == HALF

    def test_symbolic(self):
        """Symbolic parameters give the same values as numbers substituted afterwards."""
        net = loads(
            """
input = "n"
[symbols]
k = { min = 1 }
s = { min = 1 }
p = { min = 0 }
[[layers]]
kind = "conv"
kernel = 3
stride = 2
[[layers]]
kind = "conv_transpose"
kernel = "k"
stride = "s"
padding = "p"
"""
        )
        out = net.table().output[0]
        syms = {x.name: x for x in net.free_symbols}
        assert sympy.simplify(sympy.sympify(out.j) - 2 / syms["s"]) == 0
        for k, s, p, n in [(4, 2, 1, 17), (3, 3, 0, 10), (2, 2, 0, 9)]:
            num = net.subs({"k": k, "s": s, "p": p, "n": n}).table().output[0]
            vals = {syms["k"]: k, syms["s"]: s, syms["p"]: p, syms["n"]: n}
            for key in ("n", "j", "r", "start", "P"):
                assert sympy.nsimplify(sympy.sympify(getattr(out, key)).subs(vals)) == sympy.nsimplify(
                    getattr(num, key)
                )

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            ({"kernel": 3, "stride": 2, "output_padding": 2}, "output_padding must be smaller than stride or dilation"),
            ({"kernel": 3, "padding": "same"}, "'same'/'valid' do not apply"),
            ({"kernel": 0}, "kernel must be a positive integer"),
            ({"kernel": 3, "stride": [1, 2], "dilation": [1, 2, 3]}, "axes"),
        ],
    )
    def test_validation(self, kwargs, match):
        """Bad parameters name the layer, the field and the value."""
        with pytest.raises(RfsymError, match=match):
            ConvTranspose(name="up", **kwargs)

    def test_pytorch_agrees_on_output_padding(self):
        """PyTorch refuses the same output_padding rfsym refuses."""
        with pytest.raises(RuntimeError):
            torch.nn.ConvTranspose1d(1, 1, 3, stride=2, output_padding=2)(torch.ones(1, 1, 4))


class TestUpsample:
    @settings(max_examples=60, deadline=None)
    @given(n=st.integers(1, 9), s=st.integers(1, 5), mode=st.sampled_from(["nearest", "nearest-exact", "linear"]))
    def test_against_pytorch_1d(self, n, s, mode):
        """Upsample 1-D, all modes: size, reached pixels (float64) and the tight window."""
        mod = torch.nn.Upsample(scale_factor=s, mode=mode, align_corners=False if mode == "linear" else None)
        lay = Upsample(scale=s, mode=mode)
        node = {"kind": "linear" if mode == "linear" else "nearest", "scale": s}
        check_layer(lay, node, (n,), mod)

    @pytest.mark.parametrize("scale", [(2, 3), (3, 1), (4, 2)])
    def test_bilinear_2d(self, scale):
        """Bilinear 2-D with a scale per axis."""
        mod = torch.nn.Upsample(scale_factor=scale, mode="bilinear", align_corners=False)
        lay = Upsample(scale=list(scale), mode="bilinear")
        check_layer(lay, [{"kind": "linear", "scale": s} for s in scale], (5, 4), mod)

    def test_bilinear_weight_rounding(self):
        """float32 PyTorch gives an exactly-zero bilinear weight as ~1e-8; float64 and rfsym say zero."""
        x = torch.ones(1, 1, 6, requires_grad=True)
        y = torch.nn.functional.interpolate(x, scale_factor=3, mode="linear", align_corners=False)
        (g,) = torch.autograd.grad(y[0, 0, 1], x)
        assert 0 < g[0, 0, 1] < 1e-6  # output 1 sits at x = (1 + 1/2)/3 - 1/2 = 0: input 1 has weight 0
        orc = Oracle({"o": {"kind": "linear", "scale": 3, "inputs": ["input"]}}, 6)
        assert orc.reach("o", 1) == {0}

    def test_symbolic_scale(self):
        """A symbolic scale: bilinear grows r by (2s - 1 - (s mod 2)) j/s, which matches numbers for odd and even s."""
        s = sympy.Symbol("s", integer=True, positive=True)
        sym = Upsample(scale=s, mode="bilinear").transfer(AxisState.input(8))
        for v in range(1, 7):
            num = Upsample(scale=v, mode="bilinear").transfer(AxisState.input(8))
            for key in ("n", "j", "r", "start", "P"):
                assert sympy.nsimplify(sympy.sympify(getattr(sym, key)).subs(s, v)) == sympy.nsimplify(
                    getattr(num, key)
                )

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            ({"scale": 0}, "scale must be a positive integer"),
            ({"scale": 2, "mode": "bicubic"}, "mode must be one of"),
            ({"scale": 1.5}, "scale"),
        ],
    )
    def test_validation(self, kwargs, match):
        """Bad parameters name the layer and the value."""
        with pytest.raises(RfsymError, match=match):
            Upsample(name="up", **kwargs)


class TestSequentialDecoder:
    def test_network_table_and_spec(self):
        """A sequential decoder spec stays a Network; its table runs through the transfer functions."""
        net = loads(
            """
input = 8
[[layers]]
kind = "conv_transpose"
kernel = 4
stride = 2
padding = 1
[[layers]]
kind = "upsample"
scale = 2
mode = "bilinear"
[[layers]]
kind = "conv"
kernel = 3
padding = 1
"""
        )
        assert isinstance(net, Network)
        out = net.table().output[0]
        assert (out.n, out.j) == (32, Fraction(1, 4))
        # r: 1 + 3 (1/2) + 3 (1/4) + 2 (1/4) = 15/4
        assert out.r == 1 + Fraction(3, 2) + Fraction(3, 4) + Fraction(2, 4)
        assert "0.5" in net.table().to_text()  # the fractional stride shows in the table

    def test_spec_errors(self):
        """Spec errors for the new kinds name the file, the layer and the field."""
        with pytest.raises(RfsymError, match=r"net.toml: up: scale is required"):
            loads('[[layers]]\nname = "up"\nkind = "upsample"\n', source="net.toml")
        with pytest.raises(RfsymError, match=r"net.toml: .*unknown field 'ceil_mode'"):
            loads('[[layers]]\nname = "t"\nkind = "conv_transpose"\nkernel = 2\nceil_mode = true\n', source="net.toml")
