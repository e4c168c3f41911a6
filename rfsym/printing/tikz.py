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
as intervals; one picture of an N-D network (:func:`figure_geometry`) draws
two of its axes (default the last two) and says which.  A layer whose jump is
below one pixel (upsampling) is said to have ``1/j`` features per pixel in the
caption.  :func:`figure_plan` decides what a figure draws (:func:`tikz_figure`
and :func:`rfsym.plot.rf_figure` follow it).

Centres that do not sit on a pixel centre (between input pixels: on a pixel edge
after a 2x2 pooling, or at a fraction of a pixel after upsampling) are drawn as
rings, the others as dots, and a legend under the picture says so -- with
``j = 1/2: two features per input pixel`` when the jump is not a whole number.
An N-D network whose axes differ (anisotropic kernels or strides: a video, a
volume with a coarser slice axis) is drawn as one strip per group of equal axes,
each labelled with its axes (``layout="axes"`` asks for it, ``layout="single"``
for one picture); an isotropic network keeps its 2-D picture.

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

__all__ = [
    "LAYOUTS",
    "MAX_PANELS",
    "MAX_SHOWN",
    "Figure",
    "FigurePlan",
    "default_dims",
    "figure_geometry",
    "figure_legend",
    "figure_notes",
    "figure_plan",
    "on_pixel_centre",
    "strip_layout",
    "tikz_figure",
]


#: chosen features: each one index per drawn axis (a tuple) or one index standing for every axis
Features = Sequence[Sequence[int] | int] | None


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
    same: tuple[int, ...] = ()  # a per-axis strip: every network axis it stands for (equal to the drawn one)

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

    def on_grid(self, k: int) -> tuple[bool, ...]:
        """Per drawn feature on axis ``k``: True when its centre sits on a pixel centre."""
        return tuple(on_pixel_centre(self.centre(k, i)) for i in self.shown[k])

    @property
    def between_pixels(self) -> bool:
        """True when some drawn centre is not on a pixel centre (drawn as a ring)."""
        return not all(all(self.on_grid(k)) for k in range(self.dims))

    @property
    def which(self) -> str:
        """The network axes this picture shows, as words: ``axis 0``, ``axes 1 and 2``."""
        ax = self.same or self.axes
        if len(ax) == 1:
            return f"axis {ax[0]}"
        return "axes " + ", ".join(str(a) for a in ax[:-1]) + f" and {ax[-1]}"

    def box(self, feature: Sequence[int]) -> tuple[Fraction, ...]:
        """(row0, col0, row1, col1) of a feature's receptive field; (x0, x1) in a 1-D picture."""
        lo = [self.centre(k, i) - self.rf[k] / 2 for k, i in enumerate(feature)]
        hi = [self.centre(k, i) + self.rf[k] / 2 for k, i in enumerate(feature)]
        return (*lo, *hi)


def on_pixel_centre(c: Fraction) -> bool:
    """True when picture coordinate ``c`` is a pixel centre (pixel ``i`` covers ``[i, i + 1]``)."""
    return (Fraction(c) - Fraction(1, 2)).denominator == 1


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
#: strips drawn at most in the per-axis layout (one per group of equal axes; the caption names the rest)
MAX_PANELS = 6
#: ``layout`` of a figure: ``auto`` (per axis where the axes differ), ``axes`` (one strip per group of
#: equal axes), ``single`` (one picture: 1-D, or two axes)
LAYOUTS = ("auto", "axes", "single")


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
    features: Features = None,
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
    plan = figure_plan(
        net,
        layer,
        features,
        input=input,
        convention=convention,
        origin=origin,
        dims=dims,
        axes=axes,
        sample_rate=sample_rate,
        layout="single",
    )
    return plan.pictures[0]


def _geometry(
    net: Any, table: Any, row: Any, drawn: tuple[int, ...], features: Any, same: tuple[int, ...] = ()
) -> Figure:
    """The Figure of ``row`` of ``table`` on the network axes ``drawn``."""
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
        ndim=len(table.input),
        count=tuple(ns),
        first=tuple(firsts),
        shown=shown,
        same=same,
    )


