"""Write derivations/solving.ipynb: the issue-4 design questions, each answered by
rfsym.solve and checked against brute-force enumeration.

Run from the repository root: ``python derivations/_build/solving.py``; it writes
the notebook and executes it in place (so the stored notebook shows its outputs).
tests/test_notebooks.py executes it again.
"""

from __future__ import annotations

from pathlib import Path

import nbformat as nbf

OUT = Path(__file__).resolve().parents[1] / "solving.ipynb"

cells: list[tuple[str, str]] = []


def md(text: str) -> None:
    cells.append(("md", text.strip("\n")))


def code(text: str) -> None:
    cells.append(("code", text.strip("\n")))


md(r"""
# Solving for layer configurations

`rfsym.solve(net, **targets)` returns the **complete** set of values of a
network's free symbols for which the targets hold and every layer's output is
non-empty. This notebook works through five design questions. Each answer is
checked against brute-force enumeration with the seed blog program's loop
(`outFromIn`, Dang Ha The Hien 2017), which knows nothing about rfsym.

The arithmetic behind every answer (one axis; docs/conventions.md):

$$ j_L = \prod_l s_l, \qquad r_L = 1 + \sum_l (\kappa_l - 1)\, j_{l-1}, \qquad
   \kappa_l = d_l (k_l - 1) + 1, $$

$$ n_l = \left\lfloor \frac{n_{l-1} + p_{L,l} + p_{R,l} - \kappa_l}{s_l} \right\rfloor + 1 . $$
""")

code(r"""
import dataclasses
import itertools
import math

import numpy as np
import sympy

import rfsym
from rfsym import Conv, Network, Repeat, loads, solve
from rfsym.values import SymbolDomain


def outFromIn(conv, layerIn):
    # the seed program's loop body (layers are [kernel, stride, padding])
    n_in, j_in, r_in, start_in = layerIn
    k, s, p = conv
    n_out = math.floor((n_in - k + 2 * p) / s) + 1
    actualP = (n_out - 1) * s - n_in + k
    pL = math.floor(actualP / 2)
    return n_out, j_in * s, r_in + (k - 1) * j_in, start_in + ((k - 1) / 2 - pL) * j_in


def seed(layers, n=10**6):
    # (n, j, r, start) after each layer; r and j do not depend on n
    cur, out = (n, 1, 1, 0.5), []
    for conv in layers:
        cur = outFromIn(conv, cur)
        out.append(cur)
    return out
""")

md(r"""
## 1. Which kernel gives r = 224?

Take AlexNet (the seed post's network) and leave the kernel of `conv1` open:
`k` in 1..64. Which k gives a receptive field of 224 at `pool5`?
""")

code(r"""
alex = rfsym.load("alexnet")
layers = [dataclasses.replace(alex.layers[0], kernel="k")] + list(alex.layers[1:])
alex_k = Network(layers, name="alexnet-k", symbols={"k": SymbolDomain(min=1, max=64)})
res = solve(alex_k, at="pool5", r=224)
print(res)
""")

code(r"""
# brute force: the seed loop on AlexNet's [kernel, stride, padding] list up to pool5
ALEX = [[11, 4, 0], [3, 2, 0], [5, 1, 2], [3, 2, 0], [3, 1, 1], [3, 1, 1], [3, 1, 1], [3, 2, 0]]


def r_pool5(k):
    return seed([[k, 4, 0]] + ALEX[1:])[-1][2]


assert [s["k"] for s in res.solutions] == [k for k in range(1, 65) if r_pool5(k) == 224] == [40]
""")

md(r"""
Kernels are usually odd. With `odd = true` there is no solution — every odd
kernel gives an odd r here — and rfsym reports the nearest achievable values
with their assignments:
""")

code(r"""
alex_odd = Network(layers, name="alexnet-k", symbols={"k": SymbolDomain(min=1, max=64, odd=True)})
res_odd = solve(alex_odd, at="pool5", r=224)
print(res_odd)
dist = {k: abs(r_pool5(k) - 224) for k in range(1, 65, 2)}
best = min(dist.values())
assert res_odd.count == 0
assert {(n.values["pool5.r"], n.assignment["k"]) for n in res_odd.nearest} == {
    (r_pool5(k), k) for k, d in dist.items() if d == best
} == {(223, 39), (225, 41)}
""")

