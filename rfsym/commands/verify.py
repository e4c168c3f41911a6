"""``rfsym verify``: compare rfsym's receptive fields of a PyTorch model with its gradients."""

from __future__ import annotations

import argparse
import json

from ..errors import RfsymError
from ..io._loaders import add_passthrough_argument, is_factory, is_onnx, load_factory, parse_cli_input
from ..verification import verify
from ._common import emit

HELP = "check a PyTorch or ONNX model's receptive fields against its own gradients (ONNX: forward passes)"
EPILOG = """\
examples:
  rfsym verify mypkg.models:build_net                  picks inputs that hold the field
  rfsym verify mypkg.models:build_net --input 224
  rfsym verify mypkg.models:build_net --input 96,80 --format json
  rfsym verify mypkg.models:build_net --passthrough 'blocks.*.attn'

SPEC is package.module:factory, a callable returning a torch.nn.Module
(the current directory is importable), or an ONNX file (run by onnxruntime:
forward passes, bisection over perturbed input slabs).  rfsym imports and runs that Python
module and calls the factory: give only code you trust (a TOML spec never
runs code).  Limit: the model runs on at most 2048 x 2048 input pixels.  The model is copied in
float64 with positive constant weights, max-pooling replaced by average pooling and saturating
activations uncapped; global operations (squeeze-and-excitation pooling, attention) are detached
for the local field and checked separately.  The gradients of the first, centre and last output
unit and of two units inside the input are compared, per axis, with rfsym's boxes (clipped to the
input), and rfsym's output size with the model's.  Each of n, r, j and start is reported as
checked, only bounded (every box reaches outside the input) or not checkable.  Without --input,
each axis is measured on an input that holds two units' fields (the other axes kept small).

exit status: 0 when everything agrees, 1 on a mismatch, 2 on bad input.
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "verify", help=HELP, description=HELP, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "spec",
        metavar="SPEC",
        help="package.module:factory (a callable returning a torch.nn.Module; rfsym imports and runs that module) "
        "or an ONNX file",
    )
    p.add_argument(
        "--input",
        metavar="N",
        default=None,
        help="input size: one number or one per axis (96,80); default: per axis, one that holds the field",
    )
    add_passthrough_argument(p)
    p.add_argument("--format", choices=["text", "json"], default="text", help="output format (default text)")
    p.add_argument("--strict", action="store_true", help="a mismatch is an error (exit 2, message on stderr)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    size = None if args.input in (None, "auto") else parse_cli_input(args.input, args.spec, required=True)
    if is_onnx(args.spec):
        report = verify(args.spec, size, strict=args.strict, passthrough=args.passthrough)
    elif is_factory(args.spec):
        model = load_factory(args.spec)
        report = verify(model, size, strict=args.strict, passthrough=args.passthrough, name=args.spec.split(":")[1])
    else:
        raise RfsymError(f"{args.spec}: verify needs a PyTorch model given as package.module:factory or an ONNX file")
    emit(json.dumps(report.to_dict(), indent=2) if args.format == "json" else report.to_text())
    return 0 if report.ok else 1
