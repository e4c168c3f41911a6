"""Import a PyTorch model as an rfsym network: ``from_torch(model, input_size)``.

The model is traced with ``torch.fx``; when tracing fails (data-dependent
control flow, unsupported Python), rfsym runs the model once on a zero input
and records the leaf modules with forward hooks and every other torch call
with a ``TorchFunctionMode``.  Either way each operation is mapped to an rfsym
layer by the same code:

* ``Conv1d/2d/3d`` and ``F.conv*d``: :class:`rfsym.Conv` (``padding="same"`` too);
* ``MaxPool``/``AvgPool`` 1d/2d/3d and ``F.max_pool*d``/``F.avg_pool*d``:
  :class:`rfsym.Pool` with padding, dilation and ``ceil_mode``;
* ``ConvTranspose*d``, ``Upsample`` and ``F.interpolate``: the transposed
  layers of :mod:`rfsym.layers`, when this version has them;
* ``AdaptiveAvg/MaxPool`` with an output size that divides the map exactly:
  a pool of kernel = stride = n/o (output size 1: the whole map); other
  sizes have windows of different sizes and are refused;
* ``Flatten`` (or ``view``/``reshape`` to two axes) followed by ``Linear``,
  and means over the spatial axes: a layer whose window is the whole
  remaining map *at this input size* -- every output of a head sees the
  whole input;
* ``ZeroPad``/``ConstantPad``/``ReflectionPad``/``ReplicationPad`` and
  ``F.pad``: a 1-wide convolution with that padding (same geometry);
* ``Identity``, activations, normalisation and dropout: pass-through;
* ``+``, ``*``, ``torch.add`` of two feature maps and ``torch.cat`` along
  channels: merges, which need rfsym's graph networks.

Anything else raises :class:`rfsym.RfsymError` naming the module path and
type; ``passthrough=["name", ...]`` treats the named modules as pass-through.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from typing import Any

from ..errors import RfsymError
from ..layers import Conv, Identity, Layer, Pool
from ._graphbuild import CONST, Builder, Value

__all__ = ["from_torch"]


def _torch() -> Any:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is installed in CI
        raise RfsymError("PyTorch is not installed: pip install 'rfsym[torch]'") from None
    return torch


class _Meta:
    """A non-tensor value computed from a feature map (a size, a shape)."""


META = _Meta()

_UNARY = {
    "relu",
    "relu6",
    "gelu",
    "silu",
    "sigmoid",
    "tanh",
    "hardswish",
    "hardsigmoid",
    "hardtanh",
    "leaky_relu",
    "elu",
    "selu",
    "celu",
    "softplus",
    "softsign",
    "mish",
    "logsigmoid",
    "prelu",
    "rrelu",
    "glu_channel",
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "alpha_dropout",
    "feature_alpha_dropout",
    "batch_norm",
    "layer_norm",
    "group_norm",
    "instance_norm",
    "local_response_norm",
    "rms_norm",
    "normalize",
    "abs",
    "neg",
    "exp",
    "log",
    "sqrt",
    "rsqrt",
    "clamp",
    "clamp_min",
    "clamp_max",
    "clip",
    "square",
    "sign",
    "reciprocal",
    "erf",
    "contiguous",
    "clone",
    "float",
    "double",
    "half",
    "bfloat16",
    "to",
    "type",
    "type_as",
    "detach",
    "requires_grad_",
    "cpu",
    "cuda",
    "pos",
    "nan_to_num",
    "threshold",
}
_BINARY = {
    "add",
    "sub",
    "mul",
    "div",
    "truediv",
    "floordiv",
    "pow",
    "rsub",
    "radd",
    "rmul",
    "rtruediv",
    "maximum",
    "minimum",
    "true_divide",
    "multiply",
    "subtract",
    "gt",
    "lt",
    "ge",
    "le",
    "eq",
    "ne",
    "and",
    "or",
    "xor",
    "logical_and",
    "logical_or",
    "logical_not",
    "bitwise_and",
    "bitwise_or",
    "fmod",
    "remainder",
    "mod",
}
_META_OPS = {
    "size",
    "dim",
    "getattr",
    "len",
    "numel",
    "ndimension",
    "__get__",
    "shape",
    "bool",
    "item",
    "tolist",
    "any",
    "all",
    "int",
    "numpy",
    "is_floating_point",
    "is_contiguous",
    "data_ptr",
    "stride",
    "element_size",
    "format",
    "repr",
}


def _canon(name: str) -> str:
    """``__iadd__`` / ``add_`` / ``iadd`` → ``add``."""
    n = name.strip("_")
    if name.startswith("__i") and name.endswith("__") and n[1:] in _BINARY:
        return n[1:]
    if n.startswith("i") and n[1:] in _BINARY:
        return n[1:]
    if n.startswith("r") and n[1:] in _BINARY:
        return n[1:]
    return n


def _tuple(v: Any, nd: int, what: str) -> tuple[Any, ...]:
    if isinstance(v, (list, tuple)):
        if len(v) == 1 and nd > 1:
            return tuple(v) * nd
        if len(v) != nd:
            raise RfsymError(f"{what} has {len(v)} values for {nd} spatial axes")
        return tuple(int(x) for x in v)
    return (int(v),) * nd


def _pk(vals: Sequence[Any]) -> Any:
    """rfsym parameter from per-axis values: a scalar for 1-D layers, a list otherwise."""
    return vals[0] if len(vals) == 1 else list(vals)


def _pads(pairs: Sequence[tuple[int, int]]) -> Any:
    return pairs[0] if len(pairs) == 1 else [list(p) for p in pairs]


def _padding(p: Any, nd: int, what: str) -> Any:
    if isinstance(p, str):
        if p not in ("same", "valid"):
            raise RfsymError(f"{what}: padding {p!r} is not supported")
        return p
    return _pads([(x, x) for x in _tuple(p, nd, what)])


class _Importer:
    def __init__(self, model: Any, input: tuple[int, ...], name: str, passthrough: Iterable[str]) -> None:
        self.model = model
        self.b = Builder(name=name, input=input, source=name)
        self.nd = len(input)
        self.passthrough = set(passthrough)
        self.seen_passthrough: set[str] = set()

    # -- modules ---------------------------------------------------------------
    def module(self, path: str, mod: Any, args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
        import torch.nn as nn
        from torch.nn.modules import batchnorm, conv, dropout, padding, pooling

        tname = f"{type(mod).__module__}.{type(mod).__name__}"
        if tname.startswith("torch.nn.modules."):
            tname = "torch.nn." + type(mod).__name__
        what = tname
        src = args[0] if args else next(iter(kwargs.values()), CONST)
        if path in self.passthrough:
            self.seen_passthrough.add(path)
            return src
        if not isinstance(src, Value) or not src.is_map:
            maps = [a for a in args if isinstance(a, Value) and a.is_map]
            if not maps:
                return CONST
            src = maps[0]
        b, nd = self.b, self.nd
        where = f"{path} ({tname})"
        if isinstance(mod, conv._ConvTransposeNd):
            self._expect_map(src, where)
            return b.layer(path, _conv_transpose(mod, nd, where), src, what)
        if isinstance(mod, conv._ConvNd):
            self._expect_map(src, where)
            if getattr(mod, "padding_mode", "zeros") == "circular":
                raise RfsymError(f"{where}: padding_mode 'circular' wraps around the map; not supported")
            lay: Layer = Conv(
                kernel=_pk(_tuple(mod.kernel_size, nd, where)),
                stride=_pk(_tuple(mod.stride, nd, where)),
                padding=_padding(mod.padding, nd, where),
                dilation=_pk(_tuple(mod.dilation, nd, where)),
            )
            return b.layer(path, lay, src, what)
        if isinstance(mod, (pooling._MaxPoolNd, pooling._AvgPoolNd, pooling._LPPoolNd)):
            self._expect_map(src, where)
            mode = "max" if isinstance(mod, pooling._MaxPoolNd) else "avg"
            k = _tuple(mod.kernel_size, nd, where)
            s = _tuple(mod.stride if mod.stride is not None else mod.kernel_size, nd, where)
            pad = getattr(mod, "padding", 0)
            dil = getattr(mod, "dilation", 1)
            lay = Pool(
                kernel=_pk(k),
                stride=_pk(s),
                padding=_padding(pad, nd, where),
                dilation=_pk(_tuple(dil, nd, where)),
                ceil_mode=bool(mod.ceil_mode),
                mode=mode,
            )
            return b.layer(path, lay, src, what)
        if isinstance(mod, (pooling._AdaptiveAvgPoolNd, pooling._AdaptiveMaxPoolNd)):
            self._expect_map(src, where)
            mode = "max" if isinstance(mod, pooling._AdaptiveMaxPoolNd) else "avg"
            return self.adaptive(path, src, mod.output_size, mode, what)
        if isinstance(mod, nn.Upsample):
            self._expect_map(src, where)
            return b.layer(path, _upsample(mod.size, mod.scale_factor, mod.mode, b.sizes(src), nd, where), src, what)
        if isinstance(mod, nn.Flatten):
            return self.flatten(src, mod.start_dim, mod.end_dim, where)
        if isinstance(mod, (nn.Linear, nn.Bilinear, getattr(nn, "LazyLinear", nn.Linear))):
            return self.linear(path, src, where, what)
        if isinstance(mod, (padding._ConstantPadNd, padding._ReflectionPadNd, padding._ReplicationPadNd)):
            self._expect_map(src, where)
            return self.pad(path, src, mod.padding, where, what)
        if isinstance(mod, (nn.Softmax, nn.LogSoftmax, nn.Softmin)):
            if mod.dim not in (1, -(nd + 1)):
                raise RfsymError(f"{where}: softmax over dim {mod.dim} mixes a spatial axis; not supported")
            return src
        if (
            isinstance(
                mod,
                (
                    nn.Identity,
                    dropout._DropoutNd,
                    batchnorm._NormBase,
                    nn.GroupNorm,
                    nn.LayerNorm,
                    nn.LocalResponseNorm,
                    nn.CrossMapLRN2d,
                    nn.Softmax2d,
                    nn.ChannelShuffle,
                ),
            )
            or (type(mod).__module__ == "torch.nn.modules.activation" and not isinstance(mod, nn.MultiheadAttention))
            or type(mod).__name__ == "RMSNorm"
        ):
            return src
        raise RfsymError(
            f"{where}: unsupported module for receptive-field import "
            f"(list it in passthrough=[...] if it does not change the receptive field)"
        )

    def _expect_map(self, src: Value, where: str) -> None:
        if src.flat:
            raise RfsymError(f"{where}: applied after the spatial axes were flattened; not supported")

    def adaptive(self, path: str, src: Value, output_size: Any, mode: str, what: str) -> Value:
        sizes = self.b.sizes(src)
        outs = output_size if isinstance(output_size, (list, tuple)) else (output_size,) * self.nd
        if len(outs) != self.nd:
            raise RfsymError(f"{path} ({what}): output_size {output_size!r} has {len(outs)} axes for {self.nd}")
        ks = []
        for ax, (n, o) in enumerate(zip(sizes, outs)):
            o = n if o is None else int(o)
            if n % o:
                raise RfsymError(
                    f"{path} ({what}): adaptive pooling from {n} to {o} features (axis {ax}) uses windows of "
                    f"different sizes, which no single layer describes; use an input size for which {o} divides "
                    f"the map, or list it in passthrough=[...]"
                )
            ks.append(n // o)
        if all(k == 1 for k in ks):
            return self.b.layer(path, Identity(op="identity"), src, what)
        tag = ", sees the whole map" if all(o in (1,) for o in outs) else ""
        return self.b.layer(path, Pool(kernel=_pk(ks), stride=_pk(ks), mode=mode), src, what + tag)

    def flatten(self, src: Any, start: int, end: int, where: str) -> Any:
        if not isinstance(src, Value) or not src.is_map:
            return src
        rank = self.nd + 2
        start = start + rank if start < 0 else start
        end = end + rank if end < 0 else end
        if start > 1 or end != rank - 1:
            raise RfsymError(f"{where}: flattening dims {start}..{end} keeps some spatial axes apart; not supported")
        return Value(src.node, flat=True)

    def linear(self, path: str, src: Value, where: str, what: str) -> Value:
        if not isinstance(src, Value) or not src.is_map:
            return CONST
        if src.flat:
            return self.b.whole(path, src, what, mode="conv", flat=True)
        if all(n == 1 for n in self.b.sizes(src)):
            return self.b.layer(path, Identity(op="identity"), src, what)
        raise RfsymError(
            f"{where}: a Linear layer on a feature map mixes its last spatial axis; flatten first or list it in passthrough=[...]"
        )

    def pad(self, path: str, src: Value, pad: Any, where: str, what: str) -> Value:
        pad = tuple(int(p) for p in pad)
        if len(pad) % 2 or len(pad) // 2 > self.nd:
            raise RfsymError(f"{where}: padding {pad!r} does not fit {self.nd} spatial axes")
        pairs = [(0, 0)] * self.nd
        for i in range(len(pad) // 2):  # torch lists the last axis first
            pairs[self.nd - 1 - i] = (pad[2 * i], pad[2 * i + 1])
        if any(p < 0 for pr in pairs for p in pr):
            raise RfsymError(f"{where}: negative padding (cropping) {pad!r} is not supported")
        lay = Conv(kernel=_pk([1] * self.nd), padding=_pads(pairs))
        return self.b.layer(path, lay, src, what + ", padding only")

    # -- functions -------------------------------------------------------------
    def function(self, name: str, fname: str, args: Sequence[Any], kwargs: dict[str, Any], where: str) -> Any:
        """A torch function, tensor method or operator, by canonical name."""
        op = _canon(fname)
        b, nd = self.b, self.nd
        maps = [a for a in _flat_args(args, kwargs) if isinstance(a, Value) and a.is_map]
        if op in _META_OPS:
            return META
        if not maps:
            return CONST if op not in ("getitem",) or not isinstance(args[0], (tuple, list)) else args[0][args[1]]
        src = maps[0]
        what = f"{fname}"

        def arg(i: int, key: str, default: Any) -> Any:
            if key in kwargs:
                return kwargs[key]
            return args[i] if len(args) > i else default

        if op in ("conv1d", "conv2d", "conv3d"):
            w = arg(1, "weight", None)
            if not hasattr(w, "shape"):
                raise RfsymError(f"{where} ({fname}): the weight is not a parameter of the model; not supported")
            k = tuple(int(x) for x in w.shape[2:])
            pad = arg(4, "padding", 0)
            lay = Conv(
                kernel=_pk(k),
                stride=_pk(_tuple(arg(3, "stride", 1), nd, where)),
                padding=_padding(pad, nd, where),
                dilation=_pk(_tuple(arg(5, "dilation", 1), nd, where)),
            )
            return b.layer(name, lay, src, what)
        if op in ("conv_transpose1d", "conv_transpose2d", "conv_transpose3d"):
            w = arg(1, "weight", None)
            if not hasattr(w, "shape"):
                raise RfsymError(f"{where} ({fname}): the weight is not a parameter of the model; not supported")
            lay = _transpose_layer(
                tuple(int(x) for x in w.shape[2:]),
                _tuple(arg(3, "stride", 1), nd, where),
                _tuple(arg(4, "padding", 0), nd, where),
                _tuple(arg(5, "output_padding", 0), nd, where),
                _tuple(arg(7, "dilation", 1), nd, where),
                where,
            )
            return b.layer(name, lay, src, what)
        if (
            op.startswith(("max_pool", "avg_pool", "lp_pool"))
            and op[-2:] in ("1d", "2d", "3d")
            or op.endswith("_with_indices")
        ):
            mode = "max" if op.startswith("max") else "avg"
            off = 1 if op.startswith("lp_pool") else 0
            k = _tuple(arg(1 + off, "kernel_size", None), nd, where)
            s_raw = arg(2 + off, "stride", None)
            s = k if s_raw in (None, [], ()) else _tuple(s_raw, nd, where)
            if mode == "max":
                pad, dil, ceil = arg(3, "padding", 0), arg(4, "dilation", 1), arg(5, "ceil_mode", False)
            elif off:
                pad, dil, ceil = 0, 1, arg(4, "ceil_mode", False)
            else:
                pad, dil, ceil = arg(3, "padding", 0), 1, arg(4, "ceil_mode", False)
            pool: Layer = Pool(
                kernel=_pk(k),
                stride=_pk(s),
                padding=_padding(pad, nd, where),
                dilation=_pk(_tuple(dil, nd, where)),
                ceil_mode=bool(ceil),
                mode=mode,
            )
            out = b.layer(name, pool, src, what)
            return (out, CONST) if op.endswith("_with_indices") or arg(6, "return_indices", False) is True else out
        if op.startswith(("adaptive_avg_pool", "adaptive_max_pool")):
            out = self.adaptive(name, src, arg(1, "output_size", None), "max" if "max" in op else "avg", what)
            return (out, CONST) if arg(2, "return_indices", False) is True else out
        if op in ("interpolate", "upsample", "upsample_nearest", "upsample_bilinear"):
            lay = _upsample(
                arg(1, "size", None), arg(2, "scale_factor", None), arg(3, "mode", "nearest"), b.sizes(src), nd, where
            )
            return b.layer(name, lay, src, what)
        if op == "pad":
            mode = arg(2, "mode", "constant")
            if mode == "circular":
                raise RfsymError(f"{where} ({fname}): circular padding wraps around the map; not supported")
            return self.pad(name, src, arg(1, "pad", ()), where, what)
        if op in ("cat", "concat", "concatenate"):
            dim = arg(1, "dim", 0)
            rank = nd + 2
            if (dim + rank if dim < 0 else dim) != 1:
                raise RfsymError(
                    f"{where} ({fname}): concatenation along dim {dim} is not along channels; not supported"
                )
            tensors = list(args[0]) if args else list(kwargs.get("tensors", ()))
            return b.merge(name, "concat", [t for t in tensors if isinstance(t, Value)], what)
        if op in ("flatten",):
            start, end = arg(1, "start_dim", 0), arg(2, "end_dim", -1)
            return self.flatten(src, start, end, where)
        if op in ("view", "reshape"):
            shape = args[1:] if len(args) > 1 else kwargs.get("shape", ())
            if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
                shape = shape[0]
            if src.flat:
                return src
            if len(shape) == 2:
                return Value(src.node, flat=True)
            raise RfsymError(f"{where} ({fname}): reshaping a feature map to {len(shape)} axes is not supported")
        if op in ("max", "min") and len(maps) > 1:  # element-wise maximum of two feature maps
            return b.merge(name, "add", maps, what)
        if op in ("mean", "amax", "amin", "sum", "max", "min", "logsumexp", "nanmean"):
            dim = arg(1, "dim", None)
            if not isinstance(dim, (int, tuple, list, type(None))):
                raise RfsymError(f"{where} ({fname}): reduction over dim {dim!r} is not supported")
            keep = bool(arg(2, "keepdim", False))
            rank = nd + 2
            dims = (
                None
                if dim is None
                else {(d + rank if d < 0 else d) for d in (dim if isinstance(dim, (tuple, list)) else (dim,))}
            )
            if dims is None or dims >= set(range(2, rank)):
                return b.whole(name, src, what + " over the spatial axes", mode="avg", flat=not keep)
            if dims & set(range(2, rank)):
                raise RfsymError(f"{where} ({fname}): reducing over only some spatial axes is not supported")
            return src
        if op in ("softmax", "log_softmax", "softmin"):
            dim = arg(1, "dim", None)
            if dim not in (1, -(nd + 1)):
                raise RfsymError(f"{where} ({fname}): softmax over dim {dim} mixes a spatial axis; not supported")
            return src
        if op in ("linear", "matmul", "mm", "addmm"):  # a fully connected layer on a flattened map
            return self.linear(name, src, where, what)
        if op in ("chunk", "split", "tensor_split", "unbind"):
            dim = arg(2, "dim", 0)
            if (dim + nd + 2 if dim < 0 else dim) != 1:
                raise RfsymError(f"{where} ({fname}): splitting along dim {dim} is not along channels; not supported")
            return _Split(src)
        if op == "getitem":
            base = args[0]
            if isinstance(base, _Split):
                return base.src
            if isinstance(base, (tuple, list)):
                return base[args[1]]
            idx = args[1] if isinstance(args[1], tuple) else (args[1],)
            if all(isinstance(i, slice) and i == slice(None) for i in idx[2:]) and Ellipsis not in idx:
                return src
            raise RfsymError(f"{where} ({fname}): indexing a feature map along a spatial axis is not supported")
        if op in _BINARY or op in ("where", "lerp", "addcmul", "addcdiv"):
            if len(maps) == 1:
                return src
            return b.merge(name, "add", maps, what)
        if op in _UNARY or op.endswith("_"):
            if op.rstrip("_") in _UNARY or op in _UNARY:
                return src
        raise RfsymError(
            f"{where}: unsupported operation {fname!r} on a feature map (list the module in passthrough=[...] if it does not change the receptive field)"
        )


class _Split:
    """The pieces of a feature map split along channels (each has the same receptive field)."""

    def __init__(self, src: Value) -> None:
        self.src = src


def _flat_args(args: Sequence[Any], kwargs: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    for a in list(args) + list(kwargs.values()):
        if isinstance(a, (list, tuple)):
            out.extend(_flat_args(a, {}))
        elif isinstance(a, _Split):
            out.append(a.src)
        else:
            out.append(a)
    return out


def _transpose_layer(
    k: Sequence[int], s: Sequence[int], p: Sequence[int], op: Sequence[int], d: Sequence[int], where: str
) -> Any:
    from .. import layers

    cls = getattr(layers, "ConvTranspose", None)
    if cls is None:
        raise RfsymError(f"{where}: transposed convolution is not supported by this version of rfsym")
    return cls(
        kernel=_pk(k),
        stride=_pk(s),
        padding=_pads([(x, x) for x in p]) if len(p) > 1 else p[0],
        output_padding=_pk(op),
        dilation=_pk(d),
    )


def _conv_transpose(mod: Any, nd: int, where: str) -> Any:
    if getattr(mod, "padding_mode", "zeros") != "zeros":
        raise RfsymError(f"{where}: padding_mode {mod.padding_mode!r} is not supported for transposed convolution")
    return _transpose_layer(
        _tuple(mod.kernel_size, nd, where),
        _tuple(mod.stride, nd, where),
        _tuple(mod.padding, nd, where),
        _tuple(mod.output_padding, nd, where),
        _tuple(mod.dilation, nd, where),
        where,
    )


def _upsample(size: Any, scale: Any, mode: Any, sizes: Sequence[int], nd: int, where: str) -> Any:
    from .. import layers

    cls = getattr(layers, "Upsample", None)
    if cls is None:
        raise RfsymError(f"{where}: upsampling is not supported by this version of rfsym")
    if scale is None:
        if size is None:
            raise RfsymError(f"{where}: upsampling needs a size or a scale factor")
        outs = _tuple(size, nd, where)
        scales = []
        for n, o in zip(sizes, outs):
            if o % n:
                raise RfsymError(f"{where}: upsampling from {n} to {o} features is not an integer scale factor")
            scales.append(o // n)
    else:
        vals = scale if isinstance(scale, (list, tuple)) else (scale,) * nd
        scales = []
        for v in vals:
            if float(v) != int(v) or int(v) < 1:
                raise RfsymError(f"{where}: scale factor {v!r} is not a positive integer")
            scales.append(int(v))
    return cls(scale=_pk(scales), mode=str(mode))


# ---------------------------------------------------------------------------
# tracing


def _fx_import(imp: _Importer, model: Any) -> Value:
    import torch.fx as fx

    leaves = imp.passthrough

    class Tracer(fx.Tracer):
        def is_leaf_module(self, m: Any, qualname: str) -> bool:
            return qualname in leaves or super().is_leaf_module(m, qualname)

    graph = Tracer().trace(model)
    env: dict[Any, Any] = {}
    first = True
    out: Any = CONST

    def res(a: Any) -> Any:
        if isinstance(a, fx.Node):
            return env[a]
        if isinstance(a, (list, tuple)):
            return type(a)(res(x) for x in a) if not hasattr(a, "_fields") else a
        if isinstance(a, dict):
            return {k: res(v) for k, v in a.items()}
        return a

    for node in graph.nodes:
        if node.op == "placeholder":
            env[node] = Value("input") if first else CONST
            first = False
        elif node.op == "get_attr":
            obj: Any = model
            for part in str(node.target).split("."):
                obj = getattr(obj, part)
            env[node] = obj
        elif node.op == "call_module":
            mod = model.get_submodule(node.target)
            env[node] = imp.module(str(node.target), mod, res(node.args), res(node.kwargs))
        elif node.op == "call_function":
            t = node.target
            fname = getattr(t, "__name__", str(t))
            env[node] = imp.function(_node_name(node, model), fname, res(node.args), res(node.kwargs), _where(node))
        elif node.op == "call_method":
            env[node] = imp.function(
                _node_name(node, model), str(node.target), res(node.args), res(node.kwargs), _where(node)
            )
        elif node.op == "output":
            out = res(node.args[0])
    return _pick_output(out)


def _node_name(node: Any, model: Any) -> str:
    """``<module path>.<op>`` for a function or method call inside a module's forward."""
    t = node.target
    op = _canon(t if isinstance(t, str) else getattr(t, "__name__", str(t)))
    stack = node.meta.get("nn_module_stack") if hasattr(node, "meta") else None
    if stack:
        path = list(stack.values())[-1]
        path = path[0] if isinstance(path, tuple) else path
        if path:
            return f"{path}.{op}"
    return op


