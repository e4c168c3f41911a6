"""Multi-branch networks (DAGs): a functional builder, per-node tables and branch alignment.

A :class:`Graph` is built node by node; every call returns a :class:`Node`
handle to feed into later calls::

    g = Graph(input=224, name="block")
    x = g.input_node                              # the network input, node "input"
    a = g.conv(x, kernel=3, padding=1, name="a")
    b = g.conv(x, kernel=1, name="b")
    y = g.add(a, b, name="sum")                   # or g.concat(a, b)
    g.table()                                     # one row per node, like Network.table

Meaning of the seed's quantities at a node (Araujo et al., *Computing
Receptive Fields of Convolutional Neural Networks*, Distill 2019; Google's
``receptive_field`` library):

* the region a unit sees is the union, over all paths from the input, of the
  regions the paths see; ``r`` and ``start`` describe that union;
* ``j`` and ``P`` come from the path that sets the largest receptive field.

Branches meeting at a merge (``add``/``concat``) are *aligned* when their jumps
and their centres ``(r - 1)/2 - P`` agree; then the union of their windows is
again a window centred on ``start + u j`` for every unit ``u``.  A misaligned
numeric merge gives an :class:`AlignmentWarning` (an error with
``strict=True``); symbolic graphs report the alignment condition as a sympy
relation (:meth:`Graph.alignment`).  The union arithmetic lives only in
:meth:`Merge.merge`; every other layer goes through its ``transfer``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from . import _arith as A
from ._bisect import smallest
from ._display import LatexPrintable
from .errors import RfsymError
from .layers import CONVENTIONS, AxisState, Conv, ConvTranspose, Identity, Layer, Pool, Repeat, Upsample
from .network import (
    INPUT_CAP,
    Network,
    Row,
    Table,
    _broadcast_input,
    _check_convention,
    _unify_symbols,
    check_sample_rate,
    parse_origin,
)
from .values import SymbolDomain

__all__ = ["Add", "Alignment", "AlignmentWarning", "Concat", "Graph", "GraphTable", "Merge", "Node", "PathInfo"]

INPUT = "input"
#: How many input sizes above the smallest non-empty one Graph.min_input_size tries for equal merge sizes.
SIZE_SCAN = 4096


class AlignmentWarning(UserWarning):
    """Branches meeting at a merge do not share jump and centre: the union is not a window."""


# ---------------------------------------------------------------------------
# merge layers


@dataclass(frozen=True, kw_only=True)
class Merge(Layer):
    """A node that combines two or more feature maps of the same size (per axis)."""

    name: str | None = None
    kind = "merge"

    def transfer(self, state: AxisState, axis: int = 0, convention: str = "framework") -> AxisState:
        """One input: nothing changes."""
        if convention not in CONVENTIONS:
            raise RfsymError(f"unknown convention {convention!r} (choose from {', '.join(CONVENTIONS)})")
        return state

    def merge(self, states: Sequence[AxisState], order: Any = None) -> tuple[AxisState, Any]:
        """The union of the inputs' regions on one axis, and the index of the dominant input.

        Unit ``u`` of input ``p`` sees the window ``start_p + u j_p ± (r_p - 1)/2``.
        The merged unit sees the union of these windows: with ``lo`` and ``hi``
        the union's ends for unit 0, ``start = (lo + hi)/2`` and
        ``r = hi - lo + 1``.  When the jumps differ the union's width changes
        from unit to unit; ``r`` is then the widest union, which is at the first
        or the last unit.  ``j`` and ``P`` come from the input with the
        largest ``r`` (the first one on ties); when that cannot be decided for
        symbols, they are ``Piecewise`` expressions.  The dominant index is
        then ``None``.

        ``order`` decides comparisons (the tables' default: numbers compare, symbols go to sympy's
        ``Max``/``Piecewise``); closed forms pass a :class:`ProvedOrder`, which keeps only what it proves.
        """
        if not states:
            raise RfsymError(f"{self.label()}: a merge needs inputs")
        order = _PLAIN if order is None else order
        first = states[0]
        if len(states) == 1:
            return first, 0
        # dominant input: largest r, first on ties
        dom: Any = 0
        j, P, r_dom = first.j, first.P, first.r
        for i, st in enumerate(states[1:], 1):
            cmp = order.compare(st.r, r_dom)
            if cmp is not None:
                if cmp > 0:
                    dom, j, P, r_dom = i, st.j, st.P, st.r
                continue
            j = order.where_ge(r_dom, st.r, j, st.j)
            P = order.where_ge(r_dom, st.r, P, st.P)
            r_dom = order.maximum(r_dom, st.r)
            dom = None
        half = [A.div(A.add(st.r, -1), 2) for st in states]
        if all(order.zero(A.add(st.start, A.mul(-1, first.start))) for st in states[1:]):
            r = states[0].r
            for st in states[1:]:
                r = order.maximum(r, st.r)
            start = first.start
        else:
            lo = hi = None
            for st, h in zip(states, half):
                a, b = A.add(st.start, A.mul(-1, h)), A.add(st.start, h)
                lo = a if lo is None else order.minimum(lo, a)
                hi = b if hi is None else order.maximum(hi, b)
            start = A.div(A.add(lo, hi), 2)
            r = A.add(A.add(hi, A.mul(-1, lo)), 1)
        n = first.n
        if order.widen:
            jumps_differ = not all(order.zero(A.add(st.j, A.mul(-1, first.j))) for st in states[1:])
        else:
            jumps_differ = any(A.is_num(A.add(st.j, A.mul(-1, first.j))) and st.j != first.j for st in states[1:])
        if jumps_differ and (A.is_num(n) or order.widen):
            last = A.add(n, -1)
            lo = hi = None
            for st, h in zip(states, half):
                c = A.add(st.start, A.mul(last, st.j))
                a, b = A.add(c, A.mul(-1, h)), A.add(c, h)
                lo = a if lo is None else order.minimum(lo, a)
                hi = b if hi is None else order.maximum(hi, b)
            r = order.maximum(r, A.add(A.add(hi, A.mul(-1, lo)), 1))
        return AxisState(n=n, j=j, r=A.norm(r), start=A.norm(start), P=P), dom


class _PlainOrder:
    """The tables' comparisons: numbers compare, symbolic comparisons go to sympy (``Max``, ``Piecewise``)."""

    widen = False

    @staticmethod
    def compare(a: Any, b: Any) -> int | None:
        diff = A.add(a, A.mul(-1, b))
        if A.is_num(diff):
            return 1 if diff > 0 else -1
        return None

    maximum = staticmethod(A.maximum)
    minimum = staticmethod(A.minimum)
    where_ge = staticmethod(A.where_ge)

    @staticmethod
    def zero(x: Any) -> bool:
        return _zero(x)


_PLAIN = _PlainOrder()


class ProvedOrder:
    """Comparisons for closed forms: a side wins only when :func:`rfsym.maps.proved_ge` proves it.

    Undecided ``Max``/``Min`` stay unevaluated (sympy's own evaluation of ``Max`` would use its
    assumptions on compound expressions) and are recorded in ``undecided``; ``domains`` are the
    symbols' declared domains (their ``min`` and ``choices`` bound the symbols from below).
    Widening to the last unit applies whenever the jumps are not proved equal (as the numeric
    tables do whenever they differ).
    """

    widen = True

    def __init__(self, domains: dict[str, Any] | None = None) -> None:
        self.domains = domains or {}
        self.undecided: list[str] = []

    def _ge(self, a: Any, b: Any, strict: bool = False) -> bool:
        from .maps import proved_ge

        return proved_ge(a, b, self.domains, strict)

    def compare(self, a: Any, b: Any) -> int | None:
        if A.is_num(a) and A.is_num(b):
            return 1 if a > b else -1
        if self._ge(a, b, strict=True):
            return 1
        if self._ge(b, a):
            return -1
        return None

    def zero(self, x: Any) -> bool:
        from .maps import same

        return same(x, 0)

    def _extreme(self, a: Any, b: Any, big: bool) -> Any:
        import sympy

        func = sympy.Max if big else sympy.Min
        args: list[Any] = []
        for v in (a, b):
            v = A.norm(v)
            args.extend(v.args if isinstance(v, func) else [v])
        if all(A.is_num(v) for v in args):
            return max(args) if big else min(args)
        keep: list[Any] = []
        for v in args:  # drop every argument that another one provably covers
            if any(self._ge(w, v) if big else self._ge(v, w) for w in keep):
                continue
            keep = [w for w in keep if not (self._ge(v, w) if big else self._ge(w, v))]
            keep.append(v)
        if len(keep) == 1:
            return keep[0]
        self.undecided.append(f"{func.__name__}({', '.join(A.fmt(v) for v in keep)})")
        return func(*[A.to_sympy(v) for v in keep], evaluate=False)

    def maximum(self, a: Any, b: Any) -> Any:
        return self._extreme(a, b, True)

    def minimum(self, a: Any, b: Any) -> Any:
        return self._extreme(a, b, False)

    def where_ge(self, lhs: Any, rhs: Any, then: Any, otherwise: Any) -> Any:
        import sympy

        from .maps import same

        if same(then, otherwise):
            return then
        if (A.is_num(lhs) and A.is_num(rhs) and lhs >= rhs) or self._ge(lhs, rhs):
            return then
        if (A.is_num(lhs) and A.is_num(rhs)) or self._ge(rhs, lhs, strict=True):
            return otherwise
        cond = sympy.Ge(A.to_sympy(lhs), A.to_sympy(rhs), evaluate=False)
        self.undecided.append(f"Piecewise on {cond}")
        return sympy.Piecewise((A.to_sympy(then), cond), (A.to_sympy(otherwise), True), evaluate=False)


