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

from pathlib import Path
from typing import Any

from ..errors import RfsymError
from ..layers import Conv, Pool
from ._graphbuild import CONST, Builder, Value

__all__ = ["from_onnx"]

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
    "InstanceNormalization",
    "LayerNormalization",
    "GroupNormalization",
    "LpNormalization",
    "MeanVarianceNormalization",
    "LRN",
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
    try:
        import onnx
    except ImportError:  # pragma: no cover - onnx is installed in CI
        raise RfsymError("the onnx package is not installed: pip install 'rfsym[onnx]'") from None
    return onnx


def _load(path_or_model: Any) -> tuple[Any, str]:
    onnx = _onnx()
    if isinstance(path_or_model, onnx.ModelProto):
        return path_or_model, path_or_model.graph.name or "model"
    if isinstance(path_or_model, (str, Path)):
        path = Path(path_or_model)
        if not path.exists():
            raise RfsymError(f"{path}: no such ONNX file")
        if path.is_dir():
            raise RfsymError(f"{path}: is a directory, not an ONNX file")
        try:
            model = onnx.load(str(path), load_external_data=False)
        except Exception as e:  # noqa: BLE001 - protobuf raises several kinds
            raise RfsymError(
                f"{path}: not a valid ONNX model ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})"
            ) from None
        if not model.graph.node:
            raise RfsymError(f"{path}: not a valid ONNX model (it has no graph nodes)")
        return model, path.stem
    if isinstance(path_or_model, (bytes, bytearray)):
        try:
            model = onnx.load_from_string(bytes(path_or_model))
        except Exception as e:  # noqa: BLE001
            raise RfsymError(f"<bytes>: not a valid ONNX model ({type(e).__name__})") from None
        if not model.graph.node:
            raise RfsymError("<bytes>: not a valid ONNX model (it has no graph nodes)")
        return model, model.graph.name or "model"
    raise RfsymError(f"from_onnx needs an ONNX file path or an onnx.ModelProto (got {type(path_or_model).__name__})")


def _attrs(node: Any) -> dict[str, Any]:
    onnx = _onnx()
    out = {}
    for a in node.attribute:
        v = onnx.helper.get_attribute_value(a)
        out[a.name] = v.decode() if isinstance(v, bytes) else v
    return out


def _pk(vals: Any) -> Any:
    vals = [int(v) for v in vals]
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
    pairs = [(int(pads[i]), int(pads[i + nd])) for i in range(nd)]
    return pairs[0] if nd == 1 else [list(p) for p in pairs]


