"""What rfsym objects print as: relations ``lhs = rhs`` of networks, graphs, closed forms and solution sets.

A network's output prints its exact values (numeric networks), its closed
forms (:func:`rfsym.derive`, floors folded), or, for deep stacks with many
symbols, the general L-layer stack's sums and products; a graph prints the
state of its output node; a solution set prints as a set of tuples, a union
of arithmetic progressions, or symbolic solutions with their conditions.
Functions here take the printer as their first argument.

Reference: Araujo, Norris and Sim, *Computing Receptive Fields of
Convolutional Neural Networks*, Distill 2019 (effective padding ``P``).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import sympy

from .. import _arith as A
from .._display import term_text
from ..closed_form import derive, general_stack
from ..errors import RfsymError
from ..graph import Graph
from ..layers import AxisState, Conv, Pool, Repeat
from ..network import Network, Row, is_pass_through
from ..values import symbol
from .escape import tex_text
from .settings import _PREFIX, _STATE_KEY, QUANTITIES, Rel

if TYPE_CHECKING:
    from .printer import RfsymLatexPrinter

__all__ = ["flat_depth", "general_form", "graph_relations", "output_relations", "relations_of", "solve_relations"]


def solve_relations(p: RfsymLatexPrinter, res: Any) -> list[Rel]:
    """A solution set as relations: the set of tuples, its simplest exact description when infinite, or
    symbolic solutions with their conditions."""

    def sym(name: str) -> str:
        return p._print(symbol(name))

    unknowns = list(res.unknowns)
    tup = sym(unknowns[0]) if len(unknowns) == 1 else r"(%s)" % ", ".join(sym(u) for u in unknowns)
    targets = r",\ ".join(_target_tex(p, t) for t in res.targets)
    multiline = str(p._settings["environment"]).startswith(("align", "equation"))
    newline = r" \\ &\qquad " if multiline else r" \quad "
    rels: list[Rel] = []
    lhs = r"\{%s : %s\}" % (tup, targets)
    if res.symbolic is not None:
        return _symbolic_solutions(p, res, newline)
    if res.count == 0:
        return [(lhs, r"\emptyset", "solutions")]  # \emptyset: LaTeX itself (\varnothing needs amssymb)
    if res.count is None:
        pieces = [_set_tex(p, unknowns, fixed, piece) for fixed, piece in describe_union(res.parametric)]
        rels.append((lhs, (r" \\ &\qquad \cup " if multiline else r" \cup ").join(_lines(pieces, 44)), "solutions"))
        return rels
    items = [
        (str(sol[unknowns[0]]) if len(unknowns) == 1 else "(%s)" % ", ".join(str(sol[u]) for u in unknowns))
        for sol in (
            res.solutions if res.minimize else sorted(res.solutions, key=lambda d: tuple(d[u] for u in unknowns))
        )
    ]
    more = r", \dots" if not res.complete or len(items) < (res.count or 0) else ""
    if multiline:
        body = r", \\ &\qquad ".join(_lines(items, 40, ", ")) if items else ""
    else:
        body = (r",\mskip 6mu plus 24mu\allowbreak " if len(items) > 6 else ", ").join(items)  # stretchable breaks
    rels.append((lhs, r"\{%s%s\}" % (body, more), "solutions"))
    if res.count is not None and res.count > len(items):
        rels.append((r"\text{number of solutions}", str(res.count), "count"))
    if res.minimize is not None and res.optimum is not None:
        rels.append((r"\min %s" % _objective_tex(res.minimize), p._hprint_value(res.optimum), "optimum"))
    return rels


def _lines(items: list[str], width: int, sep: str = " ") -> list[str]:
    """Items joined into lines of at most ``width`` visible characters (an item longer than that on its own)."""
    lines: list[str] = []
    cur: list[str] = []
    n = 0
    for it in items:
        w = len(re.sub(r"\\[A-Za-z]+|[{}\s^_]", "", it)) + len(sep)
        if cur and n + w > width:
            lines.append(sep.join(cur))
            cur, n = [], 0
        cur.append(it)
        n += w
    if cur:
        lines.append(sep.join(cur))
    return lines


def _symbolic_solutions(p: RfsymLatexPrinter, res: Any, newline: str) -> list[Rel]:
    """``k = expr`` per unknown; the conditions (all of them at once) after the last: ``when … and …``."""
    rels: list[Rel] = []
    for k, v in res.symbolic.items():
        rels.append((p._print(symbol(k)), p._hprint_value(v), k))
    conds = [c for c in res.conditions if c.expr is not sympy.true]
    if any(c.expr is sympy.false for c in conds):
        conds = [c for c in conds if c.expr is sympy.false]
    if conds and rels:
        texts = [p._print(c.expr) for c in conds]
        lhs, rhs, key = rels[-1]
        tail = r"\text{when } " + (newline + r"\text{and } ").join(texts)
        rels[-1] = (lhs, rhs + newline + tail, key)
    return rels


def _set_tex(p: RfsymLatexPrinter, unknowns: list[str], fixed: dict[str, int], piece: Any) -> str:
    """One piece of a described union as set-builder LaTeX."""
    kind, var, data = piece
    x = p._print(symbol(var))
    if kind == "points":
        vals = ", ".join(str(v) for v in data)
        elem = _elem(p, unknowns, fixed, var, None)
        if elem == x:
            return r"\{%s\}" % vals
        return r"\{%s : %s \in \{%s\}\}" % (elem, x, vals)
    elem = _elem(p, unknowns, fixed, var, x)
    lo, hi, modulus, residues, excluded = data
    conds = [r"%d \leq %s \leq %d" % (lo, x, hi) if hi is not None else r"%s \geq %d" % (x, lo)]
    if modulus is not None:
        if residues is not None and len(residues) == 1:
            conds.append(r"%s \equiv %d \pmod{%d}" % (x, residues[0], modulus))
        elif residues is not None:
            conds.append(r"%s \bmod %d \in \{%s\}" % (x, modulus, ", ".join(map(str, residues))))
        else:
            rel = r"\not\equiv %d \pmod{%d}" % (excluded[0], modulus) if len(excluded) == 1 else None
            conds.append(
                r"%s %s" % (x, rel)
                if rel
                else r"%s \bmod %d \notin \{%s\}" % (x, modulus, ", ".join(map(str, excluded)))
            )
    return r"\{%s : %s\}" % (elem, r",\ ".join(conds))


def _elem(p: RfsymLatexPrinter, unknowns: list[str], fixed: dict[str, int], var: str, x: str | None) -> str:
    if len(unknowns) == 1:
        return x or p._print(symbol(var))
    parts = [(x or p._print(symbol(var))) if u == var else str(fixed.get(u, "?")) for u in unknowns]
    return "(%s)" % ", ".join(parts)


#: the largest period and span the union of progressions is simplified over (else printed as progressions)
_UNION_SPAN = 1 << 16


def describe_union(progs: list[Any]) -> list[tuple[dict[str, int], tuple[str, str, Any]]]:
    """The union of arithmetic progressions as its simplest exact description, per assignment of the fixed
    unknowns: runs of consecutive values (intervals, rays), points, and -- for the periodic part -- a ray
    with residues (or excluded residues) modulo the smallest period.  Each piece is ``(fixed, (kind, var,
    data))``: kind ``"points"`` with a tuple of values, or ``"range"`` with ``(lo, hi, modulus, residues,
    excluded)`` (``hi`` None for a ray; ``modulus`` None for every value).  Bounded work: when the period
    or the span is over :data:`_UNION_SPAN`, the progressions are returned one by one."""
    groups: dict[tuple[str, tuple[tuple[str, int], ...]], list[Any]] = {}
    for prog in progs:
        groups.setdefault((prog.symbol, tuple(sorted(prog.fixed.items()))), []).append(prog)
    out = []
    for (var, fixed_items), members in groups.items():
        fixed = dict(fixed_items)
        for piece in _describe_group(var, members):
            out.append((fixed, piece))
    return out


def _describe_group(var: str, progs: list[Any]) -> list[tuple[str, str, Any]]:
    modulus = 1
    for pr in progs:
        modulus = modulus * pr.step // math.gcd(modulus, pr.step)
        if modulus > _UNION_SPAN:
            return [_progression_piece(var, pr) for pr in progs]
    lo = min(pr.first for pr in progs)
    tail = max([pr.first for pr in progs if pr.t_max is None] + [pr.last + 1 for pr in progs if pr.t_max is not None])
    if tail - lo + modulus > _UNION_SPAN:
        return [_progression_piece(var, pr) for pr in progs]
    has_tail = any(pr.t_max is None for pr in progs)
    hi = tail + modulus if has_tail else tail
    member = [any(v in pr for pr in progs) for v in range(lo, hi)]
    pieces: list[tuple[str, str, Any]] = []
    pieces_tail: list[tuple[str, str, Any]] = []
    # the periodic tail from `tail` on, with its smallest period
    if has_tail:
        period = next(d for d in range(1, modulus + 1) if modulus % d == 0 and _periodic(member, tail - lo, d, modulus))
        res = [v % period for v in range(tail, tail + period) if member[v - lo]]
        start = tail
        if len(res) == period:  # every value from `tail` on: extend the ray down over the run before it
            while start - 1 >= lo and member[start - 1 - lo]:
                start -= 1
            pieces_tail = [("range", var, (start, None, None, None, None))]
        else:
            # start the ray at the first member of the tail (residues keep it exact)
            start = next(v for v in range(tail, tail + period) if member[v - lo])
            excluded = sorted(set(range(period)) - set(res))
            data = (
                (start, None, period, sorted(res), None)
                if len(res) * 2 <= period
                else (start, None, period, None, excluded)
            )
            pieces_tail = [("range", var, data)]
        limit = start
    else:
        limit = hi
    # below the tail: runs of consecutive values (a run of three or more is an interval, else points)
    points: list[int] = []
    v = lo
    while v < limit:
        if not member[v - lo]:
            v += 1
            continue
        w = v
        while w + 1 < limit and member[w + 1 - lo]:
            w += 1
        if w - v >= 2:
            if points:
                pieces.append(("points", var, tuple(points)))
                points = []
            pieces.append(("range", var, (v, w, None, None, None)))
        else:
            points.extend(range(v, w + 1))
        v = w + 1
    if points:
        pieces.append(("points", var, tuple(points)))
    return pieces + pieces_tail


def _periodic(member: list[bool], off: int, d: int, modulus: int) -> bool:
    return all(member[off + i] == member[off + (i % d)] for i in range(modulus))


def _progression_piece(var: str, pr: Any) -> tuple[str, str, Any]:
    hi = pr.last
    return (
        "range",
        var,
        (pr.first, hi, pr.step if pr.step > 1 else None, [pr.offset % pr.step] if pr.step > 1 else None, None),
    )


def _objective_tex(name: str) -> str:
    return {"depth": r"\text{depth}", "sum_k2": r"\textstyle\sum_\ell k_\ell^2"}.get(
        name, r"\text{%s}" % tex_text(name)
    )


def _target_tex(p: RfsymLatexPrinter, t: Any) -> str:
    q = "P" if t.quantity in ("effective_padding", "P") else t.quantity
    name = r"\text{%s}" % q if q in ("holes", "checkerboard") else p._names.get(q, q)
    if t.at:
        name = r"%s_{\text{%s}}" % (name, tex_text(t.at))
    if t.symbolic:
        return f"{name} = {p._hprint_value(t.value)}"
    if t.is_equality:
        return f"{name} = {p._hprint_value(t.lo)}"
    parts = []
    if t.lo is not None and t.hi is not None:
        return r"%s \leq %s \leq %s" % (p._hprint_value(t.lo), name, p._hprint_value(t.hi))
    if t.lo is not None:
        parts.append(r"%s \geq %s" % (name, p._hprint_value(t.lo)))
    if t.hi is not None:
        parts.append(r"%s \leq %s" % (name, p._hprint_value(t.hi)))
    return r",\ ".join(parts) or name


def relations_of(p: RfsymLatexPrinter, obj: Any) -> list[Rel] | None:
    """The relations an object prints as, or None when it prints as one expression."""
    if isinstance(obj, Network):
        return p._hprint_network_relations(obj)
    if isinstance(obj, AxisState):
        return [(p._hprint_name(q), rhs, q) for _, rhs, q in p._hprint_state_relations([obj], 0)]
    if isinstance(obj, Row):
        return [(p._hprint_name(q), rhs, q) for _, rhs, q in p._hprint_state_relations(obj.states, 0)]
    for cls in type(obj).__mro__:  # subclasses (GraphForms of ClosedForms) print as their base
        rel = getattr(p, "_hprint_relations_" + cls.__name__, None)
        if rel is not None:
            return rel(obj)
    return None


def flat_depth(net: Any, pass_through: bool = False) -> Any:
    """Number of layers after unrolling: an int, or an expression when a Repeat count is symbolic.

    Pass-through layers (:class:`~rfsym.layers.Identity`: activations, normalisation, dropout) change no
    value and are not counted unless ``pass_through``."""

    def depth(layers: Iterable[Any]) -> Any:
        total: Any = 0
        for lay in layers:
            if isinstance(lay, Repeat):
                total = A.add(total, A.mul(lay.times, depth(lay.block)))
            elif pass_through or not is_pass_through(lay):
                total = A.add(total, 1)
        return total

    return depth(net.layers)


def output_index(p: RfsymLatexPrinter, symbols: Iterable[Any] = ()) -> str:
    """The subscript of the output's quantities at every entry point: ``L``, the number of layers (the
    ``names`` setting renames it, e.g. ``{"L": r"\\mathrm{out}"}`` for a network whose own symbol L counts
    something else)."""
    del symbols  # one index at every entry point (docs/notation.md), whatever the network's symbols
    return p._names["L"]


def _output_values(net: Any, threshold: int | None = None) -> tuple[Any, dict[str, list[Any]], bool, Any]:
    """(depth, {quantity: [value per axis]}, long forms?, free symbols) of the network's output: exact numbers from the table,
    closed forms (rfsym.closed_form, floors folded) when anything is symbolic, and the general stack's
    sums and products for networks deeper than ``threshold`` with many symbols (not a page of terms)."""
    depth = flat_depth(net)
    syms = net.free_symbols  # computed once: it walks every layer
    if not syms and net.input is not None:
        states = net.table().output
        return depth, {q: [st.as_dict()[_STATE_KEY.get(q, q)] for st in states] for q in QUANTITIES}, False, syms
    deep = not isinstance(depth, int) or (threshold is not None and depth > threshold)
    if deep and not few_symbols(syms):
        try:
            inputs = net.axes_input()
        except RfsymError:
            inputs = (symbol("n", "input"),)
        forms = [general_form(net, depth, n, Fraction(1, 2)) for n in inputs]
        if all(f is not None for f in forms):
            return depth, {q: [f[q] for f in forms] for q in QUANTITIES}, False, syms  # type: ignore[index]
    cf = derive(net)
    axes = [cf] if cf.axes is None else list(cf.axes)
    return depth, {q: [getattr(a, q) for a in axes] for q in QUANTITIES}, bool(cf.compact), syms


def output_relations(p: RfsymLatexPrinter, net: Any) -> list[Rel]:
    """``n_L = …``, ``j_L = …``, … of the network's output."""
    _, vals, long, syms = _output_values(net, p._settings["compact_threshold"])
    return value_relations(p, output_index(p, syms), vals, long)