@dataclass(frozen=True)
class FigurePlan:
    """What a figure draws: ``pictures`` (one picture, or one strip per group of equal axes) of the chosen
    layer, and ``upsampled`` (the same for the first upsampling layer, or empty); ``left_out`` are axis
    groups not drawn (more than :data:`MAX_PANELS`)."""

    pictures: tuple[Figure, ...]
    upsampled: tuple[Figure, ...] = ()
    left_out: tuple[tuple[int, ...], ...] = ()

    @property
    def per_axis(self) -> bool:
        """True for the per-axis layout (strips, each standing for a group of equal axes)."""
        return bool(self.pictures[0].same)


def figure_plan(
    net: Any,
    layer: str | None = None,
    features: Features = None,
    *,
    input: Any = None,
    convention: str = "framework",
    origin: Any = Fraction(1, 2),
    dims: int | None = None,
    axes: Sequence[int] | None = None,
    sample_rate: Any = None,
    layout: str = "auto",
    upsampled: bool = False,
) -> FigurePlan:
    """The pictures of a figure, computed from one table of ``net``.

    ``layout``: ``"single"`` draws one picture (:func:`figure_geometry`); ``"axes"``
    one 1-D strip per group of equal axes (equal input size and equal n, j, r
    and start of the drawn layer), at most :data:`MAX_PANELS`; ``"auto"``
    (default) draws per axis when ``dims``, ``axes`` and a sample rate are not
    given and the drawn layer's axes differ (a volume: any two of its axes; an
    image: in j, r or start, not only in size), else one picture.  In the
    per-axis layout a feature is one index per network axis (or one index for
    every axis).  ``upsampled``
    (with ``layer`` None) also draws the first layer whose jump is smaller than
    its inputs' (upsampling, a transposed convolution), when it is not the
    drawn layer.
    """
    if layout not in LAYOUTS:
        raise RfsymError(f"figure layout must be one of {', '.join(LAYOUTS)} (got {layout!r})")
    check_figure_size(net, input, layer=layer)
    table = net.table(input=input, convention=convention, origin=origin)
    nax = len(table.input)
    picked = dims is not None or axes is not None or sample_rate is not None
    if layout == "axes" and picked:
        raise RfsymError("a per-axis figure draws every axis: leave out dims, axes and the sample rate")
    if layout == "axes" or (layout == "auto" and not picked and nax > 1):
        row = _pick_row(table, layer, tuple(range(nax)), net)
        groups = _equal_axes(table, row)
        if layout == "axes" or _axes_differ(row, groups, nax):
            keep, rest = groups[:MAX_PANELS], groups[MAX_PANELS:]

            def strips(r: Any) -> tuple[Figure, ...]:
                return tuple(_geometry(net, table, r, (g[0],), _axis_features(features, g[0], nax), g) for g in keep)

            up = _upsampled_row(net, table, row, range(nax)) if upsampled and layer is None else None
            return FigurePlan(strips(row), strips(up) if up is not None else (), tuple(rest))
    drawn = _drawn_axes(nax, dims, axes, net, sample_rate)
    row = _pick_row(table, layer, drawn, net)
    up = _upsampled_row(net, table, row, set(drawn)) if upsampled and layer is None else None
    pics = (_geometry(net, table, row, drawn, features),)
    return FigurePlan(pics, (_geometry(net, table, up, drawn, None),) if up is not None else ())


def _axes_differ(row: Any, groups: list[tuple[int, ...]], nax: int) -> bool:
    """The automatic per-axis rule, on the drawn layer: a volume (3 or more axes) whose axes are not all
    equal; an image whose axes differ in j, r or start (not only in size: a 224x320 image stays 2-D)."""
    if nax >= 3:
        return len(groups) > 1
    vals = {(str(A.norm(s.j)), str(A.norm(s.r)), str(A.norm(s.start))) for s in row.states}
    return len(vals) > 1


def _equal_axes(table: Any, row: Any) -> list[tuple[int, ...]]:
    """The network's axes grouped by equal pictures of ``row`` (input size, n, j, r, start)."""
    groups: dict[str, list[int]] = {}
    for a, s in enumerate(row.states):
        key = repr([str(A.norm(v)) for v in (table.input[a], s.n, s.j, s.r, s.start)])
        groups.setdefault(key, []).append(a)
    return [tuple(g) for g in groups.values()]


