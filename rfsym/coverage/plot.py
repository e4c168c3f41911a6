"""Figures of connection counts, holes and empirical ERFs (matplotlib, imported when called), and a
pgfplots version of the counts for papers.

* 1-D (or one axis): a bar plot of the counts per input pixel, holes marked;
* 2-D without merges (separable): a heatmap of the counts (outer product of the axes), log scale by default,
  or of the reached pixels and holes (``kind="holes"``);
* 2-D with merges: one bar plot per axis (the N-D counts are not the product there);
* an ERF (:class:`rfsym.erf.ErfResult`): a heatmap of ``log10(score + 1)`` scaled to 1, as RepLKNet draws it.

Limit: at most :data:`MAX_PIXELS` pixels per axis (checked before drawing).
"""

from __future__ import annotations

import importlib
import io
import math
from typing import Any

from ..errors import RfsymError
from .result import AxisCoverage, Coverage

__all__ = ["MAX_PIXELS", "counts_figure", "counts_pgfplots", "erf_figure", "figure_bytes"]

MAX_PIXELS = 4096


def _pyplot() -> Any:
    try:
        return importlib.import_module("matplotlib.pyplot")
    except ImportError:
        raise RfsymError(
            "figures need the 'matplotlib' package, which is not installed: pip install 'rfsym[plot]'"
        ) from None


def _label(text: str) -> str:
    """A user string as plain matplotlib text (no mathtext, no control characters)."""
    from .._display import term_text

    return term_text(text).replace("$", r"\$")


def _check(cov: Any) -> None:
    if not isinstance(cov, Coverage):
        raise RfsymError(f"counts_figure needs an rfsym.coverage result (got {type(cov).__name__})")
    for a in cov.axes:
        if a.width > MAX_PIXELS:
            raise RfsymError(f"axis {a.axis}: {a.width} pixels, above the figure limit of {MAX_PIXELS}")


def _bars(ax: Any, a: AxisCoverage, kind: str, log: bool) -> None:
    if a.offset is None:
        ax.text(0.5, 0.5, "no pixel reached", ha="center", transform=ax.transAxes)
        return
    xs = list(range(a.offset, a.offset + a.width))
    if kind == "holes":
        ax.bar(xs, [1 if c else 0 for c in a.counts], width=1.0, color="tab:blue")
    else:
        ax.bar(xs, [float(c) for c in a.counts], width=1.0, color="tab:blue")
        if log and max(a.counts) > 0:
            ax.set_yscale("log")
    for h in a.holes:
        ax.axvspan(h - 0.5, h + 0.5, color="tab:red", alpha=0.35, lw=0)
    ax.set_xlabel(f"input pixel (axis {a.axis})")
    ax.set_ylabel("reached" if kind == "holes" else "paths")
    gaps = "dense" if a.dense else f"{a.n_holes} holes (red)"
    ax.set_title(f"axis {a.axis}, unit {a.unit}: {gaps}", fontsize=9)


def counts_figure(cov: Any, kind: str = "counts", log: bool | None = None) -> Any:
    """The figure of a :func:`rfsym.coverage` result or of 2-D :func:`rfsym.coverage.counts_nd` counts
    (``kind``: ``counts`` or ``holes``; ``log``: a log scale, by default when some count exceeds 1000)."""
    if kind not in ("counts", "holes"):
        raise RfsymError(f"kind must be 'counts' or 'holes' (got {kind!r})")
    from .nd import CoverageND

    if isinstance(cov, CoverageND):
        return _nd_heatmap(cov, kind, log)
    _check(cov)
    if log is None:
        log = any(max(a.counts, default=0) > 1000 for a in cov.axes)
    plt = _pyplot()
    title = f"{_label(cov.name)}: layer {_label(cov.layer)!r}"
    if len(cov.axes) == 2 and cov.separable and all(a.offset is not None for a in cov.axes):
        return _heatmap(plt, cov, kind, log, title)
    fig, axes = plt.subplots(len(cov.axes), 1, figsize=(7, 2.6 * len(cov.axes)), squeeze=False)
    for sub, a in zip(axes[:, 0], cov.axes):
        _bars(sub, a, kind, log)
    note = "" if cov.separable or len(cov.axes) == 1 else " (per axis: merges make the N-D counts non-separable)"
    fig.suptitle(title + note, fontsize=10)
    fig.tight_layout()
    return fig


def _heatmap(plt: Any, cov: Coverage, kind: str, log: bool, title: str) -> Any:
    import numpy as np  # matplotlib's own dependency

    a, b = cov.axes
    if kind == "holes":
        data = np.outer(np.array([c != 0 for c in a.counts]), np.array([c != 0 for c in b.counts])).astype(float)
        label = "reached (1) / hole (0)"
    else:
        fa = np.array([math.log10(c) if c else -np.inf for c in a.counts]) if log else np.array(a.counts, float)
        fb = np.array([math.log10(c) if c else -np.inf for c in b.counts]) if log else np.array(b.counts, float)
        data = np.add.outer(fa, fb) if log else np.outer(fa, fb)
        data = np.where(np.isfinite(data), data, np.nan)
        label = "log10(paths)" if log else "paths"
    fig, ax = plt.subplots(figsize=(6, 5))
    oa, ob = a.offset or 0, b.offset or 0
    extent = (ob - 0.5, ob + b.width - 0.5, oa + a.width - 0.5, oa - 0.5)
    im = ax.imshow(data, extent=extent, cmap="viridis", interpolation="nearest")
    fig.colorbar(im, ax=ax, label=label)
    ax.set_xlabel("input pixel (axis 1)")
    ax.set_ylabel("input pixel (axis 0)")
    holes = cov.n_holes
    ax.set_title(f"{title}, unit {(a.unit, b.unit)}: " + ("dense" if not holes else f"{holes} holes"), fontsize=9)
    fig.tight_layout()
    return fig


