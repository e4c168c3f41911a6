"""The empirical effective receptive field of a PyTorch model (Luo et al., NeurIPS 2016).

``rfsym.erf.erf(model, input, samples=16)`` feeds ``samples`` inputs (standard
normal noise from a seeded generator, or the caller's tensors), back-propagates
one output unit (default: the centre of the first output tensor, summed over
its channels) and averages the gradient magnitude ``|d unit / d x|`` (summed
over the input channels) over the samples.  The model runs in eval mode on a
copy, in float64 by default.

The high-contribution area ratios are those RepLKNet reports (Ding et al.,
CVPR 2022, ``erf/analyze_erf.py``): the scores are first compressed as
``log10(score + 1)`` and scaled to a maximum of 1, then, for a threshold t,
the smallest centred square (side 2i + 1, i = 1, 2, …, below half the input)
whose sum exceeds t of the total gives ``side² / (H W)``; ``log=False`` uses the
raw scores.  RepLKNet also applies ReLU to the unit and to the gradient
(``relu=True`` here); the default takes magnitudes.

With uniform weights and linear activations the scores equal the exact
connection counts of :mod:`rfsym.coverage` (``tests/test_erf.py``).
torch is imported when a function here runs.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import RfsymError
from .io._base import check_run_size, one_line
from .io.torch import _torch, parse_input_size
from .verification import _first_tensor

__all__ = ["ErfResult", "area_ratio", "erf", "image_inputs", "tensor_inputs"]

THRESHOLDS = (0.2, 0.3, 0.5, 0.99)
#: Most samples one call averages.
MAX_SAMPLES = 100_000
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
#: ImageNet statistics (torchvision, RepLKNet's analysis script).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def image_inputs(folder: Any, size: Sequence[int], channels: int = 3, limit: int | None = None) -> list[Any]:
    """The images of a folder (sorted by name, at most ``limit``) as input tensors (C, H, W): the shorter side
    resized (bicubic) to cover (H, W), centre-cropped, scaled to [0, 1] and, for 3 channels, normalised with
    ImageNet's mean and standard deviation, as RepLKNet's script prepares them.  Needs Pillow (matplotlib's
    dependency)."""
    import os

    torch = _torch()
    if len(size) != 2:
        raise RfsymError(f"images need a 2-D input (got {len(size)} axes)")
    if channels not in (1, 3):
        raise RfsymError(f"images give 1 or 3 channels (the model takes {channels})")
    try:
        from PIL import Image
    except ImportError:
        raise RfsymError(
            "reading images needs the 'Pillow' package, which is not installed: pip install pillow"
        ) from None
    if not os.path.isdir(folder):
        raise RfsymError(f"{folder}: not a folder of images")
    names = sorted(n for n in os.listdir(folder) if n.lower().endswith(IMAGE_EXTENSIONS))
    if not names:
        raise RfsymError(f"{folder}: no image files ({', '.join(IMAGE_EXTENSIONS)})")
    names = names[: min(limit or MAX_SAMPLES, MAX_SAMPLES)]
    h, w = int(size[0]), int(size[1])
    out = []
    for n in names:
        path = os.path.join(folder, n)
        try:
            with Image.open(path) as im:
                im = im.convert("RGB" if channels == 3 else "L")
                scale = max(h / im.height, w / im.width)
                im = im.resize(
                    (max(w, round(im.width * scale)), max(h, round(im.height * scale))), Image.Resampling.BICUBIC
                )
                left, top = (im.width - w) // 2, (im.height - h) // 2
                im = im.crop((left, top, left + w, top + h))
                data = torch.frombuffer(bytearray(im.tobytes()), dtype=torch.uint8)
        except (OSError, ValueError) as e:
            raise RfsymError(f"{path}: cannot read the image ({one_line(e)})") from None
        x = data.reshape(h, w, channels).permute(2, 0, 1).double() / 255
        if channels == 3:
            mean = torch.tensor(IMAGENET_MEAN, dtype=torch.float64).view(3, 1, 1)
            x = (x - mean) / torch.tensor(IMAGENET_STD, dtype=torch.float64).view(3, 1, 1)
        out.append(x)
    return out


def tensor_inputs(path: Any) -> list[Any]:
    """Input tensors saved with ``torch.save`` (one (N, C, *sizes) tensor or a list of (C, *sizes) ones), read
    with ``weights_only=True`` (no code runs)."""
    torch = _torch()
    try:
        data = torch.load(path, weights_only=True, map_location="cpu")
    except FileNotFoundError:
        raise RfsymError(f"{path}: no such file") from None
    except Exception as e:  # noqa: BLE001 - a corrupt or unsafe file is one line
        raise RfsymError(f"{path}: cannot read the tensors ({one_line(e)})") from None
    if isinstance(data, torch.Tensor):
        return list(data)
    if isinstance(data, (list, tuple)) and all(isinstance(t, torch.Tensor) for t in data):
        return list(data)
    raise RfsymError(f"{path}: expected a tensor or a list of tensors (got {type(data).__name__})")


def area_ratio(scores: Any, thresh: float, log: bool = True) -> tuple[int, float] | None:
    """(side, area ratio) of the smallest centred cube holding more than ``thresh`` of the scores (RepLKNet)."""
    torch = _torch()
    data = torch.as_tensor(scores, dtype=torch.float64)
    if log:
        data = torch.log10(data + 1)
    top = float(data.max())
    if top > 0:
        data = data / top
    total = float(data.sum())
    if total <= 0:
        return None
    shape = data.shape
    mid = [n // 2 for n in shape]
    for i in range(1, min(shape) // 2):
        sl = tuple(slice(m - i, m + i + 1) for m in mid)
        if float(data[sl].sum()) / total > thresh:
            side = 2 * i + 1
            return side, math.prod(side / n for n in shape)
    return None


@dataclass(frozen=True)
class ErfResult:
    """Mean gradient magnitude of one output unit over the input (``scores``, a float tensor of the input's
    spatial shape) and what it was computed from."""

    name: str
    input: tuple[int, ...]
    unit: tuple[int, ...]
    output: tuple[int, ...]
    samples: int
    dtype: str
    scores: Any

    @property
    def normalised(self) -> Any:
        """The scores divided by their maximum."""
        top = float(self.scores.max())
        return self.scores / top if top > 0 else self.scores

    def area_ratios(self, thresholds: Sequence[float] = THRESHOLDS, log: bool = True) -> dict[float, Any]:
        return {t: area_ratio(self.scores, t, log) for t in thresholds}

    def to_dict(self, log: bool = True) -> dict[str, Any]:
        peak = divmod_nd(int(self.scores.argmax()), self.input)
        return {
            "name": self.name,
            "input": list(self.input),
            "output": list(self.output),
            "unit": list(self.unit),
            "samples": self.samples,
            "dtype": self.dtype,
            "peak": list(peak),
            "nonzero": int((self.scores != 0).sum()),
            "area_ratios": [
                {"threshold": t, "side": r[0] if r else None, "ratio": r[1] if r else None}
                for t, r in self.area_ratios(log=log).items()
            ],
        }

    def to_text(self, log: bool = True) -> str:
        from ._display import term_text

        d = self.to_dict(log)
        lines = [
            f"{term_text(self.name)}: effective receptive field of output unit {tuple(self.unit)} "
            f"(output {'x'.join(map(str, self.output))}), input {'x'.join(map(str, self.input))}, "
            f"{self.samples} sample{'s' if self.samples != 1 else ''}, {self.dtype}",
            f"  peak at {tuple(d['peak'])}, {d['nonzero']} input pixels with a non-zero gradient",
            "  high-contribution area ratio" + (" (log10(score + 1), as RepLKNet)" if log else " (raw scores)") + ":",
        ]
        for row in d["area_ratios"]:
            if row["side"] is None:
                lines.append(f"    t = {row['threshold']:.0%}: no centred square below half the input holds it")
            else:
                lines.append(f"    t = {row['threshold']:.0%}: side {row['side']}, ratio {row['ratio']:.4f}")
        return "\n".join(lines)


def divmod_nd(flat: int, shape: Sequence[int]) -> tuple[int, ...]:
    out = []
    for n in reversed(shape):
        flat, r = divmod(flat, n)
        out.append(r)
    return tuple(reversed(out))


def _check(samples: Any, inputs: Any, dtype: Any) -> None:
    if isinstance(samples, bool) or not isinstance(samples, int) or not 1 <= samples <= MAX_SAMPLES:
        raise RfsymError(f"samples must be an integer from 1 to {MAX_SAMPLES} (got {samples!r})")
    if dtype not in ("float64", "float32"):
        raise RfsymError(f"dtype must be 'float64' or 'float32' (got {dtype!r})")


def _unit_index(unit: Any, out_shape: tuple[int, ...], name: str) -> tuple[int, ...]:
    if unit is None:
        return tuple(n // 2 for n in out_shape)
    idx = tuple(unit) if isinstance(unit, (list, tuple)) else (unit,) * len(out_shape)
    if len(idx) != len(out_shape) or not all(isinstance(i, int) and not isinstance(i, bool) for i in idx):
        raise RfsymError(f"{name}: unit must be one integer or one per output axis {out_shape} (got {unit!r})")
    for i, n in zip(idx, out_shape):
        if not 0 <= i < n:
            raise RfsymError(f"{name}: unit {idx} lies outside the output of shape {out_shape}")
    return idx


def erf(
    model: Any,
    input: Any,
    samples: int = 16,
    *,
    unit: Any = None,
    inputs: Sequence[Any] | None = None,
    dtype: str = "float64",
    seed: int = 0,
    relu: bool = False,
    progress: Callable[[int, int], None] | None = None,
    name: str | None = None,
) -> ErfResult:
    """The mean gradient magnitude of one output unit over ``samples`` inputs (see the module docstring).

    ``input``: spatial size (an int, per-axis sizes, or (C, *sizes)); ``inputs``:
    the caller's tensors (each (C, *sizes) or (1, C, *sizes)) instead of noise;
    ``progress(i, n)`` is called after each sample.
    """
    torch = _torch()
    if not isinstance(model, torch.nn.Module):
        raise RfsymError(f"erf needs a torch.nn.Module (got {type(model).__name__})")
    name = name or type(model).__name__.lower()
    if inputs is not None:
        inputs = list(inputs)
        samples = len(inputs)
    _check(samples, inputs, dtype)
    sizes, chans = parse_input_size(model, input)
    check_run_size((1, chans, *sizes), name, "erf")
    tdtype = torch.float64 if dtype == "float64" else torch.float32
    m = copy.deepcopy(model).to(tdtype).eval()
    gen = torch.Generator().manual_seed(int(seed))
    acc = None
    idx: tuple[int, ...] = ()
    out_shape: tuple[int, ...] = ()
    for i in range(samples):
        x = _sample(torch, inputs, i, chans, sizes, tdtype, gen, name)
        try:
            y = _first_tensor(m(x))
        except RfsymError:
            raise
        except Exception as e:  # noqa: BLE001 - one line, not a deep torch traceback
            raise RfsymError(f"{name}: the model failed on an input of shape {tuple(x.shape)}: {one_line(e)}") from None
        if y is None or y.dim() != len(sizes) + 2:
            raise RfsymError(
                f"{name}: the first output must have shape (N, C, *spatial) (got {getattr(y, 'shape', None)})"
            )
        if i == 0:
            out_shape = tuple(int(v) for v in y.shape[2:])
            idx = _unit_index(unit, out_shape, name)
        sel = y[(0, slice(None)) + idx]
        target = torch.relu(sel).sum() if relu else sel.sum()
        (g,) = torch.autograd.grad(target, x)
        g = g[0].clamp(min=0) if relu else g[0].abs()
        contrib = g.sum(dim=0).detach()
        acc = contrib if acc is None else acc + contrib
        if progress is not None:
            progress(i + 1, samples)
    scores = acc / samples  # type: ignore[operator]
    return ErfResult(name, tuple(sizes), idx, out_shape, samples, dtype, scores)


def _sample(torch: Any, inputs: Any, i: int, chans: int, sizes: Sequence[int], tdtype: Any, gen: Any, name: str) -> Any:
    if inputs is None:
        x = torch.randn((1, chans, *sizes), generator=gen, dtype=tdtype)
    else:
        x = inputs[i]
        if not isinstance(x, torch.Tensor):
            raise RfsymError(f"{name}: inputs[{i}] is not a tensor (got {type(x).__name__})")
        x = x.detach().to(tdtype)
        if x.dim() == len(sizes) + 1:
            x = x.unsqueeze(0)
        if tuple(x.shape) != (1, chans, *sizes):
            raise RfsymError(f"{name}: inputs[{i}] has shape {tuple(x.shape)}, expected {(chans, *sizes)}")
    return x.requires_grad_(True)
