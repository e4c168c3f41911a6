r"""The seed post's receptive-field picture as TikZ.

The picture of Dang Ha The Hien's *A guide to receptive field arithmetic for
convolutional neural networks* (2017), right column: the input grid with its
padding cells, the features of one layer drawn at the centres of their
receptive fields (``start + i j`` on each axis), and the receptive-field
boxes (side ``r``) of some chosen features.  :mod:`rfsym.plot` draws the same
:class:`Figure` geometry with matplotlib.

Coordinates: pixel ``i`` covers ``[i, i + 1]`` in the picture, whatever the
table's origin (its centre is ``origin + i`` in table coordinates).

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

__all__ = ["Figure", "figure_geometry", "tikz_figure"]


@dataclass(frozen=True)
class Figure:
    """Geometry of the picture, two axes (rows, columns), in pixel-edge coordinates."""

    network: str
    layer: str
    size: tuple[int, int]  # input pixels per axis
    pad_before: tuple[int, int]  # padding cells drawn before pixel 0
    pad_after: tuple[int, int]  # padding cells drawn after the last pixel
    centres: tuple[tuple[Fraction, ...], tuple[Fraction, ...]]  # feature centres per axis
    rf: tuple[Fraction, Fraction]  # receptive-field side per axis
    jump: tuple[Fraction, Fraction]
    features: tuple[tuple[int, int], ...]  # chosen features (row, column), 0-based

    def box(self, feature: tuple[int, int]) -> tuple[Fraction, Fraction, Fraction, Fraction]:
        """(row0, col0, row1, col1) of a feature's receptive field."""
        i, k = feature
        cy, cx = self.centres[0][i], self.centres[1][k]
        hy, hx = self.rf[0] / 2, self.rf[1] / 2
        return cy - hy, cx - hx, cy + hy, cx + hx


def _number(v: Any, what: str, layer: str) -> Fraction:
    v = A.norm(v)
    if not A.is_num(v):
        raise RfsymError(
            f"{term_text(layer)}: {what} is symbolic ({v}); a figure needs numbers (substitute values with net.subs)"
        )
    return Fraction(v)


#: the largest input, and the most features, a figure draws per axis (checked before the work)
MAX_FIGURE_SIZE = 1024


def check_figure_size(net: Any, input: Any = None, hint: str = "", layer: str | None = None) -> None:
    """Raise RfsymError when the input of ``net`` is too large to draw (more than MAX_FIGURE_SIZE per axis)."""
    where = term_text(net.name) + (f": {term_text(layer)}" if layer else "")
    for n in net.axes_input(input):
        v = A.norm(n)
        if A.is_num(v) and v > MAX_FIGURE_SIZE:
            raise RfsymError(
                f"{where}: a figure draws at most {MAX_FIGURE_SIZE} input pixels per axis (input {A.fmt(v)}){hint}"
            )


