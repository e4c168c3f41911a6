"""Import an ONNX model as an rfsym network: ``from_onnx(path_or_model, input_size)``.

Operators (ONNX operator specification, opsets 7-21):

* ``Conv``, ``MaxPool``, ``AveragePool``, ``LpPool``: ``kernel_shape``,
  ``strides``, ``pads`` (``[x1_begin, x2_begin, ..., x1_end, x2_end, ...]``),
  ``auto_pad`` (``SAME_UPPER`` → rfsym ``"same"``, ``SAME_LOWER`` →
  ``"same_lower"``, ``VALID``), ``dilations`` and ``ceil_mode``;
* ``ConvTranspose`` and ``Resize``/``Upsample``: rfsym's transposed layers,
  when this version has them;
* ``Pad``: a 1-wide convolution with that padding (same geometry);
* ``GlobalAveragePool``/``GlobalMaxPool``, ``ReduceMean`` over the spatial
  axes, and ``Flatten``/``Reshape`` followed by ``Gemm``/``MatMul``: a window
  as large as the remaining map at this input size (they see the whole input);
* ``Add``, ``Sum``, ``Mul``, ... of two feature maps and ``Concat`` along
  channels: merges (graph networks);
* element-wise operators (activations, normalisation, ``Dropout``, ``Cast``,
  ...): pass-through.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .._display import term_text
from ..errors import RfsymError
from ..layers import Conv, ConvTranspose, Pool, Upsample
from ._base import expand_passthrough, input_sizes, integer_scales, make_layer, one_line, require, size_scales, whole
from ._graphbuild import CONST, Builder, Value, _layout, _reshape_labels, _with_layout

__all__ = ["MAX_ONNX_BYTES", "NORM_OPS", "from_onnx"]

#: The largest ONNX file read: protocol buffers cannot hold more than 2 GiB.
MAX_ONNX_BYTES = 2 << 30

#: The largest constant tensor read for its values (shapes, scales, pads, folding): 65,536 elements.
_MAX_CONST = 1 << 16

#: Normalisations with statistics over channels or positions: pass-through for the import, the
#: identity in ``verify``'s measurement (with equal channels they would cancel everything).
NORM_OPS = frozenset(
    {
        "InstanceNormalization",
        "LayerNormalization",
        "GroupNormalization",
        "LpNormalization",
        "MeanVarianceNormalization",
        "LRN",
    }
)

PASS_OPS = {
    "Relu",
    "LeakyRelu",
    "PRelu",
    "Sigmoid",
    "HardSigmoid",
    "HardSwish",
    "Tanh",
    "Elu",
    "Selu",
    "Celu",
    "Gelu",
    "Softplus",
    "Softsign",
    "Mish",
    "Clip",
    "Erf",
    "Exp",
    "Log",
    "Abs",
    "Neg",
    "Sqrt",
    "Reciprocal",
    "Floor",
    "Ceil",
    "Round",
    "Sign",
    "Not",
    "IsNaN",
    "IsInf",
    "Cast",
    "CastLike",
    "Identity",
    "Dropout",
    "BatchNormalization",
    *NORM_OPS,
    "ThresholdedRelu",
    "Shrink",
    "Sin",
    "Cos",
    "QuantizeLinear",
    "DequantizeLinear",
}
BINARY_OPS = {
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Pow",
    "Sum",
    "Max",
    "Min",
    "Mean",
    "And",
    "Or",
    "Xor",
    "Equal",
    "Greater",
    "Less",
    "GreaterOrEqual",
    "LessOrEqual",
    "Where",
    "Mod",
    "BitShift",
}
META_OPS = {
    "Shape",
    "Size",
    "Constant",
    "ConstantOfShape",
    "Gather",
    "Unsqueeze",
    "Squeeze",
    "Slice",
    "Range",
    "NonZero",
    "Expand",
    "Tile",
}


def _onnx() -> Any:
    return require("onnx")


def _np() -> Any:
    import numpy  # onnx depends on numpy: present whenever _onnx() succeeded

    return numpy


def _load(path_or_model: Any) -> tuple[Any, str, Path | None]:
    """(model, default name, folder of its external data or None for a model in memory)."""
    onnx = _onnx()
    if isinstance(path_or_model, onnx.ModelProto):
        return _has_nodes(path_or_model, "<model>"), path_or_model.graph.name or "model", None
    if isinstance(path_or_model, (str, Path)):
        path = Path(path_or_model)
        return _has_nodes(_read(onnx, path), term_text(path)), path.stem, path.parent
    if isinstance(path_or_model, (bytes, bytearray)):
        if len(path_or_model) > MAX_ONNX_BYTES:
            raise RfsymError(f"<bytes>: an ONNX model holds at most {MAX_ONNX_BYTES:,} bytes")
        try:
            model = onnx.load_from_string(bytes(path_or_model))
        except Exception as e:  # noqa: BLE001
            raise RfsymError(f"<bytes>: not a valid ONNX model ({type(e).__name__})") from None
        return _has_nodes(model, "<bytes>"), model.graph.name or "model", None
    raise RfsymError(f"from_onnx needs an ONNX file path or an onnx.ModelProto (got {type(path_or_model).__name__})")


def _read(onnx: Any, path: Path) -> Any:
    """An ONNX file without its external data: regular files of at most :data:`MAX_ONNX_BYTES` only."""
    shown = term_text(path)
    try:
        if not path.exists():
            raise RfsymError(f"{shown}: no such ONNX file")
        if path.is_dir():
            raise RfsymError(f"{shown}: is a directory, not an ONNX file")
        if not path.is_file():
            raise RfsymError(f"{shown}: not a regular file")
        size = path.stat().st_size
    except (OSError, ValueError) as e:
        raise RfsymError(f"{shown}: cannot read the ONNX file ({one_line(e)})") from None
    if size > MAX_ONNX_BYTES:
        raise RfsymError(f"{shown}: {size:,} bytes; an ONNX model holds at most {MAX_ONNX_BYTES:,}")
    try:
        return onnx.load(str(path), load_external_data=False)
    except Exception as e:  # noqa: BLE001 - protobuf raises several kinds
        raise RfsymError(f"{shown}: not a valid ONNX model ({type(e).__name__}: {one_line(e)})") from None


def _has_nodes(model: Any, where: str) -> Any:
    if not model.graph.node:
        raise RfsymError(f"{where}: not a valid ONNX model (it has no graph nodes)")
    return model


def _attrs(node: Any, where: str) -> dict[str, Any]:
    onnx = _onnx()
    out = {}
    for a in node.attribute:
        try:
            v = onnx.helper.get_attribute_value(a)
            out[a.name] = v.decode() if isinstance(v, bytes) else v
        except Exception as e:  # noqa: BLE001 - a malformed attribute (truncated file, unknown type)
            raise RfsymError(f"{where}: attribute {a.name!r} cannot be read ({one_line(e)})") from None
    return out


def _pk(vals: Any, where: str = "") -> Any:
    vals = [whole(v, where or "a layer parameter") for v in vals]
    return vals[0] if len(vals) == 1 else vals


def _window_padding(at: dict[str, Any], nd: int, where: str) -> Any:
    auto = at.get("auto_pad", "NOTSET")
    if auto in ("SAME_UPPER", "SAME_LOWER", "VALID"):
        mode = {"SAME_UPPER": "same", "SAME_LOWER": "same_lower", "VALID": "valid"}[auto]
        return mode if nd == 1 else [mode] * nd
    if auto not in ("NOTSET", ""):
        raise RfsymError(f"{where}: auto_pad {auto!r} is not supported")
    pads = list(at.get("pads", [0] * (2 * nd)))
    if len(pads) != 2 * nd:
        raise RfsymError(f"{where}: pads {pads} does not have 2 x {nd} entries")
    if any(p < 0 for p in pads):
        raise RfsymError(f"{where}: negative pads {pads} are not supported")
    pairs = [(whole(pads[i], where), whole(pads[i + nd], where)) for i in range(nd)]
    return pairs[0] if nd == 1 else [list(p) for p in pairs]


def _axis(a: int, rank: int) -> int:
    return a + rank if a < 0 else a


@dataclass(frozen=True)
class _Op:
    """One ONNX node that reads a feature map, as the handlers see it."""

    node: Any
    name: str  # the layer name it gets
    where: str  # "model: name (OpType)"
    at: dict[str, Any]
    maps: list[Value]

    @property
    def op(self) -> str:
        return str(self.node.op_type)

    @property
    def src(self) -> Value:
        return self.maps[0]

    def input(self, i: int) -> str | None:
        names = self.node.input
        return names[i] if len(names) > i and names[i] else None

    def fail(self, msg: str) -> RfsymError:
        return RfsymError(f"{self.where}: {msg}")


class _Import:
    """One walk over an ONNX graph in node order (ONNX graphs are topologically sorted)."""

    def __init__(self, model: Any, name: str, sizes: tuple[int, ...], inputs: list[Any], folder: Path | None) -> None:
        self.model, self.name, self.folder = model, name, folder
        self.shown = term_text(name)  # names in messages: control characters escaped (one line)
        self.nd = len(sizes)
        self.b = Builder(name=name, input=sizes, source=self.shown)
        self.env: dict[str, Any] = {inputs[0].name: Value("input")}
        self.skip: set[str] = set()
        self.consts: dict[str, Any] = {}
        for t in model.graph.initializer:
            self.consts[t.name] = t
            self.env[t.name] = CONST
        for other in inputs[1:]:
            self.env[other.name] = CONST

    # -- constants -----------------------------------------------------------
    def const_array(self, nm: str | None, limit: int = _MAX_CONST) -> Any:
        """A constant's values (None when unknown or larger than ``limit`` elements)."""
        c = self.consts.get(nm) if nm else None
        if c is None or not hasattr(c, "dims"):
            return c
        if math.prod(c.dims) > limit:
            return None
        onnx = _onnx()
        if c.data_location == onnx.TensorProto.EXTERNAL:
            if self.folder is None:
                raise RfsymError(
                    f"{self.shown}: tensor {nm!r} keeps its data in an external file; give the model's file path "
                    "so that rfsym reads it from the model's folder"
                )
            try:
                return onnx.numpy_helper.to_array(c, base_dir=str(self.folder))
            except Exception as e:  # noqa: BLE001 - missing file, a location outside the folder, ...
                raise RfsymError(
                    f"{self.shown}: tensor {nm!r}: its external data cannot be read from {self.folder} ({one_line(e)})"
                ) from None
        try:
            return onnx.numpy_helper.to_array(c)
        except Exception as e:  # noqa: BLE001 - a malformed tensor
            raise RfsymError(f"{self.shown}: tensor {nm!r} cannot be read ({one_line(e)})") from None

    def const_shape(self, nm: str | None) -> list[int] | None:
        """A constant's shape, without reading its data (weights may be large or external)."""
        c = self.consts.get(nm) if nm else None
        if c is None:
            return None
        return [int(d) for d in (c.dims if hasattr(c, "dims") else c.shape)]

    def ints(self, nm: str | None, where: str = "") -> list[int] | None:
        arr = self.const_array(nm)
        return None if arr is None else [whole(v, where or f"{self.shown}: {nm}") for v in arr.reshape(-1)]

    # -- the walk --------------------------------------------------------------
    def run(self) -> Value:
        for idx, node in enumerate(self.model.graph.node):
            try:
                self.step(idx, node)
            except RfsymError:
                raise
            except Exception as e:  # noqa: BLE001 - a malformed node (garbled file): one line naming it
                raise RfsymError(
                    f"{self.shown}: node {idx} ({term_text(repr(node.op_type))}) is malformed ({type(e).__name__}: {one_line(e)})"
                ) from None
        outs = [self.env.get(o.name, CONST) for o in self.model.graph.output]
        return next((v for v in outs if isinstance(v, Value) and v.is_map), CONST)

    def step(self, idx: int, node: Any) -> None:
        op = node.op_type
        nm = node.name or f"{op.lower()}{idx}"
        where = f"{self.shown}: {term_text(nm)} ({term_text(op)})"
        at = _attrs(node, where)
        ins = [self.env.get(i, CONST) if i else CONST for i in node.input]
        maps = [v for v in ins if isinstance(v, Value) and v.is_map]
        if op == "Constant":
            self._constant(node, at)
        if not maps or node.domain not in ("", "ai.onnx"):
            if maps:
                raise RfsymError(f"{where}: unsupported operator domain {node.domain!r}")
            for o in node.output:
                self.env[o] = CONST
            if op != "Constant":
                self._fold(node)
            return
        if nm in self.skip:  # declared pass-through
            for o in node.output:
                self.env[o] = maps[0]
            return
        handler = HANDLERS.get(op) or (_Import._reduce if op.startswith("Reduce") else None)
        if handler is None:
            raise RfsymError(
                f"{where}: unsupported operator on a feature map (if it does not change the receptive field, "
                f"declare the node pass-through: passthrough=[{term_text(nm)!r}], on the command line --passthrough "
                f"{term_text(nm)!r}; patterns work too)"
            )
        out = handler(self, _Op(node, nm, where, at, maps))
        for o in node.output:
            self.env[o] = out

    def _constant(self, node: Any, at: dict[str, Any]) -> None:
        """A Constant node's value; a tensor stays a TensorProto, read (within the limit) when needed."""
        for key in ("value", "value_ints", "value_int", "value_floats", "value_float"):
            if key in at:
                v = at[key]
                self.consts[node.output[0]] = v if hasattr(v, "dims") else _np().array(v)

    def _fold(self, node: Any) -> None:
        """Evaluate a shape-arithmetic node whose inputs are all known small constants (exporters' subgraphs).

        Only the operators of :data:`_FOLD_OPS` (no loops, no subgraphs), and only when the
        result has at most :data:`_MAX_FOLD` elements: folding stays bounded in time and memory.
        """
        if node.op_type not in _FOLD_OPS or node.domain not in ("", "ai.onnx"):
            return
        feeds = {}
        for i in node.input:
            if not i:
                continue
            arr = self.const_array(i, limit=_MAX_FOLD)
            if arr is None or not hasattr(arr, "shape") or getattr(arr, "size", 0) > _MAX_FOLD:
                return
            feeds[i] = arr
        try:
            if _fold_size(node.op_type, [feeds[i] for i in node.input if i]) > _MAX_FOLD:
                return
            from onnx.reference import ReferenceEvaluator

            outs = ReferenceEvaluator(node).run(None, feeds)
        except Exception:  # noqa: BLE001 - not foldable: stays unknown
            return
        for o, v in zip(node.output, outs):
            self.consts[o] = v

    # -- handlers, one per operator family -------------------------------------
    def _flat_check(self, o: _Op) -> None:
        if o.src.flat:
            raise o.fail("applied after the spatial axes were flattened; not supported")

    def _kernel(self, o: _Op) -> list[int]:
        """``kernel_shape``, else the weight's shape (convolutions)."""
        w = self.const_shape(o.input(1)) if o.op in ("Conv", "ConvTranspose") else None
        k = o.at.get("kernel_shape") or (w[2:] if w is not None else None)
        if k is None:
            raise o.fail("kernel_shape is missing and the weight is not a constant")
        if len(k) != self.nd:
            raise o.fail(f"kernel_shape {list(k)} does not fit {self.nd} spatial axes")
        return list(k)

    def _window(self, o: _Op) -> Value:
        self._flat_check(o)
        nd, at = self.nd, o.at
        k = self._kernel(o)
        s, d = at.get("strides", [1] * nd), at.get("dilations", [1] * nd)
        pad = _window_padding(at, nd, o.where)
        if o.op == "Conv":
            lay: Any = make_layer(o.where, Conv, kernel=_pk(k), stride=_pk(s), padding=pad, dilation=_pk(d))
        else:
            mode = "max" if o.op == "MaxPool" else "avg"
            ceil = bool(at.get("ceil_mode", 0))
            lay = make_layer(
                o.where, Pool, kernel=_pk(k), stride=_pk(s), padding=pad, dilation=_pk(d), ceil_mode=ceil, mode=mode
            )
        return self.b.layer(o.name, lay, o.src, o.op)

    def _conv_transpose(self, o: _Op) -> Value:
        nd, at = self.nd, o.at
        k = self._kernel(o)
        if "output_shape" in at or at.get("auto_pad", "NOTSET") not in ("NOTSET", ""):
            raise o.fail("output_shape / auto_pad on ConvTranspose are not supported; export explicit pads")
        pads = list(at.get("pads", [0] * (2 * nd)))
        if any(pads[i] != pads[i + nd] for i in range(nd)):
            pad: Any = [[int(pads[i]), int(pads[i + nd])] for i in range(nd)]
        else:
            pad = _pk(pads[:nd])
        lay = make_layer(
            o.where,
            ConvTranspose,
            kernel=_pk(k),
            stride=_pk(at.get("strides", [1] * nd)),
            padding=pad,
            output_padding=_pk(at.get("output_padding", [0] * nd)),
            dilation=_pk(at.get("dilations", [1] * nd)),
        )
        return self.b.layer(o.name, lay, o.src, o.op)

    def _resize(self, o: _Op) -> Value:
        scales = sizes_out = None
        if o.op == "Upsample":
            scales = self.const_array(o.input(1)) if o.input(1) else o.at.get("scales")
        elif len(o.node.input) == 2:  # Resize(X, scales) in opset 10
            scales = self.const_array(o.input(1))
        else:  # Resize(X, roi, scales, sizes) from opset 11
            scales, sizes_out = self.const_array(o.input(2)), self.const_array(o.input(3))
        flat = None if scales is None else list(scales.reshape(-1) if hasattr(scales, "reshape") else scales)
        if flat:
            sp = integer_scales(flat[2:], o.where, "scale factor")
        elif sizes_out is not None:
            outs = [whole(v, o.where) for v in sizes_out.reshape(-1)][2:]
            sp = size_scales(self.b.sizes(o.src), outs, o.where, "resizing")
        else:
            raise o.fail("the scales or sizes are not constants")
        if len(sp) != self.nd:
            raise o.fail(f"{len(sp)} scale factors for {self.nd} spatial axes")
        mode = o.at.get("mode", "nearest")
        mode = {"linear": "bilinear", "cubic": "bicubic"}.get(mode, mode)
        return self.b.layer(o.name, make_layer(o.where, Upsample, scale=_pk(sp), mode=mode), o.src, o.op)

    def _pad(self, o: _Op) -> Value:
        nd, at = self.nd, o.at
        if at.get("mode", "constant") == "wrap":
            raise o.fail("mode 'wrap' wraps around the map; not supported")
        pads = list(at["pads"]) if "pads" in at else self.ints(o.input(1))
        if pads is None:
            raise o.fail("the pads are not constants")
        axes = None
        if o.input(3):
            axes = self.ints(o.input(3))
            if axes is None:
                raise o.fail("the axes are not constants")
        rank = nd + 2
        axes = [_axis(a, rank) for a in (range(rank) if axes is None else axes)]
        if len(pads) != 2 * len(axes):
            raise o.fail(f"pads {pads} do not fit {len(axes)} axes")
        pairs = [(0, 0)] * nd
        m = len(axes)
        for i, a in enumerate(axes):
            if a >= 2:
                pairs[a - 2] = (pads[i], pads[i + m])
        if any(p < 0 for pr in pairs for p in pr):
            if any(p > 0 for pr in pairs for p in pr):
                raise o.fail(f"pads {pads} both pad and crop; not supported")
            return self.b.crop(o.name, o.src, [(-a, -e, 1) for a, e in pairs], o.where, "Pad")
        pad = pairs[0] if nd == 1 else [list(p) for p in pairs]
        lay = make_layer(o.where, Conv, kernel=_pk([1] * nd), padding=pad)
        return self.b.layer(o.name, lay, o.src, "Pad, padding only")

    def _global(self, o: _Op) -> Value:
        return self.b.whole(o.name, o.src, o.op, mode="max" if o.op == "GlobalMaxPool" else "avg")

    def _reduce(self, o: _Op) -> Value:
        axes = o.at.get("axes")
        if axes is None and o.input(1):
            axes = self.ints(o.input(1))
        rank = self.nd + 2
        axs = set(range(rank)) if axes is None else {_axis(a, rank) for a in axes}
        if axs >= set(range(2, rank)):
            return self.b.whole(o.name, o.src, o.op + " over the spatial axes", flat=not bool(o.at.get("keepdims", 1)))
        if axs & set(range(2, rank)):
            raise o.fail("reducing over only some spatial axes is not supported")
        return o.src

    def _flatten(self, o: _Op) -> Value:
        axis = o.at.get("axis", 1)
        if axis > 1:
            raise o.fail(f"Flatten with axis {axis} keeps spatial axes apart; not supported")
        return replace(o.src, flat=True, dims=None)

    def _reshape(self, o: _Op) -> Value:
        src = o.src
        target = self.ints(o.input(1))
        if src.restore:
            # The second Reshape of a normalisation's decomposition (GroupNorm: reshape to
            # (N, G, -1), InstanceNormalization, reshape back): the feature map again.
            return replace(src, flat=False, restore=False, dims=None)
        lay = _layout(src, self.nd)
        if target is not None and any(isinstance(x, int) for x in lay):
            labels = _reshape_labels(lay, target, self.b.sizes(src), self.nd)
            if labels is not None:  # a channel shuffle: the spatial axes stay whole
                return _with_layout(src, labels, self.nd)
        if src.flat or (target is not None and len(target) == 2):
            return replace(src, flat=True, dims=None)
        if target is not None and len(target) >= 3 and src.dims is None:
            return replace(src, flat=True, restore=True)
        raise o.fail("reshaping a feature map is not supported (only flattening to (N, features))")

    def _transpose(self, o: _Op) -> Value:
        """Transpose: the spatial axes move (channels-last blocks), the feature map stays the same."""
        lay = _layout(o.src, self.nd)
        perm = [int(p) for p in o.at.get("perm", list(range(len(lay)))[::-1])]
        if sorted(perm) != list(range(len(lay))):
            raise o.fail(f"perm {perm} does not fit a tensor of {len(lay)} axes")
        return _with_layout(o.src, [lay[p] for p in perm], self.nd)

    def _matmul(self, o: _Op) -> Value:
        last = _layout(o.src, self.nd)[-1]
        if o.src.dims is not None and last in ("b", "c") and len(o.maps) == 1:
            return o.src  # channels last: a pointwise layer (Linear on the channels)
        if not o.src.flat and not all(n == 1 for n in self.b.sizes(o.src)):
            raise o.fail("a matrix product over a feature map mixes its last spatial axis; flatten first")
        return self.b.whole(o.name, o.src, o.op, mode="conv", flat=True)

    def _concat(self, o: _Op) -> Value:
        axis = o.at.get("axis", 1)
        if _axis(axis, self.nd + 2) != 1 and not o.src.flat:
            raise o.fail(f"concatenation along axis {axis} is not along channels; not supported")
        return self.b.merge(o.name, "concat", o.maps, o.op)

    def _binary(self, o: _Op) -> Value:
        return o.src if len(o.maps) == 1 else self.b.merge(o.name, "add", o.maps, o.op)

    def _softmax(self, o: _Op) -> Value:
        opset = self.model.opset_import
        axis = o.at.get("axis", -1 if opset and opset[0].version >= 13 else 1)
        if _axis(axis, self.nd + 2) != 1 and not o.src.flat:
            raise o.fail(f"softmax over axis {axis} mixes a spatial axis; not supported")
        return o.src

    def _split(self, o: _Op) -> Value:
        axis = o.at.get("axis", 0)
        if _axis(axis, self.nd + 2) != 1:
            raise o.fail(f"split along axis {axis} is not along channels; not supported")
        return o.src

    def _pass(self, o: _Op) -> Value:
        return o.src

    def _shape(self, o: _Op) -> Value:
        # The shape of a feature map, for exporters' shape arithmetic (flatten, resize to a skip's size):
        # batch 1, spatial sizes exact; the channel count is not tracked (1).
        full = [1, -1] if o.src.flat else [1, 1, *[int(v) for v in self.b.sizes(o.src)]]
        lo, hi = o.at.get("start", 0), o.at.get("end", len(full))
        self.consts[o.node.output[0]] = _np().array(full[lo:hi], dtype="int64")
        return CONST

    def _slice(self, o: _Op) -> Value:
        """Slice: along channels the map passes; along a spatial axis a crop (and a step)."""
        if o.input(1):  # opset 10+: starts, ends, axes, steps as inputs
            starts, ends = self.ints(o.input(1)), self.ints(o.input(2))
            axes = self.ints(o.input(3)) if o.input(3) else None
            steps = self.ints(o.input(4)) if o.input(4) else None
        else:
            starts, ends = o.at.get("starts"), o.at.get("ends")
            axes, steps = o.at.get("axes"), None
        if starts is None or ends is None or (o.input(3) and axes is None) or (o.input(4) and steps is None):
            raise o.fail("the slice bounds are not constants")
        lay = _layout(o.src, self.nd)
        rank = len(lay)
        axes = list(range(len(starts))) if axes is None else axes
        steps = [1] * len(starts) if steps is None else steps
        sizes = self.b.sizes(o.src)
        cuts = [(0, 0, 1)] * self.nd
        for a, lo, hi, st in zip(axes, starts, ends, steps):
            label = lay[_axis(a, rank)]
            if not isinstance(label, int):
                if label == "f":
                    raise o.fail("slicing the flattened spatial axis is not supported")
                continue
            n = sizes[label]
            if not isinstance(n, int):
                raise o.fail("slicing a spatial axis of a symbolic size is not supported")
            b0, b1, step = slice(lo, hi, st).indices(n)
            if step < 1 or b1 <= b0:
                raise o.fail(
                    f"the slice [{lo}:{hi}:{st}] of {n} features along spatial axis {label} is empty or reversed"
                )
            cnt = -(-(b1 - b0) // step)
            cuts[label] = (b0, n - (b0 + (cnt - 1) * step + 1), step)
        if all(c == (0, 0, 1) for c in cuts):
            return o.src
        if o.src.dims is not None:
            raise o.fail("slicing a spatial axis of a permuted feature map is not supported")
        return self.b.crop(o.name, o.src, cuts, o.where, "Slice")

    def _meta(self, o: _Op) -> Value:
        if o.op == "Size":
            return CONST
        if o.op in ("Squeeze", "Unsqueeze") and o.src.flat:
            return o.src
        raise o.fail("unsupported operator on a feature map")


#: Operators folded when all their inputs are constants: exporters' shape arithmetic, nothing that loops.
_FOLD_OPS = frozenset(
    "Abs Add And Cast CastLike Ceil Clip Concat ConstantOfShape Div Equal Expand Flatten Floor Gather "
    "GatherElements Greater GreaterOrEqual Identity Less LessOrEqual Max Min Mod Mul Neg Not Or Pow Range "
    "ReduceMax ReduceMin ReduceProd ReduceSum Reshape Round Shape Sign Size Slice Split Sqrt Squeeze Sub "
    "Tile Transpose Unsqueeze Where".split()
)

#: The most elements a folded constant may have.
_MAX_FOLD = 4096


def _fold_size(op: str, inputs: list[Any]) -> int:
    """A bound on the number of elements of a folded node's output."""
    np = _np()
    if op == "ConstantOfShape":
        return math.prod(max(0, int(v)) for v in inputs[0].reshape(-1))
    if op == "Expand":
        return math.prod(np.broadcast_shapes(inputs[0].shape, tuple(int(v) for v in inputs[1].reshape(-1))))
    if op == "Tile":
        return math.prod(int(n) * max(0, int(r)) for n, r in zip(inputs[0].shape, inputs[1].reshape(-1)))
    if op == "Range":
        start, limit, delta = (float(a.reshape(-1)[0]) for a in inputs[:3])
        return max(0, math.ceil((limit - start) / delta)) if delta else _MAX_FOLD + 1
    rank = max((a.ndim for a in inputs), default=0)
    dims = [max((a.shape[a.ndim - rank + k] if a.ndim - rank + k >= 0 else 1) for a in inputs) for k in range(rank)]
    return max(math.prod(dims), sum(int(a.size) for a in inputs))


def _handlers() -> dict[str, Callable[[_Import, _Op], Value]]:
    I = _Import  # noqa: E741 - short alias for the table below
    table: dict[str, Callable[[_Import, _Op], Value]] = {
        "Conv": I._window,
        "MaxPool": I._window,
        "AveragePool": I._window,
        "LpPool": I._window,
        "ConvTranspose": I._conv_transpose,
        "Resize": I._resize,
        "Upsample": I._resize,
        "Pad": I._pad,
        "GlobalAveragePool": I._global,
        "GlobalMaxPool": I._global,
        "GlobalLpPool": I._global,
        "Flatten": I._flatten,
        "Reshape": I._reshape,
        "Gemm": I._matmul,
        "MatMul": I._matmul,
        "Concat": I._concat,
        "Softmax": I._softmax,
        "LogSoftmax": I._softmax,
        "Hardmax": I._softmax,
        "Split": I._split,
        "Shape": I._shape,
        "Transpose": I._transpose,
        "Slice": I._slice,
    }
    for names, handler in ((BINARY_OPS, I._binary), (PASS_OPS, I._pass), (META_OPS, I._meta)):
        for n in sorted(names):
            table.setdefault(n, handler)
    return table


#: ONNX operator type → handler (``Reduce*`` operators go to :meth:`_Import._reduce`).
HANDLERS = _handlers()


def _input_of(model: Any, name: str, input_name: str | None) -> tuple[list[Any], list[Any]]:
    """(the feature-map input first, then the other graph inputs; its dims, None where symbolic)."""
    g = model.graph
    inits = {t.name for t in g.initializer}
    inputs = [i for i in g.input if i.name not in inits]
    if input_name is not None:
        inputs = [i for i in inputs if i.name == input_name] + [i for i in inputs if i.name != input_name]
        if not inputs or inputs[0].name != input_name:
            raise RfsymError(f"{name}: the model has no input {input_name!r}")
    if not inputs:
        raise RfsymError(f"{name}: the model has no graph input")
    inp = inputs[0]
    dims = [d.dim_value if d.HasField("dim_value") else None for d in inp.type.tensor_type.shape.dim]
    if len(dims) < 3:
        raise RfsymError(f"{name}: input {inp.name!r} has {len(dims)} axes; a feature-map input has (N, C, *spatial)")
    return inputs, dims


def from_onnx(
    path_or_model: Any,
    input_size: Any = None,
    *,
    name: str | None = None,
    input_name: str | None = None,
    passthrough: Any = (),
) -> Any:
    """The rfsym network of an ONNX model (a file path or an ``onnx.ModelProto``).

    ``input_size``: one size for every spatial axis or one per axis; default:
    the static spatial sizes declared by the model's input.  ``input_name``
    picks the feature-map input when the graph has several.  Tensors stored as
    external data are read from the model file's folder (only the few small
    constants rfsym needs; weights are read for their shapes only).
    ``passthrough``: node names or patterns (``"/blocks.*/attn/*"``) whose nodes
    hand their first feature-map input on unchanged.
    """
    if name is not None and not isinstance(name, str):
        raise RfsymError(f"name must be a string (got {type(name).__name__})")
    if input_name is not None and not isinstance(input_name, str):
        raise RfsymError(f"input_name must be a string (got {type(input_name).__name__})")
    model, stem, folder = _load(path_or_model)
    name = name or stem
    nodes = [nd.name or f"{nd.op_type.lower()}{i}" for i, nd in enumerate(model.graph.node)]
    skip = set(expand_passthrough(passthrough, nodes, what="node"))
    try:
        return _import(model, name, input_size, input_name, folder, skip)
    except RfsymError:
        raise
    except Exception as e:  # noqa: BLE001 - protobuf fields of a garbled file: one line, not a traceback
        raise RfsymError(f"{term_text(name)}: not a valid ONNX model ({type(e).__name__}: {one_line(e)})") from None


def _import(
    model: Any,
    name: str,
    input_size: Any,
    input_name: str | None,
    folder: Path | None,
    skip: set[str] = frozenset(),  # type: ignore[assignment]
) -> Any:
    shown = term_text(name)
    inputs, dims = _input_of(model, shown, input_name)
    nd = len(dims) - 2
    if input_size is None:
        if any(d is None or d < 1 for d in dims[2:]):
            raise RfsymError(f"{shown}: the model's input has symbolic spatial sizes; give input_size")
        sizes = tuple(int(d) for d in dims[2:])  # type: ignore[arg-type]
    else:
        sizes, _ = input_sizes(input_size, nd, shown)
    imp = _Import(model, name, sizes, inputs, folder)
    imp.skip = skip or set()
    return imp.b.build(imp.run())
