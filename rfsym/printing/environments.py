r"""LaTeX environments around printed relations: bare, inline ``$…$``, ``equation`` and ``align``.

``wrap`` puts relations (or one expression) in the environment named by the
``environment`` setting, with ``\label`` keys from the ``label`` setting
(``<label>:<quantity>`` per line when there are several).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .settings import Rel

if TYPE_CHECKING:
    from .printer import RfsymLatexPrinter

__all__ = ["LINE_CHARS", "break_rhs", "rhs_width", "join_intertext", "label", "wrap"]


#: the visible characters of one derivation line's right-hand side (a column at 11 pt, less the lhs)
LINE_CHARS = 48


def rhs_width(lhs: str) -> int:
    """The visible characters a right-hand side may take next to ``lhs`` (LINE_CHARS is measured next to
    a two-glyph left-hand side such as ``r_{L}``)."""
    from .table import _visible_chars

    return max(24, LINE_CHARS + 2 - _visible_chars(lhs))


def break_rhs(rhs: str, width: int = LINE_CHARS) -> list[str]:
    """A long right-hand side split at its top-level ``+`` and ``-`` (outside braces, ``\\left…\\right`` and
    environments such as ``cases``)
    into pieces of at most ``width`` visible characters each (a piece that cannot be split stays whole); the
    operator starts the next piece."""
    from .table import _visible_chars

    if _visible_chars(rhs) <= width:
        return [rhs]
    terms: list[str] = []
    depth, start, i = 0, 0, 0
    while i < len(rhs):
        if rhs.startswith((r"\left", r"\begin{"), i):
            depth += 1
        elif rhs.startswith((r"\right", r"\end{"), i):
            depth -= 1
        c = rhs[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif depth == 0 and i > start and rhs.startswith((" + ", " - "), i):
            terms.append(rhs[start:i])
            start = i + 1
        i += 1
    terms.append(rhs[start:])
    pieces: list[str] = []
    for t in terms:
        if pieces and _visible_chars(pieces[-1] + " " + t) <= width:
            pieces[-1] += " " + t
        else:
            pieces.append(t)
    return pieces


_ALIGNED_CONT = r" \\ &\qquad "


def _lines(rhs: str, cont: str, lhs: str = "") -> str:
    """``rhs`` broken to the column width, continuation lines joined by ``cont`` (already-broken ones as they are)."""
    if r"\\" in rhs:
        return rhs
    return cont.join(break_rhs(rhs, rhs_width(lhs)))


def label(p: RfsymLatexPrinter, key: str | None = None) -> str:
    """``\\label{<label>}`` or ``\\label{<label>:<key>}``; empty without the ``label`` setting."""
    lab = p._settings["label"]
    if not lab:
        return ""
    return r"\label{%s}" % (f"{lab}:{key}" if key else lab)


def wrap(p: RfsymLatexPrinter, rels: Sequence[Rel] | None, body: str | None = None) -> str:
    """Put relations (lhs, rhs, key) or one body in the chosen environment."""
    env = p._settings["environment"]
    if rels is None:
        assert body is not None
        if env is None:
            return body
        if env == "inline":
            return f"${body}$"
        lab = label(p) if not env.endswith("*") else ""
        if env.startswith("equation"):
            return "\\begin{%s}%s\n%s\n\\end{%s}" % (env, lab, body, env)
        return "\\begin{%s}\n%s%s\n\\end{%s}" % (env, body, lab, env)
    if env is None:
        return p._hprint_relations([(lhs, rhs) for lhs, rhs, _ in rels])
    if env == "inline":
        return "$" + p._hprint_relations([(lhs, rhs) for lhs, rhs, _ in rels]) + "$"
    star = env.endswith("*")
    if env.startswith("equation"):
        if len(rels) == 1 and "&" not in rels[0][1] and len(break_rhs(rels[0][1], rhs_width(rels[0][0]))) == 1:
            lhs, rhs, _ = rels[0]
            inner = f"{lhs} = {rhs}"
        else:
            inner = (
                "\\begin{aligned}\n"
                + " \\\\\n".join(f"  {lhs} &= {_lines(rhs, _ALIGNED_CONT, lhs)}" for lhs, rhs, _ in rels)
                + "\n\\end{aligned}"
            )
        lab = "" if star else label(p)
        return "\\begin{%s}%s\n%s\n\\end{%s}" % (env, lab, inner, env)
    lines = []
    cont = (r" \\" if star else r"\notag \\") + "\n" + r"  &\qquad "
    for lhs, rhs, key in rels:
        lab = "" if star else label(p, key if len(rels) > 1 else None)
        lines.append(f"  {lhs} &= {_lines(rhs, cont, lhs)}{lab}")
    return "\\begin{%s}\n%s\n\\end{%s}" % (env, " \\\\\n".join(lines), env)


def join_intertext(rows: list[str]) -> list[str]:
    """Attach each ``\\intertext`` to the following line (no empty line before it)."""
    out: list[str] = []
    pending = ""
    for r in rows:
        if r.startswith(r"\intertext"):
            pending += r + "\n"
        else:
            out.append(pending + r)
            pending = ""
    if pending:
        out[-1] += "\n" + pending.rstrip()
    return out
