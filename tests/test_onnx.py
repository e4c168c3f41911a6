"""rfsym.from_onnx: ONNX graphs (exported from PyTorch or built node by node) as rfsym networks."""

from __future__ import annotations

import io
import warnings
from fractions import Fraction

import numpy as np
import onnx
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from _torch_models import Trunk, alexnet, inception_v3, mobilenet_v1, resnet, wav2vec2_feature_encoder
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper
from oracle import count_windows, oracle

from rfsym import Graph, RfsymError, from_onnx, from_torch


def export(model: nn.Module, shape: tuple[int, ...], **kw) -> bytes:
    """torch.onnx.export with the TorchScript exporter (dynamo=False), to bytes."""
    f = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), (torch.zeros(shape),), f, dynamo=False, **kw)
    return f.getvalue()


def geometry(table):
    """(n, j, r, start, P) of every row whose layer changes the receptive field, in order."""
    return [
        tuple((s.n, s.j, s.r, s.start, s.P) for s in row.states)
        for row in table.rows[1:]
        if row.layer.kind not in ("identity",)
    ]


# -- exported from PyTorch --------------------------------------------------------------


class TestExported:
    @pytest.mark.parametrize(
        "make, shape",
        [
            (lambda: alexnet().features, (1, 3, 224, 224)),
            (lambda: Trunk(mobilenet_v1(8)), (1, 3, 224, 224)),
            (lambda: wav2vec2_feature_encoder(32), (1, 1, 16000)),
            (
                lambda: nn.Sequential(
                    nn.Conv3d(1, 2, (3, 1, 5), (1, 2, 2), (1, 0, 2), (1, 1, 2)), nn.MaxPool3d(2, ceil_mode=True)
                ),
                (1, 1, 9, 10, 11),
            ),
        ],
    )
    def test_chains_equal_torch_import(self, make, shape):
        """Every layer of an exported chain has the same n, j, r, start, P as the PyTorch import."""
        model = make()
        data = export(model, shape)
        a = from_onnx(data).table()
        b = from_torch(model, shape[2:]).table()
        assert geometry(a) == geometry(b)

    @pytest.mark.parametrize(
        "make, size", [(lambda: Trunk(resnet(18, width=8)), 224), (lambda: Trunk(inception_v3(8)), 299)]
    )
    def test_graphs_equal_torch_import(self, make, size):
        """Exported ResNet-18 (Add) and Inception v3 (Concat) give graphs with the torch import's output."""
        model = make()
        a = from_onnx(export(model, (1, 3, size, size)))
        b = from_torch(model, size)
        assert isinstance(a, Graph)
        assert a.table().output == b.table().output
        merges = [lay.kind for lay in a.layers if lay.kind in ("add", "concat")]
        assert merges and set(merges) == {"add"} or set(merges) == {"concat"}

    def test_head_pad_resize_transpose(self, tmp_path):
        """Pad, ConvTranspose, Resize, GlobalAveragePool and Flatten+Gemm, read from a file on disk."""

        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.c = nn.Conv2d(1, 2, 3)
                self.t = nn.ConvTranspose2d(2, 2, 4, 2, 1)
                self.fc = nn.Linear(2, 3)

            def forward(self, x):
                x = F.pad(self.c(x), (1, 2, 0, 3))
                x = F.interpolate(self.t(x), scale_factor=2, mode="nearest")
                return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))

        path = tmp_path / "m.onnx"
        path.write_bytes(export(M(), (1, 1, 12, 12)))
        a = from_onnx(str(path)).table()
        b = from_torch(M(), 12).table()
        kinds = [row.layer.kind for row in a.rows[1:]]
        assert "conv_transpose" in kinds and "upsample" in kinds
        assert a.output == b.output
        assert a.rows[-2].states[0].n == 1  # global pooling

    def test_maxpool_ceil_mode_and_dilation(self):
        """Exported MaxPool with ceil_mode and dilations keeps both attributes; n equals PyTorch's."""
        m = nn.Sequential(nn.Conv2d(1, 1, 3), nn.MaxPool2d(3, 2, 1, dilation=2, ceil_mode=True))
        for n in (9, 10, 13):
            (st_, _) = from_onnx(export(m, (1, 1, n, n))).table().output
            assert st_.n == m(torch.zeros(1, 1, n, n)).shape[-1]

    def test_input_size_override(self):
        """input_size replaces the model's declared spatial sizes."""
        data = export(alexnet().features, (1, 3, 224, 224))
        (h, w) = from_onnx(data, (227, 260)).table().output
        assert (h.n, w.n) == (6, 7)


# -- hand-built graphs: every attribute against the oracle -------------------------------


