"""Empirical receptive fields from PyTorch gradients: ``rfsym.verify(model, input_size=None)``.

The check (after Araujo et al., Distill 2019, and Luo et al., NeurIPS 2016):

1. copy the model in float64 and eval mode, with every weight and bias set to a positive constant
   (weights ``1/fan_in``, biases ``0.01``, norm scales 1, running statistics 0/1) so that no
   contribution cancels; during the forward pass (a ``TorchFunctionMode``) max pooling becomes
   average pooling of the same geometry (kernel, stride, padding, dilation, ceil_mode) -- a
   max-pool's gradient would reach one input only --, normalisations over channels or the spatial
   axes (group, instance, layer, RMS norm) become the identity (with equal channels they would
   cancel everything, and their statistics would reach every pixel), and saturating activations
   lose their cap (ReLU6 and Hardtanh become ReLU, Hardsigmoid its linear part, a clamp keeps its
   lower bound), and softmax and ``F.normalize`` keep their values but hold the normaliser constant in the
   gradient (on equal inputs a normalisation's gradient cancels exactly along the direction that carries
   the other elements): every activation stays positive and nothing saturates or underflows;
2. global operations (pooling to one feature, a mean over the spatial axes, attention: ``scaled_dot_product_attention``
   and a product of two tensors computed from the input -- ``q @ k^T``, ``weights @ v``, attention by hand) are
   detached, so that the gradient shows the local receptive field of the other paths -- what rfsym
   reports for them -- and counted; the claim that such a model's units see the whole input is
   checked separately, with them attached.  A model whose every path is global (a pooled head) is
   measured as it is;
3. feed an all-ones input and backpropagate from the first, centre and last output unit and the
   first two units whose boxes lie inside the input (summed over the output channels, since after
   a concatenation each channel sees one branch only);
4. on each axis, read the extent of the non-zero input gradient and compare it with rfsym's box of
   that unit, ``[c - r/2, c + r/2)`` with centre ``c = start + i*j`` (origin 0.5: pixel p spans
   ``[p, p + 1)``), clipped to the input -- padding lies outside the input and has no gradient.

Each quantity is then *checked* (r: a box inside the input equals the gradient's extent; j and
start: the centres of two such units), *only bounded* (every box reaches outside the input: the
gradient lies within it) or *not checkable*; rfsym's output size n is compared with the model's.
Without an input size, ``verify`` picks one per axis that holds two units' fields (the other axes
as small as the model allows), so that everything is checked.
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
from .io._graphbuild import global_paths
from .io.torch import _torch, from_torch, parse_input_size
from .layers import ConvTranspose, Upsample
from .network import Network

__all__ = ["UnitCheck", "VerifyReport", "verify", "verify_onnx"]


@dataclass(frozen=True)
class UnitCheck:
    """One output unit on one axis: rfsym's clipped box and the gradient's non-zero extent."""

    axis: int
    unit: int
    expected: tuple[int, int] | None  # (first, last) input pixel, clipped; None when only padding is seen
    observed: tuple[int, int] | None
    holes: int | None = (
        0  # input pixels inside the observed extent that do not reach the unit (dilation gaps); None: not counted
    )
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


#: What a report says about one quantity on one axis.
CHECKED, BOUNDED, UNCHECKABLE, MISMATCH = "checked", "only bounded", "not checkable", "MISMATCH"
_RANK = {CHECKED: 0, BOUNDED: 1, UNCHECKABLE: 2, MISMATCH: 3}
QUANTITIES = ("n", "r", "j", "start")


@dataclass(frozen=True)
class AxisSummary:
    """rfsym's n, j, r and start on one axis, what the gradients showed, and whether each was checked.

    ``r_observed``: the extent of a unit whose box lies inside the input; ``j_observed`` and
    ``start_observed``: from the centres of two such units.  ``input``: the input of the run
    that measured this axis (``verify`` without a size measures each axis on its own input).
    """

    axis: int
    n: Any
    n_model: int | None
    j: Any
    r: Any
    start: Any
    r_observed: int | None  # extent of an unclipped unit's gradient, when some unit is unclipped
    exact: bool = True
    j_observed: Fraction | None = None
    start_observed: Fraction | None = None
    input: tuple[int, ...] = ()
    bounded: bool = False  # some clipped box was compared (the gradient lay within it)

    @property
    def r_ok(self) -> bool:
        if self.r_observed is None:
            return True
        return self.r_observed == self.r if self.exact else self.r_observed <= self.r

    @property
    def ok(self) -> bool:
        return all(self.status(q) != MISMATCH for q in QUANTITIES)

    def status(self, q: str) -> str:
        """``checked``, ``only bounded``, ``not checkable`` or ``MISMATCH`` for ``n``, ``r``, ``j`` or ``start``."""
        if q == "n":
            if self.n_model is None:
                return UNCHECKABLE
            return CHECKED if self.n == self.n_model else MISMATCH
        if q == "r":
            if self.r_observed is not None:
                return MISMATCH if not self.r_ok else (CHECKED if self.exact else BOUNDED)
            return BOUNDED if self.bounded else UNCHECKABLE
        got, want = (self.j_observed, self.j) if q == "j" else (self.start_observed, self.start)
        if got is None or not self.exact:
            return UNCHECKABLE
        return CHECKED if got == want else MISMATCH


@dataclass(frozen=True)
class VerifyReport:
    """Result of :func:`verify`: per axis and quantity, checked / only bounded / not checkable / MISMATCH.

    ``ok`` is True when nothing disagrees; :meth:`status` says how much was actually checked.
    ``global_check``: for a model with global operations (squeeze-and-excitation gates, attention,
    a pooled head), ``checked`` when the gradient with them attached reaches the whole input as
    rfsym says, a ``MISMATCH: ...`` text otherwise; None for a purely local model.
    ``measure``: what measured the fields, ``"gradient"`` (PyTorch, float64 gradients) or
    ``"forward"`` (onnxruntime forward passes over perturbed inputs); the text names it.
    """

    name: str
    input: tuple[int, ...]
    axes: tuple[AxisSummary, ...]
    units: tuple[UnitCheck, ...]
    output_shape: tuple[int, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)
    global_check: str | None = None
    global_note: str | None = None
    measure: str = "gradient"

    @property
    def ok(self) -> bool:
        glob = self.global_check is None or not self.global_check.startswith(MISMATCH)
        return glob and all(a.ok for a in self.axes) and all(u.ok for u in self.units)

    def status(self, q: str) -> str:
        """The least that was established about quantity ``q`` over the axes."""
        return max((a.status(q) for a in self.axes), key=_RANK.__getitem__)

    @property
    def checked(self) -> bool:
        """Every quantity checked on every axis (and nothing disagrees)."""
        return self.ok and all(self.status(q) == CHECKED for q in QUANTITIES)

    @property
    def mismatches(self) -> list[str]:
        out = []
        what, many = self.measure, _PLURAL.get(self.measure, self.measure)
        for a in self.axes:
            if a.n_model is not None and a.n != a.n_model:
                out.append(f"axis {a.axis}: rfsym n = {A.fmt(a.n)}, model output has {a.n_model}")
            if not a.r_ok:
                out.append(f"axis {a.axis}: rfsym r = {A.fmt(a.r)}, {what} extent {a.r_observed}")
            for q, got in (("j", a.j_observed), ("start", a.start_observed)):
                if a.status(q) == MISMATCH:
                    out.append(f"axis {a.axis}: rfsym {q} = {A.fmt(getattr(a, q))}, {many} give {A.fmt(got)}")
        for u in self.units:
            if not u.ok:
                out.append(f"axis {u.axis}, unit {u.unit}: rfsym box {_box(u.expected)}, {what} {_box(u.observed)}")
        if self.global_check is not None and self.global_check.startswith(MISMATCH):
            out.append(self.global_check[len(MISMATCH) + 2 :])
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "input": list(self.input),
            "measure": self.measure,
            "ok": self.ok,
            "checked": {q: self.status(q) for q in QUANTITIES},
            "output_shape": list(self.output_shape),
            "global": None if self.global_check is None else {"check": self.global_check, "note": self.global_note},
            "axes": [
                {
                    "axis": a.axis,
                    "input": list(a.input),
                    "n": A.to_json(a.n),
                    "n_model": a.n_model,
                    "j": A.to_json(a.j),
                    "r": A.to_json(a.r),
                    "start": A.to_json(a.start),
                    "r_observed": a.r_observed,
                    "j_observed": None if a.j_observed is None else A.to_json(a.j_observed),
                    "start_observed": None if a.start_observed is None else A.to_json(a.start_observed),
                    "status": {q: a.status(q) for q in QUANTITIES},
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

    def headline(self) -> str:
        """``OK: n, r, j and start checked on every axis`` -- or what was only bounded or not checkable."""
        if not self.ok:
            return "MISMATCH"
        groups: dict[str, list[str]] = {}
        for q in QUANTITIES:
            groups.setdefault(self.status(q), []).append(q)
        if list(groups) == [CHECKED]:
            return "OK: n, r, j and start checked on every axis"
        parts = [f"{k} {', '.join(v)}" for k, v in sorted(groups.items(), key=lambda kv: _RANK[kv[0]])]
        unchecked = {q for k, v in groups.items() if k != CHECKED for q in v}
        if unchecked <= {"n", "j"} and self.axes and all(a.n_model is None for a in self.axes):
            why = "n and j need two output units on an axis; the model's output has no spatial axes"
        else:
            why = "verify without an input size picks sizes that hold the field"
        return "OK so far: " + "; ".join(parts) + f" ({why})"

    def to_text(self) -> str:
        runs = [(a.axis, a.input) for a in self.axes if a.input and a.input != self.input]
        if runs or len({a.input for a in self.axes if a.input}) > 1:
            size = ", ".join(f"{_sizes_text(inp)} (axis {ax})" for ax, inp in ((a.axis, a.input) for a in self.axes))
        else:
            size = _sizes_text(self.input)
        lines = [f"verify {self.name} at input {size} (origin 0.5, pixel p spans [p, p+1)): {self.headline()}"]
        for a in self.axes:
            nm = "" if a.n_model is None else f" (model {a.n_model})"
            ro = "" if a.r_observed is None else f" ({self.measure} {a.r_observed})"
            stat = ", ".join(f"{q} {a.status(q)}" for q in QUANTITIES)
            lines.append(
                f"axis {a.axis}: n {A.fmt(a.n)}{nm}, j {A.fmt(a.j)}, r {A.fmt(a.r)}{ro}, start {A.fmt(a.start)} -- {stat}"
            )
            rows = [("unit", "rfsym box", f"{self.measure} box", "")]
            for u in self.units:
                if u.axis == a.axis:
                    if not u.ok:
                        extra = "MISMATCH"
                    elif u.exact or u.observed != u.expected:
                        extra = "ok" if u.exact else "ok (within)"
                    else:
                        extra = "ok (within, equal)"
                    if u.holes:
                        extra += f" ({_HOLES.get(self.measure, _HOLES['gradient']).format(u.holes)}: dilation gaps)"
                    rows.append((str(u.unit), _box(u.expected), _box(u.observed), extra))
            w = [max(len(r[i]) for r in rows) for i in range(3)]
            for r in rows:
                lines.append(f"  {r[0].rjust(w[0])}  {r[1].ljust(w[1])}  {r[2].ljust(w[2])}  {r[3]}".rstrip())
        if self.global_note is not None:
            lines.append(f"{self.global_note} -- {self.global_check}")
        if not all(u.exact for u in self.units):
            lines.append(
                "note: 'within': a box that reaches outside the input, or any box with fractional jumps (transposed "
                f"convolution, upsampling), is a bound; the {self.measure} extent must lie within it (padding can "
                "cut it short)"
            )
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.to_text()


#: How a report names its measurements (plural) and the pixels inside an extent outside the field.
_PLURAL = {"gradient": "gradients", "forward": "forward passes"}
_HOLES = {"gradient": "{} zero pixels inside", "forward": "{} pixels inside do not change it"}


def _sizes_text(sizes: Any) -> str:
    """An input size as the tables print it (docs/notation.md): ``224``, or the tuple ``(224, 320)``."""
    vals = [str(v) for v in sizes]
    return vals[0] if len(vals) == 1 else "(" + ", ".join(vals) + ")"


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
    """A float64 eval-mode copy with positive weights ``1/fan_in``, biases 0.01 and norm statistics 0/1."""
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


def _mode_sets(torch: Any, F: Any) -> dict[str, Any]:
    """The torch functions the measurement mode replaces, by role (built once, when verify runs)."""
    maxes = {}
    for nd in (1, 2, 3):
        for obj in (F, torch, torch._C._nn):
            for nm in (f"max_pool{nd}d", f"max_pool{nd}d_with_indices"):
                if hasattr(obj, nm):
                    maxes[getattr(obj, nm)] = nd
    adaptive = {}
    for nd in (1, 2, 3):
        for nm in (f"adaptive_max_pool{nd}d", f"adaptive_max_pool{nd}d_with_indices", f"adaptive_avg_pool{nd}d"):
            if hasattr(F, nm):
                adaptive[getattr(F, nm)] = nd
    norms = {F.group_norm, F.instance_norm, F.layer_norm, F.local_response_norm}
    if hasattr(F, "rms_norm"):
        norms.add(F.rms_norm)
    return {
        "maxes": maxes,
        "adaptive": adaptive,
        "norms": norms,
        "reductions": {torch.mean, torch.Tensor.mean, torch.sum, torch.Tensor.sum, torch.amax, torch.Tensor.amax},
        "clamps": {torch.clamp, torch.Tensor.clamp, torch.clip, torch.Tensor.clip},
        "attention": {getattr(F, "scaled_dot_product_attention", None)} - {None},
        "products": {torch.matmul, torch.Tensor.matmul, torch.bmm, torch.Tensor.bmm, torch.Tensor.__matmul__},
        "softmaxes": {F.softmax, torch.softmax, torch.Tensor.softmax},
    }


def _mode_class() -> Any:
    """The ``TorchFunctionMode`` of the measurement (see the module docstring); ``globals`` counts what it detached.

    Long because it is one class: its one ``__torch_function__`` dispatches on the sets of
    :func:`_mode_sets` (torch is imported only when verify runs, so the class is built here), and the
    bookkeeping of tensors computed from the input (hand-written attention) is two short methods beside it.
    """
    import torch
    import torch.nn.functional as F
    from torch.overrides import TorchFunctionMode

    sets = _mode_sets(torch, F)
    maxes, adaptive, norms = sets["maxes"], sets["adaptive"], sets["norms"]
    reductions, clamps, attention = sets["reductions"], sets["clamps"], sets["attention"]
    products, softmaxes = sets["products"], sets["softmaxes"]

    class Mode(TorchFunctionMode):
        def __init__(self, detach: bool) -> None:
            super().__init__()
            self.detach = detach
            self.globals = 0
            # Tensors computed from the input (kept alive, so that their ids stay theirs): a product of two of
            # them is attention written by hand (q @ k^T, weights @ v), which mixes every position.
            self.derived: dict[int, Any] = {}

        def _track(self, args: Any, kwargs: Any, out: Any) -> None:
            _track_derived(torch, self.derived, args, kwargs, out)

        def _product(self, func: Any, args: Any, kwargs: Any) -> Any:
            out = func(*args, **kwargs)
            ops = [a for a in args[:2] if isinstance(a, torch.Tensor)]
            if len(ops) == 2 and all(id(a) in self.derived for a in ops):
                out = self._global(out)
                self.derived[id(out)] = out
            else:
                self._track(args, kwargs, out)
            return out

        def _global(self, out: Any) -> Any:
            self.globals += 1
            return out.detach() if self.detach else out

        def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            kwargs = kwargs or {}
            if func in products:
                return self._product(func, args, kwargs)
            if func is F.multi_head_attention_forward:  # nn.MultiheadAttention: the mode sees this call, not SDPA
                out = func(*args, **kwargs)
                return (self._global(out[0]), *out[1:])
            out = self._call(func, args, kwargs)
            self._track(args, kwargs, out)
            return out

        def _call(self, func: Any, args: Any, kwargs: Any) -> Any:
            if func in maxes:
                return _max_as_avg(func, maxes[func], args, kwargs)
            if func in adaptive:
                return _adaptive_as_avg(torch, F, func, adaptive[func], args, kwargs, self._global)
            if func in norms:  # over channels they would cancel every equal-channel contribution
                return args[0] if args else kwargs["input"]
            if func in softmaxes or func is F.normalize:
                return _constant_statistics(func is F.normalize, args, kwargs)
            if func in (F.relu6, F.hardtanh):  # saturate: their gradient would vanish above the cap
                return F.relu(args[0] if args else kwargs["input"])
            if func is F.hardsigmoid:
                return (args[0] if args else kwargs["input"]) / 6 + 0.5
            if func in clamps:  # keep the lower bound, drop the cap
                lo = args[1] if len(args) > 1 else kwargs.get("min")
                return args[0] if lo is None else torch.clamp(args[0], min=lo)
            out = func(*args, **kwargs)
            if func in attention:
                return self._global(out)
            if func in reductions and _reduces_space(torch, args, kwargs):
                out = self._global(out)
            return out

    return Mode


def _track_derived(torch: Any, derived: dict[int, Any], args: Any, kwargs: Any, out: Any) -> None:
    """Record ``out`` as computed from the input when some argument (nested in lists) is."""
    if not derived:
        return
    stack = [*args, *kwargs.values()]
    while stack:
        a = stack.pop()
        if isinstance(a, (list, tuple)):
            stack.extend(a)
        elif isinstance(a, torch.Tensor) and id(a) in derived:
            outs = out if isinstance(out, (list, tuple)) else (out,)
            derived.update((id(o), o) for o in outs if isinstance(o, torch.Tensor))
            return


def _adaptive_as_avg(torch: Any, F: Any, func: Any, nd: int, args: Any, kwargs: Any, glob: Any) -> Any:
    """An adaptive max/avg pooling measured as adaptive average pooling; to a single cell of a map wider
    than one, a global operation (``glob`` detaches or counts it)."""
    names = ["input", "output_size", "return_indices"]
    vals = {**dict(zip(names, args)), **kwargs}
    x, size = vals["input"], vals["output_size"]
    out = getattr(F, f"adaptive_avg_pool{nd}d")(x, size)
    sizes = size if isinstance(size, (list, tuple)) else (size,) * nd
    if all(o == 1 for o in sizes) and any(n > 1 for n in x.shape[2:]):
        out = glob(out)
    if vals.get("return_indices") or "with_indices" in getattr(func, "__name__", ""):
        return out, torch.zeros_like(out, dtype=torch.long)
    return out


def _reduces_space(torch: Any, args: Any, kwargs: Any) -> bool:
    """A mean/sum/amax call that reduces every spatial axis of a map wider than one (a global operation)."""
    if not (args and isinstance(args[0], torch.Tensor) and args[0].dim() >= 3):
        return False
    dims = args[1] if len(args) > 1 else kwargs.get("dim")
    rank = args[0].dim()
    if dims is None or isinstance(dims, str):
        return False
    ds = {int(d) % rank for d in (dims if isinstance(dims, (list, tuple)) else (dims,))}
    return ds >= set(range(2, rank)) and any(n > 1 for n in args[0].shape[2:])


def _constant_statistics(normalize: bool, args: Any, kwargs: Any) -> Any:
    """Softmax / ``F.normalize`` with the normaliser a constant of the gradient (the same values forward).

    On the measurement's equal inputs the gradient of a normalisation cancels exactly along the direction
    that carries the dependence on the other elements (the attention weights of EdgeNeXt's cross-covariance
    attention depend on every token only through it); with the normaliser held constant the gradient
    keeps every element the logits read, and all of it is positive.
    """
    import torch

    x = args[0] if args else kwargs["input"]
    if normalize:
        p = args[1] if len(args) > 1 else kwargs.get("p", 2.0)
        dim = args[2] if len(args) > 2 else kwargs.get("dim", 1)
        eps = args[3] if len(args) > 3 else kwargs.get("eps", 1e-12)
        return x / torch.linalg.vector_norm(x, p, dim, keepdim=True).clamp_min(eps).detach()
    dim = args[1] if len(args) > 1 else kwargs.get("dim")
    if dim is None:
        dim = -1
    e = (x - x.amax(dim, keepdim=True).detach()).exp()
    return e / e.sum(dim, keepdim=True).detach()


def _max_as_avg(func: Any, nd: int, args: Any, kwargs: Any) -> Any:
    import torch

    names = ["input", "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"]
    vals = {**dict(zip(names, args)), **kwargs}
    out = _avg_for_max(
        vals["input"],
        nd,
        vals["kernel_size"],
        vals.get("stride"),
        vals.get("padding", 0),
        vals.get("dilation", 1),
        bool(vals.get("ceil_mode", False)),
    )
    if vals.get("return_indices") or "with_indices" in getattr(func, "__name__", ""):
        return out, torch.zeros_like(out, dtype=torch.long)
    return out


def verify(
    model: Any,
    input_size: Any = None,
    strict: bool = False,
    *,
    network: Any = None,
    passthrough: Iterable[str] = (),
    name: str | None = None,
) -> VerifyReport:
    """Compare rfsym's receptive fields of a PyTorch model with its gradients.

    ``input_size``: None (or ``"auto"``) picks, per axis, an input that holds the field of two output
    units, so that r, j and start are all *checked* (the other axes as small as the model allows);
    a given size is used as it is, and the report says what could only be bounded there.
    ``network``: the rfsym network to check (default: ``from_torch(model, size)``), e.g. a zoo spec.
    ``strict``: raise :class:`rfsym.RfsymError` on a mismatch.

    >>> import torch.nn as nn
    >>> rep = verify(nn.Sequential(nn.Conv1d(1, 1, 3, stride=2, padding=1), nn.MaxPool1d(2)), 20)
    >>> rep.ok, rep.axes[0].r, rep.status("r")
    (True, 5, 'checked')
    """
    if _is_onnx_model(model):
        if network is not None:
            raise RfsymError("verify: network= applies to PyTorch models; an ONNX model is imported itself")
        return verify_onnx(model, input_size, strict, passthrough=passthrough, name=name)
    torch = _torch()
    if not isinstance(model, torch.nn.Module):
        raise RfsymError(f"verify needs a torch.nn.Module or an ONNX model (got {type(model).__name__})")
    if network is not None and not isinstance(network, (Network, Graph)):
        raise RfsymError(f"network must be an rfsym Network or Graph (got {type(network).__name__})")
    name = name or (network.name if network is not None else type(model).__name__.lower())
    passthrough = list(passthrough) if not isinstance(passthrough, str) else [passthrough]
    if input_size is None or input_size == "auto":
        runs = _auto_runs(model, network, passthrough, name)
    else:
        sizes, chans = parse_input_size(model, input_size)
        runs = [(sizes, chans, None)]
    reports = [_verify_at(model, sizes, chans, axis, network, passthrough, name) for sizes, chans, axis in runs]
    report = reports[0] if len(reports) == 1 else _combine(reports, [r[2] for r in runs])
    if strict and not report.ok:
        raise RfsymError(f"{name}: receptive fields disagree with the gradients: " + "; ".join(report.mismatches))
    return report


def _net_at(model: Any, network: Any, sizes: tuple[int, ...], passthrough: list[str], name: str) -> Any:
    return network if network is not None else from_torch(model, sizes, passthrough=passthrough, name=name)


def _auto_runs(model: Any, network: Any, passthrough: list[str], name: str) -> list[tuple[Any, int, int | None]]:
    """Per axis, an input that holds two units' fields on that axis (the others as small as works).

    Starts from 224 per axis (1024 for 1-D models, 64 for 3-D), or the smallest input that works;
    grows the measured axis until the table puts two consecutive units' boxes inside the input.
    A model whose every path ends in a global operation gets one run at a small input (its window
    is the whole map at any size): there the check is that every unit sees the whole input.
    """
    from .errors import EmptyOutputError
    from .io.torch import _smallest_input, _spatial_ndim

    nd = _spatial_ndim(model) or (network.ndim if network is not None else None) or 2
    _, chans = parse_input_size(model, (1,) * nd)
    base = {1: 1024, 2: 224, 3: 64}.get(nd, 32)
    small = base
    try:
        net = _net_at(model, network, (base,) * nd, passthrough, name)
    except EmptyOutputError:
        small = _smallest_input(model, nd, base, name, passthrough) or base
        net = _net_at(model, network, (small,) * nd, passthrough, name)
    else:
        small = _smallest_input_below(model, network, nd, base, passthrough, name)
    info = global_paths(net)
    if info is not None and info.only:  # a head: its window is the whole map at any size; check that at the base size
        return [((base,) * nd if small <= base else (small,) * nd, chans, None)]
    out = net.table(input=[small] * nd if network is not None else None, origin=Fraction(1, 2)).output
    runs: list[tuple[Any, int, int | None]] = []
    for ax in range(nd):
        st = out[ax]
        if not (A.is_num(st.r) and A.is_num(st.j)):
            raise RfsymError(f"{name}: verify needs numbers (axis {ax} has r = {A.fmt(st.r)}); give --input")
        long = max(small, math.ceil(Fraction(st.r) + 2 * Fraction(st.j)) + 2)
        for _ in range(16):
            sizes = tuple(long if a == ax else small for a in range(nd))
            if _two_inside(_net_at(model, network, sizes, passthrough, name), sizes, ax):
                break
            long += max(1, math.ceil(Fraction(st.j)))
        runs.append((sizes if nd > 1 else (long,), chans, ax if nd > 1 else None))
    return runs


def _smallest_input_below(model: Any, network: Any, nd: int, base: int, passthrough: list[str], name: str) -> int:
    """The smallest size (same on every axis, at most ``base``) the model accepts: the short sides of a run."""
    from ._bisect import smallest
    from .errors import EmptyOutputError

    def ok(n: int) -> bool:
        try:
            net = _net_at(model, network, (n,) * nd, passthrough, name)
            net.table(input=[n] * nd) if network is not None else None
        except EmptyOutputError:
            return False
        except RfsymError:
            return False
        return True

    try:
        found = smallest(ok, lo=1, cap=base).value
    except Exception:  # noqa: BLE001 - a hint only: the base size works
        return base
    return int(found) if found is not None and found <= base else base


def _two_inside(net: Any, sizes: tuple[int, ...], ax: int) -> bool:
    st = net.table(input=list(sizes), origin=Fraction(1, 2)).output[ax]
    if not (A.is_num(st.n) and st.n >= 2):
        return False
    u = _first_inside(st, sizes[ax], int(st.n))
    return u + 1 < st.n and _unclipped(st, sizes[ax], u) and _unclipped(st, sizes[ax], u + 1)


def _verify_at(
    model: Any, sizes: tuple[int, ...], chans: int, axis: int | None, network: Any, passthrough: list[str], name: str
) -> VerifyReport:
    """One run: the network at ``sizes`` against the gradients, every axis (``axis`` None) or one axis."""
    check_run_size((1, chans, *sizes), name, "verify")
    net = _net_at(model, network, sizes, passthrough, name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = net.table(input=list(sizes), origin=Fraction(1, 2))
    align_notes = [str(w.message) for w in caught if type(w.message).__name__ == "AlignmentWarning"]
    out_states = table.output
    if len(out_states) != len(sizes):
        raise RfsymError(f"{name}: the network has {len(out_states)} axes but the input has {len(sizes)}")
    layers = list(net.layers) if isinstance(net, Graph) else net.flat_layers()
    exact = not any(
        isinstance(lay, Upsample) or (isinstance(lay, ConvTranspose) and _strides(lay, len(sizes)) != {1})
        for lay in layers
    )
    info = global_paths(net) if network is None else None
    return _run(model, chans, sizes, out_states, exact, name, align_notes, axis, info)


def _strides(lay: Any, nd: int) -> set[Any]:
    return {lay.axis_params(ax).stride for ax in range(nd)}


def _run(
    model: Any,
    chans: int,
    sizes: tuple[int, ...],
    out_states: Any,
    exact: bool,
    name: str,
    align_notes: list[str],
    axis: int | None,
    info: Any,
) -> VerifyReport:
    """Forward once (global operations detached unless every path is global), then a backward pass per unit."""
    detach = info is None or not info.only
    x, y, mode = _forward(model, chans, sizes, name, detach)
    nd = len(sizes)
    spatial = y.dim() == nd + 2
    notes = ["gradients in float64"]
    if align_notes:
        notes.append(
            f"{len(align_notes)} merge(s) with unaligned branches (checked as unions); first: {align_notes[0]}"
        )
    if not spatial:
        notes.append(
            f"the model output has shape {tuple(y.shape)} (no spatial axes): one unit checked, it sees the whole map"
        )
    units: list[UnitCheck] = []
    for idx in _picks(out_states, sizes, y, axis) if spatial else [tuple(0 for _ in range(nd))]:
        for unit in _check_unit(x, y, idx, spatial, out_states, sizes, exact):
            if axis is None or unit.axis == axis:
                units.append(unit)
    measured = range(nd) if axis is None else [axis]
    summaries = tuple(
        _summary(ax, out_states[ax], int(y.shape[2 + ax]) if spatial else None, units, sizes, exact, ax in measured)
        for ax in range(nd)
    )
    gcheck, gnote = _global_check(model, chans, sizes, name, info, mode, (x, y, spatial))
    return VerifyReport(
        name, tuple(sizes), summaries, tuple(units), tuple(int(v) for v in y.shape), tuple(notes), gcheck, gnote
    )


def _summary(
    ax: int, st: Any, n_model: int | None, units: list[UnitCheck], sizes: tuple[int, ...], exact: bool, measured: bool
) -> AxisSummary:
    """r from an unclipped unit's extent; j and start from the centres of two unclipped units."""
    mine = [u for u in units if u.axis == ax]
    inside = sorted(
        {u.unit: u for u in mine if u.observed and A.is_num(st.r) and _unclipped(st, sizes[ax], u.unit)}.values(),
        key=lambda u: u.unit,
    )
    r_obs = j_obs = s_obs = None
    if inside:
        lo, hi = inside[0].observed  # type: ignore[misc]
        r_obs = hi - lo + 1
        c0 = Fraction(lo + hi + 1, 2)
        if len(inside) > 1:
            lo1, hi1 = inside[-1].observed  # type: ignore[misc]
            j_obs = (Fraction(lo1 + hi1 + 1, 2) - c0) / (inside[-1].unit - inside[0].unit)
            s_obs = c0 - inside[0].unit * j_obs
        elif inside[0].unit == 0:
            s_obs = c0
    bounded = any(u.observed is not None and not u.exact for u in mine)
    return AxisSummary(
        ax, st.n, n_model, st.j, st.r, st.start, r_obs, exact, j_obs, s_obs, tuple(sizes) if measured else (), bounded
    )


