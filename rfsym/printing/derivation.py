r"""The derivation of a network's closed form, step by step, as an ``align`` environment.

It shows the per-layer recurrence (obtained by running ``Conv.transfer`` on a
symbolic state: the arithmetic lives in the layer, not here), its unrolling
over the network's layers (or, beyond ``compact_threshold`` layers, the
general L-layer stack's sums and products), the folded closed form, and the
domains of the free symbols.

References: Araujo, Norris and Sim, *Computing Receptive Fields of
Convolutional Neural Networks*, Distill 2019; the floor-folding identity
``floor((floor(x/a) + c)/b) = floor((x + a c)/(a b))``.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from .. import _arith as A
from .._display import term_text
from ..errors import RfsymError
from ..layers import AxisState, Conv, Pool
from ..network import is_pass_through, parse_origin
from .environments import LINE_CHARS, break_rhs, join_intertext, label, rhs_width
from .escape import tex_text
from .printer import RfsymLatexPrinter, _small
from .relations import derived, few_symbols, flat_depth, general_form, is_graph, output_index
from .settings import _STATE_KEY, QUANTITIES, Rel, index_symbol, indexed

__all__ = ["derivation", "recurrence_lines"]

_FOLDING = (
    r"Folding the nested floors with $\lfloor (\lfloor x/a \rfloor + c)/b \rfloor = "
    r"\lfloor (x + ac)/(ab) \rfloor$ (integers $x$, $c$; positive integers $a$, $b$) "
    r"gives the closed form of the output:"
)


def _too_wide(tex: str) -> bool:
    """True when a right-hand side has a piece that no top-level + or - can break to the column width."""
    from .table import _visible_chars

    return any(_visible_chars(piece) > LINE_CHARS for piece in break_rhs(tex))


def _generic_recurrence(convention: str = "framework") -> tuple[Any, Any, Any]:
    """(kappa definition, previous state, next state) of a generic layer, through the transfer function."""
    ell = index_symbol()
    pos = {"integer": True, "positive": True}
    nonneg = {"integer": True, "nonnegative": True}
    k, d = indexed("k", ell, **pos), indexed("d", ell, **pos)
    unit = AxisState(n=indexed("n", 0, **pos), j=1, r=1, start=0, P=0)
    kappa_def = Conv(kernel=k, dilation=d).transfer(unit).r  # r of one layer on a unit state: d (k - 1) + 1
    return (
        ell,
        kappa_def,
        (
            indexed("kappa", ell, **pos),
            indexed("s", ell, **pos),
            indexed("pL", ell, **nonneg),
            indexed("pR", ell, **nonneg),
        ),
    )


def recurrence_lines(p: RfsymLatexPrinter, convention: str = "framework") -> list[Rel]:
    """The per-layer recurrence ``q_ell = f(q_{ell-1})``, one line per quantity, from Conv.transfer."""
    ell, kappa_def, (kap, s, pl, pr) = _generic_recurrence(convention)
    base = p._settings["index_base"]
    i_in, i_out = ell - base, ell + 1 - base
    prev = _symbolic_state(i_in)
    out = Conv(kernel=kap, stride=s, padding=(pl, pr)).transfer(prev, 0, convention)
    lines: list[Rel] = [(p._print(kap), p._print(kappa_def), "kappa")]
    for q in p._settings["quantities"]:
        lines.append((p._print(indexed(q, i_out)), p._print(getattr(out, q)), q))
    return lines


def _symbolic_state(index: Any) -> Any:
    """The state of layer ``index`` as symbols; n is a positive integer, j and r are positive."""
    pos = {"positive": True}
    return AxisState(
        n=indexed("n", index, integer=True, positive=True),
        j=indexed("j", index, **pos),
        r=indexed("r", index, **pos),
        start=indexed("start", index),
        P=indexed("P", index),
    )


def _input_lines(p: RfsymLatexPrinter, state: Any) -> list[Rel]:
    return [
        (p._hprint_indexed(q, "0"), p._hprint_value(state.as_dict()[_STATE_KEY.get(q, q)]), None)
        for q in p._settings["quantities"]
    ]


def _natural(name: str) -> tuple[Any, ...]:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name))


def _assumption_lines(p: RfsymLatexPrinter, net: Any) -> list[str]:
    """One line per domain: the free symbols that share it (runs such as ``k_0, k_1, …, k_999`` abbreviated)."""
    groups: dict[tuple[str, str, str], list[Any]] = {}
    for sym in sorted(net.free_symbols, key=lambda x: _natural(x.name)):
        dom = net.symbols.get(sym.name)
        vals = dom.values(limit=12) if dom is not None else None
        odd = sym.is_odd or (dom is not None and dom.odd)
        even = sym.is_even or (dom is not None and dom.even)
        kind = r"\text{odd}" if odd else r"\text{even}" if even else r"\text{integer}"
        if vals is not None:
            rel = (r"&\in \{%s\}" % ", ".join(str(v) for v in vals), "")
        else:
            lo = (
                dom.lower
                if dom is not None and dom.lower is not None
                else (1 if sym.is_positive else 0 if sym.is_nonnegative else None)
            )
            hi = dom.max if dom is not None else None
            if lo is not None and hi is not None:
                rel = (r"&\leq %d,\quad %s" % (hi, kind), r"%d \leq " % lo)
            elif lo is not None:
                rel = (r"&\geq %d,\quad %s" % (lo, kind), "")
            else:
                rel = (r"&\in \text{integers}", "")
        stem = re.sub(r"_?\d+$", "", sym.name)
        groups.setdefault((stem, rel[0], rel[1]), []).append(sym)
    out = []
    for (_, relation, prefix), syms in groups.items():
        if len(syms) > 4:
            names = [p._print(syms[0]), p._print(syms[1]), r"\dots", p._print(syms[-1])]
        else:
            names = [p._print(x) for x in syms]
        out.append(r"%s%s %s" % (prefix, ", ".join(names), relation))
    return out


class _Rows:
    """The lines of an ``align`` under construction: relations and ``\\intertext`` explanations."""

    def __init__(self, p: RfsymLatexPrinter) -> None:
        self.p = p
        self.star = p._settings["environment"].endswith("*")
        self.rows: list[str] = []

    def inter(self, s: str) -> None:
        if self.p._settings["intertext"]:
            self.rows.append(r"\intertext{%s}" % s)

    def line(self, lhs: str, rhs: str, key: str | None = None, number: bool = False) -> None:
        lab = label(self.p, key) if number and key and not self.star else ""
        tag = "" if self.star or number else r"\notag"
        pieces = break_rhs(rhs, rhs_width(lhs))
        if len(pieces) > 1:  # continuation lines are never numbered; the label goes on the last
            notag = "" if self.star else r"\notag"
            rhs = (notag + r" \\" + "\n" + r"  &\qquad ").join(pieces)
        self.rows.append(f"  {lhs} &= {rhs}{tag}{lab}")

    def forms(self, index: str, vals: dict[str, Any], number: bool = True) -> None:
        """One numbered line per chosen quantity: ``q_{index} = value``."""
        p = self.p
        for q in p._settings["quantities"]:
            v = vals[q]
            tex = v if isinstance(v, str) else p._hprint_value(p._hprint_reindex(v))
            units = p._settings["units"]
            if units is not None and q in ("j", "r", "start") and not isinstance(v, str) and A.is_num(v):
                tex += r" %s %s" % ("=" if units.exact(v) else r"\approx", units.tex(v))
            self.line(p._hprint_indexed(q, index), tex, q, number=number)

    def text(self) -> str:
        env = self.p._settings["environment"]
        return "\\begin{%s}\n%s\n\\end{%s}\n" % (env, " \\\\\n".join(join_intertext(self.rows)), env)


def _axis_note(net: Any, axis: int, inp: Any) -> str:
    """Which axes an N-D derivation covers: every axis (when they agree) or this one."""
    if len(inp) == 1:
        return ""
    same = [a for a in range(len(inp)) if _axis_key(net, a, inp) == _axis_key(net, axis, inp)]
    if len(same) == len(inp):
        return r" (on each of its %d axes, which have the same parameters)" % len(inp)
    covered = " and ".join(str(a) for a in same)
    others = len(inp) - len(same)
    return r" on axis %s of %d (the other %s the same steps with %s own parameters)" % (
        covered if len(same) == 1 else "es " + covered,
        len(inp),
        "axis follows" if others == 1 else f"{others} axes follow",
        "its" if others == 1 else "their",
    )


def _axis_key(net: Any, axis: int, inp: Any) -> tuple[Any, ...]:
    try:
        flat = net.flat_layers()
    except (RfsymError, AttributeError):  # a symbolic repeat count: its block stands for every copy
        flat = net.layers
    return (str(inp[axis]),) + tuple(
        str(lay.axis_params(axis)) if hasattr(lay, "axis_params") else str(lay) for lay in flat
    )


def _check_derivable(net: Any, convention: str) -> None:
    if is_graph(net):
        raise RfsymError(
            f"{term_text(net.name)}: derivations cover sequential networks; for a graph print its table "
            "(rfsym.latex(net.table())) and its output (rfsym.latex(net))"
        )
    if convention != "framework":
        raise RfsymError(
            f"derivations use the framework convention (got {convention!r}); the seed convention's left padding "
            "depends on every intermediate n and has no closed form"
        )


def _output_state(net: Any, axis: int, convention: str, origin: Any) -> dict[str, Any]:
    table = net.table(convention=convention, origin=origin)
    return {q: table.output[axis].as_dict()[_STATE_KEY.get(q, q)] for q in QUANTITIES}


def _layers_text(index: str, depth_tex: str) -> str:
    """``$L = 3$ layers`` (a number of layers) or ``$L$ layers``."""
    same = index == depth_tex or index == r"\mathrm{out}"
    return r"$%s$ layers" % (depth_tex if same else f"{index} = {depth_tex}")


def _unrolled(out: _Rows, net: Any, axis: int, convention: str, origin: Any, name: str, index: str) -> None:
    """A short stack: every layer's step; the last one is the output (its values, or, symbolic, its folded
    closed form after the nested floors).  Pass-through rows are left out unless ``pass_through``."""
    p = out.p
    table = net.table(convention=convention, origin=origin)
    rows = [r for r in table.rows[1:] if p._settings["pass_through"] or not is_pass_through(r.layer)]
    numeric = not net.free_symbols
    out.inter(r"Unrolled over the %s of %s:" % (_layers_text(index, str(len(rows))), name))
    for pos, row in enumerate(rows, 1):
        last = pos == len(rows)
        if last and numeric:
            out.inter(
                r"and the last layer gives the output: %s acts on this axis as one layer of kernel $%s$, stride "
                r"$%s$ and left padding $%s$:"
                % (name, p._hprint_indexed("r", index), p._hprint_indexed("j", index), p._hprint_indexed("P", index))
            )
        step = row.layer.transfer(_symbolic_state(pos - 1), axis, convention)
        for q in p._settings["quantities"]:
            mid = p._print(A.to_sympy(getattr(step, q)))
            val = p._hprint_value(row.states[axis].as_dict()[_STATE_KEY.get(q, q)])
            lhs = p._hprint_indexed(q, index if last and numeric else str(pos))
            rhs = val if mid == val else f"{mid} = {val}"
            if not numeric and mid != val and len(break_rhs(rhs, rhs_width(lhs))) > 1:
                rhs = mid  # a symbolic value that needs lines of its own: the step only (the folded form follows)
            units = p._settings["units"]
            v = row.states[axis].as_dict()[_STATE_KEY.get(q, q)]
            if last and numeric and units is not None and q in ("j", "r", "start"):
                rhs += r" %s %s" % ("=" if units.exact(v) else r"\approx", units.tex(v))
            out.line(lhs, rhs, q, number=last and numeric)
    if not numeric:
        out.inter(_FOLDING)
        out.forms(index, _compact_forms(p, net, axis, origin, derived(net, axis, origin), index))


def _general(out: _Rows, net: Any, axis: int, convention: str, origin: Any, name: str, index: str, depth: Any) -> None:
    """A deep stack: the general L-layer form with L = depth, then its values when they are short (for one
    repeated layer, through the geometric sums of its parameters).  Only the last form is numbered."""
    p = out.p
    syms = net.free_symbols
    numeric = not syms
    general = general_form(net, depth, net.axes_input()[axis], origin)
    vals = None
    if numeric:
        vals = _output_state(net, axis, convention, origin)
    elif few_symbols(syms):
        vals = derived(net, axis, origin)
    short = vals is not None and all(A.is_num(v) or _small(A.to_sympy(v), 400) for v in vals.values())
    if general is not None:
        out.inter(
            r"Unrolling the recurrence over the %s of %s and folding the nested floors gives "
            r"sums and products over the layers (layer $%s$ has the parameters above):"
            % (_layers_text(index, p._hprint_value(depth)), name, p._settings["index"])
        )
        out.forms(index, _compact_general(p, general, index, origin), number=not short)
        geometric = _geometric_step(net, general) if short and not numeric else None
        if geometric is not None:
            ratio = p._print(geometric[1])
            out.inter(
                r"Every layer is the block's layer, so the products are powers of $%s$; the sums are geometric, "
                r"$\sum_{%s=1}^{%s} %s^{%s - 1} = \frac{%s^{%s} - 1}{%s - 1}$ for $%s \neq 1$ (and $%s$ for $%s = 1$):"
                % (ratio, p._settings["index"], p._print(geometric[2]), ratio, p._settings["index"], ratio,
                   p._print(geometric[2]), ratio, ratio, p._print(geometric[2]), ratio)
            )  # fmt: skip
            out.forms(index, geometric[0], number=False)
    if short:
        assert vals is not None
        out.inter(
            r"With the parameters of %s this is" % name
            if general is not None
            else r"The closed form of the output of %s:" % name
        )
        out.forms(index, vals if numeric else _compact_forms(p, net, axis, origin, vals, index))
    elif general is None:
        raise RfsymError(
            f"{term_text(net.name)}: the closed form is too long to print and the network is not a plain stack of "
            "convolutions and poolings; use rfsym.derive for it"
        )


def _compact_forms(
    p: RfsymLatexPrinter, net: Any, axis: int, origin: Any, vals: dict[str, Any], index: str
) -> dict[str, Any]:
    """The folded closed forms, with ``n`` (a floor of one long fraction, which cannot break across lines)
    written through ``r``, ``j`` and the total padding ``T`` when it is long, and ``start`` through ``r`` and
    ``P`` -- the identities of the general form's (checked against the table in tests/test_paper.py); ``T``
    is a sum, which breaks."""
    out = dict(vals)
    qs = set(p._settings["quantities"])
    start_tex = p._hprint_value(p._hprint_reindex(vals["start"]))
    if {"r", "P", "start"} <= qs and _too_wide(start_tex):
        out["start"] = r"\frac{%s - 1}{2} + %s - %s" % (
            p._hprint_indexed("r", index),
            p._hprint_value(origin),
            p._hprint_indexed("P", index),
        )
    n_tex = p._hprint_value(p._hprint_reindex(vals["n"]))
    if not _too_wide(n_tex) or not {"n", "j", "r"} <= qs:
        return out
    from ..closed_form import derive

    total = getattr(derive(net, axis=axis, origin=origin), "total_padding_", None)
    if total is None:
        return out
    out["n"] = r"\left\lfloor \frac{%s + T - %s}{%s} \right\rfloor + 1,\quad T = %s" % (
        p._hprint_indexed("n", "0"),
        p._hprint_indexed("r", index),
        p._hprint_indexed("j", index),
        p._hprint_value(total),
    )
    return out


def _compact_general(p: RfsymLatexPrinter, general: dict[str, Any], index: str, origin: Any) -> dict[str, Any]:
    """The general form to print in one column: ``n`` through ``r``, ``j`` and the total padding ``T``
    (``n_L = \\lfloor (n_0 + T_L - r_L)/j_L \\rfloor + 1``, as the transfer functions compose) and ``start``
    through ``r`` and ``P`` (``start_L = (r_L - 1)/2 + start_0 - P_L``) when those are printed too."""
    qs = set(p._settings["quantities"])
    out: dict[str, Any] = dict(general)
    if {"n", "j", "r"} <= qs and "T" in general:
        r, j = p._hprint_indexed("r", index), p._hprint_indexed("j", index)
        t = p._hprint_value(p._hprint_reindex(general["T"]))
        out["n"] = r"\left\lfloor \frac{%s + T - %s}{%s} \right\rfloor + 1,\quad T = %s" % (
            p._hprint_indexed("n", "0"),
            r,
            j,
            t,
        )
    if {"r", "P", "start"} <= qs:
        r, pp = p._hprint_indexed("r", index), p._hprint_indexed("P", index)
        start0 = p._hprint_value(origin)
        out["start"] = r"\frac{%s - 1}{2} + %s - %s" % (r, start0, pp)
    return out


def _geometric_step(net: Any, general: dict[str, Any]) -> tuple[dict[str, Any], Any, Any] | None:
    """For a network that is one layer repeated (a Repeat of one convolution or pooling): the general form
    with that layer's parameters, products evaluated (powers of the stride), sums kept -- the geometric
    sums before they are summed.  (forms, stride, count) or None for any other network."""
    import sympy

    from ..layers import Repeat

    if len(net.layers) != 1 or not isinstance(net.layers[0], Repeat):
        return None
    rep = net.layers[0]
    block = [b for b in rep.block if not is_pass_through(b)]
    if len(block) != 1 or not isinstance(block[0], (Conv, Pool)):
        return None
    k, s, (pl, pr), d, _ = block[0].axis_params(0)
    if any(isinstance(v, str) for v in (k, s, pl, pr, d)):
        return None
    values = {"k": k, "s": s, "d": d, "pL": pl, "pR": pr}

    def sub(e: Any) -> Any:
        def walk(x: Any) -> Any:
            if isinstance(x, sympy.Indexed):
                key = str(x.base.label).removeprefix("rf:")
                return A.to_sympy(values[key]) if key in values else x
            if isinstance(x, sympy.Product):
                return sympy.Product(walk(x.function), *x.limits).doit()
            if not x.args or x.is_Atom:
                return x
            args = [walk(a) for a in x.args]
            return x.func(*args)

        return walk(A.to_sympy(e))

    try:
        forms = {q: sub(v) for q, v in general.items()}
    except (TypeError, ValueError, KeyError):
        return None
    return forms, A.to_sympy(s), A.to_sympy(rep.times)


def _spread(out: _Rows, net: Any, axis: int, index: str) -> None:
    """The variance of the output's coverage counts and the hole-free condition (rfsym.coverage.spread), for
    chains it covers; nothing for others."""
    import sympy

    from ..coverage.spread import closed_forms

    p = out.p
    try:
        forms = closed_forms(net, axis)
    except (RfsymError, TypeError, ValueError, NotImplementedError):
        return
    dens = forms.density
    holes = ""
    if dens is not None and (dens.condition is True or dens.condition is sympy.true):
        holes = r"; every input position inside the receptive field reaches the feature (no holes)"
    elif dens is not None and (dens.condition is False or dens.condition is sympy.false):
        holes = r"; the receptive field has holes (input positions inside it that reach no feature)"
    out.inter(
        r"With every weight one, the input positions that reach a feature, counted once per path, spread "
        r"with variance $\sigma^{2}_{%s}$%s:" % (index, holes)
    )
    out.line(r"\sigma^{2}_{%s}" % index, p._hprint_value(p._hprint_reindex(forms.variance)))
    if dens is not None and not holes:
        order = "" if dens.order in (True, sympy.true) else r" (given $%s$)" % p._print(dens.order)
        out.inter(r"The receptive field has no holes exactly when%s" % order)
        out.rows.append(r"  \text{no holes} &\iff " + p._print(dens.condition) + ("" if out.star else r"\notag"))


def derivation_lines(
    p: RfsymLatexPrinter, net: Any, axis: int = 0, convention: str = "framework", origin: Any = None
) -> str:
    """The body of :func:`derivation`."""
    origin = parse_origin(Fraction(1, 2) if origin is None else origin)
    _check_derivable(net, convention)
    out = _Rows(p)
    name = r"\texttt{%s}" % tex_text(net.name)
    depth = flat_depth(net, p._settings["pass_through"])
    idx = p._settings["index"]
    out.inter(
        r"Each layer $%s$ (kernel $%s$, stride $%s$, left and right padding $%s$ and $%s$, dilation $%s$) maps the "
        r"state of its input to that of its output:"
        % (idx, p._hprint_indexed("k", idx), p._hprint_indexed("s", idx), p._hprint_indexed("p", idx, "L"),
           p._hprint_indexed("p", idx, "R"), p._hprint_indexed("d", idx))
    )  # fmt: skip
    for lhs, rhs, key in recurrence_lines(p, convention):
        out.line(lhs, rhs, key)
    inp = net.axes_input()
    if not 0 <= axis < len(inp):
        raise RfsymError(f"{term_text(net.name)}: axis {axis} out of range (the network has {len(inp)} axes)")
    out.inter(r"starting from the input of %s%s:" % (name, _axis_note(net, axis, inp)))
    for lhs, rhs, _ in _input_lines(p, AxisState.input(inp[axis], origin)):
        out.line(lhs, rhs)
    index = output_index(p, net.free_symbols)
    if isinstance(depth, int) and depth <= p._settings["compact_threshold"]:
        _unrolled(out, net, axis, convention, origin, name, index)
    else:
        _general(out, net, axis, convention, origin, name, index, depth)
    if p._settings["spread"]:
        _spread(out, net, axis, index)
    assumptions = _assumption_lines(p, net)
    if assumptions:
        out.inter("where")
        out.rows.extend(f"  {a_line}" + ("" if out.star else r"\notag") for a_line in assumptions)
    return out.text()


def derivation(net: Any, *, axis: int = 0, origin: Any = None, convention: str = "framework", **settings: Any) -> str:
    r"""An ``align`` environment deriving the closed form of ``net`` step by step.

    It shows the per-layer recurrence (obtained by running each layer kind's
    transfer function on a symbolic state), its unrolling over the network's
    layers, the folded and simplified closed form, and the assumptions used.
    Networks deeper than ``compact_threshold`` layers use sums and products.
    """
    settings.setdefault("environment", "align")
    p = RfsymLatexPrinter(settings)
    env = p._settings["environment"]
    if env not in ("align", "align*"):
        raise RfsymError(f"a derivation needs environment 'align' or 'align*' (got {env!r})")
    return derivation_lines(p, net, axis=axis, convention=convention, origin=origin)
