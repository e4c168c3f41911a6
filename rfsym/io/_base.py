"""What the PyTorch and ONNX importers share in front of the :class:`~rfsym.io._graphbuild.Builder`.

* :func:`input_sizes`: an ``input_size`` argument (one size, one per axis,
  ``"96,80"``, ``(C, *sizes)`` or ``(N, C, *sizes)``) as spatial sizes;
* :func:`integer_scales` and :func:`size_scales`: the scale factors of an
  upsampling, from scale values or from output sizes, refused unless each is a
  positive integer (NaN, infinities, zero and negative values included);
* :func:`check_run_size`: the limit on the input of a forward pass that rfsym
  itself runs (the hook recorder, :func:`rfsym.verify`), checked before the
  model sees a tensor;
* :func:`whole`: an imported parameter as an int -- a fractional or NaN value
  is refused, never rounded;
* :func:`make_layer`: an rfsym layer from imported parameters, its
  validation errors prefixed with the operation they came from;
* :func:`one_line`: an exception from framework code as one line;
* :func:`require`: an optional dependency (torch, onnx, matplotlib), or one
  line naming the extra that installs it.
"""

from __future__ import annotations

import fnmatch
import importlib
import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

from .._display import term_text
from ..errors import RfsymError

__all__ = [
    "MAX_RUN_PIXELS",
    "check_run_size",
    "expand_passthrough",
    "input_sizes",
    "integer_scales",
    "make_layer",
    "one_line",
    "require",
    "size_scales",
    "whole",
]

#: The largest input (product of the spatial sizes) of a forward pass rfsym runs: 2048 x 2048.
#: Activations cost (channels x pixels) each: a 64-channel float64 map is then 2 GiB, so larger
#: inputs are refused before the run.
MAX_RUN_PIXELS = 1 << 22

_BAD_SIZE = "input_size must be a positive integer or a tuple of them (got {!r})"


