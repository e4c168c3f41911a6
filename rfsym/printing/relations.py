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
from collections.abc import Iterable
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import sympy

from .. import _arith as A
from .._display import term_text
from ..closed_form import derive, general_stack
from ..errors import RfsymError
from ..graph import Graph
from ..layers import AxisState, Conv, Identity, Pool, Repeat
from ..network import Network, Row
from ..values import symbol
from .escape import tex_text
from .settings import _PREFIX, _STATE_KEY, QUANTITIES, Rel

if TYPE_CHECKING:
    from .printer import RfsymLatexPrinter

__all__ = ["flat_depth", "general_form", "graph_relations", "output_relations", "relations_of", "solve_relations"]


def solve_relations(p: RfsymLatexPrinter, res: Any) -> list[Rel]:
    """A solution set as relations: the set of tuples, progressions, or symbolic solutions with conditions."""

    def sym(name: str) -> str:
        return p._print(symbol(name))

    unknowns = list(res.unknowns)
    tup = sym(unknowns[0]) if len(unknowns) == 1 else r"(%s)" % ", ".join(sym(u) for u in unknowns)
    targets = r",\ ".join(_target_tex(p, t) for t in res.targets)
    rels: list[Rel] = []
    if res.symbolic is not None:
        for k, v in res.symbolic.items():
            rels.append((sym(k), p._hprint_value(v), k))
        for c in res.conditions:
            rels.append((r"\text{if}", p._print(c.expr), None))
        return rels
    if res.count == 0:
        rels.append((r"\{%s : %s\}" % (tup, targets), r"\varnothing", "solutions"))
        return rels
    multiline = str(p._settings["environment"]).startswith(("align", "equation"))
    if res.count is None:
        # an infinite set: the union of arithmetic progressions, the other unknowns fixed in each
        t = sympy.Symbol("t", integer=True)
        sets = []
        for prog in res.parametric:
            value = p._print(prog.offset + prog.step * t)
            parts = [value if u == prog.symbol else str(prog.fixed.get(u, "?")) for u in unknowns]
            elem = parts[0] if len(parts) == 1 else "(%s)" % ", ".join(parts)
            cond = r"t \geq %d" % prog.t_min + (r",\ t \leq %d" % prog.t_max if prog.t_max is not None else "")
            sets.append(r"\{%s : %s\}" % (elem, cond))
        lines = [r" \cup ".join(sets[i : i + 3]) for i in range(0, len(sets), 3)]
        rels.append(
            (
                r"\{%s : %s\}" % (tup, targets),
                (r" \\ &\qquad \cup " if multiline else r" \cup ").join(lines),
                "solutions",
            )
        )
        return rels
    items = [
        (str(sol[unknowns[0]]) if len(unknowns) == 1 else "(%s)" % ", ".join(str(sol[u]) for u in unknowns))
        for sol in (
            res.solutions if res.minimize else sorted(res.solutions, key=lambda d: tuple(d[u] for u in unknowns))
        )
    ]
    more = r", \dots" if not res.complete or len(items) < (res.count or 0) else ""
    chunks = [", ".join(items[i : i + 6]) for i in range(0, len(items), 6)] or [""]
    body = (r", \\ &\qquad " if multiline else ", ").join(chunks)
    lhs = r"\{%s : %s\}" % (tup, targets)
    rels.append((lhs, r"\{%s%s\}" % (body, more), "solutions"))
    if res.count is not None and res.count > len(items):
        rels.append((r"\text{number of solutions}", str(res.count), "count"))
    if res.minimize is not None and res.optimum is not None:
        rels.append((r"\min %s" % _objective_tex(res.minimize), p._hprint_value(res.optimum), "optimum"))
    return rels


def _objective_tex(name: str) -> str:
    return {"depth": r"\text{depth}", "sum_k2": r"\textstyle\sum_\ell k_\ell^2"}.get(
        name, r"\text{%s}" % tex_text(name)
    )


def _target_tex(p: RfsymLatexPrinter, t: Any) -> str:
    q = "P" if t.quantity in ("effective_padding", "P") else t.quantity
    name = p._names.get(q, q)
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
    rel = getattr(p, "_hprint_relations_" + type(obj).__name__, None)
    if rel is not None:
        return rel(obj)
    return None


