"""When a chain of convolutions and poolings has no holes: an exact condition, also in symbols.

On the infinite line the pixels a unit of a chain reaches are the Minkowski sum
``Σ_ℓ e_ℓ {0, 1, …, k_ℓ - 1}`` with the *effective dilation* ``e_ℓ = d_ℓ J_{ℓ-1}``
(dilation times the jump below the layer).  A sum of sets does not depend on
their order, so sort the layers with ``k > 1`` by ``e``:

    hole-free  ⇔  e_(m+1) <= 1 + Σ_{i<=m} (k_(i) - 1) e_(i)   for every m  (the empty sum: e_(1) <= 1).

Proof: if the first m sets sum to the interval ``[0, R_m]`` with
``R_m = Σ_{i<=m} (k_(i) - 1) e_(i)``, adding ``{0, e, …, (k - 1) e}`` gives an
interval exactly when ``e <= R_m + 1``.  If ``e > R_m + 1``, the pixel ``R_m + 1``
is a hole for good: the sets still to come hold 0 and values ``>= e > R_m + 1``
only, and ``R_m + 1`` lies between ``R_m`` and ``e``.

HDC's criterion (Wang et al., WACV 2018) is this condition for kernel 3 and
non-decreasing rates starting at 1 (``docs/coverage.md``).  With symbols the
order of the ``e`` cannot be sorted; :func:`density_condition` then states the
condition in the stack's order, which is exact when the effective dilations
are non-decreasing along the stack (returned as ``order``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import _arith as A
from ..errors import RfsymError
from ..layers import ConvTranspose, Identity, Repeat, _Windowed
from ..network import Network

__all__ = ["DensityCondition", "density_condition", "effective_dilations", "hole_free"]


def effective_dilations(net: Network, axis: int = 0) -> list[tuple[Any, Any]]:
    """(kernel, d J_{ℓ-1}) of each convolution and pooling of a chain (numbers or sympy expressions)."""
    from .. import maps  # the layers' jump factors as their maps read them

    if not isinstance(net, Network):
        raise RfsymError(f"the density condition needs a sequential rfsym Network (got {type(net).__name__})")
    out: list[tuple[Any, Any]] = []
    jump: Any = 1
    for lay in net.layers:
        if isinstance(lay, Repeat) and not isinstance(lay.times, int):
            raise RfsymError(f"{lay.label()}: times is symbolic; the density condition needs a number of copies")
    for lay in net.flat_layers():
        if isinstance(lay, Identity):
            continue
        if isinstance(lay, ConvTranspose) or not isinstance(lay, _Windowed):
            raise RfsymError(
                f"{lay.label()}: the density condition covers chains of convolutions and pooling "
                f"(not {lay.kind}); rfsym.coverage.holes handles any numeric network"
            )
        k, _, _, d, _ = lay.axis_params(axis)
        out.append((k, A.norm(A.mul(d, jump))))
        jump = A.norm(A.mul(jump, maps.layer_map(lay, axis).m))
    return out


def hole_free(net: Network, axis: int = 0) -> bool:
    """Exact: True when a unit of the numeric chain reaches every pixel of its box (infinite line)."""
    taps = [(k, e) for k, e in effective_dilations(net, axis) if not (A.is_num(k) and k == 1)]
    if not all(A.is_num(k) and A.is_num(e) for k, e in taps):
        raise RfsymError(f"{net.name}: hole_free needs numbers; density_condition gives the condition in symbols")
    reach = 0
    for k, e in sorted(taps, key=lambda t: t[1]):
        if e > reach + 1:
            return False
        reach += (k - 1) * e
    return True


@dataclass(frozen=True)
class DensityCondition:
    """``condition``: hole-free iff it holds, given ``order`` (the effective dilations non-decreasing along
    the stack; ``True`` for numbers, which are sorted)."""

    condition: Any
    order: Any
    effective: tuple[tuple[Any, Any], ...]


def density_condition(net: Network, axis: int = 0) -> DensityCondition:
    """The hole-free condition of a chain: a bool for numbers, sympy relations for symbols."""
    taps = [(k, e) for k, e in effective_dilations(net, axis) if not (A.is_num(k) and k == 1)]
    if all(A.is_num(k) and A.is_num(e) for k, e in taps):
        return DensityCondition(hole_free(net, axis), True, tuple(taps))
    import sympy

    conds, order = [], []
    reach: Any = 0
    for i, (k, e) in enumerate(taps):
        conds.append(sympy.Le(A.to_sympy(e), 1 + A.to_sympy(reach)))
        if i:
            order.append(sympy.Le(A.to_sympy(taps[i - 1][1]), A.to_sympy(e)))
        reach = A.add(reach, A.mul(A.add(k, -1), e))
    return DensityCondition(sympy.And(*conds), sympy.And(*order), tuple(taps))
