"""``rfsym coverage``: exact connection counts of one unit (paths from each input pixel), holes and spread."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from ..errors import RfsymError
from ._common import (
    add_format_argument,
    add_spec_argument,
    check_plot_path,
    command_parser,
    emit,
    int_list,
    load_network,
)

HELP = "exact connection counts of one unit: paths from each input pixel, holes, spread"
EPILOG = """\
examples:
  rfsym coverage net.toml                      the output unit 0, infinite line (no borders)
  rfsym coverage resnet152 --axis 0 --unit 3   one axis of ResNet-152's unit 3
  rfsym coverage net.toml --input 64 --unit 10 borders clip every feature map
  rfsym coverage net.toml --layer conv3 --format json

counts[i] is the number of paths from input pixel offset + i to the unit:
with all weights 1 and linear activations, the gradient of the unit with
respect to that pixel (max pooling counts as average pooling of the same
geometry).  holes are pixels inside the box (first..last reached pixel) with
count 0; "dense" means none.  mean and variance read the counts as a
distribution over pixels; the effective size is the narrowest run of pixels
holding --mass of the paths.  With transposed convolutions or upsampling the
paths into a unit depend on its phase; uneven overlap (the checkerboard) is
reported.  A chain with symbols gets its closed forms instead: sigma^2,
the centre of the counts and the hole-free condition.  --holes-only skips the
counting (bit masks: a 1000-layer stack in milliseconds).  See docs/coverage.md.
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = command_parser(sub, "coverage", HELP, EPILOG, run)
    add_spec_argument(p)
    p.add_argument("--layer", metavar="L", help="the layer (node) whose unit is counted (default: the output)")
    p.add_argument("--unit", metavar="I", default="0", help="the unit's index: one, or one per axis (3,5); default 0")
    p.add_argument(
        "--input",
        metavar="N",
        help="input size (one, or one per axis): the borders clip every feature map; default: the infinite line",
    )
    p.add_argument("--axis", metavar="A", help="only this axis (default: every axis)")
    p.add_argument("--mass", default="0.95", help="mass of the effective size (default 0.95)")
    p.add_argument(
        "--holes-only",
        action="store_true",
        help="only the reached pixels and holes, without counting paths (bit masks: fast on very long stacks)",
    )
    p.add_argument(
        "--interpolation",
        action="store_true",
        help="bilinear upsampling passes its interpolation weights (exact fractions) instead of counting connections",
    )
    p.add_argument(
        "--nd", action="store_true", help="also the exact N-D counts (graphs: merges make them non-separable)"
    )
    p.add_argument("--plot", metavar="FILE", help="also draw the counts: .png or .pdf (matplotlib) or .tex (pgfplots)")
    p.add_argument("--kind", choices=["counts", "holes"], default="counts", help="what --plot draws (default counts)")
    p.add_argument("--force", action="store_true", help="overwrite an existing --plot file")
    add_format_argument(p, ["text", "json"])


