"""In which direction j, r and the output sizes move when one unknown grows — proven per
layer kind and parameter role, never assumed.

At one layer (``κ = d (k - 1) + 1``; transfer functions in ``rfsym.layers``):

===================  ===========  =================  =======================  ===========
kind                 role         j_out              r_out                    n_out
===================  ===========  =================  =======================  ===========
conv, pool           kernel       ·                  + (κ grows)              −
conv, pool           stride       + (j s)            ·                        −
conv, pool           dilation     ·                  +                        −
conv, pool           padding      ·                  ·                        +
conv_transpose       kernel       ·                  + ((κ − 1) j / s)        +
conv_transpose       stride       − (j / s)          − ((κ − 1) j / s)        + (n ≥ 1)
conv_transpose       dilation     ·                  +                        +
conv_transpose       padding      ·                  ·                        −
conv_transpose       output_pad.  ·                  ·                        +
upsample             scale        −                  not monotone downstream  +
===================  ===========  =================  =======================  ===========

Every layer maps ``r' = r + g j`` with ``g ≥ 0`` and ``j' = a j`` with ``a > 0``, and
``n_out`` never decreases in ``n_in``.  So a change that moves j at one layer moves every
later r the same way, and the final r moves with (r at that layer, j at that layer) when
both agree; every n moves with the layer's n.  An unknown occurring several times is
monotone when all its occurrences agree.  A conv's n_out that is below 1 may grow with
the stride, but stays below 1, so validity (every n ≥ 1) is still lost for good.

A repeat count L adds copies of its block: r only grows (``g ≥ 0``); j grows when every
layer of the block has ``a ≥ 1`` (convolutions, pooling, identities).  For n, a block
applied again is a non-decreasing map f of its input size, so the sizes after each copy
``n_0, f(n_0), f(f(n_0)), ...`` form a monotone sequence whose direction is the sign of
``f(n_0) - n_0`` (computed by the caller, who knows n_0).
"""

from __future__ import annotations

from typing import Any

import sympy

from .. import _arith as A
from ..layers import AxisState, Layer, Repeat
from ..network import Network

#: (kind, role) -> direction of (j, r, n) at the layer as the parameter grows
#: (+1 never decreases, -1 never increases, 0 unchanged, None not monotone).
LAYER_DIRECTIONS: dict[tuple[str, str], tuple[int, int | None, int]] = {
    ("conv", "kernel"): (0, 1, -1),
    ("conv", "stride"): (1, 0, -1),
    ("conv", "dilation"): (0, 1, -1),
    ("conv", "padding"): (0, 0, 1),
    ("pool", "kernel"): (0, 1, -1),
    ("pool", "stride"): (1, 0, -1),
    ("pool", "dilation"): (0, 1, -1),
    ("pool", "padding"): (0, 0, 1),
    ("conv_transpose", "kernel"): (0, 1, 1),
    ("conv_transpose", "stride"): (-1, -1, 1),
    ("conv_transpose", "dilation"): (0, 1, 1),
    ("conv_transpose", "padding"): (0, 0, -1),
    ("conv_transpose", "output_padding"): (0, 0, 1),
    ("upsample", "scale"): (-1, None, 1),
}
_GROWING_KINDS = ("conv", "pool", "identity")


class Directions:
    """How j, r and n move as an unknown grows (+1, -1, 0; None: not shown monotone), with
    the reason when one is None."""

    def __init__(self, j: int | None, r: int | None, n: int | None, why: str | None = None, times: Any = None):
        self.j, self.r, self.n, self.why, self.times = j, r, n, why, times

    def of(self, q: str) -> int | None:
        return {"j": self.j, "r": self.r, "n": self.n}.get(q)


def occurrences(net: Network, x: Any) -> list[tuple[Layer, str, Any]]:
    """(layer, role, value) for every parameter value that contains x (role "times": a Repeat)."""
    out: list[tuple[Layer, str, Any]] = []

    def visit(lay: Layer) -> None:
        if isinstance(lay, Repeat):
            if x in getattr(lay.times, "free_symbols", ()):
                out.append((lay, "times", lay.times))
            for b in lay.block:
                visit(b)
            return
        for _fld, role, v in lay.role_values():
            if x in getattr(v, "free_symbols", ()):
                out.append((lay, role, v))

    for lay in net.layers:
        visit(lay)
    return out