def _global_check(
    model: Any,
    chans: int,
    sizes: tuple[int, ...],
    name: str,
    info: Any,
    mode: Any,
    run: tuple[Any, Any, bool],
) -> tuple[str | None, str | None]:
    """rfsym's 'global' claim against the gradients: with the global operations attached, a unit sees every pixel
    that the network reads at all (the support of the gradient of every output together: a strided layer drops
    the last pixels of an input whose size it does not divide, for every path).

    A model in which the measurement met global operations that rfsym did not report is a mismatch.
    """
    x, y, spatial = run
    if info is None:
        if mode.globals:
            return (
                f"{MISMATCH}: the model has {mode.globals} global operation(s) (pooling to one feature, a mean over "
                "the spatial axes, attention) on the way to the output that rfsym did not report",
                "global: rfsym reports none",
            )
        return None, None
    if info.only:
        xs, ys = x, y
    else:
        xs, ys, _ = _forward(model, chans, sizes, name, False)
    idx = tuple((int(ys.shape[2 + a]) - 1) // 2 for a in range(len(sizes))) if spatial else ()
    seen = _grad(xs, ys, idx, spatial)[0].abs().sum(dim=0) != 0
    where = "x".join(str(v) for v in sizes)
    if bool(seen.all()):
        return f"{CHECKED} (with them attached, a unit's gradient reaches all {where} input pixels)", info.note()
    torch = _torch()
    (g_all,) = torch.autograd.grad(ys.sum(), xs, retain_graph=True)
    read = g_all[0].abs().sum(dim=0) != 0
    if bool((seen | ~read).all()):
        return (
            f"{CHECKED} (with them attached, a unit's gradient reaches every input pixel the network reads: "
            f"{int(read.sum())} of the {where} input's {read.numel()}; no output reads the others)",
            info.note(),
        )
    return (
        f"{MISMATCH}: rfsym says every unit sees the whole input, but a unit's gradient misses pixels of the {where} input",
        info.note(),
    )


def _forward(model: Any, chans: int, sizes: tuple[int, ...], name: str, detach: bool) -> tuple[Any, Any, Any]:
    """(all-ones input, first output tensor, the measurement mode) of the prepared float64 copy."""
    torch = _torch()
    m = _prepare(model)
    x = torch.ones((1, chans, *sizes), dtype=torch.float64, requires_grad=True)
    mode = _mode_class()(detach)
    mode.derived[id(x)] = x
    try:
        with mode:
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
    return x, y, mode


def _combine(reports: list[VerifyReport], axes: list[int | None]) -> VerifyReport:
    """One report from per-axis runs: each axis from the run that measured it."""
    first = reports[0]
    summaries = tuple(rep.axes[ax if ax is not None else 0] for rep, ax in zip(reports, axes))
    units = tuple(u for rep in reports for u in rep.units)
    glob = next((r.global_check for r in reports if r.global_check and r.global_check.startswith(MISMATCH)), None)
    notes = list(first.notes) + ["each axis measured on its own input (the other axes as small as the model allows)"]
    return VerifyReport(
        first.name,
        first.input,
        summaries,
        units,
        first.output_shape,
        tuple(notes),
        glob or first.global_check,
        first.global_note,
        first.measure,
    )


def _picks(out_states: Any, sizes: tuple[int, ...], y: Any, axis: int | None = None) -> list[tuple[int, ...]]:
    """The first, centre and last output unit, and the first two whose boxes lie inside the input.

    With ``axis`` given only that axis varies (the others at their centre unit).
    """
    nd = len(sizes)
    ns = [int(y.shape[2 + ax]) for ax in range(nd)]
    centre = [(n - 1) // 2 for n in ns]
    picks: list[tuple[int, ...]] = []
    for which in ("first", "centre", "last", "inside", "next"):
        idx = []
        for ax in range(nd):
            if axis is not None and ax != axis:
                idx.append(centre[ax])
                continue
            inside = _first_inside(out_states[ax], sizes[ax], ns[ax])
            if which == "next" and not (
                inside + 1 < ns[ax] and A.is_num(out_states[ax].r) and _unclipped(out_states[ax], sizes[ax], inside + 1)
            ):
                idx.append(inside)  # no second unit inside: nothing more to learn (a repeat, dropped below)
                continue
            pick = {"first": 0, "centre": centre[ax], "last": ns[ax] - 1, "inside": inside, "next": inside + 1}[which]
            idx.append(min(pick, ns[ax] - 1))
        if tuple(idx) not in picks:
            picks.append(tuple(idx))
    return picks


def _unclipped(st: Any, n_input: int, unit: int) -> bool:
    c = Fraction(A.add(st.start, A.mul(unit, st.j)))
    return c - Fraction(st.r) / 2 >= 0 and c + Fraction(st.r) / 2 <= n_input


def _grad(x: Any, y: Any, idx: tuple[int, ...], spatial: bool) -> Any:
    torch = _torch()
    # Sum over the output channels: after a concatenation each channel sees one branch only.
    key = (0, slice(None)) + tuple(idx)
    sel = y[key].sum() if spatial else y.reshape(y.shape[0], -1)[0].sum()
    (g,) = torch.autograd.grad(sel, x, retain_graph=True, allow_unused=True)
    return torch.zeros_like(x) if g is None else g


def _check_unit(
    x: Any, y: Any, idx: tuple[int, ...], spatial: bool, out_states: Any, sizes: tuple[int, ...], exact: bool
) -> list[UnitCheck]:
    """One output unit's gradient extent against rfsym's box, per axis."""
    torch = _torch()
    nd = len(sizes)
    g = _grad(x, y, idx, spatial)
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


# -- ONNX: forward passes through onnxruntime --------------------------------------------------

#: Saturating activations: replaced by a monotone one without the cap.
_ONNX_UNCAP = {"Clip": "Relu", "HardSigmoid": "Identity", "Tanh": "Identity", "Hardtanh": "Relu"}
_ONNX_GLOBAL = {"GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool"}
#: The largest dilation-gap scan of one axis: runs x input pixels per run (``verify_onnx``); a thin run
#: of 501 x 1 pixels scans 501 columns in 251,001, a 224 x 224 classifier's axis would take 11,239,424.
MAX_HOLE_SCAN = 1 << 22


def _is_onnx_model(model: Any) -> bool:
    from pathlib import Path

    if isinstance(model, (str, Path)):
        return str(model).lower().endswith(".onnx")
    if isinstance(model, (bytes, bytearray)):
        return True
    return type(model).__name__ == "ModelProto"


def verify_onnx(
    model: Any,
    input_size: Any = None,
    strict: bool = False,
    *,
    passthrough: Iterable[str] = (),
    name: str | None = None,
) -> VerifyReport:
    """:func:`verify` for an ONNX model (a path, bytes or ``onnx.ModelProto``), with forward passes only.

    The model is prepared as for PyTorch (weights 1, additive constants 0, normalisations the
    identity, caps removed, global operations frozen at their value on the base input); the base
    input is all zeros, so every activation of the base run is finite and every path is positive.
    An output unit then changes exactly when a perturbed input pixel lies in its field: for each
    unit and axis, exponential search and bisection over perturbed slabs ``[0, m)`` and
    ``[m, n)`` (:mod:`rfsym._bisect`) find the first and last such pixel in O(log n) runs of
    onnxruntime; the columns inside that do not change the unit (dilation gaps) are counted by
    :func:`_onnx_holes`.  The report's ``measure`` is ``"forward"``.
    """
    from .io._base import require
    from .io.onnx import _load, from_onnx

    ort = _ort(require)
    proto, stem, folder = _load(model)
    name = name or stem
    nodes = [nd.name or f"{nd.op_type.lower()}{i}" for i, nd in enumerate(proto.graph.node)]
    passthrough = list(passthrough) if not isinstance(passthrough, str) else [passthrough]

    full = _with_external_data(proto, folder)

    def net_at(sizes: tuple[int, ...]) -> Any:
        return from_onnx(full, sizes, name=name, passthrough=passthrough)

    nd = len(full.graph.input[0].type.tensor_type.shape.dim) - 2
    chans = full.graph.input[0].type.tensor_type.shape.dim[1].dim_value or 1
    if input_size is None or input_size == "auto":
        runs = _onnx_auto_runs(net_at, nd, full)
    else:
        from .io._base import input_sizes

        sizes, _ = input_sizes(input_size, nd, name)
        runs = [(sizes, None)]
    reports = [_onnx_run(ort, full, net_at(sz), sz, chans, ax, name, nodes) for sz, ax in runs]
    report = reports[0] if len(reports) == 1 else _combine(reports, [ax for _, ax in runs])
    if strict and not report.ok:
        raise RfsymError(f"{name}: receptive fields disagree with the model: " + "; ".join(report.mismatches))
    return report


def _ort(require: Any) -> Any:
    try:
        return __import__("onnxruntime")
    except ImportError:
        raise RfsymError(
            "verifying ONNX models needs the 'onnxruntime' package, which is not installed: pip install 'rfsym[onnx]'"
        ) from None


def _with_external_data(proto: Any, folder: Any) -> Any:
    """The model with its weights (external data read from the model's folder), as onnxruntime needs them."""
    import onnx

    m = copy.deepcopy(proto)
    if any(t.data_location == onnx.TensorProto.EXTERNAL for t in m.graph.initializer):
        if folder is None:
            raise RfsymError("verify: the model keeps weights in external files; give the model's file path")
        try:
            onnx.external_data_helper.load_external_data_for_model(m, str(folder))
        except Exception as e:  # noqa: BLE001 - a missing or unreadable weight file: one line
            raise RfsymError(
                f"verify: the model's external data cannot be read from {folder} ({one_line(e)})"
            ) from None
    return m


def _onnx_auto_runs(net_at: Any, nd: int, full: Any) -> list[tuple[tuple[int, ...], int | None]]:
    """As :func:`_auto_runs`: per axis an input holding two units' fields, the other axes small."""
    from ._bisect import smallest
    from .errors import EmptyOutputError

    base = {1: 1024, 2: 224, 3: 64}.get(nd, 32)

    def works(n: int) -> bool:
        try:
            net_at((n,) * nd)
        except EmptyOutputError:
            return False
        return True

    found = smallest(works, lo=1, cap=4096).value
    if found is None:
        raise RfsymError("verify: no input size up to 4096 works for this model")
    small = int(found)
    net = net_at((max(small, base),) * nd)
    info = global_paths(net)
    if info is not None and info.only:
        return [((max(small, base),) * nd, None)]
    out = net.table(origin=Fraction(1, 2)).output
    runs: list[tuple[tuple[int, ...], int | None]] = []
    for ax in range(nd):
        st = out[ax]
        long = max(small, math.ceil(Fraction(st.r) + 2 * Fraction(st.j)) + 2)
        sizes: tuple[int, ...] = (long,)
        for _ in range(16):
            sizes = tuple(long if a == ax else small for a in range(nd))
            if _two_inside(net_at(sizes), sizes, ax):
                break
            long += max(1, math.ceil(Fraction(st.j)))
        runs.append((sizes, ax if nd > 1 else None))
    return runs


def _prepared_onnx(full: Any, frozen: dict[str, Any] | None) -> Any:
    """The measurement copy (see :func:`verify_onnx`); ``frozen``: global outputs replaced by these constants."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    from .io.onnx import NORM_OPS

    m = copy.deepcopy(full)
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    role: dict[str, float] = {}
    for node in g.node:
        ins = list(node.input)
        if node.op_type in ("Conv", "ConvTranspose", "Gemm", "MatMul"):
            for i, nm in enumerate(ins):
                role.setdefault(nm, 0.0 if i == 2 else 1.0)
        elif node.op_type == "BatchNormalization":
            for nm, v in zip(ins[1:5], (1.0, 0.0, 0.0, 1.0)):
                role[nm] = v
        elif node.op_type in ("Add", "Sub", "Sum"):
            for nm in ins:
                role.setdefault(nm, 0.0)
        elif node.op_type in ("Mul", "Div"):
            for nm in ins:
                role.setdefault(nm, 1.0)
    for nm, t in inits.items():
        if t.data_type in (onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16) and nm in role:
            arr = numpy_helper.to_array(t)
            t.CopyFrom(numpy_helper.from_array(np.full(arr.shape, role[nm], dtype=arr.dtype), nm))
    new_nodes = []
    for node in g.node:
        if frozen is not None and node.op_type in _ONNX_GLOBAL | {"ReduceMean"} and node.output[0] in frozen:
            new_nodes.append(
                helper.make_node(
                    "Constant", [], [node.output[0]], value=numpy_helper.from_array(frozen[node.output[0]])
                )
            )
        elif node.op_type in NORM_OPS:
            new_nodes.append(helper.make_node("Identity", [node.input[0]], [node.output[0]]))
        elif node.op_type in _ONNX_UNCAP:
            new_nodes.append(helper.make_node(_ONNX_UNCAP[node.op_type], [node.input[0]], [node.output[0]]))
        else:
            new_nodes.append(node)
    del g.node[:]
    g.node.extend(new_nodes)
    del g.value_info[:]
    inp = g.input[0].type.tensor_type.shape
    for k, d in enumerate(inp.dim):
        if k >= 2:
            d.ClearField("dim_value")
            d.dim_param = f"rfsym_s{k - 2}"
    return m


def _onnx_session(ort: Any, m: Any, name: str) -> Any:
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.intra_op_num_threads = 2
    try:
        return ort.InferenceSession(m.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    except Exception as e:  # noqa: BLE001 - onnxruntime's own message, one line
        raise RfsymError(f"{name}: onnxruntime cannot load the model ({one_line(e)})") from None


def _global_outputs(full: Any, pure: bool) -> list[str]:
    """Outputs of global operations: pooling to one feature, ReduceMean over the spatial axes."""
    if pure:
        return []
    out = []
    rank = len(full.graph.input[0].type.tensor_type.shape.dim)
    for node in full.graph.node:
        if node.op_type in _ONNX_GLOBAL:
            out.append(node.output[0])
        elif node.op_type == "ReduceMean":
            axes = next((list(a.ints) for a in node.attribute if a.name == "axes"), None)
            if axes is not None and {a % rank for a in axes} >= set(range(2, rank)):
                out.append(node.output[0])
    return out


def _onnx_run(
    ort: Any, full: Any, net: Any, sizes: tuple[int, ...], chans: int, axis: int | None, name: str, nodes: list[str]
) -> VerifyReport:
    """One run: base forward (global outputs recorded and frozen), then the slab bisections per unit.

    Long because the base run's recorded state (frozen global outputs, session, feeds) is shared by every
    bisection that follows.
    """
    import numpy as np
    from onnx import helper

    check_run_size((1, chans, *sizes), name, "verify")
    info = global_paths(net)
    table = net.table(input=list(sizes), origin=Fraction(1, 2))
    out_states = table.output
    glob = _global_outputs(full, info is not None and info.only)
    probe = copy.deepcopy(full)
    probe.graph.output.extend(helper.make_empty_tensor_value_info(o) for o in glob)
    base_in = {full.graph.input[0].name: np.zeros((1, chans, *sizes), dtype=np.float32)}
    sess0 = _onnx_session(ort, _prepared_onnx(probe, None), name)
    inputs = _feeds(sess0, base_in)
    try:
        outs = sess0.run(None, inputs)
    except Exception as e:  # noqa: BLE001
        raise RfsymError(f"{name}: onnxruntime cannot run the model at input {sizes} ({one_line(e)})") from None
    n_out = len(full.graph.output)
    frozen = {o: v for o, v in zip(glob, outs[n_out:])}
    sess = _onnx_session(ort, _prepared_onnx(full, frozen if frozen else None), name)
    base = sess.run(None, inputs)[0]
    nd = len(sizes)
    spatial = base.ndim == nd + 2
    layers = list(net.layers) if isinstance(net, Graph) else net.flat_layers()
    exact = not any(
        isinstance(lay, Upsample) or (isinstance(lay, ConvTranspose) and _strides(lay, nd) != {1}) for lay in layers
    )

    def changed(cols: Any, ax: int) -> Any:
        """Which output features change when the input columns ``cols`` (a slice or indices) of ``ax`` do."""
        x = np.zeros((1, chans, *sizes), dtype=np.float32)
        sl: list[Any] = [slice(None)] * (nd + 2)
        sl[2 + ax] = cols
        x[tuple(sl)] = 1.0
        y = sess.run(None, {**inputs, full.graph.input[0].name: x})[0]
        return ~(y == base)

    units: list[UnitCheck] = []
    picks = _picks(out_states, sizes, _Shape(base.shape), axis) if spatial else [tuple(0 for _ in range(nd))]
    cache: dict[tuple[int, int, int], Any] = {}

    def hit(lo: int, hi: int, ax: int, idx: tuple[int, ...]) -> bool:
        key = (lo, hi, ax)
        if key not in cache:
            cache[key] = changed(slice(lo, hi), ax)
        c = cache[key]
        return bool(c[(0, slice(None)) + tuple(idx)].any()) if spatial else bool(c.any())

    extents: list[tuple[int, tuple[int, ...], tuple[int, int] | None]] = []
    for idx in picks:
        for ax in range(nd) if axis is None else [axis]:
            first, last = _slab_extent(hit, sizes[ax], ax, idx)
            extents.append((ax, idx, None if first is None or last is None else (first - 1, last)))
    holes, skipped = _onnx_holes(changed, extents, sizes, spatial)
    for (ax, idx, observed), gaps in zip(extents, holes):
        st = out_states[ax]
        exp = expected_box(sizes[ax], st.r, st.j, st.start, idx[ax])
        units.append(UnitCheck(ax, idx[ax], exp, observed, gaps, exact and _unclipped(st, sizes[ax], idx[ax])))
    measured = range(nd) if axis is None else [axis]
    summaries = tuple(
        _summary(ax, out_states[ax], int(base.shape[2 + ax]) if spatial else None, units, sizes, exact, ax in measured)
        for ax in range(nd)
    )
    whole_sess = (_onnx_session(ort, _prepared_onnx(full, None), name) if frozen else sess) if info else None
    gcheck, gnote = _onnx_global_check(info, glob, whole_sess, full, inputs, chans, sizes, spatial)
    notes = ("forward passes in onnxruntime (float32, base input 0: exact change detection)", *skipped)
    return VerifyReport(
        name, tuple(sizes), summaries, tuple(units), tuple(base.shape), notes, gcheck, gnote, measure="forward"
    )


def _onnx_global_check(
    info: Any,
    glob: list[str],
    sess: Any,
    full: Any,
    inputs: dict[str, Any],
    chans: int,
    sizes: tuple[int, ...],
    spatial: bool,
) -> tuple[str | None, str | None]:
    """rfsym's 'global' claim against forward passes with the global operations attached (``sess``): a pixel at
    each end of every axis changes the centre unit.  Global operations rfsym did not report are a mismatch."""
    import numpy as np

    if info is None:
        if glob:
            return (
                f"{MISMATCH}: the model has {len(glob)} global operation(s) that rfsym did not report",
                "global: rfsym reports none",
            )
        return None, None
    nd = len(sizes)
    b0 = sess.run(None, inputs)[0]
    idx = tuple((int(b0.shape[2 + a]) - 1) // 2 for a in range(nd)) if spatial else ()
    full_reach = True
    for ax in range(nd):  # a pixel at each end of each axis changes the unit
        for lo in (0, sizes[ax] - 1):
            x = np.zeros((1, chans, *sizes), dtype=np.float32)
            sl: list[Any] = [slice(None)] * (nd + 2)
            sl[2 + ax] = slice(lo, lo + 1)
            x[tuple(sl)] = 1.0
            y = sess.run(None, {**inputs, full.graph.input[0].name: x})[0]
            ch = ~(y == b0)
            full_reach &= bool(ch[(0, slice(None)) + tuple(idx)].any() if spatial else ch.any())
    where = "x".join(str(v) for v in sizes)
    if full_reach:
        return (
            f"{CHECKED} (with them attached, the first and last pixel of every axis of the {where} input change a unit)",
            info.note(),
        )
    return (
        f"{MISMATCH}: rfsym says every unit sees the whole input, but the border pixels of the {where} input do not "
        "reach it",
        info.note(),
    )


def _onnx_holes(
    changed: Any,
    extents: list[tuple[int, tuple[int, ...], tuple[int, int] | None]],
    sizes: tuple[int, ...],
    spatial: bool,
) -> tuple[list[int | None], list[str]]:
    """Per measured extent, the input columns inside it that do not change the unit (dilation gaps),
    and a note for each axis whose scan would exceed :data:`MAX_HOLE_SCAN` (its counts are None).

    Outside its extent no column changes a unit (the slab searches showed it), so one run that perturbs
    the columns ``c, c + L, c + 2L, ...`` (``L`` the longest extent on the axis) tests, for every unit at
    once, the one column of its extent that is congruent to ``c``: ``L`` runs per axis, not one per column.
    (A forward pass only tells whether some perturbed column reaches the unit, so certifying each column
    of a dense field takes a run of its own: ``L`` is the least.)
    """
    holes: list[int | None] = [0] * len(extents)
    notes = []
    pixels = math.prod(sizes)
    for ax in sorted({e[0] for e in extents}):
        mine = [(i, e) for i, e in enumerate(extents) if e[0] == ax and e[2] is not None]
        if not mine:
            continue
        period = max(hi - lo + 1 for _, (_, _, (lo, hi)) in mine)  # type: ignore[misc]
        if period * pixels > MAX_HOLE_SCAN:
            for i, _ in mine:
                holes[i] = None
            shown = _sizes_text(sizes)
            notes.append(
                f"dilation gaps not counted on axis {ax}: the scan needs {period} runs at input {shown} "
                f"(more than {MAX_HOLE_SCAN:,} pixel-runs); the extents are measured all the same"
            )
            continue
        for c in range(period):
            ch = changed(list(range(c, sizes[ax], period)), ax)
            for i, (_, idx, (lo, hi)) in mine:  # type: ignore[misc]
                col = lo + (c - lo) % period
                if col <= hi and not (ch[(0, slice(None)) + tuple(idx)].any() if spatial else ch.any()):
                    holes[i] = (holes[i] or 0) + 1
    return holes, notes


def _slab_extent(hit: Any, n: int, ax: int, idx: tuple[int, ...]) -> tuple[int | None, int | None]:
    """(1 + first pixel, last pixel) of a unit's field on ``ax``: the smallest m whose slab [0, m) changes
    the unit, the largest m whose slab [m, n) does (the one exponential + bisection search)."""
    from ._bisect import largest, smallest

    def left(m: int) -> bool:
        return bool(hit(0, m, ax, idx))

    def right(m: int) -> bool:
        return bool(hit(m, n, ax, idx))

    first = smallest(left, lo=1, cap=n).value
    return first, (largest(right, lo=0, cap=n - 1).value if first is not None else None)


class _Shape:
    """A stand-in with ``shape`` and ``dim()`` for :func:`_picks` (which reads an output tensor's shape)."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def dim(self) -> int:
        return len(self.shape)


def _feeds(sess: Any, base: dict[str, Any]) -> dict[str, Any]:
    """The base input, plus zeros for any other graph input (a second input of a multi-input model)."""
    import numpy as np

    feeds = dict(base)
    for i in sess.get_inputs():
        if i.name not in feeds:
            shape = [d if isinstance(d, int) else 1 for d in i.shape]
            feeds[i.name] = np.zeros(shape, dtype=np.float32)
    return feeds
