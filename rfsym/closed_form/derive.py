"""derive: closed forms of a stack from its layers' affine maps, with the conditions they rely on.

The per-layer arithmetic is *not* repeated here: every layer is read as an
affine map by :mod:`rfsym.maps` (from its own transfer function), the maps are
composed, and the composed map gives, for a whole stack,

    J = prod s_l,  R = 1 + sum (kappa_l - 1) J_{l-1},  P = sum p_{L,l} J_{l-1},
    start = origin + (R - 1)/2 - P,
    n = floor((N + sum (p_{L,l} + p_{R,l}) J_{l-1} - R) / J) + 1.

Small stacks are composed left to right, which yields these flat sums.  Stacks
with many symbolic strides are composed as a balanced tree of flat chunks, so
the expressions stay linear in size and logarithmic in depth (a 1000-layer,
4000-symbol stack derives and prints in well under a second).  A
``Repeat(block, times=L)`` with symbolic ``L`` becomes sums and products over
the copies (:mod:`rfsym.closed_form.repeats`); indexed parameters (``k[l]``)
stay as ``Sum``/``Product`` (the general L-layer stack).

References: Araujo, Norris, Sim, *Computing Receptive Fields of Convolutional
Neural Networks*, Distill 2019; Dang Ha The Hien, *A guide to receptive field
arithmetic for CNNs*, 2017.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from fractions import Fraction
from typing import Any

import sympy

from .. import _arith as A
from ..errors import RfsymError
from ..graph import BlockRepeat, Graph, NestRepeat, block_map, nest_map
from ..layers import Conv, Repeat
from ..maps import (
    FLAT_LIMIT,
    AffineMap,
    at,
    check_n_dependent,
    compose_all,
    compose_flat,
    int_floor,
    layer_map,
    power,
    smallest_input,
)
from ..network import Network, _check_convention, parse_origin
from ..values import symbol
from .repeats import repeat_map, tidy
from .result import KEYS, ClosedForms

__all__ = ["derive", "equivalent", "general_stack"]


#: Numeric repeats up to this many layers are unrolled; longer ones are composed by squaring.
UNROLL_LIMIT = 4096


def _unrollable(lay: Any) -> bool:
    """A numeric repeat of at most UNROLL_LIMIT layers whose inner repeats are numeric too."""
    return _layer_count(lay) <= UNROLL_LIMIT


def _layer_count(lay: Any) -> float:
    if not isinstance(lay, Repeat):
        return 1
    if not A.is_num(lay.times):
        return float("inf")
    return lay.times * sum(_layer_count(b) for b in lay.block)


def _copy(block: Sequence[Any], index: Any, i: int) -> list[Any]:
    """The block's layers with the repeat index set to i (matched by name, as Repeat.unroll does)."""
    if index is None:
        return list(block)

    def at(v: Any) -> Any:
        syms = [s for s in getattr(v, "free_symbols", ()) if s.name == index.name]
        return v.xreplace({s: i for s in syms}) if syms else v

    return [b.map_values(at) for b in block]


def _element_map(layer: Any, axis: int, convention: str, fast: bool = False, domains: Any = None) -> AffineMap:
    if isinstance(layer, NestRepeat):  # a block nested in itself (a U-Net of symbolic depth)
        return nest_map(
            layer, axis, convention, lambda lay, ax, conv: _element_map(lay, ax, conv, domains=domains), domains
        )
    if isinstance(layer, BlockRepeat):  # a block with branches: one copy's map from the block's walk
        one, _ = block_map(
            layer, axis, convention, lambda lay, ax, conv: _element_map(lay, ax, conv, domains=domains), domains
        )
        if A.is_num(layer.times):
            return power(one, layer.times)
        return repeat_map(layer, one)
    if not isinstance(layer, Repeat):
        return layer_map(layer, axis, convention, fast)
    if not A.is_num(layer.times):
        block = compose_flat([_element_map(b, axis, convention) for b in layer.block])
        return repeat_map(layer, block)
    if layer.index is None:
        # one copy's map, then repeated squaring: a numeric count is a closed form, not a loop
        inner = [_element_map(b, axis, convention) for b in layer.block]
        block = compose_all(inner)
        if all(mp.folds and A.is_num(mp.g) and A.is_num(mp.den) for mp in inner):
            block = replace(block, min_in=smallest_input(inner))
        if not block.folds and layer.times > UNROLL_LIMIT:
            raise RfsymError(
                f"{layer.label()}: a block whose output size is not one floor (ceil_mode or 'same' padding) "
                f"repeated {layer.times} times nests {layer.times} size functions; at most {UNROLL_LIMIT}"
            )
        return power(block, layer.times)
    if layer.times <= UNROLL_LIMIT:
        copies = [m for i in range(1, layer.times + 1) for m in _copy(layer.block, layer.index, i)]
        return compose_all([_element_map(b, axis, convention) for b in copies])
    block = compose_flat([_element_map(b, axis, convention) for b in layer.block])
    return repeat_map(layer, block)  # Sum/Product closed forms in the numeric count


