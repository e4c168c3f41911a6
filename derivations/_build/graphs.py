"""Write derivations/graphs.ipynb: the alignment condition and the transposed-convolution recurrence.

Run from the repository root: ``python derivations/_build/graphs.py``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat as nbf

OUT = Path(__file__).resolve().parents[1] / "graphs.ipynb"

cells: list[tuple[str, str]] = []


def md(text: str) -> None:
    cells.append(("md", text.strip("\n")))


def code(text: str) -> None:
    cells.append(("code", text.strip("\n")))


md(r"""
# Graphs and decoders: alignment and the transposed-convolution recurrence

Two derivations behind `rfsym.Graph` and `rfsym.ConvTranspose` (see
`docs/graphs.md`), each compared with what rfsym computes and with a
brute-force index propagation that knows nothing about rfsym's arithmetic.

One axis. A unit `u` of a feature map with jump $j$ has its centre at
$\mathrm{start} + u\,j$ and sees a window of $r$ input pixels around it;
the effective padding $P$ satisfies
$\mathrm{start} = \mathrm{origin} + (r-1)/2 - P$ (Araujo et al., Distill 2019).
""")

code(r"""
import itertools
import math
import warnings
from fractions import Fraction

import sympy

import rfsym
from rfsym import AxisState, Conv, ConvTranspose, Graph
from rfsym.graph import AlignmentWarning, _centre, _condition