def from_onnx(
    path_or_model: Any, input_size: Any = None, *, name: str | None = None, input_name: str | None = None
) -> Any:
    """The rfsym network of an ONNX model (a file path or an ``onnx.ModelProto``).

    ``input_size``: one size for every spatial axis or one per axis; default:
    the static spatial sizes declared by the model's input.  ``input_name``
    picks the feature-map input when the graph has several.
    """
    onnx = _onnx()
    model, stem = _load(path_or_model)
    g = model.graph
    name = name or stem
    inits = {t.name: t for t in g.initializer}
    inputs = [i for i in g.input if i.name not in inits]
    if input_name is not None:
        inputs = [i for i in inputs if i.name == input_name]
        if not inputs:
            raise RfsymError(f"{name}: the model has no input {input_name!r}")
    if not inputs:
        raise RfsymError(f"{name}: the model has no graph input")
    inp = inputs[0]
    dims = [d.dim_value if d.HasField("dim_value") else None for d in inp.type.tensor_type.shape.dim]
    if len(dims) < 3:
        raise RfsymError(f"{name}: input {inp.name!r} has {len(dims)} axes; a feature-map input has (N, C, *spatial)")
    nd = len(dims) - 2
    if input_size is None:
        if any(d is None or d < 1 for d in dims[2:]):
            raise RfsymError(f"{name}: the model's input has symbolic spatial sizes; give input_size")
        sizes = tuple(int(d) for d in dims[2:])  # type: ignore[arg-type]
    else:
        if isinstance(input_size, bool):
            raise RfsymError(f"input_size must be a positive integer or a tuple of them (got {input_size!r})")
        if isinstance(input_size, str):
            try:
                input_size = [int(v) for v in input_size.split(",")]
            except ValueError:
                raise RfsymError(
                    f"input_size must be a positive integer or a tuple of them (got {input_size!r})"
                ) from None
        vals = list(input_size) if isinstance(input_size, (list, tuple)) else [input_size]
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in vals):
            raise RfsymError(f"input_size must be a positive integer or a tuple of them (got {input_size!r})")
        if len(vals) == 1:
            vals = vals * nd
        if len(vals) == nd + 1:
            vals = vals[1:]
        if len(vals) != nd:
            raise RfsymError(f"{name}: input_size {tuple(vals)} does not fit {nd} spatial axes")
        sizes = tuple(vals)
    b = Builder(name=name, input=sizes, source=name)
    env: dict[str, Any] = {inp.name: Value("input")}
    consts: dict[str, Any] = {}
    for t in g.initializer:
        consts[t.name] = t
        env[t.name] = CONST
    for other in inputs[1:]:
        env[other.name] = CONST

    def const_array(nm: str) -> Any:
        if nm in consts:
            from onnx import numpy_helper

            c = consts[nm]
            return numpy_helper.to_array(c) if hasattr(c, "dims") else c
        return None

    for idx, node in enumerate(g.node):
        op = node.op_type
        nm = node.name or f"{op.lower()}{idx}"
        where = f"{nm} ({op})"
        at = _attrs(node)
        ins = [env.get(i, CONST) if i else CONST for i in node.input]
        maps = [v for v in ins if isinstance(v, Value) and v.is_map]
        out: Any = CONST
        if op == "Constant":
            for key in ("value", "value_ints", "value_int", "value_floats", "value_float"):
                if key in at:
                    v = at[key]
                    import numpy as np

                    consts[node.output[0]] = onnx.numpy_helper.to_array(v) if hasattr(v, "dims") else np.array(v)
        if not maps or node.domain not in ("", "ai.onnx"):
            if maps:
                raise RfsymError(f"{name}: {where}: unsupported operator domain {node.domain!r}")
            for o in node.output:
                env[o] = CONST
            if op != "Constant":
                _fold(node, const_array, consts)
            continue
        src = maps[0]
        if op in ("Conv", "MaxPool", "AveragePool", "LpPool"):
            _flat_check(src, where)
            w = const_array(node.input[1]) if op == "Conv" and len(node.input) > 1 else None
            k = at.get("kernel_shape") or (list(w.shape[2:]) if w is not None else None)
            if k is None:
                raise RfsymError(f"{name}: {where}: kernel_shape is missing and the weight is not a constant")
            if len(k) != nd:
                raise RfsymError(f"{name}: {where}: kernel_shape {list(k)} does not fit {nd} spatial axes")
            s = at.get("strides", [1] * nd)
            d = at.get("dilations", [1] * nd)
            pad = _window_padding(at, nd, f"{name}: {where}")
            if op == "Conv":
                lay: Any = Conv(kernel=_pk(k), stride=_pk(s), padding=pad, dilation=_pk(d))
            else:
                lay = Pool(
                    kernel=_pk(k),
                    stride=_pk(s),
                    padding=pad,
                    dilation=_pk(d),
                    ceil_mode=bool(at.get("ceil_mode", 0)),
                    mode="max" if op == "MaxPool" else "avg",
                )
            out = b.layer(nm, lay, src, op)
        elif op == "ConvTranspose":
            out = b.layer(nm, _transpose(node, at, const_array, nd, f"{name}: {where}", b.sizes(src)), src, op)
        elif op in ("Resize", "Upsample"):
            out = b.layer(nm, _resize(node, at, const_array, nd, f"{name}: {where}", b.sizes(src)), src, op)
        elif op == "Pad":
            out = _pad(b, nm, node, at, const_array, nd, src, f"{name}: {where}")
        elif op in ("GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool"):
            out = b.whole(nm, src, op, mode="max" if op == "GlobalMaxPool" else "avg")
        elif op.startswith("Reduce"):
            axes = at.get("axes")
            if axes is None and len(node.input) > 1:
                arr = const_array(node.input[1])
                axes = None if arr is None else [int(a) for a in list(arr.reshape(-1))]
            rank = nd + 2
            axs = set(range(rank)) if axes is None else {a + rank if a < 0 else a for a in axes}
            if axs >= set(range(2, rank)):
                out = b.whole(nm, src, op + " over the spatial axes", flat=not bool(at.get("keepdims", 1)))
            elif axs & set(range(2, rank)):
                raise RfsymError(f"{name}: {where}: reducing over only some spatial axes is not supported")
            else:
                out = src
        elif op == "Flatten":
            axis = at.get("axis", 1)
            if axis > 1:
                raise RfsymError(f"{name}: {where}: Flatten with axis {axis} keeps spatial axes apart; not supported")
            out = Value(src.node, flat=True)
        elif op == "Reshape":
            shape = const_array(node.input[1]) if len(node.input) > 1 else None
            target = None if shape is None else [int(v) for v in shape.reshape(-1)]
            if src.restore:
                # The second Reshape of a normalisation's decomposition (GroupNorm: reshape to
                # (N, G, -1), InstanceNormalization, reshape back): the feature map again.
                out = Value(src.node)
            elif src.flat or (target is not None and len(target) == 2):
                out = Value(src.node, flat=True)
            elif target is not None and len(target) >= 3:
                out = Value(src.node, flat=True, restore=True)
            else:
                raise RfsymError(
                    f"{name}: {where}: reshaping a feature map is not supported (only flattening to (N, features))"
                )
        elif op in ("Gemm", "MatMul"):
            if not src.flat and not all(n == 1 for n in b.sizes(src)):
                raise RfsymError(
                    f"{name}: {where}: a matrix product over a feature map mixes its last spatial axis; flatten first"
                )
            out = b.whole(nm, src, op, mode="conv", flat=True)
        elif op == "Concat":
            axis = at.get("axis", 1)
            rank = nd + 2
            if (axis + rank if axis < 0 else axis) != 1 and not src.flat:
                raise RfsymError(
                    f"{name}: {where}: concatenation along axis {axis} is not along channels; not supported"
                )
            out = b.merge(nm, "concat", maps, op)
        elif op in BINARY_OPS:
            out = src if len(maps) == 1 else b.merge(nm, "add", maps, op)
        elif op in ("Softmax", "LogSoftmax", "Hardmax"):
            axis = at.get("axis", -1 if model.opset_import and model.opset_import[0].version >= 13 else 1)
            if (axis + nd + 2 if axis < 0 else axis) != 1 and not src.flat:
                raise RfsymError(f"{name}: {where}: softmax over axis {axis} mixes a spatial axis; not supported")
            out = src
        elif op == "Split":
            axis = at.get("axis", 0)
            if (axis + nd + 2 if axis < 0 else axis) != 1:
                raise RfsymError(f"{name}: {where}: split along axis {axis} is not along channels; not supported")
            out = src
        elif op in PASS_OPS:
            out = src
        elif op == "Shape":
            # The shape of a feature map, for exporters' shape arithmetic (flatten, resize to a skip's size):
            # batch 1, spatial sizes exact; the channel count is not tracked (1).
            import numpy as np

            full = [1, -1] if src.flat else [1, 1, *[int(v) for v in b.sizes(src)]]
            lo, hi = at.get("start", 0), at.get("end", len(full))
            consts[node.output[0]] = np.array(full[lo:hi], dtype=np.int64)
            out = CONST
        elif op in META_OPS:
            out = CONST if op == "Size" else src if op in ("Squeeze", "Unsqueeze") and src.flat else None
            if out is None:
                raise RfsymError(f"{name}: {where}: unsupported operator on a feature map")
        else:
            raise RfsymError(f"{name}: {where}: unsupported operator on a feature map")
        for o in node.output:
            env[o] = out
    outs = [env.get(o.name, CONST) for o in g.output]
    value = next((v for v in outs if isinstance(v, Value) and v.is_map), CONST)
    return b.build(value)