def flat_depth(net: Any) -> Any:
    """Number of layers after unrolling: an int, or an expression when a Repeat count is symbolic."""

    def depth(layers: Iterable[Any]) -> Any:
        total: Any = 0
        for lay in layers:
            if isinstance(lay, Repeat):
                total = A.add(total, A.mul(lay.times, depth(lay.block)))
            else:
                total = A.add(total, 1)
        return total

    return depth(net.layers)


def _output_values(net: Any, threshold: int | None = None) -> tuple[Any, dict[str, list[Any]], bool]:
    """(depth, {quantity: [value per axis]}, long forms?) of the network's output: exact numbers from the table,
    closed forms (rfsym.closed_form, floors folded) when anything is symbolic, and the general stack's
    sums and products for networks deeper than ``threshold`` with many symbols (not a page of terms)."""
    depth = flat_depth(net)
    if not net.free_symbols and net.input is not None:
        states = net.table().output
        return depth, {q: [st.as_dict()[_STATE_KEY.get(q, q)] for st in states] for q in QUANTITIES}, False
    deep = not isinstance(depth, int) or (threshold is not None and depth > threshold)
    if deep and not few_symbols(net):
        try:
            inputs = net.axes_input()
        except RfsymError:
            inputs = (symbol("n", "input"),)
        forms = [general_form(net, depth, n, Fraction(1, 2)) for n in inputs]
        if all(f is not None for f in forms):
            return depth, {q: [f[q] for f in forms] for q in QUANTITIES}, False  # type: ignore[index]
    cf = derive(net)
    axes = [cf] if cf.axes is None else list(cf.axes)
    return depth, {q: [getattr(a, q) for a in axes] for q in QUANTITIES}, bool(cf.compact)


def output_relations(p: RfsymLatexPrinter, net: Any) -> list[Rel]:
    """``n_L = …``, ``j_L = …``, … of the network's output."""
    depth, vals, long = _output_values(net, p._settings["compact_threshold"])
    return value_relations(p, depth, vals, long)


def value_relations(
    p: RfsymLatexPrinter, index: Any, vals: dict[str, list[Any]], long: bool | None = None
) -> list[Rel]:
    """``q_{index} = value`` per chosen quantity; per-axis values joined by ``\\times``."""
    idx = index if isinstance(index, str) else p._hprint_value(index)
    rels = []
    for q in p._settings["quantities"]:
        texts = [p._hprint_value(p._hprint_reindex(v), long) for v in vals[q]]
        body = texts[0] if all(t == texts[0] for t in texts) else r" \times ".join(texts)
        rels.append((p._hprint_indexed(q, idx), body, q))
    return rels


def is_graph(net: Any) -> bool:
    return isinstance(net, Graph)


def derived(net: Any, axis: int, origin: Any) -> dict[str, Any]:
    cf = derive(net, axis=axis, origin=origin)
    return {q: getattr(cf, q) for q in QUANTITIES}


def few_symbols(net: Any, limit: int = 24) -> bool:
    return len(net.free_symbols) <= limit


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
            elif isinstance(lay, Identity):
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
    if A.norm(origin) != Fraction(1, 2):
        out["start"] = out["start"] - sympy.Rational(1, 2) + A.to_sympy(origin)
    # a, b are the generic left/right paddings of the general stack: print them as p^L, p^R
    rename = {}
    for q in QUANTITIES:
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
    """A graph prints the state of its output node, indexed by the node's name."""
    if graph.free_symbols:
        try:
            cf = derive(graph)
        except (RfsymError, AttributeError, TypeError) as e:
            raise RfsymError(f"{term_text(graph.name)}: no closed form of this graph to print ({e})") from None
        axes = [cf] if cf.axes is None else list(cf.axes)
        vals = {q: [getattr(a, q) for a in axes] for q in QUANTITIES}
        node = getattr(graph, "outputs", ("output",))[-1]
    else:
        row = graph.table().rows[-1]
        node = row.name
        vals = {q: [st.as_dict()[_STATE_KEY.get(q, q)] for st in row.states] for q in QUANTITIES}
    return value_relations(p, r"\text{%s}" % tex_text(node), vals)