def _stack_map(layers: Sequence[Any], axis: int, convention: str) -> AffineMap:
    """The composed map of a sequence of layers."""
    flat: list[Any] = []
    for lay in layers:
        if isinstance(lay, Repeat) and _unrollable(lay):
            flat.extend(lay.unroll())
        else:
            flat.append(lay)
    if len(flat) > FLAT_LIMIT:
        # long stack: count symbolic strides first; past FLAT_LIMIT the forms are nested and leaves built fast
        nsym = sum(0 if A.is_num(lay.params(axis).get("stride", 1)) else 1 for lay in flat)
        fast = nsym > FLAT_LIMIT
    else:
        fast = False
    maps = [_element_map(lay, axis, convention, fast) for lay in flat]
    check_n_dependent(flat, maps, "derive")
    total = compose_all(maps)
    if all(mp.folds and A.is_num(mp.g) and A.is_num(mp.den) for mp in maps):
        total = replace(total, min_in=smallest_input(maps))
    return total


def _input_symbols(net: Any, input: Any) -> tuple[Any, ...]:
    nd = net.ndim
    if input is not None:
        return net.axes_input(input)
    inp = net.input
    if inp is not None and any(not A.is_num(v) for v in inp):
        return net.axes_input(None)
    count = nd or (len(inp) if inp is not None else 1)
    dom = net.symbols.get("n") if hasattr(net, "symbols") else None
    if count == 1:
        return (symbol("n", "input", dom),)
    return tuple(symbol(f"n{i}", "input", net.symbols.get(f"n{i}")) for i in range(count))


def derive(
    net: Any, input: Any = None, *, axis: int | None = None, origin: Any = Fraction(1, 2), convention: str = "framework"
) -> ClosedForms:
    """Closed forms of the output's n, j, r, start and effective padding P.

    ``input`` defaults to the network's input when it is symbolic, else to a
    positive-integer symbol ``n`` (``n0, n1, …`` per axis for N-D networks).
    For an N-D network the result holds one expression per axis (tuples in axis
    order) unless ``axis`` picks one.

    >>> from rfsym import Conv, Network
    >>> f = derive(Network([Conv(kernel="k", stride="s", padding="p")]))
    >>> f.n, f.j, f.r, f.start, f.P
    (floor((-k + n + 2*p)/s) + 1, s, k, k/2 - p, p)
    """
    _check_convention(convention)
    if convention == "seed":
        raise RfsymError(
            "closed forms use the framework convention; the seed convention (left padding "
            "floor(actualP/2) with actualP = (n_out - 1) s - n_in + k) depends on every intermediate n "
            "and has no closed form -- use 'rfsym table --convention seed' for its numbers"
        )
    origin = parse_origin(origin)
    inp = _input_symbols(net, input)
    axes = range(len(inp)) if axis is None else [axis]
    if axis is not None and not 0 <= axis < len(inp):
        raise RfsymError(f"{net.name}: axis {axis} out of range (the network has {len(inp)} axes)")
    if isinstance(net, Graph) and not net.is_chain:
        from .graphs import derive_graph

        return derive_graph(
            net, inp, axes, origin, convention, lambda lay, ax, conv: _element_map(lay, ax, conv, domains=net.symbols)
        )
    forms = [_derive_axis(net, inp[ax], ax, origin, convention) for ax in axes]
    for ax, f in zip(axes, forms):
        _check_input(net, f, ax, len(inp))
    if len(forms) == 1:
        return forms[0]
    return ClosedForms(
        **{k: tuple(getattr(f, k) for f in forms) for k in KEYS},
        input=tuple(f.input for f in forms),
        convention=convention,
        origin=origin,
        conditions=tuple(dict.fromkeys(c for f in forms for c in f.conditions)),
        assumptions={k: v for f in forms for k, v in f.assumptions.items()},
        name=net.name,
        axes=tuple(forms),
        total_padding_=tuple(f.total_padding for f in forms)
        if all(f.total_padding is not None for f in forms)
        else None,
        compact=any(f.compact for f in forms),
    )