def _fold(node: Any, const_array: Any, consts: dict[str, Any]) -> None:
    """Evaluate a node whose inputs are all known constants (shape arithmetic of exporters)."""
    feeds = {}
    for i in node.input:
        if not i:
            continue
        arr = const_array(i)
        if arr is None or not hasattr(arr, "shape") or getattr(arr, "size", 0) > 4096:
            return
        feeds[i] = arr
    try:
        from onnx.reference import ReferenceEvaluator

        outs = ReferenceEvaluator(node).run(None, feeds)
    except Exception:  # noqa: BLE001 - not foldable: stays unknown
        return
    for o, v in zip(node.output, outs):
        consts[o] = v


def _flat_check(src: Value, where: str) -> None:
    if src.flat:
        raise RfsymError(f"{where}: applied after the spatial axes were flattened; not supported")


def _transpose(node: Any, at: dict[str, Any], const_array: Any, nd: int, where: str, sizes: Any) -> Any:
    from .. import layers

    cls = getattr(layers, "ConvTranspose", None)
    if cls is None:
        raise RfsymError(f"{where}: transposed convolution is not supported by this version of rfsym")
    w = const_array(node.input[1]) if len(node.input) > 1 else None
    k = at.get("kernel_shape") or (list(w.shape[2:]) if w is not None else None)
    if k is None:
        raise RfsymError(f"{where}: kernel_shape is missing and the weight is not a constant")
    if "output_shape" in at or at.get("auto_pad", "NOTSET") not in ("NOTSET", ""):
        raise RfsymError(f"{where}: output_shape / auto_pad on ConvTranspose are not supported; export explicit pads")
    pads = list(at.get("pads", [0] * (2 * nd)))
    if any(pads[i] != pads[i + nd] for i in range(nd)):
        pad: Any = [[int(pads[i]), int(pads[i + nd])] for i in range(nd)]
    else:
        pad = _pk(pads[:nd])
    return cls(
        kernel=_pk(k),
        stride=_pk(at.get("strides", [1] * nd)),
        padding=pad,
        output_padding=_pk(at.get("output_padding", [0] * nd)),
        dilation=_pk(at.get("dilations", [1] * nd)),
    )


