"""The spread of the counts (the effective receptive field of uniform weights): σ² without counting.

**Numbers, any graph** (:func:`phase_moments`): on the infinite line the counts
of unit ``u + p`` are those of unit ``u`` shifted by ``p J`` pixels, where the
period ``p`` is 1 for stacks of windows and grows with transposed convolutions
and upsampling (a window layer of stride s: ``p_out = p_in / gcd(p_in, s)``; a
transposed convolution or upsampling by s: ``p_out = s p_in``; a merge: the lcm).
So each node needs only the mass, first and second moment of its counts for
``p`` phases, and each layer combines them exactly (moments of a sum of shifted
distributions): O(Σ p_ℓ k_ℓ) work however large the field.

**Symbols, chains of windows** (:func:`variance`): the counts are the
convolution of uniform distributions on ``{0, d J, …, (k - 1) d J}``, so

    σ² = Σ_ℓ d_ℓ² J_{ℓ-1}² (k_ℓ² - 1) / 12

with ``J_{ℓ-1}`` the product of the strides below (read from the layers' maps).
A repeated block with a symbolic number of copies L contributes a geometric sum
over its copies: ``σ²_B J_0² Σ_{i<L} m_B^{2i}``, or ``L σ²_B J_0²`` when the
block keeps the jump (``m_B = 1``): σ grows like √L while r grows like L.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .. import _arith as A
from ..errors import RfsymError
from ..graph import INPUT, Graph, Merge
from ..layers import ConvTranspose, Identity, Layer, Repeat, Upsample, _Windowed
from ..network import Network
from ._geometry import Step, default_layer, plan

__all__ = ["PhaseMoments", "phase_moments", "variance"]

#: Most phases one node may carry (the product of the upsampling factors on a path).
MAX_PHASES = 1 << 16


@dataclass(frozen=True)
class PhaseMoments:
    """Counts' moments of one layer's units on one axis, per phase ``u mod period``.

    ``mass[φ]``: paths into unit φ; ``mean[φ]``: their mean input pixel index;
    ``variance[φ]``: σ² of unit φ's counts.  Unit ``φ + q period`` has the same
    mass and variance and its mean moved by ``q shift`` pixels.
    """

    period: int
    shift: int
    mass: tuple[int, ...]
    mean: tuple[Fraction | None, ...]
    variance: tuple[Fraction | None, ...]

    def of(self, unit: int) -> tuple[int, Fraction | None, Fraction | None]:
        """(mass, mean, σ²) of one unit (None: the unit reads no pixel)."""
        q, phi = divmod(unit, self.period)
        mean = self.mean[phi]
        return self.mass[phi], None if mean is None else mean + q * self.shift, self.variance[phi]


_M = tuple[int, int, int]  # mass, Σ x c, Σ x² c (x: input pixel index)


def _shifted(m: _M, dx: int) -> _M:
    n, s1, s2 = m
    return n, s1 + dx * n, s2 + 2 * dx * s1 + dx * dx * n


def _plus(a: _M, b: _M) -> _M:
    return a[0] + b[0], a[1] + b[1], a[2] + b[2]


class _Node:
    def __init__(self, period: int, shift: int, moments: list[_M]) -> None:
        self.period, self.shift, self.moments = period, shift, moments

    def at(self, v: int) -> _M:
        q, phi = divmod(v, self.period)
        return _shifted(self.moments[phi], q * self.shift)


def _reads(st: Step, u: int) -> list[int]:
    if st.kind == "window":
        return [u * st.s - st.pl + t * st.d for t in range(st.k)]
    if st.kind == "scatter":
        return [(u + st.pl - t * st.d) // st.s for t in range(st.k) if (u + st.pl - t * st.d) % st.s == 0]
    if st.kind == "linear":
        from ._engine import linear_reads

        return sorted(linear_reads(u, st.s, None))
    return [u]


def _step(st: Step, ins: list[_Node]) -> _Node:
    if st.kind == "pass" and len(ins) > 1:  # a merge: sum of the branches, on the lcm of their periods
        period = math.lcm(*(n.period for n in ins))
        shifts = {Fraction(n.shift, n.period) for n in ins}
        if len(shifts) > 1:
            raise RfsymError(
                f"{st.name}: the branches have different jumps; the counts are not periodic (use the exact counts)"
            )
        shift = ins[0].shift * (period // ins[0].period)
        moments = []
        for phi in range(period):
            acc: _M = (0, 0, 0)
            for n in ins:
                acc = _plus(acc, n.at(phi))
            moments.append(acc)
        return _Node(period, shift, moments)
    src = ins[0]
    if st.kind == "window":
        period = src.period // math.gcd(src.period, st.s)
        shift = src.shift * (period * st.s // src.period)
    elif st.kind in ("scatter", "linear"):
        period, shift = src.period * st.s, src.shift
    else:
        return src
    if period * max(st.k, 2) > MAX_PHASES:
        raise RfsymError(f"{st.name}: {period} phases, above the limit of {MAX_PHASES} (use the exact counts)")
    moments = []
    for phi in range(period):
        acc = (0, 0, 0)
        for v in _reads(st, phi):
            acc = _plus(acc, src.at(v))
        moments.append(acc)
    return _Node(period, shift, moments)


def phase_moments(net: Network | Graph, layer: str | None = None, axis: int = 0) -> PhaseMoments:
    """Exact mass, mean and σ² of the counts of every unit of ``layer`` on the infinite line, per phase."""
    if not isinstance(net, (Network, Graph)):
        raise RfsymError(f"the spread of the counts needs an rfsym Network or Graph (got {type(net).__name__})")
    if net.free_symbols:
        raise RfsymError(f"{net.name}: phase moments need numbers; rfsym.coverage.spread.variance gives symbolic σ²")
    layer = default_layer(net) if layer is None else layer
    nodes: dict[str, _Node] = {INPUT: _Node(1, 1, [(1, 0, 0)])}
    for st in plan(net, layer, axis, None):
        nodes[st.name] = _step(st, [nodes[x] for x in st.inputs])
    out = nodes[layer]
    means: list[Fraction | None] = []
    variances: list[Fraction | None] = []
    for n, s1, s2 in out.moments:
        means.append(Fraction(s1, n) if n else None)
        variances.append(Fraction(s2 * n - s1 * s1, n * n) if n else None)
    return PhaseMoments(out.period, out.shift, tuple(m[0] for m in out.moments), tuple(means), tuple(variances))


# ---------------------------------------------------------------------------
# symbolic: chains of windows


def _window_terms(lay: Layer, axis: int) -> tuple[Any, Any]:
    """(σ² of the layer's taps in its input's units, jump factor) of one window layer."""
    from .. import maps  # sympy: the layer's jump factor as its map reads it

    if isinstance(lay, Identity):
        return 0, 1
    if isinstance(lay, (ConvTranspose, Upsample)) or not isinstance(lay, _Windowed):
        raise RfsymError(
            f"{lay.label()}: σ² in closed form covers convolution and pooling chains; with {lay.kind} layers the "
            "counts depend on the unit's phase (use rfsym.coverage.spread.phase_moments with numbers)"
        )
    k, _, _, d, _ = lay.axis_params(axis)
    m = maps.layer_map(lay, axis).m
    return A.norm(A.div(A.mul(A.mul(d, d), A.add(A.mul(k, k), -1)), 12)), m


def _repeat_terms(lay: Repeat, axis: int) -> tuple[Any, Any]:
    """(σ² over the copies in the repeat's input pixels, jump factor) of a repeat with symbolic times."""
    import sympy

    var_b, m_b = _chain(lay.block, axis)
    i = sympy.Symbol(lay.index.name, integer=True, positive=True) if lay.index is not None else None
    t = sympy.Dummy("t", integer=True, positive=True)
    L = A.to_sympy(lay.times)
    used = {s.name for s in A.to_sympy(var_b).free_symbols | A.to_sympy(m_b).free_symbols}
    if i is None or i.name not in used:
        q = A.to_sympy(m_b) ** 2  # the same block in every copy: a geometric sum over the copies
        geo = L if q == 1 else sympy.Piecewise((L, sympy.Eq(A.to_sympy(m_b), 1)), ((q**L - 1) / (q - 1), True))
        return A.norm(A.to_sympy(var_b) * geo), A.norm(A.to_sympy(m_b) ** L)

    def at(e: Any, v: Any) -> Any:
        e = A.to_sympy(e)
        return e.xreplace({s: v for s in e.free_symbols if s.name == i.name})

    prefix = sympy.Product(at(m_b, t), (t, 1, i - 1)).doit()
    part = sympy.Sum(at(var_b, i) * prefix**2, (i, 1, L)).doit()
    return A.norm(sympy.simplify(part)), A.norm(sympy.Product(at(m_b, t), (t, 1, L)).doit())


def _chain(layers: Any, axis: int) -> tuple[Any, Any]:
    """(σ², jump) of a run of layers, σ² in the run's input pixels."""
    total: Any = 0
    jump: Any = 1
    for lay in layers:
        if isinstance(lay, Repeat) and not isinstance(lay.times, int):
            var, m = _repeat_terms(lay, axis)
            total = A.add(total, A.mul(A.mul(jump, jump), var))
            jump = A.mul(jump, m)
            continue
        for sub in lay.unroll() if isinstance(lay, Repeat) else [lay]:
            var, m = _window_terms(sub, axis)
            total = A.add(total, A.mul(A.mul(jump, jump), var))
            jump = A.mul(jump, m)
    return total, jump


def variance(net: Network, axis: int = 0) -> Any:
    """σ² of the output's counts (infinite line), in closed form: numbers, or a sympy expression of the symbols.

    Chains of convolutions and pooling (any parameters symbolic, repeated blocks
    with a symbolic number of copies as geometric sums).
    """
    if not isinstance(net, Network):
        raise RfsymError("σ² in closed form needs a sequential Network (phase_moments handles graphs with numbers)")
    for lay in net.layers:
        if isinstance(lay, Merge):  # pragma: no cover - a Network holds no merges
            raise RfsymError(f"{lay.label()}: merges have no chain closed form")
    var, _ = _chain(net.layers, axis)
    var = A.norm(var)
    if not A.is_num(var):
        import sympy

        var = A.norm(sympy.factor(var) if not var.has(sympy.Piecewise) else sympy.piecewise_fold(var))
    return var


@dataclass(frozen=True)
class SpreadForms:
    """Closed forms of a chain's counts on one axis (unit u): the receptive field r, jump j, the centre of the
    counts ``start + u j`` (the counts are symmetric about the box's centre: every layer's taps are), σ²
    and, when the chain has a number of layers, the hole-free condition (:mod:`rfsym.coverage.density`)."""

    name: str
    axis: int
    r: Any
    j: Any
    start: Any
    variance: Any
    density: Any  # DensityCondition | None

    def to_dict(self) -> dict[str, Any]:
        d = self.density
        return {
            "name": self.name,
            "axis": self.axis,
            "r": A.to_json(self.r),
            "j": A.to_json(self.j),
            "centre": A.to_json(self.start),
            "variance": A.to_json(self.variance),
            "hole_free": None if d is None else _cond_json(d.condition),
            "hole_free_given": None if d is None else _cond_json(d.order),
        }

    def to_text(self) -> str:
        from .._display import term_text

        lines = [
            f"{term_text(self.name)}: connection counts in closed form (axis {self.axis}, output unit u)",
            f"  r = {A.fmt(self.r)}, j = {A.fmt(self.j)}",
            f"  centre of the counts = start + u j, start = {A.fmt(self.start)}",
            f"  variance sigma^2 = {A.fmt(self.variance)}",
        ]
        lines.append(f"  hole-free {self.hole_free_text()}")
        return "\n".join(term_text(x) for x in lines)

    def hole_free_text(self) -> str:
        """``iff <condition> (exact when <order>)``, or why there is no condition (symbolic repeat counts)."""
        import sympy

        d = self.density
        if d is None:
            return "condition: needs a number of copies for every repeat"
        given = "" if d.order is True or d.order == sympy.true else f" (exact when {A.fmt(d.order)})"
        return f"iff {A.fmt(d.condition)}{given}"


def _cond_json(c: Any) -> Any:
    return c if isinstance(c, bool) else str(c)


def closed_forms(net: Network, axis: int = 0) -> SpreadForms:
    """r, j and start (from :func:`rfsym.derive`), σ² and the hole-free condition of a chain, in symbols."""
    from ..closed_form import derive
    from .density import density_condition

    var = variance(net, axis)
    cf = derive(net)
    pick = (lambda v: v[axis]) if isinstance(cf.r, tuple) else (lambda v: v)
    try:
        dens = density_condition(net, axis)
    except RfsymError:
        dens = None
    return SpreadForms(net.name, axis, pick(cf.r), pick(cf.j), pick(cf.start), var, dens)
