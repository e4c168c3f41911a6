r"""The seed post's receptive-field picture as TikZ.

The picture of Dang Ha The Hien's *A guide to receptive field arithmetic for
convolutional neural networks* (2017), right column: the input grid with its
padding cells, the features of one layer drawn at the centres of their
receptive fields (``start + i j`` on each axis), and the receptive-field
boxes (side ``r``) of some chosen features.  :mod:`rfsym.plot` draws the same
:class:`Figure` geometry with matplotlib.

Coordinates: pixel ``i`` covers ``[i, i + 1]`` in the picture, whatever the
table's origin (its centre is ``origin + i`` in table coordinates).

Whatever the model, a picture draws a bounded number of things: at most
:data:`MAX_SHOWN` feature centres per axis (evenly spaced, the first, the last
and the chosen features always among them), the pixel grid only when it has
at most :data:`FINE_CELLS` cells per axis.  A network with one declared axis
(or a sample rate) is drawn in 1-D: the input as a strip, the receptive fields
as intervals; an N-D network draws two of its axes (default the last two) and
says which.  A layer whose jump is below one pixel (upsampling) is said to
have ``1/j`` features per pixel in the caption.

>>> from rfsym import Conv, Network
>>> g = figure_geometry(Network([Conv(kernel=3, stride=2, padding=1, name="c")], input=5), "c")
>>> g.size, g.pad_before, g.pad_after, g.centres[0]
((5, 5), (1, 1), (1, 1), (Fraction(1, 2), Fraction(5, 2), Fraction(9, 2)))
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .. import _arith as A
from .._display import term_text
from ..errors import RfsymError
from .escape import tex_text

__all__ = ["MAX_SHOWN", "Figure", "default_dims", "figure_geometry", "figure_notes", "strip_layout", "tikz_figure"]


@dataclass(frozen=True)
class Figure:
    """Geometry of the picture, in pixel-edge coordinates, per drawn axis (rows, columns; or one axis).

    ``axes`` are the network's axes that are drawn; every per-axis field has one
    entry per drawn axis.  Feature ``i`` on drawn axis ``k`` is centred at
    ``first[k] + i * jump[k]``; ``shown[k]`` are the feature indices drawn.
    """

    network: str
    layer: str
    size: tuple[int, ...]  # input pixels per axis
    pad_before: tuple[int, ...]  # padding cells drawn before pixel 0
    pad_after: tuple[int, ...]  # padding cells drawn after the last pixel
    rf: tuple[Fraction, ...]  # receptive-field side per axis
    jump: tuple[Fraction, ...]
    features: tuple[tuple[int, ...], ...]  # chosen features, 0-based, one index per drawn axis
    axes: tuple[int, ...] = (0, 1)  # the network's axes drawn
    ndim: int = 2  # the network's number of axes
    count: tuple[int, ...] = ()  # features per axis
    first: tuple[Fraction, ...] = ()  # centre of feature 0 per axis
    shown: tuple[tuple[int, ...], ...] = ()  # feature indices drawn per axis (sampled)

    @property
    def dims(self) -> int:
        """1 for a 1-D picture (a strip), 2 for rows and columns."""
        return len(self.axes)

    def centre(self, k: int, i: int) -> Fraction:
        """The centre of feature ``i`` on drawn axis ``k``."""
        return self.first[k] + i * self.jump[k]

    @property
    def centres(self) -> tuple[tuple[Fraction, ...], ...]:
        """The centres of the drawn features, per axis."""
        return tuple(tuple(self.centre(k, i) for i in self.shown[k]) for k in range(self.dims))

    @property
    def sampled(self) -> bool:
        """True when some features are not drawn (more than MAX_SHOWN on an axis)."""
        return any(len(s) < c for s, c in zip(self.shown, self.count))

    def box(self, feature: Sequence[int]) -> tuple[Fraction, ...]:
        """(row0, col0, row1, col1) of a feature's receptive field; (x0, x1) in a 1-D picture."""
        lo = [self.centre(k, i) - self.rf[k] / 2 for k, i in enumerate(feature)]
        hi = [self.centre(k, i) + self.rf[k] / 2 for k, i in enumerate(feature)]
        return (*lo, *hi)


def _number(v: Any, what: str, layer: str) -> Fraction:
    v = A.norm(v)
    if not A.is_num(v):
        raise RfsymError(
            f"{term_text(layer)}: {what} is symbolic ({v}); a figure needs numbers (substitute values with net.subs)"
        )
    return Fraction(v)


