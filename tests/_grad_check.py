"""Receptive fields measured from a real model's float64 gradients, independently of rfsym.

Used by the zoo tests (torchvision, timm, Keras through the torch backend) and the importer tests:

* :func:`prepared` copies a model in float64 and eval mode with every weight positive and normalised
  (``1 / fan_in``), biases 0.01 and norm statistics 0/1, so that no contribution cancels;
* :class:`Measure` (a ``TorchFunctionMode``) replaces max pooling by average pooling of the same
  geometry (a max-pool's gradient reaches one input only), normalisations over channels by the
  identity (with equal channels they would cancel everything), saturating activations by
  non-saturating monotone ones (ReLU6 -> ReLU, hard sigmoid -> its linear part; hard swish is
  kept: on positive inputs it grows linearly and never saturates), and -- when asked --
  detaches every *global* operation (adaptive pooling to one feature, a mean over all spatial axes),
  counting them, so that the gradient shows the local receptive field of the other paths;
* :func:`extent` backpropagates from one output unit (summed over channels) and returns the
  first and last input pixel with a non-zero gradient on each axis.

Pixel ``p`` spans ``[p, p + 1)`` (origin 0.5): an extent ``[lo, hi]`` has ``r = hi - lo + 1`` and
centre ``(lo + hi + 1) / 2``.
"""

from __future__ import annotations

import copy
from fractions import Fraction
from typing import Any

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode


def prepared(model: torch.nn.Module) -> torch.nn.Module:
    m = copy.deepcopy(model).double().eval()
    with torch.no_grad():
        for mod in m.modules():
            for name, p in mod.named_parameters(recurse=False):
                if p.dim() >= 2:
                    p.fill_(1.0 / max(1, p[0].numel()))
                elif "bias" in name:
                    p.fill_(0.01)
                else:
                    p.fill_(1.0)
            for name, b in mod.named_buffers(recurse=False):
                if name == "running_mean":
                    b.zero_()
                elif name == "running_var":
                    b.fill_(1.0)
    return m


def _tup(v: Any, nd: int) -> tuple[int, ...]:
    return tuple(int(x) for x in v) if isinstance(v, (list, tuple)) else (int(v),) * nd


def _avg(x: torch.Tensor, nd: int, kernel: Any, stride: Any, padding: Any, dilation: Any, ceil: bool) -> torch.Tensor:
    if any(d != 1 for d in _tup(dilation, nd)):
        raise NotImplementedError("dilated max pooling")
    k = _tup(kernel, nd)
    s = _tup(stride, nd) if stride not in (None, (), []) else k
    return getattr(F, f"avg_pool{nd}d")(x, k, s, _tup(padding, nd), ceil_mode=ceil, count_include_pad=True)


_MAX = {getattr(F, f"max_pool{d}d"): d for d in (1, 2, 3)}
_MAX_IDX = {getattr(F, f"max_pool{d}d_with_indices"): d for d in (1, 2, 3)}
_ADAPTIVE = {getattr(F, f"adaptive_{k}_pool{d}d"): d for k in ("avg", "max") for d in (1, 2, 3)}
_NORMS = {F.layer_norm, F.group_norm, F.instance_norm, F.local_response_norm}
_MEANS = {torch.mean, torch.Tensor.mean, torch.sum, torch.Tensor.sum, torch.amax, torch.Tensor.amax}


