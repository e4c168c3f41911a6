r"""Per-layer tables: one renderer per format (text, Markdown, HTML, LaTeX), one set of symbols.

Every entry point (``Table.to_text``/``to_markdown``/``to_latex``, Jupyter's
``_repr_html_``, ``rfsym table --format …``, graph tables) renders through
this module.  Columns: ``layer, kernel, stride, padding, dilation, n, j, r,
start, P``; pick any of them in any order.  The symbols are the same in every
format:

========================  ==================  =========================
cell                      text, Markdown, HTML  LaTeX
========================  ==================  =========================
no value (the input row)  ``-``               ``--`` (an en dash)
one value per axis        ``(3, 5)``          ``(3, 5)``
left and right padding    ``1,0``             ``1,0``
a pair on one axis        ``((1,0), 1)``      ``((1,0), 1)``
========================  ==================  =========================

Values equal on every axis print once (``3``, ``1,0``); a tuple is never
written ``3x5``, which reads as a product (docs/notation.md, "Axes").

Symbolic LaTeX cells are set in math mode with rfsym's printer; finite
decimals such as ``5.5`` print as decimals, like the seed post's table.
Names (of the network, its layers and nodes) are escaped for the terminal
(:func:`rfsym._display.term_text`), HTML and LaTeX (:mod:`rfsym.printing.escape`).

>>> from rfsym import load
>>> t = load("alexnet").table()
>>> print(table_markdown(t, columns=["layer", "r", "start"]).splitlines()[3])
| conv1 | 11 | 5.5 |
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from .. import _arith as A
from .._display import term_text
from ..errors import RfsymError
from ..network import is_pass_through
from .escape import tex_math_text, tex_text
from .units import UNIT_QUANTITIES, finite_decimal

if TYPE_CHECKING:
    from ..network import Table
    from .printer import RfsymLatexPrinter

__all__ = [
    "COLUMNS",
    "block_table_latex",
    "paper_columns",
    "table_cells",
    "table_html",
    "table_latex",
    "table_markdown",
    "table_text",
]

COLUMNS = ("layer", "kernel", "stride", "padding", "dilation", "n", "j", "r", "start", "P")
_PARAM = {"kernel": "k", "stride": "s", "padding": "p", "dilation": "d"}
_STATE = {"n": "n", "j": "j", "r": "r", "start": "start", "P": "effective_padding"}
SIZES = ("tiny", "scriptsize", "footnotesize", "small", "normalsize")
#: the one set of symbols: (no value, between axes of a tuple, between left and right padding)
NONE, AXES, PAIR = "-", ", ", ","


def _check_columns(columns: Sequence[str]) -> tuple[str, ...]:
    if isinstance(columns, str):
        columns = [c.strip() for c in columns.split(",") if c.strip()]
    cols = tuple(columns)
    if not cols:
        raise RfsymError("a table needs at least one column")
    for c in cols:
        if c not in COLUMNS:
            raise RfsymError(f"unknown table column {c!r} (choose from {', '.join(COLUMNS)})")
    if len(set(cols)) != len(cols):
        raise RfsymError(f"table columns repeat: {', '.join(cols)}")
    return cols


def decimal_text(v: Any) -> str | None:
    """``5.5`` for a Fraction with a finite decimal expansion (at most 6 places), else None."""
    return finite_decimal(v) if isinstance(v, Fraction) else None


class View:
    """What a rendering of a table shows: the indices of its rows (pass-through rows left out unless
    ``pass_through``) and its physical units (None: samples or pixels)."""

    __slots__ = ("hidden", "rows", "units")

    def __init__(self, table: Table, pass_through: bool = False, units: Any = "auto") -> None:
        if not isinstance(pass_through, bool):
            raise RfsymError(f"pass_through must be True or False (got {pass_through!r})")
        self.units = table_units(table, units)
        self.rows = [i for i, row in enumerate(table.rows) if pass_through or not is_pass_through(row.layer)]
        self.hidden = len(table.rows) - len(self.rows)


def table_units(table: Any, units: Any = "auto") -> Any:
    """The units a table prints in: ``"auto"`` (the default) takes the spec's own ``sample_rate`` (the zoo's
    wav2vec 2.0 and WaveNet: milliseconds), as ``rfsym export`` does; None keeps samples or pixels; else a
    :func:`rfsym.printing.units.parse_units` result."""
    from .units import Units, parse_units

    if isinstance(units, str) and units == "auto":
        return parse_units(net=table)
    if units is not None and not isinstance(units, Units):
        raise RfsymError(f"table units must be 'auto', None or rfsym.printing.units.parse_units(...) (got {units!r})")
    return units


def _raw_cells(table: Table, column: str, view: View | None = None) -> list[list[Any]]:
    """Per shown row, the values of one column on each axis (None where a row has none); j, r and start
    in the view's units (:class:`_Phys`)."""
    out: list[list[Any]] = []
    shown = view.rows if view is not None else range(len(table.rows))
    units = view.units if view is not None else None
    last = None
    for i in shown:
        row = table.rows[i]
        if column == "layer":
            out.append([row.name])
        elif column in _PARAM:
            out.append(
                [row.layer.params(ax).get(column) if row.layer is not None else None for ax in range(table.ndim)]
            )
        elif hasattr(row, "recurrence"):  # a long symbolic table's later row: the recurrence, values untouched
            k = _QUANTITY_INDEX[column]
            alias = last if last is not None and last != row.prev else None  # the previous row is hidden
            out.append([_Recurrence(row, ax, k, alias, units) for ax in range(table.ndim)])
        else:
            vals = [s.as_dict()[_STATE[column]] for s in row.states]
            out.append([_Phys(units, v) for v in vals] if units is not None and column in _UNIT_COLUMNS else vals)
        last = row.name
    return out