def _where(node: Any) -> str:
    return f"{node.name} ({node.op} {getattr(node.target, '__name__', node.target)})"


def _pick_output(out: Any) -> Value:
    if isinstance(out, Value):
        return out
    if isinstance(out, _Split):
        return out.src
    if isinstance(out, dict):
        out = list(out.values())
    if isinstance(out, (list, tuple)):
        for o in out:
            v = _pick_output(o)
            if v.is_map:
                return v
    return CONST


def _hook_import(imp: _Importer, model: Any, shape: tuple[int, ...]) -> Value:
    """Run the model once, recording leaf modules (hooks) and torch calls (function mode)."""
    torch = _torch()
    from torch.overrides import TorchFunctionMode

    known: dict[int, Any] = {}
    keep: list[Any] = []
    depth = [0]

    def look(a: Any) -> Any:
        if isinstance(a, torch.Tensor):
            return known.get(id(a), a)
        if isinstance(a, (list, tuple)) and not hasattr(a, "_fields"):
            return type(a)(look(x) for x in a)
        if isinstance(a, dict):
            return {k: look(v) for k, v in a.items()}
        return a

    def record(result: Any, value: Any) -> None:
        if isinstance(result, torch.Tensor):
            if isinstance(value, _Split):
                value = value.src
            if isinstance(value, Value) and value.is_map:
                known[id(result)] = value
                keep.append(result)
        elif isinstance(result, (list, tuple)):
            for i, r in enumerate(result):
                v = value[i] if isinstance(value, (list, tuple)) and i < len(value) else value
                record(r, v)

    class Mode(TorchFunctionMode):
        def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            kwargs = kwargs or {}
            result = func(*args, **kwargs)
            tensors = isinstance(result, torch.Tensor) or (
                isinstance(result, (list, tuple)) and any(isinstance(r, torch.Tensor) for r in result)
            )
            if depth[0] == 0 and tensors:
                fname = getattr(func, "__name__", str(func))
                if fname == "__get__":
                    fname = getattr(getattr(func, "__self__", None), "__name__", "getattr")
                la, lk = look(args), look(kwargs)
                if any(isinstance(a, Value) and a.is_map for a in _flat_args(la, lk)):
                    where = paths[-1] if paths else ""
                    nm = f"{where}.{_canon(fname)}" if where else _canon(fname)
                    val = imp.function(nm, fname, la, lk, f"call {fname}")
                    record(result, val)
            return result

    leaves = [(p, m) for p, m in model.named_modules() if p and (p in imp.passthrough or _is_leaf(m))]
    handles = []

    def pre(path: str, mod: Any) -> Any:
        def hook(m: Any, args: Any, kwargs: Any = None) -> None:
            if depth[0] == 0:
                pre.args[id(m)] = (look(args), look(kwargs or {}))  # type: ignore[attr-defined]
            depth[0] += 1

        return hook

    pre.args = {}  # type: ignore[attr-defined]

    def post(path: str, mod: Any) -> Any:
        def hook(m: Any, args: Any, kwargs: Any, result: Any = None) -> None:
            depth[0] -= 1
            if depth[0] == 0:
                la, lk = pre.args.pop(id(m))  # type: ignore[attr-defined]
                record(result, imp.module(path, m, la, lk))

        return hook

    for p, m in leaves:
        handles.append(m.register_forward_pre_hook(pre(p, m), with_kwargs=True))
        handles.append(m.register_forward_hook(post(p, m), with_kwargs=True))
    leaf_ids = {id(m) for _, m in leaves}
    paths: list[str] = []
    for p, m in model.named_modules():
        if p and id(m) not in leaf_ids:  # containers: track the path for naming function calls
            handles.append(m.register_forward_pre_hook(_push(paths, p)))
            handles.append(m.register_forward_hook(_pop(paths)))
    x = torch.zeros(shape)
    known[id(x)] = Value("input")
    try:
        with torch.no_grad(), Mode():
            out = model(x)
    except RfsymError:
        raise
    except Exception as e:  # noqa: BLE001 - any failure inside the model becomes one clear line
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise RfsymError(f"{imp.b.name}: the model failed to run on an input of shape {tuple(shape)}: {msg}") from None
    finally:
        for h in handles:
            h.remove()
    return _pick_output(look(out) if not isinstance(out, torch.Tensor) else known.get(id(out), CONST))