def _axis_features(features: Any, axis: int, nax: int) -> Any:
    """The features of a per-axis strip: index ``axis`` of each (one index per network axis, or one)."""
    if features is None:
        return None
    out = []
    for f in features:
        idx = (int(f),) if isinstance(f, int) else tuple(int(x) for x in f)
        if len(idx) not in (1, nax):
            raise RfsymError(f"a feature of a per-axis figure is one index per axis ({nax}) or one index (got {f!r})")
        out.append((idx[0] if len(idx) == 1 else idx[axis],))
    return out


def _upsampled_row(net: Any, table: Any, row: Any, axes: Any) -> Any:
    """The first layer whose jump is smaller than its input's (its graph inputs', or the previous row's in a
    sequential network) on one of ``axes`` (numbers only), if it is not ``row``; else None."""
    axes = list(axes)
    by_name = {r.name: r for r in table.rows}
    inputs_of = getattr(net, "inputs_of", None)
    for prev, cand in zip(table.rows, table.rows[1:]):
        below = [prev]
        if inputs_of is not None:
            try:
                names = list(inputs_of(cand.name))
            except (KeyError, ValueError, RfsymError):
                names = []
            if names and all(n in by_name for n in names):
                below = [by_name[n] for n in names]
        for a in axes:
            jc = A.norm(cand.states[a].j)
            jps = [A.norm(b.states[a].j) for b in below]
            if A.is_num(jc) and all(A.is_num(jp) for jp in jps) and all(jc < jp for jp in jps):
                return None if cand.name == row.name else cand
    return None


def _num(v: Fraction | int) -> str:
    v = Fraction(v)
    if v.denominator == 1:
        return str(v.numerator)
    s = f"{float(v):.4f}".rstrip("0").rstrip(".")
    return s


def figure_notes(g: Figure) -> list[str]:
    """Sentences (plain text) about what the picture leaves out or compresses: the axes drawn of an N-D
    network (a per-axis strip's label says it instead), sampled feature centres, features closer than a
    pixel."""
    notes = []
    if not g.same and (g.ndim > 2 or (g.ndim == 2 and g.dims == 1)):
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


_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine"}


def _cell(g: Figure) -> str:
    """What one input cell is called: a sample in a 1-D picture of a 1-D network, else a pixel."""
    return "sample" if g.dims == 1 and not g.same else "pixel"


def _per_pixel(j: Fraction, cell: str = "pixel") -> str:
    """``j = 1/2: two features per input pixel`` (j = p/q: q features per p input pixels)."""
    p, q = j.numerator, j.denominator
    feats = f"{_WORDS.get(q, q)} features"
    per = f"per input {cell}" if p == 1 else f"per {_WORDS.get(p, p)} input {cell}s"
    return f"j = {p}/{q}: {feats} {per}"


def figure_legend(g: Figure) -> list[tuple[str, str]]:
    """The legend under a picture: (``"dot"``, ``"ring"`` or ``"note"``, plain text), shared by TikZ and
    matplotlib.  Dots and rings are named when some drawn centre is not a pixel centre; a jump that is not a
    whole number (on an axis with two or more features) gets its note, such as ``j = 1/2: two features per
    input pixel``; empty when there is nothing to explain."""
    out = []
    if g.between_pixels:
        if all(any(g.on_grid(k)) for k in range(g.dims)):
            out.append(("dot", f"feature centre on a {_cell(g)} centre"))
        out.append(("ring", f"feature centre between input {_cell(g)}s"))
    fractional = [(k, j) for k, j in enumerate(g.jump) if j.denominator != 1 and g.count[k] > 1]
    names = ("rows", "columns") if g.dims == 2 else ("",)
    if len({j for _, j in fractional}) == 1 and (g.dims == 1 or len(fractional) == 2):
        each = " along each axis" if g.dims == 2 else ""  # 2-D: four features per pixel for j = 1/2
        out.append(("note", _per_pixel(fractional[0][1], _cell(g)) + each))
    else:
        out += [("note", f"{names[k]}: {_per_pixel(j)}") for k, j in fractional]
    return out


