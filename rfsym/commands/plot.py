"""``rfsym plot``: the receptive-field figure of one layer (PDF, PNG or TikZ), or r and j across layers."""

from __future__ import annotations

import argparse
import os
from fractions import Fraction

from .._files import write_file
from ..errors import RfsymError
from ..plot import close_figure, figure_bytes, layers_figure, rf_figure
from ..printing.tikz import tikz_figure
from ..printing.units import parse_units
from ._common import add_convention_argument, add_input_argument, add_origin_argument, add_spec_argument, load_network
from .export import add_figure_arguments, add_units_arguments, document, figure_options

HELP = "draw the receptive fields of a layer's features (PDF, PNG or TikZ), or r and j across layers"
EPILOG = """\
examples:
  rfsym plot alexnet --layer conv2 -o conv2.pdf            the seed post's picture (matplotlib)
  rfsym plot alexnet --layer pool5 -o pool5.tex            the same picture as a TikZ fragment
  rfsym plot alexnet --layer conv2 -o fig.tex --standalone a complete document around it
  rfsym plot tiny.toml --layer c2 --feature 0,0 --feature 1,2 -o c2.png
  rfsym plot vgg16 --kind layers -o vgg16-rj.png           r and j after every layer

The picture: input pixels (blue), padding cells (dashed), the centres of the
layer's features (green) and the receptive fields of the chosen features
(orange; default the first and the last).  Features are 0-based (row, column).
Centres between input pixels (a pooled or upsampled grid) are white rings, and
a legend says so (j = 1/2: two features per input pixel).  An N-D network
whose axes differ is drawn as one strip per group of equal axes (--per-axis
asks for it, --dims 2 for one picture); a network that upsamples also shows
its first upsampled layer unless --layer is given.
Files are written atomically, as regular files only (a symbolic link, FIFO or
device at the path is refused, even with --force) with the umask's permissions;
an existing file is kept unless --force is given.
Whatever the model, at most 16 feature centres per axis are drawn (evenly
spaced; the caption or title says so).  Limit: at most 2^24 input pixels and
features per axis; larger ones are refused before drawing.  PNG and PDF need matplotlib
(pip install 'rfsym[plot]').
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "plot", help=HELP, description=HELP, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_spec_argument(p)
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="fig.pdf, fig.png or fig.tex (TikZ)")
    p.add_argument(
        "--layer",
        metavar="NAME",
        help="the layer whose features are drawn (default: the deepest layer with two or more features per axis)",
    )
    p.add_argument(
        "--feature", action="append", metavar="ROW,COL", help="a feature whose receptive field is drawn (repeatable)"
    )
    p.add_argument(
        "--kind",
        choices=["rf", "layers"],
        default="rf",
        help="rf: the receptive-field picture (default); layers: r and j across layers",
    )
    p.add_argument("--width", default="6cm", help="TikZ picture width (default 6cm)")
    add_figure_arguments(p)
    p.add_argument("--standalone", action="store_true", help="for .tex: a complete article document around the picture")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    add_input_argument(p)
    add_convention_argument(p)
    add_origin_argument(p)
    add_units_arguments(p)
    p.set_defaults(run=run)


def _features(items: list[str] | None) -> list[int | tuple[int, ...]] | None:
    """--feature values: ROW,COL (one index per drawn axis; per network axis in a per-axis figure), or one
    index standing for every axis."""
    if not items:
        return None
    out: list[int | tuple[int, ...]] = []
    for item in items:
        parts = [x.strip() for x in item.split(",")]
        try:
            vals = [int(x) for x in parts]
        except ValueError:
            raise RfsymError(f"--feature {item!r}: expected ROW,COL (0-based integers) or one index") from None
        if not 1 <= len(vals) <= 16:
            raise RfsymError(f"--feature {item!r}: expected ROW,COL (0-based integers) or one index")
        out.append(vals[0] if len(vals) == 1 else tuple(vals))
    return out


def run(args: argparse.Namespace) -> int:
    ext = os.path.splitext(args.output)[1].lower()
    if ext not in (".pdf", ".png", ".tex"):
        raise RfsymError(f"{args.output}: the output must end in .pdf, .png or .tex")
    if os.path.lexists(args.output) and not args.force:
        raise RfsymError(f"{args.output}: file exists (use --force to overwrite)")
    if ext == ".tex" and args.kind != "rf":
        raise RfsymError("--kind layers draws with matplotlib: write a .pdf or .png")
    net = load_network(args.spec, args.input)
    options = {"input": args.input, "convention": args.convention, "origin": Fraction(args.origin)}
    feats = _features(args.feature)
    units = parse_units(args.sample_rate, args.spacing, net)
    options.update(figure_options(args))
    if ext == ".tex":
        text = tikz_figure(
            net, args.layer, feats, width=args.width, units=units, upsampled=args.layer is None, **options
        )
        write_file(args.output, document(text) if args.standalone else text, force=args.force)
        return 0
    if args.kind == "layers":
        fig = layers_figure(
            net, units=units, **{k: v for k, v in options.items() if k in ("input", "convention", "origin")}
        )
    else:
        if args.layer is None:  # a network that upsamples also shows its first upsampled layer
            options["upsampled"] = True
        fig = rf_figure(net, args.layer, feats, units=units, **options)
    try:
        data = figure_bytes(fig, ext[1:])
    finally:
        close_figure(fig)
    write_file(args.output, data, force=args.force)
    return 0