#: the largest input, and the most features, a figure takes per axis (checked before the work); the
#: drawing itself is bounded by MAX_SHOWN and FINE_CELLS, whatever the size
MAX_FIGURE_SIZE = 2**24
#: feature centres drawn per axis at most (evenly spaced; the first, the last and the chosen ones included)
MAX_SHOWN = 16
#: pixel grid lines are drawn while an axis has at most this many cells (input plus padding)
FINE_CELLS = 64


def check_figure_size(net: Any, input: Any = None, hint: str = "", layer: str | None = None) -> None:
    """Raise RfsymError when the input of ``net`` is too large (more than MAX_FIGURE_SIZE per axis)."""
    where = term_text(net.name) + (f": {term_text(layer)}" if layer else "")
    for n in net.axes_input(input):
        v = A.norm(n)
        if A.is_num(v) and v > MAX_FIGURE_SIZE:
            raise RfsymError(
                f"{where}: a figure draws at most {MAX_FIGURE_SIZE} input pixels per axis (input {A.fmt(v)}){hint}"
            )


def default_dims(net: Any, sample_rate: Any = None) -> int:
    """2 for images (two or more axes, or one size for every axis), 1 for one declared axis or a sample rate."""
    if sample_rate is not None or getattr(net, "sample_rate", None) is not None:
        return 1
    return 1 if getattr(net, "ndim", None) == 1 else 2


def _drawn_axes(nax: int, dims: int | None, axes: Sequence[int] | None, net: Any, sample_rate: Any) -> tuple[int, ...]:
    if axes is not None:
        picked = tuple(axes)
        if not 1 <= len(picked) <= 2 or any(not isinstance(a, int) or not 0 <= a < nax for a in picked):
            raise RfsymError(f"figure axes must be one or two of the network's axes 0..{nax - 1} (got {list(picked)})")
        if len(set(picked)) != len(picked):
            raise RfsymError(f"figure axes repeat: {list(picked)}")
        return picked
    if dims is None:
        dims = default_dims(net, sample_rate) if nax == 1 else 2
    if dims not in (1, 2):
        raise RfsymError(f"a figure is 1-D or 2-D (got dims={dims!r})")
    if nax == 1:
        return (0,) if dims == 1 else (0, 0)
    return (nax - 1,) if dims == 1 else (nax - 2, nax - 1)


def _sample(count: int, keep: Sequence[int]) -> tuple[int, ...]:
    """At most MAX_SHOWN indices of 0..count-1, evenly spaced, with the first, the last and ``keep``."""
    if count <= MAX_SHOWN:
        return tuple(range(count))
    picked = {round(i * (count - 1) / (MAX_SHOWN - 1)) for i in range(MAX_SHOWN)} | set(keep)
    return tuple(sorted(picked))


def _pick_row(table: Any, layer: str | None, axes: tuple[int, ...], net: Any) -> Any:
    if layer is None:
        # the deepest layer with at least two features per drawn axis shows the most; else the output
        for cand in reversed(table.rows[1:]):
            if all(A.is_num(cand.states[a].n) and cand.states[a].n >= 2 for a in axes):
                return cand
        return table.rows[-1]
    try:
        return table[layer]
    except KeyError:
        names = ", ".join(r.name for r in table.rows)
        raise RfsymError(
            f"{term_text(net.name)}: no layer named {term_text(repr(layer))} (layers: {term_text(names)})"
        ) from None


def _chosen(features: Any, ns: list[int], row: str) -> list[tuple[int, ...]]:
    dims = len(ns)
    if features is None:
        feats: list[tuple[int, ...]] = [(0,) * dims]
        if any(n > 1 for n in ns):
            feats.append(tuple(n - 1 for n in ns))
        return feats
    out = []
    for f in features:
        idx = (int(f),) * dims if isinstance(f, int) else tuple(int(x) for x in f)
        if len(idx) == 1 and dims == 2:
            idx = idx * 2
        if len(idx) != dims:
            raise RfsymError(f"a feature is {'(row, column)' if dims == 2 else 'one index'} (got {f!r})")
        for ax, (i, n) in enumerate(zip(idx, ns)):
            if not 0 <= i < n:
                raise RfsymError(f"{term_text(row)}: feature index {i} on axis {ax} is out of range 0..{n - 1}")
        out.append(idx)
    return out