_QUANTITY_INDEX = {"n": 0, "j": 1, "r": 2, "start": 3, "P": 4}
#: the columns physical units apply to (P, a padding, stays in samples)
_UNIT_COLUMNS = UNIT_QUANTITIES


class _Phys:
    """A value of j, r or start shown in physical units (exact: the value times the units' scale)."""

    __slots__ = ("units", "v")

    def __init__(self, units: Any, v: Any) -> None:
        self.units, self.v = units, v

    @property
    def value(self) -> Any:
        return self.units.value(self.v)

    def __str__(self) -> str:
        return self.units.cell_text(self.v)


class _Recurrence:
    """A cell given as an expression of the previous row's values (``r[c9] + d10*(k10 - 1)*j[c9]``).

    ``alias`` names the previous *shown* row when the row before is a hidden pass-through layer (same
    values); with ``units`` the previous row's j is in the unit, so P's recurrence (P stays in samples)
    divides it by the scale; the recurrences of j, r and start are linear in the lengths and hold as they
    are in any unit."""

    __slots__ = ("alias", "axis", "key", "row", "units")

    def __init__(self, row: Any, axis: int, key: int, alias: str | None = None, units: Any = None) -> None:
        self.row, self.axis, self.key, self.alias, self.units = row, axis, key, alias, units

    @property
    def expr(self) -> Any:
        import sympy

        e = self.row.recurrence(self.axis)[self.key]
        prev = f"[{self.row.prev}]"
        swap = {}
        for s in e.free_symbols:
            if not s.name.endswith(prev):
                continue
            new = sympy.Symbol(s.name[: -len(prev)] + f"[{self.alias}]", **s.assumptions0) if self.alias else s
            if self.units is not None and self.key == 4 and s.name == "j" + prev:
                new = new / A.to_sympy(self.units.scale)
            swap[s] = new
        return e.xreplace(swap) if swap else e

    def __str__(self) -> str:
        if self.units is not None and self.key == 4:
            return str(self.expr)
        text = str(self.row.recurrence_text(self.axis)[self.key])
        return text.replace(f"[{self.row.prev}]", f"[{self.alias}]") if self.alias else text


def _footer(table: Table, view: View | None = None) -> list[str]:
    """The note under a long symbolic table: which rows are recurrences, and where the full values are."""
    if table.recurrence_from is None:
        return []
    shown = view.rows if view is not None else list(range(len(table.rows)))
    later = [i for i in shown if i >= table.recurrence_from]
    if not later:
        return []
    first = table.rows[later[0]].name
    prev = table.rows[max(i for i in shown if i < later[0])].name
    unit = ""
    if view is not None and view.units is not None:
        unit = f" (j, r and start in {view.units.unit} as in the table, P in input {_per(view.units)}s)"
    return [
        f"rows from {first} on give n, j, r, start and P as the recurrence on the previous row's values "
        f"(n[{prev}], j[{prev}], ...){unit}: their full values grow with the depth; Table.rows[i].states has "
        "them, 'rfsym derive' gives the output's closed form and its conditions"
    ]


