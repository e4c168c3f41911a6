"""matplotlib figures: the seed post's receptive-field picture, and r and j across layers.

matplotlib is imported only when a function here is called (``pip install
'rfsym[plot]'``; without it a call raises one :class:`~rfsym.errors.RfsymError`
line saying so).  :func:`rf_figure` draws the geometry of
:func:`rfsym.printing.tikz.figure_plan`, the same pictures
:func:`rfsym.printing.tikz.tikz_figure` writes as TikZ.

Whatever the model, a picture draws a bounded number of things (at most
:data:`rfsym.printing.tikz.MAX_SHOWN` feature centres per axis, evenly spaced;
pixel grid lines only for small inputs); a network with one declared axis or a
sample rate is drawn in 1-D.  Limit (checked by
:func:`~rfsym.printing.tikz.figure_plan` before anything is computed): at
most :data:`rfsym.printing.tikz.MAX_FIGURE_SIZE` input pixels and features per axis.
"""

from __future__ import annotations

import os
from fractions import Fraction
from typing import Any

from . import _arith as A
from .coverage.plot import figure_bytes as _encode
from .errors import RfsymError
from .graph import Graph
from .io._base import require
from .network import Network
from .printing.tikz import FINE_CELLS, Features, figure_legend, figure_notes, figure_plan, strip_layout

__all__ = [
    "close_figure",
    "figure_bytes",
    "layers_figure",
    "rf_figure",
    "save_figure",
]

#: Options of :func:`rfsym.printing.tikz.figure_plan` that :func:`rf_figure` passes on.
_GEOMETRY_OPTIONS = ("input", "convention", "origin", "dims", "axes", "sample_rate", "layout", "upsampled")


def _pyplot() -> Any:
    return require("matplotlib.pyplot")


def _network(net: Any, what: str) -> None:
    if not isinstance(net, (Network, Graph)):
        raise RfsymError(f"{what} needs an rfsym Network or Graph (got {type(net).__name__})")


def rf_figure(
    net: Any,
    layer: str | None = None,
    features: Features = None,
    *,
    ax: Any = None,
    size: float = 5.0,
    units: Any = None,
    **options: Any,
) -> Any:
    """The input grid with padding cells, the feature centres of ``layer`` (dots; white rings for centres
    between input pixels, with a legend) and the receptive fields of ``features`` (0-based (row, column)
    pairs; default the first and last feature).  Returns the Figure.
    ``units`` (:func:`rfsym.printing.units.parse_units`) labels the axes and the title in ms, mm, ….

    ``options``: ``input``, ``convention``, ``origin``, ``dims``, ``axes``,
    ``sample_rate``, ``layout`` and ``upsampled``, as for
    :func:`rfsym.printing.tikz.figure_plan` (which computes the pictures): an
    N-D network whose axes differ is drawn as one subplot (a strip) per group of
    equal axes, and ``upsampled`` adds a column for the first upsampling layer.
    Given an ``ax``, one picture is drawn on it (``layout`` ``"single"``).
    """
    _network(net, "rf_figure")
    unknown = sorted(set(options) - set(_GEOMETRY_OPTIONS))
    if unknown:
        raise RfsymError(f"rf_figure: unknown option {unknown[0]!r} (options: {', '.join(_GEOMETRY_OPTIONS)})")
    if layer is not None and not isinstance(layer, str):
        raise RfsymError(f"rf_figure: layer must be a layer name (got {type(layer).__name__})")
    plt = _pyplot()
    from matplotlib.patches import Rectangle

    if units is not None and units.unit == "ms":
        options.setdefault("sample_rate", 1000 / units.scale)  # a time axis: drawn in 1-D
    if ax is not None:
        if options.get("layout") == "axes" or options.get("upsampled"):
            raise RfsymError("rf_figure: a per-axis or upsampled figure draws several pictures: leave out ax")
        options["layout"] = "single"
    plan = figure_plan(net, layer, features, **options)
    columns = [plan.pictures] + ([plan.upsampled] if plan.upsampled else [])
    rows = len(plan.pictures)
    strip = plan.pictures[0].dims == 1
    if ax is None:
        tall = (0.45 if strip else 1.0) * size * rows + (0.25 * size if strip and rows > 1 else 0)
        fig, grid = plt.subplots(rows, len(columns), figsize=(size * len(columns), tall), squeeze=False)
    else:
        fig, grid = ax.figure, [[ax]]
    for c, pictures in enumerate(columns):
        for r, g in enumerate(pictures):
            _draw_picture(grid[r][c], g, Rectangle, size, units)
    if len(grid) > 1 or len(grid[0]) > 1:
        fig.tight_layout()
    return fig


