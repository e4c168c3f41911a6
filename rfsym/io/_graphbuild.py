"""Shared back end of the PyTorch and ONNX importers.

An importer walks the framework's graph and calls :class:`Builder` for every
operation: ``layer`` for an operation with a receptive-field effect (it gets an
rfsym layer), ``merge`` for ``add``/``concat`` of two or more feature maps,
``whole`` for an operation that sees the whole remaining map (global pooling,
a fully connected layer after a flatten, attention).  Pass-through operations
do not reach the builder: the importer hands on the value it got.

**Global operations** are first-class: a value computed through one is
*global* (``Value.pure``: every path from the input to it goes through a
global operation).  A merge of a global value with a local one (the gate of a
squeeze-and-excitation block, ``x + attention(x)``) keeps the local paths
only and remembers the global operations in ``Value.glob``: the network that
:meth:`Builder.build` returns is the local receptive field of the non-global
paths, and :func:`global_paths` of it says that every unit also sees the whole
input, through which operations -- instead of a whole-map window compounded
into every later layer.  An output that is global on every path keeps the
whole-map window (its size at this input) and is marked the same way.

The builder runs each layer's own transfer function on the input size as it
goes (THE RULE: no arithmetic here), so it knows the feature-map size before
every operation (adaptive pooling and heads need it) and reports an input that
is too small at the first layer whose output is empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .. import _arith as A
from ..errors import EmptyOutputError, RfsymError
from ..graph import Add, Concat, Graph
from ..layers import AxisState, Conv, ConvTranspose, Identity, Layer, Pool, Upsample
from ..network import Network

__all__ = ["Builder", "GlobalPaths", "Tok", "Value", "global_paths"]


@dataclass(frozen=True)
class Tok:
    """A token axis: the spatial axes ``axes`` folded into one, row-major (the first of them outermost).

    Token ``lead + i`` is the spatial position whose index along ``axes`` is ``i`` written in the mixed
    radix of those axes' sizes (for ``axes = (0, 1)`` of an ``h x w`` map: row ``i // w``, column
    ``i % w``), so that per-token geometry is still per spatial axis.  ``lead`` / ``trail``: extra
    tokens concatenated before / after the spatial ones (a class token, register tokens): constants
    that see nothing of the input until an operation over all tokens (attention) mixes them in;
    None when their number is not known.
    """

    axes: tuple[int, ...]
    lead: int | None = 0
    trail: int | None = 0

    @property
    def plain(self) -> bool:
        """Only spatial tokens: the axis unfolds back to ``axes``."""
        return self.lead == 0 and self.trail == 0


@dataclass(frozen=True)
class GlobalPaths:
    """The global operations (global pooling, attention, a fully connected head) an imported output depends on.

    ``only``: every path from the input to the output goes through one of
    them (a classifier's logits); the network's last layer is then a window
    as large as the whole map at this input size.  Otherwise the network is
    the local receptive field of the paths that avoid them, and every unit
    sees the whole input as well.
    """

    ops: tuple[str, ...]
    only: bool = False

    def note(self) -> str:
        """One line for the table: the unit sees the whole input, through which operations."""
        shown = ", ".join(self.ops[:3]) + (f" and {len(self.ops) - 3} more" if len(self.ops) > 3 else "")
        if self.only:
            return (
                f"global: every output unit sees the whole input (every path goes through {shown}); "
                "the last window is the whole map at this input size"
            )
        return (
            f"global: every output unit also sees the whole input (through {shown}); "
            "n, j, r and start are the local receptive field of the paths that avoid them"
        )

    def to_dict(self) -> dict[str, Any]:
        return {"whole_input": True, "through": list(self.ops), "only_global_paths": self.only}


def global_paths(net: Any) -> GlobalPaths | None:
    """The global operations an imported network's output depends on, or None (a purely local network)."""
    info = getattr(net, "_rfsym_global", None)
    return info if isinstance(info, GlobalPaths) else None


@dataclass(frozen=True)
class Value:
    """What an importer knows about a tensor: a feature map (``node``) or a constant.

    ``flat`` marks a feature map whose spatial axes were flattened into the
    channel axis (after ``flatten``/``view``): the next fully connected layer
    then sees the whole map.  ``dims`` is the layout of a map whose axes were
    permuted or reshaped without touching the spatial axes (channels last,
    a channel shuffle): one label per tensor axis, ``"b"`` batch, ``"c"`` a
    non-spatial axis, an int a spatial axis; None is ``(N, C, *spatial)``.
    ``glob``: the global operations the value depends on; ``pure``: every path
    to it goes through one (see the module docstring).
    """

    node: str | None  # name of the producing node ("input" for the network input); None for constants
    flat: bool = False
    restore: bool = False  # reshaped away from (N, C, *spatial) by a Reshape that a later Reshape undoes
    dims: tuple[Any, ...] | None = None
    glob: frozenset[str] = frozenset()
    pure: bool = False

    @property
    def is_map(self) -> bool:
        return self.node is not None


CONST = Value(None)


@dataclass
class _Node:
    name: str
    layer: Layer | None  # None for a merge
    inputs: tuple[str, ...]
    merge: str | None = None
    what: str = ""


@dataclass
class Builder:
    """Collects imported nodes and turns them into an rfsym network."""

    name: str
    input: tuple[int, ...]
    source: str = "model"
    nodes: list[_Node] = field(default_factory=list)
    states: dict[str, tuple[AxisState, ...]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.states["input"] = tuple(AxisState.input(n) for n in self.input)
        self._names: set[str] = {"input"}

    @property
    def ndim(self) -> int:
        return len(self.input)

    def sizes(self, v: Value) -> tuple[Any, ...]:
        """Feature-map size per axis of a value."""
        assert v.node is not None
        return tuple(s.n for s in self.states[v.node])

    def _unique(self, name: str) -> str:
        base = name or "layer"
        name, k = base, 1
        while name in self._names:
            k += 1
            name = f"{base}_{k}"
        self._names.add(name)
        return name

    def layer(self, name: str, layer: Layer, src: Value, what: str = "") -> Value:
        """Append a layer fed by ``src``; returns the new value.

        Runs the layer's transfer on every axis: the one size propagation of the
        importers.  An empty output raises :class:`~rfsym.errors.EmptyOutputError`.
        """
        if src.node is None:
            raise RfsymError(f"{self.source}: {name} ({what}) is not applied to a feature map of the input")
        name = self._unique(name)
        layer = replace(layer, name=name)  # type: ignore[type-var]
        old = self.states[src.node]
        new = []
        for ax, st in enumerate(old):
            try:
                out = layer.transfer(st, ax)
            except RfsymError as e:
                raise RfsymError(f"{self.source}: {name} ({what}): {e}") from None
            if A.is_num(out.n) and out.n < 1:
                axis = f" on axis {ax}" if len(old) > 1 else ""
                raise EmptyOutputError(
                    f"{self.source}: {name} ({what}): output is empty{axis} (n = {A.fmt(out.n)} from "
                    f"{A.fmt(st.n)} features) at input size {_fmt_size(self.input)}; the model needs a larger input"
                )
            new.append(out)
        self.states[name] = tuple(new)
        self.nodes.append(_Node(name, layer, (src.node,), what=what))
        return Value(name, flat=src.flat, glob=src.glob, pure=src.pure)

    def whole(
        self, name: str, src: Value, what: str, mode: str = "avg", flat: bool | None = None, own: bool = True
    ) -> Value:
        """A global operation: a window as large as the map at this input size; the value is global.

        On a map that is one feature wide on every axis nothing more is seen: an identity, not global.
        ``own=False``: the value reads the input only through global operations before it (ViT's class
        token), which are the ones it names.
        """
        if src.node is None:
            raise RfsymError(f"{self.source}: {name} ({what}) is not applied to a feature map of the input")
        sizes = self.sizes(src)
        keep = src.flat if flat is None else flat
        if all(n == 1 for n in sizes):
            v = self.layer(name, Identity(op="identity"), src, what)
            return Value(v.node, flat=keep, glob=src.glob, pure=src.pure)
        kern = tuple(sizes) if self.ndim > 1 else sizes[0]
        # Window = stride = the whole map, as adaptive pooling to one output does.
        lay: Layer = (
            Pool(kernel=kern, stride=kern, mode=mode) if mode in ("avg", "max") else Conv(kernel=kern, stride=kern)
        )
        v = self.layer(name, lay, src, what + f", sees the whole {_fmt_size(sizes)} map")
        return Value(v.node, flat=keep, glob=src.glob | ({f"{v.node} ({what})"} if own else set()), pure=True)

    def crop(self, name: str, src: Value, cuts: Sequence[tuple[int, int, int]], where: str, what: str) -> Value:
        """Keep features ``a, a + step, ...`` of the ``n - a - e`` in the middle, per axis ``(a, e, step)``.

        A crop is a 1-wide transposed convolution whose padding crops (it shifts start and reduces n;
        the transposed convolution's own transfer does the arithmetic), the step a 1-wide strided one.
        """
        from ._base import make_layer

        nd = self.ndim
        out = src

        def per_axis(vals: list[Any]) -> Any:
            return vals[0] if nd == 1 else vals

        if any(a or e for a, e, _ in cuts):
            pads = per_axis([[a, e] for a, e, _ in cuts]) if nd > 1 else [cuts[0][0], cuts[0][1]]
            lay = make_layer(where, ConvTranspose, kernel=per_axis([1] * nd), padding=pads)
            out = self.layer(name, lay, out, what + ", crop")
        if any(st > 1 for _, _, st in cuts):
            lay = make_layer(where, Conv, kernel=per_axis([1] * nd), stride=per_axis([st for _, _, st in cuts]))
            out = self.layer(name, lay, out, what + ", every step-th feature")
        return out

    def merge(self, name: str, kind: str, srcs: list[Value], what: str = "") -> Value:
        maps: list[Value] = []
        for s in srcs:  # the same feature map twice (x + x, x * sigmoid(x)) is one input of the merge
            same = next((i for i, m in enumerate(maps) if m.node == s.node), None)
            if s.node is None:
                continue
            if same is None:
                maps.append(s)
            else:
                maps[same] = replace(maps[same], glob=maps[same].glob | s.glob, flat=maps[same].flat or s.flat)
        glob = frozenset().union(*(m.glob for m in maps)) if maps else frozenset()
        if any(m.pure for m in maps) and not all(m.pure for m in maps):
            # A global branch (a squeeze-and-excitation gate, attention) merged into local ones: the
            # local paths carry the receptive field, the global operations are remembered.
            maps = [m for m in maps if not m.pure]
        if len(maps) == 1:
            return replace(maps[0], glob=glob)
        if not maps:
            return CONST
        name = self._unique(name)
        sizes = {self.sizes(s) for s in maps}
        if len(sizes) > 1 and kind == "concat":
            raise RfsymError(
                f"{self.source}: {name} ({what}): concatenated feature maps differ in size "
                f"({', '.join(_fmt_size(s) for s in sizes)})"
            )
        if len(sizes) > 1:
            maps = [self._broadcast(name, s, sizes, what) for s in maps]
        self.nodes.append(_Node(name, None, tuple(s.node for s in maps), merge=kind, what=what))  # type: ignore[misc]
        # The merged map has the size of its inputs (broadcasting keeps the larger one).
        first = max(maps, key=lambda s: tuple(self.sizes(s)))
        self.states[name] = self.states[first.node]  # type: ignore[index]
        return Value(name, flat=any(s.flat for s in maps), glob=glob, pure=all(s.pure for s in maps))

    def _broadcast(self, name: str, src: Value, sizes: set[tuple[Any, ...]], what: str) -> Value:
        """A 1-wide map broadcast against a larger one (squeeze-and-excitation gates): nearest upsampling.

        Every position of the broadcast map reads the same feature, whose region (the whole
        map, after a global pooling) every output then sees; nearest upsampling by the other
        map's size has exactly that reading pattern.
        """
        target = tuple(max(s[ax] for s in sizes) for ax in range(self.ndim))
        mine = self.sizes(src)
        if mine == target:
            return src
        if any(a != b and a != 1 for a, b in zip(mine, target)):
            raise RfsymError(
                f"{self.source}: {name} ({what}): feature maps of sizes {_fmt_size(mine)} and "
                f"{_fmt_size(target)} are merged; only a 1-wide map broadcasts"
            )
        scale = [b // a for a, b in zip(mine, target)]
        lay = Upsample(scale=scale if self.ndim > 1 else scale[0], mode="nearest")
        return self.layer(
            f"{name}.broadcast", lay, src, "broadcast of a 1-wide map: every position reads its one feature"
        )

    # -- output -------------------------------------------------------------
    def is_chain(self, out: str) -> bool:
        prev = "input"
        for nd in self.nodes:
            if nd.merge is not None or nd.inputs != (prev,):
                return False
            prev = nd.name
        return prev == out

    def build(self, out: Value) -> Any:
        if out.node is None:
            raise RfsymError(f"{self.source}: the model's output does not depend on its input feature map")
        if out.node == "input":
            raise RfsymError(f"{self.source}: the model has no layer that changes the receptive field")
        used = self._ancestors(out.node)
        self.nodes = [nd for nd in self.nodes if nd.name in used]
        if self.is_chain(out.node):
            net = Network([nd.layer for nd in self.nodes], input=list(self.input), name=self.name)  # type: ignore[misc]
        else:
            net = self._graph(out.node)
        if out.glob:
            # Network is a frozen dataclass: the import's finding rides along as a plain attribute.
            object.__setattr__(net, "_rfsym_global", GlobalPaths(tuple(sorted(out.glob)), only=out.pure))
        return net

    def _ancestors(self, out: str) -> set[str]:
        by = {nd.name: nd for nd in self.nodes}
        seen: set[str] = set()
        stack = [out]
        while stack:
            n = stack.pop()
            if n in seen or n == "input":
                continue
            seen.add(n)
            stack.extend(by[n].inputs)
        return seen

    def _graph(self, out: str) -> Any:
        entries: list[tuple[Layer, list[str]]] = []
        for nd in self.nodes:
            lay: Layer | None = (
                nd.layer if nd.merge is None else (Add(name=nd.name) if nd.merge == "add" else Concat(name=nd.name))
            )
            assert lay is not None
            entries.append((lay, list(nd.inputs)))
        return Graph.from_layers(entries, input=list(self.input), name=self.name)


def _fmt_size(sizes: Any) -> str:
    return "x".join(A.fmt(v) for v in sizes)


# -- layouts: where the spatial axes of a permuted or reshaped feature map are


def _standard(nd: int) -> tuple[Any, ...]:
    return ("b", "c", *range(nd))


def _layout(v: Value, nd: int) -> tuple[Any, ...]:
    """One label per tensor axis: ``"b"`` batch, ``"c"`` non-spatial, ``"f"`` flattened spatial axes, an int a spatial axis."""
    if v.dims is not None:
        return v.dims
    return ("b", "f") if v.flat else _standard(nd)


def _with_layout(v: Value, dims: Sequence[Any], nd: int) -> Value:
    dims = tuple(dims)
    flat = "f" in dims
    return replace(v, dims=None if dims == _standard(nd) or (flat and dims == ("b", "f")) else dims, flat=flat)


def _show_label(x: Any) -> str:
    if isinstance(x, Tok):
        extra = "" if x.plain else f", {'?' if x.lead is None else x.lead}+{'?' if x.trail is None else x.trail} extra"
        return "tokens(" + "*".join(f"S{a}" for a in x.axes) + extra + ")"
    return {"b": "N", "c": "C", "f": "flat"}.get(x, f"S{x}") if isinstance(x, str) else f"S{x}"


def _show_layout(dims: Sequence[Any]) -> str:
    return "(" + ", ".join(_show_label(x) for x in dims) + ")"


def is_spatial(x: Any) -> bool:
    """A layout label that holds spatial positions: a spatial axis, a token axis or the flattened axis."""
    return isinstance(x, (int, Tok)) or x == "f"


def token_count(t: Tok, sizes: Sequence[Any]) -> Any:
    """The number of tokens of a token axis (None when unknown or symbolic)."""
    import math

    ns = [sizes[a] for a in t.axes]
    if t.lead is None or t.trail is None or not all(isinstance(n, int) for n in ns):
        return None
    return t.lead + math.prod(ns) + t.trail


def token_positions(t: Tok, sizes: Sequence[int]) -> list[tuple[int, ...] | None]:
    """Per token index, the spatial position it stands for (one index per spatial axis), None for extra tokens.

    The one statement of the row-major order of :class:`Tok` (tests compare it with a brute-force trace).
    """
    import itertools

    nd = len(sizes)
    out: list[tuple[int, ...] | None] = [None] * (t.lead or 0)
    for combo in itertools.product(*(range(sizes[a]) for a in t.axes)):
        pos = [0] * nd
        for a, i in zip(t.axes, combo):
            pos[a] = i
        out.append(tuple(pos))
    return out + [None] * (t.trail or 0)


def _reshape_labels(lay: Sequence[Any], shape: list[Any], sizes: Sequence[Any], nd: int) -> list[Any] | None:
    """The layout after a ``view`` that keeps the spatial axes whole and in order (a channel shuffle), or None.

    The spatial axes are found by entries that carry a ``label`` (``x.size()`` under torch.fx), else as the
    run of entries equal to the spatial sizes; what lies before and after them must keep its role (only
    the batch before, nothing after), so that no spatial axis mixes with the channels.
    """
    src_sp = [i for i, x in enumerate(lay) if isinstance(x, int)]
    if len(src_sp) != nd or list(lay[src_sp[0] : src_sp[-1] + 1]) != list(range(nd)):
        return None
    marks = [getattr(x, "label", None) for x in shape]
    runs = []
    if any(isinstance(m, int) for m in marks):
        at = [i for i, m in enumerate(marks) if isinstance(m, int)]
        if [marks[i] for i in at] == list(range(nd)) and at == list(range(at[0], at[0] + nd)):
            runs = [at[0]]
    else:
        runs = [k for k in range(len(shape) - nd + 1) if list(shape[k : k + nd]) == list(sizes)]
    before_batch_only = src_sp[0] == 1 and lay[0] == "b"
    after_empty = src_sp[-1] == len(lay) - 1
    for k in reversed(runs) if after_empty else runs:
        if (k == 1) == before_batch_only and (k + nd == len(shape)) == after_empty:
            return [
                "b" if i == 0 and lay[0] == "b" else ("c" if not k <= i < k + nd else i - k) for i in range(len(shape))
            ]
    return None


def _entry(x: Any) -> tuple[Any, Any]:
    """(axis label or None, size or None) of one entry of a reshape's target shape."""
    if isinstance(x, bool):
        return None, None
    if isinstance(x, int):
        return None, x
    if hasattr(x, "label"):  # an entry of the map's own size() (torch.fx)
        size = getattr(x, "size", None)
        return x.label, size if isinstance(size, int) and not isinstance(size, bool) else None
    return None, None


def _is_batch_entry(e: tuple[Any, Any]) -> bool:
    return e[0] == "b" or e[1] in (1, -1)


def _gap_labels(src_before: Sequence[Any], src_after: Sequence[Any], before: list[Any], after: list[Any]) -> Any:
    """Labels of the target axes around the spatial run, or None when they could mix with it.

    The non-spatial axes before and after the run must stay before and after it (a side that was empty stays
    empty), the batch stays first, and at most one side holds channels of unknown size: the tensor keeps its
    number of elements, so that side's product is then what the source had there.
    """
    if bool(src_before) != bool(before) or bool(src_after) != bool(after):
        return None
    if any(e[0] is not None and e[0] not in ("b", "c") for e in (*before, *after)):
        return None
    unknown = 1 if src_after else 0
    labels: list[Any] = []
    if src_before:
        if src_before[0] == "b":
            if not _is_batch_entry(before[0]):
                return None
            labels = ["b"] + ["c"] * (len(before) - 1)
            unknown += len(before) > 1 or len(src_before) > 1
        else:
            labels = ["c"] * len(before)
            unknown += 1
    if unknown > 1:
        return None
    return labels, ["c"] * len(after)


def token_reshape(lay: Sequence[Any], shape: Sequence[Any], sizes: Sequence[Any]) -> tuple[list[Any] | None, str]:
    """The layout after a ``view``/``reshape`` that keeps, folds or unfolds the spatial axes; or (None, why not).

    The spatial labels (axes and token axes) must be one run of the layout.  In the target they are found
    by the entries of the map's own ``size()`` in place (which say what they measure), or by sizes (a
    reshape is positional): the same axes (kept), one entry of the product of all the spatial sizes (folded
    into a :class:`Tok`, row-major), or, for a token axis without extra tokens, its axes' sizes in order
    (unfolded).  What lies around the
    run must keep its role (:func:`_gap_labels`).  ``why`` names a spatial axis split into two (a window
    partition) when that is what the reshape does.
    """
    import math

    sp = [i for i, x in enumerate(lay) if isinstance(x, (int, Tok))]
    if not sp or sp != list(range(sp[0], sp[-1] + 1)):
        return None, ""
    seg = list(lay[sp[0] : sp[-1] + 1])
    ents = [_entry(x) for x in shape]

    def size_of(x: Any) -> Any:
        return sizes[x] if isinstance(x, int) else token_count(x, sizes)

    cands: list[tuple[int, int, list[Any]]] = []
    marked = [k for k, e in enumerate(ents) if isinstance(e[0], (int, Tok))]
    if marked and marked == list(range(marked[0], marked[-1] + 1)) and [ents[k][0] for k in marked] == seg:
        cands.append((marked[0], marked[-1] + 1, seg))  # the map's own sizes, in place: the same axes
    # A reshape is positional: by sizes (the marked entries' too), the axes are kept, folded or unfolded.
    want = [size_of(x) for x in seg]
    if all(isinstance(v, int) for v in want):
        m = len(seg)
        cands += [(k, k + m, seg) for k in range(len(ents) - m + 1) if [e[1] for e in ents[k : k + m]] == want]
        if len(seg) > 1 and all(isinstance(x, int) for x in seg):
            total = math.prod(want)
            cands += [(k, k + 1, [Tok(tuple(seg))]) for k, e in enumerate(ents) if e[1] == total]
            cands += [(k, k + 1, [Tok(tuple(seg))]) for k, e in enumerate(ents) if e[1] == -1]
        if len(seg) == 1 and isinstance(seg[0], Tok) and seg[0].plain:
            axes = seg[0].axes
            us = [sizes[a] for a in axes]
            cands += [
                (k, k + len(axes), list(axes))
                for k in range(len(ents) - len(axes) + 1)
                if [e[1] for e in ents[k : k + len(axes)]] == us
            ]
    for k0, k1, labels in cands:
        gaps = _gap_labels(lay[: sp[0]], lay[sp[-1] + 1 :], ents[:k0], ents[k1:])
        if gaps is not None:
            return gaps[0] + labels + gaps[1], ""
    return None, _split_reason(seg, ents, sizes)


def _split_reason(seg: Sequence[Any], ents: Sequence[tuple[Any, Any]], sizes: Sequence[Any]) -> str:
    for x in seg:
        n = sizes[x] if isinstance(x, int) else None
        if not isinstance(n, int):
            continue
        for k in range(len(ents) - 1):
            a, b = ents[k][1], ents[k + 1][1]
            if isinstance(a, int) and isinstance(b, int) and a > 1 and b > 1 and a * b == n:
                return f"splits spatial axis S{x} ({n}) into {a} x {b}"
    return ""
