"""Per-layer tables as LaTeX (booktabs)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import _arith as A

if TYPE_CHECKING:
    from ..network import Table

__all__ = ["table_latex"]

COLUMNS = ("layer", "kernel", "stride", "padding", "dilation", "n", "j", "r", "start", "P")
_HEAD = {
    "layer": r"layer",
    "kernel": r"$k$",
    "stride": r"$s$",
    "padding": r"$p$",
    "dilation": r"$d$",
    "n": r"$n$",
    "j": r"$j$",
    "r": r"$r$",
    "start": r"start",
    "P": r"$P$",
}


def _tex_value(v: Any) -> str:
    import sympy

    v = A.norm(v)
    if isinstance(v, int):
        return str(v)
    return sympy.latex(A.to_sympy(v))


def _tex_param(p: Any) -> str:
    if p is None:
        return "--"
    if isinstance(p, str):
        return r"\texttt{" + p.replace("_", r"\_") + "}"
    if isinstance(p, tuple):
        a, b = p
        return _tex_value(a) if a == b else f"({_tex_value(a)}, {_tex_value(b)})"
    return _tex_value(p)


def _tex_text(s: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("&", r"\&"), ("%", r"\%"), ("#", r"\#"), ("$", r"\$")):
        s = s.replace(a, b)
    return s


def table_latex(
    table: Table,
    columns: tuple[str, ...] | list[str] = COLUMNS,
    caption: str | None = None,
    label: str | None = None,
) -> str:
    """A booktabs ``table`` environment; per-axis values print as ``3\\times 5``."""
    from ..errors import RfsymError

    bad = [c for c in columns if c not in COLUMNS]
    if bad:
        raise RfsymError(f"unknown table column {bad[0]!r} (choose from {', '.join(COLUMNS)})")
    key = {"P": "effective_padding"}
    lines = []
    for row in table.rows:
        cells = []
        for c in columns:
            if c == "layer":
                cells.append(_tex_text(row.name))
                continue
            if c in ("kernel", "stride", "padding", "dilation"):
                vals = [_tex_param(row.layer.params(ax).get(c) if row.layer is not None else None) for ax in range(table.ndim)]
            else:
                vals = [_tex_value(s.as_dict()[key.get(c, c)]) for s in row.states]
            same = all(v == vals[0] for v in vals)
            body = vals[0] if same else r" \times ".join(vals)
            cells.append(body if body == "--" or c == "layer" else f"${body}$")
        lines.append(" & ".join(cells) + r" \\")
    spec = "l" + "r" * (len(columns) - 1)
    cap = caption or f"Receptive-field arithmetic of {_tex_text(table.name)} (input {', '.join(A.fmt(v) for v in table.input)}, {table.convention} convention)."
    out = [
        r"\begin{table}[t]",
        r"\centering",
        r"\caption{" + cap + "}",
    ]
    if label:
        out.append(r"\label{" + label + "}")
    out += [
        r"\begin{tabular}{" + spec + "}",
        r"\toprule",
        " & ".join(_HEAD[c] for c in columns) + r" \\",
        r"\midrule",
        *lines,
        r"\bottomrule",
        r"\end{tabular}",
        r"\end{table}",
    ]
    return "\n".join(out) + "\n"
