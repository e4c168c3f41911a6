"""Solving on graphs (:class:`rfsym.Graph`): every assignment of a graph template's unknowns
(finite domains) that meets the targets, found by a monotone box search, not by
enumerating the product of the domains.

Every number comes from the graph's numeric table (:meth:`Graph.table`) of one concrete
assignment.  The search splits the box of the *monotone* unknowns and decides whole boxes
from two tables, those of the box's smallest and largest corners, when the graph is proven
monotone (:func:`monotone_unknowns`):

* the receptive field ``r`` and the jump ``j`` at every node never decrease, and every
  size ``n`` never increases, as a kernel, dilation or stride of a convolution or pooling,
  or a repeat count, grows.  Proof: with ``0 <= pL``, ``0 <= pR`` and ``pL + pR <= κ - 1`` at
  every window layer (checked for every value of the layer's symbols), a layer maps the
  region of its first unit ``[lo, hi]`` to ``[lo - pL j, hi + (κ - 1 - pL) j]``, a superset
  that grows with κ and with ``j``; a merge of aligned inputs (equal jumps, proven on the
  closed forms by :meth:`Graph.walk`) takes the union, which grows with each input; a
  repeated block maps a region to a superset, so one copy more gives a superset.  Sizes:
  ``n_out = floor((n + pL + pR - κ)/s) + 1 <= n`` never increases in κ or s, and each copy of
  a block does not enlarge it.  Transposed convolutions and upsampling, whose strides and
  scales shrink regions, make a graph not monotone here;
* the merges' sizes must be proven equal for every value (:meth:`Graph.walk`), so that a
  box's validity (every ``n >= 1``) is that of its largest corner.

Then a box whose smallest corner is invalid, or whose corners' values miss a target,
holds no solution; a box whose largest corner is valid and whose corners' values lie in
every target is all solutions; other boxes are split in two along their widest unknown.
Targets on ``start`` and ``P`` are checked unit by unit.  The other unknowns (paddings,
input size, unknowns of non-monotone graphs) are enumerated around the search.  The
objectives ``depth`` and ``sum_k2`` never decrease in the monotone unknowns either, so a
box's optimum is its smallest corner and the ties are found by the same splitting.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import sympy

from .. import _arith as A
from .._bisect import smallest
from ..errors import RfsymError
from ..graph import INPUT, AlignmentWarning, Graph, Merge
from ..layers import AxisState, Identity, Layer, Repeat
from ..network import Row
from ._dp import MAX_LISTING
from ._model import Domain, coefficients, make_domain, ordered_symbols, state_value, weights_of
from ._monotone import grows
from .result import Nearest, Progression, Solutions, SolveResult
from .targets import Target

#: Most graph tables a solve evaluates (assignments checked one by one: before the work).
MAX_POINTS = 200_000
MONOTONE_Q = ("r", "j", "n")
_WINDOWED = ("conv", "pool")


def graph_symbol_order(g: Graph, include_input: bool = True) -> list[Any]:
    """Free symbols of a graph in order of first appearance (nodes in topological order, then input; without
    the input's own symbols when ``include_input`` is False: an input size given to the solve replaces it)."""
    layers, inp = g._compile()
    seen = ordered_symbols(layers.values(), (inp or ()) if include_input else ())
    free = {s.name for s in g.free_symbols}
    index = {lay.index.name for lay in layers.values() if isinstance(lay, Repeat) and lay.index is not None}
    return [s for name, s in seen.items() if name in free and name not in index]


class _Tab:
    """The numeric table of one assignment (rows in topological order, as Graph.table gives them)."""

    __slots__ = ("rows", "inputs", "input", "_by")

    def __init__(self, rows: list[Row], inputs: dict[str, tuple[str, ...]], inp: tuple[Any, ...]):
        self.rows, self.inputs, self.input = rows, inputs, inp
        self._by = {row.name: row for row in rows}

    def __getitem__(self, name: str) -> Row:
        return self._by[name]


class GraphEval:
    """Numeric tables of concrete assignments, node by node as :meth:`Graph.table` computes them
    (each layer's ``transfer``, each merge's ``merge``, a merge of different sizes or an empty
    output making the assignment invalid: None).  A node's state is kept per value of the
    unknowns it depends on (its ancestors'), so assignments that differ only downstream share
    the work upstream."""

    def __init__(self, g: Graph, inp: Any, axis: int, convention: str, origin: Any):
        self.g, self.axis, self.convention, self.origin = g, axis, convention, origin
        self.layers, _ = g._compile()
        self.order = list(g.nodes)
        self.inputs = {who: g.inputs_of(who) for who in self.order}
        self.inp, self.inp_arg = g.axes_input(inp), inp
        self.branched = any(_branched(lay) for lay in self.layers.values())
        in_syms = {s.name for v in self.inp for s in getattr(v, "free_symbols", ())}
        anc: dict[str, set[str]] = {INPUT: in_syms}
        self.own: dict[str, tuple[Any, ...]] = {}
        for who in self.order:
            own = sorted(self.layers[who].free_symbols, key=str)
            self.own[who] = tuple(own)
            anc[who] = {s.name for s in own}.union(*(anc[x] for x in self.inputs[who]))
        self.anc = {who: tuple(sorted(v)) for who, v in anc.items()}
        _check_copy_names(g, self.layers)
        self.concrete: dict[tuple, Layer | None] = {}
        self.states: dict[tuple, tuple[AxisState, ...] | None] = {}
        self.cache: dict[tuple, Any] = {}
        self.evaluated = 0

    def table(self, assignment: dict[str, int]) -> Any:
        key = tuple(sorted(assignment.items()))
        if key in self.cache:
            return self.cache[key]
        self.evaluated += 1
        tab = self._table(assignment)
        if len(self.cache) > 50_000:
            self.cache.clear()
            self.states.clear()
        self.cache[key] = tab
        return tab

    def _table(self, a: dict[str, int]) -> Any:
        if self.branched:  # its copies become nodes of the concrete graph: that graph's own table
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", AlignmentWarning)
                    return self.g.subs(a).table(input=self.inp_arg, convention=self.convention, origin=self.origin)
            except RfsymError:
                return None
        states = self._input(a)
        if states is None:
            return None
        rows = [Row(INPUT, None, states)]
        for who in self.order:
            key = (who, tuple(a[n] for n in self.anc[who]))
            if key not in self.states:
                self.states[key] = self._node(who, a)
            st = self.states[key]
            if st is None:
                return None
            rows.append(Row(who, self._layer(who, a), st))
        return _Tab(rows, self.inputs, self.inp)

    def _input(self, a: dict[str, int]) -> tuple[AxisState, ...] | None:
        key = (INPUT, tuple(a[n] for n in self.anc[INPUT]))
        if key not in self.states:
            sub = {s: a[s.name] for v in self.inp for s in getattr(v, "free_symbols", ())}
            ns = [A.norm(v.xreplace(sub)) if sub and hasattr(v, "xreplace") else v for v in self.inp]
            ok = all(A.is_num(n) and n >= 1 for n in ns)
            self.states[key] = tuple(AxisState.input(n, self.origin) for n in ns) if ok else None
        return self.states[key]

    def _layer(self, who: str, a: dict[str, int]) -> Layer | None:
        own = self.own[who]
        key = (who, tuple(a[s.name] for s in own))
        if key not in self.concrete:
            lay = self.layers[who]
            try:
                self.concrete[key] = lay.map_values(_substitute({s: a[s.name] for s in own})) if own else lay
            except RfsymError:
                self.concrete[key] = None  # a parameter no layer accepts
        return self.concrete[key]

    def _node(self, who: str, a: dict[str, int]) -> tuple[AxisState, ...] | None:
        lay = self._layer(who, a)
        if lay is None:
            return None
        ins = [self.states[(x, tuple(a[n] for n in self.anc[x]))] for x in self.inputs[who]]
        if any(st is None for st in ins):
            return None
        out = []
        for ax in range(len(self.inp)):
            sts = [st[ax] for st in ins]  # type: ignore[index]
            if isinstance(lay, Merge):
                if any(st.n != sts[0].n for st in sts[1:]):
                    return None  # inputs of different sizes: not a valid graph
                out.append(lay.merge(sts)[0])
                continue
            try:
                new = lay.transfer(sts[0], ax, self.convention)
            except RfsymError:
                return None
            if not A.is_num(new.n) or new.n < 1:
                return None
            out.append(new)
        return tuple(out)

    def value(self, tab: Any, t: Target, output: str) -> Any:
        return state_value(tab[t.at or output].states[self.axis], t.quantity)

    def holds(self, tab: Any, targets: list[Target], output: str) -> bool:
        return tab is not None and all(t.contains(self.value(tab, t, output)) for t in targets)

    def cost(self, tab: Any, objective: str) -> int:
        """depth: nodes (merges aside) that change j or r; sum_k2: kernel areas of (transposed) convolutions."""
        ax, total, ndim = self.axis, 0, max(1, len(tab.input))
        states = {row.name: row.states[ax] for row in tab.rows}
        for row in tab.rows[1:]:
            lay = row.layer
            if isinstance(lay, Merge):
                continue
            if objective == "depth" and isinstance(lay, Repeat):
                total += sum(coefficients(b, ax, self.convention, ndim).depth for b in lay.unroll())
            elif objective == "depth":
                before = states[tab.inputs[row.name][0]]
                total += int(before.j != row.states[ax].j or before.r != row.states[ax].r)
            elif isinstance(lay, Repeat):
                total += sum(weights_of(b, ax, ndim) for b in lay.unroll())
            else:
                total += weights_of(lay, ax, ndim)
        return total


def _copy_names(lay: Layer, copies: int) -> Iterator[str]:
    """The names a repeat's copies get once unrolled (``layer.copy``), for up to ``copies`` copies."""
    if not isinstance(lay, Repeat):
        yield lay.label()
        return
    n = lay.times if isinstance(lay.times, int) else copies
    for i in range(1, n + 1):
        for b in lay.block:
            for sub in _copy_names(b, copies):
                yield f"{sub}.{i}"


def _check_copy_names(g: Graph, layers: dict[str, Layer]) -> None:
    """Names of repeated layers must stay distinct once the repeats are unrolled, as the tables of
    the concrete graphs require (checked with two copies of every symbolic repeat)."""
    seen = set(layers)
    for lay in layers.values():
        if not isinstance(lay, Repeat) or _branched(lay) or lay.unrolled_size() > 10_000:
            continue  # (a repeated branched block's copies are nodes <name>.<copy>.<layer>)
        for sub in _copy_names(lay, 2):
            if sub in seen:
                raise RfsymError(
                    f"{g.name}: duplicate layer name {sub!r} once the repeats are unrolled (rename a layer)"
                )
            seen.add(sub)


def _branched(lay: Layer) -> bool:
    """A repeated block with branches (graph.BlockRepeat): its copies become nodes when its count is a number."""
    return hasattr(lay, "wiring")


def _substitute(sub: dict[Any, int]) -> Any:
    def f(v: Any) -> Any:
        return v.xreplace(sub) if hasattr(v, "xreplace") else v

    return f


def _layers_of(lay: Layer) -> Iterator[Layer]:
    if isinstance(lay, Repeat):
        for b in lay.block:
            yield from _layers_of(b)
    else:
        yield lay


def _window_monotone(lay: Layer, doms: dict[str, Domain], axis: int) -> set[str] | None:
    """The symbols in which a window layer is monotone, or None when its padding breaks the proof.

    Checked on every value of the layer's symbols (finite domains): ``0 <= pL``, ``0 <= pR``,
    ``pL + pR <= κ - 1`` everywhere; and for each symbol x, as x grows with the others fixed,
    ``pL`` and ``κ - 1 - pL`` never decrease (the region of the first unit grows on both sides),
    ``pL + pR - κ`` never increases and the stride never decreases (the size never grows).
    """
    if getattr(lay, "ceil_mode", False):
        return None  # the last-window rule of ceil mode is not covered by the argument
    syms = sorted(lay.free_symbols, key=str)
    if any(s.name not in doms or not doms[s.name].finite for s in syms):
        return None
    if math.prod(doms[s.name].size() or 0 for s in syms) > 10_000:
        return None
    grid: dict[tuple, tuple | None] = {}
    for combo in itertools.product(*(doms[s.name].values() for s in syms)):
        sub = dict(zip(syms, combo))
        try:
            concrete = lay.map_values(_substitute(sub))
        except RfsymError:
            grid[combo] = None  # not a valid layer: never evaluated as a solution
            continue
        k, st, pad, d, _ = concrete.axis_params(axis)  # type: ignore[attr-defined]
        if isinstance(pad, str) or not all(A.is_num(x) for x in (k, st, d, *pad)):
            return None
        pl, pr = pad
        kap = d * (k - 1) + 1
        if pl < 0 or pr < 0 or pl + pr > kap - 1:
            return None
        grid[combo] = (pl, kap - 1 - pl, -(pl + pr - kap), st)  # each must never decrease
    ok = set()
    for i, x in enumerate(syms):
        good = True
        for combo, v in grid.items():
            if v is None:
                continue
            vals = doms[x.name].values()
            pos = vals.index(combo[i])
            if pos + 1 < len(vals):
                nxt = grid.get(combo[:i] + (vals[pos + 1],) + combo[i + 1 :])
                if nxt is not None and any(b < a for a, b in zip(v, nxt)):
                    good = False
                    break
        if good:
            ok.add(x.name)
    return ok


def monotone_unknowns(
    g: Graph, unk: list[Any], doms: dict[str, Domain], axis: int, convention: str
) -> tuple[list[Any], str | None]:
    """The unknowns in which the graph is proven monotone (module docstring), and why not all."""
    if convention != "framework":
        return [], "the seed convention's padding depends on the size"
    layers, inp = g._compile()
    bad = {s.name for v in (inp or ()) for s in getattr(v, "free_symbols", ())}  # the input size
    seen: set[str] = set()
    for lay in layers.values():
        if isinstance(lay, Repeat):
            for s in getattr(lay.times, "free_symbols", ()):
                seen.add(s.name)
                if not grows(A.to_sympy(lay.times), s)[0]:
                    bad.add(s.name)
        for flat in _layers_of(lay):
            if isinstance(flat, Merge) or not flat.free_symbols and flat.kind == "identity":
                continue
            if flat.kind not in (*_WINDOWED, "identity"):
                return [], f"{flat.label()} ({flat.kind}) can shrink receptive fields"
            if flat.kind == "identity":
                continue
            ok = _window_monotone(flat, doms, axis)
            if ok is None:
                return (
                    [],
                    f"{flat.label()}: ceil mode, or a padding not within 0 .. dilation*(kernel - 1) for every value",
                )
            for s in flat.free_symbols:
                seen.add(s.name)
                if s.name not in ok:
                    bad.add(s.name)
    return [s for s in unk if s.name in seen and s.name not in bad], None


def _keeps_size(lay: Layer, doms: dict[str, Domain], axis: int) -> bool:
    """Stride 1 and ``pL + pR = κ - 1`` for every value of the layer's symbols: n and j unchanged."""
    if lay.kind == "identity":
        return True
    if lay.kind not in _WINDOWED:
        return False
    syms = sorted(lay.free_symbols, key=str)
    if any(s.name not in doms or not doms[s.name].finite for s in syms):
        return False
    if math.prod(doms[s.name].size() or 0 for s in syms) > 10_000:
        return False
    for combo in itertools.product(*(doms[s.name].values() for s in syms)):
        sub = dict(zip(syms, combo))
        try:
            concrete = lay.map_values(_substitute(sub))
        except RfsymError:
            continue
        k, st, pad, d, _ = concrete.axis_params(axis)  # type: ignore[attr-defined]
        if isinstance(pad, str) or st != 1 or pad[0] + pad[1] != d * (k - 1):
            return False
    return True


def neutral_counts(g: Graph, doms: dict[str, Domain], axis: int) -> dict[Any, int]:
    """Repeat counts that change no size and no jump (every layer of the block keeps both, for every
    value) and occur nowhere else: each can stand at 1 when merges' sizes and jumps are compared."""
    layers, _ = g._compile()
    elsewhere: set[str] = set()
    counts: dict[Any, int] = {}
    for lay in layers.values():
        if isinstance(lay, Repeat):
            syms: set[Any] = set(getattr(lay.times, "free_symbols", set()))
            if lay.times in syms and all(_keeps_size(b, doms, axis) for b in _layers_of(lay)):
                counts.update({s: 1 for s in syms})
            else:
                elsewhere |= {x.name for x in syms}
            for b in _layers_of(lay):
                elsewhere |= {x.name for x in b.free_symbols}
        else:
            elsewhere |= {x.name for x in lay.free_symbols}
    return {s: v for s, v in counts.items() if s.name not in elsewhere}


def _unrolled(g: Graph) -> Graph:
    """The graph with every numeric repeat node written out as a chain of nodes (the last one keeps
    the repeat's name); other nodes as they are."""
    layers, inp = g._compile()
    if not any(isinstance(lay, Repeat) and A.is_num(lay.times) and not _branched(lay) for lay in layers.values()):
        return g
    out = Graph(input=inp, name=g.name, symbols=g.symbols)
    for who in g.nodes:
        lay, ins = layers[who], g.inputs_of(who)
        if isinstance(lay, Repeat) and A.is_num(lay.times) and not _branched(lay):
            flat = lay.unroll()
            prev: Any = ins[0]
            for i, b in enumerate(flat):
                prev = out.layer(replace(b, name=who if i == len(flat) - 1 else f"{who}/{b.label()}"), prev)  # type: ignore[type-var]
            if not flat:
                out.layer(Identity(name=who), prev)
            continue
        out.layer(lay, *ins)
    return out


def merges_proven(g: Graph, axis: int, convention: str, origin: Any, doms: dict[str, Domain]) -> str | None:
    """None when every merge's sizes are proven equal and its inputs' jumps are equal for every
    value of the symbols (closed forms, :meth:`Graph.walk`; repeat counts that change no size or
    jump at 1); else why not."""
    counts = neutral_counts(g, doms, axis)
    try:
        walk = _unrolled(g.subs(counts) if counts else g).walk(convention=convention, origin=origin)
    except RfsymError as e:
        return f"no closed form ({e})"
    for m in walk.merges:
        if m.axis != axis:
            continue
        if m.sizes is not True:
            return f"{m.merge}: its inputs' sizes are equal only when {m.sizes}"
        js = [walk.states[x][axis].j for x in m.inputs]
        if any(sympy.expand(A.to_sympy(a) - A.to_sympy(js[0])) != 0 for a in js[1:]):
            return f"{m.merge}: its inputs' jumps can differ"
    return None


class _Box:
    __slots__ = ("lo", "hi")

    def __init__(self, lo: tuple[int, ...], hi: tuple[int, ...]):
        self.lo, self.hi = lo, hi

    def size(self) -> int:
        return math.prod(h - lo + 1 for lo, h in zip(self.lo, self.hi))

    def split(self) -> tuple[_Box, _Box]:
        widths = [h - lo for lo, h in zip(self.lo, self.hi)]
        d = widths.index(max(widths))
        mid = (self.lo[d] + self.hi[d]) // 2
        return (
            _Box(self.lo, self.hi[:d] + (mid,) + self.hi[d + 1 :]),
            _Box(self.lo[:d] + (mid + 1,) + self.lo[d + 1 :], self.hi),
        )


class GraphSearch:
    """The solutions of one graph solve: boxes of the monotone unknowns (for each combination of
    the others) that hold only solutions, and single solutions."""

    def __init__(self, g: Graph, ev: GraphEval, unk: list[Any], doms: dict[str, Domain], output: str):
        self.g, self.ev, self.doms, self.output = g, ev, doms, output
        self.names = [s.name for s in unk]
        mono, self.why = monotone_unknowns(g, unk, doms, ev.axis, ev.convention)
        self.mono = [s.name for s in mono]
        self.other = [n for n in self.names if n not in self.mono]
        self.values = {n: doms[n].values() for n in self.names}
        self.proofs: dict[tuple, str | None] = {}

    def _proof(self, fixed: dict[str, int]) -> str | None:
        key = tuple(sorted(fixed.items()))
        if key not in self.proofs:
            sub = self.g.subs(fixed) if fixed else self.g
            self.proofs[key] = merges_proven(sub, self.ev.axis, self.ev.convention, self.ev.origin, self.doms)
        return self.proofs[key]

    def combos(self) -> Iterator[dict[str, int]]:
        for combo in itertools.product(*(self.values[n] for n in self.other)):
            yield dict(zip(self.other, combo))

    def corner(self, fixed: dict[str, int], idx: tuple[int, ...]) -> dict[str, int]:
        return {**fixed, **{n: self.values[n][i] for n, i in zip(self.mono, idx)}}

    def boxes(self, fixed: dict[str, int], targets: list[Target]) -> Iterator[_Box]:
        """The boxes (indices into the monotone unknowns' values) holding only solutions."""
        full = _Box(tuple(0 for _ in self.mono), tuple(len(self.values[n]) - 1 for n in self.mono))
        if not self.mono or self._proof(fixed) is not None:
            if math.prod(len(v) for v in self.values.values()) > MAX_POINTS:
                why = self.why or self._proof(fixed)
                raise RfsymError(
                    f"{self.g.name}: the graph is not shown monotone here ({why}) and its "
                    f"{math.prod(len(v) for v in self.values.values())} assignments are above the limit of "
                    f"{MAX_POINTS} to check one by one; narrow the domains"
                )
            for idx in itertools.product(*(range(len(self.values[n])) for n in self.mono)):
                if self.ev.holds(self.ev.table(self.corner(fixed, idx)), targets, self.output):
                    yield _Box(idx, idx)
            return
        stack = [full]
        while stack:
            box = stack.pop()
            if self.ev.evaluated > MAX_POINTS:
                raise RfsymError(f"{self.g.name}: more than {MAX_POINTS} tables to evaluate; narrow the domains")
            verdict = self._decide(fixed, box, targets)
            if verdict is True:
                yield box
            elif verdict is None:
                a, b = box.split()
                stack += [b, a]

    def _decide(self, fixed: dict[str, int], box: _Box, targets: list[Target]) -> bool | None:
        """True: every point solves; False: none does; None: split."""
        ev, out = self.ev, self.output
        tlo = ev.table(self.corner(fixed, box.lo))
        if tlo is None:
            return False  # the smallest sizes are at the largest corner: nothing here is valid
        single = box.lo == box.hi
        if single:
            return ev.holds(tlo, targets, out)
        thi = ev.table(self.corner(fixed, box.hi))
        inside = thi is not None
        for t in targets:
            if t.quantity not in MONOTONE_Q:
                inside = False
                continue
            a = ev.value(tlo, t, out)
            b = ev.value(thi, t, out) if thi is not None else None
            small, big = (b, a) if t.quantity == "n" else (a, b)  # n never increases, r and j never decrease
            if (small is not None and not t.holds_hi(small)) or (big is not None and not t.holds_lo(big)):
                return False
            if small is None or big is None or not (t.contains(small) and t.contains(big)):
                inside = False
        return True if inside else None

    def points(self, fixed: dict[str, int], box: _Box) -> Iterator[dict[str, int]]:
        for idx in itertools.product(*(range(a, b + 1) for a, b in zip(box.lo, box.hi))):
            yield self.corner(fixed, idx)

    def optimal(self, fixed: dict[str, int], box: _Box, objective: str, best: int) -> Iterator[_Box]:
        """Sub-boxes of a box of solutions whose every point costs ``best`` (costs never decrease)."""
        stack = [box]
        while stack:
            b = stack.pop()
            lo = self.ev.cost(self.ev.table(self.corner(fixed, b.lo)), objective)
            if lo > best:
                continue
            if b.lo == b.hi or self.ev.cost(self.ev.table(self.corner(fixed, b.hi)), objective) == best:
                yield b
            else:
                x, y = b.split()
                stack += [y, x]


def solve_graph(
    g: Graph,
    tlist: list[Target],
    unk: list[Any],
    doms: dict[str, Domain],
    *,
    inp: Any,
    axis: int,
    convention: str,
    origin: Any,
    minimize: Any,
    count_only: bool,
    limit: int | None,
    nearest: int,
) -> SolveResult:
    """Every assignment of the graph's unknowns (finite domains) meeting the targets (module docstring)."""
    res = SolveResult(g.name, tuple(s.name for s in unk), tuple(tlist))
    outs = g.outputs
    if len(outs) != 1 and any(t.at is None for t in tlist):
        raise RfsymError(f"{g.name} has {len(outs)} outputs ({', '.join(outs)}); name the node of each target")
    nodes = set(g.nodes)
    for t in tlist:
        if t.at is not None and t.at not in nodes:
            shown = ", ".join(list(g.nodes)[:12]) + (", ..." if len(nodes) > 12 else "")
            raise RfsymError(f"target {t.key}: no node named {t.at!r} (nodes: {shown})")
    in_syms = {s.name for v in g.axes_input(inp) for s in getattr(v, "free_symbols", ())}
    for s in unk:
        if not doms[s.name].finite:
            if len(unk) == 1 and s.name in in_syms and g.axes_input(inp)[axis] == s:
                return _input_sizes(g, res, s, doms[s.name], tlist, inp, axis, convention, origin, count_only, limit)
            raise RfsymError(f"{g.name}: {s.name} has an unbounded domain; graph solves need a max under [symbols]")
    ev = GraphEval(g, inp, axis, convention, origin)
    search = GraphSearch(g, ev, unk, doms, outs[0] if outs else "input")
    res.method = (
        f"monotone box search over {', '.join(search.mono)}, graph tables at the corners"
        if search.mono
        else "graph tables of every assignment"
    )
    if search.why and unk and not search.mono:
        res.notes.append(f"not monotone: {search.why}")
    found: list[tuple[dict[str, int], _Box]] = []
    total = 0
    for fixed in search.combos():
        for box in search.boxes(fixed, tlist):
            found.append((fixed, box))
            total += box.size()
    res.count = total
    if callable(minimize) or minimize is not None:
        found, res.minimize, res.optimum, res.ties = _optimise(search, found, minimize)
    listed: int = (res.ties or 0) if res.minimize is not None else total
    if not count_only:
        want = listed if limit is None else min(limit, listed)
        if limit is None and listed > MAX_LISTING:
            raise RfsymError(
                f"{listed} solutions: above the listing limit of {MAX_LISTING}; count them or give a limit"
            )
        rows = _rows(search, found, want, listed <= 2_000_000, minimize if callable(minimize) else None, res.optimum)
        res.solutions = Solutions(res.unknowns, rows, ints=True)
    res.complete = not count_only and len(res.solutions) == listed
    if total == 0 and nearest:
        res.nearest = _nearest(search, tlist, nearest)
    res.notes.append(f"{ev.evaluated} graph tables evaluated")
    return res


def _input_sizes(  # type: ignore[no-untyped-def]
    g: Graph,
    res: SolveResult,
    x: Any,
    dom: Domain,
    tlist: list[Target],
    inp,
    axis,
    convention,
    origin,
    count_only,
    limit,
) -> SolveResult:
    """An unbounded input size as the only unknown: every node's size never decreases in it, so the
    sizes are non-empty from the smallest such N on (Graph.min_input_size), and from there whether
    the merges' sizes agree, and r, j, start and P, depend on N only through N mod the least common
    multiple of the nodes' jumps (a layer with stride s maps s more inputs to one more output;
    upsampling multiplies).  One period, checked on a second one, gives progressions."""
    if any(t.quantity == "n" for t in tlist):
        raise RfsymError(f"{g.name}: targets on n with an unbounded input size {x.name}: give {x.name} a max")
    ev = GraphEval(g, inp, axis, convention, origin)
    first = g.subs({x.name: 1}).min_input_size(axis, convention, equal_sizes=False)
    a = dom.first_at_least(max(first, dom.lo if dom.lo is not None else 1))
    period = dom.step
    tab = ev.table({x.name: a})  # None when the merges disagree at a; the first inputs' jumps count then
    for st in [row.states[axis] for row in tab.rows] if tab is not None else []:
        j = A.norm(st.j)
        period = math.lcm(period, j.numerator if hasattr(j, "numerator") else int(j))
    if tab is None:
        for n in range(a + 1, a + 4097):
            tab = ev.table({x.name: n})
            if tab is not None:
                for st in [row.states[axis] for row in tab.rows]:
                    j = A.norm(st.j)
                    period = math.lcm(period, j.numerator if hasattr(j, "numerator") else int(j))
                break
    if period > 4_000_000 // max(1, len(g.nodes)):
        raise RfsymError(f"{g.name}: the period of the input sizes ({period}) is too long to scan; give {x.name} a max")
    out = g.outputs[0]

    def ok(n: int) -> bool:
        return ev.holds(ev.table({x.name: n}), tlist, out)

    good = [n for n in range(a, a + period, dom.step) if ok(n)]
    again = [n - period for n in range(a + period, a + 2 * period, dom.step) if ok(n)]
    if good != again:
        raise RfsymError(f"{g.name}: the input sizes are not periodic here; give {x.name} a max")
    res.method = "input sizes: non-empty from the smallest one on, then periodic in the nodes' jumps"
    res.count = None if good else 0
    res.parametric = [Progression(x.name, period, n % period, n // period) for n in good]
    res.complete = not good
    listed = sorted(v for p in res.parametric for v in p.values(10))
    res.solutions = [] if count_only else [{x.name: v} for v in listed[: min(limit or 0, 10)]]
    res.notes.append(f"{ev.evaluated} graph tables evaluated")
    return res


def _optimise(search: GraphSearch, found: list, objective: Any) -> tuple[list, Any, Any, int]:
    """The boxes of optimal solutions, the objective's name, the optimum and the ties."""
    ev = search.ev
    if callable(objective):
        scored = [
            (objective(dict(p)), fixed, p) for fixed, box in found for p in search.points(fixed, box)
        ]  # bounded by MAX_LISTING through the caller's count
        if not scored:
            return [], getattr(objective, "__name__", "callable"), None, 0
        best = min(v for v, _, _ in scored)
        keep = [(fixed, _point_box(search, p)) for v, fixed, p in scored if v == best]
        return keep, getattr(objective, "__name__", "callable"), best, len(keep)
    if not found:
        return [], objective, None, 0
    lows = [ev.cost(ev.table(search.corner(fixed, box.lo)), objective) for fixed, box in found]
    best = min(lows)
    keep = []
    for (fixed, box), low in zip(found, lows):
        if low == best:
            keep += [(fixed, b) for b in search.optimal(fixed, box, objective, best)]
    return keep, objective, best, sum(b.size() for _, b in keep)


def _point_box(search: GraphSearch, p: dict[str, int]) -> _Box:
    idx = tuple(search.values[n].index(p[n]) for n in search.mono)
    return _Box(idx, idx)


def _rows(search: GraphSearch, found: list, want: int, all_sorted: bool, _callable: Any, _opt: Any) -> list[tuple]:
    """The solutions as value tuples in the unknowns' order: sorted when all of them are listed."""
    names = search.names
    rows: list[tuple] = []
    for fixed, box in found:
        for p in search.points(fixed, box):
            rows.append(tuple(p[n] for n in names))
            if not all_sorted and len(rows) >= want:
                return rows
    rows.sort()
    return rows[:want]


def _nearest(search: GraphSearch, tlist: list[Target], how_many: int) -> list[Nearest]:
    """As for chains: widen every target by the same amount until something is achievable, then the
    distinct achievable target values within that width, closest first, with an assignment each."""

    def count(targets: list[Target]) -> int:
        return sum(b.size() for fixed in search.combos() for b in search.boxes(fixed, targets))

    def achievable(w: int) -> bool:
        return count([t.widened(w) for t in tlist]) > 0

    w = smallest(lambda t: achievable(1 << t), 0, 40).value
    if w is None:
        return []
    width = smallest(achievable, (1 << (w - 1)) + 1, 1 << w).value or (1 << w) if w else 1
    wide = [t.widened(width) for t in tlist]
    seen: dict[tuple, dict[str, int]] = {}
    ev, out = search.ev, search.output
    for fixed in search.combos():
        for box in search.boxes(fixed, wide):
            for p in search.points(fixed, box):
                vals = tuple(ev.value(ev.table(p), t, out) for t in tlist)
                seen.setdefault(vals, p)
                if len(seen) > 10_000:
                    break
    scored = sorted((max(t.distance(v) for t, v in zip(tlist, vals)), vals) for vals in seen)
    return [
        Nearest({t.key: v for t, v in zip(tlist, vals)}, dict(seen[vals]), dist) for dist, vals in scored[:how_many]
    ]


def graph_domains(g: Graph, unk: list[Any], overrides: dict[str, Any]) -> dict[str, Domain]:
    return {s.name: make_domain(s, g.symbols.get(s.name), overrides.get(s.name)) for s in unk}


__all__ = ["GraphEval", "GraphSearch", "graph_domains", "graph_symbol_order", "solve_graph"]
