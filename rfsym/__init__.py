"""rfsym: symbolic receptive-field arithmetic for convolutional networks."""

from .closed_form import ClosedForms, derive
from .errors import RfsymError
from .io.spec import load, loads
from .graph import Graph
from .layers import AxisState, Conv, ConvTranspose, Identity, Pool, Repeat, Upsample
from .network import Network, Table
from .printing.latex import derivation, latex
from .solve import SolveResult, Target, solve

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
    "derive",
    "derivation",
    "latex",
    "load",
    "loads",
    "solve",
]