class Measure(TorchFunctionMode):
    """See the module docstring; ``globals`` counts the global operations it detached."""

    def __init__(self, detach_global: bool = True) -> None:
        super().__init__()
        self.detach_global = detach_global
        self.globals = 0

    def _global(self, out: torch.Tensor) -> torch.Tensor:
        self.globals += 1
        return out.detach() if self.detach_global else out

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        if func in _MAX or func in _MAX_IDX:
            nd = _MAX.get(func) or _MAX_IDX[func]
            names = ["input", "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"]
            v = {**dict(zip(names, args)), **kwargs}
            out = _avg(
                v["input"], nd, v["kernel_size"], v.get("stride"), v.get("padding", 0), v.get("dilation", 1),
                bool(v.get("ceil_mode", False)),
            )  # fmt: skip
            if func in _MAX_IDX or v.get("return_indices"):
                return out, torch.zeros_like(out, dtype=torch.long)
            return out
        if func in _ADAPTIVE:
            nd = _ADAPTIVE[func]
            x, size = args[0], (args[1] if len(args) > 1 else kwargs["output_size"])
            out = getattr(F, f"adaptive_avg_pool{nd}d")(x, size)
            if all(o == 1 for o in _tup(size, nd)) and any(n > 1 for n in x.shape[2:]):
                out = self._global(out)
            return (out, torch.zeros_like(out, dtype=torch.long)) if kwargs.get("return_indices") else out
        if func in _NORMS:
            return args[0] if args else kwargs["input"]
        if func in (F.relu6, F.hardtanh, torch.clamp, torch.Tensor.clamp, torch.clip, torch.Tensor.clip):
            return F.relu(args[0])
        if func is F.hardsigmoid:
            return args[0] / 6 + 0.5
        out = func(*args, **kwargs)
        if func in _MEANS and isinstance(args[0], torch.Tensor) and args[0].dim() >= 3:
            dims = args[1] if len(args) > 1 else kwargs.get("dim")
            rank = args[0].dim()
            if dims is not None:
                ds = {d % rank for d in (dims if isinstance(dims, (list, tuple)) else (dims,))}
                if ds >= set(range(2, rank)) and any(n > 1 for n in args[0].shape[2:]):
                    out = self._global(out)
        return out


def first_tensor(out: Any) -> torch.Tensor:
    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, dict):
        out = list(out.values())
    return next(first_tensor(o) for o in out if isinstance(o, (torch.Tensor, dict, list, tuple)))


def forward(model: torch.nn.Module, shape: tuple[int, ...], detach_global: bool = True) -> tuple[Any, Any, Measure]:
    """(input, output, the mode) of the prepared model on an all-ones float64 input."""
    m = prepared(model)
    x = torch.ones(shape, dtype=torch.float64, requires_grad=True)
    mode = Measure(detach_global)
    with mode:
        y = first_tensor(m(x))
    return x, y, mode


def extent(x: torch.Tensor, y: torch.Tensor, unit: tuple[int, ...]) -> list[tuple[int, int] | None]:
    """Per input axis, the first and last pixel whose gradient from output ``unit`` is non-zero."""
    (g,) = torch.autograd.grad(y[(0, slice(None)) + tuple(unit)].sum(), x, retain_graph=True)
    mask = g[0].abs().sum(0) != 0
    nd = mask.dim()
    out = []
    for ax in range(nd):
        others = tuple(d for d in range(nd) if d != ax)
        nz = torch.nonzero(mask.any(dim=others) if others else mask).flatten().tolist()
        out.append((nz[0], nz[-1]) if nz else None)
    return out


def field(x: torch.Tensor, y: torch.Tensor, axis: int, units: tuple[int, int]) -> tuple[int, Fraction, Fraction, list]:
    """(r, j, start) on ``axis`` from two output units (the others at their centre), and their extents.

    Both units' regions must lie strictly inside the input (the caller asserts it from the extents).
    """
    nd = y.dim() - 2
    centre = [(int(y.shape[2 + a]) - 1) // 2 for a in range(nd)]
    ext = []
    for u in units:
        idx = list(centre)
        idx[axis] = u
        ext.append(extent(x, y, tuple(idx))[axis])
    (lo0, hi0), (lo1, hi1) = ext
    c0, c1 = Fraction(lo0 + hi0 + 1, 2), Fraction(lo1 + hi1 + 1, 2)
    j = (c1 - c0) / (units[1] - units[0])
    return hi0 - lo0 + 1, j, c0 - units[0] * j, ext