def value_relations(
    p: RfsymLatexPrinter, index: Any, vals: dict[str, list[Any]], long: bool | None = None
) -> list[Rel]:
    """``q_{index} = value`` per chosen quantity; per-axis values as a tuple ``(1, 4, 4)``."""
    idx = index if isinstance(index, str) else p._hprint_value(index)
    units = p._settings["units"]
    rels = []
    for q in p._settings["quantities"]:
        texts = [p._hprint_value(p._hprint_reindex(v), long) for v in vals[q]]
        body = "(%s)" % ", ".join(texts) if any(t != texts[0] for t in texts) else texts[0]
        if units is not None and q in ("j", "r", "start") and all(A.is_num(v) for v in vals[q]):
            phys = [units.tex(v) for v in vals[q]]
            rel = "=" if all(units.exact(v) for v in vals[q]) else r"pprox"
            body += r" %s %s" % (rel, phys[0] if all(x == phys[0] for x in phys) else "(%s)" % ", ".join(phys))
        rels.append((p._hprint_indexed(q, idx), body, q))
    return rels


def is_graph(net: Any) -> bool:
    return isinstance(net, Graph)


def derived(net: Any, axis: int, origin: Any) -> dict[str, Any]:
    cf = derive(net, axis=axis, origin=origin)
    return {q: getattr(cf, q) for q in QUANTITIES}


