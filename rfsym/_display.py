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

import unicodedata
from typing import Any

__all__ = ["JupyterLatex", "LatexPrintable", "TableDisplay", "term_text"]


def term_text(s: object) -> str:
    r"""``s`` safe to echo to a terminal: control, format and line-separator characters (escape
    sequences, newlines, bidirectional overrides) shown as Python escapes, the rest unchanged.

    >>> term_text("conv\x1b[31m1\n")
    'conv\\x1b[31m1\\n'
    """
    text = str(s)
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable():
            out.append(ch)
        elif unicodedata.category(ch) == "Zs":
            out.append(" ")
        else:
            out.append(ch.encode("unicode_escape").decode("ascii"))
    return "".join(out)


class LatexPrintable:
    """Mixin: ``sympy.latex(obj)`` prints with rfsym's printer (settings carried over)."""

    __slots__ = ()

    def _latex(self, printer: Any, **kwargs: Any) -> str:
        from .printing.latex import latex_method

        return latex_method(self, printer, **kwargs)


class JupyterLatex(LatexPrintable):
    """Mixin: also ``_repr_latex_`` for Jupyter."""

    __slots__ = ()

    def _repr_latex_(self) -> str:
        from .printing.latex import repr_latex

        return repr_latex(self)


class TableDisplay(LatexPrintable):
    """Mixin for per-layer tables: text, Markdown, LaTeX and HTML, one renderer per format."""

    __slots__ = ()

    def cells(self) -> list[list[str]]:
        """Text cells, one list per row: layer, kernel, stride, padding, dilation, n, j, r, start, P."""
        from .printing.table import table_cells

        return table_cells(self)  # type: ignore[arg-type]

    def to_text(self) -> str:
        """The terminal table (what ``rfsym table`` prints)."""
        from .printing.table import table_text

        return table_text(self)  # type: ignore[arg-type]

    def to_markdown(self, **options: Any) -> str:
        """A GitHub-flavoured Markdown table."""
        from .printing.table import table_markdown

        return table_markdown(self, **options)  # type: ignore[arg-type]

    def to_latex(self, **settings: Any) -> str:
        """A booktabs table (see :func:`rfsym.printing.table.table_latex`)."""
        from .printing.table import table_latex

        return table_latex(self, **settings)  # type: ignore[arg-type]

    def _repr_html_(self) -> str:
        from .printing.table import table_html

        return table_html(self)  # type: ignore[arg-type]

    def __str__(self) -> str:
        return self.to_text()