md(r"""
With AlexNet's real input of 227 pixels, a kernel of 40 empties `fc6-conv`
(it needs 6 features from `pool5`): validity, n ≥ 1 at every layer, is part of
the problem, and the nearest valid configuration is the original k = 11.
""")

code(r"""
res227 = solve(Network(layers, input=227, name="alexnet-k", symbols={"k": SymbolDomain(min=1, max=64)}), at="pool5", r=224)
print(res227)


def valid227(k):
    return all(row[0] >= 1 for row in seed([[k, 4, 0]] + ALEX[1:] + [[6, 1, 0], [1, 1, 0]], n=227))


valid_r = {k: r_pool5(k) for k in range(1, 65) if valid227(k)}
assert res227.count == 0 and 224 not in valid_r.values()
closest = min(abs(r - 224) for r in valid_r.values())
assert [(n.values["pool5.r"], n.assignment["k"]) for n in res227.nearest] == [
    (r, k) for k, r in valid_r.items() if abs(r - 224) == closest
] == [(195, 11)]
""")

md(r"""
**Symbolically.** L stride-2 layers sharing one kernel k have
$r = 1 + (k-1)(2^L - 1)$. Asking for $r = R$ with k the unknown and L left
symbolic gives an expression and its integrality condition:
""")

code(r"""
stack = loads('''
name = "stride2-stack"
[symbols]
k = { min = 1 }
L = { min = 1 }
[[layers]]
name = "stage"
kind = "repeat"
times = "L"
layers = [{ kind = "conv", kernel = "k", stride = 2 }]
''')
sym = solve(stack, r="R", unknowns=["k"])
print(sym)
k_expr = sym.symbolic["k"]
names = {s.name: s for s in k_expr.free_symbols}
R, L = names["R"], names["L"]
assert sympy.simplify(k_expr - (1 + (R - 1) / (2**L - 1))) == 0
""")

code(r"""
# brute force: for every L <= 8 and R <= 300, the seed loop finds an integer kernel
# exactly when the conditions hold, and it is the expression's value
for Lv in range(1, 9):
    for Rv in range(1, 301):
        ks = [k for k in range(1, 301) if seed([[k, 2, 0]] * Lv)[-1][2] == Rv]
        ok = all(c.holds({"R": Rv, "L": Lv}) for c in sym.conditions)
        assert ok == bool(ks), (Lv, Rv)
        if ks:
            assert ks == [k_expr.xreplace({R: Rv, L: Lv})]
# r = 224: 223 is prime, so only L = 1 (k = 224) works
assert [Lv for Lv in range(1, 30) if (224 - 1) % (2**Lv - 1) == 0] == [1]
""")

md(r"""
## 2. How many 3×3 layers before r ≥ 100?

Each 3×3 layer (stride 1) adds 2 to r, so $r = 1 + 2L \ge 100$ needs
$L \ge 50$: an infinite solution set, returned as a progression.
""")

code(r"""
plain = loads('''
name = "plain3x3"
[symbols]
L = { min = 1 }
[[layers]]
name = "block"
kind = "repeat"
times = "L"
layers = [{ kind = "conv", kernel = 3, padding = 1 }]
''')
res = solve(plain, r=">=100")
print(res)
prog = res.parametric[0]
assert res.count is None and prog.first == 50 and prog.step == 1
assert all((Lv in prog) == (seed([[3, 1, 1]] * Lv)[-1][2] >= 100) for Lv in range(1, 300))
""")

md(r"""
VGG-style stages (two 3×3 convolutions, then 2×2 pooling) grow r much faster:
""")

code(r"""
vgg_stages = loads('''
name = "vgg-stages"
[symbols]
L = { min = 1 }
[[layers]]
name = "stage"
kind = "repeat"
times = "L"
layers = [{ kind = "conv", kernel = 3, padding = 1 }, { kind = "conv", kernel = 3, padding = 1 }, { kind = "pool", kernel = 2 }]
''')
res = solve(vgg_stages, r=">=100")
print(res)
stage = [[3, 1, 1], [3, 1, 1], [2, 2, 0]]
first = next(Lv for Lv in range(1, 50) if seed(stage * Lv)[-1][2] >= 100)
assert res.parametric[0].first == first == 5
assert all((Lv in res.parametric[0]) == (seed(stage * Lv)[-1][2] >= 100) for Lv in range(1, 40))
""")