def _legend_tex(g: Figure, x: Any, y: Any, value: float, unit: str) -> list[str]:
    r"""The legend as one TikZ node at (x, y), below the picture ($\bullet$ dots, $\circ$ rings)."""
    entries = figure_legend(g)
    if not entries:
        return []
    mark = {"dot": r"\textcolor{green!50!black}{$\bullet$} ", "ring": r"\textcolor{green!50!black}{$\circ$} "}
    text = []
    for kind, words in entries:
        tex = re.sub(r"j = ([0-9]+/[0-9]+)", r"$j = \1$", tex_text(words))
        text.append(mark.get(kind, "") + tex)
    joined = r" \\ ".join(text)
    return [
        rf"  \node[anchor=north west, align=left, font=\footnotesize, inner sep=0pt, yshift=-3pt, "
        rf"text width={_len(0.95 * value, unit)}] at ({x},{y}) {{{joined}}};"
    ]


def tikz_figure(
    net: Any,
    layer: str | None = None,
    features: Features = None,
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
    layout: str = "auto",
    upsampled: bool = False,
) -> str:
    r"""A ``tikzpicture`` of the input grid (blue), padding cells (dashed), the feature centres of
    ``layer`` (green dots; rings for centres between input pixels) and the receptive fields of
    ``features`` (orange boxes).

    ``width`` is a TeX length in cm, mm, pt or in (of each picture).  With
    ``floating`` (or a caption or label) it is wrapped in a ``figure``
    environment.  ``dims``, ``axes``, ``layout`` and ``upsampled`` as for
    :func:`figure_plan`: an N-D network whose axes differ draws one labelled
    strip per group of equal axes; the first upsampling layer (``upsampled``)
    is drawn in a second figure (label ``<label>-up``).  Needs only the
    ``tikz`` package; at most :data:`MAX_SHOWN` feature centres per axis are
    drawn, so the picture compiles quickly whatever the model.
    """
    if units is not None and units.unit == "ms" and sample_rate is None:
        sample_rate = 1000 / units.scale  # a time axis: 1-D
    plan = figure_plan(
        net, layer, features, input=input, convention=convention, origin=origin, dims=dims, axes=axes,
        sample_rate=sample_rate, layout=layout, upsampled=upsampled,
    )  # fmt: skip
    value, unit = _split_length(width)
    body = _pictures_tex(plan.pictures, value, unit)
    up = _pictures_tex(plan.upsampled, value, unit) if plan.upsampled else ""
    if not (floating or caption or label):
        return body + ("\\par\\bigskip\n" + up if up else "")
    out = _float(body, caption if caption is not None else _caption(plan, plan.pictures, units), label)
    if up:
        out += _float(up, _caption(plan, plan.upsampled, units, upsampled=True), label and f"{label}-up")
    return out


def _pictures_tex(pictures: Sequence[Figure], value: float, unit: str) -> str:
    """The tikzpictures of one figure, stacked (per-axis strips), each after its comment line."""
    out = []
    for g in pictures:
        lines = [
            f"% rfsym: receptive fields of {tex_text(g.network)} / {tex_text(g.layer)}"
            + (f" on {g.which}" if g.same else "")
            + f"; input {'x'.join(str(s) for s in g.size)}, jump {_num(g.jump[0])}, receptive field "
            f"{'x'.join(_num(r) for r in g.rf)}"
        ]
        lines += _tikz_1d(g, value, unit) if g.dims == 1 else _tikz_2d(g, value, unit)
        out.append("\n".join(lines) + "\n")
    return "\\par\\medskip\n".join(out)


def _float(body: str, caption: str, label: str | None) -> str:
    out = [r"\begin{figure}[htbp]", r"\centering", body.rstrip("\n"), r"\caption{" + caption + "}"]
    if label:
        out.append(r"\label{" + label + "}")
    out.append(r"\end{figure}")
    return "\n".join(out) + "\n"


