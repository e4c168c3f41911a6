"""``rfsym erf``: the empirical effective receptive field of a PyTorch model (mean gradient magnitude)."""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import RfsymError
from ._common import add_format_argument, check_plot_path, command_parser, emit, int_list

HELP = "empirical effective receptive field of a PyTorch model: mean gradient magnitude of one output unit"
EPILOG = """\
examples:
  rfsym erf mymodels:resnet --input 224                 16 noise samples, float64
  rfsym erf mymodels:resnet --input 3,224,224 --samples 50 --progress
  rfsym erf mymodels:resnet --input 224 --format json   area ratios as JSON

The model comes from package.module:factory (imports and runs that module).
The unit is the centre of the first output tensor (summed over its channels)
unless --unit is given; the scores are |d unit / d input| summed over the
input channels and averaged over the samples.  The area ratios are RepLKNet's
(smallest centred square holding more than 20/30/50/99 % of log10(score + 1));
--raw uses the scores themselves.  See docs/coverage.md.
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = command_parser(sub, "erf", HELP, EPILOG, run)
    p.add_argument("spec", metavar="MODULE:FACTORY", help="package.module:factory returning a torch.nn.Module")
    p.add_argument("--input", metavar="N", required=True, help="input size: N, one per axis (224,224) or C,H,W")
    p.add_argument(
        "--samples", type=int, default=16, help="random inputs averaged (default 16; with --images: at most)"
    )
    p.add_argument("--unit", metavar="I", help="output unit index, one or one per axis (default: the centre)")
    p.add_argument("--seed", type=int, default=0, help="seed of the noise (default 0)")
    p.add_argument("--float32", action="store_true", help="run in float32 (default float64)")
    p.add_argument("--relu", action="store_true", help="ReLU on the unit and on the gradient, as RepLKNet does")
    p.add_argument("--raw", action="store_true", help="area ratios of the raw scores (default: log10(score + 1))")
    p.add_argument(
        "--progress",
        action="store_true",
        help="one line per sample on standard error (default when standard error is a terminal)",
    )
    p.add_argument("--images", metavar="DIR", help="average over the images of a folder instead of noise")
    p.add_argument("--inputs", metavar="FILE", help="average over tensors saved with torch.save (N, C, *sizes)")
    p.add_argument("--plot", metavar="FILE", help="also draw the ERF heatmap: .png or .pdf")
    p.add_argument("--force", action="store_true", help="overwrite an existing --plot file")
    add_format_argument(p, ["text", "json"])


def _tty() -> bool:
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def run(args: argparse.Namespace) -> int:
    from ..erf import erf
    from ..io._loaders import is_factory, load_factory

    if not is_factory(args.spec):
        raise RfsymError(f"{args.spec}: rfsym erf needs a PyTorch model as package.module:factory")
    unit = int_list(args.unit, "unit") if args.unit is not None else None
    if args.plot is not None:
        check_plot_path(args.plot, args.force, (".png", ".pdf"))
    if args.images is not None and args.inputs is not None:
        raise RfsymError("give --images or --inputs, not both")
    model = load_factory(args.spec)
    inputs = None
    if args.images is not None or args.inputs is not None:
        from ..erf import image_inputs, tensor_inputs
        from ..io.torch import parse_input_size

        if args.inputs is not None:
            inputs = tensor_inputs(args.inputs)
        else:
            sizes, chans = parse_input_size(model, args.input)
            inputs = image_inputs(args.images, sizes, chans, limit=args.samples)

    def progress(i: int, n: int) -> None:
        print(f"rfsym erf: sample {i}/{n}", file=sys.stderr, flush=True)

    res = erf(
        model,
        args.input,
        args.samples,
        unit=unit,
        inputs=inputs,
        dtype="float32" if args.float32 else "float64",
        seed=args.seed,
        relu=args.relu,
        progress=progress if args.progress or _tty() else None,
        name=args.spec,
    )
    emit(
        json.dumps(res.to_dict(log=not args.raw), indent=2) if args.format == "json" else res.to_text(log=not args.raw)
    )
    return 0