md(r"""
## 3. Which dilation schedule covers 1 s of 16 kHz audio?

A temporal convolutional network (Bai, Kolter, Koltun 2018): level l has kernel
k and dilation $b^{l-1}$, so $r = 1 + (k-1)(b^L - 1)/(b - 1)$. Kernel
$k \in \{2, 3\}$, base $b \in \{2, 3, 4\}$, up to 20 levels: which
configurations cover 16000 samples, and which are shallowest?
""")

code(r"""
tcn = loads('''
name = "tcn"
[symbols]
k = { choices = [2, 3] }
b = { choices = [2, 3, 4] }
L = { min = 1, max = 20 }
[[layers]]
name = "level"
kind = "repeat"
times = "L"
index = "l"
layers = [{ kind = "conv", kernel = "k", dilation = "b**(l - 1)" }]
''')
res = solve(tcn, r=">=16000", minimize="depth", limit=None)
print(res)
every = solve(tcn, r=">=16000", limit=None)
""")

code(r"""
# brute force: the seed loop with the effective (dilated) kernel d (k - 1) + 1
def r_tcn(k, b, Lv):
    return seed([[b ** (l - 1) * (k - 1) + 1, 1, 0] for l in range(1, Lv + 1)])[-1][2]


brute = {(Lv, k, b) for k in (2, 3) for b in (2, 3, 4) for Lv in range(1, 21) if r_tcn(k, b, Lv) >= 16000}
assert {(s["L"], s["k"], s["b"]) for s in every.solutions} == brute and every.count == len(brute)
shallowest = min(Lv for Lv, _, _ in brute)
assert res.optimum == shallowest == 8
assert {(s["L"], s["k"], s["b"]) for s in res.solutions} == {c for c in brute if c[0] == shallowest}
assert res.ties == 2
# base 2 (WaveNet's schedule) needs more levels:
print({k: min(Lv for Lv, kk, b in brute if kk == k and b == 2) for k in (2, 3)})
""")

md(r"""
## 4. Which input sizes give a 7×7 output with no pixel dropped?

VGG-16 without its classifier, input size N (the same on both axes). Every
layer's output size never decreases in its input size, so the N giving
$n = 7$ form an interval; exact divisions depend on N only modulo the total
stride 32.
""")

code(r"""
vgg = rfsym.load("vgg16")
vgg_n = Network(vgg.layers, input="N", name="vgg16", symbols={"N": SymbolDomain(min=1)})
seven = solve(vgg_n, n=7, limit=None)
clean = solve(vgg_n, n=7, exact=True, limit=None)
no_drop = solve(vgg_n, exact=True)
print(seven.to_text().splitlines()[2], [s["N"] for s in seven.solutions][:3], "...", seven.solutions[-1])
print(clean)
print(no_drop)
""")

code(r"""
# brute force: the seed loop's output size, and the divisions' remainders
VGG = [[3, 1, 1], [3, 1, 1], [2, 2, 0]] * 2 + [[3, 1, 1]] * 3 + [[2, 2, 0]] + ([[3, 1, 1]] * 3 + [[2, 2, 0]]) * 2


def vgg_out(N):
    n, exact = N, True
    for k, s, p in VGG:
        exact &= (n - k + 2 * p) % s == 0
        n = outFromIn([k, s, p], (n, 1, 1, 0.5))[0]
        if n < 1:
            return None, False
    return n, exact


assert [s["N"] for s in seven.solutions] == [N for N in range(1, 2000) if vgg_out(N)[0] == 7] == list(range(224, 256))
assert [s["N"] for s in clean.solutions] == [N for N in range(1, 2000) if vgg_out(N) == (7, True)] == [224]
assert [p.step for p in no_drop.parametric] == [32] and no_drop.count is None
assert all(any(N in p for p in no_drop.parametric) == vgg_out(N)[1] for N in range(1, 2000))
""")

md(r"""
## 5. Per-layer (k_i, s_i) with r = 99 and output stride 16, fewest weights

Eight convolutions with $k_i \in \{1, 3, 5, 7\}$ and $s_i \in \{1, 2\}$:
$8^8 = 16\,777\,216$ configurations. rfsym never enumerates them: a dynamic
programme over the layers on the state (j, r) visits a few hundred states.
The weights are measured by $\sum_i k_i^2$ (square kernels, one channel).
""")

