"""Declarative layers: each kind states its parameters once; everything else is generated from that."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from rfsym import Conv, ConvTranspose, Identity, Network, Pool, Repeat, RfsymError, Upsample
from rfsym.io.spec import LAYER_KINDS, loads
from rfsym.layers import AxisState, Layer, Option, Param, Window
from rfsym.values import SymbolDomain

KINDS = [Conv, Pool, ConvTranspose, Upsample, Identity, Repeat]


def declared_names(cls: type[Layer]) -> set[str]:
    return {f for f, _, _ in cls.declared()}


class TestDeclaration:
    @pytest.mark.parametrize("cls", KINDS)
    def test_every_parameter_is_declared(self, cls):
        """Every dataclass field is a declared parameter or option, except name, and a repeat's block and index."""
        fields = {f.name for f in dataclasses.fields(cls)}
        extra = {"block", "index"} if cls is Repeat else set()
        assert fields - {"name"} - extra == declared_names(cls)
        for _, decl, _ in cls.declared():
            assert isinstance(decl, (Param, Option))

    def test_declarations(self):
        """The declarations themselves: roles, defaults, per-axis, padding forms."""
        conv = {f: (d, default) for f, d, default in Conv.declared()}
        assert conv["kernel"][0].role == "kernel" and repr(conv["kernel"][1]) == "REQUIRED"
        assert conv["stride"][1] == 1 and conv["dilation"][1] == 1 and conv["padding"][0].padding == "modes"
        tconv = {f: d for f, d, _ in ConvTranspose.declared()}
        assert tconv["padding"].padding == "pairs" and tconv["output_padding"].role == "output_padding"
        pool = {f: d for f, d, _ in Pool.declared()}
        assert pool["stride"].default_from == "kernel" and pool["mode"].choices == ("max", "avg")
        rep = {f: d for f, d, _ in Repeat.declared()}
        assert rep["times"].per_axis is False

    @pytest.mark.parametrize("kind", sorted(LAYER_KINDS))
    def test_spec_keys_are_the_declared_fields(self, kind):
        """A spec accepts exactly the declared fields of its kind (options hidden from specs excluded)."""
        cls, _ = LAYER_KINDS[kind]
        hidden = {f for f, d, _ in cls.declared() if isinstance(d, Option) and not d.in_spec}
        assert cls.spec_fields() == declared_names(cls) - hidden
        with pytest.raises(RfsymError, match=f"unknown field 'bogus' for a {kind} layer"):
            loads(f'[[layers]]\nkind = "{kind}"\nbogus = 1\n')

    def test_required(self):
        """A missing required parameter is an RfsymError naming the layer and field, from Python as from a spec."""
        for cls, field in ((Conv, "kernel"), (Pool, "kernel"), (ConvTranspose, "kernel"), (Upsample, "scale")):
            with pytest.raises(RfsymError, match=f"x: {field} is required"):
                cls(name="x")
        with pytest.raises(RfsymError, match="times is required"):
            Repeat(block=[Conv(kernel=3)])

    def test_axis_params_is_one_method(self):
        """Conv, Pool and ConvTranspose share axis_params: (kernel, stride, padding, dilation, output_padding)."""
        assert Window._fields == ("kernel", "stride", "padding", "dilation", "output_padding")
        assert Conv(kernel=[3, 5], stride=2).axis_params(1) == Window(5, 2, (0, 0), 1, 0)
        assert Pool(kernel=2).axis_params(0) == Window(2, 2, (0, 0), 1, 0)
        t = ConvTranspose(kernel=[4, 3], stride=[2, 3], padding=[1, 0], output_padding=[1, 2], dilation=[1, 2])
        assert t.axis_params(1) == Window(3, 3, (0, 0), 2, 2)
        assert not hasattr(t, "tconv_params")

    def test_has_weights(self):
        """The solver's view of kernels: convolutions (transposed too) carry weights, pooling does not."""
        assert Conv.has_weights and ConvTranspose.has_weights
        assert not (Pool.has_weights or Upsample.has_weights or Identity.has_weights or Repeat.has_weights)


def layers_from(kind: str, draw: Any) -> tuple[Layer, dict[str, Any]]:
    ints = st.integers
    if kind == "upsample":
        d = {"scale": draw(ints(1, 4)), "mode": draw(st.sampled_from(["nearest", "bilinear"]))}
        return Upsample(**d), d
    d = {"kernel": draw(ints(1, 7)), "stride": draw(ints(1, 3)), "dilation": draw(ints(1, 3))}
    d["padding"] = draw(st.one_of(ints(0, 3), st.lists(ints(0, 3), min_size=2, max_size=2)))
    if kind == "conv_transpose":
        d["output_padding"] = draw(ints(0, max(d["stride"], d["dilation"]) - 1))
        return ConvTranspose(**d), d
    if kind == "pool":
        d["ceil_mode"] = draw(st.booleans())
        d["padding"] = draw(st.one_of(st.just(d["padding"]), st.sampled_from(["same", "valid"])))
        return Pool(**d), d
    d["padding"] = draw(st.one_of(st.just(d["padding"]), st.sampled_from(["same", "same_lower", "valid"])))
    return Conv(**d), d


def toml(d: dict[str, Any]) -> str:
    def val(v: Any) -> str:
        return str(v).lower() if isinstance(v, bool) else (f'"{v}"' if isinstance(v, str) else str(v))

    return "\n".join(f"{k} = {val(v)}" for k, v in d.items())


