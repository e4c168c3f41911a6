"""``rfsym table``: the per-layer receptive-field table of a network."""

from __future__ import annotations

import argparse
import json

from ..io._graphbuild import global_paths
from ..io._loaders import add_passthrough_argument, load_model_spec
from ..printing.units import parse_units
from ._common import (
    add_convention_argument,
    add_format_argument,
    add_input_argument,
    add_origin_argument,
    add_spec_argument,
    command_parser,
    emit,
    load_network,
)
from .export import add_units_arguments

HELP = "per-layer table of n, j, r, start and effective padding"
EPILOG = """\
examples:
  rfsym table alexnet                          the seed post's AlexNet table
  rfsym table alexnet --convention seed        exactly the seed program's numbers
  rfsym table vgg16 --input 96,80 --origin 0   2-D input, index coordinates
  rfsym table net.toml --input n --format json symbolic input size, exact JSON
  rfsym table mypkg.nets:build --input 224 --passthrough 'blocks.*.attn'
  rfsym table wav2vec2_feature_encoder         j, r and start in ms (the spec's 16 kHz)
  rfsym table net.toml --spacing 0.5mm         j, r and start in mm (0.5 mm per input pixel)
  rfsym table vgg16 --show-pass-through        also the ReLU rows (hidden by default)

columns: n = features on the axis, j = jump (input pixels between adjacent
features), r = receptive field, start = centre of the first feature's
receptive field (input pixel centres at 0.5, 1.5, ... with --origin 0.5),
P = effective padding (Araujo et al., Distill 2019).  An imported model with
global operations (squeeze-and-excitation gates, attention, a pooled head)
gets a line 'global: ...': every unit also sees the whole input, and the
table is the local receptive field of the paths that avoid them.

Pass-through layers (activations, normalisation, dropout: they change no
value) are not rows of the text, Markdown and LaTeX tables, as in 'rfsym
export'; a line says how many were left out.  JSON keeps every layer and
marks them "pass_through": true.  With --sample-rate or --spacing (default:
the spec's own sample_rate) j, r and start are in ms, mm, ...; kernels,
strides, paddings, n and P stay in input samples or pixels; JSON keeps the
sample values and adds "in_units" (docs/conventions.md).
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = command_parser(sub, "table", HELP, EPILOG, run)
    add_spec_argument(p)
    add_input_argument(p)
    add_convention_argument(p)
    add_origin_argument(p)
    add_format_argument(p, ["text", "json", "markdown", "latex"])
    add_passthrough_argument(p)
    add_units_arguments(p)
    p.add_argument(
        "--show-pass-through",
        dest="pass_through",
        action="store_true",
        help="show pass-through layers (ReLU, batch norm, dropout) as rows (JSON always has them)",
    )


def run(args: argparse.Namespace) -> int:
    if args.passthrough:
        net = load_model_spec(args.spec, args.input, args.passthrough)
    else:
        net = load_network(args.spec, args.input)
    units = parse_units(args.sample_rate, args.spacing, net)  # checked before the table is built
    table = net.table(input=args.input, convention=args.convention, origin=args.origin)
    info = global_paths(net)
    fmt = args.format
    view = {"units": units, "pass_through": args.pass_through}
    if fmt == "json":
        data = table.to_dict(units=units)
        emit(json.dumps(data if info is None else {**data, "global": info.to_dict()}, indent=2))
    elif fmt == "markdown":
        emit(_with_note(table.to_markdown(**view), info, "\n"))
    elif fmt == "latex":
        emit(_with_note(table.to_latex(**view), info, "% "))
    else:
        emit(_with_note(table.to_text(**view), info))
    return 0


def _with_note(text: str, info: object, prefix: str = "") -> str:
    """The table, then the 'global:' line of an imported model with global operations."""
    if info is None:
        return text
    return text.rstrip("\n") + "\n" + prefix + info.note()  # type: ignore[attr-defined]
