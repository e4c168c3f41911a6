"""How each PyTorch operation maps to rfsym layers: the tables behind :func:`rfsym.from_torch`.

:class:`_Importer` turns one module call or one torch function/method call into
:class:`~rfsym.io._graphbuild.Builder` calls.  Modules are dispatched by type
(:func:`_module_table`: ``(types, handler, needs a map)`` rows, most specific
first), functions by canonical name (:data:`FUNCTIONS`: ``{name: handler}``).
Both tracers (``torch.fx`` and the hook recorder in :mod:`rfsym.io.torch`)
feed the same importer.  torch itself is imported only inside the functions
that need its classes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .._display import term_text
from ..errors import RfsymError
from ..layers import Conv, ConvTranspose, Identity, Pool, Upsample
from ._base import integer_scales, make_layer, size_scales, whole
from ._graphbuild import (
    CONST,
    Builder,
    Tok,
    Value,
    _layout,
    _reshape_labels,
    _show_layout,
    _with_layout,
    is_spatial,
    token_count,
    token_reshape,
)

__all__ = ["META", "CONST", "Value", "_Importer", "_Split", "canon", "flat_args"]


class _Meta:
    """A non-tensor value computed from a feature map (a size, a shape)."""


META = _Meta()


@dataclass(frozen=True)
class _Dim:
    """One entry of a feature map's ``size()`` under torch.fx: which axis it measures (``"b"``, ``"c"``, a spatial
    axis or a token axis), so that a later ``view``/``reshape`` knows where the spatial axes went; ``size``: its
    length when the importer knows it (spatial and token axes at a numeric input size), else None."""

    label: Any
    size: Any = None


@dataclass(frozen=True)
class _Shaped:
    """A constant tensor of a known shape that torch.fx only sees as a proxy (a class token ``expand``-ed)."""

    shape: tuple[int, ...]


#: Arithmetic on sizes (``h // p``, ``n_h * n_w``) that gives a number when every operand is one.
_SIZE_ARITH = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "floordiv": lambda a, b: a // b if b else None,
    "mod": lambda a, b: a % b if b else None,
}


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
    # identities in eval mode (and in training they drop whole samples or channels, not positions)
    "stochastic_depth",
    "drop_path",
    "drop_block_2d",
    "drop_block_fast_2d",
    "channel_shuffle",
    "native_channel_shuffle",
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


def canon(name: str) -> str:
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
        return tuple(whole(x, what) for x in v)
    return (whole(v, what),) * nd


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


@dataclass(frozen=True)
class _Call:
    """One torch function or method call whose arguments include a feature map."""

    name: str  # the layer name it gets (module path + op)
    fname: str  # the name as called
    op: str  # canonical name
    args: Sequence[Any]
    kwargs: dict[str, Any]
    where: str
    src: Value  # the first feature-map argument
    maps: list[Value]

    def arg(self, i: int, key: str, default: Any) -> Any:
        if key in self.kwargs:
            return self.kwargs[key]
        return self.args[i] if len(self.args) > i else default

    def fail(self, msg: str) -> RfsymError:
        return RfsymError(f"{self.where} ({self.fname}): {msg}")


@dataclass(frozen=True)
class _ModCall:
    """One leaf-module call on a feature map."""

    path: str
    mod: Any
    src: Value
    where: str  # "path (type)"
    what: str  # the type


def _dim(d: int, rank: int) -> int:
    return d + rank if d < 0 else d


class _Importer:
    def __init__(self, model: Any, input: tuple[int, ...], name: str, passthrough: Iterable[str]) -> None:
        self.model = model
        self.b = Builder(name=name, input=input, source=name)
        self.nd = len(input)
        self.passthrough = set(passthrough)
        self.seen_passthrough: set[str] = set()
        self.fx_error: RfsymError | None = None  # why torch.fx could not import the model (then the hooks try)

    # -- modules ---------------------------------------------------------------
    def module(self, path: str, mod: Any, args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
        """A leaf module's call: its rfsym value, by the first matching row of :func:`_module_table`."""
        tname = f"{type(mod).__module__}.{type(mod).__name__}"
        if tname.startswith("torch.nn.modules."):
            tname = "torch.nn." + type(mod).__name__
        src = args[0] if args else next(iter(kwargs.values()), CONST)
        if path in self.passthrough:
            self.seen_passthrough.add(path)
            return src
        if not isinstance(src, Value) or not src.is_map:
            maps = [a for a in args if isinstance(a, Value) and a.is_map]
            if not maps:
                return CONST
            src = maps[0]
        call = _ModCall(path, mod, src, f"{term_text(path)} ({term_text(tname)})", tname)
        for types, handler, needs_map in _module_table():
            if isinstance(mod, types):

                def go(handler: Any = handler, needs_map: bool = needs_map) -> Any:
                    if needs_map:
                        self._expect_map(src, call.where)
                    return handler(self, call)

                return _on_global(go, [src])
        if _passive_module(mod):
            return src
        raise RfsymError(f"{call.where}: unsupported module for receptive-field import{_hint(path)}")

    def _m_conv_transpose(self, c: _ModCall) -> Value:
        return self.b.layer(c.path, _conv_transpose(c.mod, self.nd, c.where), c.src, c.what)

    def _m_conv(self, c: _ModCall) -> Value:
        mod, nd, where = c.mod, self.nd, c.where
        if getattr(mod, "padding_mode", "zeros") == "circular":
            raise RfsymError(f"{where}: padding_mode 'circular' wraps around the map; not supported")
        lay = make_layer(
            where,
            Conv,
            kernel=_pk(_tuple(mod.kernel_size, nd, where)),
            stride=_pk(_tuple(mod.stride, nd, where)),
            padding=_padding(mod.padding, nd, where),
            dilation=_pk(_tuple(mod.dilation, nd, where)),
        )
        return self.b.layer(c.path, lay, c.src, c.what)

    def _m_pool(self, c: _ModCall) -> Value:
        from torch.nn.modules import pooling

        mod, nd, where = c.mod, self.nd, c.where
        k = _tuple(mod.kernel_size, nd, where)
        lay = make_layer(
            where,
            Pool,
            kernel=_pk(k),
            stride=_pk(_tuple(mod.stride if mod.stride is not None else mod.kernel_size, nd, where)),
            padding=_padding(getattr(mod, "padding", 0), nd, where),
            dilation=_pk(_tuple(getattr(mod, "dilation", 1), nd, where)),
            ceil_mode=bool(mod.ceil_mode),
            mode="max" if isinstance(mod, pooling._MaxPoolNd) else "avg",
        )
        return self.b.layer(c.path, lay, c.src, c.what)

    def _m_adaptive(self, c: _ModCall) -> Value:
        mode = "max" if "Max" in type(c.mod).__name__ else "avg"
        return self.adaptive(c.path, c.src, c.mod.output_size, mode, c.what)

    def _m_upsample(self, c: _ModCall) -> Value:
        mod = c.mod
        lay = _upsample(mod.size, mod.scale_factor, mod.mode, self.b.sizes(c.src), self.nd, c.where)
        return self.b.layer(c.path, lay, c.src, c.what)

    def _m_flatten(self, c: _ModCall) -> Any:
        return self.flatten(c.src, c.mod.start_dim, c.mod.end_dim, c.where)

    def _m_linear(self, c: _ModCall) -> Value:
        return self.linear(c.path, c.src, c.where, c.what)

    def _m_pad(self, c: _ModCall) -> Value:
        return self.pad(c.path, c.src, c.mod.padding, c.where, c.what)

    def _m_softmax(self, c: _ModCall) -> Value:
        if c.mod.dim not in (1, -(self.nd + 1)):
            raise RfsymError(f"{c.where}: softmax over dim {c.mod.dim} mixes a spatial axis; not supported")
        return c.src

    def _m_pass(self, c: _ModCall) -> Value:
        return c.src

    def _m_pixel_shuffle(self, c: _ModCall) -> Value:
        return self.pixel_shuffle(c.path, c.src, c.mod.upscale_factor, True, c.where, c.what)

    def _m_pixel_unshuffle(self, c: _ModCall) -> Value:
        return self.pixel_shuffle(c.path, c.src, c.mod.downscale_factor, False, c.where, c.what)

    def _m_attention(self, c: _ModCall) -> Any:
        """Attention over all positions: a global operation (the output and the attention weights)."""
        return (self._over_tokens(c.path, c.src, c.what + ", attention over all positions"), CONST)

    # -- shared by modules and functions ---------------------------------------
    def _expect_map(self, src: Value, where: str) -> None:
        if src.flat:
            raise RfsymError(f"{where}: applied after the spatial axes were flattened; not supported")
        if src.dims is not None:
            raise RfsymError(
                f"{where}: applied to a feature map whose axes were permuted or reshaped to "
                f"{_show_layout(src.dims)}; a window needs (N, C, *spatial)"
            )

    def pixel_shuffle(self, path: str, src: Value, factor: Any, up: bool, where: str, what: str) -> Value:
        """PixelShuffle(r): output pixel o reads input pixel o // r (nearest upsampling by r);
        PixelUnshuffle(r): output pixel i reads input pixels i r .. i r + r - 1 (a window r, stride r)."""
        self._expect_map(src, where)
        r = whole(factor, f"{where}: factor")
        if r < 1:
            raise RfsymError(f"{where}: factor {r} is not a positive integer")
        if up:
            lay: Any = make_layer(where, Upsample, scale=_pk([r] * self.nd), mode="nearest")
            return self.b.layer(path, lay, src, what + ", as nearest upsampling")
        for ax, n in enumerate(self.b.sizes(src)):
            if isinstance(n, int) and n % r:
                raise RfsymError(f"{where}: {n} features on axis {ax} are not a multiple of the factor {r}")
        lay = make_layer(where, Conv, kernel=_pk([r] * self.nd), stride=_pk([r] * self.nd))
        return self.b.layer(path, lay, src, what + ", a window of the factor")

    def crop(self, path: str, src: Value, cuts: Sequence[tuple[int, int, int]], where: str, what: str) -> Value:
        self._expect_map(src, where)
        return self.b.crop(path, src, cuts, where, what)

    def adaptive(self, path: str, src: Value, output_size: Any, mode: str, what: str) -> Value:
        sizes = self.b.sizes(src)
        outs = output_size if isinstance(output_size, (list, tuple)) else (output_size,) * self.nd
        if len(outs) != self.nd:
            raise RfsymError(f"{path} ({what}): output_size {output_size!r} has {len(outs)} axes for {self.nd}")
        ks = []
        for ax, (n, o) in enumerate(zip(sizes, outs)):
            o = n if o is None else whole(o, f"{path} ({what}): output_size")
            if o < 1 or n % o:
                raise RfsymError(
                    f"{path} ({what}): adaptive pooling from {n} to {o} features (axis {ax}) uses windows of "
                    f"different sizes, which no single layer describes; use an input size for which {o} divides "
                    f"the map, or list it in passthrough=[...]"
                )
            ks.append(n // o)
        if all(k == 1 for k in ks):
            return self.b.layer(path, Identity(op="identity"), src, what)
        if all(o == 1 for o in outs):  # global pooling: sees the whole map
            return self.b.whole(path, src, what, mode=mode, flat=src.flat)
        tag = ""
        lay = make_layer(f"{path} ({what})", Pool, kernel=_pk(ks), stride=_pk(ks), mode=mode)
        return self.b.layer(path, lay, src, what + tag)

    def flatten(self, src: Any, start: int, end: int, where: str) -> Any:
        """Merging axes: non-spatial ones into one, or every spatial axis (with others) into a flat axis."""
        if not isinstance(src, Value) or not src.is_map:
            return src
        lay = _layout(src, self.nd)
        rank = len(lay)
        start, end = _dim(whole(start, where), rank), _dim(whole(end, where), rank)
        if not 0 <= start <= end < rank:
            return src if start > end else _raise(f"{where}: flattening dims {start}..{end} of {rank}")
        if start == end:
            return src
        merged = lay[start : end + 1]
        spatial = {x for x in merged if isinstance(x, int)}
        if not any(is_spatial(x) for x in merged):
            label = "b" if start == 0 else "c"
            return _with_layout(src, (*lay[:start], label, *lay[end + 1 :]), self.nd)
        if spatial != {x for x in lay if isinstance(x, int)}:
            raise RfsymError(f"{where}: flattening dims {start}..{end} keeps some spatial axes apart; not supported")
        # Only the spatial axes: one token axis, row-major; with channels too: the flattened map of a head.
        folded: Any = Tok(tuple(merged)) if all(isinstance(x, int) for x in merged) else "f"
        return _with_layout(src, (*lay[:start], folded, *lay[end + 1 :]), self.nd)

    def linear(self, path: str, src: Value, where: str, what: str) -> Value:
        if not isinstance(src, Value) or not src.is_map:
            return CONST
        last = _layout(src, self.nd)[-1]
        if last == "f":
            return self.b.whole(path, src, what, mode="conv", flat=True)
        if isinstance(last, Tok):  # mixing the tokens (MLP-Mixer's token MLP): every output reads every position
            return self._over_tokens(path, src, what + " over the tokens")
        if last in ("b", "c"):  # channels last: one position at a time
            return src
        if all(n == 1 for n in self.b.sizes(src)):
            return self.b.layer(path, Identity(op="identity"), src, what)
        raise RfsymError(
            f"{where}: a Linear layer on a feature map mixes its last spatial axis; flatten first{_hint(path)}"
        )

    def pad(self, path: str, src: Value, pad: Any, where: str, what: str) -> Value:
        """``F.pad``: torch lists the last tensor axis first; on a permuted map (channels last) by the layout."""
        pad = tuple(whole(p, f"{where}: padding") for p in pad)
        lay = _layout(src, self.nd)
        if len(pad) % 2 or len(pad) // 2 > len(lay):
            raise RfsymError(f"{where}: padding {pad!r} does not fit a tensor of {len(lay)} axes")
        pairs = [(0, 0)] * self.nd
        for i in range(len(pad) // 2):
            label, pair = lay[len(lay) - 1 - i], (pad[2 * i], pad[2 * i + 1])
            if isinstance(label, int):
                pairs[label] = pair
            elif pair != (0, 0):
                raise RfsymError(
                    f"{where}: padding {pad!r} pads axis {len(lay) - 1 - i} of {_show_layout(lay)}, "
                    "which is not a spatial axis; not supported"
                )
        plain = replace(src, dims=None)
        if any(p < 0 for pr in pairs for p in pr):
            if any(p > 0 for pr in pairs for p in pr):
                raise RfsymError(f"{where}: padding {pad!r} both pads and crops; not supported")
            out = self.crop(path, plain, [(-a, -e, 1) for a, e in pairs], where, what)
        else:
            lay_ = make_layer(where, Conv, kernel=_pk([1] * self.nd), padding=_pads(pairs))
            out = self.b.layer(path, lay_, plain, what + ", padding only")
        return replace(out, dims=src.dims, flat=src.flat)

    # -- functions -------------------------------------------------------------
    def function(self, name: str, fname: str, args: Sequence[Any], kwargs: dict[str, Any], where: str) -> Any:
        """A torch function, tensor method or operator, by canonical name (:data:`FUNCTIONS`)."""
        op = canon(fname)
        if op in _META_OPS:
            return self._meta(op, args)
        maps = [a for a in flat_args(args, kwargs) if isinstance(a, Value) and a.is_map]
        if not maps:
            return _no_map(op, args)
        handler = FUNCTIONS.get(op)
        if handler is None:
            module = name.rsplit(".", 1)[0] if "." in name else ""
            raise RfsymError(
                f"{where}: unsupported operation {fname!r} on a feature map"
                + (_hint(module) if module else " (declare the module that calls it pass-through)")
            )
        return _on_global(lambda: handler(self, _Call(name, fname, op, args, kwargs, where, maps[0], maps)), maps)

    def _meta(self, op: str, args: Sequence[Any]) -> Any:
        """``x.size()``, ``x.shape``, ``x.size(d)``, ``x.dim()`` of a feature map under torch.fx: entries that say
        which axis they measure (:class:`_Dim`), so that a ``view`` of them keeps track of the spatial axes."""
        src = args[0] if args else None
        if not isinstance(src, Value) or not src.is_map:
            return META
        lay = _layout(src, self.nd)
        if op in ("dim", "ndimension"):
            return len(lay)
        if op == "size" or (op == "getattr" and len(args) > 1 and args[1] == "shape"):
            sizes = None if src.pure else self.b.sizes(src)  # a global value's map size is not its tensor's
            dims = tuple(_Dim(x, _label_size(x, sizes)) for x in lay)
            if op == "size" and len(args) > 1 and isinstance(args[1], int):
                return dims[args[1]]
            return dims
        return META

    def _weight_kernel(self, c: _Call) -> tuple[int, ...]:
        w = c.arg(1, "weight", None)
        if not hasattr(w, "shape"):
            raise c.fail("the weight is not a parameter of the model; not supported")
        return tuple(int(x) for x in w.shape[2:])

    def _f_conv(self, c: _Call) -> Value:
        nd, where = self.nd, c.where
        lay = make_layer(
            c.where,
            Conv,
            kernel=_pk(self._weight_kernel(c)),
            stride=_pk(_tuple(c.arg(3, "stride", 1), nd, where)),
            padding=_padding(c.arg(4, "padding", 0), nd, where),
            dilation=_pk(_tuple(c.arg(5, "dilation", 1), nd, where)),
        )
        return self.b.layer(c.name, lay, c.src, c.fname)

    def _f_conv_transpose(self, c: _Call) -> Value:
        nd, where = self.nd, c.where
        lay = _transpose_layer(
            self._weight_kernel(c),
            _tuple(c.arg(3, "stride", 1), nd, where),
            _tuple(c.arg(4, "padding", 0), nd, where),
            _tuple(c.arg(5, "output_padding", 0), nd, where),
            _tuple(c.arg(7, "dilation", 1), nd, where),
            where,
        )
        return self.b.layer(c.name, lay, c.src, c.fname)

    def _f_pool(self, c: _Call) -> Any:
        nd, where, op = self.nd, c.where, c.op
        mode = "max" if op.startswith("max") else "avg"
        off = 1 if op.startswith("lp_pool") else 0  # lp_pool(input, norm_type, kernel_size, stride, ceil_mode)
        k = _tuple(c.arg(1 + off, "kernel_size", None), nd, where)
        s_raw = c.arg(2 + off, "stride", None)
        if mode == "max":
            pad, dil, ceil = c.arg(3, "padding", 0), c.arg(4, "dilation", 1), c.arg(5, "ceil_mode", False)
        elif off:
            pad, dil, ceil = 0, 1, c.arg(4, "ceil_mode", False)
        else:
            pad, dil, ceil = c.arg(3, "padding", 0), 1, c.arg(4, "ceil_mode", False)
        pool = make_layer(
            where,
            Pool,
            kernel=_pk(k),
            stride=_pk(k if s_raw in (None, [], ()) else _tuple(s_raw, nd, where)),
            padding=_padding(pad, nd, where),
            dilation=_pk(_tuple(dil, nd, where)),
            ceil_mode=bool(ceil),
            mode=mode,
        )
        out = self.b.layer(c.name, pool, c.src, c.fname)
        return (out, CONST) if op.endswith("_with_indices") or c.arg(6, "return_indices", False) is True else out

    def _f_adaptive(self, c: _Call) -> Any:
        mode = "max" if "max" in c.op else "avg"
        out = self.adaptive(c.name, c.src, c.arg(1, "output_size", None), mode, c.fname)
        return (out, CONST) if c.op.endswith("_with_indices") or c.arg(2, "return_indices", False) is True else out

    def _f_interpolate(self, c: _Call) -> Value:
        size, scale, mode = c.arg(1, "size", None), c.arg(2, "scale_factor", None), c.arg(3, "mode", "nearest")
        lay = _upsample(size, scale, mode, self.b.sizes(c.src), self.nd, c.where)
        return self.b.layer(c.name, lay, c.src, c.fname)

    def _f_pad(self, c: _Call) -> Value:
        if c.arg(2, "mode", "constant") == "circular":
            raise c.fail("circular padding wraps around the map; not supported")
        return self.pad(c.name, c.src, c.arg(1, "pad", ()), c.where, c.fname)

    def _f_cat(self, c: _Call) -> Value:
        dim = c.arg(1, "dim", 0)
        lay = _layout(c.src, self.nd)
        tensors = list(c.args[0]) if c.args else list(c.kwargs.get("tensors", ()))
        d = _dim(whole(dim, c.where), len(lay))
        if isinstance(lay[d], Tok):
            return self._cat_tokens(c, tensors, d)
        if lay[d] != "c":
            raise c.fail(f"concatenation along dim {dim} is not along channels; not supported")
        return self._merge(c, "concat", [t for t in tensors if isinstance(t, Value)])

    def _cat_tokens(self, c: _Call, tensors: list[Any], d: int) -> Value:
        """Constant tokens (a class token, register tokens) concatenated before or after the spatial ones."""
        maps = [i for i, t in enumerate(tensors) if isinstance(t, Value) and t.is_map]
        if len(maps) != 1:
            raise c.fail("concatenating two token maps along the tokens is not supported")
        at = maps[0]

        def count(ts: list[Any]) -> int | None:
            ns = [int(t.shape[d]) for t in ts if hasattr(t, "shape") and len(t.shape) > d]
            return sum(ns) if len(ns) == len(ts) else None

        tok: Tok = _layout(c.src, self.nd)[d]
        lead, trail = count(tensors[:at]), count(tensors[at + 1 :])
        new = Tok(
            tok.axes,
            None if lead is None or tok.lead is None else tok.lead + lead,
            None if trail is None or tok.trail is None else tok.trail + trail,
        )
        lay = list(_layout(c.src, self.nd))
        lay[d] = new
        return _with_layout(tensors[at], lay, self.nd)

    def _f_flatten(self, c: _Call) -> Any:
        return self.flatten(c.src, c.arg(1, "start_dim", 0), c.arg(2, "end_dim", -1), c.where)

    def _f_reshape(self, c: _Call) -> Value:
        shape = c.args[1:] if len(c.args) > 1 else c.kwargs.get("shape", c.kwargs.get("size", ()))
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        src, nd = c.src, self.nd
        lay = _layout(src, nd)
        if not any(isinstance(x, (int, Tok)) for x in lay):  # already flat: stays flat
            return src
        sizes = self.b.sizes(src)
        labels = _reshape_labels(lay, list(shape), sizes, nd)
        if labels is not None:
            return _with_layout(src, labels, nd)
        labels, why = token_reshape(lay, list(shape), sizes)
        if labels is not None:
            return _with_layout(src, labels, nd)
        if len(shape) == 2:
            return _with_layout(src, ("b", "f"), nd)
        if why:
            raise c.fail(
                f"reshaping a feature map of layout {_show_layout(lay)} to {len(shape)} axes mixes its spatial axes: "
                f"it {why}, a window or grid partition (windowed attention as in Swin or MaxViT: each unit's field "
                "then depends on its position in the window, which rfsym's per-layer recurrence does not describe) "
                "or a space-to-depth written as view/permute/view (nn.PixelUnshuffle is supported); not supported"
            )
        raise c.fail(
            f"reshaping a feature map of layout {_show_layout(lay)} to {len(shape)} axes mixes its spatial axes; "
            f"not supported{_hint(_module_of(c.name))}"
        )

    def _f_permute(self, c: _Call) -> Value:
        """``permute``/``transpose``/``movedim``: the spatial axes move (channels last), the map stays the same."""
        lay = list(_layout(c.src, self.nd))
        rank = len(lay)
        if c.op in ("transpose", "swapaxes", "swapdims"):
            a, b = (_dim(whole(c.arg(i, k, None), c.where), rank) for i, k in ((1, "dim0"), (2, "dim1")))
            lay[a], lay[b] = lay[b], lay[a]
        elif c.op in ("movedim", "moveaxis"):
            a, b = (
                _dim(whole(c.arg(1, "source", None), c.where), rank),
                _dim(whole(c.arg(2, "destination", None), c.where), rank),
            )
            lay.insert(b, lay.pop(a))
        else:
            perm = c.args[1:] if len(c.args) > 1 else c.kwargs.get("dims", ())
            if len(perm) == 1 and isinstance(perm[0], (tuple, list)):
                perm = perm[0]
            perm = [_dim(whole(p, c.where), rank) for p in perm]
            if sorted(perm) != list(range(rank)):
                raise c.fail(f"permutation {perm} does not fit a tensor of {rank} axes")
            lay = [lay[p] for p in perm]
        return _with_layout(c.src, lay, self.nd)

    def _f_squeeze(self, c: _Call) -> Value:
        lay = list(_layout(c.src, self.nd))
        d = c.arg(1, "dim", None)
        if c.op == "unsqueeze":
            lay.insert(_dim(whole(d, c.where), len(lay) + 1), "c")
            return _with_layout(c.src, lay, self.nd)
        if not any(isinstance(x, int) for x in lay):
            return c.src  # a flattened map (after a global pooling): its axes are not spatial
        if d is None:
            raise c.fail("squeeze() without a dim on a feature map is not supported")
        drop = {_dim(whole(x, c.where), len(lay)) for x in (d if isinstance(d, (tuple, list)) else (d,))}
        if any(isinstance(lay[x], int) for x in drop):
            raise c.fail("squeezing a spatial axis is not supported")
        return _with_layout(c.src, [x for i, x in enumerate(lay) if i not in drop], self.nd)

    def _f_pixel_shuffle(self, c: _Call) -> Value:
        up = c.op == "pixel_shuffle"
        key = "upscale_factor" if up else "downscale_factor"
        return self.pixel_shuffle(c.name, c.src, c.arg(1, key, None), up, c.where, c.fname)

    def _f_attention(self, c: _Call) -> Value:
        """``scaled_dot_product_attention``: every query reads every key: a global operation."""
        out = self._over_tokens(c.name, c.src, c.fname + ", attention over all positions")
        return replace(out, glob=out.glob.union(*(m.glob for m in c.maps)))

    def _over_tokens(self, name: str, src: Value, what: str) -> Value:
        """An operation over all positions (attention, a token-mixing MLP): global, the layout kept."""
        out = self.b.whole(name, replace(src, dims=None, flat=True), what)
        return replace(out, dims=src.dims, flat=src.flat)

    def _f_max_min(self, c: _Call) -> Value:
        if len(c.maps) > 1:  # element-wise maximum of two feature maps
            return self._merge(c, "add", c.maps)
        return self._f_reduce(c)

    def _f_stack(self, c: _Call) -> Value:
        """``torch.stack`` of feature maps along a new non-spatial axis (split attention): a concat merge."""
        tensors = list(c.args[0]) if c.args else list(c.kwargs.get("tensors", ()))
        maps = [t for t in tensors if isinstance(t, Value) and t.is_map]
        lay = list(_layout(c.src, self.nd))
        d = _dim(whole(c.arg(1, "dim", 0), c.where), len(lay) + 1)
        if any(is_spatial(x) for x in lay[:d]):
            raise c.fail(f"stacking along dim {d} puts a new axis among the spatial ones; not supported")
        if any(m.dims != c.src.dims or m.flat != c.src.flat for m in maps):
            raise c.fail("stacked feature maps differ in layout; not supported")
        out = self.b.merge(c.name, "concat", [replace(m, dims=None, flat=False) for m in maps], c.fname)
        lay.insert(d, "c")
        return _with_layout(replace(out, dims=c.src.dims, flat=c.src.flat), lay, self.nd)

    def _f_reduce(self, c: _Call) -> Value:
        dim = c.kwargs["dim"] if "dim" in c.kwargs else c.arg(2 if c.op == "norm" else 1, "dim", None)
        if not isinstance(dim, (int, tuple, list, type(None))):
            raise c.fail(f"reduction over dim {dim!r} is not supported")
        lay = _layout(c.src, self.nd)
        rank = len(lay)
        dims = (
            set(range(rank))
            if dim is None
            else {_dim(d, rank) for d in (dim if isinstance(dim, (tuple, list)) else (dim,))}
        )
        spatial = {i for i, x in enumerate(lay) if is_spatial(x)}
        keep = bool(
            c.kwargs["keepdim"] if "keepdim" in c.kwargs else c.arg(3 if c.op == "norm" else 2, "keepdim", False)
        )
        if spatial and dims >= spatial:
            out = self.b.whole(c.name, c.src, c.fname + " over the spatial axes", mode="avg", flat=not keep)
            if keep or c.src.dims is None:
                return out
            return _with_layout(out, [x for i, x in enumerate(lay) if i not in dims or x == "b"] + ["f"], self.nd)
        if dims & spatial:
            raise c.fail("reducing over only some spatial axes is not supported")
        if keep:
            return c.src
        return _with_layout(c.src, [x for i, x in enumerate(lay) if i not in dims], self.nd)

    def _f_softmax(self, c: _Call) -> Value:
        dim = c.arg(1, "dim", None)
        lay = _layout(c.src, self.nd)
        label = None if dim is None else lay[_dim(whole(dim, c.where), len(lay))]
        if isinstance(label, Tok) or label == "f":  # normalised over every position: each output reads them all
            return self._over_tokens(c.name, c.src, c.fname + " over all positions")
        if label not in ("b", "c"):
            raise c.fail(f"softmax over dim {dim} mixes a spatial axis; not supported")
        return c.src

    def _f_linear(self, c: _Call) -> Value:  # a fully connected layer on a flattened map
        return self.linear(c.name, c.src, c.where, c.fname)

    def _f_split(self, c: _Call) -> _Split:
        dim = c.arg(1 if c.op == "unbind" else 2, "dim", 0)
        lay = _layout(c.src, self.nd)
        d = _dim(whole(dim, c.where), len(lay))
        if lay[d] != "c":
            raise c.fail(f"splitting along dim {dim} is not along channels; not supported")
        if c.op == "unbind":  # the pieces lose that axis
            return _Split(_with_layout(c.src, [x for k, x in enumerate(lay) if k != d], self.nd))
        return _Split(c.src)

    def _f_matmul(self, c: _Call) -> Value:
        """A product of two feature maps: over positions when both carry them (attention by hand), else a gate."""
        a, b = (c.arg(k, key, None) for k, key in ((0, "input"), (1, "other")))
        if not (isinstance(a, Value) and a.is_map and isinstance(b, Value) and b.is_map):
            return self._f_linear(c)
        la, lb = _layout(a, self.nd), _layout(b, self.nd)
        tail = lb[-1] if is_spatial(lb[-1]) else "c"
        if not (any(is_spatial(x) for x in la) and any(is_spatial(x) for x in lb)):
            out = self.b.merge(c.name, "add", [a, b], c.fname)  # weights that see what they see, applied per token
            base = a if any(is_spatial(x) for x in la) else b
            lay = list(la[:-1]) + [tail] if base is a else [*lb]
            return _with_layout(replace(out, dims=base.dims, flat=base.flat), lay, self.nd)
        out = self.b.whole(
            c.name, replace(a, dims=None, flat=True), c.fname + " of two feature maps, over all positions (attention)"
        )
        out = replace(out, dims=a.dims, flat=a.flat, glob=out.glob | b.glob)
        return _with_layout(out, [*la[:-1], tail], self.nd)

    def _f_patch_merging(self, c: _Call) -> Value:
        """torchvision's ``_patch_merging_pad`` (Swin's patch merging, one call under torch.fx): pad H and W to even
        sizes, then ``cat(x[..., 0::2, 0::2, :], x[..., 1::2, 0::2, :], ...)`` on channels: every output pixel reads
        one 2x2 block, a window 2 with stride 2 (a space-to-depth, as PixelUnshuffle(2))."""
        lay = _layout(c.src, self.nd)
        if self.nd != 2 or list(lay[-3:]) != [0, 1, "c"]:
            raise c.fail(f"patch merging of a map of layout {_show_layout(lay)}; (..., S0, S1, C) expected")
        h, w = self.b.sizes(c.src)
        if not (isinstance(h, int) and isinstance(w, int)):
            raise c.fail("patch merging of a map of symbolic size is not supported")
        x = self.pad(c.name, c.src, (0, 0, 0, w % 2, 0, h % 2), c.where, c.fname)
        lay_ = make_layer(c.where, Conv, kernel=[2, 2], stride=[2, 2])
        out = self.b.layer(c.name, lay_, replace(x, dims=None), c.fname + ", 2x2 blocks to channels")
        return replace(out, dims=x.dims, flat=x.flat)

    def _f_windowed(self, c: _Call) -> Value:
        raise c.fail(
            "attention inside (shifted) windows of the token map: each unit's field depends on its position in "
            "the window, which rfsym's per-layer recurrence does not describe; not supported (docs/models.md)"
        )

    def _f_getitem(self, c: _Call) -> Any:
        """Indexing: channels pass; slices along a spatial axis crop (and stride) the map."""
        base, key = c.args[0], c.args[1]
        if isinstance(base, _Split):
            return base.src
        if isinstance(base, (tuple, list)):
            return base[key]
        lay = _layout(c.src, self.nd)
        idx = list(key) if isinstance(key, tuple) else [key]
        if Ellipsis in idx:
            at = idx.index(Ellipsis)
            idx[at : at + 1] = [slice(None)] * (len(lay) - len(idx) + 1)
        if any(i is None for i in idx) or len(idx) > len(lay):
            raise c.fail("indexing a feature map with new axes is not supported")
        sizes = self.b.sizes(c.src)
        cuts = [(0, 0, 1)] * self.nd
        keep = []
        extra = False  # an extra token (the class token) selected
        for pos, label in enumerate(lay):
            i = idx[pos] if pos < len(idx) else slice(None)
            if isinstance(label, Tok):
                picked, only_extra = self._index_tokens(c, label, i, sizes)
                extra = extra or only_extra
                if picked is not None:
                    keep.append(picked)
                continue
            if not isinstance(label, int):
                if label == "f" and i != slice(None):
                    raise c.fail("indexing the flattened spatial axis of a feature map (one token) is not supported")
                if not isinstance(i, slice) and not hasattr(i, "shape"):
                    continue  # an integer index drops a non-spatial axis
                keep.append(label)
                continue
            keep.append(label)
            if not isinstance(i, slice) or not all(v is None or isinstance(v, int) for v in (i.start, i.stop, i.step)):
                raise c.fail(f"indexing a feature map along spatial axis {label} with {i!r} is not supported")
            n = sizes[label]
            if not isinstance(n, int):
                raise c.fail("slicing a spatial axis of a symbolic size is not supported")
            a, b, step = i.indices(n)
            if step < 1 or b <= a:
                raise c.fail(f"the slice {i!r} of {n} features along spatial axis {label} is empty or reversed")
            cnt = -(-(b - a) // step)
            cuts[label] = (a, n - (a + (cnt - 1) * step + 1), step)
        out = (
            c.src
            if all(cut == (0, 0, 1) for cut in cuts)
            else self.crop(c.name, replace(c.src, dims=None), cuts, c.where, "slice")
        )
        if extra:
            return _with_layout(self._extra_token(c), keep, self.nd)
        return _with_layout(out, keep, self.nd)

    def _index_tokens(self, c: _Call, tok: Tok, i: Any, sizes: Sequence[Any]) -> tuple[Any, bool]:
        """Indexing a token axis: (the label of what is kept or None when the axis goes, only extra tokens kept).

        One extra token (``x[:, 0]``, the class token) drops the axis; a slice of extra tokens only keeps a
        non-spatial axis; a slice that keeps every spatial token keeps the token axis with fewer extras.
        """
        if i == slice(None):
            return tok, False
        if c.src.pure:  # a global value: every token sees the whole input whichever are kept
            return (tok, False) if isinstance(i, slice) else (None, False)
        n = token_count(tok, sizes)
        lead, trail = tok.lead, tok.trail
        if n is not None and isinstance(i, int) and not isinstance(i, bool):
            k = i + n if i < 0 else i
            if 0 <= k < lead or n - trail <= k < n:  # type: ignore[operator]
                return None, True
            raise c.fail(f"indexing token {i} of {_show_layout([tok])} selects one position; not supported")
        if n is not None and isinstance(i, slice) and all(v is None or isinstance(v, int) for v in (i.start, i.stop)):
            a, b, step = i.indices(n)
            end = n - trail  # type: ignore[operator]  # one past the last spatial token
            if b <= a or (step > 0 and (b <= lead or a >= end)):  # type: ignore[operator]
                return "c", True  # extra tokens only (or none)
            if step == 1 and a <= lead and end <= b:  # type: ignore[operator]
                return Tok(tok.axes, lead - a, trail - (n - b)), False  # type: ignore[operator]
        raise c.fail(
            f"indexing the token axis {_show_layout([tok])} with {i!r} keeps some positions only; not supported"
        )

    def _extra_token(self, c: _Call) -> Value:
        """An extra token (ViT's class token): it reads the input only through the global operations before it."""
        src = c.src
        if src.pure:
            return src
        if not src.glob:
            return CONST  # a constant token that no operation over all tokens has reached
        name = f"{_module_of(c.name)}.class_token" if "." in c.name else "class_token"
        out = self.b.whole(name, replace(src, dims=None, flat=True), c.fname + ", the class token", own=False)
        return replace(out, dims=src.dims, flat=src.flat)

    def _f_elementwise(self, c: _Call) -> Value:
        return c.src if len(c.maps) == 1 else self._merge(c, "add", c.maps)

    def _merge(self, c: _Call, kind: str, maps: list[Value]) -> Value:
        """A merge that keeps its inputs' layout (channels-last maps, tokens) when the local ones agree on it."""
        out = self.b.merge(c.name, kind, maps, c.fname)
        local = [m for m in maps if m.is_map and not m.pure] or [m for m in maps if m.is_map]
        layouts = {(m.dims, m.flat) for m in local}
        if out.is_map and len(layouts) == 1:
            dims, flat = layouts.pop()
            return replace(out, dims=dims, flat=flat)
        return out

    def _f_unary(self, c: _Call) -> Value:
        return c.src


_Handler = Callable[[_Importer, _Call], Any]


def _function_table() -> dict[str, _Handler]:
    I = _Importer  # noqa: E741 - short alias for the table below
    table: dict[str, _Handler] = {}
    groups: list[tuple[Iterable[str], _Handler]] = [
        ((f"conv{d}d" for d in "123"), I._f_conv),
        ((f"conv_transpose{d}d" for d in "123"), I._f_conv_transpose),
        ((f"{k}_pool{d}d" for k in ("max", "avg", "lp") for d in "123"), I._f_pool),
        ((f"max_pool{d}d_with_indices" for d in "123"), I._f_pool),
        ((f"adaptive_{k}_pool{d}d" for k in ("avg", "max") for d in "123"), I._f_adaptive),
        ((f"adaptive_max_pool{d}d_with_indices" for d in "123"), I._f_adaptive),
        (("interpolate", "upsample", "upsample_nearest", "upsample_bilinear"), I._f_interpolate),
        (("pad",), I._f_pad),
        (("cat", "concat", "concatenate"), I._f_cat),
        (("flatten",), I._f_flatten),
        (("view", "reshape", "unflatten"), I._f_reshape),
        (("permute", "transpose", "swapaxes", "swapdims", "movedim", "moveaxis"), I._f_permute),
        (("squeeze", "unsqueeze"), I._f_squeeze),
        (("pixel_shuffle", "pixel_unshuffle"), I._f_pixel_shuffle),
        (("scaled_dot_product_attention",), I._f_attention),
        (("max", "min"), I._f_max_min),
        (("mean", "amax", "amin", "sum", "logsumexp", "nanmean", "norm", "std", "var"), I._f_reduce),
        (("stack",), I._f_stack),
        (("softmax", "log_softmax", "softmin"), I._f_softmax),
        (("matmul", "bmm"), I._f_matmul),
        (("linear", "mm", "addmm"), I._f_linear),
        (("shifted_window_attention", "shifted_window_attention_3d"), I._f_windowed),
        (("patch_merging_pad",), I._f_patch_merging),
        (("chunk", "split", "tensor_split", "unbind"), I._f_split),
        (("getitem",), I._f_getitem),
        ((*sorted(_BINARY), "where", "lerp", "addcmul", "addcdiv"), I._f_elementwise),
        (("expand", "expand_as", "broadcast_to"), I._f_unary),
        (sorted(_UNARY), I._f_unary),
    ]
    for names, handler in groups:  # the first group that names an op wins
        for n in names:
            table.setdefault(n, handler)
    return table


#: Canonical torch function/method name → handler.
FUNCTIONS = _function_table()


@functools.cache
def _module_table() -> tuple[tuple[Any, Callable[[_Importer, _ModCall], Any], bool], ...]:
    """(module types, handler, needs an unflattened map) rows, most specific first."""
    import torch.nn as nn
    from torch.nn.modules import batchnorm, conv, dropout, padding, pooling

    I = _Importer  # noqa: E741 - short alias for the table below
    passive = (
        nn.Identity,
        dropout._DropoutNd,
        batchnorm._NormBase,
        nn.GroupNorm,
        nn.LayerNorm,
        nn.LocalResponseNorm,
        nn.CrossMapLRN2d,
        nn.Softmax2d,
        nn.ChannelShuffle,
    )
    return (
        (conv._ConvTransposeNd, I._m_conv_transpose, True),
        (conv._ConvNd, I._m_conv, True),
        ((pooling._MaxPoolNd, pooling._AvgPoolNd, pooling._LPPoolNd), I._m_pool, True),
        ((pooling._AdaptiveAvgPoolNd, pooling._AdaptiveMaxPoolNd), I._m_adaptive, True),
        (nn.Upsample, I._m_upsample, True),
        (nn.PixelShuffle, I._m_pixel_shuffle, True),
        (nn.PixelUnshuffle, I._m_pixel_unshuffle, True),
        (nn.MultiheadAttention, I._m_attention, False),
        (nn.Flatten, I._m_flatten, False),
        ((nn.Linear, nn.Bilinear, getattr(nn, "LazyLinear", nn.Linear)), I._m_linear, False),
        ((padding._ConstantPadNd, padding._ReflectionPadNd, padding._ReplicationPadNd), I._m_pad, True),
        ((nn.Softmax, nn.LogSoftmax, nn.Softmin), I._m_softmax, False),
        (passive, I._m_pass, False),
    )


def _passive_module(mod: Any) -> bool:
    """Activations (but not attention) and RMSNorm: element-wise, pass-through."""
    import torch.nn as nn

    if type(mod).__module__ == "torch.nn.modules.activation":
        return not isinstance(mod, nn.MultiheadAttention)
    return type(mod).__name__ == "RMSNorm"


def _on_global(run: Callable[[], Any], maps: Sequence[Any]) -> Any:
    """An operation on values that are global on every path (inside a gate, after the pooling): whatever it
    does to the axes, the result stays global -- a refusal there becomes the value handed on."""
    try:
        return run()
    except RfsymError:
        vals = [m for m in maps if isinstance(m, Value) and m.is_map]
        if vals and all(m.pure for m in vals):
            return vals[0]
        raise


def _hint(path: str) -> str:
    """How to declare a module pass-through, for refusals."""
    shown = term_text(path) if path else "<module path>"
    return (
        f" (if it does not change the receptive field, declare it pass-through: passthrough=[{shown!r}], "
        f"on the command line --passthrough {shown!r}; patterns such as '*.attn' work too)"
    )


def _module_of(name: str) -> str:
    return name.rsplit(".", 1)[0] if "." in name else ""


def _raise(msg: str) -> Any:
    raise RfsymError(msg)


class _Split:
    """The pieces of a feature map split along channels (each has the same receptive field)."""

    def __init__(self, src: Value) -> None:
        self.src = src


def flat_args(args: Sequence[Any], kwargs: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    for a in list(args) + list(kwargs.values()):
        if isinstance(a, (list, tuple)):
            out.extend(flat_args(a, {}))
        elif isinstance(a, _Split):
            out.append(a.src)
        else:
            out.append(a)
    return out


def _transpose_layer(
    k: Sequence[int], s: Sequence[int], p: Sequence[int], op: Sequence[int], d: Sequence[int], where: str
) -> Any:
    return make_layer(
        where,
        ConvTranspose,
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
    if scale is None:
        if size is None:
            raise RfsymError(f"{where}: upsampling needs a size or a scale factor")
        scales = size_scales(sizes, _tuple(size, nd, where), where)
    else:
        scales = integer_scales(scale if isinstance(scale, (list, tuple)) else (scale,) * nd, where)
    return make_layer(where, Upsample, scale=_pk(scales), mode=str(mode))


def _label_size(label: Any, sizes: Sequence[Any] | None) -> Any:
    if sizes is None:
        return None
    if isinstance(label, int):
        n = sizes[label]
        return n if isinstance(n, int) else None
    return token_count(label, sizes) if isinstance(label, Tok) else None


def _size_value(v: Any) -> Any:
    if isinstance(v, _Dim):
        return v.size
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _no_map(op: str, args: Sequence[Any]) -> Any:
    """A call none of whose arguments is a feature map: an item of a tuple, size arithmetic, a constant's shape."""
    if op == "getitem" and args and isinstance(args[0], (tuple, list)):
        return args[0][args[1]]
    if op in _SIZE_ARITH and len(args) == 2:
        a, b = (_size_value(x) for x in args)
        if a is not None and b is not None:
            return _SIZE_ARITH[op](a, b)
    if op in _SHAPE_OPS and args and hasattr(args[0], "shape"):
        return _constant_shape(op, args)
    return CONST


#: Operations on a constant (a class token) whose result's shape the importer follows under torch.fx.
_SHAPE_OPS = {"expand", "transpose", "permute", "reshape", "view", "unsqueeze", "flatten", "repeat", "contiguous"}


def _constant_shape(op: str, args: Sequence[Any]) -> Any:
    """The shape of a shape operation on a constant, from the same operation on a tensor without data."""
    import torch

    def num(n: Any) -> Any:
        if isinstance(n, _Dim):
            return 1 if n.label == "b" else n.size  # the import's batch is one
        if isinstance(n, (list, tuple)):
            return type(n)(num(x) for x in n)
        return n

    rest = [num(a) for a in args[1:]]
    if any(n is None for n in rest) or any(isinstance(n, (list, tuple)) and None in n for n in rest):
        return CONST
    try:
        t = torch.empty(tuple(int(n) for n in args[0].shape), device="meta")
        return _Shaped(tuple(int(n) for n in getattr(t, op)(*rest).shape))
    except Exception:  # noqa: BLE001 - a shape that does not follow: an unknown constant
        return CONST
