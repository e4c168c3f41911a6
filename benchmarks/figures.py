"""Receptive-field figures as a user makes them: ``rfsym plot`` (TikZ and PNG), then pdflatex.

Issue 14, figures: what the new pictures cost against the one picture they extend, measured in the same run.

* U-Net: the default plot (the output ``head`` and the first upsampled layer ``up4``, rings between pixels)
  against ``--layer head`` (one picture);
* a 3-D network whose axes differ: the default per-axis strips against ``--dims 2`` (one picture of two axes);
* ResNet-152 and wav2vec 2.0 at 16 kHz (1 s and 10 s: past TeX's 16384 pt, coordinates in units of 10 px).

Each TikZ file is compiled with pdflatex (``--standalone``); times are wall-clock, best of three.
Run: ``python benchmarks/figures.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VIDEO = """
name = "video3d"
input = [16, 64, 64]
[[layers]]
name = "c1"
kind = "conv"
kernel = [3, 7, 7]
stride = [1, 2, 2]
padding = [1, 3, 3]
[[layers]]
name = "c2"
kind = "conv"
kernel = 3
stride = [2, 1, 1]
padding = 1
"""


def _best(cmd: list[str], cwd: str, repeat: int = 3) -> float:
    t_best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, env=os.environ)
        t_best = min(t_best, time.perf_counter() - t)
    return t_best


def _case(tmp: str, name: str, args: list[str]) -> tuple[float, float, float]:
    """(CLI to .tex, pdflatex, CLI to .png) seconds for ``rfsym plot args``."""
    rfsym = [sys.executable, "-m", "rfsym", "plot", *args, "--force"]
    t_tex = _best([*rfsym, "-o", f"{name}.tex", "--standalone"], tmp)
    t_pdf = _best(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"], tmp)
    t_png = _best([*rfsym, "-o", f"{name}.png"], tmp)
    return t_tex, t_pdf, t_png


def main() -> None:
    if not shutil.which("pdflatex"):
        print("figures: pdflatex not found, skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "video.toml").write_text(VIDEO)
        pairs = [
            ("U-Net: head + up4 (default)", "unet2", ["unet"], "U-Net: --layer head", "unet1", ["unet", "--layer", "head"]),
            ("3-D per-axis strips (default)", "v2", ["video.toml"], "3-D --dims 2", "v1", ["video.toml", "--dims", "2"]),
        ]  # fmt: skip
        for new, n_new, a_new, old, n_old, a_old in pairs:
            tn, pn, gn = _case(tmp, n_new, a_new)
            to, po, go = _case(tmp, n_old, a_old)
            print(f"{new:34s} tex {tn * 1000:6.0f} ms, pdflatex {pn * 1000:6.0f} ms, png {gn * 1000:6.0f} ms")
            print(f"{old:34s} tex {to * 1000:6.0f} ms, pdflatex {po * 1000:6.0f} ms, png {go * 1000:6.0f} ms")
            print(f"  ratio new/old: tex {tn / to:.2f}x, pdflatex {pn / po:.2f}x, png {gn / go:.2f}x")
        for label, name, args in [
            ("ResNet-152", "r152", ["resnet152"]),
            ("wav2vec 2.0, 1 s at 16 kHz", "w1", ["wav2vec2_feature_encoder"]),
            ("wav2vec 2.0, 10 s at 16 kHz", "w10", ["wav2vec2_feature_encoder", "--input", "160000"]),
        ]:
            t, p, g = _case(tmp, name, args)
            print(f"{label:34s} tex {t * 1000:6.0f} ms, pdflatex {p * 1000:6.0f} ms, png {g * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