def run(args: argparse.Namespace) -> int:
    from ..coverage import counts, parse_mass

    net = load_network(args.spec, args.input)
    unit = int_list(args.unit, "unit")
    inp = int_list(args.input, "input") if args.input is not None else None
    axis = int_list(args.axis, "axis") if args.axis is not None else None
    if isinstance(axis, list):
        raise RfsymError(f"--axis takes one axis (got {args.axis!r})")
    mass = parse_mass(args.mass)
    if args.plot is not None:
        check_plot_path(args.plot, args.force, (".png", ".pdf", ".tex"))
        if args.nd and args.plot.lower().endswith(".tex"):
            raise RfsymError(
                f"{args.plot}: the pgfplots picture draws the axes' counts; leave out --nd or write .png/.pdf"
            )
    if any(lay.free_symbols for lay in net.layers):
        return _symbolic(net, axis, args)
    if args.nd and axis is not None:
        raise RfsymError("--nd counts every axis; leave out --axis")
    if args.holes_only:
        return _holes_only(net, unit, inp, axis, args)
    cov = counts(net, layer=args.layer, unit=unit, input=inp, axis=axis, interpolation=args.interpolation)
    nd = None
    if args.nd:
        from ..coverage import counts_nd

        nd = counts_nd(net, layer=args.layer, unit=unit, input=inp, interpolation=args.interpolation)
    if args.plot is not None:
        write_plot(args.plot, nd if nd is not None and len(nd.shape) == 2 else cov, args.kind, args.force)
    boards = _phases(net, cov.layer, [a.axis for a in cov.axes])
    if args.format == "json":
        d = cov.to_dict(mass)
        for a in d["axes"]:
            a["phases"] = boards[a["axis"]].to_dict() if a["axis"] in boards else None
        if nd is not None:
            d["nd"] = nd.to_dict()
        emit(json.dumps(d, indent=2))
    else:
        text = cov.to_text(mass)
        for ax in sorted(boards):
            text += "\n" + boards[ax].describe() + " (units away from the borders)"
        if nd is not None:
            box = " x ".join(f"{o}..{o + n - 1}" for o, n in zip(nd.offset, nd.shape)) or "nothing"
            text += f"\nN-D: pixels {box}, {nd.total} paths, " + ("dense" if nd.dense else f"{nd.n_holes} holes")
        elif not cov.separable and len(cov.axes) > 1:
            text += "\n(merges: the N-D counts are not the product of the axes'; --nd computes them)"
        emit(text)
    return 0


def _symbolic(net: Any, axis: Any, args: argparse.Namespace) -> int:
    """A chain with symbols: σ², the centre and the hole-free condition in closed form."""
    from ..coverage.spread import closed_forms
    from ..network import Network

    if not isinstance(net, Network):
        raise RfsymError(f"{net.name}: a graph with symbols has no closed-form counts; substitute numbers")
    for flag in ("layer", "input", "plot"):
        if getattr(args, flag) is not None:
            raise RfsymError(f"{net.name}: --{flag} needs numbers (the network has symbols: closed forms only)")
    axes = range(net.ndim or 1) if axis is None else [axis]
    forms = [closed_forms(net, ax) for ax in axes]
    if args.format == "json":
        emit(json.dumps({"name": net.name, "closed_forms": [f.to_dict() for f in forms]}, indent=2))
    else:
        emit("\n".join(f.to_text() for f in forms))
    return 0


def _holes_only(net: Any, unit: Any, inp: Any, axis: Any, args: argparse.Namespace) -> int:
    from .._display import term_text
    from ..coverage import holes

    for flag in ("nd", "plot", "interpolation"):
        if getattr(args, flag):
            raise RfsymError(f"--holes-only does not count paths; leave out --{flag.replace('_', '-')}")
    from ..coverage._geometry import default_layer

    sup = holes(net, layer=args.layer, unit=unit, input=inp, axis=axis)
    layer = args.layer if args.layer is not None else default_layer(net)
    if args.format == "json":
        emit(json.dumps({"name": net.name, "layer": layer, "axes": [a.to_dict() for a in sup]}, indent=2))
        return 0
    lines = [f"{term_text(net.name)}: pixels reached by layer {term_text(layer)!r} (holes only, no counts)"]
    for a in sup:
        lines.extend(a.text_lines())
    emit("\n".join(lines))
    return 0


def write_plot(path: str, cov: Any, kind: str, force: bool) -> None:
    from .._files import write_file
    from ..coverage.plot import counts_figure, counts_pgfplots, figure_bytes

    ext = os.path.splitext(path)[1].lower()
    if ext == ".tex":
        write_file(path, counts_pgfplots(cov), force=force)
    else:
        write_file(path, figure_bytes(counts_figure(cov, kind), ext[1:]), force=force)


def _phases(net: Any, layer: str, axes: list[int]) -> dict[int, Any]:
    """The checkerboard of each axis whose units have more than one phase (transposed conv, upsampling)."""
    from ..coverage.phases import checkerboard

    out = {}
    for ax in axes:
        try:
            (cb,) = checkerboard(net, layer, ax)
        except RfsymError:  # branches of different jumps: no phases to report
            continue
        if cb.period > 1:
            out[ax] = cb
    return out
