"""Empirical receptive fields from PyTorch gradients: ``rfsym.verify(model, input_size)``.

The check (after Araujo et al., Distill 2019, and Luo et al., NeurIPS 2016):

1. copy the model, in eval mode, with every weight and bias set
   to a positive constant (weights ``1/fan_in``, biases ``0.01``, norm scales
   1, running statistics 0/1) so that no contribution cancels, and with every
   max-pooling replaced by average pooling of the same geometry (kernel,
   stride, padding, dilation, ceil_mode) -- a max-pool's gradient would reach
   one input only.  Normalisations that pool statistics over the spatial axes
   (group, instance and layer norm) are replaced by the identity: rfsym treats
   them as pass-through, and their statistics would otherwise reach every pixel.
   The copy runs in float32 when the network is shallow enough that no
   gradient share can underflow (sum of log10(kernel) over layers and axes
   below 20), else in float64; a float32 mismatch is re-checked in float64;
2. feed an all-ones input and backpropagate from the first, centre and last
   output unit and the first unit whose box lies inside the input (all axes
   at once; summed over the output channels, since after a concatenation each
   channel sees one branch only);
3. on each axis, read the extent of the non-zero input gradient and compare it
   with rfsym's box of that unit, ``[c - r/2, c + r/2)`` with centre
   ``c = start + i*j`` (origin 0.5: pixel p spans ``[p, p + 1)``), clipped to
   the input -- padding lies outside the input and has no gradient.

Also compared: rfsym's output size n with the model's actual output shape.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from . import _arith as A
from .errors import RfsymError
from .graph import Graph
from .io._base import check_run_size, one_line
from .io.torch import _torch, from_torch, parse_input_size
from .layers import ConvTranspose, Upsample
from .network import Network

__all__ = ["UnitCheck", "VerifyReport", "verify"]


@dataclass(frozen=True)
class UnitCheck:
    """One output unit on one axis: rfsym's clipped box and the gradient's non-zero extent."""

    axis: int
    unit: int
    expected: tuple[int, int] | None  # (first, last) input pixel, clipped; None when only padding is seen
    observed: tuple[int, int] | None
    holes: int = 0  # input pixels inside the observed extent with zero gradient (dilation leaves gaps)
    exact: bool = True  # False: the box is only a bound (clipped box, fractional jumps): the gradient lies within it

    @property
    def ok(self) -> bool:
        if self.exact:
            return self.expected == self.observed
        if self.observed is None:  # the unit reads only padding
            return True
        if self.expected is None:
            return False
        return self.expected[0] <= self.observed[0] and self.observed[1] <= self.expected[1]


@dataclass(frozen=True)
class AxisSummary:
    axis: int
    n: Any
    n_model: int | None
    j: Any
    r: Any
    start: Any
    r_observed: int | None  # extent of an unclipped unit's gradient, when some unit is unclipped
    exact: bool = True

    @property
    def r_ok(self) -> bool:
        if self.r_observed is None:
            return True
        return self.r_observed == self.r if self.exact else self.r_observed <= self.r

    @property
    def ok(self) -> bool:
        return (self.n_model is None or self.n == self.n_model) and self.r_ok


@dataclass(frozen=True)
class VerifyReport:
    """Result of :func:`verify`; ``ok`` is True when every comparison agrees."""

    name: str
    input: tuple[int, ...]
    axes: tuple[AxisSummary, ...]
    units: tuple[UnitCheck, ...]
    output_shape: tuple[int, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return all(a.ok for a in self.axes) and all(u.ok for u in self.units)

    @property
    def mismatches(self) -> list[str]:
        out = []
        for a in self.axes:
            if a.n_model is not None and a.n != a.n_model:
                out.append(f"axis {a.axis}: rfsym n = {A.fmt(a.n)}, model output has {a.n_model}")
            if not a.r_ok:
                out.append(f"axis {a.axis}: rfsym r = {A.fmt(a.r)}, gradient extent {a.r_observed}")
        for u in self.units:
            if not u.ok:
                out.append(f"axis {u.axis}, unit {u.unit}: rfsym box {_box(u.expected)}, gradient {_box(u.observed)}")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "input": list(self.input),
            "ok": self.ok,
            "output_shape": list(self.output_shape),
            "axes": [
                {
                    "axis": a.axis,
                    "n": A.to_json(a.n),
                    "n_model": a.n_model,
                    "j": A.to_json(a.j),
                    "r": A.to_json(a.r),
                    "start": A.to_json(a.start),
                    "r_observed": a.r_observed,
                }
                for a in self.axes
            ],
            "units": [
                {
                    "axis": u.axis,
                    "unit": u.unit,
                    "expected": list(u.expected) if u.expected else None,
                    "observed": list(u.observed) if u.observed else None,
                    "holes": u.holes,
                    "ok": u.ok,
                }
                for u in self.units
            ],
            "notes": list(self.notes),
        }

    def to_text(self) -> str:
        size = "x".join(str(v) for v in self.input)
        lines = [
            f"verify {self.name} at input {size} (origin 0.5, pixel p spans [p, p+1)): {'OK' if self.ok else 'MISMATCH'}"
        ]
        for a in self.axes:
            nm = "" if a.n_model is None else f" (model {a.n_model})"
            ro = "" if a.r_observed is None else f" (gradient {a.r_observed})"
            lines.append(
                f"axis {a.axis}: n {A.fmt(a.n)}{nm}, j {A.fmt(a.j)}, r {A.fmt(a.r)}{ro}, start {A.fmt(a.start)}"
            )
            rows = [("unit", "rfsym box", "gradient box", "")]
            for u in self.units:
                if u.axis == a.axis:
                    if not u.ok:
                        extra = "MISMATCH"
                    elif u.exact or u.observed != u.expected:
                        extra = "ok" if u.exact else "ok (within)"
                    else:
                        extra = "ok (within, equal)"
                    if u.holes:
                        extra += f" ({u.holes} zero pixels inside: dilation gaps)"
                    rows.append((str(u.unit), _box(u.expected), _box(u.observed), extra))
            w = [max(len(r[i]) for r in rows) for i in range(3)]
            for r in rows:
                lines.append(f"  {r[0].rjust(w[0])}  {r[1].ljust(w[1])}  {r[2].ljust(w[2])}  {r[3]}".rstrip())
        if not all(u.exact for u in self.units):
            lines.append(
                "note: 'within': a box that reaches outside the input, or any box with fractional jumps (transposed "
                "convolution, upsampling), is a bound; the gradient must lie within it (padding can cut it short)"
            )
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.to_text()


def _box(b: tuple[int, int] | None) -> str:
    return "none" if b is None else f"[{b[0]}, {b[1]}]"


def expected_box(n_input: int, r: Any, j: Any, start: Any, unit: int) -> tuple[int, int] | None:
    """Input pixels [first, last] of unit ``unit``'s box, clipped to ``0 .. n_input-1`` (origin 0.5)."""
    c = Fraction(A.add(start, A.mul(unit, j)))
    half = Fraction(r) / 2
    lo = math.ceil(c - half)
    hi = math.floor(c + half) - 1
    lo, hi = max(lo, 0), min(hi, n_input - 1)
    return None if lo > hi else (lo, hi)


