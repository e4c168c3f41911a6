"""``rfsym table``: the per-layer receptive-field table of a network."""

from __future__ import annotations

import argparse
import json

from ..io._graphbuild import global_paths
from ..io._loaders import add_passthrough_argument, load_model_spec
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
  rfsym table mypkg.nets:build --input 224 --passthrough 'blocks.*.attn'

columns: n = features on the axis, j = jump (input pixels between adjacent
features), r = receptive field, start = centre of the first feature's
receptive field (input pixel centres at 0.5, 1.5, ... with --origin 0.5),
P = effective padding (Araujo et al., Distill 2019).  An imported model with
global operations (squeeze-and-excitation gates, attention, a pooled head)
gets a line 'global: ...': every unit also sees the whole input, and the
table is the local receptive field of the paths that avoid them.
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = command_parser(sub, "table", HELP, EPILOG, run)
    add_spec_argument(p)
    add_input_argument(p)
    add_convention_argument(p)
    add_origin_argument(p)
    add_format_argument(p, ["text", "json", "markdown", "latex"])
    add_passthrough_argument(p)


def run(args: argparse.Namespace) -> int:
    if args.passthrough:
        net = load_model_spec(args.spec, args.input, args.passthrough)
    else:
        net = load_network(args.spec, args.input)
    table = net.table(input=args.input, convention=args.convention, origin=args.origin)
    info = global_paths(net)
    fmt = args.format
    if fmt == "json":
        if info is None:
            emit(table.to_json())
        else:
            emit(json.dumps({**table.to_dict(), "global": info.to_dict()}, indent=2))
    elif fmt == "markdown":
        emit(_with_note(table.to_markdown(), info, "\n"))
    elif fmt == "latex":
        emit(_with_note(table.to_latex(), info, "% "))
    else:
        emit(_with_note(table.to_text(), info))
    return 0


def _with_note(text: str, info: object, prefix: str = "") -> str:
    """The table, then the 'global:' line of an imported model with global operations."""
    if info is None:
        return text
    return text.rstrip("\n") + "\n" + prefix + info.note()  # type: ignore[attr-defined]
