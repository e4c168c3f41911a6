"""Closed forms of a graph (residual stages, Inception blocks, U-Nets): every node's n, j, r, start and P.

The layers are read as affine maps (:mod:`rfsym.maps`) and applied node by
node (:meth:`rfsym.graph.Graph.walk`); a merge's region is the union of its
inputs' windows (:meth:`rfsym.graph.Merge.merge`), whose ``Max``/``Min``
are decided only by proof (:class:`rfsym.graph.ProvedOrder`): an input wins
when the difference of the edges, with every symbol written as its lower
bound plus a non-negative part, is a polynomial with non-negative
coefficients.  Otherwise the honest ``Max``/``Min`` (and a ``Piecewise`` for
``j`` and ``P``) stay, and ``conditions`` says so.  Equal sizes at a merge and
the alignment of its branches (equal jumps and centres) are conditions of the
result, symbolic where the parameters are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy

from .. import _arith as A
from ..errors import RfsymError
from ..graph import Graph, GraphWalk, MergeReport
from .result import KEYS, ClosedForms

__all__ = ["GraphForms", "derive_graph"]


@dataclass(frozen=True)
class GraphForms(ClosedForms):
    """Closed forms of a graph: the output's (the last node's, as ``table().output``) and every node's.

    ``nodes`` maps each node name (``"input"`` included) to its :class:`ClosedForms`;
    ``merges`` holds one :class:`~rfsym.graph.MergeReport` per merge and axis (size condition,
    alignment conditions, the input that provably dominates, the ``Max``/``Min`` kept);
    ``output`` names the node whose forms the top-level attributes are.
    """

    nodes: dict[str, ClosedForms] = field(default_factory=dict, repr=False, compare=False)
    merges: tuple[MergeReport, ...] = field(default=(), repr=False, compare=False)
    output: str = ""
    walk: Any = field(default=None, repr=False, compare=False)

    @property
    def aligned(self) -> bool | None:
        """True when every merge is proved aligned; False when one is proved misaligned; else None."""
        vals = [m.aligned for m in self.merges]
        if all(v is True for v in vals):
            return True
        return False if any(v is False for v in vals) else None

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["output"] = self.output
        out["conditions"] = list(self.conditions)
        out["merges"] = [_merge_json(m) for m in self.merges]
        out["nodes"] = {name: f.to_dict() for name, f in self.nodes.items()}
        return out

    def to_text(self) -> str:
        head = super().to_text()
        lines = [f"nodes ({len(self.nodes)}):"]
        for name, f in self.nodes.items():
            d = f.to_dict()
            lines.append(
                f"  {name}: n = {_t(d['n'])}, j = {_t(d['j'])}, r = {_t(d['r'])}, start = {_t(d['start'])}, "
                f"P = {_t(d['effective_padding'])}"
            )
        return head + "\n".join(lines) + "\n"

    def plain(self) -> ClosedForms:
        """The output's forms as a plain :class:`ClosedForms` (what the LaTeX printer prints)."""
        return ClosedForms(
            **{k: getattr(self, k) for k in KEYS},
            input=self.input,
            convention=self.convention,
            origin=self.origin,
            conditions=self.conditions,
            assumptions=self.assumptions,
            name=self.name,
            axes=self.axes,
        )

    def latex_lines(self, **settings: Any) -> list[str]:
        return self.plain().latex_lines(**settings)

    def to_latex(self, **settings: Any) -> str:
        return self.plain().to_latex(**settings)

    def _latex(self, printer: Any, **kwargs: Any) -> str:
        return self.plain()._latex(printer, **kwargs)

    def subs(self, mapping: dict[Any, Any]) -> GraphForms:
        """Forms (the output's and every node's) with symbols replaced."""
        top = super().subs(mapping)
        nodes = {k: v.subs(mapping) for k, v in self.nodes.items()}
        object.__setattr__(top, "nodes", nodes)
        return top  # type: ignore[return-value]  # dataclasses.replace keeps the subclass


def _t(v: Any) -> str:
    return str(v) if not isinstance(v, list) else "[" + ", ".join(str(x) for x in v) + "]"


def _merge_json(m: MergeReport) -> dict[str, Any]:
    return {
        "merge": m.merge,
        "axis": m.axis,
        "inputs": list(m.inputs),
        "sizes": m.sizes if isinstance(m.sizes, bool) else str(m.sizes),
        "aligned": m.aligned,
        "alignment": [a.condition if isinstance(a.condition, bool) else str(a.condition) for a in m.alignments],
        "dominant": m.inputs[m.dominant] if m.dominant is not None else None,
        "undecided": list(m.undecided),
    }


