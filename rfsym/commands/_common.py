"""Helpers shared by sub-commands: arguments, loading SPEC|NAME, writing output."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

from .._display import term_text
from .._files import write_stdout
from ..errors import RfsymError
from ..io._loaders import LOADERS
from ..io.spec import load


def command_parser(
    sub: argparse._SubParsersAction, name: str, help: str, epilog: str, run: Callable[[argparse.Namespace], int]
) -> argparse.ArgumentParser:
    """The sub-command ``name``: its help line, description, examples (kept as written) and ``run``."""
    p = sub.add_parser(
        name, help=help, description=help, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.set_defaults(run=run)
    return p


def add_format_argument(p: argparse.ArgumentParser, formats: list[str]) -> None:
    p.add_argument("--format", choices=formats, default=formats[0], help=f"output format (default {formats[0]})")


def add_spec_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "spec",
        metavar="SPEC|NAME",
        help="a TOML spec file, a built-in network name (alexnet, vgg16, ...), an ONNX file, or "
        "package.module:factory (imports and runs that Python module; a spec file never runs code)",
    )


def add_input_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--input",
        metavar="N",
        help="input size: a number, a symbol (n) or one per axis (96,80); default: the spec's 'input'",
    )


def add_convention_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--convention",
        choices=["framework", "seed"],
        default="framework",
        help="padding semantics: framework (PyTorch/ONNX, default) or seed (the blog program's left-padding rule)",
    )


def add_origin_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--origin",
        choices=["0.5", "0"],
        default="0.5",
        help="coordinate of the first input pixel's centre (default 0.5)",
    )


def load_network(spec: str, input: Any = None) -> Any:
    """A TOML spec file or built-in name; ONNX files and ``module:factory`` through their loaders."""
    for matches, loader in LOADERS:
        if matches(spec):
            return loader(spec, input)
    return load(spec)


def emit(text: str) -> None:
    """Write ``text`` and a final newline on stdout, control characters other than newline and tab escaped.

    JSON output is ASCII already (``json.dumps`` escapes the rest) and LaTeX
    output escapes names itself, so this changes only what would act on a
    terminal.  A closed or full stdout is a one-line error (:func:`rfsym._files.write_stdout`).
    """
    write_stdout(term_text(text if text.endswith("\n") else text + "\n", keep="\n\t"))


def int_list(text: str, what: str) -> Any:
    """``--what``'s value: one integer, or a list of them for a comma-separated value (one per axis)."""
    parts = [t.strip() for t in str(text).split(",")]
    out = []
    for t in parts:
        try:
            out.append(int(t))
        except ValueError:
            raise RfsymError(
                f"--{what} must be an integer or a comma-separated list of integers (got {text!r})"
            ) from None
    return out[0] if len(out) == 1 else out


def check_plot_path(path: str, force: bool, exts: tuple[str, ...]) -> None:
    """Refuse a figure path with another extension, or an existing file without --force (before the work)."""
    ext = os.path.splitext(path)[1].lower()
    if ext not in exts:
        raise RfsymError(f"{path}: --plot must end in {', '.join(exts)}")
    if os.path.lexists(path) and not force:
        raise RfsymError(f"{path}: file exists (use --force to overwrite)")
