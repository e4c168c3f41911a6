"""The solver's view of a network: unknowns, domains, concrete layers and their coefficients.

Everything numeric goes through the layers' transfer functions.  For speed the
dynamic programme uses, per concrete layer, the coefficients of its (affine)
transfer function ``j' = a j``, ``q' = q + c_q j`` for q in r, start, P; those
coefficients come from the layer's affine map (:mod:`rfsym.maps`, the one reader
of ``transfer`` as a map), and layers whose coefficients depend on the input size
(``same`` padding, seed convention) are evaluated with ``transfer`` on numbers
every time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .. import _arith as A
from ..errors import RfsymError
from ..layers import AxisState, Layer, Repeat
from ..maps import layer_map
from ..network import Network
from ..values import SymbolDomain

PLACEHOLDER_N = 10**18
QORDER = ("n", "j", "r", "start", "effective_padding")
AFFINE_Q = ("r", "start", "effective_padding")
_ATTR = {"n": "n", "j": "j", "r": "r", "start": "start", "effective_padding": "P"}


def state_value(st: AxisState, q: str) -> Any:
    return getattr(st, _ATTR[q])


def ordered_symbols(layers: Iterable[Layer], inputs: Iterable[Any]) -> dict[str, Any]:
    """Every symbol of ``layers`` (repeat counts before their blocks) and then of ``inputs``, by name, in order
    of first appearance."""
    seen: dict[str, Any] = {}

    def note(v: Any) -> None:
        for s in sorted(getattr(v, "free_symbols", ()), key=str):
            seen.setdefault(s.name, s)

    def visit(lay: Layer) -> None:
        if isinstance(lay, Repeat):
            note(lay.times)
            for b in lay.block:
                visit(b)
            return
        for v in lay.values():
            note(v)

    for lay in layers:
        visit(lay)
    for v in inputs:
        note(v)
    return seen


def symbol_order(net: Network) -> list[Any]:
    """Free symbols of a network in order of first appearance (layers, then input)."""
    seen = ordered_symbols(net.layers, net.input or ())
    free = {s.name for s in net.free_symbols}
    return [s for name, s in seen.items() if name in free]


@dataclass(frozen=True)
class Domain:
    """The integer values an unknown may take: [lo, hi] with parity, or explicit choices."""

    name: str
    lo: int | None
    hi: int | None
    step: int = 1  # 2 for odd/even
    offset: int = 0  # residue modulo step
    choices: tuple[int, ...] | None = None

    @property
    def finite(self) -> bool:
        return self.choices is not None or (self.lo is not None and self.hi is not None)

    def first_at_least(self, x: int) -> int:
        """The smallest domain value >= x (domains without choices)."""
        if self.lo is not None:
            x = max(x, self.lo)
        return x + (self.offset - x) % self.step

    def values(self, lo: int | None = None, hi: int | None = None) -> list[int]:
        lo = self.lo if lo is None else (lo if self.lo is None else max(lo, self.lo))
        hi = self.hi if hi is None else (hi if self.hi is None else min(hi, self.hi))
        if self.choices is not None:
            return [c for c in self.choices if (lo is None or c >= lo) and (hi is None or c <= hi)]
        if lo is None or hi is None:
            raise RfsymError(f"symbol {self.name!r} has an unbounded domain; give min and max under [symbols]")
        start = self.first_at_least(lo)
        return list(range(start, hi + 1, self.step))

    def size(self) -> int | None:
        if self.choices is not None:
            return len(self.choices)
        if self.lo is None or self.hi is None:
            return None
        return max(0, (self.hi - self.first_at_least(self.lo)) // self.step + 1)

    def describe(self) -> str:
        if self.choices is not None:
            return "{" + ", ".join(map(str, self.choices)) + "}"
        par = {(2, 1): "odd ", (2, 0): "even "}.get((self.step, self.offset), "")
        lo = "-oo" if self.lo is None else str(self.lo)
        hi = "oo" if self.hi is None else str(self.hi)
        return f"{par}integers in [{lo}, {hi}]"


def make_domain(sym: Any, spec: SymbolDomain | None, override: Any = None) -> Domain:
    """The domain of a symbol: the spec's [symbols] entry (or ``override``) within its role's bounds."""
    name = sym.name
    if override is not None:
        if isinstance(override, SymbolDomain):
            spec = override
        elif isinstance(override, range):
            spec = SymbolDomain(choices=tuple(override)) if len(override) else None
            if spec is None:
                raise RfsymError(f"domain of {name!r}: empty range")
        elif isinstance(override, (list, tuple, set, frozenset)):
            if not override or not all(isinstance(v, int) and not isinstance(v, bool) for v in override):
                raise RfsymError(f"domain of {name!r}: choices must be a non-empty list of integers (got {override!r})")
            spec = SymbolDomain(choices=tuple(override))
        else:
            raise RfsymError(
                f"domain of {name!r}: give a SymbolDomain, a range or a list of integers (got {override!r})"
            )
    role_lo = 1 if sym.is_positive else (0 if sym.is_nonnegative else None)
    if spec is None:
        spec = SymbolDomain()
    if spec.min is not None and spec.max is not None and spec.min > spec.max:
        raise RfsymError(f"domain of {name!r}: min > max (min = {spec.min}, max = {spec.max})")
    lo = spec.min
    if role_lo is not None:
        lo = role_lo if lo is None else max(lo, role_lo)
    hi = spec.max
    odd = spec.odd or bool(sym.is_odd)
    even = spec.even or bool(sym.is_even)
    if odd and even:
        raise RfsymError(f"domain of {name!r}: both odd and even")
    if spec.choices is not None:
        vals = sorted(
            {
                c
                for c in spec.choices
                if (lo is None or c >= lo)
                and (hi is None or c <= hi)
                and (not odd or c % 2)
                and (not even or c % 2 == 0)
            }
        )
        if not vals:
            raise RfsymError(f"domain of {name!r} is empty: no choice in {list(spec.choices)} is allowed")
        return Domain(name, vals[0], vals[-1], choices=tuple(vals))
    step, off = (2, 1) if odd else ((2, 0) if even else (1, 0))
    d = Domain(name, lo, hi, step, off)
    if lo is not None and hi is not None and d.size() == 0:
        raise RfsymError(f"domain of {name!r} is empty ({d.describe()})")
    return d


def layer_key(layer: Layer) -> tuple:
    """A hashable description of a layer's parameters (its name left out)."""
    items = []
    for f in dataclasses.fields(layer):  # type: ignore[arg-type]
        if f.name in ("name", "_names"):
            continue
        items.append((f.name, repr(getattr(layer, f.name))))
    return (type(layer).__name__, tuple(items))


