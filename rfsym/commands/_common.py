"""Helpers shared by sub-commands: loading SPEC|NAME, writing output, terminal-safe text."""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from ..io._loaders import LOADERS
from ..io.spec import load


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


#: Characters that act on a terminal or split a line: C0/C1 controls, DEL, line and
#: paragraph separators, bidirectional overrides and isolates, lone surrogates.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
#: The same without tab and newline, for multi-line output.
_UNSAFE_MULTILINE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\e"}


def _escape(m: re.Match[str]) -> str:
    c = m.group()
    if c in _NAMED:
        return _NAMED[c]
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


def terminal_safe(text: str, multiline: bool = False) -> str:
    """``text`` with control characters written as escapes (``\\n``, ``\\e``, ``\\x07``, ``\\u202e``).

    ``multiline`` keeps newlines and tabs (output of several lines).
    """
    return (_UNSAFE_MULTILINE if multiline else _UNSAFE).sub(_escape, text)


def emit(text: str) -> None:
    """Write ``text`` and a final newline on stdout, control characters other than newline and tab escaped.

    JSON output is ASCII already (``json.dumps`` escapes the rest) and LaTeX
    output escapes names itself, so this changes only what would act on a terminal.
    """
    sys.stdout.write(terminal_safe(text if text.endswith("\n") else text + "\n", multiline=True))
