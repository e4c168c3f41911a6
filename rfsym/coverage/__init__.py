"""Inside the receptive field: exact connection counts, holes, spread and phases of one unit.

``rfsym.coverage(net, layer=None, unit=0, input=None, axis=None)`` counts, for
one unit and each axis, the paths from every input pixel to the unit: for a
chain the coefficients of ``prod_l sum_{i<k_l} z^(d_l i J_{l-1})``, shifted by
the padding; with an input size the borders clip every feature map (padding
carries nothing); merges add their branches' counts; transposed convolutions
and upsampling make the counts depend on the unit's phase.  With all weights 1
and linear activations the counts are the gradient of the unit with respect
to the input (pooling counts as a window of ones: max pooling as average
pooling of the same geometry).  See ``docs/coverage.md``.

The module is callable: ``rfsym.coverage(net)`` is :func:`counts`.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from ..errors import RfsymError
from ..graph import Graph, Merge
from ..network import Network
from . import _engine as E
from ._geometry import default_layer, plan
from ._propagate import check_limits, propagate
from .nd import CoverageND, propagate_nd
from .result import AxisCoverage, AxisSupport, Coverage, parse_mass

__all__ = [
    "AxisCoverage",
    "AxisSupport",
    "Coverage",
    "CoverageND",
    "axis_counts",
    "counts",
    "counts_nd",
    "coverage",
    "holes",
    "parse_mass",
]


#: Most axes a unit may have here.
MAX_AXES = 8


def _ndim(net: Network | Graph, *given: Any) -> int:
    """The layers' number of axes; for scalar layers, the length of a per-axis input, unit or declared input."""
    if net.ndim is not None:
        return net.ndim
    for v in given:
        if isinstance(v, str) and "," in v:
            return len(v.split(","))
        if isinstance(v, (list, tuple)):
            return len(v)
    return 1


def _axes(net: Network | Graph, axis: Any, nd: int) -> list[int]:
    if axis is None:
        return list(range(nd))
    if isinstance(axis, bool) or not isinstance(axis, int) or not 0 <= axis < nd:
        raise RfsymError(
            f"{net.name}: axis {axis!r} does not exist (the network has {nd} axis{'es' if nd > 1 else ''})"
        )
    return [axis]


def _per_axis(value: Any, what: str, nd: int, where: str) -> tuple[Any, ...]:
    if isinstance(value, (list, tuple)):
        if len(value) != nd:
            raise RfsymError(f"{where}: {what} has {len(value)} entries but the network has {nd} axes")
        return tuple(value)
    return (value,) * nd


def _inputs(net: Network | Graph, input: Any, nd: int) -> tuple[int | None, ...]:
    if input is None:
        return (None,) * nd
    if isinstance(input, str):
        input = [v.strip() for v in input.split(",")] if "," in input else input.strip()
    vals = _per_axis(input, "input", nd, net.name)
    out = []
    for v in vals:
        if isinstance(v, str) and v.strip().isdigit():
            v = int(v)
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise RfsymError(f"{net.name}: input must be a positive integer per axis for connection counts (got {v!r})")
        out.append(v)
    return tuple(out)


def _unit(net: Network | Graph, unit: Any, layer: str, n_out: int | None, axis: int) -> int:
    if isinstance(unit, bool) or not isinstance(unit, int):
        raise RfsymError(f"{net.name}: unit must be an integer (got {unit!r})")
    if n_out is not None and not 0 <= unit < n_out:
        raise RfsymError(
            f"{layer}: unit {unit} does not exist on axis {axis} (the layer has {n_out} units: 0..{n_out - 1})"
        )
    return unit


def _prepare(
    net: Any, layer: Any, unit: Any, input: Any, axis: Any
) -> tuple[str, list[tuple[int, int, Any, int | None]], tuple[int | None, ...]]:
    if not isinstance(net, (Network, Graph)):
        raise RfsymError(f"connection counts need an rfsym Network or Graph (got {type(net).__name__})")
    nd = _ndim(net, input, unit, net.input)
    if nd > MAX_AXES:
        raise RfsymError(f"{net.name}: {nd} axes; connection counts take at most {MAX_AXES}")
    axes = _axes(net, axis, nd)
    inputs = _inputs(net, input, nd)
    units = _per_axis(unit, "unit", nd, net.name)
    if layer is None:
        layer = default_layer(net)
    elif not isinstance(layer, str):
        raise RfsymError(f"{net.name}: layer must be a layer name (got {layer!r})")
    out = []
    for ax in axes:
        steps = plan(net, layer, ax, inputs[ax])
        u = _unit(net, units[ax], layer, steps[-1].n_out, ax)
        out.append((ax, u, steps, inputs[ax]))
    return layer, out, inputs


