"""Display mixins (level 0): how rfsym objects print, without importing the printers early.

Like sympy's ``sympy/core/_print_helpers.py``: the classes of the lower
levels (layers, networks, graphs, closed forms, solution sets) inherit these
mixins, and each method imports :mod:`rfsym.printing` only when it is called.
So no lower module imports the printing package, ``import rfsym`` stays light,
and every entry point (``sympy.latex(obj)``, :func:`rfsym.latex`, Jupyter, the
CLI) goes through the same printer and the same table renderers.

* ``sympy.latex(obj)`` asks an object for ``_latex(printer)``;
* Jupyter asks for ``_repr_latex_()`` and ``_repr_html_()``;
* tables render as text, Markdown, LaTeX and HTML through
  :mod:`rfsym.printing.table`.
"""

from __future__ import annotations

import functools
import re
from typing import Any

__all__ = ["JupyterLatex", "LatexPrintable", "LatexRelations", "TableDisplay", "term_text"]


#: Characters that act on a terminal or split a line: C0/C1 controls, DEL, line and
#: paragraph separators, bidirectional overrides and isolates, lone surrogates.
_UNSAFE_RANGES = ((0x00, 0x1F), (0x7F, 0x9F), (0x2028, 0x2029), (0x202A, 0x202E), (0x2066, 0x2069), (0xD800, 0xDFFF))


def _char_class(keep: str = "") -> re.Pattern[str]:
    parts = []
    for lo, hi in _UNSAFE_RANGES:
        start = lo
        for c in sorted(ord(k) for k in set(keep) if lo <= ord(k) <= hi) + [hi + 1]:
            if start <= c - 1:
                parts.append(f"\\U{start:08x}-\\U{c - 1:08x}" if start < c - 1 else f"\\U{start:08x}")
            start = c + 1
    return re.compile("[" + "".join(parts) + "]")


_UNSAFE = _char_class()
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\e"}


def _escape(c: str) -> str:
    if c in _NAMED:
        return _NAMED[c]
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


@functools.lru_cache(maxsize=8)
def _unsafe_except(keep: str) -> re.Pattern[str]:
    """The unsafe characters minus those in ``keep``, as one compiled class (no callback per kept char)."""
    return _char_class(keep) if keep else _UNSAFE


def term_text(text: object, keep: str = "") -> str:
    r"""``text`` safe to echo to a terminal: control characters written as escapes (``\n``, ``\e``,
    ``\x07``, ``\u202e``); characters in ``keep`` (``"\n\t"`` for multi-line output) pass through.

    >>> term_text("conv\x1b[31m1\n")
    'conv\\e[31m1\\n'
    >>> term_text("a\tb\n\x07", keep="\n\t")
    'a\tb\n\\x07'
    """
    text = str(text)
    pattern = _unsafe_except(keep)
    if not pattern.search(text):
        return text
    return pattern.sub(lambda m: _escape(m.group()), text)


class LatexPrintable:
    """Mixin: ``sympy.latex(obj)`` prints with rfsym's printer (settings carried over), and Jupyter shows the
    object: ``_repr_latex_`` (layers, states, rows, networks, graphs) and, for networks and graphs,
    ``_repr_html_`` (the per-layer table and the output, which notebooks prefer)."""

    __slots__ = ()

    def _latex(self, printer: Any, **kwargs: Any) -> str:
        from .printing.latex import latex_method

        return latex_method(self, printer, **kwargs)

    def _repr_latex_(self) -> str | None:
        from .printing.latex import repr_latex

        return repr_latex(self)

    def _repr_html_(self) -> str | None:
        from .printing.table import network_html

        return network_html(self)


class JupyterLatex(LatexPrintable):
    """Mixin: ``_repr_latex_`` for Jupyter (closed forms, solution sets: formulas only, no HTML)."""

    __slots__ = ()

    def _repr_html_(self) -> str | None:
        return None  # notebooks prefer HTML: these show as LaTeX


class LatexRelations(JupyterLatex):
    """Mixin for objects that print as relations (closed forms): ``latex_lines`` and ``to_latex``."""

    __slots__ = ()

    def latex_lines(self, **settings: Any) -> list[str]:
        """One ``lhs &= rhs`` line per relation, as :func:`rfsym.latex` prints them."""
        from .printing.latex import latex_lines

        return latex_lines(self, **settings)

    def to_latex(self, **settings: Any) -> str:
        """An ``align*`` environment (or the ``environment`` setting) with the relations: :func:`rfsym.latex`."""
        from .printing.latex import latex

        settings.setdefault("environment", "align*")
        return latex(self, **settings)


class TableDisplay(LatexPrintable):
    """Mixin for per-layer tables: text, Markdown, LaTeX and HTML, one renderer per format."""

    __slots__ = ()

    def cells(self, **options: Any) -> list[list[str]]:
        """Text cells, one list per row (every row, in samples, unless ``pass_through=False`` or ``units``):
        layer, kernel, stride, padding, dilation, n, j, r, start, P."""
        from .printing.table import table_cells

        return table_cells(self, **options)  # type: ignore[arg-type]

    def to_text(self, **options: Any) -> str:
        """The terminal table (what ``rfsym table`` prints): ``columns``, ``pass_through`` (show
        activations, normalisation, dropout; default hidden, a line says how many) and ``units`` (default
        the spec's own sample rate; :func:`rfsym.printing.units.parse_units`)."""
        from .printing.table import table_text

        return table_text(self, **options)  # type: ignore[arg-type]

    def to_markdown(self, **options: Any) -> str:
        """A GitHub-flavoured Markdown table (options as :meth:`to_text`)."""
        from .printing.table import table_markdown

        return table_markdown(self, **options)  # type: ignore[arg-type]

    def to_json(self, units: Any = "auto") -> str:
        """The JSON form (docs/conventions.md): every layer, exact; ``units`` as :meth:`to_text` adds the
        values in the unit next to the sample values."""
        import json

        from .printing.table import table_units

        return json.dumps(self.to_dict(units=table_units(self, units)), indent=2)  # type: ignore[attr-defined]

    def to_latex(self, **settings: Any) -> str:
        """A booktabs table (see :func:`rfsym.printing.table.table_latex`)."""
        from .printing.table import table_latex

        return table_latex(self, **settings)  # type: ignore[arg-type]

    def _repr_html_(self) -> str:
        from .printing.table import table_html

        return table_html(self)  # type: ignore[arg-type]

    def _repr_latex_(self) -> str | None:
        return None  # a tabular is not math: notebooks show the HTML table

    def __str__(self) -> str:
        return self.to_text()
