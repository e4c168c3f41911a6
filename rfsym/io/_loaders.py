"""SPEC strings for PyTorch factories (``package.module:factory``) and ONNX files.

Used by :func:`rfsym.commands._common.load_network` (through :data:`LOADERS`);
nothing here imports torch or onnx until a loader runs.

A factory SPEC **imports and runs the user's Python code** (the module's
top level, then ``factory()``), with the current directory importable; a TOML
spec or an ONNX file never runs code.  Whatever that code does wrong --
raises, calls ``sys.exit``, returns something that is not a
``torch.nn.Module`` -- becomes one :class:`~rfsym.errors.RfsymError` line.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from pathlib import Path
from typing import Any

from .._display import term_text
from ..errors import RfsymError
from ._base import one_line, require
from .onnx import from_onnx
from .torch import from_torch

__all__ = [
    "add_passthrough_argument",
    "is_factory",
    "is_onnx",
    "load_factory",
    "load_model_spec",
    "load_onnx_spec",
    "load_torch_spec",
]

_FACTORY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$")


def is_onnx(spec: str) -> bool:
    return str(spec).lower().endswith(".onnx")


def is_factory(spec: str) -> bool:
    return bool(_FACTORY.match(str(spec))) and not Path(spec).exists()


def load_factory(spec: str) -> Any:
    """Import ``package.module`` and call ``factory()``; the result must be a ``torch.nn.Module``."""
    if not is_factory(spec):
        raise RfsymError(f"{spec}: not a factory path of the form package.module:factory")
    mod_name, attr = spec.split(":")
    torch = require("torch")  # before the user's module, which would fail on its own 'import torch'
    cwd = os.getcwd()
    added = cwd not in sys.path
    if added:
        sys.path.insert(0, cwd)
    try:
        try:
            mod = importlib.import_module(mod_name)
        except ImportError as e:
            raise RfsymError(f"{spec}: cannot import module {mod_name!r} ({one_line(e)})") from None
        except SystemExit as e:
            raise RfsymError(f"{spec}: importing {mod_name!r} called sys.exit({e.code!r})") from None
        except Exception as e:  # noqa: BLE001 - the user's module failed while importing
            raise RfsymError(f"{spec}: importing {mod_name!r} raised {type(e).__name__}: {one_line(e)}") from None
    finally:
        if added and cwd in sys.path:
            sys.path.remove(cwd)
    if not hasattr(mod, attr):
        raise RfsymError(f"{spec}: module {mod_name!r} has no attribute {attr!r}")
    factory = getattr(mod, attr)
    if not callable(factory):
        raise RfsymError(f"{spec}: {attr!r} is not callable (got {type(factory).__name__})")
    try:
        model = factory()
    except SystemExit as e:
        raise RfsymError(f"{spec}: calling {attr}() called sys.exit({e.code!r})") from None
    except Exception as e:  # noqa: BLE001 - one line instead of the factory's traceback
        raise RfsymError(f"{spec}: calling {attr}() raised {type(e).__name__}: {one_line(e)}") from None
    if not isinstance(model, torch.nn.Module):
        raise RfsymError(f"{spec}: {attr}() returned a {type(model).__name__}, not a torch.nn.Module")
    return model


def parse_cli_input(input: Any, spec: str, required: bool) -> Any:
    """``"224"`` → 224, ``"96,80"`` → (96, 80); symbols are not allowed for real models."""
    if input is None:
        if required:
            raise RfsymError(f"{spec}: a PyTorch model needs --input (one size or one per axis, e.g. 224 or 96,80)")
        return None
    if isinstance(input, (int, tuple, list)):
        return input
    parts = [p.strip() for p in str(input).split(",")]
    try:
        vals = [int(p) for p in parts]
    except ValueError:
        raise RfsymError(f"{spec}: --input must be integers for an imported model (got {input!r})") from None
    if any(v < 1 for v in vals):
        raise RfsymError(f"{spec}: --input must be positive (got {input!r})")
    return vals[0] if len(vals) == 1 else tuple(vals)


def load_torch_spec(spec: str, input: Any = None, passthrough: Any = ()) -> Any:
    size = parse_cli_input(input, spec, required=True)
    model = load_factory(spec)
    return from_torch(model, size, name=spec.split(":")[1], passthrough=passthrough)


def load_onnx_spec(spec: str, input: Any = None, passthrough: Any = ()) -> Any:
    return from_onnx(spec, parse_cli_input(input, spec, required=False), passthrough=passthrough)


PASSTHROUGH_HELP = (
    "PyTorch and ONNX models: treat the modules (ONNX: nodes) with this path or pattern as pass-through, "
    "e.g. 'head.attn' or '*.se' (repeatable)"
)


def add_passthrough_argument(p: Any) -> None:
    """``--passthrough PATTERN`` (repeatable), for every command that loads a SPEC."""
    p.add_argument("--passthrough", metavar="PATTERN", action="append", default=[], help=PASSTHROUGH_HELP)


def load_model_spec(spec: str, input: Any, passthrough: Any) -> Any:
    """A PyTorch factory or ONNX SPEC imported with ``passthrough``; other SPECs have no modules to pass."""
    for matches, loader in LOADERS:
        if matches(spec):
            return loader(spec, input, passthrough)
    raise RfsymError(f"{term_text(spec)}: --passthrough applies to PyTorch factories and ONNX files only")


#: (predicate, loader) pairs, tried in order by :func:`rfsym.commands._common.load_network`.
LOADERS = [(is_onnx, load_onnx_spec), (is_factory, load_torch_spec)]
