"""rfsym: symbolic receptive-field arithmetic for convolutional networks.

The light core (layers, networks, tables, specs) is imported eagerly; the
parts that need sympy, torch or onnx load on first use, so that
``rfsym table`` on a numeric spec never imports them.
"""

from importlib import import_module
from typing import Any

from .errors import RfsymError
from .graph import Graph
from .io.spec import load, loads
from .layers import AxisState, Conv, ConvTranspose, Identity, Pool, Repeat, Upsample
from .network import Network, Table

__version__ = "0.1.0"

#: Public names loaded on first use: name -> module.
_LAZY = {
    "ClosedForms": ".closed_form",
    "derive": ".closed_form",
    "simplify": ".simplification",
    "latex": ".printing.latex",
    "derivation": ".printing.latex",
    "SolveResult": ".solver",
    "Target": ".solver",
    "solve": ".solver",
    "from_onnx": ".io.onnx",
    "from_keras": ".io.keras",
    "from_torch": ".io.torch",
    "VerifyReport": ".verification",
    "verify": ".verification",
    "coverage": ".coverage",
}

__all__ = [
    "AxisState",
    "ClosedForms",
    "Conv",
    "ConvTranspose",
    "Graph",
    "Identity",
    "Network",
    "Pool",
    "Repeat",
    "RfsymError",
    "SolveResult",
    "Table",
    "Target",
    "Upsample",
    "VerifyReport",
    "coverage",
    "derive",
    "derivation",
    "from_keras",
    "from_onnx",
    "from_torch",
    "latex",
    "load",
    "loads",
    "simplify",
    "solve",
    "verify",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'rfsym' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