def _caption(plan: FigurePlan, pictures: Sequence[Figure], units: Any, upsampled: bool = False) -> str:
    """The default caption: what is drawn, in which colours, which axis each strip shows, and the notes."""
    g = pictures[0]
    what = "input samples" if g.dims == 1 and not g.same else "input pixels"
    where = rf"layer \texttt{{{tex_text(g.layer)}}}"
    if upsampled:
        where += " (the first upsampled layer: its jump is smaller than its input's)"
    cap = (
        rf"Receptive fields in \texttt{{{tex_text(g.network)}}}, {where}: {what} (blue), padding (dashed), "
        r"feature centres (green) and the receptive fields of the marked features (orange)."
    )
    if any(p.between_pixels for p in pictures):
        cap += f" Rings: feature centres between input {_cell(g)}s."
    if plan.per_axis:
        names = [p.which for p in pictures]
        cap += f" One strip per group of equal axes, top to bottom: {'; '.join(names)} (of {g.ndim})."
        if plan.left_out:
            rest = ", ".join(" and ".join(map(str, grp)) for grp in plan.left_out)
            cap += f" Axes {rest} are not drawn (at most {MAX_PANELS} strips)."
    if units is not None and plan.per_axis:  # each strip's own values, named by its axes
        cap += (
            " "
            + "; ".join(
                rf"{'R' if i == 0 else 'r'}eceptive field ${units.tex(p.rf[0])}$, jump ${units.tex(p.jump[0])}$ on {p.which}"
                for i, p in enumerate(pictures)
            )
            + "."
        )
    elif units is not None:
        cap += (
            rf" Receptive field ${'$, $'.join(units.tex(r) for r in g.rf)}$, jump "
            rf"${'$, $'.join(units.tex(j) for j in g.jump)}$."
        )
    notes = list(dict.fromkeys(n for p in pictures for n in figure_notes(p)))
    if notes:
        cap += " " + _notes_tex(notes) + "."
    return cap


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


def _split_centres(g: Figure, k: int, sc: int) -> tuple[list[str], list[str]]:
    """The drawn centres on axis ``k`` as TikZ numbers: (on pixel centres, between pixels)."""
    on: list[str] = []
    off: list[str] = []
    for c, ok in zip(g.centres[k], g.on_grid(k)):
        (on if ok else off).append(_c(c, sc))
    return on, off


def _scale(cells: int) -> int:
    """A power of ten that brings a picture's coordinates to at most 16,000 units (TeX's dimensions end at
    16,384 pt; the pixel grid is then ``1/scale`` of a unit)."""
    scale = 1
    while cells / scale > 16_000:
        scale *= 10
    return scale


def _scale_comment(sc: int) -> list[str]:
    return [f"  % coordinates in units of {sc} pixels"] if sc > 1 else []


def _c(v: Fraction | int | float, scale: int = 1) -> str:
    """A coordinate as TikZ reads it (no exponent): exact while a finite decimal of at most 6 places, else
    rounded to 6."""
    if isinstance(v, float):
        return _c(Fraction(v).limit_denominator(10**6), scale)
    v = Fraction(v) / scale
    if v.denominator == 1:
        return str(v.numerator)
    return f"{float(v):.6f}".rstrip("0").rstrip(".")


def _len(v: float, unit: str) -> str:
    """A TeX length without an exponent."""
    return f"{v:.8f}".rstrip("0").rstrip(".") + unit


def _centre_marks(g: Figure, dot: float, ring_width: str, sc: int, y: str | None = None) -> list[str]:
    """The feature centres: dots on pixel centres, white rings between pixels (a 1-D strip at height ``y``)."""
    fill = r"\fill[green!50!black]"
    ring = rf"\filldraw[fill=white, draw=green!50!black, line width={ring_width}]"
    circle = f"circle[radius={_c(dot, sc)}]"
    if y is not None:
        on, off = _split_centres(g, 0, sc)
        return [
            rf"  \foreach \x in {{{','.join(xs)}}} {cmd} (\x,{y}) {circle};"
            for xs, cmd in ((on, fill), (off, ring))
            if xs
        ]
    ys_on, ys_off = _split_centres(g, 0, sc)
    xs_on, xs_off = _split_centres(g, 1, sc)
    lines = []
    for ys, xs, cmd in ((ys_on, xs_on, fill), (ys_on, xs_off, ring), (ys_off, xs_on + xs_off, ring)):
        if ys and xs:
            lines.append(
                rf"  \foreach \y in {{{','.join(ys)}}} \foreach \x in {{{','.join(xs)}}} {cmd} (\x,\y) {circle};"
            )
    return lines