def _per(units: Any) -> str:
    return "sample" if units.unit == "ms" else "pixel"


def _notes(table: Table, view: View, cols: tuple[str, ...], cells: list[list[str]] | None = None) -> list[str]:
    """The lines under a text or Markdown table: the units it is in (when it shows j, r or start), and how
    many pass-through rows it leaves out (so that a reader is not surprised by a missing ReLU)."""
    out = []
    u = view.units
    if u is not None and any(c in _UNIT_COLUMNS for c in cols):
        per = _per(u)
        note = (
            f"j, r and start in {u.unit} ({A.fmt(u.scale)} {u.unit} per input {per}); kernel, stride, padding, "
            f"n and P in input {per}s"
        )
        if cells is not None and any(c.startswith("~") for row in cells for c in row):
            note += "; ~ marks a value rounded to 4 significant digits (--format json has it exact)"
        out.append(note)
    if view.hidden:
        h = view.hidden
        out.append(
            f"{h} pass-through {'layer' if h == 1 else 'layers'} (activations, normalisation, dropout: they change "
            "no value) not shown; --show-pass-through (pass_through=True) shows them"
        )
    return out


def _is_pair(v: Any) -> bool:
    return isinstance(v, tuple) and v[0] != v[1]


def _join(texts: list[str], values: Sequence[Any] | None = None) -> str:
    """Per-axis texts as one cell: one text when they agree, else a tuple ``(3, 5)`` (docs/notation.md), a
    left,right padding pair inside it in parentheses: ``((1,0), 1)``."""
    if all(t == texts[0] for t in texts):
        return texts[0]
    if values is not None:
        texts = [f"({t})" if _is_pair(v) else t for t, v in zip(texts, values)]
    return "(%s)" % AXES.join(texts)


def _text_value(v: Any) -> str:
    if v is None:
        return NONE
    if isinstance(v, str):
        return v
    if isinstance(v, (_Recurrence, _Phys)):
        return str(v)
    if isinstance(v, tuple):
        a, b = v
        return A.fmt(a) if a == b else f"{A.fmt(a)}{PAIR}{A.fmt(b)}"
    return A.fmt(v)


def table_cells(
    table: Table, columns: Sequence[str] = COLUMNS, *, pass_through: bool = True, units: Any = None
) -> list[list[str]]:
    """Plain-text cells (per-axis values as a tuple ``(3, 5)``), one list per row; names as given.

    By default every row (pass-through ones too) in samples or pixels: the data view; the text, Markdown
    and HTML renderers call it with their ``pass_through`` and ``units``."""
    return _cells(table, _check_columns(columns), View(table, pass_through, units))


def _cells(table: Table, cols: tuple[str, ...], view: View) -> list[list[str]]:
    raw = [_raw_cells(table, c, view) for c in cols]
    return [
        [_join([_text_value(v) for v in raw[c][i]], raw[c][i]) for c in range(len(cols))] for i in range(len(view.rows))
    ]


def _heads(cols: tuple[str, ...], view: View) -> list[str]:
    """Column heads; j, r and start say their unit: ``r (ms)``."""
    u = view.units
    return [f"{c} ({u.unit})" if u is not None and c in _UNIT_COLUMNS else c for c in cols]


def _tuple(texts: list[str], values: Sequence[Any] | None = None) -> str:
    """LaTeX per-axis values: one value when they agree, else a tuple ``(1, 4, 4)`` (not a product)."""
    return _join(texts, values)


def _axes_text(values: Sequence[Any]) -> str:
    return _join([A.fmt(v) for v in values])