def figure_geometry(
    net: Any,
    layer: str | None = None,
    features: Sequence[Sequence[int]] | Sequence[int] | None = None,
    *,
    input: Any = None,
    convention: str = "framework",
    origin: Any = Fraction(1, 2),
) -> Figure:
    """The picture's geometry for one layer of ``net`` (default: the deepest layer with at least two
    features per axis, else the last).

    ``features`` are 0-based (row, column) indices, or single indices for both
    axes; the default is the first and the last feature.
    """
    check_figure_size(net, input, layer=layer)
    table = net.table(input=input, convention=convention, origin=origin)
    if layer is None:
        # the deepest layer with at least two features per axis shows the most; else the output
        row = table.rows[-1]
        for cand in reversed(table.rows[1:]):
            if all(A.is_num(st.n) and st.n >= 2 for st in cand.states):
                row = cand
                break
    else:
        try:
            row = table[layer]
        except KeyError:
            names = ", ".join(r.name for r in table.rows)
            raise RfsymError(
                f"{term_text(net.name)}: no layer named {term_text(repr(layer))} (layers: {term_text(names)})"
            ) from None
    states = row.states if len(row.states) >= 2 else (row.states[0], row.states[0])
    inputs = table.input if len(table.input) >= 2 else (table.input[0], table.input[0])
    if len(states) > 2:
        raise RfsymError(f"{term_text(net.name)}: figures draw two axes; this network has {len(states)}")
    o = Fraction(A.norm(table.origin))
    size = tuple(int(_number(n, "the input size", row.name)) for n in inputs)
    ns = [int(_number(s.n, "n", row.name)) for s in states]
    if max(ns) > MAX_FIGURE_SIZE:
        raise RfsymError(
            f"{term_text(row.name)}: a figure draws at most {MAX_FIGURE_SIZE} features per axis (n = {max(ns)})"
        )
    js = [_number(s.j, "j", row.name) for s in states]
    rs = [_number(s.r, "r", row.name) for s in states]
    starts = [_number(s.start, "start", row.name) - o + Fraction(1, 2) for s in states]
    centres = tuple(tuple(st + i * j for i in range(n)) for st, j, n in zip(starts, js, ns))
    if features is None:
        feats: list[tuple[int, int]] = [(0, 0)]
        if ns[0] > 1 or ns[1] > 1:
            feats.append((ns[0] - 1, ns[1] - 1))
    else:
        feats = []
        for f in features:
            pair = (int(f), int(f)) if isinstance(f, int) else tuple(int(x) for x in f)  # type: ignore[arg-type]
            if len(pair) != 2:
                raise RfsymError(f"a feature is (row, column) (got {f!r})")
            for ax, (i, n) in enumerate(zip(pair, ns)):
                if not 0 <= i < n:
                    raise RfsymError(
                        f"{term_text(row.name)}: feature index {i} on axis {ax} is out of range 0..{n - 1}"
                    )
            feats.append(pair)  # type: ignore[arg-type]
    before = tuple(max(0, math.ceil(rs[a] / 2 - centres[a][0])) for a in range(2))
    after = tuple(max(0, math.ceil(centres[a][-1] + rs[a] / 2 - size[a])) for a in range(2))
    return Figure(
        network=net.name,
        layer=row.name,
        size=size,  # type: ignore[arg-type]
        pad_before=before,  # type: ignore[arg-type]
        pad_after=after,  # type: ignore[arg-type]
        centres=centres,  # type: ignore[arg-type]
        rf=(rs[0], rs[1]),
        jump=(js[0], js[1]),
        features=tuple(feats),
    )


def _num(v: Fraction | int) -> str:
    v = Fraction(v)
    if v.denominator == 1:
        return str(v.numerator)
    s = f"{float(v):.4f}".rstrip("0").rstrip(".")
    return s


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
) -> str:
    r"""A ``tikzpicture`` of the input grid (blue), padding cells (dashed), the feature centres of
    ``layer`` (green dots) and the receptive fields of ``features`` (orange boxes).

    ``width`` is a TeX length in cm, mm, pt or in.  With ``floating`` (or a
    caption or label) it is wrapped in a ``figure`` environment.  Needs only
    the ``tikz`` package.
    """
    g = figure_geometry(net, layer, features, input=input, convention=convention, origin=origin)
    value, unit = _split_length(width)
    lo_y, lo_x = -g.pad_before[0], -g.pad_before[1]
    hi_y, hi_x = g.size[0] + g.pad_after[0], g.size[1] + g.pad_after[1]
    cells = max(hi_x - lo_x, hi_y - lo_y)
    scale = value / cells
    u = f"{scale:.6g}{unit}"
    thin = "very thin"
    dot = min(0.3 * float(min(g.jump)), max(0.18, 0.01 * cells))
    fine = cells <= 64  # pixel grid lines only while they stay visible
    lines = [
        f"% rfsym: receptive fields of {tex_text(g.network)} / {tex_text(g.layer)}; input {g.size[0]}x{g.size[1]}, "
        f"jump {_num(g.jump[0])}, receptive field {_num(g.rf[0])}x{_num(g.rf[1])}",
        rf"\begin{{tikzpicture}}[x={u}, y=-{u}]",
    ]
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
        cy, cx = g.centres[0][f[0]], g.centres[1][f[1]]
        lines.append(rf"  \draw[orange!90!black, thick] ({_num(x0)},{_num(y0)}) rectangle ({_num(x1)},{_num(y1)});")
        lines.append(rf"  \fill[orange!90!black] ({_num(cx)},{_num(cy)}) circle[radius={1.8 * dot:.3g}];")
    lines.append(r"\end{tikzpicture}")
    body = "\n".join(lines) + "\n"
    if not (floating or caption or label):
        return body
    if caption is None:
        caption = (
            rf"Receptive fields in \texttt{{{tex_text(g.network)}}}, layer \texttt{{{tex_text(g.layer)}}}: "
            r"input pixels (blue), padding (dashed), feature centres (green) and the receptive fields of "
            r"the marked features (orange)."
        )
    out = [r"\begin{figure}[htbp]", r"\centering", body.rstrip("\n"), r"\caption{" + caption + "}"]
    if label:
        out.append(r"\label{" + label + "}")
    out.append(r"\end{figure}")
    return "\n".join(out) + "\n"


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