@dataclass(frozen=True, kw_only=True)
class Add(Merge):
    """Element-wise sum of two or more feature maps (residual connections)."""

    kind = "add"


@dataclass(frozen=True, kw_only=True)
class Concat(Merge):
    """Channel concatenation of two or more feature maps (skip connections, Inception)."""

    kind = "concat"


MERGE_KINDS: dict[str, type[Merge]] = {"add": Add, "concat": Concat}


@dataclass(frozen=True, kw_only=True)
class BlockRepeat(Repeat):
    """A block with branches (a residual block, an Inception module) repeated ``times`` times.

    ``block`` lists the block's layers and ``wiring`` each one's inputs: names of earlier layers of
    the block, or ``"input"`` for the copy's input (the previous copy's output).  The block's output
    is its last layer.  ``index`` takes the values 1 … times in the copies, as for :class:`Repeat`.
    A graph unrolls a numeric count into nodes ``<name>.<copy>.<layer>`` followed by a pass-through
    node ``<name>``; a symbolic count stays one node, whose closed forms sum over the copies
    (:func:`block_map` reads one copy as an affine map).
    """

    wiring: tuple[tuple[str, ...], ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        who = self.label()
        wiring = tuple(tuple(w) for w in self.wiring)
        if len(wiring) != len(self.block):
            raise RfsymError(f"{who}: wiring must give the inputs of each of the {len(self.block)} block layers")
        seen: set[str] = set()
        for lay, ins in zip(self.block, wiring):
            if isinstance(lay, Repeat) and _branched(lay):
                raise RfsymError(f"{who}: a repeat with branches inside another repeat is not supported")
            for x in ins:
                if x != INPUT and x not in seen:
                    raise RfsymError(
                        f"{lay.label()}: unknown input {x!r} inside the repeat block {who!r} (a block's layers read "
                        f"earlier layers of the block or {INPUT!r}, the block's input)"
                    )
            _check_arity(lay, ins)
            if lay.label() in seen or lay.label() == INPUT:
                raise RfsymError(f"{who}: duplicate layer name {lay.label()!r} in the repeat block")
            seen.add(lay.label())
        object.__setattr__(self, "wiring", wiring)

    def unroll(self) -> list[Layer]:
        raise RfsymError(f"{self.label()}: a repeated block with branches unrolls into graph nodes, not into a chain")

    def entries(self, source: str, copies: int | None = None) -> list[tuple[Layer, tuple[str, ...]]]:
        """The unrolled copies as (layer, inputs) graph entries reading ``source``, then the pass-through alias."""
        from .layers import _at_index
        from .values import MAX_UNROLL

        times = self.times if copies is None else copies
        if not isinstance(times, int):
            raise RfsymError(
                f"{self.label()}: times is symbolic ({times}); a table needs a number (use rfsym.derive for closed forms in it)"
            )
        if times * len(self.block) > MAX_UNROLL:
            raise RfsymError(
                f"{self.label()}: unrolling times = {times} gives {times * len(self.block)} layers, above the limit "
                f"of {MAX_UNROLL} (see docs/spec.md, Limits)"
            )
        who = self.label()
        out: list[tuple[Layer, tuple[str, ...]]] = []
        prev = source
        for i in range(1, times + 1):
            names = {INPUT: prev}
            for lay, ins in zip(self.block, self.wiring):
                copy = lay.map_values(_at_index(self.index.name, i)) if self.index is not None else lay
                new = f"{who}.{i}.{lay.label()}"
                out.append((copy.renamed(new), tuple(names[x] for x in ins)))
                names[lay.label()] = new
            prev = names[self.block[-1].label()]
        out.append((Identity(name=who), (prev,)))
        return out

    def transfer(self, state: AxisState, axis: int = 0, convention: str = "framework") -> AxisState:
        """The state after every copy (a numeric count; each merge as :meth:`Merge.merge`)."""
        states = {INPUT: state}
        entries = self.entries(INPUT)
        for lay, ins in entries[:-1]:
            if isinstance(lay, Merge):
                states[lay.label()] = lay.merge([states[x] for x in ins])[0]
            else:
                states[lay.label()] = lay.transfer(states[ins[0]], axis, convention)
        return states[entries[-1][1][0]]

    def block_graph(self) -> Graph:
        """One copy of the block as a graph (the index left symbolic)."""
        return Graph.from_layers(list(zip(self.block, self.wiring)), name=self.label())


@dataclass(frozen=True, kw_only=True)
class Inner(Layer):
    """The place of the next level in a :class:`NestRepeat` block (a placeholder, not a layer of its own)."""

    name: str | None = None
    kind = "inner"

    def transfer(self, state: AxisState, axis: int = 0, convention: str = "framework") -> AxisState:
        raise RfsymError(f"{self.label()}: an 'inner' placeholder stands for the next level of a nested repeat")


@dataclass(frozen=True, kw_only=True)
class NestRepeat(BlockRepeat):
    """A block nested in itself ``times`` levels deep (a U-Net): its ``inner`` layer is the next level,
    the innermost level's ``inner`` is ``core`` (a chain; empty: a pass-through).

    A numeric depth unrolls into graph nodes ``<name>.<level>.<layer>`` (level 1 outermost) and
    ``<name>.core.<layer>``.  A symbolic depth has closed forms when, at every merge of the block, the
    path through ``inner`` provably contains the other inputs' windows for *any* inner level that
    widens its input's window (proved on a generic inner level) and the block and the core restore
    the jump (see :func:`nest_map`).
    """

    core: tuple[Layer, ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        who = self.label()
        inners = [b for b in self.block if isinstance(b, Inner)]
        if len(inners) != 1:
            raise RfsymError(f"{who}: a nested repeat's block needs exactly one 'inner' layer (got {len(inners)})")
        if self.index is not None:
            raise RfsymError(f"{who}: a nested repeat has no index (its levels are identical)")
        core = tuple(self.core) if isinstance(self.core, (list, tuple)) else (self.core,)
        for lay in core:
            if not isinstance(lay, Layer) or isinstance(lay, (Merge, Inner, Repeat)):
                raise RfsymError(f"{who}: the core of a nested repeat is a chain of plain layers")
        object.__setattr__(self, "core", core)

    def map_values(self, fn: Any, *, validate: bool = True) -> Layer:
        out = super().map_values(fn, validate=validate)
        core = tuple(c.map_values(fn, validate=validate) for c in self.core)
        object.__setattr__(out, "core", core)
        return out

    def values(self) -> Any:
        yield from super().values()
        for c in self.core:
            yield from c.values()

    def role_values(self) -> Any:
        yield from super().role_values()
        for c in self.core:
            for f, role, v in c.role_values():
                yield f"core.{c.label()}.{f}", role, v

    def entries(self, source: str, copies: int | None = None) -> list[tuple[Layer, tuple[str, ...]]]:
        from .values import MAX_UNROLL

        depth = self.times if copies is None else copies
        if not isinstance(depth, int):
            raise RfsymError(
                f"{self.label()}: times is symbolic ({depth}); a table needs a number (use rfsym.derive for closed forms in it)"
            )
        if depth * len(self.block) + len(self.core) > MAX_UNROLL:
            raise RfsymError(f"{self.label()}: unrolling {depth} levels is above the limit of {MAX_UNROLL} layers")
        who = self.label()
        out: list[tuple[Layer, tuple[str, ...]]] = []

        def level(d: int, src: str) -> str:
            names = {INPUT: src}
            for lay, ins in zip(self.block, self.wiring):
                if isinstance(lay, Inner):
                    if d < depth:
                        names[lay.label()] = level(d + 1, names[ins[0]])
                    else:
                        prev = names[ins[0]]
                        for c in self.core:
                            new = f"{who}.core.{c.label()}"
                            out.append((c.renamed(new), (prev,)))
                            prev = new
                        names[lay.label()] = prev
                    continue
                new = f"{who}.{d}.{lay.label()}"
                out.append((lay.renamed(new), tuple(names[x] for x in ins)))
                names[lay.label()] = new
            return names[self.block[-1].label()]

        last = level(1, source)
        out.append((Identity(name=who), (last,)))
        return out


def _branched(lay: Repeat) -> bool:
    return isinstance(lay, BlockRepeat) or any(isinstance(b, Repeat) and _branched(b) for b in lay.block)


def _zero(x: Any) -> bool:
    """True when x is provably zero."""
    if A.is_num(x):
        return x == 0
    return bool(getattr(x, "is_zero", False))


# ---------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class Node:
    """Handle of a graph node, returned by every builder call."""

    name: str
    graph: Any = field(default=None, repr=False, compare=False)

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Alignment:
    """Alignment of two branches at a merge on one axis.

    ``condition`` is ``True``/``False`` for numbers and a sympy relation (an
    ``Eq`` or an ``And`` of them) when it depends on symbols; ``aligned`` is
    then ``None``.
    """

    merge: str
    axis: int
    inputs: tuple[str, str]
    paths: tuple[tuple[str, ...], tuple[str, ...]]
    jumps: tuple[Any, Any]
    centres: tuple[Any, Any]
    condition: Any
    ndim: int = 1

    @property
    def aligned(self) -> bool | None:
        if self.condition is True or self.condition is False:
            return self.condition
        return None

    def describe(self) -> str:
        pa, pb = _branch_texts(*self.paths)
        axis = f" (axis {self.axis})" if self.ndim > 1 else ""
        (ja, jb), (ca, cb) = self.jumps, self.centres
        return (
            f"merge {self.merge!r}{axis}: branches are not aligned: path {pa} has jump {A.fmt(ja)} and centre "
            f"{A.fmt(ca)}, path {pb} has jump {A.fmt(jb)} and centre {A.fmt(cb)} (centre = (r - 1)/2 - P); "
            + (
                "r and start describe the union of the branches' windows, P is the dominant branch's"
                if self.jumps_agree
                else "the union is not one window for every unit: r is the widest union (first or last unit) "
                "and start the centre of the first unit's union"
            )
        )

    @property
    def jumps_agree(self) -> bool:
        d = A.add(self.jumps[0], A.mul(-1, self.jumps[1]))
        return _zero(d)


def _branch_texts(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, str]:
    """Two paths written from the node where they part, long middles elided."""
    k = 0
    while k < min(len(a), len(b)) - 1 and a[k + 1] == b[k + 1]:
        k += 1

    def text(p: tuple[str, ...]) -> str:
        p = p[k:]
        if len(p) > 6:
            return " -> ".join(p[:2]) + f" -> ... ({len(p) - 5} more) -> " + " -> ".join(p[-3:])
        return " -> ".join(p)

    return text(a), text(b)


@dataclass(frozen=True)
class GraphTable(Table):
    """A :class:`~rfsym.network.Table` of a graph: one row per node in topological order.

    ``inputs`` gives each node's input names, ``dominant`` each node's
    dominant input per axis (the one that sets the largest receptive field),
    ``alignments`` every merge's branch comparison.
    """

    inputs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    dominant: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    alignments: tuple[Alignment, ...] = ()
    size_conditions: tuple[tuple[str, int, Any], ...] = ()

    def path(self, node: str, axis: int = 0) -> tuple[str, ...]:
        """The path from the input that sets ``node``'s receptive field (ties: first input)."""
        out = [node]
        cur = node
        while cur != INPUT:
            d = self.dominant[cur][axis]
            ins = self.inputs[cur]
            cur = ins[d if d is not None else 0]
            out.append(cur)
        return tuple(reversed(out))

    @property
    def misaligned(self) -> tuple[Alignment, ...]:
        return tuple(a for a in self.alignments if a.aligned is False)

    def to_dict(self, units: Any = None) -> dict[str, Any]:
        out = super().to_dict(units)
        for d in out["layers"]:
            d["inputs"] = list(self.inputs.get(d["name"], ()))
        if self.size_conditions:
            out["size_conditions"] = [
                {"merge": m, "axis": ax, "condition": str(c)} for m, ax, c in self.size_conditions
            ]
        if self.alignments:
            out["alignment"] = [
                {
                    "merge": a.merge,
                    "axis": a.axis,
                    "inputs": list(a.inputs),
                    "aligned": a.aligned,
                    "condition": _cond_json(a.condition),
                }
                for a in self.alignments
            ]
        return out


def _cond_json(c: Any) -> Any:
    return c if isinstance(c, bool) else str(c)


@dataclass(frozen=True)
class PathInfo:
    """One path from the input to a node and the state it alone gives, per axis."""

    nodes: tuple[str, ...]
    states: tuple[AxisState, ...]


@dataclass(frozen=True)
class MergeReport:
    """What a merge contributes to a graph's closed forms, on one axis.

    ``sizes``: ``True`` when the inputs' sizes are proved equal, else the sympy relation (an ``Eq`` or an
    ``And``) the input size must satisfy; ``alignments``: each input against the first;
    ``dominant``: the index of the input that provably sets ``r`` (``j`` and ``P`` are its), or None;
    ``undecided``: the ``Max``/``Min``/``Piecewise`` kept because no input provably contains the others.
    """

    merge: str
    axis: int
    inputs: tuple[str, ...]
    sizes: Any
    alignments: tuple[Alignment, ...]
    dominant: Any
    undecided: tuple[str, ...]

    @property
    def aligned(self) -> bool | None:
        vals = [a.aligned for a in self.alignments]
        if all(v is True for v in vals):
            return True
        if any(v is False for v in vals):
            return False
        return None


@dataclass(frozen=True)
class GraphWalk:
    """Per-node symbolic states of a graph (:meth:`Graph.walk`): the raw material of its closed forms.

    ``states[node]`` per axis; ``size_maps[node]`` per axis, the affine map of the chain that gives the
    node's size (a merge's size is its first input's); ``bounds[node]`` per axis, the smallest input
    size keeping every node up to this one non-empty (None when it is not a formula here).
    """

    input: tuple[Any, ...]
    inputs: dict[str, tuple[str, ...]]
    states: dict[str, tuple[AxisState, ...]]
    size_maps: dict[str, tuple[Any, ...]]
    bounds: dict[str, tuple[Any, ...]]
    dominant: dict[str, tuple[Any, ...]]
    merges: tuple[MergeReport, ...]

    def path(self, node: str, axis: int = 0) -> tuple[str, ...]:
        """The path from the input that provably sets ``node``'s receptive field (first input when undecided)."""
        out = [node]
        cur = node
        while cur != INPUT:
            d = self.dominant[cur][axis]
            cur = self.inputs[cur][d if d is not None else 0]
            out.append(cur)
        return tuple(reversed(out))


# ---------------------------------------------------------------------------
# the graph


class Graph(LatexPrintable):
    """A network whose layers form a directed acyclic graph.

    >>> g = Graph(input=16, name="demo")
    >>> a = g.conv("input", kernel=3, padding=1, name="a")
    >>> b = g.conv(g.input_node, kernel=5, padding=2, name="b")
    >>> y = g.add(a, b, name="y")
    >>> st = g.table()["y"].states[0]
    >>> st.r, st.j, st.P
    (5, 1, 2)
    """

    def __init__(
        self,
        input: Any = None,
        name: str = "graph",
        symbols: dict[str, SymbolDomain] | None = None,
        sample_rate: Any = None,
    ) -> None:
        self.name = name
        #: samples per second of a 1-D signal (Hz), or None (as ``Network.sample_rate``)
        self.sample_rate = check_sample_rate(sample_rate, name)
        self.symbols = {str(k): v for k, v in (symbols or {}).items()}
        self._input_size = Network._parse_input(input, name) if input is not None else None
        self._nodes: dict[str, tuple[Layer, tuple[str, ...]]] = {}
        self._compiled: tuple[dict[str, Layer], tuple[Any, ...] | None] | None = None

    # -- building ----------------------------------------------------------
    @property
    def input_node(self) -> Node:
        """The network input, node ``"input"`` (the string ``"input"`` works as well)."""
        return Node(INPUT, self)

    @property
    def input(self) -> tuple[Any, ...] | None:
        """The declared input size per axis, or None (as ``Network.input``)."""
        return self._compile()[1] if self._nodes else self._input_size

    def _name_of(self, x: Node | str, who: str) -> str:
        if isinstance(x, Node):
            if x.graph is not None and x.graph is not self:
                raise RfsymError(f"{who}: input {x.name!r} is a node of another graph")
            name = x.name
        elif isinstance(x, str):
            name = x
        else:
            raise RfsymError(f"{who}: inputs must be nodes or node names (got {type(x).__name__})")
        if name != INPUT and name not in self._nodes:
            known = ", ".join([INPUT, *self._nodes])
            raise RfsymError(f"{who}: unknown input {name!r} (known: {known})")
        return name

    def layer(self, layer: Layer, *inputs: Node | str) -> Node:
        """Add any rfsym layer fed by ``inputs`` (one, or two or more for a merge)."""
        if not isinstance(layer, Layer):
            raise RfsymError(f"{self.name}: not an rfsym layer (got {type(layer).__name__})")
        if layer.name is None:
            k = len(self._nodes) + 1
            name = f"{layer.kind}{k}"
            while name in self._nodes:
                k += 1
                name = f"{layer.kind}{k}"
            layer = replace(layer, name=name)  # type: ignore[type-var]
        who = layer.label()
        if who == INPUT:
            raise RfsymError(f"{self.name}: the name {INPUT!r} is reserved for the network input")
        if who in self._nodes:
            raise RfsymError(f"{self.name}: duplicate layer name {who!r}")
        names = tuple(self._name_of(x, who) for x in inputs)
        _check_arity(layer, names)
        if isinstance(layer, BlockRepeat) and isinstance(layer.times, int):
            subs = layer.entries(names[0])
            for sub, _ in subs[:-1]:
                if sub.label() in self._nodes or sub.label() == who:
                    raise RfsymError(f"{self.name}: duplicate layer name {sub.label()!r} once {who!r} is unrolled")
            for sub, sub_ins in subs[:-1]:
                self._nodes[sub.label()] = (sub, sub_ins)
            layer, names = subs[-1]
        self._nodes[who] = (layer, names)
        self._compiled = None
        return Node(who, self)

    def repeat(
        self,
        x: Node | str,
        block: Sequence[tuple[Layer, Sequence[str] | None]],
        times: Any,
        index: str | None = None,
        name: str | None = None,
    ) -> Node:
        """A block with branches repeated ``times`` times (:class:`BlockRepeat`); ``block`` lists
        (layer, inputs) pairs, inputs naming earlier block layers or ``"input"`` (None: the previous one)."""
        layers, wiring, prev = [], [], INPUT
        for lay, ins in block:
            layers.append(lay)
            wiring.append(tuple(ins) if ins is not None else (prev,))
            prev = lay.label()
        return self.layer(
            BlockRepeat(block=tuple(layers), wiring=tuple(wiring), times=times, index=index, name=name), x
        )

    def conv(
        self, x: Node | str, kernel: Any, stride: Any = 1, padding: Any = 0, dilation: Any = 1, name: str | None = None
    ) -> Node:
        """A convolution fed by ``x``."""
        return self.layer(Conv(kernel=kernel, stride=stride, padding=padding, dilation=dilation, name=name), x)

    def pool(
        self,
        x: Node | str,
        kernel: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        ceil_mode: bool = False,
        mode: str = "max",
        name: str | None = None,
    ) -> Node:
        """A max or average pooling fed by ``x`` (stride defaults to the kernel)."""
        lay = Pool(
            kernel=kernel, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode, mode=mode, name=name
        )
        return self.layer(lay, x)

    def conv_transpose(
        self,
        x: Node | str,
        kernel: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        dilation: Any = 1,
        name: str | None = None,
    ) -> Node:
        """A transposed convolution fed by ``x``."""
        lay = ConvTranspose(
            kernel=kernel, stride=stride, padding=padding, output_padding=output_padding, dilation=dilation, name=name
        )
        return self.layer(lay, x)

    def upsample(self, x: Node | str, scale: Any, mode: str = "nearest", name: str | None = None) -> Node:
        """Nearest or bilinear upsampling of ``x`` by an integer factor."""
        return self.layer(Upsample(scale=scale, mode=mode, name=name), x)

    def identity(self, x: Node | str, op: str = "identity", name: str | None = None) -> Node:
        """A pass-through node (activation, normalisation …)."""
        return self.layer(Identity(op=op, name=name), x)

    def add(self, *xs: Node | str, name: str | None = None) -> Node:
        """Element-wise sum of two or more nodes."""
        return self.layer(Add(name=name), *xs)

    def concat(self, *xs: Node | str, name: str | None = None) -> Node:
        """Channel concatenation of two or more nodes."""
        return self.layer(Concat(name=name), *xs)

    @classmethod
    def from_layers(
        cls,
        entries: Sequence[tuple[Layer, Sequence[str] | None]],
        input: Any = None,
        name: str = "graph",
        symbols: dict[str, SymbolDomain] | None = None,
        sample_rate: Any = None,
    ) -> Graph:
        """A graph from (layer, input names) pairs in any order (as in a spec).

        ``None`` inputs mean "the previous entry" (the network input for the
        first).  Unknown names and cycles raise :class:`RfsymError`.
        """
        g = cls(input=input, name=name, symbols=symbols, sample_rate=sample_rate)
        layers: dict[str, Layer] = {}
        wanted: dict[str, tuple[str, ...]] = {}
        prev = INPUT
        for i, (lay, ins) in enumerate(entries, 1):
            if not isinstance(lay, Layer):
                raise RfsymError(f"{name}: entry {i} is not an rfsym layer (got {type(lay).__name__})")
            if lay.name is None:
                lay = replace(lay, name=f"{lay.kind}{i}")  # type: ignore[type-var]
            who = lay.label()
            if who == INPUT:
                raise RfsymError(f"{name}: the name {INPUT!r} is reserved for the network input")
            if who in layers:
                raise RfsymError(f"{name}: duplicate layer name {who!r}")
            if ins is None:
                if isinstance(lay, Merge):
                    raise RfsymError(f"{who}: a {lay.kind} layer needs 'inputs' with two or more names")
                names: tuple[str, ...] = (prev,)
            else:
                if (
                    isinstance(ins, str)
                    or not isinstance(ins, (list, tuple))
                    or not all(isinstance(x, str) for x in ins)
                ):
                    raise RfsymError(f"{who}: inputs must be a list of layer names (got {ins!r})")
                names = tuple(ins)
            _check_arity(lay, names)
            subs = lay.entries(names[0]) if isinstance(lay, BlockRepeat) and isinstance(lay.times, int) else []
            for sub, sub_ins in subs[:-1]:  # a numeric repeated block: its copies become nodes
                if sub.label() in layers:
                    raise RfsymError(f"{name}: duplicate layer name {sub.label()!r} once {who!r} is unrolled")
                layers[sub.label()], wanted[sub.label()] = sub, sub_ins
            if subs:
                lay, names = subs[-1]  # ... and a pass-through node with the repeat's name
            layers[who] = lay
            wanted[who] = names
            prev = who
        for who, names in wanted.items():
            for x in names:
                if x != INPUT and x not in layers:
                    known = ", ".join([INPUT, *layers])
                    raise RfsymError(f"{who}: unknown input {x!r} (known: {known})")
        for who in _toposort(wanted):
            g._nodes[who] = (layers[who], wanted[who])
        return g

    def validate(self) -> Graph:
        """Check names, axes and symbol domains now (they are otherwise checked at the first table)."""
        self._compile()
        return self

    # -- structure ---------------------------------------------------------
    @property
    def nodes(self) -> tuple[str, ...]:
        """Node names in topological order (the input excluded)."""
        return tuple(self._nodes)

    @property
    def layers(self) -> tuple[Layer, ...]:
        return tuple(self._compile()[0].values())

    def inputs_of(self, node: Node | str) -> tuple[str, ...]:
        name = node.name if isinstance(node, Node) else node
        if name not in self._nodes:
            raise RfsymError(f"{self.name}: no node {name!r}")
        return self._nodes[name][1]

    @property
    def outputs(self) -> tuple[str, ...]:
        """Nodes that feed no other node."""
        used = {x for _, ins in self._nodes.values() for x in ins}
        return tuple(n for n in self._nodes if n not in used)

    def _compile(self) -> tuple[dict[str, Layer], tuple[Any, ...] | None]:
        """Validate (names, axes, symbol domains) and unify same-named symbols, via Network."""
        if self._compiled is None:
            if not self._nodes:
                raise RfsymError(f"{self.name}: a graph needs at least one layer")
            net = Network(
                [lay for lay, _ in self._nodes.values()], input=self._input_size, name=self.name, symbols=self.symbols
            )
            layers = {lay.label(): lay for lay in net.layers}
            self._compiled = (layers, net.input)
        return self._compiled

    @property
    def is_chain(self) -> bool:
        """True when the graph is one chain (no merges or repeated blocks with branches, every node reads
        the previous one)."""
        layers, _ = self._compile()
        prev = INPUT
        for who, (_, ins) in self._nodes.items():
            if isinstance(layers[who], (Merge, BlockRepeat)) or ins != (prev,):
                return False
            prev = who
        return True

    def flat_layers(self) -> list[Layer]:
        """The layers of a graph that is one chain (no merges, one path), for code written for ``Network``."""
        layers, _ = self._compile()
        prev = INPUT
        for who, (_, ins) in self._nodes.items():
            if isinstance(layers[who], Merge) or ins != (prev,):
                raise RfsymError(
                    f"{self.name}: this graph has branches (at {who!r}); closed forms and solving need a "
                    "sequential network (use table(), alignment() or paths() on graphs)"
                )
            prev = who
        out: list[Layer] = []
        for lay in layers.values():
            out.extend(lay.unroll() if isinstance(lay, Repeat) else [lay])
        return out

    @property
    def ndim(self) -> int | None:
        nds = {lay.ndim for lay in self._compile()[0].values() if lay.ndim is not None}
        if len(nds) > 1:
            raise RfsymError(f"{self.name}: layers disagree on the number of axes ({sorted(nds)})")
        return nds.pop() if nds else None

    @property
    def free_symbols(self) -> set[Any]:
        layers, inp = self._compile()
        out: set[Any] = set()
        for lay in layers.values():
            out |= lay.free_symbols
        for v in inp or ():
            out |= getattr(v, "free_symbols", set())
        return out

    def subs(self, mapping: dict[Any, Any]) -> Graph:
        """A copy with symbols replaced (by name or Symbol) by values."""
        layers, inp = self._compile()
        by_name = {str(k): v for k, v in mapping.items()}
        syms = {s: by_name[s.name] for s in self.free_symbols if s.name in by_name}

        def f(v: Any) -> Any:
            return v.xreplace(syms) if hasattr(v, "xreplace") and syms else v

        entries = [(layers[who].map_values(f), list(ins)) for who, (_, ins) in self._nodes.items()]
        # from_layers: a repeated block whose count became a number unrolls into nodes, as when it was built
        return Graph.from_layers(
            entries,
            input=tuple(A.norm(f(v)) for v in inp) if inp is not None else None,
            name=self.name,
            symbols=self.symbols,
            sample_rate=self.sample_rate,
        )

    def axes_input(self, input: Any = None) -> tuple[Any, ...]:
        layers, declared = self._compile()
        inp = declared
        if input is not None:
            given = Network._parse_input(input, self.name)
            m = _unify_symbols(list(layers.values()), given, self.symbols)
            inp = tuple(A.norm(v.xreplace(m)) if hasattr(v, "xreplace") and m else v for v in given)
        return _broadcast_input(inp, self.ndim, self.name)

    # -- analysis ----------------------------------------------------------
    def table(
        self,
        input: Any = None,
        convention: str = "framework",
        origin: Any = Fraction(1, 2),
        strict: bool = False,
    ) -> GraphTable:
        """One row per node (topological order) for an input size (number, symbol or per-axis list).

        A misaligned merge warns (:class:`AlignmentWarning`), or raises
        :class:`RfsymError` when ``strict``.
        """
        _check_convention(convention)
        origin = parse_origin(origin)
        inp = self.axes_input(input)
        layers, _ = self._compile()
        states: dict[str, tuple[AxisState, ...]] = {INPUT: tuple(AxisState.input(n, origin) for n in inp)}
        dominant: dict[str, tuple[Any, ...]] = {}
        inputs: dict[str, tuple[str, ...]] = {}
        rows = [Row(INPUT, None, states[INPUT])]
        aligns: list[Alignment] = []
        size_conds: list[tuple[str, int, Any]] = []
        partial = _PathMemo(GraphTable(self.name, inp, (), convention, origin, None, inputs, dominant))
        for who, (_, ins) in self._nodes.items():
            lay = layers[who]
            inputs[who] = ins
            if isinstance(lay, Merge):
                new, doms = [], []
                for ax in range(len(inp)):
                    ins_st = [states[x][ax] for x in ins]
                    size_conds += _check_sizes(who, ins, ins_st, ax, len(inp), inp)
                    st, d = lay.merge(ins_st)
                    new.append(st)
                    doms.append(d)
                dominant[who] = tuple(doms)
                for ax in range(len(inp)):
                    for k in range(1, len(ins)):
                        al = _alignment(
                            who, ax, ins[0], ins[k], states[ins[0]][ax], states[ins[k]][ax], partial, ndim=len(inp)
                        )
                        aligns.append(al)
                        if al.aligned is False:
                            if strict:
                                raise RfsymError(al.describe())
                            warnings.warn(AlignmentWarning(al.describe()), stacklevel=2)
                states[who] = tuple(new)
            else:
                src = states[ins[0]]
                new_t = tuple(lay.transfer(st, ax, convention) for ax, st in enumerate(src))
                for ax, (old, st) in enumerate(zip(src, new_t)):
                    if A.is_num(st.n) and st.n < 1:
                        axis = f" (axis {ax})" if len(src) > 1 else ""
                        raise RfsymError(
                            f"{who}: output is empty{axis}: n = {A.fmt(st.n)} from an input of {A.fmt(old.n)} "
                            f"features (network input {A.fmt(inp[ax])}); the network needs a larger input"
                        )
                states[who] = new_t
                dominant[who] = (0,) * len(inp)
            rows.append(Row(who, lay, states[who]))
        return GraphTable(
            self.name,
            inp,
            tuple(rows),
            convention,
            origin,
            None,
            inputs,
            dominant,
            tuple(aligns),
            tuple(size_conds),
            sample_rate=self.sample_rate,
        )

    def walk(
        self,
        input: Any = None,
        convention: str = "framework",
        origin: Any = Fraction(1, 2),
        element_map: Any = None,
        initial: tuple[AxisState, ...] | None = None,
    ) -> GraphWalk:
        """Every node's symbolic state, with each layer read as an affine map (:mod:`rfsym.maps`).

        Layers go through their maps (``element_map(layer, axis, convention)``, default
        :func:`rfsym.maps.layer_map`); merges through :meth:`Merge.merge` with a :class:`ProvedOrder`:
        an input's window wins a ``Max``/``Min`` only when that is proved for every admissible value
        of the symbols.  Sizes come from the composed maps (floors folded); the size condition and the
        alignment condition of every merge are in :attr:`GraphWalk.merges`.
        """
        from . import maps  # sympy: symbolic walks only

        _check_convention(convention)
        origin = parse_origin(origin)
        inp = self.axes_input(input) if initial is None else tuple(st.n for st in initial)
        layers, _ = self._compile()
        mapper = element_map or maps.layer_map
        nax = range(len(inp))
        states: dict[str, tuple[AxisState, ...]] = {
            INPUT: tuple(AxisState.input(n, origin) for n in inp) if initial is None else tuple(initial)
        }
        size_maps: dict[str, tuple[Any, ...]] = {INPUT: tuple(maps.identity() for _ in nax)}
        bounds: dict[str, tuple[Any, ...]] = {INPUT: tuple(1 for _ in nax)}
        dominant: dict[str, tuple[Any, ...]] = {}
        inputs: dict[str, tuple[str, ...]] = {}
        reports: list[MergeReport] = []
        bound_order = ProvedOrder(self.symbols)
        partial = _PathMemo(GraphTable(self.name, inp, (), convention, origin, None, inputs, dominant))
        for who, (_, ins) in self._nodes.items():
            lay = layers[who]
            inputs[who] = ins
            if isinstance(lay, Merge):
                new, doms, bnds = [], [], []
                for ax in nax:
                    st, d, rep = self._walk_merge(lay, who, ins, ax, states, inp, partial)
                    new.append(st)
                    doms.append(d)
                    reports.append(rep)
                    bnd = bounds[ins[0]][ax]
                    for x in ins[1:]:
                        other = bounds[x][ax]
                        bnd = None if bnd is None or other is None else bound_order.maximum(bnd, other)
                    bnds.append(bnd)
                states[who], dominant[who] = tuple(new), tuple(doms)
                size_maps[who], bounds[who] = size_maps[ins[0]], tuple(bnds)
                continue
            src = states[ins[0]]
            out_st: list[AxisState] = []
            out_maps: list[Any] = []
            out_b: list[Any] = []
            for ax in nax:
                mp = mapper(lay, ax, convention)
                total = maps.compose(size_maps[ins[0]][ax], mp)
                old = src[ax]
                n_out = A.norm(total.n_of(inp[ax]))
                if A.is_num(n_out) and n_out < 1:
                    axis = f" (axis {ax})" if len(inp) > 1 else ""
                    raise RfsymError(
                        f"{who}: output is empty{axis}: n = {A.fmt(n_out)} from an input of {A.fmt(old.n)} "
                        f"features (network input {A.fmt(inp[ax])}); the network needs a larger input"
                    )
                out_st.append(_apply_map(mp, old, n_out))
                out_maps.append(total)
                prev = bounds[ins[0]][ax]
                symbolic_copies = isinstance(lay, Repeat) and not A.is_num(lay.times)
                if prev is None or mp.xdep or not total.folds or symbolic_copies:
                    out_b.append(None)
                else:
                    out_b.append(bound_order.maximum(prev, A.add(1, A.mul(-1, total.g))))
            states[who], size_maps[who], bounds[who] = tuple(out_st), tuple(out_maps), tuple(out_b)
            dominant[who] = (0,) * len(inp)
        return GraphWalk(inp, inputs, states, size_maps, bounds, dominant, tuple(reports))

    def _walk_merge(
        self,
        lay: Merge,
        who: str,
        ins: tuple[str, ...],
        ax: int,
        states: dict[str, tuple[AxisState, ...]],
        inp: tuple[Any, ...],
        partial: Any,
    ) -> tuple[AxisState, Any, MergeReport]:
        """One merge on one axis for :meth:`walk`: the proved union, the size and alignment conditions."""
        sts = [states[x][ax] for x in ins]
        sizes = _check_sizes(who, ins, sts, ax, len(inp), inp, proved=True)
        order = ProvedOrder(self.symbols)
        st, d = lay.merge(sts, order)
        aligns = tuple(
            _alignment(who, ax, ins[0], ins[k], sts[0], sts[k], partial, fast=True, ndim=len(inp))
            for k in range(1, len(ins))
        )
        cond: Any = True
        if sizes:
            import sympy

            rels = [c for _, _, c in sizes]
            cond = rels[0] if len(rels) == 1 else sympy.And(*rels)
        return st, d, MergeReport(who, ax, ins, cond, aligns, d, tuple(dict.fromkeys(order.undecided)))

    def equivalent(self, axis: int | None = None, convention: str = "framework", element_map: Any = None) -> Layer:
        """The single convolution equivalent to the whole graph (as :meth:`Network.equivalent`).

        It exists when every merge is proved aligned (equal jumps and centres, so the union of the
        branches' windows is the widest one) and its inputs' sizes are proved equal for every input
        size; the output (the last node) then sees a window of ``r`` pixels every ``j`` starting ``P``
        before unit 0, and its size is one floor with denominator ``j``.  Otherwise an
        :class:`RfsymError` names the merge (and the branches) that prevent it.
        """
        from . import maps  # sympy: composing the maps
        from .values import symbol

        nd = self.ndim or 1
        if axis is not None and not (isinstance(axis, int) and 0 <= axis < nd):
            raise RfsymError(f"{self.name}: axis {axis} out of range (the network has {nd} axes)")
        if self.is_chain:
            return maps.equivalent(self.flat_layers(), self.name, [axis] if axis is not None else list(range(nd)))
        axes = range(nd) if axis is None else [axis]
        x = [symbol(f"n{i}" if nd > 1 else "n", "input") for i in range(nd)]
        if element_map is None and any(isinstance(lay, Repeat) and not A.is_num(lay.times) for lay in self.layers):
            raise RfsymError(
                f"{self.name}: a repeat with a symbolic count; use rfsym.closed_form.equivalent(graph), which sums "
                "over the copies"
            )
        w = self.walk(input=x if nd > 1 else x[0], convention=convention, origin=0, element_map=element_map)
        for rep in w.merges:
            if rep.axis not in axes:
                continue
            where = f"{self.name}: no single equivalent layer: merge {rep.merge!r}" + (
                f" (axis {rep.axis})" if nd > 1 else ""
            )
            bad = next((a for a in rep.alignments if a.aligned is not True), None)
            if bad is not None:
                if bad.aligned is False:
                    raise RfsymError(f"{self.name}: no single equivalent layer: {bad.describe()}")
                raise RfsymError(f"{where}: its branches are aligned only when {bad.condition}")
            if rep.sizes is not True:
                raise RfsymError(f"{where}: its inputs have equal sizes only when {rep.sizes}")
        out = [*w.states][-1]
        ks, ss, pads = [], [], []
        for ax in axes:
            where = f"{self.name}" + (f" (axis {ax})" if nd > 1 else "")
            st, total = w.states[out][ax], w.size_maps[out][ax]
            if total.xdep or not total.folds:
                raise RfsymError(
                    f"{where}: the output size is not a single floor of the input; no single equivalent layer"
                )
            if not maps.proved_integer(st.j) or not maps.proved_integer(st.r):
                raise RfsymError(
                    f"{where}: the jump {A.fmt(st.j)} or field {A.fmt(st.r)} is not proved an integer; "
                    "no single equivalent convolution"
                )
            if not maps.same(total.den, st.j):
                raise RfsymError(f"{where}: the output size does not step with the jump; no single equivalent layer")
            if not maps.same(st.start, A.add(A.div(A.add(st.r, -1), 2), A.mul(-1, st.P))):
                raise RfsymError(
                    f"{where}: the output window is not centred as a convolution's; no single equivalent layer"
                )
            ks.append(_expanded(st.r))
            ss.append(_expanded(st.j))
            total_pad = A.add(A.add(total.g, -1), st.r)  # floor((x + g - 1)/J) + 1 = floor((x + T - R)/J) + 1
            pads.append((_expanded(st.P), _expanded(A.add(total_pad, A.mul(-1, st.P)))))
        label = f"{self.name}-equivalent"
        if len(axes) == 1:
            return Conv(kernel=ks[0], stride=ss[0], padding=list(pads[0]), name=label)
        return Conv(kernel=list(ks), stride=list(ss), padding=[list(p) for p in pads], name=label)

    def alignment(
        self, input: Any = None, convention: str = "framework", origin: Any = Fraction(1, 2)
    ) -> list[Alignment]:
        """Every merge's branch comparison (each input against the first), per axis.

        With symbols, ``condition`` is the sympy relation under which the
        branches align, solved for a padding symbol when that is possible.
        """
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AlignmentWarning)
            return list(self.table(input, convention, origin).alignments)

    def paths(
        self,
        node: Node | str,
        input: Any = None,
        convention: str = "framework",
        origin: Any = Fraction(1, 2),
        limit: int = 10_000,
    ) -> list[PathInfo]:
        """Every path from the input to ``node`` with the state that path alone gives (per axis)."""
        target = node.name if isinstance(node, Node) else node
        if target != INPUT and target not in self._nodes:
            raise RfsymError(f"{self.name}: no node {target!r}")
        _check_convention(convention)
        origin = parse_origin(origin)
        inp = self.axes_input(input)
        layers, _ = self._compile()
        memo: dict[str, list[PathInfo]] = {INPUT: [PathInfo((INPUT,), tuple(AxisState.input(n, origin) for n in inp))]}

        def walk(name: str) -> list[PathInfo]:
            if name in memo:
                return memo[name]
            lay = layers[name]
            out: list[PathInfo] = []
            for x in self._nodes[name][1]:
                for p in walk(x):
                    sts = (
                        p.states
                        if isinstance(lay, Merge)
                        else tuple(lay.transfer(s, ax, convention) for ax, s in enumerate(p.states))
                    )
                    out.append(PathInfo(p.nodes + (name,), sts))
                    if len(out) > limit:
                        raise RfsymError(f"{self.name}: more than {limit} paths reach {name!r} (raise limit=)")
            memo[name] = out
            return out

        order = [INPUT, *self._nodes]
        for name in order[: order.index(target) + 1]:
            walk(name)
        return memo[target]

    def min_input_size(self, axis: int = 0, convention: str = "framework", equal_sizes: bool = True) -> Any:
        """Smallest input size on ``axis`` for which every node is non-empty and every merge's sizes agree
        (``equal_sizes=False``: every node non-empty, whatever the merges' sizes).

        Numeric graphs only (None when a layer has symbols).  Axes do not
        interact, so the other axes do not matter.  Every node's ``n`` is
        non-decreasing in the input size, so the smallest non-empty input comes
        from the shared search (:mod:`rfsym._bisect`, up to ``2**80``); merges
        whose branches change size at different rates agree only at some
        sizes, which are then looked for among the next SIZE_SCAN sizes.
        """
        if self.free_symbols:
            return None
        _check_convention(convention)
        nd = self.ndim or 1
        if not isinstance(axis, int) or not 0 <= axis < nd:
            raise RfsymError(
                f"{self.name}: axis {axis!r} does not exist (the graph has {nd} axis{'es' if nd > 1 else ''})"
            )
        layers, _ = self._compile()
        found = smallest(lambda n: self._axis_sizes(layers, n, axis, convention)[0], 1, INPUT_CAP)
        if found.value is None:
            raise RfsymError(f"{self.name}: no input size up to 2**80 gives non-empty nodes")
        if not equal_sizes:
            return found.value
        for n in range(found.value, found.value + SIZE_SCAN):
            if self._axis_sizes(layers, n, axis, convention)[1]:
                return n
        axis_text = f" on axis {axis}" if nd > 1 else ""
        raise RfsymError(
            f"{self.name}: no input size from {found.value} to {found.value + SIZE_SCAN - 1} gives every merge "
            f"inputs of equal size{axis_text}"
        )

    def _axis_sizes(self, layers: dict[str, Layer], n: int, axis: int, convention: str) -> tuple[bool, bool]:
        """For input size ``n`` on ``axis``: (every node non-empty, every merge's inputs of equal size)."""
        sizes: dict[str, AxisState] = {INPUT: AxisState.input(n)}
        agree = True
        for who, (_, ins) in self._nodes.items():
            lay = layers[who]
            if isinstance(lay, Merge):
                sts = [sizes[x] for x in ins]
                agree = agree and all(st.n == sts[0].n for st in sts[1:])
                sizes[who] = lay.merge(sts)[0]
            else:
                sizes[who] = lay.transfer(sizes[ins[0]], axis, convention)
            if sizes[who].n < 1:
                return False, False
        return True, agree

    def __repr__(self) -> str:
        return f"Graph(name={self.name!r}, nodes={len(self._nodes)})"


def _check_arity(layer: Layer, names: tuple[str, ...]) -> None:
    who = layer.label()
    if isinstance(layer, Merge):
        if len(names) < 2:
            raise RfsymError(f"{who}: a {layer.kind} layer needs two or more inputs (got {len(names)})")
        if len(set(names)) != len(names):
            raise RfsymError(f"{who}: the same input appears twice in {list(names)}")
    elif len(names) != 1:
        raise RfsymError(
            f"{who}: a {layer.kind} layer takes exactly one input (got {len(names)}: {list(names)}); "
            "merge feature maps with an add or concat layer"
        )


def _toposort(wanted: dict[str, tuple[str, ...]]) -> list[str]:
    """Depth-first topological order (inputs first, else spec order); a cycle is reported with its nodes."""
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(n: str, stack: list[str]) -> None:
        if n == INPUT or state.get(n) == 2:
            return
        if state.get(n) == 1:
            cyc = stack[stack.index(n) :] + [n]
            raise RfsymError(f"the layers form a cycle: {' -> '.join(cyc)}")
        state[n] = 1
        stack.append(n)
        for x in wanted[n]:
            visit(x, stack)
        stack.pop()
        state[n] = 2
        order.append(n)

    for n in wanted:
        visit(n, [])
    return order


def _check_sizes(
    who: str,
    ins: tuple[str, ...],
    sts: list[AxisState],
    ax: int,
    nd: int,
    inp: tuple[Any, ...],
    proved: bool = False,
) -> list[tuple[str, int, Any]]:
    """Refuse merges of provably different sizes; return the conditions that symbols leave open.

    ``proved``: equal only when the expanded difference is 0, different only when it is a non-zero
    number (closed forms: no sympy assumption on compound expressions).
    """
    n0 = sts[0].n
    open_: list[tuple[str, int, Any]] = []
    for x, st in zip(ins[1:], sts[1:]):
        diff = A.add(st.n, A.mul(-1, n0))
        if proved:
            from .maps import same

            bad = A.is_num(diff) and diff != 0
            equal = same(st.n, n0)
        else:
            bad = (A.is_num(diff) and diff != 0) or (not A.is_num(diff) and getattr(diff, "is_zero", None) is False)
            equal = A.is_num(diff) or _zero(diff)
        if not bad and not equal:
            import sympy  # symbolic graphs only: numeric graph tables never import sympy

            open_.append((who, ax, sympy.Eq(A.to_sympy(n0), A.to_sympy(st.n))))
        if bad:
            axis = f" on axis {ax}" if nd > 1 else ""
            raise RfsymError(
                f"{who}: inputs have different sizes{axis}: {ins[0]} has {A.fmt(n0)} features, {x} has "
                f"{A.fmt(st.n)} (network input {', '.join(A.fmt(v) for v in inp)})"
            )
    return open_


_BLOCK_MAPS: dict[Any, tuple[Any, GraphWalk]] = {}


def block_map(
    rep: BlockRepeat, axis: int = 0, convention: str = "framework", element_map: Any = None, domains: Any = None
) -> tuple[Any, GraphWalk]:
    """One copy of a repeated block with branches read as an affine map (and the block's walk).

    The block is walked (:meth:`Graph.walk`) on the generic state ``(x, J, R, S, P)`` of
    :func:`rfsym.maps.generic`, its merges decided by proof; the output's ``j = m J``,
    ``r = R + a J``, ``start = S + c J``, ``P = P + b J`` give the map, the size comes from the
    block's first-input chain.  A merge whose union is not proved (a ``Max`` left in the
    coefficients) or whose sizes are not proved equal for every input is an error naming it:
    a symbolic number of copies needs the block to be one affine map.
    """
    from . import maps

    key = (rep, axis, convention, tuple(sorted((domains or {}).items())))
    hit = _BLOCK_MAPS.get(key)
    if hit is not None:
        return hit
    gen = maps.generic()
    X, J, R, S, P = gen["x"], gen["J"], gen["R"], gen["S"], gen["P"]
    bg = rep.block_graph()
    bg.symbols = dict(domains or {})
    if rep.index is not None:  # the index runs over 1 … times in the copies
        top = rep.times if isinstance(rep.times, int) else None
        bg.symbols[rep.index.name] = SymbolDomain(min=1, max=top)
    nd = max(bg.ndim or 1, axis + 1)
    init = tuple(AxisState(n=X, j=J, r=R, start=S, P=P) for _ in range(nd))
    w = bg.walk(convention=convention, element_map=element_map, initial=init)
    who = rep.label()
    for m in w.merges:
        if m.axis == axis and m.sizes is not True:
            raise RfsymError(
                f"{who}: merge {m.merge!r} in the block has inputs of equal size only when {m.sizes}; a symbolic "
                "number of copies needs equal sizes for every input (give times a number)"
            )
    last = bg.nodes[-1]
    st, total = w.states[last][axis], w.size_maps[last][axis]

    def coef(val: Any, base: Any, what: str) -> Any:
        import sympy

        q = sympy.expand((A.to_sympy(val) - base) / J)
        if q.free_symbols & {X, J, R, S, P} or q.has(sympy.Max, sympy.Min, sympy.Piecewise):
            kept = [f"merge {m.merge!r} ({'; '.join(m.undecided)})" for m in w.merges if m.undecided]
            why = (
                "no input's window provably contains the others' at " + ", ".join(kept)
                if kept
                else f"{what} is not affine in the incoming state"
            )
            raise RfsymError(
                f"{who}: {why}; a symbolic number of copies needs one affine map per copy (give times a number)"
            )
        return A.norm(q)

    m, a = coef(st.j, 0, "the jump"), coef(st.r, R, "the receptive field")
    c, b = coef(st.start, S, "start"), coef(st.P, P, "the effective padding")
    out = maps.AffineMap(
        m=m,
        a=a,
        b=b,
        c=c,
        g=total.g,
        den=total.den,
        nfun=total.nfun,
        count=len(rep.block),
        nsym=0 if A.is_num(m) else 1,
        pad_=maps._pad_of(m, a, total.g, total.den),
        xdep=total.xdep,
        centred=maps.same(c, A.add(A.div(a, 2), A.mul(-1, b))),
    )
    if len(_BLOCK_MAPS) > 256:
        _BLOCK_MAPS.clear()
    _BLOCK_MAPS[key] = (out, w)
    return out, w


def nest_map(
    rep: NestRepeat, axis: int = 0, convention: str = "framework", element_map: Any = None, domains: Any = None
) -> Any:
    """The affine map of a block nested in itself a symbolic number of times (a U-Net of depth D).

    Long because it is one induction proof: the generic inner level, its merges proved, the widening step
    and the geometric sums, whose intermediate states each step reads.

    The block is walked on the generic state with its ``inner`` layer a generic level that moves the
    window's ends by ``-A`` and ``+B`` (``A, B >= 0``), keeps the jump and adds ``Q`` to ``P``.  When every
    merge is decided by proof for all such levels, one level maps (lo, hi, P) shifts of its inner level
    linearly: ``alpha = alpha_0 + mu alpha_inner``, ``beta = beta_0 + mu beta_inner``,
    ``b = b_0 + mu b_inner`` (``mu``: the jump at the inner level's input); with ``alpha_0 <= 0 <= beta_0``
    and a core with ``alpha <= 0 <= beta`` every level widens its input's window (induction), so the proof
    holds at every depth and ``alpha_D = mu^D alpha_core + alpha_0 (1 + mu + … + mu^(D-1))`` etc.  The size
    is the block's first-input chain's (it must not pass ``inner``); the merges' equal sizes at every level
    are stated in words.
    """
    import sympy

    from . import maps

    who = rep.label()
    gen = maps.generic()
    X, J, R, S, P = gen["x"], gen["J"], gen["R"], gen["S"], gen["P"]
    Ad, Bd = sympy.Dummy("A", nonnegative=True), sympy.Dummy("B", nonnegative=True)
    Qd = sympy.Dummy("Q", real=True)
    level = maps.AffineMap(m=1, a=Ad + Bd, b=Qd, c=(Bd - Ad) / 2, g=0, den=1, pad_=None)
    base = element_map or maps.layer_map

    def mapper(lay: Any, ax: int, conv: str) -> Any:
        return level if isinstance(lay, Inner) else base(lay, ax, conv)

    bg = Graph.from_layers(list(zip(rep.block, rep.wiring)), name=who)
    bg.symbols = dict(domains or {})
    nd = max(bg.ndim or 1, axis + 1)
    w = bg.walk(
        convention=convention,
        element_map=mapper,
        initial=tuple(AxisState(n=X, j=J, r=R, start=S, P=P) for _ in range(nd)),
    )
    last = bg.nodes[-1]
    inner = next(b.label() for b in rep.block if isinstance(b, Inner))
    cur = last
    while cur != INPUT:  # the size comes from the first input at every merge
        if cur == inner:
            raise RfsymError(f"{who}: the block's size path passes 'inner'; no closed form in a symbolic depth")
        cur = w.inputs[cur][0]
    kept = [f"merge {m.merge!r} ({'; '.join(m.undecided)})" for m in w.merges if m.axis == axis and m.undecided]
    if kept:
        raise RfsymError(
            f"{who}: the path through 'inner' does not provably contain the other inputs' windows at "
            + ", ".join(kept)
            + "; no closed form in a symbolic depth (give times a number)"
        )
    st = w.states[last][axis]
    if not maps.same(st.j, J):
        raise RfsymError(f"{who}: one level changes the jump ({A.fmt(st.j)}); a symbolic depth needs it restored")

    def shift(v: Any, base_v: Any) -> Any:
        q = sympy.expand((A.to_sympy(v) - base_v) / J)
        if q.free_symbols & {X, J, R, S, P} or q.has(sympy.Max, sympy.Min, sympy.Piecewise):
            raise RfsymError(f"{who}: one level is not an affine map of its inner level; no closed form in its depth")
        return q

    half, half_in = A.div(A.add(st.r, -1), 2), (R - 1) / 2
    alpha = shift(A.add(st.start, A.mul(-1, half)), S - half_in)
    beta = shift(A.add(st.start, half), S + half_in)
    bsh = shift(st.P, P)
    mu = -sympy.expand(alpha.coeff(Ad))
    lin = [(alpha, Bd), (alpha, Qd), (beta, Ad), (beta, Qd), (bsh, Ad), (bsh, Bd)]
    if any(sympy.expand(e.coeff(x)) != 0 for e, x in lin) or not all(
        maps.same(sympy.expand(e.coeff(x)), mu) for e, x in ((beta, Bd), (bsh, Qd))
    ):
        raise RfsymError(f"{who}: one level does not shift its inner level's window by one factor; no closed form")
    a0, b0_, bb0 = (sympy.expand(e.subs({Ad: 0, Bd: 0, Qd: 0})) for e in (alpha, beta, bsh))
    core = maps.compose_all([base(c, axis, convention) for c in rep.core]) if rep.core else maps.identity()
    if not maps.same(core.m, 1):
        raise RfsymError(f"{who}: the core changes the jump ({A.fmt(core.m)}); a symbolic depth needs it restored")
    ac = A.to_sympy(A.add(core.c, A.mul(-1, A.div(core.a, 2))))
    bc = A.to_sympy(A.add(core.c, A.div(core.a, 2)))
    dom = dict(domains or {})
    for what, ok in (
        ("the level's left end", maps.sign(a0, dom)[2]),
        ("the level's right end", maps.sign(b0_, dom)[0]),
        ("the core's left end", maps.sign(ac, dom)[2]),
        ("the core's right end", maps.sign(bc, dom)[0]),
    ):
        if not ok:
            raise RfsymError(f"{who}: {what} does not provably widen the window; no closed form in a symbolic depth")
    D = A.to_sympy(rep.times)
    t = sympy.Dummy("t", integer=True, nonnegative=True)
    geo = sympy.Sum(mu**t, (t, 0, D - 1)).doit()

    def total(e0: Any, ecore: Any) -> Any:
        return A.norm(sympy.piecewise_fold(mu**D * A.to_sympy(ecore) + e0 * geo))

    alpha_d, beta_d = total(a0, ac), total(b0_, bc)
    size = w.size_maps[last][axis]
    a_d = A.norm(sympy.expand(A.to_sympy(beta_d) - A.to_sympy(alpha_d)))
    c_d = A.norm(sympy.expand((A.to_sympy(beta_d) + A.to_sympy(alpha_d)) / 2))
    return maps.AffineMap(
        m=1,
        a=a_d,
        b=total(bb0, core.b),
        c=c_d,
        g=size.g,
        den=size.den,
        nfun=size.nfun,
        count=len(rep.block),
        pad_=None,
        xdep=size.xdep,
        centred=False,
    )


def _expanded(v: Any) -> Any:
    """v, expanded when it is a polynomial (an equivalent layer's kernel and paddings as flat sums)."""
    v = A.norm(v)
    if A.is_num(v):
        return v
    import sympy

    if v.has(sympy.floor, sympy.ceiling, sympy.Max, sympy.Min, sympy.Piecewise, sympy.Mod):
        return v
    return A.norm(sympy.expand(v))


class _PathMemo:
    """``path(node, axis)`` of a table under construction, each node's path built once from its dominant
    input's (a DenseNet's merges ask for thousands of paths: without the memo each walks back to the input)."""

    def __init__(self, table: GraphTable) -> None:
        self.table = table
        self.memo: dict[tuple[str, int], tuple[str, ...]] = {}

    def path(self, node: str, axis: int = 0) -> tuple[str, ...]:
        todo: list[str] = []
        cur = node
        while cur != INPUT and (cur, axis) not in self.memo:
            todo.append(cur)
            d = self.table.dominant[cur][axis]
            cur = self.table.inputs[cur][d if d is not None else 0]
        out = (INPUT,) if cur == INPUT else self.memo[(cur, axis)]
        for x in reversed(todo):
            out = out + (x,)
            self.memo[(x, axis)] = out
        return out


def _apply_map(mp: Any, st: AxisState, n_out: Any) -> AxisState:
    """A layer's affine map applied to a state: ``j' = m j``, ``r' = r + a j``, ``start' = start + c j``,
    ``P' = P + b j`` (coefficients that depend on the size read the state's own ``n``)."""
    from .maps import at

    m, a, b, c = mp.m, mp.a, mp.b, mp.c
    if mp.xdep:
        m, a, b, c = (at(v, st.n) for v in (m, a, b, c))
    j = st.j
    return AxisState.exact(
        n=n_out,
        j=A.mul(m, j),
        r=A.add(st.r, A.mul(a, j)),
        start=A.add(st.start, A.mul(c, j)),
        P=A.add(st.P, A.mul(b, j)),
    )


def _centre(st: AxisState) -> Any:
    return A.add(A.div(A.add(st.r, -1), 2), A.mul(-1, st.P))


def _alignment(
    merge: str, ax: int, a: str, b: str, sa: AxisState, sb: AxisState, tab: Any, fast: bool = False, ndim: int = 1
) -> Alignment:
    ca, cb = _centre(sa), _centre(sb)
    return Alignment(
        merge=merge,
        axis=ax,
        inputs=(a, b),
        paths=(tab.path(a, ax), tab.path(b, ax)),
        jumps=(sa.j, sb.j),
        centres=(ca, cb),
        condition=_condition([(sa.j, sb.j), (ca, cb)], fast),
        ndim=ndim,
    )


def _condition(pairs: list[tuple[Any, Any]], fast: bool = False) -> Any:
    """``True``, ``False`` or a sympy relation: every pair equal (``fast``: expanded, not simplified)."""
    if all(A.is_num(x) and A.is_num(y) for x, y in pairs):
        return all(x == y for x, y in pairs)
    import sympy  # symbolic graphs only (see _check_sizes)

    rels = []
    for x, y in pairs:
        diff = sympy.expand(A.to_sympy(x) - A.to_sympy(y))
        if diff != 0 and not fast:
            diff = sympy.simplify(diff)
        if diff == 0:
            continue
        if diff.is_number:
            return False
        rels.append(_solved(diff))
    if not rels:
        return True
    return rels[0] if len(rels) == 1 else sympy.And(*rels)


def _solved(diff: Any) -> Any:
    """``Eq(diff, 0)`` written as ``symbol = expression``, preferring padding symbols."""
    import sympy  # symbolic graphs only (see _check_sizes)

    syms = sorted(diff.free_symbols, key=lambda s: (not (s.is_nonnegative and not s.is_positive), s.name))
    for s in syms:
        if diff.is_polynomial(s) and sympy.degree(diff, s) == 1:
            sol = sympy.solve(diff, s)
            if len(sol) == 1:
                return sympy.Eq(s, sympy.factor(sol[0]))
    return sympy.Eq(diff, 0)


# ---------------------------------------------------------------------------
# specs


def is_graph_spec(layers: list[Any]) -> bool:
    """True when a spec's layers need a graph: some layer has ``inputs`` or is a merge, or a repeat's
    block has branches."""
    return any(
        isinstance(d, dict)
        and (d.get("inputs") is not None or str(d.get("kind", "")).lower() in MERGE_KINDS or _branched_spec(d))
        for d in layers
    )


def _branched_spec(d: dict[str, Any]) -> bool:
    """A spec repeat whose block (not a nested one) has a merge or a layer with ``inputs``."""
    if str(d.get("kind", "")).lower() != "repeat" or not isinstance(d.get("layers"), list):
        return False
    if d.get("nest") is True:
        return True
    return any(
        isinstance(b, dict) and (b.get("inputs") is not None or str(b.get("kind", "")).lower() in MERGE_KINDS)
        for b in d["layers"]
    )
