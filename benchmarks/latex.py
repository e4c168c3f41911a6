"""LaTeX export speed: a 1000-layer symbolic stack, and the exports of a paper.

Target (issue 5): exporting the 1000-layer symbolic derivation takes under 1 s.

Measured in the same run:

* ``rfsym.derivation(net)`` on a stack of 1000 convolutions whose kernel, stride
  and padding are all symbols (3000 symbols).  Beyond ``compact_threshold``
  layers it prints the sums and products of the general L-layer form, so its
  size does not grow with the depth.
* the alternative: the flat closed forms (``rfsym.derive``) printed term by term
  with plain ``sympy.latex`` -- pages of terms.
* the paper exports of AlexNet and VGG-16 (table, output, derivation, TikZ figure),
  and the AlexNet table alone.

Issue 14: ``rfsym export unet --standalone`` then pdflatex, as a user runs them (the figure samples at most
16 feature centres per axis; before, it drew 65,536 circles and did not compile).

Run: ``python benchmarks/latex.py``.
"""

from __future__ import annotations

import time

import sympy

from rfsym import Conv, Network, derivation, derive, latex, load
from rfsym.commands.export import export_body


def best(fn, repeat: int = 3) -> tuple[float, object]:
    t_best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        t_best = min(t_best, time.perf_counter() - t)
    return t_best, out


def main() -> None:
    net = Network([Conv(kernel=f"k{i}", stride=f"s{i}", padding=f"p{i}") for i in range(1000)], input="N")
    t_cold, _ = best(lambda: derivation(net), repeat=1)  # includes deriving the general stack once per process
    t_ours, tex = best(lambda: derivation(net))
    print(
        f"1000-layer symbolic derivation (rfsym.derivation): {t_ours * 1000:8.1f} ms warm, {t_cold * 1000:.1f} ms cold, {len(tex)} characters"
    )

    def flat() -> str:
        forms = derive(net)
        return "\n".join(sympy.latex(getattr(forms, q)) for q in ("n", "j", "r", "start", "P"))

    t_flat, flat_tex = best(flat, repeat=1)
    print(f"  alternative: derive + sympy.latex, term by term:  {t_flat * 1000:8.1f} ms, {len(flat_tex):>8} characters")
    print(f"  ratio (alternative / rfsym): {t_flat / t_ours:.1f}x time, {len(flat_tex) / len(tex):.0f}x length")
    print(f"  target < 1 s: {'met' if max(t_ours, t_cold) < 1.0 else 'MISSED'}")
    t_net, _ = best(lambda: latex(net, environment="align"))
    print(f"1000-layer symbolic network, latex(net) (sums and products): {t_net * 1000:8.1f} ms")

    for name in ("alexnet", "vgg16"):
        spec = load(name)
        t, body = best(lambda spec=spec: export_body(spec))
        print(f"{name} paper export (table, output, derivation, figure): {t * 1000:8.1f} ms, {len(body):>7} characters")
    alex = load("alexnet")
    t_tab, _ = best(lambda: alex.table().to_latex(), repeat=5)
    t_out, _ = best(lambda: latex(alex, environment="align"), repeat=5)
    print(f"alexnet table as LaTeX: {t_tab * 1000:8.1f} ms; output relations: {t_out * 1000:8.1f} ms")


def unet_compile() -> None:
    """Issue 14: `rfsym export unet --standalone` as a user runs it (CLI, then pdflatex); before, the figure
    drew 65,536 TikZ circles and pdflatex stopped with "TeX capacity exceeded" after about 7 s."""
    import os
    import shutil
    import subprocess
    import sys
    import tempfile

    if not shutil.which("pdflatex"):
        print("U-Net standalone export: pdflatex not found, skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "rfsym", "export", "unet", "-o", "unet.tex", "--standalone"],
                       cwd=tmp, check=True, env=os.environ)  # fmt: skip
        t_export = time.perf_counter() - t
        t = time.perf_counter()
        run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "unet.tex"], cwd=tmp,
                             capture_output=True, text=True)  # fmt: skip
        t_tex = time.perf_counter() - t
        ok = run.returncode == 0
    print(
        f"U-Net standalone export: CLI {t_export * 1000:.0f} ms, pdflatex {t_tex * 1000:.0f} ms "
        f"({'compiles' if ok else 'FAILS'}; target < 10 s: {'met' if ok and t_tex < 10 else 'MISSED'})"
    )


if __name__ == "__main__":
    unet_compile()
    main()
