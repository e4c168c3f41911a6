"""Checkerboards: how the number of paths into a unit depends on its phase (Odena et al., Distill 2016).

Transposed convolutions and upsampling make a unit's counts depend on its index
modulo a period (:mod:`rfsym.coverage.spread`).  When the *total* number of
paths into a unit changes with the phase, the overlap is uneven: with all
weights 1 the layer's output alternates in strength, the checkerboard artifact.

A single transposed convolution (kernel k, stride s, dilation d) has even
overlap exactly when ``gcd(d, s) = 1`` and ``s`` divides ``k``: output phase φ
reads the taps ``t < k`` with ``t d ≡ φ + pL (mod s)``; for ``gcd(d, s) = g > 1``
the phases off the multiples of g read nothing, and for ``g = 1`` the map
``t ↦ t d mod s`` is a bijection on residues, so the phases read ``floor(k/s)``
or ``ceil(k/s)`` taps.  Nearest upsampling is always even; bilinear upsampling by
an odd factor reads one input at the middle phase and two elsewhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..errors import RfsymError
from ..graph import Graph
from ..network import Network
from ._engine import linear_reads
from ._geometry import Step, default_layer, plan
from .spread import phase_moments

__all__ = ["Checkerboard", "LayerPhases", "checkerboard"]


@dataclass(frozen=True)
class LayerPhases:
    """One transposed convolution or upsampling alone: inputs read by each output phase."""

    layer: str
    reads: tuple[int, ...]

    @property
    def even(self) -> bool:
        return len(set(self.reads)) == 1


@dataclass(frozen=True)
class Checkerboard:
    """Paths into a unit of ``layer`` by phase on one axis (away from the borders)."""

    axis: int
    layer: str
    period: int
    paths: tuple[int, ...]
    layers: tuple[LayerPhases, ...]

    @property
    def even(self) -> bool:
        return len(set(self.paths)) == 1

    def describe(self) -> str:
        if self.even:
            return f"even overlap along axis {self.axis}: every unit has {self.paths[0]} paths"
        vals = ", ".join(str(p) for p in self.paths)
        verb = "alternate" if self.period == 2 else f"cycle (period {self.period}) through"
        return f"uneven overlap (checkerboard): paths per unit {verb} {vals} along axis {self.axis}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "axis": self.axis,
            "layer": self.layer,
            "period": self.period,
            "paths": list(self.paths),
            "even": self.even,
            "layers": [{"layer": lp.layer, "reads": list(lp.reads), "even": lp.even} for lp in self.layers],
        }


def layer_reads(st: Step) -> tuple[int, ...] | None:
    """Input units each output phase of a transposed convolution or upsampling reads; None for other kinds."""
    if st.kind == "scatter":
        return tuple(sum(1 for t in range(st.k) if (phi + st.pl - t * st.d) % st.s == 0) for phi in range(st.s))
    if st.kind == "linear":
        return tuple(len(linear_reads(st.s * 4 + phi, st.s, None)) for phi in range(st.s))
    return None


def checkerboard(net: Network | Graph, layer: str | None = None, axis: int | None = None) -> tuple[Checkerboard, ...]:
    """Per axis: the paths into a unit of ``layer`` (default: the output) for each phase, and each
    transposed convolution / upsampling on the way with the inputs its own phases read."""
    if not isinstance(net, (Network, Graph)):
        raise RfsymError(f"checkerboards need an rfsym Network or Graph (got {type(net).__name__})")
    layer = default_layer(net) if layer is None else layer
    nd = net.ndim or 1
    axes = range(nd) if axis is None else [axis]
    out = []
    for ax in axes:
        if not isinstance(ax, int) or not 0 <= ax < nd:
            raise RfsymError(f"{net.name}: axis {ax!r} does not exist (the network has {nd} axes)")
        pm = phase_moments(net, layer, ax)
        mine = []
        for st in plan(net, layer, ax, None):
            got = layer_reads(st)
            if got is not None and st.s > 1:
                mine.append(LayerPhases(st.name, got))
        out.append(Checkerboard(ax, layer, pm.period, pm.mass, tuple(mine)))
    return tuple(out)


def even_transposed(k: int, s: int, d: int = 1) -> bool:
    """The closed-form condition: a transposed convolution has even overlap iff gcd(d, s) = 1 and s | k."""
    return math.gcd(d, s) == 1 and k % s == 0