def table_text(
    table: Table, columns: Sequence[str] = COLUMNS, *, pass_through: bool = False, units: Any = "auto"
) -> str:
    """The terminal table: a heading line, aligned columns, the validity range and merge conditions.

    Pass-through rows are left out (a line says how many) unless ``pass_through``; ``units``
    (:func:`table_units`: default the spec's own sample rate) puts j, r and start in ms, mm, …"""
    cols = _check_columns(columns)
    view = View(table, pass_through, units)
    cells = _cells(table, cols, view)
    rows = [_heads(cols, view)] + [[term_text(c) for c in row] for row in cells]
    widths = [max(len(r[i]) for r in rows) for i in range(len(cols))]
    lines = []
    for k, r in enumerate(rows):
        parts = [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:])]
        lines.append("  ".join(parts).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    head = (
        f"{term_text(table.name)}: input {_axes_text(table.input)}, convention {table.convention}, "
        f"origin {A.fmt(table.origin)}"
    )
    out = [head, *lines]
    if table.min_input is not None:
        out.append(f"valid for input size >= {_axes_text(table.min_input)}")
    out += [term_text(line) for line in _footer(table, view)]
    for merge, ax, cond in getattr(table, "size_conditions", ()):
        axis = f" (axis {ax})" if table.ndim > 1 else ""
        out.append(f"merge {term_text(merge)}{axis} needs equal sizes: {cond.lhs} = {cond.rhs}")
    out += _notes(table, view, cols, cells)
    return "\n".join(out) + "\n"


def table_markdown(
    table: Table, columns: Sequence[str] = COLUMNS, *, pass_through: bool = False, units: Any = "auto"
) -> str:
    """A GitHub-flavoured Markdown table (for READMEs); pass-through rows and units as :func:`table_text`,
    the notes as paragraphs under the table."""
    cols = _check_columns(columns)
    view = View(table, pass_through, units)
    cells = _cells(table, cols, view)
    head = "| " + " | ".join(_heads(cols, view)) + " |"
    rule = "|" + "|".join(":--" if c == "layer" else "--:" for c in cols) + "|"
    body = ["| " + " | ".join(_md(c) for c in row) + " |" for row in cells]
    notes = [line for note in _notes(table, view, cols, cells) for line in ("", _md(note))]
    return "\n".join([head, rule, *body, *notes]) + "\n"


def _md(text: str) -> str:
    return term_text(text).replace("|", "\\|")


def table_html(
    table: Table,
    columns: Sequence[str] = COLUMNS,
    caption: str | None = None,
    *,
    pass_through: bool = False,
    units: Any = "auto",
) -> str:
    """An HTML ``<table>`` (what notebooks show through ``Table._repr_html_``); pass-through rows and units
    as :func:`table_text`, the notes in the caption."""
    cols = _check_columns(columns)
    view = View(table, pass_through, units)
    cells = _cells(table, cols, view)
    cap = (
        caption
        if caption is not None
        else " ".join([_default_caption_text(table), *(n + "." for n in _notes(table, view, cols, cells))])
    )
    out = ['<table class="rfsym-table">', f"<caption>{html.escape(cap)}</caption>", "<thead><tr>"]
    out += [
        f'<th style="text-align:{"left" if c == "layer" else "right"}">{html.escape(h)}</th>'
        for c, h in zip(cols, _heads(cols, view))
    ]
    out.append("</tr></thead><tbody>")
    for row in cells:
        cells_html = [
            f'<td style="text-align:{"left" if c == "layer" else "right"}">{html.escape(v)}</td>'
            for c, v in zip(cols, row)
        ]
        out.append("<tr>" + "".join(cells_html) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out) + "\n"


#: font sizes (pt, at an 11pt base: the larger of the usual bases) tried in turn for wide tables:
#: (size, font pt, ems per counted glyph), measured with pdflatex on symbolic tables (glyphs plus the space
#: around binary operators).  No smaller size than footnotesize: long cells are abbreviated instead.
_FONT_PT = (
    ("", 10.95, 0.55),
    ("small", 10.0, 0.55),
    ("footnotesize", 9.0, 0.55),
)
_TEXTWIDTH_PT = 345.0  # article, 10pt and 11pt: the narrower
_TEXTHEIGHT_PT = 530.0  # the width a landscape table may take (article's text height, less a caption)
#: rows per float: a deeper table continues in further floats ("continued"), each fits a page
MAX_TABLE_ROWS = 32


def _visible_chars(cell: str) -> int:
    """Rough count of the glyphs a cell sets: commands count as one glyph, markup as none."""
    ops = len(re.findall(r" [-+] |\\times|, ", cell))  # binary operators and commas take space around them
    t = re.sub(r"\\(left|right|mathrm|text|texttt|quad|,|\s)\b", "", cell)
    t = re.sub(r"\\[A-Za-z]+", "#", t)
    return len(re.sub(r"[{}$\s^_]", "", t)) + round(0.8 * ops)


def _fit(
    rows: list[list[str]], width: float, sizes: Sequence[tuple[str, float, float]] = _FONT_PT
) -> tuple[str | None, str | None] | None:
    """(font size, tabcolsep) of the largest of ``sizes`` (normal, small, footnote) whose estimated width fits."""
    ncol = max(len(r) for r in rows)
    chars = sum(max(_visible_chars(r[c]) for r in rows if c < len(r)) for c in range(ncol))
    room = width * 0.97  # a margin for the estimate
    for name, pt, em in sizes:
        for sep in (6.0, 4.0, 3.0):
            if chars * em * pt + (ncol - 1) * 2 * sep <= room:
                return (name or None), (None if sep == 6.0 else f"{sep:g}pt")
    return None


def _abbreviate(
    p: RfsymLatexPrinter, body: list[list[str]], heads: list[str], cols: tuple[str, ...], width: float
) -> tuple[tuple[str | None, str | None], list[str]]:
    """At normal size, replace the longest symbolic cells by named quantities ``r_{3}`` (the value after
    layer 3, as in the derivation) until the table fits; return (size, tabcolsep) and the definitions (in row
    order), to be set under the table.  Numeric tables are never abbreviated: they take a smaller size."""
    named: list[tuple[int, int, str]] = []
    while True:
        fit = _fit([heads, *body], width, _FONT_PT[:1])
        if fit is not None:
            break
        best = None
        for i, row in enumerate(body):
            for c, cell in enumerate(row):
                q = cols[c]
                symbolic = re.search(r"[A-Za-z]", re.sub(r"\\[A-Za-z]+", "", cell)) is not None
                if q in _STATE and symbolic and not cell.startswith("$%s_{" % p._names[q]):
                    w = _visible_chars(cell)
                    if w > 4 and (best is None or w > best[0]):
                        best = (w, i, c)
        if best is None:
            fit = _fit([heads, *body], width) or ("footnotesize", "3pt")
            break
        _, i, c = best
        name = p._hprint_indexed(cols[c], str(i))
        named.append((i, c, f"${name} = {body[i][c][1:-1]}$"))
        body[i][c] = f"${name}$"
    return fit, [d for _, _, d in sorted(named)]


def _default_caption_text(table: Table) -> str:
    return (
        f"Receptive-field arithmetic of {table.name} (input {_axes_text(table.input)}, "
        f"{table.convention} convention, origin {A.fmt(table.origin)})."
    )


def _latex_cell(p: RfsymLatexPrinter, v: Any, column: str) -> str:
    """One value of a cell as LaTeX (math without the dollars, except the layer name: text)."""
    if v is None:
        return "--"
    if column == "layer":
        return tex_text(str(v))
    if isinstance(v, str):
        return tex_math_text(v)
    if isinstance(v, _Recurrence):
        return p._hprint_expr(v.expr).replace(r"\left(", "(").replace(r"\right)", ")")
    if isinstance(v, _Phys):
        return _latex_phys(p, v)
    if isinstance(v, tuple):
        a, b = v
        return _latex_cell(p, a, column) if a == b else f"{_latex_cell(p, a, column)}{PAIR}{_latex_cell(p, b, column)}"
    v = A.norm(v)
    if isinstance(v, int):
        return str(v)
    dec = decimal_text(v) if p._settings["numbers"] == "decimal" else None
    if dec is not None:
        return dec
    # plain parentheses: rows stay one line high and a long cell may break inside them
    return p._hprint_value(v).replace(r"\left(", "(").replace(r"\right)", ")")


def _latex_phys(p: RfsymLatexPrinter, v: _Phys) -> str:
    """A value in physical units: exact (a finite decimal, a fraction with ``numbers="exact"``, a symbolic
    value times the exact scale), or ``\approx`` and four significant digits where the decimal does not end."""
    from .units import approx, finite_decimal

    x = A.norm(v.value)
    if A.is_num(x) and p._settings["numbers"] == "decimal":
        dec = finite_decimal(x)
        return dec if dec is not None else r"\approx " + approx(x)
    return p._hprint_value(x).replace(r"\left(", "(").replace(r"\right)", ")")


def _latex_view(p: RfsymLatexPrinter, table: Table) -> View:
    """The rows and units of a LaTeX table: the printer's ``pass_through`` and ``units`` settings."""
    return View(table, p._settings["pass_through"], p._settings["units"])


def _latex_rows(
    p: RfsymLatexPrinter, table: Table, cols: tuple[str, ...], view: View, axes: Sequence[int] | None = None
) -> list[list[str]]:
    """The cells of the printed rows (math cells in ``$…$``); per-axis values as tuples, or only ``axes``;
    j, r and start in physical units with the ``units`` setting."""
    raw = [_raw_cells(table, c, view) for c in cols]
    out = []
    for i in range(len(view.rows)):
        cells = []
        for c, col in enumerate(cols):
            vals = raw[c][i] if axes is None or col == "layer" else [raw[c][i][a] for a in axes]
            if col == "layer":
                cells.append(_latex_cell(p, vals[0], col))
            elif all(v is None for v in vals):
                cells.append("--")
            else:
                cells.append("$%s$" % _tuple([_latex_cell(p, v, col) for v in vals], vals))
        out.append(cells)
    return out


def _latex_head(p: RfsymLatexPrinter, column: str) -> str:
    if column == "layer":
        return "layer"
    head = "$%s$" % p._names[_PARAM.get(column, column)]
    units = p._settings["units"]
    return head + " (%s)" % units.tex_unit if units is not None and column in ("j", "r", "start") else head


def table_latex(
    table: Table,
    columns: Sequence[str] = COLUMNS,
    caption: str | None = None,
    label: str | None = None,
    *,
    placement: str = "t",
    floating: bool = True,
    size: str | None = "auto",
    printer: RfsymLatexPrinter | None = None,
    axes: Sequence[int] | None = None,
    landscape: bool = False,
    **settings: Any,
) -> str:
    r"""A booktabs table: ``\begin{table}`` with caption and label, or only the ``tabular`` (``floating=False``).

    Long because it is one pass over the rows that decides the float, the per-axis-group split, the
    continued floats of deep tables and the named quantities together (each depends on the others' widths);
    splitting it is noted on issue 14.

    ``caption`` is LaTeX (not escaped); the default names the network, input,
    convention and origin.  ``size`` is ``"auto"`` (default: the largest of
    normal, small and footnote size whose estimated width fits an article's
    text width; when none does, the longest symbolic cells are abbreviated as
    named quantities, ``r_{3}``, defined under the table) or one of ``tiny,
    scriptsize, footnotesize, small, normalsize``.  Pass-through layers are
    left out (setting ``pass_through``).  A table of more than
    :data:`MAX_TABLE_ROWS` rows continues in further floats.  An N-D table
    too wide for tuples is split into one table per group of axes with the
    same values (``axes`` selects axes).  ``landscape`` turns the table (the
    text height is its width; ``\rotatebox`` of graphicx, which tikz loads).
    Other keyword arguments are settings of :func:`rfsym.latex` (``names``,
    ``numbers``, ``floor_style``, …) used for the cells.
    """
    from .printer import printer_for  # sympy: a numeric text table never imports it

    cols = _check_columns(columns)
    if size is not None and size != "auto" and size not in SIZES:
        raise RfsymError(f"table size must be 'auto' or one of {', '.join(SIZES)} (got {size!r})")
    settings.setdefault("fold_short_frac", True)  # k/2 rather than a stacked fraction: rows stay one line high
    settings.setdefault("floor_style", "fixed")
    if printer is None and "units" not in settings:  # Table.to_latex(): the spec's own sample rate, as export
        settings["units"] = table_units(table)
    p = printer_for(printer, **settings)
    width = _TEXTHEIGHT_PT if landscape else _TEXTWIDTH_PT
    view = _latex_view(p, table)
    heads = [_latex_head(p, c) for c in cols]
    if axes is not None:
        if any(not isinstance(a, int) or not 0 <= a < table.ndim for a in axes) or not axes:
            raise RfsymError(f"table axes must be among 0..{table.ndim - 1} (got {list(axes)!r})")
    elif table.ndim > 1 and size == "auto":
        groups = _axis_groups(table, cols, view)
        if len(groups) > 1 and _fit([heads, *_latex_rows(p, table, cols, view)], width) is None:
            parts = []
            for g_i, group in enumerate(groups):
                which = ("axis %d" if len(group) == 1 else "axes %s") % (
                    group[0] if len(group) == 1 else " and ".join(map(str, group))
                )
                cap = (caption or _default_caption(p, table, view)) + f" Values on {which} (of {table.ndim})."
                lab = label if g_i == 0 or not label else f"{label}-axis{group[0]}"
                parts.append(
                    table_latex(
                        table,
                        cols,
                        cap,
                        lab,
                        placement=placement,
                        floating=floating,
                        size=size,
                        printer=p,
                        axes=group,
                        landscape=landscape,
                    )  # fmt: skip
                )
            return "".join(parts)
    body = _latex_rows(p, table, cols, view, axes)
    sep = None
    defs: list[str] = []
    if size == "auto":
        (size, sep), defs = _abbreviate(p, body, heads, cols, width)
    hidden = view.hidden
    if caption is None:
        caption = _default_caption(p, table, view)
        if view.units is not None and any(c in _UNIT_COLUMNS for c in cols):
            caption += _units_note(view.units, any(r"\approx" in c for row in body for c in row))
        if hidden:
            caption += (
                f" Pass-through layers ({hidden} {'row' if hidden == 1 else 'rows'}: activations, normalisation, "
                "dropout) change no value and are not shown."
            )
    chunks = [body[i : i + MAX_TABLE_ROWS] for i in range(0, len(body), MAX_TABLE_ROWS)] or [[]]
    spec = "".join("l" if c == "layer" else "r" for c in cols)
    out = []
    for k, chunk in enumerate(chunks):
        lines = [" & ".join(r) + r" \\" for r in chunk]
        if k == 0 and view.rows and view.rows[0] == 0 and table.rows[0].layer is None and len(lines) > 1:
            lines.insert(1, r"\addlinespace")
        tabular = [
            r"\begin{tabular}{@{}" + spec + "@{}}",
            r"\toprule",
            " & ".join(heads) + r" \\",
            r"\midrule",
            *lines,
            r"\bottomrule",
            r"\end{tabular}",
        ]
        if landscape:
            tabular = [r"\rotatebox{90}{%", *tabular, "}"]
        pre = ([r"\%s" % size] if size else []) + ([r"\setlength{\tabcolsep}{%s}" % sep] if sep else [])
        long_defs = sum(_visible_chars(d) for d in defs) > 900  # would not fit a page with the table
        where = _definitions(defs) if k == len(chunks) - 1 and not long_defs else []
        if not floating:
            out.append("\n".join(["{", *pre, *tabular, *where, "}"] if pre or where else tabular) + "\n")
            continue
        cap = caption if k == 0 else f"{caption} (continued, {k + 1} of {len(chunks)})"
        head = [r"\begin{table}[%s]" % placement, r"\centering", r"\caption{" + cap + "}"]
        if label and k == 0:
            head.append(r"\label{" + label + "}")
        out.append("\n".join([*head, *pre, *tabular, *where, r"\end{table}"]) + "\n")
    if defs and long_defs:  # after the float, as text: it may run over pages
        ref = f"Table~\\ref{{{label}}}" if label else "the table above"
        out.append(r"\begin{flushleft}" + f"In {ref}, " + ",\\\\\n".join(defs) + ".\n" + r"\end{flushleft}" + "\n")
    return "".join(out)


def _units_note(units: Any, rounded: bool = False) -> str:
    """The caption's sentence on physical units (the text and Markdown tables' note says the same)."""
    per = _per(units)
    note = f" $j$, $r$ and start in {units.tex_unit} ({A.fmt(units.scale)} {units.tex_unit} per input {per}"
    note += "; $\\approx$: rounded to 4 significant digits)" if rounded else ")"
    return note + f"; kernels, strides, paddings, $n$ and $P$ in input {per}s."


def _definitions(defs: list[str]) -> list[str]:
    """The named quantities of abbreviated cells, under the table: ragged lines of inline math (which
    break after + and -)."""
    if not defs:
        return []
    return [
        r"\par\smallskip\begin{minipage}{\linewidth}\raggedright\noindent where "
        + r",\\ ".join(defs)
        + r".\end{minipage}"
    ]


def _default_caption(p: RfsymLatexPrinter, table: Table, view: View | None = None) -> str:
    inp = _tuple([_latex_cell(p, v, "n") for v in table.input])
    caption = (
        f"Receptive-field arithmetic of \\texttt{{{tex_text(table.name)}}} (input ${inp}$, "
        f"{table.convention} convention, origin ${_latex_cell(p, table.origin, 'start')}$)."
    )
    later = [
        i for i in (view.rows if view is not None else range(len(table.rows))) if i >= (table.recurrence_from or 0)
    ]
    if table.recurrence_from is not None and later:
        first = table.rows[later[0]].name
        caption += (
            f" From \\texttt{{{tex_text(first)}}} on, each row gives its values by the recurrence on the "
            "previous row's."
        )
    return caption


def _axis_groups(table: Table, cols: tuple[str, ...], view: View | None = None) -> list[list[int]]:
    """The axes grouped by equal columns (parameters and values): axes of one group print as one table."""
    keys: dict[str, list[int]] = {}
    raw = [_raw_cells(table, c, view) for c in cols if c != "layer"]
    for a in range(table.ndim):
        key = repr([[str(cell[a]) for cell in col] for col in raw])
        keys.setdefault(key, []).append(a)
    return list(keys.values())


def paper_columns(table: Table) -> tuple[str, ...]:
    """The columns a paper shows: all of them but dilation when every layer's dilation is 1."""
    dil = _raw_cells(table, "dilation")
    if all(v in (None, 1) for row in dil for v in row):
        return tuple(c for c in COLUMNS if c != "dilation")
    return COLUMNS


def block_table_latex(
    net: Any,
    columns: Sequence[str] | None = None,
    label: str | None = None,
    caption: str | None = None,
    **settings: Any,
) -> str:
    r"""The table of a network with a symbolic repeat count: one row per layer as written, a repeated block
    as its name with ``\times L`` and its layers indented under it (their parameters); the states are the
    closed forms of the derivation.  Parameter columns only (``layer, kernel, stride, padding, dilation``)."""
    from ..layers import Repeat
    from .printer import printer_for

    settings.setdefault("fold_short_frac", True)
    p = printer_for(None, **settings)
    cols = tuple(c for c in (columns or COLUMNS) if c in ("layer", *_PARAM)) or ("layer", "kernel", "stride")
    nd = max(1, net.ndim or 1)
    rows: list[list[str]] = []

    def params(lay: Any) -> list[str]:
        out = []
        for c in cols[1:]:
            vals = [lay.params(ax).get(c) for ax in range(nd)]
            out.append(
                "--" if all(v is None for v in vals) else "$%s$" % _tuple([_latex_cell(p, v, c) for v in vals], vals)
            )
        return out

    def walk(layers: Any, indent: int) -> None:
        for lay in layers:
            if is_pass_through(lay) and not p._settings["pass_through"]:
                continue
            pad = r"\quad " * indent
            if isinstance(lay, Repeat):
                rows.append(
                    [pad + r"%s ($\times %s$)" % (tex_text(lay.label()), p._hprint_value(lay.times))]
                    + [""] * (len(cols) - 1)
                )
                walk(lay.block, indent + 1)
            else:
                rows.append([pad + tex_text(lay.label())] + params(lay))

    walk(net.layers, 0)
    heads = [_latex_head(p, c) for c in cols]
    if caption is None:
        caption = (
            f"Layers of \\texttt{{{tex_text(net.name)}}}: a repeated block is listed once, with its number of "
            "copies; the output's values are the closed forms of the derivation."
        )
    out = [r"\begin{table}[htbp]", r"\centering", r"\caption{" + caption + "}"]
    if label:
        out.append(r"\label{" + label + "}")
    out += [
        r"\begin{tabular}{@{}" + "l" + "r" * (len(cols) - 1) + "@{}}",
        r"\toprule",
        " & ".join(heads) + r" \\",
        r"\midrule",
        *(" & ".join(r) + r" \\" for r in rows),
        r"\bottomrule",
        r"\end{tabular}",
        r"\end{table}",
    ]
    return "\n".join(out) + "\n"


def network_html(obj: Any) -> str | None:
    """What a notebook shows for a network or graph: its HTML table (as every table: pass-through rows left
    out and counted in the caption, j, r and start in the spec's own units) and its output as text; None
    for other objects (they show as LaTeX)."""
    from ..graph import Graph
    from ..network import Network

    if not isinstance(obj, (Network, Graph)):
        return None
    try:
        table = obj.table()
    except RfsymError as e:  # no input size, or a symbolic repeat count: no table, say why
        return f"<p>{html.escape(obj.name)}: {html.escape(str(e))}</p>"
    units = table_units(obj)
    out = table.output
    text = ", ".join(
        f"{q} = {_join([_text_value(_Phys(units, v) if units is not None and q in _UNIT_COLUMNS else v) for v in vals])}"
        + (f" {units.unit}" if units is not None and q in _UNIT_COLUMNS else "")
        for q in ("n", "j", "r", "start", "P")
        for vals in [[st.as_dict()[_STATE[q]] for st in out]]
    )
    return table_html(table, units=units) + f"<p>output: {html.escape(text)}</p>\n"
