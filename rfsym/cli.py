"""The ``rfsym`` command line.

Each sub-command lives in ``rfsym/commands/<name>.py`` with ``register(subparsers)``
and ``run(args) -> int``.  Exit status and stderr:

* 0 on success;
* 2 on bad input: one line ``rfsym: error: ...`` (an argument error adds one
  ``usage:`` line before it), also when the output cannot be written
  (standard output closed, disk full);
* 141 and nothing on stderr when the reader of the output went away (broken
  pipe, as ``rfsym table vgg16 | head -1``), as Unix tools killed by SIGPIPE;
* 1 with one line ``rfsym: internal error: ...`` for a bug in rfsym
  (``RFSYM_TRACEBACK=1`` shows the traceback);
* 130 on Ctrl-C.

Control characters in messages (and in text written to the terminal) are
escaped, so a name from a spec file cannot move the cursor or forge lines.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings
from collections.abc import Sequence
from typing import NoReturn

from . import __version__
from ._display import term_text
from ._files import silence_stdout, write_stdout
from .errors import RfsymError

__all__ = ["main"]

#: Sub-commands, in the order ``rfsym --help`` lists them.
COMMANDS = ["table", "derive", "solve", "verify", "export", "plot", "coverage", "erf"]

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

#: Exit status after a broken pipe (128 + SIGPIPE, what a shell reports for `yes | head -1`).
EXIT_PIPE = 141


class _Parser(argparse.ArgumentParser):
    """argparse with errors as one usage line and one error line (exit 2)."""

    def short_usage(self) -> str:
        positionals = [
            a.metavar if isinstance(a.metavar, str) else a.dest
            for a in self._actions
            if not a.option_strings and a.help is not argparse.SUPPRESS
        ]
        args = " ".join(f"{p} ..." if p == "COMMAND" else str(p) for p in positionals)
        return f"usage: {self.prog} [options] {args} (see {self.prog} --help)".replace("  ", " ")

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.short_usage()}\n{_line(f'{self.prog}: error: {message}')}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="rfsym",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"rfsym {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(f"rfsym.commands.{name}").register(sub)
    return parser


def _show_warning(message: Warning | str, category: type[Warning], *_: object, **__: object) -> None:
    """Warnings (e.g. misaligned branches) as one plain line on stderr."""
    _say(f"rfsym: warning: {message}")


#: Longest message printed (a message quoting a huge expression is cut, not flooded).
MAX_MESSAGE = 2000


def _line(text: str) -> str:
    """``text`` as one terminal-safe line, cut at MAX_MESSAGE characters."""
    line = term_text(text)
    if len(line) > MAX_MESSAGE:
        line = line[: MAX_MESSAGE - 30] + f"... ({len(line) - MAX_MESSAGE + 30} more characters)"
    return line


def _say(text: str) -> None:
    """One line on stderr (see _line); silent when stderr is gone."""
    try:
        print(_line(text), file=sys.stderr, flush=True)
    except (OSError, AttributeError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``rfsym`` with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    warnings.showwarning = _show_warning  # type: ignore[assignment]
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.error(f"give a command ({', '.join(COMMANDS)})")
    try:
        status = int(args.run(args))
        if sys.stdout is not None:  # flush what is buffered: a failure is an error of this run, not of the exit
            write_stdout("")
        return status
    except RfsymError as e:
        _say(f"rfsym: error: {e}")
        return 2
    except BrokenPipeError:
        silence_stdout()
        return EXIT_PIPE
    except OSError as e:
        silence_stdout()
        where = f"{e.filename}: " if e.filename else "cannot write to standard output: "
        _say(f"rfsym: error: {where}{e.strerror or e}")
        return 2
    except KeyboardInterrupt:
        _say("rfsym: interrupted")
        return 130
    except Exception as e:
        if os.environ.get("RFSYM_TRACEBACK"):
            raise
        _say(f"rfsym: internal error: {type(e).__name__}: {e} (a bug in rfsym; RFSYM_TRACEBACK=1 shows where)")
        return 1


def entry() -> NoReturn:
    """The ``rfsym`` program (``python -m rfsym`` and the installed script): :func:`main`, then exit at once.

    Tearing down the interpreter (freeing sympy's caches and modules) costs about a sixth of a short run
    such as a solver listing, so the process ends with ``os._exit`` once both output streams are flushed.
    Every file rfsym writes is closed by then (``_files.write_file``); a failing flush of standard output
    is an error of this run (status 2), as in :func:`main`."""
    try:
        status = main()
    except SystemExit as e:  # argparse: --help, --version, usage errors (already printed)
        status = e.code if isinstance(e.code, int) else 0 if e.code is None else 2
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            if stream is sys.stdout:
                silence_stdout()
                status = status or 2
    os._exit(status)


if __name__ == "__main__":  # pragma: no cover
    entry()