@dataclass
class Coeffs:
    """Transfer of one concrete layer: ``j' = a j``, ``q' = q + c[q] j`` (None: not affine)."""

    a: Any
    c: dict[str, Any]
    depth: int
    weights: int
    ncache: dict[Any, Any] = field(default_factory=dict)


def _map_coeffs(layer: Layer, axis: int, convention: str) -> tuple[Any, dict[str, Any]]:
    """(a, {q: c_q}) of the layer's affine map (rfsym.maps): ``j' = a j``, ``q' = q + c_q j``.

    The c_q may be expressions in the layer's symbols, or in the input size when
    the layer's padding depends on it (``same``, seed convention).
    """
    mp = layer_map(layer, axis, convention)
    return mp.m, {"r": mp.a, "start": mp.c, "effective_padding": mp.b}


def coefficients(layer: Layer, axis: int, convention: str, ndim: int) -> Coeffs:
    """The affine coefficients of a concrete layer, from its map (:func:`rfsym.maps.layer_map`)."""
    a, cs = _map_coeffs(layer, axis, convention)
    if not A.is_num(a) or a <= 0:
        raise RfsymError(f"{layer.label()}: the jump does not scale by a positive constant ({a} j); cannot solve")
    c = {q: (v if A.is_num(v) else None) for q, v in cs.items()}
    if c["r"] is None:
        raise RfsymError(f"{layer.label()}: the receptive field is not affine in the state ({cs['r']}); cannot solve")
    depth = 0 if (a == 1 and c["r"] == 0) else 1
    return Coeffs(a, c, depth, weights_of(layer, axis, ndim))


class CoeffTemplate:
    """Coefficients of a layer whose parameters hold unknowns, read off its affine map (expressions
    in the unknowns); numbers for an option by substitution.

    ``for_values`` returns None when a coefficient is not a number after substitution (then
    the caller falls back to :func:`coefficients` on the concrete layer).
    """

    def __init__(self, layer: Layer, axis: int, convention: str):
        try:
            a, c = _map_coeffs(layer, axis, convention)
        except RfsymError:  # not an affine map: use the per-option path
            self.ok = False
            return
        self.a, self.c = A.to_sympy(a), {q: A.to_sympy(v) for q, v in c.items()}
        self.ok = True

    def for_values(self, values: dict[Any, int]) -> tuple[Any, dict[str, Any]] | None:
        if not self.ok:
            return None
        a = A.norm(self.a.xreplace(values))
        if not A.is_num(a) or a <= 0:
            return None
        c = {}
        for q, e in self.c.items():
            v = A.norm(e.xreplace(values))
            c[q] = v if A.is_num(v) else None
        if c["r"] is None:
            return None
        return a, c


def weights_of(layer: Layer, axis: int, ndim: int) -> int:
    """Kernel area of a convolution or transposed convolution (k squared on one axis); 0 for other layers."""
    if not layer.has_weights:
        return 0
    w = 1
    for ax in range(ndim) if ndim > 1 else (axis, axis):
        w *= int(layer.axis_params(ax).kernel)  # type: ignore[attr-defined]
    return w


def concrete(layer: Layer, values: dict[Any, int]) -> Layer | None:
    """The layer with symbols replaced by numbers; None when that makes a parameter invalid."""
    if not values:
        return layer
    try:
        return layer.map_values(lambda v: v.xreplace(values) if hasattr(v, "xreplace") else v)
    except RfsymError:
        return None


def run(layers: list[Layer], n0: Any, axis: int, convention: str, origin: Any) -> list[AxisState] | None:
    """States after each layer for a numeric input (None when some layer's output is empty).

    Without an input size a placeholder of 10**18 features is used and validity
    is not checked (r and j never depend on n).
    """
    st = AxisState.input(PLACEHOLDER_N if n0 is None else n0, origin)
    out = [st]
    for lay in layers:
        st = lay.transfer(st, axis, convention)
        if n0 is not None and A.is_num(st.n) and st.n < 1:
            return None
        out.append(st)
    return out


def exact_divisions(layers: list[Layer], n0: int, axis: int, convention: str, origin: Any) -> bool:
    """True when no layer drops input features: removing a layer's last input feature
    would remove one of its outputs (checked with the transfer function at n and n - 1)."""
    st = AxisState.input(n0, origin)
    for lay in layers:
        nxt = lay.transfer(st, axis, convention)
        fewer = lay.transfer(AxisState(st.n - 1, st.j, st.r, st.start, st.P), axis, convention)
        if not nxt.n > fewer.n:
            return False
        st = nxt
    return True
