"""``rfsym table``: the per-layer receptive-field table of a network."""

from __future__ import annotations

import argparse

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

HELP = "per-layer table of n, j, r, start and effective padding"
EPILOG = """\
examples:
  rfsym table alexnet                          the seed post's AlexNet table
  rfsym table alexnet --convention seed        exactly the seed program's numbers
  rfsym table vgg16 --input 96,80 --origin 0   2-D input, index coordinates
  rfsym table net.toml --input n --format json symbolic input size, exact JSON

columns: n = features on the axis, j = jump (input pixels between adjacent
features), r = receptive field, start = centre of the first feature's
receptive field (input pixel centres at 0.5, 1.5, ... with --origin 0.5),
P = effective padding (Araujo et al., Distill 2019).
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = command_parser(sub, "table", HELP, EPILOG, run)
    add_spec_argument(p)
    add_input_argument(p)
    add_convention_argument(p)
    add_origin_argument(p)
    add_format_argument(p, ["text", "json", "markdown", "latex"])


def run(args: argparse.Namespace) -> int:
    net = load_network(args.spec, args.input)
    table = net.table(input=args.input, convention=args.convention, origin=args.origin)
    fmt = args.format
    if fmt == "json":
        emit(table.to_json())
    elif fmt == "markdown":
        emit(table.to_markdown())
    elif fmt == "latex":
        emit(table.to_latex())
    else:
        emit(table.to_text())
    return 0