def _nd_heatmap(cov: Any, kind: str, log: bool | None) -> Any:
    """Heatmap of exact 2-D counts (graphs with merges: not an outer product)."""
    import numpy as np  # matplotlib's own dependency

    shape = cov.shape
    if len(shape) != 2 or any(n > MAX_PIXELS for n in shape):
        raise RfsymError(f"the N-D figure draws 2-D counts of at most {MAX_PIXELS} pixels per axis (got {shape})")
    plt = _pyplot()
    rows = [[float(c) for c in row] for row in cov.counts]
    data = np.array(rows)
    if log is None:
        log = bool(data.max() > 1000)
    if kind == "holes":
        data, label = (data != 0).astype(float), "reached (1) / hole (0)"
    elif log:
        with np.errstate(divide="ignore"):
            data = np.where(data > 0, np.log10(np.where(data > 0, data, 1)), np.nan)
        label = "log10(paths)"
    else:
        label = "paths"
    fig, ax = plt.subplots(figsize=(6, 5))
    (oa, ob), (na, nb) = cov.offset, shape
    im = ax.imshow(
        data, extent=(ob - 0.5, ob + nb - 0.5, oa + na - 0.5, oa - 0.5), cmap="viridis", interpolation="nearest"
    )
    fig.colorbar(im, ax=ax, label=label)
    ax.set_xlabel("input pixel (axis 1)")
    ax.set_ylabel("input pixel (axis 0)")
    holes = "dense" if cov.dense else f"{cov.n_holes} holes"
    ax.set_title(f"{_label(cov.name)}: layer {_label(cov.layer)!r}, unit {tuple(cov.unit)} (N-D): {holes}", fontsize=9)
    fig.tight_layout()
    return fig


def erf_figure(res: Any, log: bool = True) -> Any:
    """Heatmap of an :class:`rfsym.erf.ErfResult` (1-D: a bar plot), ``log10(score + 1)`` scaled to 1."""
    scores = getattr(res, "scores", None)
    if scores is None:
        raise RfsymError(f"erf_figure needs an rfsym.erf result (got {type(res).__name__})")
    if any(int(n) > MAX_PIXELS for n in scores.shape) or scores.dim() > 2:
        raise RfsymError(f"erf_figure draws 1-D and 2-D inputs of at most {MAX_PIXELS} pixels per axis")
    plt = _pyplot()
    data = scores.double()
    if log:
        data = (data + 1).log10()
    top = float(data.max())
    data = (data / top if top > 0 else data).cpu().numpy()
    fig, ax = plt.subplots(figsize=(6, 5) if scores.dim() == 2 else (7, 2.6))
    if scores.dim() == 2:
        im = ax.imshow(data, cmap="RdYlGn", interpolation="nearest")
        fig.colorbar(im, ax=ax, label="log10(score + 1), scaled" if log else "score, scaled")
    else:
        ax.bar(range(len(data)), data, width=1.0)
    ax.set_title(f"{_label(res.name)}: ERF of output unit {tuple(res.unit)}, {res.samples} samples", fontsize=9)
    fig.tight_layout()
    return fig


def figure_bytes(fig: Any, fmt: str, close: bool = True) -> bytes:
    """The figure as PNG or PDF bytes (nothing is written to disk: write them with
    :func:`rfsym._files.write_file`), then closed unless ``close`` is False (:func:`rfsym.plot.figure_bytes`
    keeps a user's figure open)."""
    if fmt not in ("png", "pdf"):
        raise RfsymError(f"figure files must end in .png or .pdf (got {fmt!r})")
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format=fmt, dpi=150, bbox_inches="tight")
    finally:
        if close:
            _pyplot().close(fig)
    return buf.getvalue()


def counts_pgfplots(cov: Coverage) -> str:
    """A pgfplots picture per axis (``\\usepackage{pgfplots}``): the counts as bars, holes at 0."""
    _check(cov)
    out = []
    for a in cov.axes:
        if a.offset is None:
            continue
        coords = " ".join(f"({a.offset + i},{float(c):.6g})" for i, c in enumerate(a.counts))
        opts = [
            "ybar interval",
            f"xlabel={{input pixel (axis {a.axis})}}",
            "ylabel={paths}",
            "width=12cm",
            "height=4cm",
        ]
        out.append(
            f"\\begin{{tikzpicture}}\n\\begin{{axis}}[{', '.join(opts)}]\n"
            f"\\addplot coordinates {{{coords} ({a.offset + a.width},0)}};\n\\end{{axis}}\n\\end{{tikzpicture}}"
        )
    return "\n".join(out) + "\n"