def _resize(node: Any, at: dict[str, Any], const_array: Any, nd: int, where: str, sizes: Any) -> Any:
    from .. import layers

    cls = getattr(layers, "Upsample", None)
    if cls is None:
        raise RfsymError(f"{where}: upsampling (Resize) is not supported by this version of rfsym")
    scales = None
    sizes_out = None
    names = list(node.input)
    if node.op_type == "Upsample":
        scales = const_array(names[1]) if len(names) > 1 else at.get("scales")
    else:
        # Resize(X, roi, scales, sizes) from opset 11; Resize(X, scales) in opset 10.
        if len(names) == 2:
            scales = const_array(names[1])
        if len(names) > 2 and names[2]:
            scales = const_array(names[2])
        if len(names) > 3 and names[3]:
            sizes_out = const_array(names[3])
    if scales is not None and len(list(scales.reshape(-1) if hasattr(scales, "reshape") else scales)) > 0:
        vals = [float(v) for v in (scales.reshape(-1) if hasattr(scales, "reshape") else scales)]
        sp = vals[2:]
    elif sizes_out is not None:
        outs = [int(v) for v in sizes_out.reshape(-1)][2:]
        sp = []
        for n, o in zip(sizes, outs):
            if o % n:
                raise RfsymError(f"{where}: resizing from {n} to {o} features is not an integer scale factor")
            sp.append(o // n)
    else:
        raise RfsymError(f"{where}: the scales or sizes are not constants")
    if any(float(v) != int(v) or v < 1 for v in sp):
        raise RfsymError(f"{where}: scale factors {sp} are not positive integers")
    mode = at.get("mode", "nearest")
    mode = {"linear": "bilinear", "cubic": "bicubic"}.get(mode, mode)
    return cls(scale=_pk([int(v) for v in sp]), mode=mode)


def _pad(
    b: Builder, nm: str, node: Any, at: dict[str, Any], const_array: Any, nd: int, src: Value, where: str
) -> Value:
    mode = at.get("mode", "constant")
    if mode == "wrap":
        raise RfsymError(f"{where}: mode 'wrap' wraps around the map; not supported")
    if "pads" in at:
        pads = list(at["pads"])
    else:
        arr = const_array(node.input[1]) if len(node.input) > 1 else None
        if arr is None:
            raise RfsymError(f"{where}: the pads are not constants")
        pads = [int(v) for v in arr.reshape(-1)]
    axes = None
    if len(node.input) > 3 and node.input[3]:
        arr = const_array(node.input[3])
        if arr is None:
            raise RfsymError(f"{where}: the axes are not constants")
        axes = [int(v) for v in arr.reshape(-1)]
    rank = nd + 2
    if axes is None:
        axes = list(range(rank))
    axes = [a + rank if a < 0 else a for a in axes]
    if len(pads) != 2 * len(axes):
        raise RfsymError(f"{where}: pads {pads} do not fit {len(axes)} axes")
    pairs = [(0, 0)] * nd
    m = len(axes)
    for i, a in enumerate(axes):
        if a >= 2:
            pairs[a - 2] = (pads[i], pads[i + m])
    if any(p < 0 for pr in pairs for p in pr):
        raise RfsymError(f"{where}: negative pads (cropping) {pads} are not supported")
    pad = pairs[0] if nd == 1 else [list(p) for p in pairs]
    return b.layer(nm, Conv(kernel=_pk([1] * nd), padding=pad), src, "Pad, padding only")