def _draw_picture(ax: Any, g: Any, Rectangle: Any, size: float, units: Any) -> None:
    """One picture of the plan on ``ax``: the strip or the grid, its title (notes included) and legend."""
    if g.dims == 1:
        _draw_strip(ax, g, Rectangle, size)
    else:
        _draw_grid(ax, g, Rectangle, size)
    fmt = units.text if units is not None else A.fmt
    where = f" on {g.which}" if g.same else ""
    title = (
        f"{g.network}: {g.layer}{where} (r = {' x '.join(fmt(r) for r in g.rf)}, "
        f"j = {' x '.join(fmt(j) for j in g.jump)})"
    )
    if units is not None:
        from matplotlib.ticker import FuncFormatter

        scale = float(units.scale)
        tick = FuncFormatter(lambda v, _pos: f"{v * scale:g}")
        ax.xaxis.set_major_formatter(tick)
        if g.dims == 2:
            ax.yaxis.set_major_formatter(tick)
        ax.set_xlabel(f"input position ({units.unit})", fontsize=8)
    notes = figure_notes(g)
    if notes:
        title += "\n" + "; ".join(notes)
    ax.set_title(title, fontsize=9)
    ax.tick_params(labelsize=8)
    _legend(ax, g)


def _legend(ax: Any, g: Any) -> None:
    """The picture's legend under it (rfsym.printing.tikz.figure_legend): dots, rings, the features per pixel."""
    from matplotlib.lines import Line2D

    entries = figure_legend(g)
    if not entries:
        return
    style: dict[str, dict[str, Any]] = {
        "dot": {"marker": "o", "color": _GREEN},
        "ring": {"marker": "o", "markerfacecolor": "white", "markeredgecolor": _GREEN},
        "note": {"marker": None},
    }
    handles = [Line2D([], [], linestyle="none", markersize=5, label=text, **style[kind]) for kind, text in entries]
    ax.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.12 if g.dims == 2 else -0.35), fontsize=7,
        frameon=False, handlelength=1.0,
    )  # fmt: skip


_GREEN = "#1e7b34"


def _dot_size(g: Any, cells: int, size: float) -> float:
    """Marker area (points squared) of the feature dots: at most half the drawn spacing wide, never a blob."""
    gaps = [float(g.jump[k]) * min(b - a for a, b in zip(sh, sh[1:])) for k, sh in enumerate(g.shown) if len(sh) > 1]
    spacing_pt = 72.0 * size * (min(gaps) if gaps else cells) / cells
    return float(max(1.5, min(6.0, 0.5 * spacing_pt)) ** 2)


def _centres(ax: Any, g: Any, dot: float, y: float | None = None) -> None:
    """The feature centres: dots on pixel centres (gid ``centres-on``), white rings between pixels
    (``centres-off``); a 1-D strip's at height ``y``."""
    if y is not None:
        pts = [(float(c), y, ok) for c, ok in zip(g.centres[0], g.on_grid(0))]
    else:
        pts = [
            (float(x), float(yy), ok_x and ok_y)
            for yy, ok_y in zip(g.centres[0], g.on_grid(0))
            for x, ok_x in zip(g.centres[1], g.on_grid(1))
        ]
    on = [(x, yy) for x, yy, ok in pts if ok]
    off = [(x, yy) for x, yy, ok in pts if not ok]
    if on:
        ax.scatter(*zip(*on), s=dot, color=_GREEN, zorder=3, gid="centres-on")
    if off:
        lw = max(0.4, 0.15 * dot**0.5)
        ax.scatter(*zip(*off), s=dot, facecolors="white", edgecolors=_GREEN, linewidths=lw, zorder=3, gid="centres-off")


def _draw_grid(ax: Any, g: Any, Rectangle: Any, size: float) -> None:
    lo_y, lo_x = -g.pad_before[0], -g.pad_before[1]
    hi_y, hi_x = g.size[0] + g.pad_after[0], g.size[1] + g.pad_after[1]
    cells = max(hi_x - lo_x, hi_y - lo_y)
    fine = cells <= FINE_CELLS
    ax.add_patch(
        Rectangle((lo_x, lo_y), hi_x - lo_x, hi_y - lo_y, facecolor="0.95", edgecolor="0.6", linestyle="--", lw=0.8)
    )
    ax.add_patch(Rectangle((0, 0), g.size[1], g.size[0], facecolor="#dfe6fb", edgecolor="#1f3a93", lw=1.0))
    if fine:
        for x in range(lo_x, hi_x + 1):
            inside = 0 <= x <= g.size[1]
            ax.plot([x, x], [lo_y, hi_y], color="0.75", lw=0.4, ls="--", zorder=1)
            if inside:
                ax.plot([x, x], [0, g.size[0]], color="#7b8fd6", lw=0.5, zorder=2)
        for y in range(lo_y, hi_y + 1):
            ax.plot([lo_x, hi_x], [y, y], color="0.75", lw=0.4, ls="--", zorder=1)
            if 0 <= y <= g.size[0]:
                ax.plot([0, g.size[1]], [y, y], color="#7b8fd6", lw=0.5, zorder=2)
    dot = _dot_size(g, cells, size)
    _centres(ax, g, dot)
    for f in g.features:
        y0, x0, y1, x1 = (float(v) for v in g.box(f))
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor="#e07000", lw=1.6, zorder=4))
        ax.scatter([float(g.centre(1, f[1]))], [float(g.centre(0, f[0]))], s=3 * dot, color="#e07000", zorder=5)
    ax.set_xlim(lo_x - 0.5, hi_x + 0.5)
    ax.set_ylim(hi_y + 0.5, lo_y - 0.5)
    ax.set_aspect("equal")