def counts(
    net: Network | Graph,
    layer: str | None = None,
    unit: Any = 0,
    input: Any = None,
    axis: int | None = None,
    interpolation: bool = False,
) -> Coverage:
    """Exact connection counts of ``unit`` of ``layer`` (default: the output) on each axis (or one ``axis``).

    ``input``: an input size (one, or one per axis) clips every feature map at
    its borders; without it the axes are the infinite line (every unit has its
    full window, as in the receptive-field tables).  ``unit``: one index, or one
    per axis.  ``interpolation``: bilinear upsampling passes its interpolation
    weights (exact Fractions; then the counts are the gradient of the all-ones
    model) instead of counting its connections.  Refuses (before the work) a
    propagation above :data:`~rfsym.coverage._propagate.MAX_COUNT_WORK` additions.
    """
    layer, todo, inputs = _prepare(net, layer, unit, input, axis)
    axes = []
    for ax, u, steps, _ in todo:
        check_limits(steps, u, False, f"{net.name} (axis {ax})")
        lo, vals = propagate(steps, u, E.WEIGHTED if interpolation else E.COUNTS)
        axes.append(AxisCoverage(ax, u, lo if vals else None, len(vals), tuple(_exact(c) for c in vals)))
    merges = any(isinstance(st.layer, Merge) for _, _, steps, _ in todo for st in steps)
    return Coverage(net.name, layer, inputs, tuple(axes), separable=not merges)


def axis_counts(
    net: Network | Graph, layer: str | None = None, unit: Any = 0, input: Any = None, axis: int = 0
) -> AxisCoverage:
    """The counts of one axis (:func:`counts` for ``axis``)."""
    return counts(net, layer, unit, input, axis)[axis]


def holes(
    net: Network | Graph, layer: str | None = None, unit: Any = 0, input: Any = None, axis: int | None = None
) -> tuple[AxisSupport, ...]:
    """The pixels each axis of ``unit`` reaches, without counting paths: box, holes, ``dense``, largest gap.

    Bit masks instead of counts, so a 1000-layer dilated stack takes milliseconds;
    the same arguments as :func:`coverage`.  The API for hole-free targets
    (``all(a.dense for a in holes(net))``).
    """
    _, todo, _ = _prepare(net, layer, unit, input, axis)
    out = []
    for ax, u, steps, _ in todo:
        check_limits(steps, u, True, f"{net.name} (axis {ax})")
        lo, mask = propagate(steps, u, E.SUPPORT)
        out.append(AxisSupport(ax, u, lo if mask else None, mask.bit_length(), mask))
    return tuple(out)


def _exact(c: Any) -> Any:
    """A Fraction that is an integer as an int."""
    return c.numerator if getattr(c, "denominator", 1) == 1 and not isinstance(c, int) else c


def counts_nd(
    net: Network | Graph, layer: str | None = None, unit: Any = 0, input: Any = None, interpolation: bool = False
) -> CoverageND:
    """Exact N-D counts of ``unit`` (one index per axis, or one for all): for graphs whose merges make the
    per-axis counts non-separable (for chains they are the outer product of :func:`counts`' axes).
    ``interpolation`` as in :func:`counts`."""
    layer, todo, inputs = _prepare(net, layer, unit, input, None)
    plans = [steps for _, _, steps, _ in todo]
    units = tuple(u for _, u, _, _ in todo)
    offset, cnt = propagate_nd(plans, units, net.name, interpolation)
    return CoverageND(net.name, layer, units, inputs, offset, cnt)


class _CallableModule(types.ModuleType):
    """``rfsym.coverage`` is both this package and its main function."""

    def __call__(self, *args: Any, **kwargs: Any) -> Coverage:
        return counts(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
#: ``rfsym.coverage`` (the lazy public name) is this module; calling it calls :func:`counts`.
coverage = sys.modules[__name__]
