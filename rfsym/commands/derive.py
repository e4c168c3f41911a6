"""``rfsym derive``: closed forms of a network's output n, j, r, start and effective padding."""

from __future__ import annotations

import argparse

from ..io._loaders import add_passthrough_argument, load_model_spec
from . import _common

HELP = "closed forms of the output's n, j, r, start and effective padding"
EPILOG = """\
examples:
  rfsym derive alexnet                         n as a function of the input size n
  rfsym derive net.toml --format latex         LaTeX (align*) of the five forms
  rfsym derive net.toml --input 224 --format json
  rfsym derive resnet50 --format json          a graph: every node's forms, each merge's conditions
  rfsym derive mypkg.nets:build --passthrough 'blocks.*.attn'

Symbols in the spec stay symbols; the input defaults to the spec's input when
it is symbolic, else to a symbol n.  Closed forms use the framework padding
convention (left padding as declared); JSON values are exact strings in sympy
syntax (integers as integers), one entry per axis for N-D specs.  Graphs with
branches add "output", "conditions", "merges" (sizes, alignment, the input
that provably dominates, any Max/Min kept) and "nodes" (every node's forms).
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = _common.command_parser(sub, "derive", HELP, EPILOG, run)
    _common.add_spec_argument(p)
    _common.add_input_argument(p)
    _common.add_origin_argument(p)
    _common.add_format_argument(p, ["text", "json", "latex"])
    add_passthrough_argument(p)


def run(args: argparse.Namespace) -> int:
    from ..closed_form import derive  # sympy: loaded by derive only, so `rfsym table` of numbers never imports it

    if args.passthrough:
        net = load_model_spec(args.spec, args.input, args.passthrough)
    else:
        net = _common.load_network(args.spec, args.input)
    forms = derive(net, input=args.input, origin=args.origin)
    if args.format == "json":
        _common.emit(forms.to_json())
    elif args.format == "latex":
        _common.emit(forms.to_latex())
    else:
        _common.emit(forms.to_text())
    return 0