def _tikz_2d(g: Figure, value: float, unit: str) -> list[str]:
    lo_y, lo_x = -g.pad_before[0], -g.pad_before[1]
    hi_y, hi_x = g.size[0] + g.pad_after[0], g.size[1] + g.pad_after[1]
    cells = max(hi_x - lo_x, hi_y - lo_y)
    sc = _scale(cells)
    u = _len(value * sc / cells, unit)
    thin = "very thin"
    dot = _dot(g, cells)
    fine = cells <= FINE_CELLS  # pixel grid lines only while they stay visible
    lines = [rf"\begin{{tikzpicture}}[x={u}, y=-{u}]", *_scale_comment(sc)]
    sy, sx = _c(g.size[0], sc), _c(g.size[1], sc)
    if (lo_x, lo_y, hi_x, hi_y) != (0, 0, g.size[1], g.size[0]):
        if fine:
            lines.append(_grid("gray!60, dashed, " + thin, lo_x, lo_y, hi_x, hi_y))
        else:
            lines.append(
                rf"  \filldraw[fill=gray!10, draw=gray!60, dashed] ({_c(lo_x, sc)},{_c(lo_y, sc)}) "
                rf"rectangle ({_c(hi_x, sc)},{_c(hi_y, sc)});"
            )
    lines.append(rf"  \fill[blue!12] (0,0) rectangle ({sx},{sy});")
    if fine:
        lines.append(_grid("blue!45, " + thin, 0, 0, g.size[1], g.size[0]))
    lines.append(rf"  \draw[blue!70!black] (0,0) rectangle ({sx},{sy});")
    lines += _centre_marks(g, dot, _len(0.35 * dot * value / cells, unit), sc)
    for f in g.features:
        y0, x0, y1, x1 = (_c(v, sc) for v in g.box(f))
        cy, cx = _c(g.centre(0, f[0]), sc), _c(g.centre(1, f[1]), sc)
        lines.append(rf"  \draw[orange!90!black, thick] ({x0},{y0}) rectangle ({x1},{y1});")
        lines.append(rf"  \fill[orange!90!black] ({cx},{cy}) circle[radius={_c(1.8 * dot, sc)}];")
    lines += _legend_tex(g, _c(lo_x, sc), _c(hi_y, sc), value, unit)
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
    sc = _scale(hi - lo)
    u = _len(value * sc / (hi - lo), unit)
    dot = min(_dot(g, hi - lo), 0.35 * h)
    sh, top, n = _y(h, sc), _y(-0.9 * h, sc), _c(g.size[0], sc)
    lines = [rf"\begin{{tikzpicture}}[x={u}, y=-{u}]", *_scale_comment(sc)]
    if g.same:  # a per-axis strip says which axes it shows
        lines.append(
            rf"  \node[anchor=south west, font=\footnotesize, inner sep=0pt] at ({_c(lo, sc)},{_y(-1.45 * h, sc)}) "
            rf"{{{g.which}}};"
        )
    if (lo, hi) != (0, g.size[0]):
        lines.append(
            rf"  \filldraw[fill=gray!10, draw=gray!60, dashed] ({_c(lo, sc)},0) rectangle ({_c(hi, sc)},{sh});"
        )
    lines.append(rf"  \fill[blue!12] (0,0) rectangle ({n},{sh});")
    if hi - lo <= FINE_CELLS:
        lines.append(rf"  \foreach \i in {{0,...,{g.size[0]}}} \draw[blue!45, very thin] (\i,0) -- (\i,{sh});")
    lines.append(rf"  \draw[blue!70!black] (0,0) rectangle ({n},{sh});")
    lines += _centre_marks(g, dot, _len(0.35 * dot * value / (hi - lo), unit), sc, y=top)
    for f, row in zip(g.features, rows):
        x0, x1 = (_c(v, sc) for v in g.box(f))
        c, y = _c(g.centre(0, f[0]), sc), _y(row, sc)
        lines.append(rf"  \draw[orange!90!black, thick, |-|] ({x0},{y}) -- ({x1},{y});")
        lines.append(rf"  \fill[orange!90!black] ({c},{y}) circle[radius={_c(1.5 * dot, sc)}];")
        lines.append(rf"  \draw[orange!90!black, densely dotted] ({c},{top}) -- ({c},{y});")
    lines += _legend_tex(g, _c(lo, sc), _y((rows[-1] if rows else h) + 0.5 * h, sc), value, unit)
    lines.append(r"\end{tikzpicture}")
    return lines


def _y(v: float, sc: int) -> str:
    """A strip's height coordinate: four significant digits (as before), never an exponent."""
    v = v / sc
    return f"{v:.4g}" if abs(v) < 1000 else f"{v:.0f}"


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