def _push(paths: list[str], path: str) -> Any:
    def hook(mod: Any, args: Any) -> None:
        paths.append(path)

    return hook


def _pop(paths: list[str]) -> Any:
    def hook(mod: Any, args: Any, result: Any) -> None:
        if paths:
            paths.pop()

    return hook


def _is_leaf(m: Any) -> bool:
    import torch.nn as nn

    return m.__module__.startswith("torch.nn") and not isinstance(m, (nn.Sequential, nn.ModuleList, nn.ModuleDict))


def _spatial_ndim(model: Any) -> int | None:
    for m in model.modules():
        name = type(m).__name__
        if (
            m.__module__.startswith("torch.nn")
            and name[-2:] in ("1d", "2d", "3d")
            and any(key in name for key in ("Conv", "Pool", "Pad"))
        ):
            return int(name[-2])
    return None


def _in_channels(model: Any) -> int | None:
    from torch.nn.modules import conv

    for m in model.modules():
        if isinstance(m, conv._ConvNd):
            return int(m.in_channels)
    return None


def parse_input_size(model: Any, input_size: Any) -> tuple[tuple[int, ...], int]:
    """(spatial sizes, channels) from an int, per-axis sizes, (C, *sizes) or (N, C, *sizes)."""
    nd = _spatial_ndim(model)
    if isinstance(input_size, bool) or input_size is None:
        raise RfsymError(f"input_size must be a positive integer or a tuple of them (got {input_size!r})")
    if isinstance(input_size, int):
        vals: list[int] = [input_size] * (nd or 2)
        chans = None
    elif (
        isinstance(input_size, (list, tuple))
        and input_size
        and all(isinstance(v, int) and not isinstance(v, bool) for v in input_size)
    ):
        vals = list(input_size)
        chans = None
        if len(vals) == 1:
            vals = vals * (nd or 1)
        elif nd is not None and len(vals) == nd + 1:
            chans, vals = vals[0], vals[1:]
        elif nd is not None and len(vals) == nd + 2:
            chans, vals = vals[1], vals[2:]
        elif nd is not None and len(vals) != nd:
            raise RfsymError(f"input_size {tuple(input_size)} does not fit a model with {nd} spatial axes")
    else:
        raise RfsymError(f"input_size must be a positive integer or a tuple of them (got {input_size!r})")
    if any(v < 1 for v in vals):
        raise RfsymError(f"input_size must be positive (got {input_size!r})")
    chans = chans or _in_channels(model) or 1
    return tuple(vals), chans