def derive_graph(
    graph: Graph, inp: tuple[Any, ...], axes: Any, origin: Any, convention: str, element_map: Any
) -> GraphForms:
    """The closed forms of every node of a graph (see the module docstring)."""
    walk = graph.walk(
        input=list(inp) if len(inp) > 1 else inp[0], convention=convention, origin=origin, element_map=element_map
    )
    axes = list(axes)
    names = [*walk.states]
    nodes = {name: _node_forms(graph, walk, name, axes, origin, convention) for name in names}
    out_name = names[-1]
    conditions = _conditions(graph, walk, axes, convention)
    top = nodes[out_name]
    forms = GraphForms(
        **{k: getattr(top, k) for k in KEYS},
        input=top.input,
        convention=convention,
        origin=origin,
        conditions=conditions,
        assumptions=_assumptions(nodes.values()),
        name=graph.name,
        axes=top.axes,
        nodes=nodes,
        merges=tuple(m for m in walk.merges if m.axis in axes),
        output=out_name,
        walk=walk,
    )
    return forms


def _node_forms(graph: Graph, walk: GraphWalk, name: str, axes: list[int], origin: Any, conv: str) -> ClosedForms:
    per = []
    for ax in axes:
        st = walk.states[name][ax]
        total = walk.size_maps[name][ax]
        vals = {"n": _size_form(total, walk.input[ax], st.n, graph.symbols)}
        for k in ("j", "r", "start", "P"):
            vals[k] = _tidy(getattr(st, k), graph.symbols)
        per.append(
            ClosedForms(**vals, input=walk.input[ax], convention=conv, origin=origin, name=f"{graph.name}:{name}")
        )
    if len(per) == 1:
        return per[0]
    stacked: dict[str, Any] = {k: tuple(getattr(f, k) for f in per) for k in KEYS}
    return ClosedForms(
        **stacked,
        input=tuple(f.input for f in per),
        convention=conv,
        origin=origin,
        name=f"{graph.name}:{name}",
        axes=tuple(per),
    )


def _size_form(total: Any, x: Any, fallback: Any, domains: dict[str, Any]) -> Any:
    """n as one floor ``floor((x + e)/D) + 1`` when the chain's size maps fold, else the composed form."""
    from .derive import _floor1

    if total.folds and not total.xdep:
        return A.norm(_floor1(A.add(x, total.e), total.den, False, domains))
    return A.norm(fallback)


def _tidy(v: Any, domains: dict[str, Any]) -> Any:
    """Linear forms expanded (sums of the layers' terms); the case splits of sums over a symbolic number
    of copies (``s = 1``) folded to the top as for chains; merges' Max/Min/Piecewise kept as built."""
    from .repeats import tidy

    v = A.norm(v)
    if A.is_num(v) or not isinstance(v, sympy.Basic):
        return v
    if v.has(sympy.Max, sympy.Min, sympy.floor, sympy.ceiling, sympy.Mod, sympy.Subs):
        return v
    if v.has(sympy.Piecewise):
        if all(not isinstance(c, sympy.GreaterThan) for pw in v.atoms(sympy.Piecewise) for _, c in pw.args):
            return A.norm(tidy(v, domains))
        return v
    return A.norm(sympy.expand(v))


def _assumptions(forms: Any) -> dict[str, tuple[str, ...]]:
    syms: set[Any] = set()
    for f in forms:
        syms |= f.free_symbols
    return {
        s.name: tuple(
            sorted(
                k for k, v in s.assumptions0.items() if v and k in ("integer", "positive", "nonnegative", "odd", "even")
            )
        )
        for s in sorted(syms, key=lambda s: s.name)
        if isinstance(s, sympy.Symbol) and not isinstance(s, sympy.Dummy)
    }


