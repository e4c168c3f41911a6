"""One pdflatex run, for the checks that compile rfsym's LaTeX (the tests, ``scripts/gallery.py``).

rfsym itself never runs TeX; this is the one place that does, so that every compile check runs pdflatex
the same way (``-interaction=nonstopmode -halt-on-error``, in the document's directory, bounded time)
and measures its CPU time the same way (the children's user + system time).
"""

from __future__ import annotations

import resource
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .._files import write_file

__all__ = ["PdflatexRun", "run_pdflatex"]


@dataclass(frozen=True)
class PdflatexRun:
    """What one run left: its exit status, its standard output, its log and its CPU seconds."""

    returncode: int
    stdout: str
    log: str
    cpu_seconds: float

    @property
    def errors(self) -> list[str]:
        """The log's error lines (they start with ``!``)."""
        return [ln for ln in self.log.splitlines() if ln.startswith("!")]


def run_pdflatex(directory: Path | str, name: str, text: str | None = None, timeout: float = 120) -> PdflatexRun:
    """Compile ``<directory>/<name>.tex`` (first written from ``text`` when given) with pdflatex.

    Raises ``subprocess.TimeoutExpired`` after ``timeout`` seconds; the log is empty when pdflatex wrote none.
    """
    directory = Path(directory)
    if text is not None:
        write_file(str(directory / f"{name}.tex"), text, force=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    log_path = directory / f"{name}.log"
    log = log_path.read_text(encoding="latin-1") if log_path.exists() else ""
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return PdflatexRun(proc.returncode, proc.stdout, log, cpu)
