"""docs/gallery: the script builds every exhibit (real pdflatex and pdftoppm), and the committed PNGs are
not stale -- the SHA-256 of each generating .tex source must equal the one recorded next to the PNGs
(sources, not pixels, are compared: pixels differ across TeX installations)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "gallery.py"


def _gallery():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import gallery
    finally:
        sys.path.pop(0)
    return gallery


def test_committed_pngs_are_not_stale() -> None:
    """Every exhibit's source hashes to the recorded value and its PNG is committed (else: run the script)."""
    g = _gallery()
    assert g.check(g.GALLERY) == [], "stale gallery: run python scripts/gallery.py"
    names = {p.name for p in g.GALLERY.glob("*.png")}
    assert names == {f"{n}.png" for n in g.exhibits()}
    page = (ROOT / "docs" / "gallery.md").read_text(encoding="utf-8")
    assert all(f"(gallery/{n})" in page for n in names)


def test_the_script_builds_the_gallery(tmp_path: Path) -> None:
    """The script runs end to end (pdflatex + pdftoppm) and writes a PNG per exhibit and the same record;
    --check agrees and then fails once a source no longer matches."""
    g = _gallery()
    run = subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    for name in g.exhibits():
        assert (tmp_path / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / g.RECORD).read_text() == (g.GALLERY / g.RECORD).read_text()
    ok = subprocess.run([sys.executable, str(SCRIPT), "--check", "--out", str(tmp_path)], capture_output=True)
    assert ok.returncode == 0
    record = tmp_path / g.RECORD
    record.write_text(record.read_text().replace("0", "1", 1))
    stale = subprocess.run([sys.executable, str(SCRIPT), "--check", "--out", str(tmp_path)], capture_output=True)
    assert stale.returncode == 1 and b"stale" in stale.stderr