def few_symbols(symbols: Any, limit: int = 24) -> bool:
    """At most ``limit`` free symbols (a network's closed form is then short enough to print)."""
    return len(symbols) <= limit


@functools.lru_cache(maxsize=2)
def _general_stack(asymmetric: bool) -> Any:
    return general_stack("L", asymmetric=asymmetric)


def general_form(net: Any, depth: Any, n_in: Any, origin: Any, *, numeric_depth: bool = False) -> dict[str, Any] | None:
    """The general L-layer stack's forms (sums and products over indexed parameters) with L = depth,
    or None when the network is not a plain stack of convolutions/poolings with explicit padding."""

    def plain(layers: Iterable[Any]) -> bool:
        for lay in layers:
            if isinstance(lay, Repeat):
                if not plain(lay.block):
                    return False
            elif is_pass_through(lay):
                continue
            elif type(lay) not in (Conv, Pool) or getattr(lay, "ceil_mode", False):
                return False
            else:
                for ax in range(lay.ndim or 1):
                    if isinstance(lay.axis_params(ax)[2], str):
                        return False
        return True

    if not plain(net.layers):
        return None
    g = _general_stack(True)
    L = next(s for s in g.j.free_symbols if s.name == "L")
    n = g.input
    # a numeric depth stands in as a symbol printed as the number: substituting the number makes
    # sympy try to evaluate the floor of 1000-term sums and products (slow, and not what we print)
    L_to = A.to_sympy(depth) if numeric_depth or not isinstance(depth, int) else sympy.Symbol(_PREFIX + str(depth))
    sub = {L: L_to, n: A.to_sympy(n_in)}
    out = {q: _replace_unevaluated(A.to_sympy(getattr(g, q)), sub) for q in QUANTITIES}
    out["T"] = _replace_unevaluated(A.to_sympy(g.total_padding_), sub)  # total padding: n = (n0 + T - r)/j + 1
    if A.norm(origin) != Fraction(1, 2):
        out["start"] = out["start"] - sympy.Rational(1, 2) + A.to_sympy(origin)
    # a, b are the generic left/right paddings of the general stack: print them as p^L, p^R
    rename = {}
    for q in out:
        for ind in out[q].atoms(sympy.Indexed):
            lab = str(ind.base.label)
            if lab in ("a", "b"):
                rename[ind.base] = sympy.IndexedBase(
                    _PREFIX + ("pL" if lab == "a" else "pR"), integer=True, nonnegative=True
                )
    if rename:
        out = {q: _replace_unevaluated(v, rename) for q, v in out.items()}
    return out