def grows(expr: Any, x: Any) -> tuple[bool, bool]:
    """(never decreases in x, is never negative) for x >= 0, by the structure of expr.

    Constants are non-decreasing; sums of non-decreasing terms are too; products
    and powers with a constant non-negative exponent keep both properties when
    every factor has both; ``c**e`` with ``c >= 1`` and e non-decreasing grows.
    ``False`` means "not shown", not "decreasing".
    """
    if x not in expr.free_symbols:
        return True, bool(expr.is_nonnegative)
    if expr == x:
        return True, bool(x.is_nonnegative)
    if isinstance(expr, sympy.Add):
        props = [grows(a, x) for a in expr.args]
        return all(g for g, _ in props), all(n for _, n in props)
    if isinstance(expr, sympy.Mul):
        props = [grows(a, x) for a in expr.args]
        ok = all(g and n for g, n in props)
        return ok, ok
    if isinstance(expr, sympy.Pow):
        base, exp = expr.args
        if x not in exp.free_symbols and bool(exp.is_nonnegative):
            g, n = grows(base, x)
            return g and n, n
        if x not in base.free_symbols and bool((base - 1).is_nonnegative):
            g, _ = grows(exp, x)
            return g, True
    return False, False


def _final(dj: int, dr: int | None) -> tuple[int, int | None]:
    """Directions of the final (j, r) from those at the layer: later r adds g j with g >= 0."""
    if dr is None:
        return dj, None
    if dj == 0 or dr == 0 or dr == dj:
        return dj, (dj if dr == 0 else dr)
    return dj, None


def _merge(a: int | None, b: int | None) -> int | None:
    if a is None or b is None:
        return None
    if a == 0 or a == b:
        return b
    return a if b == 0 else None


def _block_grows(block: tuple[Layer, ...]) -> bool:
    for lay in block:
        if isinstance(lay, Repeat):
            if not _block_grows(lay.block):
                return False
        elif lay.kind not in _GROWING_KINDS:
            return False
    return True


def directions(net: Network, x: Any) -> Directions:
    """The directions of j, r and n in x over the whole network (see the module docstring)."""
    j: int | None = 0
    r: int | None = 0
    n: int | None = 0
    why = None
    times = None
    for lay, role, v in occurrences(net, x):
        if v != x and not grows(A.to_sympy(v), x)[0]:
            return Directions(None, None, None, f"cannot show that the {role} {v} of {lay.label()} never decreases")
        if role == "times":
            assert isinstance(lay, Repeat)
            if not _block_grows(lay.block):
                return Directions(None, None, None, f"the block of {lay.label()} has layers that shrink the jump")
            dj, dr, dn = 1, 1, None  # type: tuple[int, int | None, int | None]
            times = lay
        else:
            got = LAYER_DIRECTIONS.get((lay.kind, role))
            if got is None:
                return Directions(None, None, None, f"{x.name} appears in the {role} of {lay.label()}")
            dj0, dr0, dn = got
            dj, dr = _final(dj0, dr0)
            if dr is None and why is None:
                why = f"r is not monotone in the {role} of {lay.label()} ({lay.kind})"
        j, r, n = _merge(j, dj), _merge(r, dr), _merge(n, dn)
        if (j is None or r is None) and why is None:
            why = f"the occurrences of {x.name} move j or r in opposite directions"
    if times is not None and len(occurrences(net, x)) > 1:
        times = None  # the size sequence argument needs L to be the only occurrence
    return Directions(j, r, n, why, times)


def times_size_direction(net: Network, rep: Repeat, axis: int, convention: str, origin: Any) -> int | None:
    """Direction of every n in a repeat count that only occurs as ``rep.times`` (top level,
    block without index): the sign of f(n_0) - n_0, f one copy of the block; None when
    that cannot be decided here."""
    if net.input is None or rep not in net.layers or rep.index is not None:
        return None
    inp = net.input[axis] if len(net.input) > axis else net.input[0]
    if not A.is_num(inp):
        return None
    st = AxisState.input(inp, origin)
    for lay in net.layers[: net.layers.index(rep)]:
        for flat in lay.unroll() if isinstance(lay, Repeat) else [lay]:
            st = flat.transfer(st, axis, convention)
    n0 = st.n
    for lay in Repeat(block=rep.block, times=1).unroll():
        st = lay.transfer(st, axis, convention)
    if not (A.is_num(n0) and A.is_num(st.n)):
        return None
    return -1 if st.n <= n0 else 1
