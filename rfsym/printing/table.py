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
one value per axis        ``3x5``             ``(3, 5)``
left and right padding    ``1,0``             ``1,0``
========================  ==================  =========================

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
from .escape import tex_math_text, tex_text

if TYPE_CHECKING:
    from ..network import Table
    from .printer import RfsymLatexPrinter

__all__ = ["COLUMNS", "table_cells", "table_html", "table_latex", "table_markdown", "table_text"]

COLUMNS = ("layer", "kernel", "stride", "padding", "dilation", "n", "j", "r", "start", "P")
_PARAM = {"kernel": "k", "stride": "s", "padding": "p", "dilation": "d"}
_STATE = {"n": "n", "j": "j", "r": "r", "start": "start", "P": "effective_padding"}
SIZES = ("tiny", "scriptsize", "footnotesize", "small", "normalsize")
#: the one set of symbols: (no value, between axes, between left and right padding)
NONE, AXES, PAIR = "-", "x", ","


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


def _decimal(v: Any) -> str | None:
    """``5.5`` for a Fraction with a finite decimal expansion (at most 6 places), else None."""
    if not isinstance(v, Fraction):
        return None
    q = v.denominator
    for f in (2, 5):
        while q % f == 0:
            q //= f
    if q != 1:
        return None
    s = A.fmt(v)
    return s if len(s.split(".")[-1]) <= 6 else None


def _raw_cells(table: Table, column: str) -> list[list[Any]]:
    """Per row, the values of one column on each axis (None where a row has none)."""
    out: list[list[Any]] = []
    for row in table.rows:
        if column == "layer":
            out.append([row.name])
        elif column in _PARAM:
            out.append(
                [row.layer.params(ax).get(column) if row.layer is not None else None for ax in range(table.ndim)]
            )
        elif hasattr(row, "recurrence"):  # a long symbolic table's later row: the recurrence, values untouched
            k = _QUANTITY_INDEX[column]
            out.append([_Recurrence(row, ax, k) for ax in range(table.ndim)])
        else:
            out.append([s.as_dict()[_STATE[column]] for s in row.states])
    return out


_QUANTITY_INDEX = {"n": 0, "j": 1, "r": 2, "start": 3, "P": 4}


class _Recurrence:
    """A cell given as an expression of the previous row's values (``r[c9] + d10*(k10 - 1)*j[c9]``)."""

    __slots__ = ("axis", "key", "row")

    def __init__(self, row: Any, axis: int, key: int) -> None:
        self.row, self.axis, self.key = row, axis, key

    @property
    def expr(self) -> Any:
        return self.row.recurrence(self.axis)[self.key]

    def __str__(self) -> str:
        return str(self.row.recurrence_text(self.axis)[self.key])


def _footer(table: Table) -> list[str]:
    """The note under a long symbolic table: which rows are recurrences, and where the full values are."""
    if table.recurrence_from is None:
        return []
    first, prev = table.rows[table.recurrence_from].name, table.rows[table.recurrence_from - 1].name
    return [
        f"rows from {first} on give n, j, r, start and P as the recurrence on the previous row's values "
        f"(n[{prev}], j[{prev}], ...): their full values grow with the depth; Table.rows[i].states has them, "
        "'rfsym derive' gives the output's closed form and its conditions"
    ]


def _join(texts: list[str], sep: str) -> str:
    return texts[0] if all(t == texts[0] for t in texts) else sep.join(texts)


def _text_value(v: Any) -> str:
    if v is None:
        return NONE
    if isinstance(v, str):
        return v
    if isinstance(v, _Recurrence):
        return str(v)
    if isinstance(v, tuple):
        a, b = v
        return A.fmt(a) if a == b else f"{A.fmt(a)}{PAIR}{A.fmt(b)}"
    return A.fmt(v)


def table_cells(table: Table, columns: Sequence[str] = COLUMNS) -> list[list[str]]:
    """Plain-text cells (per-axis values joined by ``x``), one list per row; names as given."""
    cols = _check_columns(columns)
    raw = [_raw_cells(table, c) for c in cols]
    return [
        [_join([_text_value(v) for v in raw[c][i]], AXES) for c in range(len(cols))] for i in range(len(table.rows))
    ]


def _tuple(texts: list[str]) -> str:
    """LaTeX per-axis values: one value when they agree, else a tuple ``(1, 4, 4)`` (not a product)."""
    return texts[0] if all(t == texts[0] for t in texts) else "(%s)" % ", ".join(texts)


def _axes_text(values: Sequence[Any]) -> str:
    return _join([A.fmt(v) for v in values], AXES)


def table_text(table: Table, columns: Sequence[str] = COLUMNS) -> str:
    """The terminal table: a heading line, aligned columns, the validity range and merge conditions."""
    cols = _check_columns(columns)
    rows = [list(cols)] + [[term_text(c) for c in row] for row in table_cells(table, cols)]
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
    out += [term_text(line) for line in _footer(table)]
    for merge, ax, cond in getattr(table, "size_conditions", ()):
        axis = f" (axis {ax})" if table.ndim > 1 else ""
        out.append(f"merge {term_text(merge)}{axis} needs equal sizes: {cond.lhs} = {cond.rhs}")
    return "\n".join(out) + "\n"