def _replace_unevaluated(expr: Any, mapping: dict[Any, Any]) -> Any:
    """``expr.xreplace(mapping)`` without re-evaluating the nodes above a replacement (sympy would ask the
    assumptions of every 1000-term sum under a floor); only what is printed is built."""

    def walk(e: Any) -> Any:
        if e in mapping:
            return mapping[e]
        if isinstance(e, sympy.Indexed):  # an Atom to sympy, but its base and indices may change
            base = mapping.get(e.base, e.base)
            indices = [walk(i) for i in e.indices]
            return e if base is e.base and all(a is b for a, b in zip(indices, e.indices)) else base[tuple(indices)]
        if e.is_Atom or not e.args:
            return e
        args = [walk(a) for a in e.args]
        if all(a is b for a, b in zip(args, e.args)):
            return e
        try:
            return e.func(*args, evaluate=False)
        except TypeError:
            return e.func(*args)

    return walk(expr)


def graph_relations(p: RfsymLatexPrinter, graph: Any) -> list[Rel]:
    """A graph prints the state of its output node, indexed like a network's output (``L``)."""
    if graph.free_symbols:
        try:
            cf = derive(graph)
        except (RfsymError, AttributeError, TypeError) as e:
            raise RfsymError(f"{term_text(graph.name)}: no closed form of this graph to print ({e})") from None
        axes = [cf] if cf.axes is None else list(cf.axes)
        vals = {q: [getattr(a, q) for a in axes] for q in QUANTITIES}
    else:
        row = graph.table().rows[-1]
        vals = {q: [st.as_dict()[_STATE_KEY.get(q, q)] for st in row.states] for q in QUANTITIES}
    return value_relations(p, output_index(p, graph.free_symbols), vals)
