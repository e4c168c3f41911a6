"""Write derivations/residual_stage.ipynb: a stage of L residual blocks in closed form (issue 12).

Run from the repository root: ``python derivations/_build/residual_stage.py``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat as nbf

OUT = Path(__file__).resolve().parents[1] / "residual_stage.ipynb"

cells: list[tuple[str, str]] = []


def md(text: str) -> None:
    cells.append(("md", text.strip("\n")))


def code(text: str) -> None:
    cells.append(("code", text.strip("\n")))


md(r"""
# A stage of L residual blocks in closed form

A ResNet stage repeats a residual block $L$ times.  Block $i$ has a main path
of two $k \times k$ convolutions (the first with stride $s$, both with padding
$p = (k-1)/2$, $k$ odd) and a shortcut, a $1 \times 1$ convolution with stride
$s$; an `add` merges them.  We derive the stage's jump and receptive field by
hand, compare with `rfsym.derive` of the spec with `times = "L"` (a repeated
block with branches, `docs/graphs.md`), and check both against a brute-force
tracer of which input pixels reach an output unit, which knows nothing about
rfsym's arithmetic.

One axis.  A unit $u$ of a feature map with jump $j$ sees the input pixels
$[\mathrm{lo} + u j,\ \mathrm{hi} + u j]$; $r = \mathrm{hi} - \mathrm{lo} + 1$.
""")

code(r"""
import itertools

import sympy

import rfsym

k, s, L, i = sympy.symbols("k s L i", integer=True, positive=True)
j, lo, hi = sympy.symbols("j lo hi", real=True)
p = (k - 1) / 2
""")

md(r"""
## 1. One block

A convolution (kernel $\kappa$, stride $\sigma$, left padding $p_L$) reading a
map of jump $j$ moves the ends of unit 0's window to
$\mathrm{lo} - p_L\, j$ and $\mathrm{hi} + (\kappa - 1 - p_L)\, j$ and
multiplies the jump by $\sigma$.  Along the main path (two convolutions) and
the shortcut:
""")

code(r"""
def conv(state, kappa, sigma, pl):
    lo_, hi_, j_ = state
    return lo_ - pl * j_, hi_ + (kappa - 1 - pl) * j_, sigma * j_

main = conv(conv((lo, hi, j), k, s, p), k, 1, p)
short = conv((lo, hi, j), 1, s, 0)
main, short
""")

md(r"""
The `add` sees the union of the two windows: $\mathrm{lo}' = \min$ and
$\mathrm{hi}' = \max$ of the branches' ends.  The main path contains the
shortcut: the differences of the ends are non-negative for every odd $k \ge 1$,
$s \ge 1$ and $j > 0$ (each factor is), so the minimum and maximum are the
main path's.  The jumps agree ($s\,j$), so the block maps the window
affinely:
""")

code(r"""
d_lo = sympy.factor(short[0] - main[0])
d_hi = sympy.factor(main[1] - short[1])
block_lo, block_hi, block_j = main
growth = sympy.factor((block_hi - block_lo) - (hi - lo))   # r' - r
d_lo, d_hi, growth
""")

md(r"""
So block $i$ adds $(k - 1)(1 + s)\, j_{i-1}$ to $r$, with
$j_{i-1} = s^{i-1}$ (the input of the stage has $j = 1$, $r = 1$).  Over $L$
blocks:

$$ j_L = s^L,\qquad r_L = 1 + (k - 1)(1 + s)\sum_{i=1}^{L} s^{i-1}
   = 1 + (k - 1)(1 + s)\,\frac{s^L - 1}{s - 1}\quad (s \ne 1),
   \qquad r_L = 1 + 2L(k - 1)\quad (s = 1). $$
""")

code(r"""
r_hand = 1 + sympy.summation(growth.subs(j, 1) * s ** (i - 1), (i, 1, L))
r_hand = sympy.simplify(sympy.piecewise_fold(r_hand))
r_hand
""")

md(r"""
## 2. What rfsym derives

The same stage as a spec: a repeat whose block has branches, `times = "L"`.
""")

code(r'''
SPEC = """
input = "n"
[symbols]
k = { odd = true }
s = { min = 1 }
L = { min = 1 }
[[layers]]
name = "stage"
kind = "repeat"
times = TIMES
  [[layers.layers]]
  name = "conv1"
  kind = "conv"
  kernel = "k"
  stride = "s"
  padding = "(k - 1)/2"
  [[layers.layers]]
  name = "conv2"
  kind = "conv"
  kernel = "k"
  padding = "(k - 1)/2"
  [[layers.layers]]
  name = "short"
  kind = "conv"
  kernel = 1
  stride = "s"
  inputs = ["input"]
  [[layers.layers]]
  name = "sum"
  kind = "add"
  inputs = ["conv2", "short"]
"""
forms = rfsym.derive(rfsym.loads(SPEC.replace("TIMES", '"L"')))
S = {x.name: x for x in forms.free_symbols}
forms.j, forms.r
''')

code(r"""
# rfsym's symbols carry the spec's assumptions; put ours in to compare
ours = {S["k"]: k, S["s"]: s, S["L"]: L}
r_rfsym = forms.r.xreplace(ours)
diff = sympy.simplify(sympy.piecewise_fold(r_rfsym - r_hand))
diff, [c for c in forms.conditions if "repeat" in c]
""")

md(r"""
## 3. Brute force

Unrolled stages (`times = l`), every unit's input pixels traced through the
layers' definitions (unit $u$ of a convolution reads $u\sigma - p_L + t$,
$t = 0 \dots \kappa - 1$; an add reads both inputs), on the infinite line.
""")

code(r"""
def trace(kk, ss, ll, u=0):
    # pixels that unit u of the stage's output reads: explicit index sets, no rfsym
    def conv_set(units, kappa, sigma, pl):
        return {v * sigma - pl + t for v in units for t in range(kappa)}

    units = {u}
    for _ in range(ll):  # from the last block back to the first
        pl = (kk - 1) // 2
        main = conv_set(conv_set(units, kk, 1, pl), kk, ss, pl)
        short = conv_set(units, 1, ss, 0)
        units = main | short
    return units

checked = 0
for kk, ss, ll in itertools.product((1, 3, 5), (1, 2, 3), range(1, 5)):
    pixels = trace(kk, ss, ll)
    r_brute = max(pixels) - min(pixels) + 1
    value = forms.subs({"k": kk, "s": ss, "L": ll}).r
    table = rfsym.loads(SPEC.replace("TIMES", str(ll))).subs({"k": kk, "s": ss}).table(input=4 * ss**ll).output[0]
    assert r_brute == value == table.r == r_hand.subs({k: kk, s: ss, L: ll}), (kk, ss, ll)
    assert forms.subs({"k": kk, "s": ss, "L": ll}).j == ss**ll == table.j
    checked += 1
checked
""")

md("## Checks")

code(r"""
assert sympy.simplify(d_lo - (k - 1) * (s + 1) * j / 2) == 0 and sympy.simplify(d_hi - (k - 1) * (s + 1) * j / 2) == 0
assert sympy.simplify(growth - (k - 1) * (s + 1) * j) == 0
assert forms.j == S["s"] ** S["L"]
assert diff == 0
assert any("repeat 'stage' (L copies)" in c and "aligned" in c for c in forms.conditions)
assert checked == 36
""")


def main() -> None:
    nb = nbf.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    for kind, text in cells:
        nb.cells.append(nbf.v4.new_markdown_cell(text) if kind == "md" else nbf.v4.new_code_cell(text))
    nbf.write(nb, OUT)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
