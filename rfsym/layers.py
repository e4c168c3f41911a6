"""Layer types and their transfer functions: the only place layer arithmetic lives.

One axis of a feature map is described by an :class:`AxisState`: ``n`` features,
jump ``j`` (distance between adjacent features, in input pixels), receptive
field ``r``, centre ``start`` of the first feature's receptive field and
effective padding ``P`` (Araujo et al., *Computing Receptive Fields of
Convolutional Neural Networks*, Distill 2019).  Each layer kind maps the state
of its input to the state of its output in :meth:`Layer.transfer`.

Each kind declares its parameters once, as dataclass fields made by
:func:`param` (a number or expression with a role: kernel, stride, padding …)
and :func:`option` (a choice such as a pooling mode).  Validation, substitution
(:meth:`Layer.map_values`), symbol collection (:meth:`Layer.values`,
:meth:`Layer.role_values`), the per-axis view (:meth:`_Windowed.axis_params`)
and spec parsing (``rfsym.io.spec``) are all generated from that declaration.

Conventions (see ``docs/conventions.md``):

* ``framework`` (default): PyTorch/Caffe/ONNX semantics, the left padding is
  used as declared.
* ``seed``: the seed blog program (Dang Ha The Hien, 2017), whose left padding
  is ``floor(actualP / 2)`` with ``actualP = (n_out - 1) s - n_in + k``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any, ClassVar, NamedTuple

from . import _arith as A
from ._display import LatexPrintable
from .errors import RfsymError
from .values import MAX_UNROLL, MAX_VALUE, parse_value, symbol

__all__ = [
    "AxisState",
    "Conv",
    "ConvTranspose",
    "Identity",
    "Layer",
    "Option",
    "Param",
    "Pool",
    "Repeat",
    "Upsample",
    "Window",
    "CONVENTIONS",
    "option",
    "param",
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
_DECLARED: dict[type, tuple[tuple[str, Any, Any], ...]] = {}
UPSAMPLE_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "trilinear")


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

    @classmethod
    def exact(cls, n: Any, j: Any, r: Any, start: Any, P: Any) -> AxisState:
        """A state with every value in its plain form (ints and Fractions rather than sympy numbers)."""
        return cls(A.norm(n), A.norm(j), A.norm(r), A.norm(start), A.norm(P))

    def as_dict(self) -> dict[str, Any]:
        return {"n": self.n, "j": self.j, "r": self.r, "start": self.start, "effective_padding": self.P}


# ---------------------------------------------------------------------------
# declarations


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


@dataclass(frozen=True)
class Param:
    """A declared numeric parameter: its role (bound and symbol assumptions, see ``rfsym.values``).

    ``per_axis``: the value may be a list, one entry per axis.  ``padding``:
    ``"modes"`` accepts a value, ``[left, right]`` or ``'same'``/``'valid'``;
    ``"pairs"`` a value or ``[left, right]``.  ``default_from``: a missing
    value is the value of another parameter (a pooling stride is its kernel).
    """

    role: str
    per_axis: bool = True
    padding: str | None = None
    default_from: str | None = None


@dataclass(frozen=True)
class Option:
    """A declared choice (a mode, a flag); ``in_spec=False`` hides it from spec files."""

    choices: tuple[Any, ...]
    fold_case: bool = False
    in_spec: bool = True


def param(role: str, default: Any = REQUIRED, **how: Any) -> Any:
    """Declare a numeric parameter field (see :class:`Param`)."""
    return field(default=default, metadata={"rfsym": Param(role, **how)})


def option(default: Any, choices: tuple[Any, ...], **how: Any) -> Any:
    """Declare an option field (see :class:`Option`)."""
    return field(default=default, metadata={"rfsym": Option(tuple(choices), **how)})


class Window(NamedTuple):
    """One axis of a windowed layer: kernel, stride, padding entry ((left, right) or a mode), dilation."""

    kernel: Any
    stride: Any
    padding: Any
    dilation: Any
    output_padding: Any = 0


def _per_axis(value: Any) -> bool:
    return isinstance(value, (list, tuple))


def _pick(value: Any, axis: int) -> Any:
    return value[axis] if isinstance(value, tuple) else value


def _is_pad_entry(value: Any) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and not any(isinstance(v, (tuple, str)) for v in value)


def _pick_pad(value: Any, axis: int) -> Any:
    return value[axis] if isinstance(value, tuple) and not _is_pad_entry(value) else value


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


def _validate_axes(layer: str, fields: dict[str, Any]) -> int | None:
    nd = None
    for f, v in fields.items():
        if _per_axis(v):
            if nd is None:
                nd = len(v)
            elif len(v) != nd:
                raise RfsymError(f"{layer}: {f} has {len(v)} axes but another parameter has {nd}")
    return nd


def _check_convention(convention: str) -> None:
    if convention not in CONVENTIONS:
        raise RfsymError(f"unknown convention {convention!r} (choose from {', '.join(CONVENTIONS)})")


# ---------------------------------------------------------------------------
# parsing declared values


def _parse_axes(value: Any, role: str, where: str) -> Any:
    if _per_axis(value):
        if len(value) == 0:
            raise RfsymError(f"{where} is an empty list")
        return tuple(parse_value(v, role=role, where=f"{where}[{i}]") for i, v in enumerate(value))
    return parse_value(value, role=role, where=where)


def _parse_pad(value: Any, where: str, role: str) -> Any:
    """One axis of padding: an int/expr (symmetric), (left, right), or a mode string."""
    if isinstance(value, str) and value.strip().lower() in PAD_MODES:
        return value.strip().lower()
    if isinstance(value, dict):
        if set(value) != {"left", "right"}:
            raise RfsymError(f"{where} as a table needs exactly 'left' and 'right' (got {sorted(map(str, value))})")
        value = (value["left"], value["right"])
    if _per_axis(value):
        if len(value) != 2:
            raise RfsymError(f"{where} as a pair must be [left, right] (got {list(value)!r})")
        lft = parse_value(value[0], role=role, where=f"{where} (left)")
        return (lft, parse_value(value[1], role=role, where=f"{where} (right)"))
    if isinstance(value, str):
        try:
            v = parse_value(value, role=role, where=where)
        except RfsymError as e:
            shown = repr(value) if len(value) <= 60 else repr(value[:57]) + "..."
            raise RfsymError(
                f"{where} must be a non-negative integer, an expression, [left, right], "
                f"'same', 'same_lower' or 'valid' (got {shown}: {str(e).rsplit(': ', 1)[-1]})"
            ) from e
        return (v, v)
    v = parse_value(value, role=role, where=where)
    return (v, v)


def _parse_padding(value: Any, where: str, role: str, nd: int | None) -> Any:
    """Padding → one axis entry, or a tuple of per-axis entries (one per axis when N-D).

    A list of two scalars is ``[left, right]`` unless another parameter of the
    layer is per-axis with two axes, in which case it is per-axis symmetric.
    A list of lists (or of mode strings) is always per-axis.
    """
    if _per_axis(value) and (
        any(_per_axis(p) or isinstance(p, dict) for p in value)
        or (nd is not None and nd != 2)
        or (nd == 2 and len(value) == 2)
    ):
        if nd is not None and len(value) != nd:
            raise RfsymError(f"{where} has {len(value)} axes but another parameter has {nd}")
        return tuple(_parse_pad(p, f"{where}[{i}]", role) for i, p in enumerate(value))
    pad = _parse_pad(value, where, role)
    return (pad,) * nd if nd is not None else pad


def _check_option(who: str, f: str, opt: Option, value: Any) -> Any:
    if opt.fold_case and isinstance(value, str):
        value = value.strip().lower()
    if value not in opt.choices or type(value) not in {type(c) for c in opt.choices}:
        if opt.choices == (False, True):
            raise RfsymError(f"{who}: {f} must be true or false (got {value!r})")
        allowed = " or ".join(repr(c) for c in opt.choices) if len(opt.choices) == 2 else ", ".join(opt.choices)
        raise RfsymError(f"{who}: {f} must be {'' if len(opt.choices) == 2 else 'one of '}{allowed} (got {value!r})")
    return value


# ---------------------------------------------------------------------------
# layers


class Layer(LatexPrintable):
    """Base class of all layers. Subclasses are frozen dataclasses declaring :func:`param` fields."""

    kind: ClassVar[str] = "layer"
    #: True for kinds with learned weights over the kernel (the solver's ``sum_k2`` counts them).
    has_weights: ClassVar[bool] = False
    name: str | None

    @classmethod
    def declared(cls) -> tuple[tuple[str, Param | Option, Any], ...]:
        """(field, declaration, default) of every declared parameter and option, in field order."""
        hit = _DECLARED.get(cls)
        if hit is None:
            fields = dataclasses.fields(cls)  # type: ignore[arg-type]
            hit = tuple((f.name, f.metadata["rfsym"], f.default) for f in fields if "rfsym" in f.metadata)
            _DECLARED[cls] = hit
        return hit

    @classmethod
    def spec_fields(cls) -> set[str]:
        """The fields a spec file may set for this kind (besides name, kind and inputs)."""
        return {f for f, d, _ in cls.declared() if isinstance(d, Param) or d.in_spec}

    def _params(self) -> Iterator[tuple[str, Param]]:
        for f, d, _ in self.declared():
            if isinstance(d, Param):
                yield f, d

    def __post_init__(self) -> None:
        """Parse and validate every declared field (once, at construction)."""
        if self.name is not None and not isinstance(self.name, str):
            raise RfsymError(f"{self.kind}: name must be a string (got {self.name!r})")
        who = self.label()
        raw = {}
        for f, d, _ in self.declared():
            v = getattr(self, f)
            if isinstance(d, Param) and v is None and d.default_from is not None:
                v = getattr(self, d.default_from)
            if v is REQUIRED or (isinstance(d, Param) and v is None):
                raise RfsymError(f"{who}: {f} is required")
            raw[f] = v
        per_axis = {f: raw[f] for f, d in self._params() if d.per_axis and d.padding is None}
        nd = _validate_axes(who, per_axis)
        for f, d, _ in self.declared():
            if isinstance(d, Option):
                v = _check_option(who, f, d, raw[f])
            elif d.padding is not None:
                v = _parse_padding(raw[f], f"{who}: {f}", d.role, nd)
            elif d.per_axis:
                v = _parse_axes(raw[f], d.role, f"{who}: {f}")
            else:
                v = parse_value(raw[f], role=d.role, where=f"{who}: {f}")
            object.__setattr__(self, f, v)
        self.ndim  # noqa: B018 - validates axis counts
        self._check()

    def _check(self) -> None:
        """Checks across parameters (after parsing); nothing by default."""

    @property
    def ndim(self) -> int | None:
        """Number of axes fixed by per-axis parameters, or None when all are scalars."""
        fields = {}
        for f, d in self._params():
            v = getattr(self, f)
            if d.padding is not None:
                if isinstance(v, tuple) and not _is_pad_entry(v):
                    fields[f] = v
            elif d.per_axis:
                fields[f] = v
        return _validate_axes(self.label(), fields)

    def transfer(self, state: AxisState, axis: int = 0, convention: str = "framework") -> AxisState:
        raise NotImplementedError

    def map_values(self, fn: Callable[[Any], Any], *, validate: bool = True) -> Layer:
        """A copy with ``fn`` applied to every parameter value (for substitution).

        ``validate=False`` skips the per-field checks: only for a caller that checks the result
        itself (``Network`` renaming symbols to their unified form, then proving every value).
        """
        changes = {f: _map(getattr(self, f), fn) for f, _ in self._params()}
        if not changes:
            return self
        if validate:
            return replace(self, **changes)  # type: ignore[type-var]
        return self._with(changes)

    def _with(self, changes: dict[str, Any]) -> Layer:
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        for f, v in changes.items():
            object.__setattr__(copy, f, v)
        return copy

    def values(self) -> Iterator[Any]:
        """Every parameter value (to collect free symbols)."""
        for f, _ in self._params():
            yield from _iter(getattr(self, f))

    def role_values(self) -> Iterator[tuple[str, str, Any]]:
        """(field, role, value) for every scalar parameter, to check symbol domains."""
        for f, d in self._params():
            for v in _iter(getattr(self, f)):
                yield f, d.role, v

    @property
    def free_symbols(self) -> set[Any]:
        out: set[Any] = set()
        for v in self.values():
            out |= getattr(v, "free_symbols", set())
        return out

    def unrolled_size(self) -> int:
        """Number of layers this one stands for once every numeric repeat is unrolled."""
        return 1

    def label(self) -> str:
        return self.name or self.kind

    def renamed(self, name: str) -> Layer:
        """A copy with another name (the parameters, already validated, are shared)."""
        if not isinstance(name, str):
            raise RfsymError(f"{self.label()}: name must be a string (got {name!r})")
        return self._with({"name": name})

    def params(self, axis: int) -> dict[str, Any]:
        """Parameters of one axis, for tables."""
        return {}


@dataclass(frozen=True, kw_only=True)
class _Windowed(Layer):
    """Shared parameters of sliding-window layers (convolution, pooling, transposed convolution)."""

    kernel: Any = param("kernel")
    stride: Any = param("stride", 1)
    padding: Any = param("padding", 0, padding="modes")
    dilation: Any = param("dilation", 1)
    name: str | None = None

    def _check(self) -> None:
        for ax in range(self.ndim or 1):
            k, _, _, d, _ = self.axis_params(ax)
            if A.is_num(k) and A.is_num(d) and d * (k - 1) + 1 > MAX_VALUE:
                raise RfsymError(
                    f"{self.label()}: the effective kernel dilation * (kernel - 1) + 1 = {d * (k - 1) + 1} "
                    f"(kernel {k}, dilation {d}) is above the limit of 2**64"
                )

    def axis_params(self, axis: int) -> Window:
        """The parameters of one axis (``output_padding`` is 0 except for transposed convolutions)."""
        return Window(
            _pick(self.kernel, axis),
            _pick(self.stride, axis),
            _pick_pad(self.padding, axis),
            _pick(self.dilation, axis),
            _pick(getattr(self, "output_padding", 0), axis),
        )

    def params(self, axis: int) -> dict[str, Any]:
        k, s, p, d, _ = self.axis_params(axis)
        return {"kernel": k, "stride": s, "padding": p, "dilation": d}

    def pads(self, n: Any, axis: int = 0) -> tuple[Any, Any]:
        """Declared (left, right) padding of one axis for an input of n features."""
        k, s, pad, d, _ = self.axis_params(axis)
        if pad == "valid":
            return 0, 0
        if pad in ("same", "same_lower"):
            # TensorFlow / ONNX SAME: output ceil(n/s), total padding
            # max((ceil(n/s) - 1) s + kappa - n, 0) = max(kappa - s + ((-n) mod s), 0).
            kappa = d * (k - 1) + 1
            total = A.maximum(kappa - s + (-n) % s, 0)
            half = A.floordiv(total, 2) if pad == "same" else A.ceildiv(total, 2)
            return half, total - half
        return pad  # type: ignore[no-any-return]

    def transfer(self, state: AxisState, axis: int = 0, convention: str = "framework") -> AxisState:
        """``n' = floor((n + pL + pR - kappa) / s) + 1``, ``j' = j s``, ``r' = r + (kappa - 1) j``,
        ``start' = start + ((kappa - 1)/2 - pL) j``, ``P' = P + pL j`` with ``kappa = d (k - 1) + 1``."""
        _check_convention(convention)
        k, s, _, d, _ = self.axis_params(axis)
        n, j = state.n, state.j
        kappa = d * (k - 1) + 1
        pl, pr = self.pads(n, axis)
        span = n + pl + pr - kappa
        if getattr(self, "ceil_mode", False):
            c = A.ceildiv(span, s) + 1
            # PyTorch drops a last window that would start in the right padding.
            n_out = A.where_ge((c - 1) * s, n + pl, c - 1, c)
        else:
            n_out = A.floordiv(span, s) + 1
        if convention == "seed":
            pl = A.floordiv((n_out - 1) * s - n + kappa, 2)
        return AxisState.exact(
            n=n_out,
            j=j * s,
            r=state.r + (kappa - 1) * j,
            start=state.start + (A.div(kappa - 1, 2) - pl) * j,
            P=state.P + pl * j,
        )


@dataclass(frozen=True, kw_only=True)
class Conv(_Windowed):
    """Convolution: ``Conv(kernel=3, stride=2, padding=1, dilation=1, name="conv1")``.

    >>> Conv(kernel=3, stride=2, padding=1).transfer(AxisState.input(6))
    AxisState(n=3, j=2, r=3, start=Fraction(1, 2), P=1)
    """

    kind = "conv"
    has_weights = True
    ceil_mode: bool = option(False, (False, True), in_spec=False)

    def _check(self) -> None:
        if self.ceil_mode:
            raise RfsymError(f"{self.label()}: ceil_mode applies to pooling layers only")
        super()._check()


@dataclass(frozen=True, kw_only=True)
class Pool(_Windowed):
    """Max or average pooling. The stride defaults to the kernel, as in PyTorch and Keras.

    ``ceil_mode`` follows PyTorch: ``ceil`` instead of ``floor`` in the output
    size, and a last window that would start in the right padding is dropped.
    """

    kind = "pool"
    stride: Any = param("stride", None, default_from="kernel")
    ceil_mode: bool = option(False, (False, True))
    mode: str = option("max", ("max", "avg"))


@dataclass(frozen=True, kw_only=True)
class ConvTranspose(_Windowed):
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

    kind = "conv_transpose"
    has_weights = True
    padding: Any = param("padding", 0, padding="pairs")
    output_padding: Any = param("output_padding", 0)

    def _check(self) -> None:
        super()._check()
        for ax in range(self.ndim or 1):
            _, s, pad, d, op = self.axis_params(ax)
            if isinstance(pad, str):
                raise RfsymError(
                    f"{self.label()}: padding of a transposed convolution must be a number or [left, right] "
                    f"(got {pad!r}; 'same'/'valid' do not apply)"
                )
            if A.is_num(op) and A.is_num(s) and A.is_num(d) and op >= max(s, d):
                raise RfsymError(
                    f"{self.label()}: output_padding must be smaller than stride or dilation "
                    f"(got {A.fmt(op)} with stride {A.fmt(s)} and dilation {A.fmt(d)})"
                )

    def params(self, axis: int) -> dict[str, Any]:
        k, s, p, d, op = self.axis_params(axis)
        return {"kernel": k, "stride": A.div(1, s), "padding": p, "dilation": d, "output_padding": op}

    def transfer(self, state: AxisState, axis: int = 0, convention: str = "framework") -> AxisState:
        _check_convention(convention)
        k, s, (pl, pr), d, op = self.axis_params(axis)
        kappa = d * (k - 1) + 1
        jo = A.div(state.j, s)
        return AxisState.exact(
            n=(state.n - 1) * s - pl - pr + kappa + op,
            j=jo,
            r=state.r + (kappa - 1) * jo,
            start=state.start + (pl - A.div(kappa - 1, 2)) * jo,
            P=state.P + (kappa - 1 - pl) * jo,
        )


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

    kind = "upsample"
    scale: Any = param("scale")
    mode: str = option("nearest", UPSAMPLE_MODES, fold_case=True)
    name: str | None = None

    @property
    def linear(self) -> bool:
        return self.mode in ("linear", "bilinear", "trilinear")

    def params(self, axis: int) -> dict[str, Any]:
        return {"stride": A.div(1, _pick(self.scale, axis)), "scale": _pick(self.scale, axis)}

    def transfer(self, state: AxisState, axis: int = 0, convention: str = "framework") -> AxisState:
        _check_convention(convention)
        s = _pick(self.scale, axis)
        jo = A.div(state.j, s)
        grow = 2 * s - 1 - s % 2 if self.linear else s - 1
        shift = A.div(s - 1, 2)  # centre of output 0 moves left by (s - 1)/2 output jumps
        return AxisState.exact(
            n=state.n * s,
            j=jo,
            r=state.r + grow * jo,
            start=state.start - shift * jo,
            # P from start = origin + (r - 1)/2 - P: P_out = P + (shift + grow/2) j_out
            P=state.P + (shift + A.div(grow, 2)) * jo,
        )


@dataclass(frozen=True, kw_only=True)
class Identity(Layer):
    """A pass-through layer (activation, normalisation, dropout): the state is unchanged."""

    name: str | None = None
    op: str = option("identity", PASS_KINDS, in_spec=False)
    kind = "identity"

    def transfer(self, state: AxisState, axis: int = 0, convention: str = "framework") -> AxisState:
        _check_convention(convention)
        return state


@dataclass(frozen=True, kw_only=True)
class Repeat(Layer):
    """A block of layers repeated ``times`` times (an int, or a symbol such as ``"L"``).

    ``index`` names a symbol that takes the values 1, 2, …, times in the copies
    (for schedules such as dilation ``b**(l-1)``).
    """

    block: tuple[Layer, ...]
    times: Any = param("times", per_axis=False)
    index: Any = None
    name: str | None = None
    kind = "repeat"

    def __post_init__(self) -> None:
        who = self.name if isinstance(self.name, str) and self.name else self.kind
        block = tuple(self.block) if isinstance(self.block, (list, tuple)) else (self.block,)
        if not block or not all(isinstance(b, Layer) for b in block):
            raise RfsymError(f"{who}: block must be a non-empty list of layers")
        object.__setattr__(self, "block", block)
        if isinstance(self.index, str):
            if not self.index.isidentifier() or self.index.startswith("_"):
                raise RfsymError(f"{who}: index must be a symbol name (got {self.index!r})")
            object.__setattr__(self, "index", symbol(self.index, "times"))
        elif self.index is not None and not getattr(self.index, "is_Symbol", False):
            raise RfsymError(f"{who}: index must be a symbol name (got {self.index!r})")
        super().__post_init__()

    @property
    def ndim(self) -> int | None:
        nds = {b.ndim for b in self.block} - {None}
        if len(nds) > 1:
            raise RfsymError(f"{self.label()}: layers of the block disagree on the number of axes")
        return nds.pop() if nds else None

    def unrolled_size(self) -> int:
        if not isinstance(self.times, int):
            return 1
        return self.times * sum(b.unrolled_size() for b in self.block)

    def unroll(self) -> list[Layer]:
        """The copies of the block, with the index substituted (times must be a number)."""
        if not isinstance(self.times, int):
            raise RfsymError(
                f"{self.label()}: times is symbolic ({self.times}); a table needs a number "
                "(use rfsym.derive for closed forms in it)"
            )
        size = self.unrolled_size()
        if size > MAX_UNROLL:
            raise RfsymError(
                f"{self.label()}: unrolling times = {self.times} gives {size} layers, above the limit of "
                f"{MAX_UNROLL} (see docs/spec.md, Limits)"
            )
        out: list[Layer] = []
        for i in range(1, self.times + 1):
            for b in self.block:
                lay = b if self.index is None else b.map_values(_at_index(self.index.name, i))
                if isinstance(lay, Repeat):
                    out.extend(s.renamed(f"{s.label()}.{i}") for s in lay.unroll())
                else:
                    out.append(lay.renamed(f"{lay.label()}.{i}"))
        return out

    def map_values(self, fn: Callable[[Any], Any], *, validate: bool = True) -> Layer:
        block = tuple(b.map_values(fn, validate=validate) for b in self.block)
        if validate:
            return replace(self, block=block, times=A.norm(fn(self.times)))
        return self._with({"block": block, "times": A.norm(fn(self.times))})

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


def _at_index(name: str, value: int) -> Callable[[Any], Any]:
    """Substitute ``value`` for the symbol called ``name`` (by name: the block may have parsed
    the index with other assumptions)."""

    def at(v: Any) -> Any:
        syms = [s for s in getattr(v, "free_symbols", ()) if s.name == name]
        return v.xreplace({s: value for s in syms}) if syms else v

    return at