# ---------------------------------------------------------------------------


def _prepare(model: Any) -> Any:
    import torch

    m = copy.deepcopy(model).double().eval()
    with torch.no_grad():
        for mod in m.modules():
            for pname, p in mod.named_parameters(recurse=False):
                if p.dim() >= 2:
                    p.fill_(1.0 / max(1, p[0].numel()))
                elif "bias" in pname:
                    p.fill_(0.01)
                else:
                    p.fill_(1.0)
            for bname, buf in mod.named_buffers(recurse=False):
                if bname == "running_mean":
                    buf.zero_()
                elif bname == "running_var":
                    buf.fill_(1.0)
    return m


def _avg_for_max(x: Any, nd: int, kernel: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: bool) -> Any:
    """Average pooling with a max-pool's geometry (dilation through a fixed depthwise convolution)."""
    import torch
    import torch.nn.functional as F

    def tup(v: Any) -> tuple[int, ...]:
        return tuple(v) if isinstance(v, (list, tuple)) else (int(v),) * nd

    k = tup(kernel)
    s = tup(stride) if stride not in (None, (), []) else k
    p, d = tup(padding), tup(dilation)
    if all(v == 1 for v in d):
        fn = getattr(F, f"avg_pool{nd}d")
        return fn(x, k, s, p, ceil_mode=ceil_mode, count_include_pad=True)
    extra = []
    for ax in range(nd):
        n = x.shape[2 + ax]
        kap = d[ax] * (k[ax] - 1) + 1
        span = n + 2 * p[ax] - kap
        out = (-(-span // s[ax]) if ceil_mode else span // s[ax]) + 1
        if ceil_mode and (out - 1) * s[ax] >= n + p[ax]:
            out -= 1
        extra.append(max(0, (out - 1) * s[ax] + kap - (n + 2 * p[ax])))
    pads: list[int] = []
    for ax in reversed(range(nd)):
        pads += [p[ax], p[ax] + extra[ax]]
    xp = F.pad(x, pads)
    c = x.shape[1]
    w = torch.full((c, 1, *k), 1.0 / math.prod(k), dtype=x.dtype)
    conv = getattr(F, f"conv{nd}d")
    return conv(xp, w, None, s, 0, d, c)


def _mode_class() -> Any:
    import torch
    import torch.nn.functional as F
    from torch.overrides import TorchFunctionMode

    maxes = {}
    for nd in (1, 2, 3):
        for nm in (f"max_pool{nd}d", f"max_pool{nd}d_with_indices"):
            if hasattr(F, nm):
                maxes[getattr(F, nm)] = nd
        for obj in (torch, torch._C._nn):
            for nm in (f"max_pool{nd}d", f"max_pool{nd}d_with_indices"):
                if hasattr(obj, nm):
                    maxes[getattr(obj, nm)] = nd
    adaptive = {}
    for nd in (1, 2, 3):
        for nm in (f"adaptive_max_pool{nd}d", f"adaptive_max_pool{nd}d_with_indices"):
            if hasattr(F, nm):
                adaptive[getattr(F, nm)] = nd
    norms = {F.group_norm, F.instance_norm, F.layer_norm}

    class Mode(TorchFunctionMode):
        def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            kwargs = kwargs or {}
            if func in maxes:
                names = ["input", "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"]
                vals = dict(zip(names, args))
                vals.update(kwargs)
                out = _avg_for_max(
                    vals["input"],
                    maxes[func],
                    vals["kernel_size"],
                    vals.get("stride"),
                    vals.get("padding", 0),
                    vals.get("dilation", 1),
                    bool(vals.get("ceil_mode", False)),
                )
                if vals.get("return_indices") or "with_indices" in getattr(func, "__name__", ""):
                    return out, torch.zeros_like(out, dtype=torch.long)
                return out
            if func in adaptive:
                names = ["input", "output_size", "return_indices"]
                vals = dict(zip(names, args))
                vals.update(kwargs)
                fn = getattr(F, f"adaptive_avg_pool{adaptive[func]}d")
                out = fn(vals["input"], vals["output_size"])
                if vals.get("return_indices") or "with_indices" in getattr(func, "__name__", ""):
                    return out, torch.zeros_like(out, dtype=torch.long)
                return out
            if func in norms:
                return args[0] if args else kwargs["input"]
            return func(*args, **kwargs)

    return Mode


def verify(
    model: Any,
    input_size: Any,
    strict: bool = False,
    *,
    network: Any = None,
    passthrough: Iterable[str] = (),
    name: str | None = None,
) -> VerifyReport:
    """Compare rfsym's receptive fields of a PyTorch model with its gradients.

    ``network``: the rfsym network to check (default: ``from_torch(model, input_size)``),
    e.g. a zoo spec.  ``strict``: raise :class:`rfsym.RfsymError` on a mismatch.

    >>> import torch.nn as nn
    >>> rep = verify(nn.Sequential(nn.Conv1d(1, 1, 3, stride=2, padding=1), nn.MaxPool1d(2)), 20)
    >>> rep.ok, rep.axes[0].r
    (True, 5)
    """
    torch = _torch()
    if not isinstance(model, torch.nn.Module):
        raise RfsymError(f"verify needs a torch.nn.Module (got {type(model).__name__})")
    if network is not None and not isinstance(network, (Network, Graph)):
        raise RfsymError(f"network must be an rfsym Network or Graph (got {type(network).__name__})")
    sizes, chans = parse_input_size(model, input_size)
    name = name or (network.name if network is not None else type(model).__name__.lower())
    check_run_size((1, chans, *sizes), name, "verify")
    if network is None:
        network = from_torch(model, input_size, passthrough=passthrough, name=name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = network.table(input=list(sizes), origin=Fraction(1, 2))
    align_notes = [str(w.message) for w in caught if type(w.message).__name__ == "AlignmentWarning"]
    out_states = table.output
    if len(out_states) != len(sizes):
        raise RfsymError(f"{name}: the network has {len(out_states)} axes but the input has {len(sizes)}")
    layers = list(network.layers) if isinstance(network, Graph) else network.flat_layers()
    exact = not any(isinstance(lay, (ConvTranspose, Upsample)) for lay in layers)
    dtype = torch.float32 if _magnitude_exponent(layers, len(sizes)) < 20 else torch.float64
    report = _run(model, chans, sizes, out_states, exact, name, align_notes, dtype)
    if not report.ok and dtype == torch.float32:
        # A mismatch in float32 could be an underflowed gradient tail: confirm in float64.
        report = _run(model, chans, sizes, out_states, exact, name, align_notes, torch.float64)
    if strict and not report.ok:
        raise RfsymError(f"{name}: receptive fields disagree with the gradients: " + "; ".join(report.mismatches))
    return report


def _magnitude_exponent(layers: list[Any], nd: int) -> float:
    """log10 of 1 / (smallest gradient share of an extreme pixel): sum of log10(kernel) over layers and axes.

    With weights 1/fan_in every layer averages, so the extreme pixel of a
    receptive field gets about prod(1/k) of the unit's gradient; float32 holds
    that without underflow while this stays well above 1e-38.
    """
    total = 0.0
    for lay in layers:
        for ax in range(nd):
            k = lay.params(ax).get("kernel") if hasattr(lay, "params") else None
            if k is not None and A.is_num(k) and k > 1:
                total += math.log10(k)
    return total


def _run(
    model: Any,
    chans: int,
    sizes: tuple[int, ...],
    out_states: Any,
    exact: bool,
    name: str,
    align_notes: list[str],
    dtype: Any,
) -> VerifyReport:
    x, y = _forward(model, chans, sizes, name, dtype)
    nd = len(sizes)
    spatial = y.dim() == nd + 2
    notes = [f"gradients in {str(dtype).replace('torch.', '')}"]
    if align_notes:
        notes.append(
            f"{len(align_notes)} merge(s) with unaligned branches (checked as unions); first: {align_notes[0]}"
        )
    if not spatial:
        notes.append(
            f"the model output has shape {tuple(y.shape)} (no spatial axes): one unit checked, it sees the whole map"
        )
    units: list[UnitCheck] = []
    r_obs: dict[int, int] = {}
    for idx in _picks(out_states, sizes, y) if spatial else [tuple(0 for _ in range(nd))]:
        for unit in _check_unit(x, y, idx, spatial, out_states, sizes, exact):
            units.append(unit)
            st = out_states[unit.axis]
            if unit.observed and A.is_num(st.r) and _unclipped(st, sizes[unit.axis], idx[unit.axis]):
                r_obs.setdefault(unit.axis, unit.observed[1] - unit.observed[0] + 1)
    summaries = tuple(
        AxisSummary(ax, st.n, int(y.shape[2 + ax]) if spatial else None, st.j, st.r, st.start, r_obs.get(ax), exact)
        for ax, st in enumerate(out_states)
    )
    return VerifyReport(name, tuple(sizes), summaries, tuple(units), tuple(int(v) for v in y.shape), tuple(notes))


def _forward(model: Any, chans: int, sizes: tuple[int, ...], name: str, dtype: Any) -> tuple[Any, Any]:
    """(all-ones input, first output tensor) of the prepared copy, recording the graph for gradients."""
    torch = _torch()
    m = _prepare(model).to(dtype)
    x = torch.ones((1, chans, *sizes), dtype=dtype, requires_grad=True)
    Mode = _mode_class()
    try:
        with Mode():
            out = m(x)
    except RfsymError:
        raise
    except Exception as e:  # noqa: BLE001 - one line, not a deep torch traceback
        raise RfsymError(
            f"{name}: the model failed to run on an input of shape {tuple(x.shape)}: {one_line(e)}"
        ) from None
    y = _first_tensor(out)
    if y is None:
        raise RfsymError(f"{name}: the model returned no tensor")
    return x, y


def _picks(out_states: Any, sizes: tuple[int, ...], y: Any) -> list[tuple[int, ...]]:
    """The first, centre and last output unit, and the first whose box lies inside the input (all axes)."""
    nd = len(sizes)
    ns = [int(y.shape[2 + ax]) for ax in range(nd)]
    picks: list[tuple[int, ...]] = []
    for which in ("first", "centre", "last", "inside"):
        if which == "inside":
            idx = tuple(_first_inside(out_states[ax], sizes[ax], ns[ax]) for ax in range(nd))
        else:
            idx = tuple({"first": 0, "centre": (n - 1) // 2, "last": n - 1}[which] for n in ns)
        if idx not in picks:
            picks.append(idx)
    return picks


def _unclipped(st: Any, n_input: int, unit: int) -> bool:
    c = Fraction(A.add(st.start, A.mul(unit, st.j)))
    return c - Fraction(st.r) / 2 >= 0 and c + Fraction(st.r) / 2 <= n_input


def _check_unit(
    x: Any, y: Any, idx: tuple[int, ...], spatial: bool, out_states: Any, sizes: tuple[int, ...], exact: bool
) -> list[UnitCheck]:
    """One output unit's gradient extent against rfsym's box, per axis."""
    torch = _torch()
    nd = len(sizes)
    # Sum over the output channels: after a concatenation each channel sees one branch only.
    key = (0, slice(None)) + tuple(idx)
    sel = y[key].sum() if spatial else y.reshape(y.shape[0], -1)[0].sum()
    (g,) = torch.autograd.grad(sel, x, retain_graph=True)
    mask = g[0].abs().sum(dim=0) != 0
    out = []
    for ax in range(nd):
        others = tuple(d for d in range(nd) if d != ax)
        line = mask.any(dim=others) if others else mask
        nz = torch.nonzero(line).flatten().tolist()
        observed = (nz[0], nz[-1]) if nz else None
        holes = (nz[-1] - nz[0] + 1 - len(nz)) if nz else 0
        st = out_states[ax]
        exp = expected_box(sizes[ax], st.r, st.j, st.start, idx[ax])
        # A box that reaches outside the input is a bound: padding at some layer (a unit reading
        # only padding, dilation taps that land in it) can cut the region short of the clipped box.
        out.append(UnitCheck(ax, idx[ax], exp, observed, holes, exact and _unclipped(st, sizes[ax], idx[ax])))
    return out


def _first_inside(st: Any, n_input: int, n_out: int) -> int:
    """Index of the first output unit whose box lies inside the input (the centre unit if none does)."""
    if A.is_num(st.j) and A.is_num(st.r) and A.is_num(st.start):
        j, half, start = Fraction(st.j), Fraction(st.r) / 2, Fraction(st.start)
        if j > 0:
            u = max(0, math.ceil((half - start) / j))
            if u < n_out and start + u * j + half <= n_input:
                return u
    return (n_out - 1) // 2


def _first_tensor(out: Any) -> Any:
    import torch

    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, dict):
        out = list(out.values())
    if isinstance(out, (list, tuple)):
        for o in out:
            t = _first_tensor(o)
            if t is not None:
                return t
    return None
