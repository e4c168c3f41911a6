"""The project's own checks run with the tests: ruff (lint and format) and mypy.

(compileall with -We::SyntaxWarning is in tests/test_latex.py.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *cmd], capture_output=True, text=True, cwd=ROOT)


def test_ruff_check():
    """ruff finds nothing (rules and their reasons in pyproject.toml)."""
    res = run("ruff", "check", ".")
    assert res.returncode == 0, res.stdout + res.stderr


def test_ruff_format():
    """The code is ruff-formatted."""
    res = run("ruff", "format", "--check", ".")
    assert res.returncode == 0, res.stdout + res.stderr


def test_mypy():
    """mypy passes on the package."""
    res = run("mypy", "rfsym")
    assert res.returncode == 0, res.stdout + res.stderr
