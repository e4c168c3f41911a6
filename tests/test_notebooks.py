"""Every derivation notebook runs on a real Jupyter kernel without error.

The notebooks end with their own asserts: the derived result minus rfsym's
simplifies to 0, and it matches a brute-force count on random values.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbconvert.preprocessors import ExecutePreprocessor

DERIVATIONS = Path(__file__).resolve().parents[1] / "derivations"
NOTEBOOKS = sorted(DERIVATIONS.glob("*.ipynb"))


def test_notebooks_exist():
    """The closed-form notebooks are there (one layer, stack, repeated blocks, general L)."""
    names = {p.stem for p in NOTEBOOKS}
    assert {"one_layer", "stack_equivalent", "repeated_blocks", "general_L"} <= names


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path):
    """Execute the notebook top to bottom; any error (including a failed assert) fails the test."""
    nb = nbformat.read(path, as_version=4)
    assert nb.cells, f"{path.name} is empty"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and "assert" in code[-1].source, f"{path.name} must end with asserts"
    ExecutePreprocessor(timeout=900, kernel_name="python3").preprocess(nb, {"metadata": {"path": str(DERIVATIONS)}})
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"
    ]
    assert not errors
