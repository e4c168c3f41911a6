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

    def merge(self, states: Sequence[AxisState]) -> tuple[AxisState, Any]:
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
        """
        if not states:
            raise RfsymError(f"{self.label()}: a merge needs inputs")
        first = states[0]
        if len(states) == 1:
            return first, 0
        # dominant input: largest r, first on ties
        dom: Any = 0
        j, P, r_dom = first.j, first.P, first.r
        for i, st in enumerate(states[1:], 1):
            diff = A.add(st.r, A.mul(-1, r_dom))
            if A.is_num(diff):
                if diff > 0:
                    dom, j, P, r_dom = i, st.j, st.P, st.r
                continue
            j = A.where_ge(r_dom, st.r, j, st.j)
            P = A.where_ge(r_dom, st.r, P, st.P)
            r_dom = A.maximum(r_dom, st.r)
            dom = None
        half = [A.div(A.add(st.r, -1), 2) for st in states]
        if all(_zero(A.add(st.start, A.mul(-1, first.start))) for st in states[1:]):
            r = states[0].r
            for st in states[1:]:
                r = A.maximum(r, st.r)
            start = first.start
        else:
            lo = hi = None
            for st, h in zip(states, half):
                a, b = A.add(st.start, A.mul(-1, h)), A.add(st.start, h)
                lo = a if lo is None else A.minimum(lo, a)
                hi = b if hi is None else A.maximum(hi, b)
            start = A.div(A.add(lo, hi), 2)
            r = A.add(A.add(hi, A.mul(-1, lo)), 1)
        n = first.n
        jumps_differ = any(A.is_num(A.add(st.j, A.mul(-1, first.j))) and st.j != first.j for st in states[1:])
        if jumps_differ and A.is_num(n):
            last = n - 1
            lo = hi = None
            for st, h in zip(states, half):
                c = A.add(st.start, A.mul(last, st.j))
                a, b = A.add(c, A.mul(-1, h)), A.add(c, h)
                lo = a if lo is None else A.minimum(lo, a)
                hi = b if hi is None else A.maximum(hi, b)
            r = A.maximum(r, A.add(A.add(hi, A.mul(-1, lo)), 1))
        return AxisState(n=n, j=j, r=A.norm(r), start=A.norm(start), P=P), dom


@dataclass(frozen=True, kw_only=True)
class Add(Merge):
    """Element-wise sum of two or more feature maps (residual connections)."""

    kind = "add"


@dataclass(frozen=True, kw_only=True)
class Concat(Merge):
    """Channel concatenation of two or more feature maps (skip connections, Inception)."""

    kind = "concat"


MERGE_KINDS: dict[str, type[Merge]] = {"add": Add, "concat": Concat}


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

    @property
    def aligned(self) -> bool | None:
        if self.condition is True or self.condition is False:
            return self.condition
        return None

    def describe(self) -> str:
        pa, pb = _branch_texts(*self.paths)
        axis = f" (axis {self.axis})"
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

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
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

    def __init__(self, input: Any = None, name: str = "graph", symbols: dict[str, SymbolDomain] | None = None) -> None:
        self.name = name
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
        self._nodes[who] = (layer, names)
        self._compiled = None
        return Node(who, self)

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
    ) -> Graph:
        """A graph from (layer, input names) pairs in any order (as in a spec).

        ``None`` inputs mean "the previous entry" (the network input for the
        first).  Unknown names and cycles raise :class:`RfsymError`.
        """
        g = cls(input=input, name=name, symbols=symbols)
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

        g = Graph(
            input=tuple(A.norm(f(v)) for v in inp) if inp is not None else None, name=self.name, symbols=self.symbols
        )
        for who, (_, ins) in self._nodes.items():
            g._nodes[who] = (layers[who].map_values(f), ins)
        return g

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
        partial = GraphTable(self.name, inp, (), convention, origin, None, inputs, dominant)
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
                        al = _alignment(who, ax, ins[0], ins[k], states[ins[0]][ax], states[ins[k]][ax], partial)
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
            self.name, inp, tuple(rows), convention, origin, None, inputs, dominant, tuple(aligns), tuple(size_conds)
        )

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

    def min_input_size(self, axis: int = 0, convention: str = "framework") -> Any:
        """Smallest input size on ``axis`` for which every node is non-empty and every merge's sizes agree.

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
    who: str, ins: tuple[str, ...], sts: list[AxisState], ax: int, nd: int, inp: tuple[Any, ...]
) -> list[tuple[str, int, Any]]:
    """Refuse merges of provably different sizes; return the conditions that symbols leave open."""
    n0 = sts[0].n
    open_: list[tuple[str, int, Any]] = []
    for x, st in zip(ins[1:], sts[1:]):
        diff = A.add(st.n, A.mul(-1, n0))
        bad = (A.is_num(diff) and diff != 0) or (not A.is_num(diff) and getattr(diff, "is_zero", None) is False)
        if not bad and not A.is_num(diff) and not _zero(diff):
            import sympy  # symbolic graphs only: numeric graph tables never import sympy

            open_.append((who, ax, sympy.Eq(A.to_sympy(n0), A.to_sympy(st.n))))
        if bad:
            axis = f" on axis {ax}" if nd > 1 else ""
            raise RfsymError(
                f"{who}: inputs have different sizes{axis}: {ins[0]} has {A.fmt(n0)} features, {x} has "
                f"{A.fmt(st.n)} (network input {', '.join(A.fmt(v) for v in inp)})"
            )
    return open_


def _centre(st: AxisState) -> Any:
    return A.add(A.div(A.add(st.r, -1), 2), A.mul(-1, st.P))


def _alignment(merge: str, ax: int, a: str, b: str, sa: AxisState, sb: AxisState, tab: GraphTable) -> Alignment:
    ca, cb = _centre(sa), _centre(sb)
    return Alignment(
        merge=merge,
        axis=ax,
        inputs=(a, b),
        paths=(tab.path(a, ax), tab.path(b, ax)),
        jumps=(sa.j, sb.j),
        centres=(ca, cb),
        condition=_condition([(sa.j, sb.j), (ca, cb)]),
    )


def _condition(pairs: list[tuple[Any, Any]]) -> Any:
    """``True``, ``False`` or a sympy relation: every pair equal."""
    if all(A.is_num(x) and A.is_num(y) for x, y in pairs):
        return all(x == y for x, y in pairs)
    import sympy  # symbolic graphs only (see _check_sizes)

    rels = []
    for x, y in pairs:
        diff = sympy.simplify(A.to_sympy(x) - A.to_sympy(y))
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
    """True when a spec's layers need a graph: some layer has ``inputs`` or is a merge."""
    return any(
        isinstance(d, dict) and (d.get("inputs") is not None or str(d.get("kind", "")).lower() in MERGE_KINDS)
        for d in layers
    )