def figure_geometry(
    net: Any,
    layer: str | None = None,
    features: Sequence[Sequence[int]] | Sequence[int] | None = None,
    *,
    input: Any = None,
    convention: str = "framework",
    origin: Any = Fraction(1, 2),
    dims: int | None = None,
    axes: Sequence[int] | None = None,
    sample_rate: Any = None,
) -> Figure:
    """The picture's geometry for one layer of ``net`` (default: the deepest layer with at least two
    features per drawn axis, else the last).

    ``features`` are 0-based indices, one per drawn axis ((row, column) in 2-D; a
    single index stands for every axis); the default is the first and the last
    feature.  ``dims`` (1 or 2) and ``axes`` (which of the network's axes) choose
    what is drawn: by default a 1-D strip for a network with one declared axis
    or a sample rate, else the last two axes (one size for every axis: a square).
    """
    check_figure_size(net, input, layer=layer)
    table = net.table(input=input, convention=convention, origin=origin)
    nax = len(table.input)
    drawn = _drawn_axes(nax, dims, axes, net, sample_rate)
    row = _pick_row(table, layer, drawn, net)
    states = [row.states[a] for a in drawn]
    o = Fraction(A.norm(table.origin))
    size = tuple(int(_number(table.input[a], "the input size", row.name)) for a in drawn)
    ns = [int(_number(s.n, "n", row.name)) for s in states]
    if max(ns) > MAX_FIGURE_SIZE:
        raise RfsymError(
            f"{term_text(row.name)}: a figure draws at most {MAX_FIGURE_SIZE} features per axis (n = {max(ns)})"
        )
    js = [_number(s.j, "j", row.name) for s in states]
    rs = [_number(s.r, "r", row.name) for s in states]
    firsts = [_number(s.start, "start", row.name) - o + Fraction(1, 2) for s in states]
    feats = _chosen(features, ns, row.name)
    shown = tuple(_sample(n, [f[k] for f in feats]) for k, n in enumerate(ns))
    lasts = [f + (n - 1) * j for f, n, j in zip(firsts, ns, js)]
    k = range(len(drawn))
    return Figure(
        network=net.name,
        layer=row.name,
        size=size,
        pad_before=tuple(max(0, math.ceil(rs[a] / 2 - firsts[a])) for a in k),
        pad_after=tuple(max(0, math.ceil(lasts[a] + rs[a] / 2 - size[a])) for a in k),
        rf=tuple(rs),
        jump=tuple(js),
        features=tuple(feats),
        axes=drawn,
        ndim=nax,
        count=tuple(ns),
        first=tuple(firsts),
        shown=shown,
    )


def _num(v: Fraction | int) -> str:
    v = Fraction(v)
    if v.denominator == 1:
        return str(v.numerator)
    s = f"{float(v):.4f}".rstrip("0").rstrip(".")
    return s


def figure_notes(g: Figure) -> list[str]:
    """Sentences (plain text) about what the picture leaves out or compresses: the axes drawn of an N-D
    network, sampled feature centres, features closer than a pixel."""
    notes = []
    if g.ndim > 2 or (g.ndim == 2 and g.dims == 1):
        which = " and ".join(str(a) for a in g.axes)
        notes.append(f"axis {which} of {g.ndim}" if g.dims == 1 else f"axes {which} of {g.ndim}")
    if g.sampled:
        shown = " x ".join(str(len(s)) for s in g.shown)
        notes.append(f"{shown} of the {' x '.join(str(c) for c in g.count)} feature centres drawn (evenly spaced)")
    fine = [j for j in g.jump if j < 1]
    if fine:
        j = min(fine)
        notes.append(f"jump {_num(j)} pixel: {_num(1 / j)} features per input pixel (upsampled)")
    return notes