code(r"""
def template(depth):
    convs = [Conv(kernel=f"k{i}", stride=f"s{i}", name=f"c{i}") for i in range(1, depth + 1)]
    doms = {}
    for i in range(1, depth + 1):
        doms[f"k{i}"] = SymbolDomain(choices=(1, 3, 5, 7))
        doms[f"s{i}"] = SymbolDomain(choices=(1, 2))
    return Network(convs, symbols=doms, name=f"template{depth}")


net8 = template(8)
every = solve(net8, r=99, j=16, limit=None)
fewest = solve(net8, r=99, j=16, minimize="sum_k2", limit=None)
print(every.count, "configurations reach r = 99 with stride 16")
print(fewest.to_text())
""")

code(r"""
# brute force over all 8^8 configurations (vectorised; digit i of the index picks (k_i, s_i))
K = np.array([1, 3, 5, 7])
found, costs = set(), {}
for hi in range(64):  # the first two layers' choices, to keep arrays small
    idx = np.arange(8**6, dtype=np.int64) + hi * 8**6
    j = np.ones_like(idx)
    r = np.ones_like(idx)
    cost = np.zeros_like(idx)
    ks, ss = [], []
    for i in range(8):
        digit = (idx >> (3 * (7 - i))) & 7
        k, s = K[digit & 3], 1 + (digit >> 2)
        r = r + (k - 1) * j
        j = j * s
        cost = cost + k * k
        ks.append(k)
        ss.append(s)
    hit = np.nonzero((r == 99) & (j == 16))[0]
    for h in hit:
        key = tuple(int(ks[i][h]) for i in range(8)) + tuple(int(ss[i][h]) for i in range(8))
        found.add(key)
        costs[key] = int(cost[h])
names = [f"k{i}" for i in range(1, 9)] + [f"s{i}" for i in range(1, 9)]
assert {tuple(s[n] for n in names) for s in every.solutions} == found and every.count == len(found)
best = min(costs.values())
assert fewest.optimum == best and fewest.ties == sum(1 for c in costs.values() if c == best)
assert {tuple(s[n] for n in names) for s in fewest.solutions} == {c for c, v in costs.items() if v == best}
""")

md(r"""
## Summary, checked once more against rfsym

| question | answer |
|---|---|
| conv1 kernel of AlexNet for r = 224 at pool5 | k = 40 (no odd kernel: nearest 223 at k = 39, 225 at k = 41) |
| L stride-2 layers of kernel k, r = R | k = 1 + (R − 1)/(2^L − 1) when (2^L − 1) ∣ (R − 1) |
| 3×3 layers for r ≥ 100 | L ≥ 50 (VGG stages: L ≥ 5) |
| TCN covering 16 000 samples | 8 levels with base 4 (k = 2 or 3) |
| VGG-16 inputs giving 7×7 | N ∈ [224, 255]; no pixel dropped: N = 224 |
| 8 layers, r = 99, j = 16 | 71 525 configurations; fewest weights Σk² = 40, reached by 9 of them |
""")

code(r"""
assert solve(alex_k, at="pool5", r=224).solutions == [{"k": 40}]
assert solve(plain, r=">=100").parametric[0].first == 50
assert solve(vgg_stages, r=">=100").parametric[0].first == 5
assert solve(tcn, r=">=16000", minimize="depth").optimum == 8
assert [s["N"] for s in solve(vgg_n, n=7, exact=True).solutions] == [224]
assert every.count == 71525 and fewest.optimum == best == 40 and fewest.ties == 9
print("all answers agree with brute force; fewest weights:", best, "with", fewest.ties, "ties")
""")


def main() -> None:
    nb = nbf.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for kind, text in cells:
        nb.cells.append(nbf.v4.new_markdown_cell(text) if kind == "md" else nbf.v4.new_code_cell(text))
    nbf.write(nb, OUT)
    from nbconvert.preprocessors import ExecutePreprocessor

    nb = nbf.read(OUT, as_version=4)
    ExecutePreprocessor(timeout=600, kernel_name="python3").preprocess(nb, {"metadata": {"path": str(OUT.parent)}})
    nbf.write(nb, OUT)
    print(f"wrote and executed {OUT}")


if __name__ == "__main__":
    main()
