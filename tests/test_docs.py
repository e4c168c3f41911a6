"""Every worked example in docs/*.md and README.md runs and shows what it claims.

* ```python blocks run in order, one namespace per file; they check their own
  results with ``assert``.
* ```console blocks hold ``$ rfsym ...`` commands followed by their exact
  output; each command is run and its stdout compared line by line.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.S | re.M)


def blocks(path: Path, lang: str) -> list[str]:
    return [body for kind, body in FENCE.findall(path.read_text(encoding="utf-8")) if kind == lang]


@pytest.mark.parametrize("path", [p for p in DOCS if blocks(p, "python")], ids=lambda p: p.name)
def test_python_blocks(path, tmp_path, monkeypatch):
    """The file's python blocks run without error (their asserts hold)."""
    monkeypatch.chdir(tmp_path)
    ns: dict = {"__name__": f"docs_{path.stem}"}
    for i, code in enumerate(blocks(path, "python")):
        try:
            exec(compile(code, f"{path.name}[block {i}]", "exec"), ns)  # noqa: S102 - our own docs
        except Exception as e:  # pragma: no cover - the message is the point
            raise AssertionError(f"{path.name} block {i} failed: {type(e).__name__}: {e}\n{code}") from e


def console_cases():
    for path in DOCS:
        for i, body in enumerate(blocks(path, "console")):
            cmd, out = None, []
            for line in body.splitlines() + ["$ "]:
                if line.startswith("$ "):
                    if cmd:
                        yield pytest.param(path, cmd, "\n".join(out), id=f"{path.name}-{i}-{cmd[:30]}")
                    cmd, out = line[2:].strip(), []
                else:
                    out.append(line)


@pytest.mark.parametrize("path, cmd, expected", list(console_cases()))
def test_console_blocks(path, cmd, expected):
    """Each `$ rfsym ...` command prints exactly the output shown under it."""
    argv = shlex.split(cmd)
    assert argv[0] == "rfsym", f"{path.name}: only rfsym commands are run ({cmd})"
    res = subprocess.run([sys.executable, "-m", "rfsym", *argv[1:]], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    assert res.stdout.rstrip("\n") == expected.rstrip("\n")
