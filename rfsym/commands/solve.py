"""``rfsym solve``: layer configurations that meet receptive-field targets."""

from __future__ import annotations

import argparse
import gc
import sys
from dataclasses import replace
from typing import Any

from .._display import term_text
from .._files import write_stdout
from ..errors import RfsymError
from ._common import (
    add_convention_argument,
    add_input_argument,
    add_origin_argument,
    add_spec_argument,
    command_parser,
    emit,
    load_network,
)

HELP = "find every assignment of a network's free symbols meeting targets on n, j, r, start or P"
EPILOG = """\
targets (repeat --target; all must hold):
  r=224            equality                 r>=100, r<128, j<=16   inequalities
  n=5..9           range (inclusive)        conv3.r=99             at a named layer
  r=R              symbolic value (use with --unknown to keep other symbols symbolic)
  holes=0, dense   no holes inside the field (holes<=2 ...): checked on each solution of the others
  even             even overlap of transposed convolutions / upsampling (checkerboard=0)
  quantities: n, j, r, start, effective_padding (P); holes

examples:
  rfsym solve net.toml --target r=224
  rfsym solve template.toml --target r=99 --target j=16 --minimize sum_k2
  rfsym solve template.toml --target r=99 --target j=16 --count
  rfsym solve net.toml --target n=7 --exact --format json
  rfsym solve net.toml --target r=R --unknown k
  rfsym solve dilated.toml --target r=13 --target dense   every hole-free dilation schedule

The unknowns are the spec's free symbols, with domains from its [symbols]
table; every layer's output must be non-empty when the spec has an input size.
JSON output: {"solutions": [{symbol: value, ...}, ...], "count": N, ...};
count is null for infinite sets, which are described under "parametric".
Exit status: 0 on success (also when there is no solution), 2 on bad input.
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = command_parser(sub, "solve", HELP, EPILOG, run)
    add_spec_argument(p)
    p.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="Q=V",
        help="a target such as r=224, r>=100, conv3.r=99, n=5..9",
    )
    add_input_argument(p)
    p.add_argument("--at", metavar="LAYER", help="put targets without a layer name at this layer (default: the output)")
    p.add_argument(
        "--minimize",
        metavar="OBJ",
        choices=["depth", "sum_k2"],
        help="depth (layers that change j or r) or sum_k2 (sum of kernel areas)",
    )
    p.add_argument("--count", action="store_true", help="only count the solutions")
    p.add_argument(
        "--limit", type=int, default=1000, metavar="N", help="list at most N solutions (default 1000; 0: count only)"
    )
    p.add_argument("--exact", action="store_true", help="no layer drops input features (every division is exact)")
    p.add_argument(
        "--unknown",
        action="append",
        default=None,
        metavar="NAME",
        help="solve for this symbol only (repeatable); the others stay symbolic",
    )
    p.add_argument("--given", action="append", default=[], metavar="NAME=V", help="fix a symbol's value (repeatable)")
    p.add_argument("--axis", type=int, default=0, help="axis the targets refer to (default 0)")
    add_convention_argument(p)
    add_origin_argument(p)
    p.add_argument(
        "--format",
        choices=["text", "json", "latex"],
        default="text",
        help="output format (default text; latex: an align environment)",
    )


def _given(items: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        name, sep, val = item.partition("=")
        name, val = name.strip(), val.strip()
        if not sep or not name.isidentifier():
            raise RfsymError(f"--given {item!r}: expected NAME=INTEGER (e.g. --given k=3)")
        try:
            out[name] = int(val)
        except ValueError:
            raise RfsymError(f"--given {item!r}: {val!r} is not an integer") from None
    return out


def run(args: argparse.Namespace) -> int:
    from ..solver import parse_target_string, solve

    # Up to millions of small tuples are built: the objects that exist now (sympy, rfsym) need no
    # more garbage collection passes, and the listing makes no cycles.  Restored at the end (main()
    # may run in a longer process).
    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        return _run(args, parse_target_string, solve)
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def _run(args: argparse.Namespace, parse_target_string: Any, solve: Any) -> int:

    if not args.target:
        raise RfsymError("give at least one --target (e.g. --target r=224)")
    if args.limit < 0:
        raise RfsymError(f"--limit must be >= 0 (got {args.limit})")
    targets = []
    for text in args.target:
        if text.strip() in ("dense", "even") or text.strip().startswith(("holes", "dense=", "even=", "checkerboard")):
            targets.append(text)
            continue
        t = parse_target_string(text)
        if args.at and t.at is None:
            t = replace(t, at=args.at)
        targets.append(t)
    net = load_network(args.spec, args.input)
    progress = None
    if sys.stderr.isatty():

        def progress(msg: str) -> None:
            sys.stderr.write(f"\r\033[Ksolving {term_text(net.name)}: {msg}")
            sys.stderr.flush()

    try:
        res = solve(
            net,
            targets,
            unknowns=args.unknown,
            given=_given(args.given) or None,
            input=args.input,
            exact=args.exact,
            minimize=args.minimize,
            count=args.count or args.limit == 0,
            limit=args.limit,
            axis=args.axis,
            convention=args.convention,
            origin=args.origin,
            progress=progress,
        )
    finally:
        if progress is not None:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
    if args.format == "latex":
        from ..printing.latex import latex

        emit(latex(res, environment="align*"))
        return 0
    if args.format == "json":
        # json.dumps output is ASCII with control characters escaped: nothing for emit() to escape
        for chunk in res.json_chunks():
            write_stdout(chunk)
        write_stdout("\n")
        return 0
    emit(res.to_text())
    return 0