@st.composite
def onnx_layer(draw):
    op = draw(st.sampled_from(["Conv", "MaxPool", "AveragePool"]))
    k = draw(st.integers(1, 5))
    d = {"op": op, "kernel": k, "stride": draw(st.integers(1, 3))}
    d["dilation"] = draw(st.integers(1, 3)) if op != "AveragePool" else 1
    mode = draw(st.sampled_from(["NOTSET", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"]))
    d["auto_pad"] = mode
    if mode == "NOTSET":
        kap = d["dilation"] * (k - 1) + 1
        d["pads"] = (draw(st.integers(0, kap - 1)), draw(st.integers(0, kap - 1)))
    d["ceil_mode"] = op != "Conv" and mode == "NOTSET" and draw(st.booleans())
    return d


def build_onnx(layers, n):
    nodes, inits = [], []
    prev = "x"
    for i, lay in enumerate(layers):
        attrs = {"kernel_shape": [lay["kernel"]], "strides": [lay["stride"]], "auto_pad": lay["auto_pad"]}
        if lay["dilation"] != 1:
            attrs["dilations"] = [lay["dilation"]]
        if "pads" in lay:
            attrs["pads"] = list(lay["pads"])
        inputs = [prev]
        if lay["op"] == "Conv":
            w = numpy_helper.from_array(np.ones((1, 1, lay["kernel"]), dtype=np.float32), name=f"w{i}")
            inits.append(w)
            inputs.append(f"w{i}")
        elif lay["ceil_mode"]:
            attrs["ceil_mode"] = 1
        nodes.append(helper.make_node(lay["op"], inputs, [f"y{i}"], name=f"{lay['op'].lower()}{i}", **attrs))
        prev = f"y{i}"
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, n])],
        [helper.make_tensor_value_info(prev, TensorProto.FLOAT, [1, 1, "m"])],
        inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)])


def as_oracle(lay):
    pad = {"SAME_UPPER": "same", "SAME_LOWER": "same_lower", "VALID": "valid"}.get(lay["auto_pad"], lay.get("pads"))
    return {
        "kernel": lay["kernel"],
        "stride": lay["stride"],
        "dilation": lay["dilation"],
        "padding": pad,
        "ceil_mode": lay["ceil_mode"],
    }


class TestHandBuilt:
    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(layers=st.lists(onnx_layer(), min_size=1, max_size=6), n=st.integers(1, 50))
    def test_against_oracle(self, layers, n):
        """pads, auto_pad SAME_UPPER/SAME_LOWER/VALID, dilations, ceil_mode: every layer equals the oracle."""
        sizes = [n]
        for lay in layers:
            sizes.append(count_windows(as_oracle(lay), sizes[-1]))
        assume(min(sizes) >= 1)
        model = build_onnx(layers, n)
        onnx.checker.check_model(model)
        rows = from_onnx(model).table().rows[1:]
        expect = oracle([as_oracle(lay) for lay in layers], n)
        for row, e in zip(rows, expect):
            s = row.states[0]
            assert (s.n, s.j, s.r, Fraction(s.start), s.P) == (e["n"], e["j"], e["r"], e["start"], e["P"]), row.name

    def test_same_lower_puts_the_extra_pad_left(self):
        """SAME_LOWER with an even kernel: the odd padding pixel is on the left (start moves left by one)."""
        up = from_onnx(
            build_onnx(
                [{"op": "Conv", "kernel": 4, "stride": 1, "dilation": 1, "auto_pad": "SAME_UPPER", "ceil_mode": False}],
                10,
            )
        )
        lo = from_onnx(
            build_onnx(
                [{"op": "Conv", "kernel": 4, "stride": 1, "dilation": 1, "auto_pad": "SAME_LOWER", "ceil_mode": False}],
                10,
            )
        )
        (a,), (b,) = up.table().output, lo.table().output
        assert a.n == b.n == 10 and a.start - b.start == 1

    def test_elementwise_pass_through_and_branches(self):
        """Relu/BatchNormalization pass through; Add of two Conv branches is a merge; Concat along channels too."""
        w3 = numpy_helper.from_array(np.ones((1, 1, 3), dtype=np.float32), name="w3")
        w5 = numpy_helper.from_array(np.ones((1, 1, 5), dtype=np.float32), name="w5")
        nodes = [
            helper.make_node("Relu", ["x"], ["r"]),
            helper.make_node("Conv", ["r", "w3"], ["a"], pads=[1, 1], name="a"),
            helper.make_node("Conv", ["r", "w5"], ["b"], pads=[2, 2], name="b"),
            helper.make_node("Add", ["a", "b"], ["s"], name="sum"),
            helper.make_node("Concat", ["s", "a"], ["c"], axis=1, name="cat"),
            helper.make_node("Sigmoid", ["c"], ["y"]),
        ]
        g = helper.make_graph(
            nodes,
            "g",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 20])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
            [w3, w5],
        )
        net = from_onnx(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]))
        assert isinstance(net, Graph)
        assert net.inputs_of("sum") == ("a", "b") and net.inputs_of("cat") == ("sum", "a")
        assert net.table().output[0].r == 5