def _conditions(graph: Graph, walk: GraphWalk, axes: list[int], convention: str) -> tuple[str, ...]:
    """The sentences the forms rely on: semantics, every merge's sizes, alignment and union, validity."""
    nd = len(walk.input)
    out = [
        "framework padding semantics: each layer's left padding is used as declared",
        "all kernel, stride, padding and dilation values are integers (kernel, stride, dilation >= 1, padding >= 0)",
        "a merge's region is the union of its inputs' windows; j and P are those of the input with the largest r "
        "(the first on ties); n is the first input's",
    ]
    proved, aligned = [], []
    for m in walk.merges:
        if m.axis not in axes:
            continue
        where = f"merge {m.merge!r}" + (f" (axis {m.axis})" if nd > 1 else "")
        if m.sizes is not True:
            out.append(f"{where}: its inputs must have equal sizes: {_rel(m.sizes)}")
        if m.aligned is True:
            aligned.append(m.merge)
        elif m.aligned is False:
            bad = next(a for a in m.alignments if a.aligned is False)
            out.append(bad.describe())
        else:
            conds = [a.condition for a in m.alignments if a.aligned is None]
            out.append(
                f"{where}: its branches are aligned (equal jump and centre) only when "
                + "; ".join(_rel(c) for c in conds)
            )
        if m.undecided:
            out.append(
                f"{where}: no input's window provably contains the others' for every value of the symbols; "
                f"kept: {'; '.join(m.undecided)}"
            )
        elif m.dominant is not None:
            proved.append(m.merge)
    if proved:
        out.append(
            f"at {_count(proved, 'merge')} one input's window provably contains the others' (proved from the "
            "symbols' lower bounds: kernel, stride, dilation >= 1, padding >= 0 and the declared domains): "
            "the union's r, j and P are that input's"
        )
    if aligned:
        out.append(f"{_count(aligned, 'merge').capitalize()} proved aligned (equal jumps and centres)")
    out.extend(_repeat_conditions(graph, axes, convention))
    out.extend(_validity(graph, walk, axes, convention))
    return tuple(out)


def _repeat_conditions(graph: Graph, axes: list[int], convention: str) -> list[str]:
    """What each repeated block with branches relies on: its merges, proved in one generic copy."""
    from ..graph import BlockRepeat, NestRepeat

    out = []
    for lay in graph.layers:
        if isinstance(lay, NestRepeat):
            out.append(
                f"nested repeat {lay.label()!r} ({A.fmt(lay.times)} levels): at every merge of a level, the path "
                "through the inner level provably contains the other inputs' windows for any inner level that widens "
                "its input's window, and every level and the core do (induction over the levels); every level's merges "
                "need inputs of equal size (checked by the table for a numeric depth)"
            )
            continue
        if not isinstance(lay, BlockRepeat):
            continue
        for ax in axes:
            _, w = _cached_block(lay, ax, convention, graph)
            merges = [m.merge for m in w.merges if m.axis == ax]
            aligned = [m.merge for m in w.merges if m.axis == ax and m.aligned is True]
            text = f"repeat {lay.label()!r} ({A.fmt(lay.times)} copies): in every copy, " + (
                f"{_count(merges, 'merge')}: one input's window provably contains the others' for any incoming state"
            )
            if aligned == merges:
                text += ", and the branches are aligned"
            else:
                for m in w.merges:
                    if m.axis == ax and m.aligned is not True:
                        conds = "; ".join(str(a.condition) for a in m.alignments if a.aligned is not True)
                        text += f"; merge {m.merge!r} is aligned only when {conds}"
            out.append(text + "; the copies' sums are closed forms in the count")
    return out


def _cached_block(lay: Any, ax: int, convention: str, graph: Graph) -> Any:
    from ..graph import block_map
    from .derive import _element_map

    return block_map(lay, ax, convention, lambda x, a, c: _element_map(x, a, c, domains=graph.symbols), graph.symbols)


def _count(names: list[str], what: str) -> str:
    names = list(dict.fromkeys(names))
    if len(names) == 1:
        return f"{what} {names[0]!r}"
    if len(names) <= 3:
        return f"{what}s " + ", ".join(repr(n) for n in names)
    return f"all {len(names)} {what}s" if what else str(len(names))


def _rel(c: Any) -> str:
    return str(c)


def _validity(graph: Graph, walk: GraphWalk, axes: list[int], convention: str) -> list[str]:
    """ "valid for input sizes n >= bound": every node non-empty (the merges' equal sizes are stated apart)."""
    from ..graph import ProvedOrder

    out = []
    nd = len(walk.input)
    free_in = {s for v in walk.input for s in getattr(v, "free_symbols", set())}
    numeric = not (graph.free_symbols - free_in)
    order = ProvedOrder(graph.symbols)
    for ax in axes:
        x = walk.input[ax]
        if A.is_num(x):
            continue
        where = f" (axis {ax})" if nd > 1 else ""
        ends = [walk.bounds[o][ax] for o in graph.outputs]
        bound: Any = None
        if all(b is not None for b in ends):
            bound = ends[0]
            for b in ends[1:]:
                bound = order.maximum(bound, b)
        elif numeric:
            try:
                bound = graph.min_input_size(ax, convention, equal_sizes=False)
            except RfsymError:
                bound = None
        if bound is None:
            out.append(f"valid while every node's output is non-empty (n >= 1 at each node){where}")
        elif not (A.is_num(bound) and bound <= 1):
            out.append(f"valid for input sizes {x} >= {A.fmt(bound)}{where}")
    return out
