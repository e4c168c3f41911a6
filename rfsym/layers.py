"""Layer types and their transfer functions: the only place layer arithmetic lives.

One axis of a feature map is described by an :class:`AxisState`: ``n`` features,
jump ``j`` (distance between adjacent features, in input pixels), receptive
field ``r``, centre ``start`` of the first feature's receptive field and
effective padding ``P`` (Araujo et al., *Computing Receptive Fields of
Convolutional Neural Networks*, Distill 2019).  Each layer kind maps the state
of its input to the state of its output in :meth:`Layer.transfer`.

Conventions (see ``docs/conventions.md``):

* ``framework`` (default): PyTorch/Caffe/ONNX semantics, the left padding is
  used as declared.
* ``seed``: the seed blog program (Dang Ha The Hien, 2017), whose left padding
  is ``floor(actualP / 2)`` with ``actualP = (n_out - 1) s - n_in + k``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from . import _arith as A
from ._display import LatexPrintable
from .errors import RfsymError
from .values import parse_value

__all__ = [
    "AxisState",
    "Conv",
    "ConvTranspose",
    "Identity",
    "Layer",
    "Pool",
    "Repeat",
    "Upsample",
    "CONVENTIONS",
]

CONVENTIONS = ("framework", "seed")
PAD_MODES = ("same", "same_lower", "valid")
PASS_KINDS = (
    "identity",
    "relu",
    "gelu",
    "sigmoid",
    "tanh",
    "activation",
    "batchnorm",
    "layernorm",
    "groupnorm",
    "norm",
    "dropout",
    "lrn",
)


@dataclass(frozen=True)
class AxisState(LatexPrintable):
    """State of one axis: n features, jump j, receptive field r, centre start, effective padding P."""

    n: Any
    j: Any
    r: Any
    start: Any
    P: Any

    @classmethod
    def input(cls, n: Any, origin: Any = Fraction(1, 2)) -> AxisState:
        return cls(n=n, j=1, r=1, start=A.norm(origin), P=0)

    def as_dict(self) -> dict[str, Any]:
        return {"n": self.n, "j": self.j, "r": self.r, "start": self.start, "effective_padding": self.P}


def _per_axis(value: Any) -> bool:
    return isinstance(value, (list, tuple))


class Layer(LatexPrintable):
    """Base class of all layers. Subclasses are frozen dataclasses."""

    kind: str = "layer"
    name: str | None

    # -- parameters ------------------------------------------------------
    @property
    def ndim(self) -> int | None:
        """Number of axes fixed by per-axis parameters, or None when all are scalars."""
        return None

    def transfer(self, state: AxisState, axis: int = 0, convention: str = "framework") -> AxisState:
        raise NotImplementedError

    def map_values(self, fn: Callable[[Any], Any]) -> Layer:
        """A copy with ``fn`` applied to every parameter value (for substitution)."""
        return self

    def values(self) -> Iterator[Any]:
        """Every parameter value (to collect free symbols)."""
        return iter(())

    def role_values(self) -> Iterator[tuple[str, str, Any]]:
        """(field, role, value) for every scalar parameter, to check symbol domains."""
        return iter(())

    @property
    def free_symbols(self) -> set[Any]:
        out: set[Any] = set()
        for v in self.values():
            out |= getattr(v, "free_symbols", set())
        return out

    def label(self) -> str:
        return self.name or self.kind

    def renamed(self, name: str) -> Layer:
        """A copy with another name."""
        return replace(self, name=name)  # type: ignore[type-var]

    def params(self, axis: int) -> dict[str, Any]:
        """Parameters of one axis, for tables."""
        return {}


def _validate_axes(layer: str, fields: dict[str, Any]) -> int | None:
    nd = None
    for f, v in fields.items():
        if _per_axis(v):
            if nd is None:
                nd = len(v)
            elif len(v) != nd:
                raise RfsymError(f"{layer}: {f} has {len(v)} axes but another parameter has {nd}")
    return nd


def _parse_pad(value: Any, where: str, names: dict | None) -> Any:
    """One axis of padding: an int/expr (symmetric), (left, right), or a mode string."""
    if isinstance(value, str) and value.strip().lower() in PAD_MODES:
        return value.strip().lower()
    if isinstance(value, dict):
        unknown = set(value) - {"left", "right"}
        if unknown or set(value) != {"left", "right"}:
            raise RfsymError(f"{where} as a table needs exactly 'left' and 'right' (got {sorted(value)})")
        value = (value["left"], value["right"])
    if _per_axis(value):
        if len(value) != 2:
            raise RfsymError(f"{where} as a pair must be [left, right] (got {list(value)!r})")
        lft = parse_value(value[0], role="padding", where=f"{where} (left)", names=names)
        rgt = parse_value(value[1], role="padding", where=f"{where} (right)", names=names)
        return (lft, rgt)
    if isinstance(value, str):
        try:
            v = parse_value(value, role="padding", where=where, names=names)
        except RfsymError as e:
            raise RfsymError(
                f"{where} must be a non-negative integer, an expression, [left, right], "
                f"'same', 'same_lower' or 'valid' (got {value!r})"
            ) from e
        return (v, v)
    v = parse_value(value, role="padding", where=where, names=names)
    return (v, v)


def _parse_axes(value: Any, role: str, where: str, names: dict | None) -> Any:
    if _per_axis(value):
        if len(value) == 0:
            raise RfsymError(f"{where} is an empty list")
        return tuple(parse_value(v, role=role, where=f"{where}[{i}]", names=names) for i, v in enumerate(value))
    return parse_value(value, role=role, where=where, names=names)


def _normalise_padding(padding: Any, where: str, names: dict | None, nd: int | None) -> Any:
    """Padding → one axis entry, or a tuple of per-axis entries.

    A list of two scalars is ``[left, right]`` unless another parameter of the
    layer is per-axis with two axes, in which case it is per-axis symmetric.
    A list of lists (or of mode strings) is always per-axis.
    """
    if isinstance(padding, dict):
        return _parse_pad(padding, where, names)
    if _per_axis(padding):
        if (
            any(_per_axis(p) or isinstance(p, dict) for p in padding)
            or (nd is not None and nd != 2)
            or (nd == 2 and len(padding) == 2)
        ):
            if nd is not None and len(padding) != nd:
                raise RfsymError(f"{where} has {len(padding)} axes but another parameter has {nd}")
            return tuple(_parse_pad(p, f"{where}[{i}]", names) for i, p in enumerate(padding))
        return _parse_pad(padding, where, names)
    return _parse_pad(padding, where, names)


def _pick(value: Any, axis: int) -> Any:
    return value[axis] if isinstance(value, tuple) else value


def _is_pad_entry(value: Any) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and not any(isinstance(v, tuple) or isinstance(v, str) for v in value)
    )


def _map(value: Any, fn: Callable[[Any], Any]) -> Any:
    if isinstance(value, tuple):
        return tuple(_map(v, fn) for v in value)
    if isinstance(value, str):
        return value
    return A.norm(fn(value))


def _iter(value: Any) -> Iterator[Any]:
    if isinstance(value, tuple):
        for v in value:
            yield from _iter(v)
    elif not isinstance(value, str):
        yield value


@dataclass(frozen=True, kw_only=True)
class _Windowed(Layer):
    """Shared parameters of sliding-window layers (convolution and pooling)."""

    kernel: Any
    stride: Any = 1
    padding: Any = 0
    dilation: Any = 1
    name: str | None = None
    _names: dict | None = field(default=None, repr=False, compare=False)

    ceil_mode: bool = False

    def __post_init__(self) -> None:
        who = self.name or self.kind
        names = self._names
        raw = {"kernel": self.kernel, "stride": self.stride, "dilation": self.dilation}
        nd = _validate_axes(who, raw)
        if self.kernel is None:
            raise RfsymError(f"{who}: kernel is required")
        object.__setattr__(self, "kernel", _parse_axes(self.kernel, "kernel", f"{who}: kernel", names))
        object.__setattr__(self, "stride", _parse_axes(self.stride, "stride", f"{who}: stride", names))
        object.__setattr__(self, "dilation", _parse_axes(self.dilation, "dilation", f"{who}: dilation", names))
        pad = _normalise_padding(self.padding, f"{who}: padding", names, nd)
        if nd is not None and (isinstance(pad, str) or _is_pad_entry(pad)):
            pad = (pad,) * nd  # N-D layers always store one padding entry per axis
        object.__setattr__(self, "padding", pad)
        if not isinstance(self.ceil_mode, bool):
            raise RfsymError(f"{who}: ceil_mode must be true or false (got {self.ceil_mode!r})")
        object.__setattr__(self, "_names", None)
        self.ndim  # noqa: B018 - validates axis counts

    @property
    def ndim(self) -> int | None:
        fields = {"kernel": self.kernel, "stride": self.stride, "dilation": self.dilation}
        if isinstance(self.padding, tuple) and not _is_pad_entry(self.padding):
            fields["padding"] = self.padding
        return _validate_axes(self.label(), fields)

    def axis_params(self, axis: int) -> tuple[Any, Any, Any, Any]:
        """(kernel, stride, padding entry, dilation) of one axis."""
        pad = self.padding
        if isinstance(pad, tuple) and not _is_pad_entry(pad):
            pad = pad[axis]
        return _pick(self.kernel, axis), _pick(self.stride, axis), pad, _pick(self.dilation, axis)

    def params(self, axis: int) -> dict[str, Any]:
        k, s, p, d = self.axis_params(axis)
        return {"kernel": k, "stride": s, "padding": p, "dilation": d}

    def map_values(self, fn: Callable[[Any], Any]) -> Layer:
        return replace(
            self,
            kernel=_map(self.kernel, fn),
            stride=_map(self.stride, fn),
            padding=_map(self.padding, fn),
            dilation=_map(self.dilation, fn),
        )

    def values(self) -> Iterator[Any]:
        for v in (self.kernel, self.stride, self.padding, self.dilation):
            yield from _iter(v)

    def role_values(self) -> Iterator[tuple[str, str, Any]]:
        for f, role in (("kernel", "kernel"), ("stride", "stride"), ("padding", "padding"), ("dilation", "dilation")):
            for v in _iter(getattr(self, f)):
                yield f, role, v

    def pads(self, n: Any, axis: int = 0) -> tuple[Any, Any]:
        """Declared (left, right) padding of one axis for an input of n features."""
        k, s, pad, d = self.axis_params(axis)
        if pad == "valid":
            return 0, 0
        if pad in ("same", "same_lower"):
            kap = A.add(A.mul(d, A.add(k, -1)), 1)
            # TensorFlow / ONNX SAME: output ceil(n/s), total padding
            # max((ceil(n/s) - 1) s + kappa - n, 0) = max(kappa - s + ((-n) mod s), 0).
            total = A.maximum(A.add(A.add(kap, A.mul(-1, s)), A.mod(A.mul(-1, n), s)), 0)
            half = A.floordiv(total, 2) if pad == "same" else A.ceildiv(total, 2)
            return half, A.add(total, A.mul(-1, half))
        return pad

    def transfer(self, state: AxisState, axis: int = 0, convention: str = "framework") -> AxisState:
        k, s, _, d = self.axis_params(axis)
        n, j = state.n, state.j
        kap1 = A.mul(d, A.add(k, -1))  # kappa - 1
        pl, pr = self.pads(n, axis)
        span = A.add(A.add(n, A.add(pl, pr)), A.mul(-1, A.add(kap1, 1)))  # n + pL + pR - kappa
        if self.ceil_mode:
            c = A.add(A.ceildiv(span, s), 1)
            # PyTorch drops a last window that would start in the right padding.
            n_out = A.where_ge(A.mul(A.add(c, -1), s), A.add(n, pl), A.add(c, -1), c)
        else:
            n_out = A.add(A.floordiv(span, s), 1)
        if convention == "seed":
            actual = A.add(A.add(A.mul(A.add(n_out, -1), s), A.mul(-1, n)), A.add(kap1, 1))
            pl = A.floordiv(actual, 2)
        elif convention != "framework":
            raise RfsymError(f"unknown convention {convention!r} (choose from {', '.join(CONVENTIONS)})")
        return AxisState(
            n=n_out,
            j=A.mul(j, s),
            r=A.add(state.r, A.mul(kap1, j)),
            start=A.add(state.start, A.mul(A.add(A.div(kap1, 2), A.mul(-1, pl)), j)),
            P=A.add(state.P, A.mul(pl, j)),
        )


@dataclass(frozen=True, kw_only=True)
class Conv(_Windowed):
    """Convolution: ``Conv(kernel=3, stride=2, padding=1, dilation=1, name="conv1")``.

    >>> Conv(kernel=3, stride=2, padding=1).transfer(AxisState.input(6))
    AxisState(n=3, j=2, r=3, start=Fraction(1, 2), P=1)
    """

    kind = "conv"

    def __post_init__(self) -> None:
        if self.ceil_mode:
            raise RfsymError(f"{self.name or self.kind}: ceil_mode applies to pooling layers only")
        super().__post_init__()


@dataclass(frozen=True, kw_only=True)
class Pool(_Windowed):
    """Max or average pooling. The stride defaults to the kernel, as in PyTorch and Keras.

    ``ceil_mode`` follows PyTorch: ``ceil`` instead of ``floor`` in the output
    size, and a last window that would start in the right padding is dropped.
    """

    kind = "pool"
    stride: Any = None
    mode: str = "max"

    def __post_init__(self) -> None:
        who = self.name or self.kind
        if self.mode not in ("max", "avg"):
            raise RfsymError(f"{who}: mode must be 'max' or 'avg' (got {self.mode!r})")
        if self.stride is None:
            object.__setattr__(self, "stride", self.kernel)
        super().__post_init__()


@dataclass(frozen=True, kw_only=True)
class Identity(Layer):
    """A pass-through layer (activation, normalisation, dropout): the state is unchanged."""

    name: str | None = None
    op: str = "identity"
    kind = "identity"

    def __post_init__(self) -> None:
        if self.op not in PASS_KINDS:
            raise RfsymError(f"{self.name or 'layer'}: unknown pass-through op {self.op!r}")

    def transfer(self, state: AxisState, axis: int = 0, convention: str = "framework") -> AxisState:
        if convention not in CONVENTIONS:
            raise RfsymError(f"unknown convention {convention!r} (choose from {', '.join(CONVENTIONS)})")
        return state


@dataclass(frozen=True, kw_only=True)
class Repeat(Layer):
    """A block of layers repeated ``times`` times (an int, or a symbol such as ``"L"``).

    ``index`` names a symbol that takes the values 1, 2, …, times in the copies
    (for schedules such as dilation ``b**(l-1)``).
    """

    block: tuple[Layer, ...]
    times: Any
    index: Any = None
    name: str | None = None
    kind = "repeat"

    def __post_init__(self) -> None:
        who = self.name or self.kind
        block = tuple(self.block) if isinstance(self.block, (list, tuple)) else (self.block,)
        if not block or not all(isinstance(b, Layer) for b in block):
            raise RfsymError(f"{who}: block must be a non-empty list of layers")
        object.__setattr__(self, "block", block)
        object.__setattr__(self, "times", parse_value(self.times, role="times", where=f"{who}: times"))
        if isinstance(self.index, str):
            from .values import symbol

            object.__setattr__(self, "index", symbol(self.index, "times"))

    @property
    def ndim(self) -> int | None:
        nds = {b.ndim for b in self.block} - {None}
        if len(nds) > 1:
            raise RfsymError(f"{self.label()}: layers of the block disagree on the number of axes")
        return nds.pop() if nds else None

    def unroll(self) -> list[Layer]:
        """The copies of the block, with the index substituted (times must be a number)."""
        if not isinstance(self.times, int):
            raise RfsymError(
                f"{self.label()}: times is symbolic ({self.times}); a table needs a number "
                "(use rfsym.derive for closed forms in it)"
            )
        out: list[Layer] = []
        for i in range(1, self.times + 1):
            for b in self.block:
                lay = b
                if self.index is not None:
                    idx, val = self.index.name, i

                    def at(v: Any, idx: str = idx, val: int = val) -> Any:
                        # by name: the block may have parsed the index with other assumptions
                        syms = [s for s in getattr(v, "free_symbols", ()) if s.name == idx]
                        return v.xreplace({s: val for s in syms}) if syms else v

                    lay = b.map_values(at)
                if isinstance(lay, Repeat):
                    sub = lay.unroll()
                    out.extend(s.renamed(f"{s.label()}.{i}") for s in sub)
                    continue
                out.append(lay.renamed(f"{lay.label()}.{i}"))
        return out

    def map_values(self, fn: Callable[[Any], Any]) -> Layer:
        return replace(self, block=tuple(b.map_values(fn) for b in self.block), times=A.norm(fn(self.times)))

    def values(self) -> Iterator[Any]:
        yield self.times
        for b in self.block:
            yield from b.values()

    def role_values(self) -> Iterator[tuple[str, str, Any]]:
        yield "times", "times", self.times
        for b in self.block:
            for f, role, v in b.role_values():
                yield f"{b.label()}.{f}", role, v

    @property
    def free_symbols(self) -> set[Any]:
        out = super().free_symbols
        if self.index is not None:
            out = {s for s in out if s.name != self.index.name}
        return out

    def transfer(self, state: AxisState, axis: int = 0, convention: str = "framework") -> AxisState:
        for lay in self.unroll():
            state = lay.transfer(state, axis, convention)
        return state


@dataclass(frozen=True, kw_only=True)
class ConvTranspose(Layer):
    """Transposed convolution, with PyTorch's output size.

    ``ConvTranspose(kernel=4, stride=2, padding=1, output_padding=0, dilation=1)``.
    ``padding`` crops the full output: an int (both sides, as in PyTorch) or
    ``[left, right]``; ``output_padding`` adds features on the right.

    Output features: ``n_out = (n - 1) s - pL - pR + d (k - 1) + output_padding + 1``.
    Output feature ``o`` reads input features ``i = (o + pL - t d) / s`` for the
    taps ``t`` that make it an integer, so the jump becomes ``j / s`` and the
    feature's nominal centre lies at input position ``(o + pL - (kappa - 1)/2) / s``.
    ``r`` is the width of the smallest window around the nominal centre that holds
    every feature's region (see ``docs/graphs.md``):

        j_out     = j / s
        r_out     = r + (kappa - 1) j / s
        start_out = start + (pL - (kappa - 1)/2) j / s
        P_out     = P + (kappa - 1 - pL) j / s

    >>> ConvTranspose(kernel=4, stride=2, padding=1).transfer(AxisState.input(8))
    AxisState(n=16, j=Fraction(1, 2), r=Fraction(5, 2), start=Fraction(1, 4), P=1)
    """

    kernel: Any
    stride: Any = 1
    padding: Any = 0
    output_padding: Any = 0
    dilation: Any = 1
    name: str | None = None
    _names: dict | None = field(default=None, repr=False, compare=False)
    kind = "conv_transpose"

    def __post_init__(self) -> None:
        who = self.name or self.kind
        names = self._names
        if self.kernel is None:
            raise RfsymError(f"{who}: kernel is required")
        raw = {
            "kernel": self.kernel,
            "stride": self.stride,
            "dilation": self.dilation,
            "output_padding": self.output_padding,
        }
        nd = _validate_axes(who, raw)
        object.__setattr__(self, "kernel", _parse_axes(self.kernel, "kernel", f"{who}: kernel", names))
        object.__setattr__(self, "stride", _parse_axes(self.stride, "stride", f"{who}: stride", names))
        object.__setattr__(self, "dilation", _parse_axes(self.dilation, "dilation", f"{who}: dilation", names))
        object.__setattr__(
            self, "output_padding", _parse_axes(self.output_padding, "output_padding", f"{who}: output_padding", names)
        )
        pad = _normalise_padding(self.padding, f"{who}: padding", names, nd)
        if isinstance(pad, str) or (isinstance(pad, tuple) and any(isinstance(p, str) for p in pad)):
            raise RfsymError(
                f"{who}: padding of a transposed convolution must be a number or [left, right] "
                f"(got {self.padding!r}; 'same'/'valid' do not apply)"
            )
        if nd is not None and _is_pad_entry(pad):
            pad = (pad,) * nd
        object.__setattr__(self, "padding", pad)
        object.__setattr__(self, "_names", None)
        self.ndim  # noqa: B018 - validates axis counts
        for ax in range(self.ndim or 1):
            k, s, _, op, d = self.tconv_params(ax)
            if A.is_num(op) and A.is_num(s) and A.is_num(d) and op >= max(s, d):
                raise RfsymError(
                    f"{who}: output_padding must be smaller than stride or dilation "
                    f"(got {A.fmt(op)} with stride {A.fmt(s)} and dilation {A.fmt(d)})"
                )

    @property
    def ndim(self) -> int | None:
        fields = {
            "kernel": self.kernel,
            "stride": self.stride,
            "dilation": self.dilation,
            "output_padding": self.output_padding,
        }
        if isinstance(self.padding, tuple) and not _is_pad_entry(self.padding):
            fields["padding"] = self.padding
        return _validate_axes(self.label(), fields)

    def tconv_params(self, axis: int) -> tuple[Any, Any, tuple[Any, Any], Any, Any]:
        """(kernel, stride, (left, right) padding, output_padding, dilation) of one axis."""
        pad = self.padding
        if isinstance(pad, tuple) and not _is_pad_entry(pad):
            pad = pad[axis]
        return (
            _pick(self.kernel, axis),
            _pick(self.stride, axis),
            pad,
            _pick(self.output_padding, axis),
            _pick(self.dilation, axis),
        )

    def params(self, axis: int) -> dict[str, Any]:
        k, s, p, op, d = self.tconv_params(axis)
        return {"kernel": k, "stride": A.div(1, s), "padding": p, "dilation": d, "output_padding": op}

    def map_values(self, fn: Callable[[Any], Any]) -> Layer:
        return replace(
            self,
            kernel=_map(self.kernel, fn),
            stride=_map(self.stride, fn),
            padding=_map(self.padding, fn),
            output_padding=_map(self.output_padding, fn),
            dilation=_map(self.dilation, fn),
        )

    def values(self) -> Iterator[Any]:
        for v in (self.kernel, self.stride, self.padding, self.output_padding, self.dilation):
            yield from _iter(v)

    def role_values(self) -> Iterator[tuple[str, str, Any]]:
        for f in ("kernel", "stride", "padding", "output_padding", "dilation"):
            for v in _iter(getattr(self, f)):
                yield f, f, v

    def transfer(self, state: AxisState, axis: int = 0, convention: str = "framework") -> AxisState:
        if convention not in CONVENTIONS:
            raise RfsymError(f"unknown convention {convention!r} (choose from {', '.join(CONVENTIONS)})")
        k, s, (pl, pr), op, d = self.tconv_params(axis)
        kap1 = A.mul(d, A.add(k, -1))  # kappa - 1
        jo = A.div(state.j, s)
        n_out = A.add(A.add(A.mul(A.add(state.n, -1), s), A.add(kap1, 1)), A.add(op, A.mul(-1, A.add(pl, pr))))
        return AxisState(
            n=n_out,
            j=jo,
            r=A.add(state.r, A.mul(kap1, jo)),
            start=A.add(state.start, A.mul(A.add(pl, A.mul(-1, A.div(kap1, 2))), jo)),
            P=A.add(state.P, A.mul(A.add(kap1, A.mul(-1, pl)), jo)),
        )


UPSAMPLE_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "trilinear")


@dataclass(frozen=True, kw_only=True)
class Upsample(Layer):
    """Upsampling by an integer ``scale`` (``mode`` nearest or bilinear, ``align_corners=False``).

    Output feature ``o`` sits at input position ``x = (o + 1/2)/s - 1/2`` (PyTorch).
    ``nearest`` reads feature ``floor(o / s)``; ``bilinear`` (also ``linear``,
    ``trilinear``: the same rule on every axis) reads ``floor(x)`` and, when
    ``x`` is not an integer, ``floor(x) + 1`` (the features with a non-zero weight).
    Both have ``n_out = n s``, ``j_out = j / s`` and ``start_out = start - (s - 1) j / (2 s)``
    (the output pixels' geometric centres); ``r`` is the width of the smallest
    window around that centre holding every feature's region:

        nearest:  r_out = r + (s - 1) j / s
        bilinear: r_out = r + (2 s - 1 - (s mod 2)) j / s

    >>> Upsample(scale=2, mode="bilinear").transfer(AxisState.input(8))
    AxisState(n=16, j=Fraction(1, 2), r=Fraction(5, 2), start=Fraction(1, 4), P=1)
    """

    scale: Any
    mode: str = "nearest"
    name: str | None = None
    _names: dict | None = field(default=None, repr=False, compare=False)
    kind = "upsample"

    def __post_init__(self) -> None:
        who = self.name or self.kind
        if self.scale is None:
            raise RfsymError(f"{who}: scale is required")
        mode = self.mode.strip().lower() if isinstance(self.mode, str) else self.mode
        if mode not in UPSAMPLE_MODES:
            raise RfsymError(f"{who}: mode must be one of {', '.join(UPSAMPLE_MODES)} (got {self.mode!r})")
        object.__setattr__(self, "mode", mode)
        object.__setattr__(self, "scale", _parse_axes(self.scale, "scale", f"{who}: scale", self._names))
        object.__setattr__(self, "_names", None)

    @property
    def ndim(self) -> int | None:
        return _validate_axes(self.label(), {"scale": self.scale})

    @property
    def linear(self) -> bool:
        return self.mode in ("linear", "bilinear", "trilinear")

    def params(self, axis: int) -> dict[str, Any]:
        return {"stride": A.div(1, _pick(self.scale, axis)), "scale": _pick(self.scale, axis)}

    def map_values(self, fn: Callable[[Any], Any]) -> Layer:
        return replace(self, scale=_map(self.scale, fn))

    def values(self) -> Iterator[Any]:
        yield from _iter(self.scale)

    def role_values(self) -> Iterator[tuple[str, str, Any]]:
        for v in _iter(self.scale):
            yield "scale", "scale", v

    def transfer(self, state: AxisState, axis: int = 0, convention: str = "framework") -> AxisState:
        if convention not in CONVENTIONS:
            raise RfsymError(f"unknown convention {convention!r} (choose from {', '.join(CONVENTIONS)})")
        s = _pick(self.scale, axis)
        jo = A.div(state.j, s)
        if self.linear:
            grow = A.add(A.add(A.mul(2, s), -1), A.mul(-1, A.mod(s, 2)))  # 2s - 1 - (s mod 2)
        else:
            grow = A.add(s, -1)
        shift = A.div(A.add(s, -1), 2)  # centre of output 0 moves left by (s - 1)/2 output jumps
        return AxisState(
            n=A.mul(state.n, s),
            j=jo,
            r=A.add(state.r, A.mul(grow, jo)),
            start=A.add(state.start, A.mul(-1, A.mul(shift, jo))),
            # P from start = origin + (r - 1)/2 - P: P_out = P + (shift + grow/2) j_out
            P=A.add(state.P, A.mul(A.add(shift, A.div(grow, 2)), jo)),
        )
