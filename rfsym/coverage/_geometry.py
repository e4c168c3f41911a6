"""Per-unit reading rules of each layer on one axis, read from the layers themselves.

Kernel, stride and dilation come from the layer's per-axis view
(:meth:`~rfsym.layers._Windowed.axis_params`), the left padding from its
:meth:`~rfsym.layers._Windowed.pads` (so TensorFlow ``same`` is the layer's own
rule), output sizes from its ``transfer``.  Nothing here restates the
receptive-field arithmetic; it only says which input unit a unit reads, which
the layer kinds define (docstrings in :mod:`rfsym.layers`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .. import _arith as A
from .._display import term_text
from ..errors import RfsymError
from ..graph import INPUT, Graph, Merge
from ..layers import AxisState, ConvTranspose, Identity, Layer, Repeat, Upsample, _Windowed
from ..network import Network


@dataclass(frozen=True)
class Step:
    """One node on one axis: its reading rule and its input nodes.

    ``kind``: ``window`` | ``scatter`` | ``linear`` | ``pass`` (identity, merges).
    ``n_in``/``n_out``: feature counts when an input size is given, else None.
    """

    name: str
    kind: str
    inputs: tuple[str, ...]
    k: int = 1
    s: int = 1
    pl: int = 0
    d: int = 1
    n_in: int | None = None
    n_out: int | None = None
    layer: Layer | None = None

    @property
    def fan(self) -> int:
        """Most input units one output unit reads (a bound for the path totals)."""
        if self.kind == "window":
            return self.k
        if self.kind == "scatter":
            return -(-self.k // (self.s // math.gcd(self.d, self.s)))
        if self.kind == "linear":
            return 2
        return 1


def _num(lay: Layer, what: str, v: Any) -> int:
    if not isinstance(v, int):
        raise RfsymError(
            f"{lay.label()}: {what} is {A.fmt(v)}; connection counts need numbers "
            "(substitute the symbols first, e.g. net.subs({...}))"
        )
    return v


def _pl(lay: _Windowed, axis: int, n_in: int | None, s: int) -> int:
    if n_in is not None:
        return _num(lay, "padding", lay.pads(n_in, axis)[0])
    # Without a size: TensorFlow 'same' pads max(kappa - s + ((-n) mod s), 0), non-decreasing in (-n) mod s,
    # so it is one value for every n when the two extremes (n = s and n = s + 1) agree.
    a, b = lay.pads(s, axis)[0], lay.pads(s + 1, axis)[0]
    if a != b:
        raise RfsymError(
            f"{lay.label()}: its 'same' padding depends on the input size modulo the stride; "
            "give an input size for connection counts"
        )
    return _num(lay, "padding", a)


def layer_step(lay: Layer, name: str, inputs: tuple[str, ...], axis: int, n_in: int | None) -> Step:
    """The reading rule of ``lay`` on ``axis`` (for an input of ``n_in`` features, or the infinite line)."""
    n_out = None
    if n_in is not None:
        n_out = lay.transfer(AxisState.input(n_in), axis).n if not isinstance(lay, Merge) else n_in
        if n_out < 1:
            raise RfsymError(
                f"{lay.label()}: output is empty on axis {axis} (n = {A.fmt(n_out)} from an input of {n_in}); "
                "the network needs a larger input"
            )
    common: dict[str, Any] = {"name": name, "inputs": inputs, "n_in": n_in, "n_out": n_out, "layer": lay}
    if isinstance(lay, ConvTranspose):
        k, s, (pl, _), d, _ = lay.axis_params(axis)
        vals = [_num(lay, f, v) for f, v in (("kernel", k), ("stride", s), ("padding", pl), ("dilation", d))]
        return Step(kind="scatter", k=vals[0], s=vals[1], pl=vals[2], d=vals[3], **common)
    if isinstance(lay, _Windowed):
        k, s, _, d, _ = lay.axis_params(axis)
        k, s, d = _num(lay, "kernel", k), _num(lay, "stride", s), _num(lay, "dilation", d)
        return Step(kind="window", k=k, s=s, pl=_pl(lay, axis, n_in, s), d=d, **common)
    if isinstance(lay, Upsample):
        s = _num(lay, "scale", lay.params(axis)["scale"])
        if lay.linear:
            return Step(kind="linear", s=s, **common)
        # nearest: output o reads floor(o / s), i.e. input i writes outputs i s + t for t < s
        return Step(kind="scatter", k=s, s=s, pl=0, d=1, **common)
    if isinstance(lay, (Identity, Merge)):
        return Step(kind="pass", **common)
    raise RfsymError(f"{lay.label()}: connection counts do not know the layer kind {lay.kind!r}")


def _entries(net: Network | Graph) -> list[tuple[Layer, str, tuple[str, ...]]]:
    """(layer, node name, input names) in topological order; repeats unrolled into chains."""
    if isinstance(net, Network):
        for lay in net.layers:
            if isinstance(lay, Repeat) and not isinstance(lay.times, int):
                raise RfsymError(
                    f"{lay.label()}: times is {A.fmt(lay.times)}; connection counts need numbers "
                    "(substitute the symbols first)"
                )
        flat = net.flat_layers()
        names = [lay.label() for lay in flat]
        return [(lay, nm, (names[i - 1] if i else INPUT,)) for i, (lay, nm) in enumerate(zip(flat, names))]
    if not isinstance(net, Graph):
        raise RfsymError(f"connection counts need an rfsym Network or Graph (got {type(net).__name__})")
    layers = {lay.label(): lay for lay in net.layers}
    out: list[tuple[Layer, str, tuple[str, ...]]] = []
    for who in net.nodes:
        _node_entries(layers[who], who, net.inputs_of(who), out)
    return out


def _node_entries(lay: Layer, who: str, ins: tuple[str, ...], out: list[tuple[Layer, str, tuple[str, ...]]]) -> None:
    """One graph node as entries: a chain repeat unrolled into a chain, a repeated block with branches
    (``graph.BlockRepeat``: it has ``entries``) into its nodes, anything else as itself."""
    if isinstance(lay, Repeat) and not isinstance(lay.times, int):
        raise RfsymError(
            f"{who}: times is {A.fmt(lay.times)}; connection counts need numbers (substitute the symbols first)"
        )
    branched = getattr(lay, "entries", None)
    if isinstance(lay, Repeat) and callable(branched):
        for sub, sub_ins in branched(ins[0]):
            _node_entries(sub, sub.label(), tuple(sub_ins), out)
        return
    if isinstance(lay, Repeat):
        subs = lay.unroll()
        for i, sub in enumerate(subs):
            nm = who if i == len(subs) - 1 else f"{who}/{sub.label()}"
            out.append((sub, nm, ins))
            ins = (nm,)
        return
    out.append((lay, who, ins))


def default_layer(net: Network | Graph) -> str:
    if isinstance(net, Graph):
        outs = net.outputs
        if len(outs) > 1:
            raise RfsymError(
                f"{net.name}: the graph has {len(outs)} outputs ({', '.join(outs)}); choose one with layer="
            )
        return outs[0]
    return _entries(net)[-1][1]


def plan(net: Network | Graph, layer: str, axis: int, n0: int | None) -> list[Step]:
    """The steps from the input to ``layer`` (its ancestors only), in topological order."""
    entries = _entries(net)
    known = [nm for _, nm, _ in entries]
    if layer not in set(known):
        shown = ", ".join(known[:8]) + (", ..." if len(known) > 8 else "")
        raise RfsymError(f"{net.name}: no layer {term_text(layer)!r} (layers: {term_text(shown)})")
    sizes: dict[str, int | None] = {INPUT: n0}
    steps: dict[str, Step] = {}
    for lay, nm, ins in entries:
        n_in = sizes[ins[0]]
        if n_in is not None and isinstance(lay, Merge):
            for x in ins[1:]:
                if sizes[x] != n_in:
                    raise RfsymError(
                        f"{nm}: inputs have different sizes on axis {axis}: {ins[0]} has {n_in} features, "
                        f"{x} has {sizes[x]}"
                    )
        st = layer_step(lay, nm, ins, axis, n_in)
        steps[nm] = st
        sizes[nm] = st.n_out
        if nm == layer:
            break
    wanted, todo = set(), [layer]
    while todo:
        x = todo.pop()
        if x != INPUT and x not in wanted:
            wanted.add(x)
            todo.extend(steps[x].inputs)
    return [st for nm, st in steps.items() if nm in wanted]