class TestErrors:
    def test_corrupt_file(self, tmp_path):
        """A file that is not an ONNX model gives one clear line."""
        p = tmp_path / "bad.onnx"
        p.write_bytes(b"\x00\x01garbage" * 10)
        with pytest.raises(RfsymError, match="not a valid ONNX model"):
            from_onnx(str(p))

    def test_missing_file_and_not_a_model(self, tmp_path):
        """A missing path and an object of the wrong type are clear errors."""
        with pytest.raises(RfsymError, match="no such ONNX file"):
            from_onnx(str(tmp_path / "none.onnx"))
        with pytest.raises(RfsymError, match="needs an ONNX file path or an onnx.ModelProto"):
            from_onnx(42)

    def test_unsupported_operator(self):
        """An operator that moves pixels (here SpaceToDepth) is named in the error."""
        node = helper.make_node("SpaceToDepth", ["x"], ["y"], blocksize=2, name="s2d")
        g = helper.make_graph(
            [node],
            "g",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 8, 8])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        )
        with pytest.raises(RfsymError, match=r"s2d \(SpaceToDepth\): unsupported operator"):
            from_onnx(helper.make_model(g))

    def test_input_too_small(self):
        """An input size too small for the model names the layer whose output is empty."""
        data = export(alexnet().features, (1, 3, 224, 224))
        with pytest.raises(RfsymError, match="needs a larger input"):
            from_onnx(data, 40)

    def test_symbolic_input_needs_size(self):
        """A model with dynamic spatial axes needs input_size."""
        data = export(nn.Conv2d(1, 1, 3), (1, 1, 8, 8), input_names=["x"], dynamic_axes={"x": {2: "h", 3: "w"}})
        with pytest.raises(RfsymError, match="give input_size"):
            from_onnx(data)
        assert from_onnx(data, 8).table().output[0].n == 6


def test_unet_export_equals_torch_import():
    """An exported U-Net (ConvTranspose, Concat with skips) gives the torch import's graph output."""
    from _torch_models import UNet

    for up in ("transpose", "bilinear"):
        model = UNet(up=up)
        a = from_onnx(export(model, (1, 1, 32, 32)))
        assert isinstance(a, Graph)
        assert a.table().output == from_torch(model, 32).table().output


@pytest.mark.filterwarnings("ignore::rfsym.graph.AlignmentWarning")  # nearest upsampling shifts the centre
def test_dynamic_shapes_flatten_and_resize_to_skip():
    """Exported with dynamic axes: view(x.size(0), -1) and interpolate(size=skip.shape[-2:]) still import."""

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Conv2d(1, 2, 3, padding=1)
            self.b = nn.Conv2d(2, 2, 3, stride=2, padding=1)
            self.fc = nn.Linear(2 * 8 * 8, 3)

        def forward(self, x):
            skip = self.a(x)
            y = F.interpolate(self.b(skip), size=skip.shape[-2:], mode="nearest") + skip
            y = F.max_pool2d(y, 2)
            return self.fc(y.view(y.size(0), -1))

    data = export(M(), (1, 1, 16, 16), input_names=["x"], dynamic_axes={"x": {0: "batch", 2: "h", 3: "w"}})
    a = from_onnx(data, 16).table()
    b = from_torch(M(), 16).table()
    assert a.output == b.output and a.output[0].n == 1


@pytest.mark.parametrize(
    "opset, node, extra",
    [
        (2, helper.make_node("Pad", ["x"], ["y"], pads=[0, 0, 1, 0, 0, 2], mode="reflect"), []),
        (
            13,
            helper.make_node("Pad", ["x", "p"], ["y"]),
            [numpy_helper.from_array(np.array([0, 0, 1, 0, 0, 2], dtype=np.int64), "p")],
        ),
        (
            9,
            helper.make_node("Upsample", ["x", "s"], ["y"], mode="nearest"),
            [numpy_helper.from_array(np.array([1, 1, 3], dtype=np.float32), "s")],
        ),
        (
            10,
            helper.make_node("Resize", ["x", "s"], ["y"], mode="linear"),
            [numpy_helper.from_array(np.array([1, 1, 3], dtype=np.float32), "s")],
        ),
        (
            13,
            helper.make_node("Resize", ["x", "", "s"], ["y"], mode="nearest"),
            [numpy_helper.from_array(np.array([1, 1, 3], dtype=np.float32), "s")],
        ),
        (
            13,
            helper.make_node("Resize", ["x", "", "", "z"], ["y"]),
            [numpy_helper.from_array(np.array([1, 1, 30], dtype=np.int64), "z")],
        ),
    ],
)
def test_pad_and_resize_opset_forms(opset, node, extra):
    """Pad with attribute or input pads, Upsample and Resize with scales or sizes, across opsets."""
    g = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 10])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        extra,
    )
    (st_,) = from_onnx(helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])).table().output
    if node.op_type == "Pad":
        assert (st_.n, st_.r, st_.start) == (13, 1, Fraction(1, 2) - 1)
    else:
        assert (st_.n, st_.j) == (30, Fraction(1, 3))