def _is_int(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def input_sizes(input_size: Any, nd: int | None, where: str = "") -> tuple[tuple[int, ...], int | None]:
    """(spatial sizes, channels or None) of an ``input_size`` for a model with ``nd`` spatial axes.

    ``nd`` is None when the model does not say (a bare number then means two
    axes, a one-element tuple one axis).  A tuple one longer than ``nd`` starts
    with the channels, two longer with the batch and the channels.
    """
    prefix = f"{where}: " if where else ""
    if isinstance(input_size, str):
        try:
            input_size = [int(v) for v in input_size.split(",")]
        except ValueError:
            raise RfsymError(prefix + _BAD_SIZE.format(input_size)) from None
    if _is_int(input_size):
        vals: list[int] = [int(input_size)] * (nd or 2)
    elif isinstance(input_size, (list, tuple)) and input_size and all(_is_int(v) for v in input_size):
        vals = [int(v) for v in input_size]
    else:
        raise RfsymError(prefix + _BAD_SIZE.format(input_size))
    chans = None
    if len(vals) == 1:
        vals = vals * (nd or 1)
    elif nd is not None and len(vals) == nd + 1:
        chans, vals = vals[0], vals[1:]
    elif nd is not None and len(vals) == nd + 2:
        chans, vals = vals[1], vals[2:]
    elif nd is not None and len(vals) != nd:
        raise RfsymError(f"{prefix}input_size {tuple(input_size)} does not fit a model with {nd} spatial axes")
    if any(v < 1 for v in vals) or (chans is not None and chans < 1):
        raise RfsymError(f"{prefix}input_size must be positive (got {input_size!r})")
    return tuple(vals), chans


def check_run_size(shape: Sequence[int], name: str, what: str) -> None:
    """Refuse a forward pass on more than :data:`MAX_RUN_PIXELS` input pixels (before it allocates)."""
    pixels = math.prod(int(v) for v in shape[2:])
    if pixels > MAX_RUN_PIXELS:
        size = "x".join(str(v) for v in shape[2:])
        raise RfsymError(
            f"{name}: {what} runs the model on an input of {size} = {pixels:,} pixels; the limit is "
            f"{MAX_RUN_PIXELS:,} (2048 x 2048): use a smaller --input"
        )


def integer_scales(values: Sequence[Any], where: str, what: str = "scale factor") -> list[int]:
    """Each value as a positive integer, or an error naming it (NaN and infinities included)."""
    out = []
    for v in values:
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise RfsymError(f"{where}: {what} {v!r} is not a positive integer") from None
        if not math.isfinite(f) or f < 1 or f != int(f):
            raise RfsymError(f"{where}: {what} {_show(v)} is not a positive integer")
        out.append(int(f))
    return out


def size_scales(sizes: Sequence[Any], outs: Sequence[Any], where: str, verb: str = "upsampling") -> list[int]:
    """Integer scale factors that take ``sizes`` to ``outs`` features, axis by axis."""
    scales = []
    for n, o in zip(sizes, outs):
        o = int(o)
        if o < n or o % n:
            raise RfsymError(f"{where}: {verb} from {n} to {o} features is not an integer scale factor")
        scales.append(o // n)
    return scales


def _show(v: Any) -> str:
    f = float(v)
    return repr(f) if not math.isfinite(f) else repr(v.item() if hasattr(v, "item") else v)


def whole(v: Any, where: str) -> int:
    """``v`` as an int; a real value with a fractional part (2.5, NaN, inf) is an error, not rounded.

    Anything that is not a real number goes through ``int()`` as before (a traced
    placeholder raises TypeError there, which sends the fx import to the hook recorder).
    """
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, numbers.Real):
        f = float(v)
        if math.isfinite(f) and f.is_integer():
            return int(f)
        raise RfsymError(f"{where}: {_show(v)} is not an integer")
    return int(v)


def make_layer(where: str, cls: Any, **params: Any) -> Any:
    """``cls(**params)``; a parameter the layer refuses (zero kernel, a value above the limit) names ``where``."""
    try:
        return cls(**params)
    except RfsymError as e:
        raise RfsymError(f"{where}: {e}") from None


def one_line(e: BaseException) -> str:
    """The first line of an exception's message, or its type's name when it has none."""
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


#: Optional dependency → (what needs it, the extra that installs it).
_EXTRAS = {
    "torch": ("PyTorch models", "torch"),
    "onnx": ("ONNX models", "onnx"),
    "matplotlib.pyplot": ("figures", "plot"),
}


def require(module: str) -> Any:
    """Import an optional dependency, or raise one line: what needs it and ``pip install 'rfsym[extra]'``."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        what, extra = _EXTRAS[module]
        missing = e.name or module.split(".")[0]
        raise RfsymError(
            f"{what} need the {missing!r} package, which is not installed: pip install 'rfsym[{extra}]'"
        ) from None


def expand_passthrough(passthrough: Any, names: list[str], what: str = "module") -> list[str]:
    """Module paths (or node names) from ``passthrough``: exact names, or patterns (``*.attn``, ``layer?.*``).

    A name or pattern that matches nothing is an error: a typo must not pass silently.
    """
    if isinstance(passthrough, str):
        passthrough = [passthrough]
    if not isinstance(passthrough, Iterable) or not all(isinstance(p, str) for p in passthrough):
        raise RfsymError(f"passthrough must be {what} paths (strings) (got {passthrough!r})")
    known = set(names)
    out: list[str] = []
    for p in passthrough:
        if p in known:
            hits = [p]
        elif any(ch in p for ch in "*?["):
            hits = [n for n in names if fnmatch.fnmatchcase(n, p)]
        else:
            hits = []
        if not hits:
            raise RfsymError(f"passthrough: the model has no {what} {term_text(p)!r}")
        out.extend(h for h in hits if h not in out)
    return out