def table_markdown(table: Table, columns: Sequence[str] = COLUMNS) -> str:
    """A GitHub-flavoured Markdown table (for READMEs)."""
    cols = _check_columns(columns)
    head = "| " + " | ".join(cols) + " |"
    rule = "|" + "|".join(":--" if c == "layer" else "--:" for c in cols) + "|"
    body = ["| " + " | ".join(term_text(c).replace("|", "\\|") for c in row) + " |" for row in table_cells(table, cols)]
    return "\n".join([head, rule, *body]) + "\n"


def table_html(table: Table, columns: Sequence[str] = COLUMNS, caption: str | None = None) -> str:
    """An HTML ``<table>`` (what notebooks show through ``Table._repr_html_``)."""
    cols = _check_columns(columns)
    cap = caption if caption is not None else _default_caption_text(table)
    out = ['<table class="rfsym-table">', f"<caption>{html.escape(cap)}</caption>", "<thead><tr>"]
    out += [f'<th style="text-align:{"left" if c == "layer" else "right"}">{html.escape(c)}</th>' for c in cols]
    out.append("</tr></thead><tbody>")
    for row in table_cells(table, cols):
        cells = [
            f'<td style="text-align:{"left" if c == "layer" else "right"}">{html.escape(v)}</td>'
            for c, v in zip(cols, row)
        ]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out) + "\n"


#: font sizes (pt, at an 11pt base: the larger of the usual bases) tried in turn for wide tables
#: (size, font pt, ems per counted glyph): measured with pdflatex on symbolic tables (glyphs plus the space
#: around binary operators; at tiny size subscripts stop shrinking, so each glyph takes more ems)
_FONT_PT = (
    ("", 10.95, 0.55),
    ("small", 10.0, 0.55),
    ("footnotesize", 9.0, 0.55),
    ("scriptsize", 8.0, 0.55),
    ("tiny", 6.0, 0.65),
)
_TEXTWIDTH_PT = 345.0  # article, 10pt and 11pt: the narrower


def _visible_chars(cell: str) -> int:
    """Rough count of the glyphs a cell sets: commands count as one glyph, markup as none."""
    ops = len(re.findall(r" [-+] |\\times", cell))  # binary operators take space on both sides
    t = re.sub(r"\\(left|right|mathrm|text|texttt|quad|,|\s)\b", "", cell)
    t = re.sub(r"\\[A-Za-z]+", "#", t)
    return len(re.sub(r"[{}$\s^_]", "", t)) + round(0.8 * ops)


def _auto_size(rows: list[list[str]]) -> tuple[str | None, str | None, dict[int, float]]:
    """(font size, tabcolsep, paragraph widths) for which the estimated width fits the text width.

    The largest of normal, small, footnote, script and tiny size that fits; when
    none does (long symbolic cells), script size with the widest columns set as
    paragraphs (``p{..}``), in which inline math breaks after its operators.
    """
    ncol = max(len(r) for r in rows)
    widths = [max(_visible_chars(r[c]) for r in rows if c < len(r)) for c in range(ncol)]
    chars = sum(widths)
    room = _TEXTWIDTH_PT * 0.97  # a margin for the estimate
    for name, pt, em in _FONT_PT:
        for sep in (6.0, 4.0, 3.0):
            if chars * em * pt + (ncol - 1) * 2 * sep <= room:
                return (name or None), (None if sep == 6.0 else f"{sep:g}pt"), {}
    sep = 3.0
    for font in _FONT_PT[3:]:  # script size, then tiny
        name, pt, em = font
        natural = [w * em * pt for w in widths]
        # the widest piece between top-level + and - cannot be broken: a paragraph is at least that wide
        least = [
            1.25 * max(_visible_chars(ch) for r in rows if c < len(r) for ch in _chunks(r[c])) * em * pt
            for c in range(ncol)
        ]
        narrow = [c for c in range(ncol) if widths[c] <= 8]
        wide = [c for c in range(ncol) if c not in narrow]
        avail = room - (ncol - 1) * 2 * sep - sum(natural[c] for c in narrow)
        paragraphs = {c: least[c] for c in wide}
        spare = avail - sum(paragraphs.values())
        if spare >= 0:
            break
    extra = sum(natural[c] - least[c] for c in wide)
    if spare > 0 and extra > 0:
        for c in wide:
            paragraphs[c] += spare * (natural[c] - least[c]) / extra
    return name, f"{sep:g}pt", paragraphs


def _wrap_cells(line: str, paragraphs: dict[int, float]) -> str:
    """Set the cells of the given columns as ragged-right paragraphs (inline math breaks after + and -)."""
    if "&" not in line:
        return line
    cells = line[: -len(r" \\")].split(" & ")
    for c, width in paragraphs.items():
        if c < len(cells) and cells[c] != "--":
            cells[c] = r"\parbox[t]{%.0fpt}{\raggedright %s}" % (width, cells[c])
    return " & ".join(cells) + r" \\"