def tikz_figure(
    net: Any,
    layer: str | None = None,
    features: Sequence[Sequence[int]] | Sequence[int] | None = None,
    *,
    width: str = "6cm",
    input: Any = None,
    convention: str = "framework",
    origin: Any = Fraction(1, 2),
    caption: str | None = None,
    label: str | None = None,
    floating: bool = False,
    dims: int | None = None,
    axes: Sequence[int] | None = None,
    sample_rate: Any = None,
    units: Any = None,
) -> str:
    r"""A ``tikzpicture`` of the input grid (blue), padding cells (dashed), the feature centres of
    ``layer`` (green dots) and the receptive fields of ``features`` (orange boxes).

    ``width`` is a TeX length in cm, mm, pt or in.  With ``floating`` (or a
    caption or label) it is wrapped in a ``figure`` environment.  ``dims`` and
    ``axes`` as for :func:`figure_geometry`.  Needs only the ``tikz`` package;
    at most :data:`MAX_SHOWN` feature centres per axis are drawn, so the
    picture compiles quickly whatever the model.
    """
    if units is not None and units.unit == "ms" and sample_rate is None:
        sample_rate = 1000 / units.scale  # a time axis: 1-D
    g = figure_geometry(
        net, layer, features, input=input, convention=convention, origin=origin, dims=dims, axes=axes,
        sample_rate=sample_rate,
    )  # fmt: skip
    value, unit = _split_length(width)
    lines = [
        f"% rfsym: receptive fields of {tex_text(g.network)} / {tex_text(g.layer)}; input "
        f"{'x'.join(str(s) for s in g.size)}, jump {_num(g.jump[0])}, receptive field "
        f"{'x'.join(_num(r) for r in g.rf)}"
    ]
    lines += _tikz_1d(g, value, unit) if g.dims == 1 else _tikz_2d(g, value, unit)
    body = "\n".join(lines) + "\n"
    if not (floating or caption or label):
        return body
    if caption is None:
        what = "input samples" if g.dims == 1 else "input pixels"
        caption = (
            rf"Receptive fields in \texttt{{{tex_text(g.network)}}}, layer \texttt{{{tex_text(g.layer)}}}: "
            rf"{what} (blue), padding (dashed), feature centres (green) and the receptive fields of "
            r"the marked features (orange)."
        )
        if units is not None:
            caption += (
                rf" Receptive field ${'$, $'.join(units.tex(r) for r in g.rf)}$, jump "
                rf"${'$, $'.join(units.tex(j) for j in g.jump)}$."
            )
        notes = figure_notes(g)
        if notes:
            caption += " " + _notes_tex(notes) + "."
    out = [r"\begin{figure}[htbp]", r"\centering", body.rstrip("\n"), r"\caption{" + caption + "}"]
    if label:
        out.append(r"\label{" + label + "}")
    out.append(r"\end{figure}")
    return "\n".join(out) + "\n"


def _notes_tex(notes: list[str]) -> str:
    """The notes as LaTeX text: capitalised sentences, `` x `` between per-axis counts as a times sign."""
    text = "; ".join(notes)
    parts = [tex_text(p) for p in text.split(" x ")]
    out = r" $\times$ ".join(parts)
    return out[:1].upper() + out[1:]


def _dot(g: Figure, cells: int) -> float:
    """Dot radius: about 1.2 pt at the picture's width, never more than a third of the drawn spacing."""
    gaps = []
    for k in range(g.dims):
        s = g.shown[k]
        if len(s) > 1:
            gaps.append(float(g.jump[k]) * min(b - a for a, b in zip(s, s[1:])))
    spacing = min(gaps) if gaps else float(cells)
    return max(0.003 * cells, min(0.3 * spacing, 0.012 * cells))


def _tikz_2d(g: Figure, value: float, unit: str) -> list[str]:
    lo_y, lo_x = -g.pad_before[0], -g.pad_before[1]
    hi_y, hi_x = g.size[0] + g.pad_after[0], g.size[1] + g.pad_after[1]
    cells = max(hi_x - lo_x, hi_y - lo_y)
    u = f"{value / cells:.6g}{unit}"
    thin = "very thin"
    dot = _dot(g, cells)
    fine = cells <= FINE_CELLS  # pixel grid lines only while they stay visible
    lines = [rf"\begin{{tikzpicture}}[x={u}, y=-{u}]"]
    if (lo_x, lo_y, hi_x, hi_y) != (0, 0, g.size[1], g.size[0]):
        if fine:
            lines.append(_grid("gray!60, dashed, " + thin, lo_x, lo_y, hi_x, hi_y))
        else:
            lines.append(rf"  \filldraw[fill=gray!10, draw=gray!60, dashed] ({lo_x},{lo_y}) rectangle ({hi_x},{hi_y});")
    lines.append(rf"  \fill[blue!12] (0,0) rectangle ({g.size[1]},{g.size[0]});")
    if fine:
        lines.append(_grid("blue!45, " + thin, 0, 0, g.size[1], g.size[0]))
    lines.append(rf"  \draw[blue!70!black] (0,0) rectangle ({g.size[1]},{g.size[0]});")
    ys = ",".join(_num(c) for c in g.centres[0])
    xs = ",".join(_num(c) for c in g.centres[1])
    lines.append(
        rf"  \foreach \y in {{{ys}}} \foreach \x in {{{xs}}} \fill[green!50!black] (\x,\y) circle[radius={dot:.3g}];"
    )
    for f in g.features:
        y0, x0, y1, x1 = g.box(f)
        cy, cx = g.centre(0, f[0]), g.centre(1, f[1])
        lines.append(rf"  \draw[orange!90!black, thick] ({_num(x0)},{_num(y0)}) rectangle ({_num(x1)},{_num(y1)});")
        lines.append(rf"  \fill[orange!90!black] ({_num(cx)},{_num(cy)}) circle[radius={1.8 * dot:.3g}];")
    lines.append(r"\end{tikzpicture}")
    return lines


