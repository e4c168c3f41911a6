"""Render docs/img/latex-page.png: one page of rfsym exports compiled with pdflatex, rasterised by pdftoppm.

Run from the repository root: ``python derivations/_build/latex_page.py`` (needs pdflatex and pdftoppm).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from rfsym import Conv, Network, Pool, latex, load, loads, solve
from rfsym.commands.export import document
from rfsym.printing.tikz import tikz_figure

OUT = Path(__file__).resolve().parents[2] / "docs" / "img" / "latex-page.png"

TEMPLATE = """
input = 64
[symbols]
k = { min = 1, max = 9 }
s = { choices = [1, 2, 3] }
[[layers]]
name = "conv1"
kind = "conv"
kernel = "k"
stride = "s"
[[layers]]
name = "conv2"
kind = "conv"
kernel = 3
stride = 2
"""


def body() -> str:
    alexnet = load("alexnet")
    stack = Network(
        [Conv(kernel="k_1", stride="s", name="conv1"), Conv(kernel=3, padding="p_left", name="conv2"), Pool(kernel=2)],
        input="n_in",
        name="stack",
    )
    seed = Network(
        [Conv(kernel=3, stride=2, padding=1, name="c1"), Conv(kernel=3, stride=2, padding=1, name="c2")],
        input=5,
        name="seed",
    )
    parts = [
        alexnet.table().to_latex(label="tab:alexnet", placement="h"),
        r"\noindent The output of \texttt{stack}, with the nested floors folded:",
        latex(stack, environment="align", label="eq:stack"),
        r"\noindent Kernels and strides of a two-layer template with receptive field 11:",
        latex(solve(loads(TEMPLATE), r=11), environment="align", label="eq:solutions"),
        r"\begin{center}" + tikz_figure(seed, "c2", width="3.6cm") + r"\\[2pt]\small The seed post's example: receptive "
        r"fields (orange) of size 7 in a $5\times 5$ input padded by 1.\end{center}",
    ]  # fmt: skip
    return "\n".join(parts)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "page.tex").write_text(document(body()), encoding="utf-8")
        subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "page.tex"],
            cwd=tmp,
            check=True,
            capture_output=True,
        )
        subprocess.run(
            ["pdftoppm", "-png", "-r", "90", "-f", "1", "-l", "1", "-singlefile", "page.pdf", "page"],
            cwd=tmp,
            check=True,
        )
        OUT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(Path(tmp, "page.png"), OUT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