@st.composite
def any_layer(draw: Any) -> tuple[str, Layer, dict[str, Any]]:
    kind = draw(st.sampled_from(["conv", "pool", "conv_transpose", "upsample"]))
    lay, d = layers_from(kind, draw)
    return kind, lay, d


class TestGenerated:
    @settings(max_examples=200, deadline=None)
    @given(any_layer(), st.integers(1, 60))
    def test_generated_paths_agree(self, case, n):
        """Spec parsing, substitution and symbol collection are generated: all agree with the Python API,
        and each transfer on a symbolic input, evaluated at n, is the numeric transfer (exact, no floats)."""
        kind, lay, d = case
        from_spec = loads(f'[[layers]]\nkind = "{kind}"\nname = "{lay.kind}1"\n{toml(d)}\n').layers[0]
        assert from_spec == lay.renamed(f"{lay.kind}1")
        assert lay.map_values(lambda v: v) == lay
        assert all(isinstance(v, int) for v in lay.values()) and lay.free_symbols == set()
        assert {role for _, role, _ in lay.role_values()} <= {"kernel", "stride", "padding", "dilation"} | {
            "output_padding",
            "scale",
        }
        N = sympy.Symbol("N", integer=True, positive=True)
        num = lay.transfer(AxisState.input(n))
        sym = lay.transfer(AxisState.input(N))
        for a, b in zip(dataclasses.astuple(num), dataclasses.astuple(sym)):
            assert isinstance(a, (int, Fraction)) and not isinstance(a, bool)
            got = sympy.nsimplify(b).xreplace({N: n}) if not isinstance(b, (int, Fraction)) else b
            assert sympy.Rational(a) == sympy.Rational(got)

    @settings(max_examples=200, deadline=None)
    @given(any_layer())
    def test_substitution_reaches_every_parameter(self, case):
        """map_values reaches every declared parameter: a layer of symbols, substituted, is the numeric layer."""
        kind, lay, d = case
        names = {k: f"x_{k}" for k, v in d.items() if isinstance(v, int) and not isinstance(v, bool)}
        sym_d = {k: (f"v{k[:3]}" if k in names else v) for k, v in d.items()}
        symbolic = type(lay)(**sym_d)
        values = {f"v{k[:3]}": d[k] for k in names}
        got = symbolic.map_values(
            lambda v: v if isinstance(v, int) else v.xreplace({s: values[s.name] for s in v.free_symbols})
        )
        assert got == lay
        assert {s.name for s in symbolic.free_symbols} == set(values)


class TestTypes:
    @pytest.mark.parametrize(
        "make, message",
        [
            (lambda: Network(None), "layers must be a list"),
            (lambda: Network([Conv(kernel=3)], name=5), "name must be a string"),
            (lambda: Network([Conv(kernel=3)], symbols=[1]), "symbols must be a dict"),
            (lambda: Network([Conv(kernel=3)], symbols={"k": 3}), "must be a SymbolDomain"),
            (lambda: Network([3]), "layer 1 is not an rfsym layer"),
            (lambda: Conv(kernel=[[3]]), "kernel[0] must be a positive integer"),
            (lambda: Conv(kernel={"a": 1}), "kernel must be a positive integer"),
            (lambda: Conv(kernel=3, name=7), "name must be a string"),
            (lambda: Conv(kernel=3, padding=object()), "padding must be a non-negative integer"),
            (lambda: Conv(kernel=3, padding={1: 2}), "exactly 'left' and 'right'"),
            (lambda: Pool(kernel=2, mode=3), "mode must be 'max' or 'avg'"),
            (lambda: Pool(kernel=2, ceil_mode="yes"), "ceil_mode must be true or false"),
            (lambda: Upsample(scale=2, mode=None), "mode must be one of"),
            (lambda: Identity(op="swish"), "op must be one of"),
            (lambda: Repeat(block=3, times=2), "block must be a non-empty list of layers"),
            (lambda: Repeat(block=[Conv(kernel=3)], times=2, index=5), "index must be a symbol name"),
            (lambda: Conv(kernel=sympy.nan), "kernel must be a positive integer"),
            (lambda: Conv(kernel=sympy.oo), "kernel must be a positive integer"),
            (lambda: Conv(kernel=sympy.zoo), "kernel must be a positive integer"),
            (lambda: Conv(kernel=sympy.Float(3.0)), "kernel must be a positive integer"),
            (lambda: Conv(kernel=sympy.Symbol("k") + sympy.I), "kernel must be a positive integer"),
            (lambda: Conv(kernel=float("nan")), "kernel must be a positive integer"),
            (lambda: Conv(kernel=sympy.exp(sympy.Symbol("k"))), "which holds exp"),
            (lambda: SymbolDomain(min="a"), "min must be an integer"),
            (lambda: SymbolDomain(odd="yes"), "odd must be true or false"),
            (lambda: SymbolDomain(choices=[]), "choices must be a non-empty list of integers"),
            (lambda: SymbolDomain(choices=[1.5]), "choices must be a non-empty list of integers"),
            (lambda: Network([Conv(kernel=3)], input=[[3]]), "input[0] must be a positive integer"),
            (lambda: Repeat(block=[Conv(kernel=3)], times=2.5), "times must be a positive integer"),
        ],
    )
    def test_wrong_types_are_rfsym_errors(self, make, message):
        """Wrong types through the Python API raise RfsymError with a message, never TypeError/KeyError."""
        with pytest.raises(RfsymError) as e:
            make()
        assert message in str(e.value) and "\n" not in str(e.value)