def strip_layout(g: Figure) -> tuple[int, int, float, list[float]]:
    """A 1-D picture's layout: (lo, hi) of the drawn cells, the strip height, and the height of each chosen
    feature's interval (below the strip, one row per feature) -- shared by TikZ and matplotlib."""
    lo, hi = -g.pad_before[0], g.size[0] + g.pad_after[0]
    h = 0.06 * (hi - lo)
    return lo, hi, h, [h * (2.2 + 1.1 * i) for i in range(len(g.features))]


def _tikz_1d(g: Figure, value: float, unit: str) -> list[str]:
    lo, hi, h, rows = strip_layout(g)
    u = f"{value / (hi - lo):.6g}{unit}"
    dot = min(_dot(g, hi - lo), 0.35 * h)
    lines = [rf"\begin{{tikzpicture}}[x={u}, y=-{u}]"]
    if (lo, hi) != (0, g.size[0]):
        lines.append(rf"  \filldraw[fill=gray!10, draw=gray!60, dashed] ({lo},0) rectangle ({hi},{h:.4g});")
    lines.append(rf"  \fill[blue!12] (0,0) rectangle ({g.size[0]},{h:.4g});")
    if hi - lo <= FINE_CELLS:
        lines.append(rf"  \foreach \i in {{0,...,{g.size[0]}}} \draw[blue!45, very thin] (\i,0) -- (\i,{h:.4g});")
    lines.append(rf"  \draw[blue!70!black] (0,0) rectangle ({g.size[0]},{h:.4g});")
    xs = ",".join(_num(c) for c in g.centres[0])
    lines.append(rf"  \foreach \x in {{{xs}}} \fill[green!50!black] (\x,{-0.9 * h:.4g}) circle[radius={dot:.3g}];")
    for f, y in zip(g.features, rows):
        x0, x1 = g.box(f)
        c = g.centre(0, f[0])
        lines.append(rf"  \draw[orange!90!black, thick, |-|] ({_num(x0)},{y:.4g}) -- ({_num(x1)},{y:.4g});")
        lines.append(rf"  \fill[orange!90!black] ({_num(c)},{y:.4g}) circle[radius={1.5 * dot:.3g}];")
        lines.append(rf"  \draw[orange!90!black, densely dotted] ({_num(c)},{-0.9 * h:.4g}) -- ({_num(c)},{y:.4g});")
    lines.append(r"\end{tikzpicture}")
    return lines


def _grid(style: str, x0: int, y0: int, x1: int, y1: int) -> str:
    """Unit grid lines (explicit loops: TikZ's ``grid`` takes a unitless step in cm, not in x/y units)."""
    return (
        rf"  \foreach \i in {{{x0},...,{x1}}} \draw[{style}] (\i,{y0}) -- (\i,{y1});" + "\n"
        rf"  \foreach \i in {{{y0},...,{y1}}} \draw[{style}] ({x0},\i) -- ({x1},\i);"
    )


def _split_length(width: str) -> tuple[float, str]:
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(cm|mm|pt|in)\s*", str(width))
    if not m or float(m.group(1)) <= 0:
        raise RfsymError(f"figure width must be a positive length in cm, mm, pt or in (got {width!r})")
    return float(m.group(1)), m.group(2)
