"""Importing rfsym stays light: numeric tables never import sympy, and nothing imports torch/onnx/matplotlib."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
import rfsym
from rfsym.cli import main
import io, contextlib
with contextlib.redirect_stdout(io.StringIO()):
    main(["table", "alexnet"])
heavy = [m for m in ("sympy", "torch", "onnx", "matplotlib", "numpy") if m in sys.modules]
print(",".join(heavy))
"""


def test_numeric_table_imports_nothing_heavy():
    """`rfsym table alexnet` runs on plain ints and Fractions: no sympy, torch, onnx, matplotlib or numpy."""
    res = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == ""


def test_all_is_the_contract():
    """Every name in rfsym.__all__ exists."""
    import rfsym

    for name in rfsym.__all__:
        assert hasattr(rfsym, name), name