def _derive_axis(net: Any, n_in: Any, axis: int, origin: Any, convention: str) -> ClosedForms:

    # graphs: only chains have closed forms here (flat_layers raises a clear error at a branch)
    layers = net.layers if isinstance(net, Network) else net.flat_layers()
    total = _stack_map(layers, axis, convention)
    min_in = total.min_in
    conditions = _conditions(net, total)
    R = A.add(1, total.a)
    P = total.b
    big = total.nsym > FLAT_LIMIT
    # start: origin + (R - 1)/2 - P whenever each layer centres its window (framework semantics)
    if total.centred and not big:
        start = A.add(origin, A.add(A.div(total.a, 2), A.mul(-1, P)))
    else:
        start = A.add(origin, total.c)  # long stacks: one tree instead of two
    if total.folds:
        e, den = total.e, total.den
        if not big and total.pad is not None:
            # the paper's form: floor((N + Σ (pL + pR) J_{l-1} - R) / J) + 1
            num = A.add(A.add(n_in, total.pad), A.mul(-1, R))
            pads = total.pad
        else:
            num = A.add(A.add(n_in, -1), total.g) if big else A.add(n_in, e)
            pads = (lambda: A.add(total.g, total.a)) if big else A.add(total.g, total.a)
        n_out = _floor1(num, den, big, net.symbols)
        fold = (e, den)
    else:
        n_out = at(total.nfun, n_in)
        pads = None
        fold = None
    out = {
        k: A.norm(at(v, n_in) if total.xdep else v) for k, v in (("j", total.m), ("r", R), ("start", start), ("P", P))
    }
    out["n"] = A.norm(n_out)
    if not big:
        out = {k: tidy(v, net.symbols) for k, v in out.items()}
    syms: set[Any] = set()
    for v in out.values():
        syms |= getattr(v, "free_symbols", set())
    assumptions = {
        s.name: tuple(
            sorted(
                k for k, v in s.assumptions0.items() if v and k in ("integer", "positive", "nonnegative", "odd", "even")
            )
        )
        for s in sorted(syms, key=lambda s: s.name)
        if isinstance(s, sympy.Symbol)
    }
    return ClosedForms(
        **out,
        input=n_in,
        convention=convention,
        origin=origin,
        conditions=conditions,
        assumptions=assumptions,
        name=net.name,
        total_padding_=pads if callable(pads) else (A.norm(pads) if pads is not None else None),
        _fold=fold,
        compact=big,
        _min_input=min_in,
    )


#: Symbolic stacks up to this many layers state their validity bound as a formula.
BOUND_LIMIT = 64


def _check_input(net: Any, forms: ClosedForms, axis: int, ndim: int) -> None:
    """A numeric input must leave every layer's output non-empty; otherwise the forms get a validity
    condition: ``N >= bound`` (a formula in the layers' symbols when they are symbolic), or, where no
    formula is given (symbolic repeat counts, long symbolic stacks), the condition in words."""
    where = f" (axis {axis})" if ndim > 1 else ""
    numeric_layers = not any(lay.free_symbols for lay in net.layers)
    lo = forms._min_input
    if lo is None and (numeric_layers or _layer_count_all(net.layers) <= BOUND_LIMIT):
        try:
            lo = net.min_input_size(axis)
        except RfsymError:
            lo = None
    if lo is None:
        if not numeric_layers or not A.is_num(forms.input):
            _add_condition(forms, f"valid while every layer's output is non-empty (n >= 1 after each layer){where}")
        return
    if A.is_num(forms.input) and A.is_num(lo):
        if forms.input < lo:
            raise RfsymError(
                f"{net.name}: the output is empty for input {A.fmt(forms.input)}{where}; "
                f"the smallest input with a non-empty output is {A.fmt(lo)}"
            )
        return
    if not (A.is_num(lo) and lo <= 1):
        _add_condition(forms, f"valid for input sizes {forms.input} >= {A.fmt(lo)}{where}")