def from_torch(
    model: Any,
    input_size: Any,
    *,
    passthrough: Iterable[str] = (),
    name: str | None = None,
    method: str = "auto",
) -> Any:
    """The rfsym network of a PyTorch module at an input size.

    ``input_size``: one size for every spatial axis, one per axis, or a full
    shape ``(C, *sizes)`` / ``(N, C, *sizes)``.  ``passthrough``: module paths
    (as in ``model.named_modules()``) to treat as pass-through.
    ``method``: ``"fx"``, ``"hooks"`` or ``"auto"`` (fx, then hooks when
    tracing fails).

    >>> import torch.nn as nn
    >>> net = from_torch(nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)), 32)
    >>> net.table().output[0].r
    4
    """
    torch = _torch()
    if not isinstance(model, torch.nn.Module):
        raise RfsymError(f"from_torch needs a torch.nn.Module (got {type(model).__name__})")
    if method not in ("auto", "fx", "hooks"):
        raise RfsymError(f"method must be 'auto', 'fx' or 'hooks' (got {method!r})")
    if isinstance(passthrough, str):
        passthrough = [passthrough]
    passthrough = list(passthrough)
    names = {p for p, _ in model.named_modules()}
    for p in passthrough:
        if p not in names:
            raise RfsymError(f"passthrough: the model has no module {p!r}")
    sizes, chans = parse_input_size(model, input_size)
    name = name or type(model).__name__.lower()
    value: Value | None = None
    if method in ("auto", "fx"):
        imp = _Importer(model, sizes, name, passthrough)
        try:
            value = _fx_import(imp, model)
        except RfsymError as e:
            if "needs a larger input" in str(e) and len(set(sizes)) == 1:
                smallest = _smallest_input(model, len(sizes), sizes[0], name, passthrough)
                if smallest is not None:
                    raise RfsymError(f"{e} (the smallest input that works is {smallest})") from None
            raise
        except Exception as e:  # noqa: BLE001 - fx cannot trace this model: fall back to hooks
            if method == "fx":
                raise RfsymError(
                    f"{name}: torch.fx cannot trace the model: {str(e).splitlines()[0] if str(e) else type(e).__name__}"
                ) from None
            value = None
    if value is None:
        imp = _Importer(model, sizes, name, passthrough)
        was = model.training
        model.eval()
        try:
            value = _hook_import(imp, model, (1, chans, *sizes))
        finally:
            model.train(was)
    return imp.b.build(value)


def _smallest_input(model: Any, nd: int, tried: int, name: str, passthrough: list[str]) -> int | None:
    """Smallest size (the same on every axis) that the model accepts, by doubling and bisection on the fx import."""

    def ok(n: int) -> bool:
        try:
            _fx_import(_Importer(model, (n,) * nd, name, passthrough), model)
        except RfsymError as e:
            if "needs a larger input" in str(e):
                return False
            raise
        return True

    lo, hi = tried, max(2 * tried, 2)
    try:
        while not ok(hi):
            lo, hi = hi, 2 * hi
            if hi > 1 << 20:
                return None
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    except Exception:  # noqa: BLE001 - only a hint: give up quietly
        return None
    return hi


# Tell linters the operator module is used for its functions' names in fx graphs.
_ = operator
