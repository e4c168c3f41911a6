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


if __name__ == "__main__":
    main()
