"""Helpers shared by sub-commands: loading SPEC|NAME, writing output."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import RfsymError

#: Loaders for SPEC strings that are not TOML specs (ONNX files, ``module:factory``):
#: list of (predicate(spec) -> bool, loader(spec, input) -> Network).
SPEC_LOADERS: list[Any] = []
from ..io._loaders import LOADERS as _IMPORT_LOADERS  # noqa: E402 - ONNX files and package.module:factory (lazy)

SPEC_LOADERS.extend(_IMPORT_LOADERS)


def add_spec_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "spec", metavar="SPEC|NAME", help="a TOML spec file or a built-in network name (alexnet, vgg16, ...)"
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
    for matches, loader in SPEC_LOADERS:
        if matches(spec):
            return loader(spec, input)
    from ..io.spec import load

    return load(spec)


def emit(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def fail(msg: str) -> RfsymError:
    return RfsymError(msg)