def _chunks(cell: str) -> list[str]:
    """The pieces of a math cell between top-level + and - (where TeX may break the line)."""
    out, depth, cur = [], 0, ""
    i = 0
    while i < len(cell):
        if cell.startswith(r"\left", i):
            depth += 1
        elif cell.startswith(r"\right", i):
            depth -= 1
        ch = cell[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if depth == 0 and cell.startswith((" + ", " - "), i):
            out.append(cur)
            cur = ""
            i += 3
            continue
        cur += ch
        i += 1
    return [*out, cur]


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
    if isinstance(v, tuple):
        a, b = v
        return _latex_cell(p, a, column) if a == b else f"{_latex_cell(p, a, column)}{PAIR}{_latex_cell(p, b, column)}"
    v = A.norm(v)
    if isinstance(v, int):
        return str(v)
    dec = _decimal(v)
    if dec is not None:
        return dec
    # plain parentheses: rows stay one line high and a long cell may break inside them
    return p._hprint_value(v).replace(r"\left(", "(").replace(r"\right)", ")")


def _latex_rows(p: RfsymLatexPrinter, table: Table, cols: tuple[str, ...]) -> list[str]:
    """The body lines ``cell & cell & … \\``, with a little space after the input row."""
    raw = [_raw_cells(table, c) for c in cols]
    lines = []
    for i in range(len(table.rows)):
        cells = []
        for c, col in enumerate(cols):
            vals = raw[c][i]
            if col == "layer":
                cells.append(_latex_cell(p, vals[0], col))
            elif all(v is None for v in vals):
                cells.append("--")
            else:
                cells.append("$%s$" % _tuple([_latex_cell(p, v, col) for v in vals]))
        lines.append(" & ".join(cells) + r" \\")
        if i == 0 and table.rows[0].layer is None and len(table.rows) > 1:
            lines.append(r"\addlinespace")
    return lines


def _latex_head(p: RfsymLatexPrinter, column: str) -> str:
    return "layer" if column == "layer" else "$%s$" % p._names[_PARAM.get(column, column)]


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
    **settings: Any,
) -> str:
    r"""A booktabs table: ``\begin{table}`` with caption and label, or only the ``tabular`` (``floating=False``).

    ``caption`` is LaTeX (not escaped); the default names the network, input,
    convention and origin.  ``size`` is ``"auto"`` (default: the largest of
    normal, small, footnote, script and tiny size whose estimated width
    fits an article's text width) or one of ``tiny, scriptsize, footnotesize, small,
    normalsize``.  Other keyword arguments are settings of
    :func:`rfsym.latex` (``names``, ``floor_style``, …) used for the symbolic cells.
    """
    from .printer import printer_for  # sympy: a numeric text table never imports it

    cols = _check_columns(columns)
    if size is not None and size != "auto" and size not in SIZES:
        raise RfsymError(f"table size must be 'auto' or one of {', '.join(SIZES)} (got {size!r})")
    settings.setdefault("fold_short_frac", True)  # k/2 rather than a stacked fraction: rows stay one line high
    settings.setdefault("floor_style", "fixed")
    p = printer_for(printer, **settings)
    lines = _latex_rows(p, table, cols)
    heads = [_latex_head(p, c) for c in cols]
    sep = None
    paragraphs: dict[int, float] = {}
    if size == "auto":
        size, sep, paragraphs = _auto_size([heads] + [ln[: -len(r" \\")].split(" & ") for ln in lines if "&" in ln])
    if paragraphs:
        lines = [_wrap_cells(ln, paragraphs) for ln in lines]
    spec = "".join("l" if c == "layer" or i in paragraphs else "r" for i, c in enumerate(cols))
    tabular = [
        r"\begin{tabular}{@{}" + spec + "@{}}",
        r"\toprule",
        " & ".join(heads) + r" \\",
        r"\midrule",
        *lines,
        r"\bottomrule",
        r"\end{tabular}",
    ]
    if not floating:
        pre = ([r"{\%s" % size] if size else []) + ([r"\setlength{\tabcolsep}{%s}" % sep] if sep else [])
        if sep and not size:
            pre.insert(0, "{")
        return "\n".join(pre + tabular + (["}"] if size or sep else [])) + "\n"
    if caption is None:
        inp = _tuple([_latex_cell(p, v, "n") for v in table.input])
        caption = (
            f"Receptive-field arithmetic of \\texttt{{{tex_text(table.name)}}} (input ${inp}$, "
            f"{table.convention} convention, origin ${_latex_cell(p, table.origin, 'start')}$)."
        )
        if table.recurrence_from is not None:
            first = table.rows[table.recurrence_from].name
            caption += (
                f" From \\texttt{{{tex_text(first)}}} on, each row gives its values by the recurrence on the "
                "previous row's."
            )
    out = [r"\begin{table}[%s]" % placement, r"\centering", r"\caption{" + caption + "}"]
    if label:
        out.append(r"\label{" + label + "}")
    out += (["\\" + size] if size else []) + ([r"\setlength{\tabcolsep}{%s}" % sep] if sep else [])
    return "\n".join([*out, *tabular, r"\end{table}"]) + "\n"