def regions(nodes, n_units, unit_range):
    # brute force on the infinite line: which input pixels unit u of each node reads.
    # nodes: name -> (kind, params, inputs); kinds conv (k, s, pL, d), tconv (k, s, pL, d), add.
    memo = {}

    def walk(name, u):
        if name == "input":
            return frozenset({u})
        if (name, u) in memo:
            return memo[(name, u)]
        kind, prm, ins = nodes[name]
        acc = set()
        if kind == "add":
            for x in ins:
                acc |= walk(x, u)
        elif kind == "conv":
            k, s, pl, d = prm
            for t in range(k):
                acc |= walk(ins[0], u * s - pl + t * d)
        elif kind == "tconv":
            k, s, pl, d = prm
            for t in range(k):
                q = u + pl - t * d
                if q % s == 0:
                    acc |= walk(ins[0], q // s)
        memo[(name, u)] = frozenset(acc)
        return memo[(name, u)]

    return {name: {u: walk(name, u) for u in unit_range} for name in nodes}
""")

md(r"""
## 1. The alignment condition

A merge adds branches unit by unit. Branch $b$ gives unit $u$ the window
centred on $\mathrm{start}_b + u\,j_b$. The union of the windows is again one
window centred on one point for *every* $u$ exactly when the jumps agree and
the centres agree; with $\mathrm{start}_b = \mathrm{origin} + c_b$ and
$c_b = (r_b - 1)/2 - P_b$ this is

$$ j_a = j_b \quad\text{and}\quad \frac{r_a - 1}{2} - P_a = \frac{r_b - 1}{2} - P_b . $$

For a stack, $r = 1 + \sum_l (\kappa_l - 1) J_{l-1}$ and $P = \sum_l p_{L,l} J_{l-1}$, so
$c = \sum_l \big(\tfrac{\kappa_l - 1}{2} - p_{L,l}\big) J_{l-1}$: each layer moves the
centre by half its effective kernel minus its left padding, in units of the
jump before it. A residual block (identity skip, one convolution with kernel
$k_2$, dilation $d_2$, left padding $p_2$) therefore aligns iff
$p_2 = d_2 (k_2 - 1)/2$.
""")

code(r"""
k2, d2 = sympy.symbols("k2 d2", integer=True, positive=True)
p2 = sympy.Symbol("p2", integer=True, nonnegative=True)
kappa = d2 * (k2 - 1) + 1
c_body = (kappa - 1) / 2 - p2          # centre offset of the convolution branch
c_skip = 0                             # the identity branch
derived = sympy.Eq(p2, sympy.solve(sympy.Eq(c_body, c_skip), p2)[0])
derived
""")

code(r"""
g = rfsym.loads('''
input = "n"
[symbols]
k2 = { min = 1 }
d2 = { min = 1 }
p2 = { min = 0 }
[[layers]]
name = "skip"
kind = "identity"
[[layers]]
name = "body"
kind = "conv"
kernel = "k2"
dilation = "d2"
padding = "p2"
inputs = ["input"]
[[layers]]
name = "sum"
kind = "add"
inputs = ["skip", "body"]
''')
(al,) = g.alignment()
al.condition
""")

md(r"""
Brute force: two branches from the input, a convolution $(k, s, p_L, d)$ and
a second one $(k', s', p'_L, d')$, added. They are aligned when the centre of
the pixels each branch reads for unit $u$ is the same for every $u$ (checked
for $u = 0 \dots 5$). rfsym's verdict must agree on every combination.
""")

code(r"""
agree = disagree = 0
combos = list(itertools.product([1, 2, 3, 4], [1, 2], [0, 1, 2], [1, 2]))
for (ka, sa, pa, da), (kb, sb, pb, db) in itertools.product(combos, repeat=2):
    nodes = {"a": ("conv", (ka, sa, pa, da), ["input"]), "b": ("conv", (kb, sb, pb, db), ["input"])}
    reg = regions(nodes, None, range(6))
    brute = all(
        Fraction(min(reg["a"][u]) + max(reg["a"][u]), 2) == Fraction(min(reg["b"][u]) + max(reg["b"][u]), 2)
        for u in range(6)
    )
    gr = Graph(input=64)
    a = gr.conv(gr.input_node, kernel=ka, stride=sa, padding=[pa, 0], dilation=da, name="a")
    b = gr.conv(gr.input_node, kernel=kb, stride=sb, padding=[pb, 0], dilation=db, name="b")
    # the sizes of the two maps may differ; alignment is about positions, so compare the branch states directly
    ta = gr.table()["a"].states[0]
    tb = gr.table()["b"].states[0]
    mine = _condition([(ta.j, tb.j), (_centre(ta), _centre(tb))])
    if mine == brute:
        agree += 1
    else:
        disagree += 1
agree, disagree
""")

md(r"""
## 2. The transposed-convolution recurrence

A transposed convolution with kernel $k$, stride $s$, padding $p_L$ and
dilation $d$ is a convolution over the input with $s - 1$ zeros inserted
between neighbours, padded by $\kappa - 1 - p_L$, with stride 1
(PyTorch's definition: output $o$ reads input $i$ when $o = i s - p_L + t d$).

Zero insertion keeps every input unit where it is and adds units between
them: the jump becomes $j/s$, $r$ and start do not change. The convolution
then acts on that grid as any convolution does. So the recurrence follows by
running rfsym's own *convolution* transfer on the zero-inserted state:
""")

code(r"""
n = sympy.Symbol("n", integer=True, positive=True)
j, r, start, P = sympy.symbols("j r start P")
k, s, d = sympy.symbols("k s d", integer=True, positive=True)
pl, pr, a = sympy.symbols("p_L p_R a", integer=True, nonnegative=True)
kap = d * (k - 1) + 1

stuffed = AxisState(n=(n - 1) * s + 1, j=j / s, r=r, start=start, P=P)
# stride-1 convolution with the flipped kernel, padded by kappa - 1 - pL on the left
# and kappa - 1 - pR + a (output_padding) on the right
via_conv = Conv(kernel=k, dilation=d, padding=[kap - 1 - pl, kap - 1 - pr + a]).transfer(stuffed)
direct = ConvTranspose(kernel=k, stride=s, dilation=d, padding=[pl, pr], output_padding=a).transfer(
    AxisState(n=n, j=j, r=r, start=start, P=P)
)
{key: sympy.simplify(sympy.sympify(getattr(via_conv, key)) - sympy.sympify(getattr(direct, key))) for key in ("n", "j", "r", "start", "P")}
""")

code(r"""
direct
""")

md(r"""
**What $r$ means on a fractional grid.** With $j/s$ not an integer, output
units see regions that are shifted against their centres by less than a
pixel (for $k = 4$, $s = 2$, $p = 1$, outputs 1 and 2 read the same two
input pixels). $r$ is the width of the smallest window around each unit's
centre $\mathrm{start} + u\,j$ that holds every unit's region. The brute
force below measures, over many units, how far regions reach to the left and
to the right of their centres; both must equal $(r - 1)/2$ for every
combination of parameters, after a first convolution so that the input grid
is not trivial.
""")

code(r"""
checked = 0
for (k0, s0), (kk, ss, pp, dd) in itertools.product(
    [(1, 1), (3, 2), (2, 3)], itertools.product([1, 2, 3, 4], [1, 2, 3], [0, 1, 2], [1, 2])
):
    if pp > dd * (kk - 1):
        continue
    nodes = {"c": ("conv", (k0, s0, 0, 1), ["input"]), "t": ("tconv", (kk, ss, pp, dd), ["c"])}
    reg = regions(nodes, None, range(-24, 25))["t"]
    st = Conv(kernel=k0, stride=s0).transfer(AxisState.input(40))
    st = ConvTranspose(kernel=kk, stride=ss, padding=pp, dilation=dd).transfer(st)
    half = Fraction(st.r - 1, 2)
    left = max(st.start + u * st.j - (min(x) + Fraction(1, 2)) for u, x in reg.items() if x)
    right = max(max(x) + Fraction(1, 2) - (st.start + u * st.j) for u, x in reg.items() if x)
    assert left == half and right == half, (k0, s0, kk, ss, pp, dd)
    checked += 1
checked
""")

md(r"""
## 3. U-Net decoder outputs and FPN levels

The built-in specs `unet` and `fpn_resnet50` (checked against PyTorch
gradients in `tests/test_graph.py`). Every U-Net skip is aligned: the
transposed convolution's output units sit exactly on the encoder's centres.
The FPN's nearest-neighbour top-down path is shifted by half a stride
against the lateral connections (centre $-8$ against $0$ at stride 16):
rfsym reports it, and $r$ is the union of both windows.
""")

code(r"""
unet = rfsym.load("unet").table(strict=True)
decoder = [(row.name, row.states[0].j, row.states[0].r) for row in unet.rows if row.name.startswith(("dec", "head"))]
decoder
""")

code(r"""
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", AlignmentWarning)
    fpn = rfsym.load("fpn_resnet50").table()
levels = [(f"P{i}", fpn[f"P{i}"].states[0].j, fpn[f"P{i}"].states[0].r) for i in range(2, 7)]
levels, [str(w.message).split(":")[0] for w in caught]
""")

md("## Checks")

code(r"""
assert al.condition == derived.subs({k2: next(x for x in g.free_symbols if x.name == "k2"),
                                     d2: next(x for x in g.free_symbols if x.name == "d2"),
                                     p2: next(x for x in g.free_symbols if x.name == "p2")})
assert str(al.condition) == "Eq(p2, d2*(k2 - 1)/2)"
assert disagree == 0 and agree == len(combos) ** 2
assert all(v == 0 for v in {key: sympy.simplify(sympy.sympify(getattr(via_conv, key)) - sympy.sympify(getattr(direct, key))) for key in ("n", "j", "r", "start", "P")}.values())
assert sympy.simplify(direct.r - (r + (kap - 1) * j / s)) == 0
assert checked > 100
assert dict((name, rr) for name, _, rr in decoder)["head"] == 215
assert [rr for _, _, rr in levels] == [463, 467, 475, 491, 491]
assert len(caught) == 3
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