def _layer_count_all(layers: Sequence[Any]) -> float:
    return sum(_layer_count(lay) for lay in layers)


def _add_condition(forms: ClosedForms, text: str) -> None:
    object.__setattr__(forms, "conditions", forms.conditions + (text,))


def _floor1(num: Any, den: Any, big: bool, domains: dict[str, Any]) -> Any:
    """floor(num / den) + 1, written as floor((…)/den) rather than floor(…/den - …/den); the floor
    goes only when the division is proved exact (:func:`rfsym.maps.int_floor`)."""
    if A.is_num(num) and A.is_num(den):
        return A.add(A.floordiv(num, den), 1)
    num, den = A.to_sympy(num), A.to_sympy(den)
    if den == 1:
        return A.norm(num + 1)  # an integer by construction: sums of integer parameters times integer jumps
    if big:
        frac = sympy.Mul(num, sympy.Pow(den, -1, evaluate=False), evaluate=False)
        return sympy.Add(sympy.floor(frac, evaluate=False), 1, evaluate=False)
    return A.norm(A.add(int_floor(num / den, domains), 1))


def _conditions(net: Any, total: AffineMap) -> tuple[str, ...]:
    out = [
        "framework padding semantics: each layer's left padding is used as declared",
        "all kernel, stride, padding and dilation values are integers (kernel, stride, dilation >= 1, padding >= 0)",
    ]
    if total.folds:
        out.append(
            "n: nested floors folded by floor((floor(x/a) + c)/b) = floor((x + a c)/(a b)) for integer x, c and positive integers a, b"
        )
    else:
        out.append(
            "n: some layer's output size is not a floor of its input (transposed convolution, upsampling, "
            "n-dependent padding or ceil_mode); n is composed layer by layer"
        )
    return tuple(out)


def equivalent(net: Any, *, axis: int | None = None) -> Any:
    """The single convolution (kernel R, stride J, padding (P, total - P)) equivalent to the stack."""
    return net.equivalent(axis=axis)


# --------------------------------------------------------------------------
# the general L-layer stack
# --------------------------------------------------------------------------


def general_stack(L: Any = "L", *, asymmetric: bool = False) -> ClosedForms:
    """Closed forms of a general stack of L convolutions with indexed parameters k_l, s_l, p_l, d_l.

    The layer is a :class:`~rfsym.layers.Conv` with indexed parameters repeated
    L times, so the forms come from the same transfer function as everything
    else; they are ``Sum``/``Product`` objects over the index ``ell``.
    ``asymmetric=True`` uses separate left and right paddings ``a_l``/``b_l``.
    """

    Ls = symbol(L, "times") if isinstance(L, str) else L
    ell = sympy.Symbol("ell", integer=True, positive=True)
    k = sympy.IndexedBase("k", integer=True, positive=True)
    s = sympy.IndexedBase("s", integer=True, positive=True)
    d = sympy.IndexedBase("d", integer=True, positive=True)
    if asymmetric:
        pl = sympy.IndexedBase("a", integer=True, nonnegative=True)
        pr = sympy.IndexedBase("b", integer=True, nonnegative=True)
        pad: Any = [pl[ell], pr[ell]]
    else:
        p = sympy.IndexedBase("p", integer=True, nonnegative=True)
        pad = p[ell]
    conv = Conv(kernel=k[ell], stride=s[ell], padding=pad, dilation=d[ell], name="conv")
    net = Network([Repeat(block=(conv,), times=Ls, index=ell, name="stack")], name="general")
    return derive(net)
