"""The ``rfsym`` command line.

Each sub-command lives in ``rfsym/commands/<name>.py`` with ``register(subparsers)``
and ``run(args) -> int``.  Errors in the user's input (``RfsymError``) print one
line on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .errors import RfsymError

__all__ = ["main"]

#: Sub-commands, in the order ``rfsym --help`` lists them.
COMMANDS = ["table", "derive", "solve", "verify", "export", "plot"]

DESCRIPTION = """\
Symbolic receptive-field arithmetic for convolutional networks.

For every layer of a network rfsym computes the number of features n, the
jump j, the receptive field r, the centre `start` of the first feature's
receptive field and the effective padding P -- exactly, for numbers and for
symbols alike.
"""

EPILOG = """\
examples:
  rfsym table alexnet                      the seed blog post's AlexNet table
  rfsym table vgg16 --format markdown      VGG-16 (torchvision) as Markdown
  rfsym table my_net.toml --input n        symbolic input size
  rfsym table alexnet --format json | jq .layers[-1].r

SPEC is a TOML spec file (see docs/spec.md) or a built-in name.
Exit status: 0 on success, 2 on bad input (message on stderr).
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="rfsym",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"rfsym {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(f"rfsym.commands.{name}").register(sub)
    return parser


def _show_warning(message: Warning | str, category: type[Warning], *_: object, **__: object) -> None:
    """Warnings (e.g. misaligned branches) as one plain line on stderr."""
    print(f"rfsym: warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    import warnings

    warnings.showwarning = _show_warning  # type: ignore[assignment]
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.run(args))
    except RfsymError as e:
        print(f"rfsym: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("rfsym: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