def _draw_strip(ax: Any, g: Any, Rectangle: Any, size: float) -> None:
    """A 1-D picture: the input as a strip, feature centres above it, receptive fields as intervals below."""
    lo, hi, h, rows = strip_layout(g)
    ax.add_patch(Rectangle((lo, 0), hi - lo, h, facecolor="0.95", edgecolor="0.6", linestyle="--", lw=0.8))
    ax.add_patch(Rectangle((0, 0), g.size[0], h, facecolor="#dfe6fb", edgecolor="#1f3a93", lw=1.0))
    if hi - lo <= FINE_CELLS:
        for x in range(0, g.size[0] + 1):
            ax.plot([x, x], [0, h], color="#7b8fd6", lw=0.5, zorder=2)
    dot = _dot_size(g, hi - lo, size)
    _centres(ax, g, dot, -0.9 * h)
    for f, y in zip(g.features, rows):
        x0, x1 = (float(v) for v in g.box(f))
        c = float(g.centre(0, f[0]))
        ax.plot([x0, x1], [y, y], color="#e07000", lw=1.6, zorder=4, marker="|", markersize=8)
        ax.plot([c, c], [-0.9 * h, y], color="#e07000", lw=0.6, ls=":", zorder=4)
        ax.scatter([c], [y], s=dot, color="#e07000", zorder=5)
    ax.set_xlim(lo - 0.5, hi + 0.5)
    ax.set_ylim((rows[-1] if rows else h) + h, -2 * h)
    ax.set_yticks([])
    ax.set_xlabel(f"input position ({'pixels' if g.same else 'samples'})", fontsize=8)


def layers_figure(
    net: Any,
    *,
    input: Any = None,
    convention: str = "framework",
    origin: Any = Fraction(1, 2),
    axis: int = 0,
    ax: Any = None,
    log: bool = True,
    units: Any = None,
) -> Any:
    """Receptive field r and jump j after each layer (one axis), on a log scale by default; in ms, mm, …
    with ``units`` (:func:`rfsym.printing.units.parse_units`)."""
    _network(net, "layers_figure")
    plt = _pyplot()
    table = net.table(input=input, convention=convention, origin=origin)
    if not isinstance(axis, int) or not 0 <= axis < len(table.input):
        raise RfsymError(f"layers_figure: axis {axis!r} is not one of the network's axes 0..{len(table.input) - 1}")
    names, rs, js = [], [], []
    for row in table.rows:
        st = row.states[axis]
        if not (A.is_num(st.r) and A.is_num(st.j)):
            raise RfsymError(f"{row.name}: r or j is symbolic; a plot needs numbers (substitute values with net.subs)")
        names.append(row.name)
        scale = float(units.scale) if units is not None else 1.0
        rs.append(float(st.r) * scale)
        js.append(float(st.j) * scale)
    if ax is None:
        fig, ax = plt.subplots(figsize=(min(10.0, max(4.0, 0.35 * len(names))), 3.2))
    else:
        fig = ax.figure
    x = list(range(len(names)))
    ax.plot(x, rs, marker="o", label="receptive field r")
    ax.plot(x, js, marker="s", label="jump j")
    if log:
        ax.set_yscale("log", base=2)
    ax.set_xticks(x)
    ax.set_xticklabels(names, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel(units.unit if units is not None else "input pixels")
    ax.set_title(f"{table.name}: r and j across layers", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def figure_bytes(fig: Any, fmt: str) -> bytes:
    """The figure as PNG or PDF bytes (nothing is written to disk); the figure stays open
    (:func:`rfsym.coverage.plot.figure_bytes`, the one encoder)."""
    return _encode(fig, fmt, close=False)


def save_figure(fig: Any, path: str) -> None:
    """Save to PNG or PDF (by the file's extension)."""
    if not isinstance(path, (str, os.PathLike)):
        raise RfsymError(f"save_figure: the path must be a string (got {type(path).__name__})")
    fmt = str(path).rsplit(".", 1)[-1].lower()
    if fmt not in ("png", "pdf"):
        raise RfsymError(f"figure files must end in .png or .pdf (got {path!r})")
    fig.savefig(path, format=fmt, dpi=150, bbox_inches="tight")


def close_figure(fig: Any) -> None:
    """Release a figure made here (pyplot keeps every figure until it is closed)."""
    _pyplot().close(fig)
