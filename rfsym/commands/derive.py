"""``rfsym derive``: closed forms of a network's output n, j, r, start and effective padding."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..errors import RfsymError
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
  rfsym derive net.toml --spread               also sigma^2 of the connection counts, hole-free condition

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
    p.add_argument(
        "--spread",
        action="store_true",
        help="also the variance sigma^2 of the output's connection counts (the effective receptive field with "
        "uniform weights) and the hole-free condition, in closed form (chains; docs/coverage.md)",
    )


def run(args: argparse.Namespace) -> int:
    from ..closed_form import derive  # sympy: loaded by derive only, so `rfsym table` of numbers never imports it

    if args.passthrough:
        net = load_model_spec(args.spec, args.input, args.passthrough)
    else:
        net = _common.load_network(args.spec, args.input)
    forms = derive(net, input=args.input, origin=args.origin)
    spread = _spread(net, forms.ndim) if args.spread else None
    if args.format == "json":
        if spread is None:
            _common.emit(forms.to_json())
        else:
            out = json.loads(forms.to_json())
            one = len(spread) == 1
            for key in ("variance", "hole_free", "hole_free_given"):
                vals = [s.to_dict()[key] for s in spread]
                out[key] = vals[0] if one else vals
            _common.emit(json.dumps(out, indent=2))
    elif args.format == "latex":
        _common.emit(forms.to_latex() + ("" if spread is None else "\n" + _spread_latex(spread)))
    else:
        text = forms.to_text()
        if spread is not None:
            text = text.rstrip("\n") + "\n" + "\n".join(_spread_text(s, len(spread) > 1) for s in spread)
        _common.emit(text)
    return 0


def _spread(net: Any, ndim: int) -> list[Any]:
    """σ² and the hole-free condition per axis (rfsym.coverage.spread), or a one-line error naming why not."""
    from ..coverage.spread import closed_forms
    from ..network import Network

    if not isinstance(net, Network):
        raise RfsymError(f"{net.name}: --spread needs a sequential network (rfsym coverage counts graphs)")
    return [closed_forms(net, ax) for ax in range(ndim)]


def _spread_text(s: Any, axes: bool) -> str:
    from .. import _arith as A

    where = f" (axis {s.axis})" if axes else ""
    return f"  sigma^2 = {A.fmt(s.variance)}{where}\n  hole-free {s.hole_free_text()}{where}"


def _spread_latex(spread: list[Any]) -> str:
    from .. import _arith as A
    from ..printing.latex import latex

    rows = [r"\sigma^{2}_{L} &= " + latex(A.to_sympy(s.variance)) for s in spread]
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"
