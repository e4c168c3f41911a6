"""rfsym: symbolic receptive-field arithmetic for convolutional networks."""

from .closed_form import ClosedForms, derive
from .errors import RfsymError
from .io.onnx import from_onnx  # imports onnx only when called
from .io.spec import load, loads
from .io.torch import from_torch  # imports torch only when called
from .graph import Graph
from .layers import AxisState, Conv, ConvTranspose, Identity, Pool, Repeat, Upsample
from .network import Network, Table
from .printing.latex import derivation, latex
from .simplify import simplify
from .solve import SolveResult, Target, solve
from .verify import VerifyReport, verify  # imports torch only when called

__version__ = "0.1.0"

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
    "derive",
    "derivation",
    "from_onnx",
    "from_torch",
    "latex",
    "load",
    "loads",
    "simplify",
    "solve",
    "verify",
]
