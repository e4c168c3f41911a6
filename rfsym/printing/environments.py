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

__all__ = ["join_intertext", "label", "wrap"]


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
        if len(rels) == 1 and "&" not in rels[0][1]:
            lhs, rhs, _ = rels[0]
            inner = f"{lhs} = {rhs}"
        else:
            inner = (
                "\\begin{aligned}\n" + " \\\\\n".join(f"  {lhs} &= {rhs}" for lhs, rhs, _ in rels) + "\n\\end{aligned}"
            )
        lab = "" if star else label(p)
        return "\\begin{%s}%s\n%s\n\\end{%s}" % (env, lab, inner, env)
    lines = []
    for lhs, rhs, key in rels:
        lab = "" if star else label(p, key if len(rels) > 1 else None)
        lines.append(f"  {lhs} &= {rhs}{lab}")
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
