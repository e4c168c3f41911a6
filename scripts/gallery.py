"""Build docs/gallery: the rendered PNG of each kind of LaTeX export, and the hashes of their sources.

Each exhibit is a complete document (the export preamble: amsmath, booktabs, tikz) written by rfsym's own
export functions, compiled with pdflatex and rendered with pdftoppm.  ``docs/gallery/SOURCES.sha256``
records the SHA-256 of every generating .tex source next to its PNG; ``--check`` regenerates the sources
only (no TeX needed) and fails when one differs from the record -- the PNGs are then stale
(``tests/test_gallery.py`` runs it in CI).

Run: ``python scripts/gallery.py`` (writes docs/gallery/*.png and SOURCES.sha256),
``python scripts/gallery.py --check``, or ``--out DIR`` to build elsewhere.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GALLERY = ROOT / "docs" / "gallery"
RECORD = "SOURCES.sha256"

REPEAT_SPEC = """
name = "blocks"
input = "N"
[symbols]
N = { min = 1 }
k = { min = 1 }
s = { min = 1 }
p = { min = 0 }
L = { min = 1 }
[[layers]]
name = "block"
kind = "repeat"
times = "L"
layers = [{ kind = "conv", kernel = "k", stride = "s", padding = "p" }]
"""

SOLVE_SPEC = """
name = "template"
input = "N"
[symbols]
N = { min = 1 }
[[layers]]
kind = "conv"
kernel = 3
stride = 4
[[layers]]
kind = "conv"
kernel = 3
stride = 4
"""


TEMPLATE_SPEC = """
input = 64
[symbols]
k = { min = 1, max = 9 }
s = { choices = [1, 2, 3] }
[[layers]]
kind = "conv"
kernel = "k"
stride = "s"
[[layers]]
kind = "conv"
kernel = 3
stride = 2
"""

REPEAT_SOLVE_SPEC = """
[symbols]
k = { min = 1 }
L = { min = 1 }
[[layers]]
name = "stage"
kind = "repeat"
times = "L"
layers = [{ kind = "conv", kernel = "k", stride = 2 }]
"""


def exhibits() -> dict[str, tuple[str, Callable[[], str]]]:
    """name -> (what it shows, a function returning the LaTeX body)."""
    from rfsym import Conv, Network, Pool, Upsample, derivation, latex, load, loads, solve
    from rfsym.commands.export import export_body
    from rfsym.printing.tikz import tikz_figure
    from rfsym.printing.units import parse_units

    seed = Network(
        [Conv(kernel=3, stride=2, padding=1, name="c1"), Conv(kernel=3, stride=2, padding=1, name="c2")],
        input=5,
        name="seed",
    )
    stack = Network(
        [Conv(kernel="k_1", stride="s", name="conv1"), Conv(kernel=3, padding="p_left", name="conv2"),
         Pool(kernel=2, name="pool")],
        input="n_in",
        name="stack",
    )  # fmt: skip
    nd = Network(
        [Conv(kernel=[3, 7, 7], stride=[1, 2, 2], padding=[1, 3, 3], name="c1"), Pool(kernel=[1, 2, 2], name="p1"),
         Conv(kernel=3, stride=[2, 1, 1], padding=1, name="c2")],
        input=[16, 64, 64],
        name="video3d",
    )  # fmt: skip
    return {
        "table-alexnet": ("the per-layer table (AlexNet)", lambda: load("alexnet").table().to_latex(label="tab:a")),
        "table-vgg16": (
            "a paper table: pass-through layers hidden (VGG-16)",
            lambda: load("vgg16").table().to_latex(label="tab:v"),
        ),
        "table-symbolic": (
            "a symbolic table at normal size, long cells named under it",
            lambda: (
                Network([Conv(kernel=f"k_{i}", stride=f"s_{i}", padding=f"p_{i}") for i in range(1, 5)], input="n")
                .table()
                .to_latex()
            ),
        ),
        "table-3d": ("an N-D table, one per group of equal axes", lambda: nd.table().to_latex()),
        "derivation-symbolic": ("a step-by-step derivation", lambda: derivation(stack, label="eq:s")),
        "derivation-repeat": (
            "a repeated block: its layers and the geometric sums",
            lambda: export_body(loads(REPEAT_SPEC), figure=False),
        ),
        "figure-seed": ("the seed post's picture", lambda: tikz_figure(seed, "c2", caption="The seed example.")),
        "figure-unet": ("a large model's figure, sampled (U-Net)", lambda: tikz_figure(load("unet"), label="fig:u")),
        "figure-upsampled": (
            "a fractional grid: centres between input pixels as rings (U-Net's first upsampled layer)",
            lambda: tikz_figure(load("unet"), "up4", label="fig:up"),
        ),
        "figure-fraction": (
            "a jump of 1/2 (upsampling past the input): two features per input pixel",
            lambda: tikz_figure(
                Network([Conv(kernel=3, padding=1, name="c"), Upsample(scale=2, name="up")], input=[6, 6], name="up2"),
                "up",
                label="fig:half",
            ),
        ),
        "figure-3d": (
            "an N-D model per axis: one strip per group of equal axes",
            lambda: tikz_figure(nd, label="fig:n"),
        ),
        "figure-audio": (
            "a 1-D model in milliseconds (wav2vec 2.0 at 16 kHz)",
            lambda: tikz_figure(load("wav2vec2_feature_encoder"), units=parse_units(sample_rate=16000), label="fig:w"),
        ),
        "solutions": (
            "solution sets: finite, infinite (a ray) and symbolic",
            lambda: "\n".join(
                latex(res, environment="align*")
                for res in (
                    solve(loads(SOLVE_SPEC), n=">=10"),
                    solve(loads(TEMPLATE_SPEC), r=">=7"),
                    solve(loads(REPEAT_SOLVE_SPEC), r="R", unknowns=["k"]),
                )
            ),
        ),
    }


def sources() -> dict[str, str]:
    """name -> the complete .tex document of each exhibit."""
    from rfsym.commands.export import document

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {name: document(make()) for name, (_, make) in exhibits().items()}


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record_text(texts: dict[str, str]) -> str:
    return "".join(f"{digest(t)}  {name}.png\n" for name, t in sorted(texts.items()))


def build(out: Path) -> None:
    """Compile every exhibit and render its first page as a cropped PNG; write the record."""
    if not shutil.which("pdflatex") or not shutil.which("pdftoppm"):
        raise SystemExit("gallery: needs pdflatex and pdftoppm")
    from rfsym.printing.pdflatex import run_pdflatex

    texts = sources()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in texts.items():
            page = text.replace("\\begin{document}", "\\pagestyle{empty}\n\\begin{document}")
            run = run_pdflatex(tmp, name, page)
            if run.returncode != 0:
                raise SystemExit(f"gallery: {name} does not compile:\n{run.stdout[-2000:]}")
            subprocess.run(
                ["pdftoppm", "-png", "-r", "90", "-f", "1", "-l", "1", "-singlefile", "-cropbox", f"{name}.pdf", name],
                cwd=tmp,
                check=True,
                timeout=60,
            )
            _crop(Path(tmp) / f"{name}.png", out / f"{name}.png")
    (out / RECORD).write_text(record_text(texts), encoding="utf-8")


def _crop(src: Path, dst: Path) -> None:
    """The rendered page cropped to its ink, with a small white margin (PIL, which matplotlib brings)."""
    from PIL import Image, ImageOps

    img = Image.open(src).convert("RGB")
    box = ImageOps.invert(img).getbbox()
    if box:
        m = 12
        box = (max(0, box[0] - m), max(0, box[1] - m), min(img.width, box[2] + m), min(img.height, box[3] + m))
        img = img.crop(box)
    img.save(dst, optimize=True)


def check(out: Path) -> list[str]:
    """The exhibits whose source differs from the record (their PNG is stale), or whose PNG is missing."""
    recorded = {}
    path = out / RECORD
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            h, name = line.split("  ", 1)
            recorded[name] = h
    stale = []
    for name, text in sources().items():
        png = f"{name}.png"
        if recorded.get(png) != digest(text) or not (out / png).exists():
            stale.append(name)
    stale += sorted(n[: -len(".png")] for n in set(recorded) - {f"{k}.png" for k in sources()})
    return stale


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="only compare the sources with the record")
    ap.add_argument("--out", type=Path, default=GALLERY, help="the gallery directory (default docs/gallery)")
    args = ap.parse_args(argv)
    if args.check:
        stale = check(args.out)
        if stale:
            print(f"gallery: stale PNGs (run python scripts/gallery.py): {', '.join(stale)}", file=sys.stderr)
            return 1
        print("gallery: up to date")
        return 0
    build(args.out)
    print(f"gallery: {len(exhibits())} PNGs in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
