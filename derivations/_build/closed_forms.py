"""Write the closed-form derivation notebooks of derivations/.

Run from the repository root: ``python derivations/_build/closed_forms.py``.

* one_layer.ipynb          n, j, r, start, P of one layer from its window positions
* stack_equivalent.ipynb   a stack, floor folding, and the single equivalent layer
* repeated_blocks.ipynb    a block repeated L times: geometric sums, TCN dilations
* general_L.ipynb          the general L-layer stack as Sum/Product over indexed symbols

Each notebook derives its result step by step with sympy and ends by asserting
(a) that the symbolic difference with rfsym's result simplifies to 0 and (b)
that its result matches a brute-force pixel-set count on random values.
"""

from __future__ import annotations

from pathlib import Path

import nbformat as nbf

OUT = Path(__file__).resolve().parents[1]

SETUP = r"""
import random
import sys
from fractions import Fraction
from pathlib import Path

root = Path.cwd().resolve()
while not (root / "rfsym").is_dir() and root != root.parent:
    root = root.parent
sys.path.insert(0, str(root))

import sympy as sp
import rfsym
from rfsym import Conv, Network, Pool, Repeat
"""

ORACLE = r"""
def brute_force(layers, n, origin=Fraction(1, 2)):
    # layers: (kernel, stride, left pad, right pad, dilation).  Count the windows that
    # fit in the padded input one by one, then follow output feature 0 (and 1) back to
    # the set of input pixels it reads.  No formula from above is used.
    sizes = [n]
    for k, s, pl, pr, d in layers:
        count = 0
        while count * s + d * (k - 1) + 1 <= sizes[-1] + pl + pr:
            count += 1
        sizes.append(count)
    regions = []
    for unit in (0, 1):
        cur = {unit}
        for k, s, pl, pr, d in reversed(layers):
            cur = {i * s - pl + t * d for i in cur for t in range(k)}
        regions.append(cur)
    lo, hi = min(regions[0]), max(regions[0])
    return {"n": sizes[-1], "j": min(regions[1]) - lo, "r": hi - lo + 1,
            "start": origin + Fraction(lo + hi, 2), "P": -lo}


def random_layer(rng):
    return (rng.randint(1, 5), rng.randint(1, 3), rng.randint(0, 2), rng.randint(0, 2), rng.randint(1, 3))
"""


def notebook(name: str, cells: list[tuple[str, str]]) -> None:
    nb = nbf.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    for i, (kind, text) in enumerate(cells):
        text = text.strip("\n")
        cell = nbf.v4.new_markdown_cell(text) if kind == "md" else nbf.v4.new_code_cell(text)
        cell["id"] = f"{name.replace('_', '-')}-{i:02d}"
        nb.cells.append(cell)
    nbf.write(nb, OUT / f"{name}.ipynb")
    print("wrote", OUT / f"{name}.ipynb")


def md(text: str) -> tuple[str, str]:
    return ("md", text)


def code(text: str) -> tuple[str, str]:
    return ("code", text)


ONE_LAYER = [
    md(r"""
# One layer: n, j, r, start and P from the window positions

A convolution or pooling layer has kernel $k$, stride $s$, left and right
padding $p_L, p_R$ and dilation $d$; its *effective kernel* is
$\kappa = d(k-1) + 1$.  Number the input positions $0, 1, \dots, n-1$ (the
padding adds positions $-p_L, \dots, -1$ and $n, \dots, n + p_R - 1$).
Output feature $i$ reads the positions

$$ i s - p_L + t d, \qquad t = 0, \dots, k-1 .$$

Everything below follows from this one line.  Pixel $x$ has its centre at
$\mathrm{origin} + x$ (origin $= 1/2$ as in the seed post).
"""),
    code(SETUP),
    code(r"""
n, k, s, d = sp.symbols("n k s d", integer=True, positive=True)
pL, pR = sp.symbols("p_L p_R", integer=True, nonnegative=True)
i = sp.Symbol("i", integer=True, nonnegative=True)
origin = sp.Rational(1, 2)
kappa = d * (k - 1) + 1
first = i * s - pL            # first position read by feature i
last = first + d * (k - 1)    # last position read by feature i
first, last
"""),
    md(r"""
## Output size

Feature $i$ exists when its whole window lies in the padded input:
$\text{last}(i) \le n - 1 + p_R$.  Solving for $i$:
$i s \le n + p_L + p_R - \kappa$, so $i \le (n + p_L + p_R - \kappa)/s$.  The
features are $i = 0, 1, \dots$ up to the floor of that bound, hence

$$ n_{\text{out}} = \left\lfloor \frac{n + p_L + p_R - \kappa}{s} \right\rfloor + 1 . $$
"""),
    code(r"""
slack = (n - 1 + pR) - last          # >= 0 exactly when feature i fits
bound = sp.solve(sp.Eq(slack, 0), i)[0]
assert sp.simplify(bound - (n + pL + pR - kappa) / s) == 0
n_out = sp.floor((n + pL + pR - kappa) / s) + 1
n_out
"""),
    md(r"""
## Jump, receptive field, start and effective padding (input jump 1)

* the jump is the distance between the first positions of features $i+1$ and $i$;
* the receptive field of feature 0 runs from $\text{first}(0)$ to $\text{last}(0)$;
* its centre is the mean of the two end pixels' centres;
* the effective padding (Araujo et al., Distill 2019) is how far the first
  window reaches left of pixel 0: $P = -\text{first}(0)$.
"""),
    code(r"""
j1 = sp.expand(first.subs(i, i + 1) - first)
r1 = sp.expand(last.subs(i, 0) - first.subs(i, 0) + 1)
start1 = origin + (first.subs(i, 0) + last.subs(i, 0)) / 2
P1 = -first.subs(i, 0)
j1, r1, sp.simplify(start1), P1
"""),
    md(r"""
## After earlier layers: input jump $j$, field $r$, centre $\mathrm{start}$, padding $P$

When the layer's input is itself a feature map, input feature $x$ sits at
$\mathrm{start} + x j$ with a field of $r$ pixels, and its first pixel is
$x j - P$ (in pixel indices).  Output feature 0 reads input features
$-p_L, \dots, -p_L + d(k-1)$, so its field spans from the first pixel of
feature $-p_L$ to the last pixel of feature $-p_L + d(k-1)$:
"""),
    code(r"""
j_in, r_in, start_in, P_in = sp.symbols("j_in r_in start_in P_in", positive=True)
lo_feat, hi_feat = -pL, -pL + d * (k - 1)
lo_pix = lo_feat * j_in - P_in                         # first pixel of the first feature read
hi_pix = hi_feat * j_in - P_in + r_in - 1              # last pixel of the last feature read
centre_lo = start_in + lo_feat * j_in                  # centres of the two end features
centre_hi = start_in + hi_feat * j_in
j_out = s * j_in
r_out = sp.expand(hi_pix - lo_pix + 1)
start_out = sp.expand((centre_lo + centre_hi) / 2)
P_out = sp.expand(-lo_pix)
r_out, start_out, P_out
"""),
    code(r"""
assert sp.expand(r_out - (r_in + (kappa - 1) * j_in)) == 0
assert sp.expand(start_out - (start_in + ((kappa - 1) / 2 - pL) * j_in)) == 0
assert sp.expand(P_out - (P_in + pL * j_in)) == 0
"""),
    md(r"""
## Checks

(a) rfsym runs the layer's transfer function on symbols; the difference with
the derivation above simplifies to 0 for all five quantities.
"""),
    code(r"""
forms = rfsym.derive(Network([Conv(kernel=k, stride=s, padding=[pL, pR], dilation=d)]))
mine = {"n": n_out, "j": j1, "r": r1, "start": start1, "P": P1}
theirs = {"n": forms.n, "j": forms.j, "r": forms.r, "start": forms.start, "P": forms.P}
diffs = {key: sp.simplify(sp.sympify(mine[key]) - sp.sympify(theirs[key])) for key in mine}
diffs
"""),
    md("(b) Brute force: count the windows and collect the pixels one by one, on random layers and sizes."),
    code(ORACLE),
    code(r"""
rng = random.Random(1)
checked = 0
for _ in range(300):
    layer = random_layer(rng)
    kv, sv, plv, prv, dv = layer
    size = rng.randint(1, 40)
    env = {n: size, k: kv, s: sv, pL: plv, pR: prv, d: dv}
    want = brute_force([layer], size)
    if want["n"] < 1:
        continue
    got = {key: sp.nsimplify(sp.sympify(v).subs(env)) for key, v in mine.items()}
    assert got == {key: sp.nsimplify(v) for key, v in want.items()}, (layer, size)
    checked += 1
checked
"""),
    code(r"""
assert all(v == 0 for v in diffs.values())
assert checked > 200
"""),
]


STACK = [
    md(r"""
# A stack of layers, floor folding, and the single equivalent layer

Composing the one-layer rules (see `one_layer.ipynb`) layer after layer gives
the recurrences

$$ j_l = j_{l-1} s_l,\quad r_l = r_{l-1} + (\kappa_l - 1) j_{l-1},\quad
\mathrm{start}_l = \mathrm{start}_{l-1} + \left(\tfrac{\kappa_l - 1}{2} - p_{L,l}\right) j_{l-1},\quad
P_l = P_{l-1} + p_{L,l}\, j_{l-1}, $$

with $j_0 = r_0 = 1$, $P_0 = 0$.  Unrolling them gives flat sums over the
prefix products $J_l = s_1 \cdots s_l$.  The output size nests one floor per
layer; a lemma folds the nest into one floor.
"""),
    code(SETUP),
    code(r"""
L = 3
k = sp.symbols("k1:4", integer=True, positive=True)
s = sp.symbols("s1:4", integer=True, positive=True)
d = sp.symbols("d1:4", integer=True, positive=True)
a = sp.symbols("a1:4", integer=True, nonnegative=True)   # left paddings
b = sp.symbols("b1:4", integer=True, nonnegative=True)   # right paddings
N = sp.Symbol("n", integer=True, positive=True)
kappa = [d[l] * (k[l] - 1) + 1 for l in range(L)]

# the recurrences, layer by layer
n_l, j_l, r_l, start_l, P_l = N, sp.Integer(1), sp.Integer(1), sp.Rational(1, 2), sp.Integer(0)
for l in range(L):
    n_l = sp.floor((n_l + a[l] + b[l] - kappa[l]) / s[l]) + 1
    r_l, start_l, P_l = r_l + (kappa[l] - 1) * j_l, start_l + ((kappa[l] - 1) / 2 - a[l]) * j_l, P_l + a[l] * j_l
    j_l = j_l * s[l]
n_l
"""),
    md(r"""
## The folding lemma

For an integer $x$, an integer $c$ and positive integers $a, b$:

$$ \left\lfloor \frac{\lfloor x/a \rfloor + c}{b} \right\rfloor = \left\lfloor \frac{x + a c}{a b} \right\rfloor . $$

Proof: write $x + ac = q\,ab + \rho$ with $0 \le \rho < ab$, and $\rho = \sigma a + \tau$
with $0 \le \sigma < b$, $0 \le \tau < a$.  Then $\lfloor x/a \rfloor + c =
\lfloor (x + ac)/a \rfloor = q b + \sigma$, and $\lfloor (qb + \sigma)/b \rfloor = q$.
Sympy does not apply this rule by itself; we check it on a grid and then
apply it from the innermost floor outwards.
"""),
    code(r"""
lemma_ok = all(
    (x // av + c) // bv == (x + av * c) // (av * bv)
    for x in range(-30, 31) for c in range(-4, 5) for av in range(1, 5) for bv in range(1, 5)
)

def fold(expr):
    # floor((floor(u/A) + C)/B) -> floor((u + A C)/(A B)), applied bottom-up
    if isinstance(expr, sp.floor):
        inner_arg = fold(expr.args[0])
        num, den = sp.fraction(sp.together(inner_arg))
        floors = [t for t in sp.Add.make_args(sp.expand(num)) if isinstance(t, sp.floor)]
        if len(floors) == 1:
            c = sp.expand(num - floors[0])
            u_num, u_den = sp.fraction(sp.together(floors[0].args[0]))
            return sp.floor((u_num + u_den * c) / (u_den * den))
        return sp.floor(inner_arg)
    if expr.args:
        return expr.func(*[fold(x) for x in expr.args])
    return expr

n_folded = fold(n_l)
lemma_ok, n_folded
"""),
    md(r"""
## Closed forms

With $J_{l-1} = s_1 \cdots s_{l-1}$:

$$ J = \prod_l s_l,\quad R = 1 + \sum_l (\kappa_l - 1) J_{l-1},\quad P = \sum_l p_{L,l} J_{l-1},\quad
\mathrm{start} = \tfrac12 + \tfrac{R - 1}{2} - P, $$
$$ n_L = \left\lfloor \frac{N + \sum_l (p_{L,l} + p_{R,l}) J_{l-1} - R}{J} \right\rfloor + 1 . $$
"""),
    code(r"""
Jp = [sp.Mul(*s[:l]) for l in range(L + 1)]        # J_0 .. J_L
J = Jp[L]
R = 1 + sum((kappa[l] - 1) * Jp[l] for l in range(L))
P = sum(a[l] * Jp[l] for l in range(L))
start = sp.Rational(1, 2) + (R - 1) / 2 - P
pads = sum((a[l] + b[l]) * Jp[l] for l in range(L))
n_closed = sp.floor((N + pads - R) / J) + 1
checks = [sp.expand(j_l - J), sp.expand(r_l - R), sp.expand(P_l - P), sp.expand(start_l - start),
          sp.simplify(n_folded.args[1].args[0] - (N + pads - R) / J) if isinstance(n_folded, sp.Add) else None]
checks
"""),
    md(r"""
## The single equivalent layer

The last formula is the one-layer output size of a layer with kernel $R$
(dilation 1), stride $J$ and paddings $P$ and $\sum (p_L + p_R) J_{l-1} - P$:
the whole stack is **one** layer.  Its jump, field, start and effective
padding are $J$, $R$, $\tfrac12 + (R-1)/2 - P$ and $P$ — the same forms.
"""),
    code(r"""
eq_n = sp.floor((N + P + (pads - P) - R) / J) + 1
eq_start = sp.Rational(1, 2) + (R - 1) / 2 - P
assert sp.simplify(eq_n - n_closed) == 0 and sp.simplify(eq_start - start) == 0
"""),
    md("## Checks\n\n(a) The difference with rfsym's closed forms, and with `net.equivalent()`, simplifies to 0."),
    code(r"""
net = Network([Conv(kernel=k[l], stride=s[l], padding=[a[l], b[l]], dilation=d[l], name=f"c{l + 1}") for l in range(L)])
forms = rfsym.derive(net)
mine = {"n": n_closed, "j": J, "r": R, "start": start, "P": P}
diffs = {key: sp.simplify(sp.sympify(mine[key]) - sp.sympify(getattr(forms, key))) for key in mine}
eq = net.equivalent()
eq_diffs = [sp.simplify(sp.sympify(eq.kernel) - R), sp.simplify(sp.sympify(eq.stride) - J),
            sp.simplify(sp.sympify(eq.padding[0]) - P), sp.simplify(sp.sympify(eq.padding[1]) - (pads - P))]
diffs, eq_diffs
"""),
    md("(b) Brute force on random stacks of 1 to 5 layers: pixel sets against the closed forms."),
    code(ORACLE),
    code(r"""
def closed(layers, size):
    Jv, Rv, Pv, pads_v = 1, 1, 0, 0
    for kv, sv, plv, prv, dv in layers:
        Rv += dv * (kv - 1) * Jv
        Pv += plv * Jv
        pads_v += (plv + prv) * Jv
        Jv *= sv
    return {"n": (size + pads_v - Rv) // Jv + 1, "j": Jv, "r": Rv,
            "start": Fraction(1, 2) + Fraction(Rv - 1, 2) - Pv, "P": Pv}

rng = random.Random(2)
checked = 0
for _ in range(400):
    layers = [random_layer(rng) for _ in range(rng.randint(1, 5))]
    size = rng.randint(1, 120)
    want = brute_force(layers, size)
    sizes_ok = True
    m = size
    for kv, sv, plv, prv, dv in layers:      # every intermediate map must be non-empty
        m = (m + plv + prv - dv * (kv - 1) - 1) // sv + 1
        sizes_ok &= m >= 1
    if not sizes_ok:
        continue
    assert closed(layers, size) == want, (layers, size)
    checked += 1
checked
"""),
    code(r"""
assert lemma_ok
assert all(c == 0 for c in checks)
assert all(v == 0 for v in diffs.values()) and all(v == 0 for v in eq_diffs)
assert checked > 150
"""),
]


REPEAT = [
    md(r"""
# Repeated blocks: closed forms in the number of copies L

A block repeated $L$ times contributes the same terms over and over, scaled
by the jump accumulated so far.  For one convolution with kernel $k$, stride
$s$ and padding $p$, the copy $\ell$ sees the jump $s^{\ell-1}$, so

$$ R = 1 + (k-1)\sum_{\ell=1}^{L} s^{\ell-1},\qquad P = p\sum_{\ell=1}^{L} s^{\ell-1},\qquad J = s^L .$$

The geometric sum has two cases, $s = 1$ and $s \ne 1$ — a real case split,
so the result is a `Piecewise` unless the domain of $s$ rules one out.
"""),
    code(SETUP),
    code(r"""
k, s, Lc = sp.symbols("k s L", integer=True, positive=True)
p = sp.Symbol("p", integer=True, nonnegative=True)
l = sp.Symbol("l", integer=True, positive=True)
N = sp.Symbol("n", integer=True, positive=True)
geo = sp.summation(s ** (l - 1), (l, 1, Lc))
geo
"""),
    code(r"""
R = 1 + (k - 1) * geo
P = p * geo
J = s ** Lc
start = sp.Rational(1, 2) + (R - 1) / 2 - P
# n: the stack rule floor((N + Σ (pL + pR) J_{l-1} - R)/J) + 1 with pL = pR = p
n_out = sp.floor((N + 2 * p * geo - R) / J) + 1
sp.piecewise_fold(R)
"""),
    md(r"""
## TCN / WaveNet: dilations $b^{\ell-1}$

Stride 1 and dilation $b^{\ell-1}$ in copy $\ell$: the field grows by
$(k-1) b^{\ell-1}$ per copy, so $R = 1 + (k-1)(b^L - 1)/(b - 1)$ for $b \ne 1$.
"""),
    code(r"""
bb = sp.Symbol("b", integer=True, positive=True)
R_tcn = 1 + sp.summation((k - 1) * bb ** (l - 1), (l, 1, Lc))
R_tcn_general = 1 + (k - 1) * (bb**Lc - 1) / (bb - 1)
tcn_branch_ok = sp.simplify(sp.piecewise_fold(R_tcn).args[1][0] - R_tcn_general) == 0
R_tcn, tcn_branch_ok
"""),
    md('## Checks\n\n(a) rfsym\'s `Repeat(block, times="L")` forms minus ours simplify to 0 (both branches).'),
    code(r"""
def same(x, y):
    # compare Piecewise results branch by branch (same conditions), else directly
    x, y = sp.piecewise_fold(sp.sympify(x)), sp.piecewise_fold(sp.sympify(y))
    if isinstance(x, sp.Piecewise) or isinstance(y, sp.Piecewise):
        for val in (1, 2, 3, 5):   # the case split is on s = 1: check each branch symbolically
            if sp.simplify(x.subs(s, val) - y.subs(s, val)) != 0:
                return False
        xs = x.args[-1][0] if isinstance(x, sp.Piecewise) else x
        ys = y.args[-1][0] if isinstance(y, sp.Piecewise) else y
        return sp.simplify(xs - ys) == 0
    return sp.simplify(x - y) == 0

net = Network([Repeat(block=[Conv(kernel=k, stride=s, padding=p, name="c")], times=Lc, name="rep")])
forms = rfsym.derive(net)
mine = {"n": n_out, "j": J, "r": R, "start": start, "P": P}
agree = {key: same(mine[key], getattr(forms, key)) for key in mine}
spec = '''
[symbols]
k = { min = 1 }
b = { min = 1 }
L = { min = 1 }
[[layers]]
kind = "repeat"
times = "L"
index = "l"
[[layers.layers]]
kind = "conv"
kernel = "k"
dilation = "b**(l-1)"
'''
tcn = rfsym.derive(rfsym.loads(spec))
tcn_general = [e for e, c in tcn.r.args if c == True][0]
tcn_diff = sp.simplify(tcn_general - R_tcn_general.subs({x: next(y for y in tcn.r.free_symbols if y.name == x.name) for x in R_tcn_general.free_symbols}))
agree, tcn_diff
"""),
    md("(b) Brute force: unrolled stacks for L = 1..12, pixel sets against our forms."),
    code(ORACLE),
    code(r"""
rng = random.Random(4)
checked = 0
for Lv in range(1, 13):
    for _ in range(6):
        kv, sv, pv = rng.randint(1, 4), rng.randint(1, 2), rng.randint(0, 2)
        layers = [(kv, sv, pv, pv, 1)] * Lv
        size = sv ** Lv * rng.randint(1, 4) + 2 * kv * Lv
        want = brute_force(layers, size)
        env = {k: kv, s: sv, p: pv, Lc: Lv, N: size}
        got = {key: sp.nsimplify(sp.sympify(v).subs(env)) for key, v in mine.items()}
        assert got == {key: sp.nsimplify(v) for key, v in want.items()}, (Lv, kv, sv, pv, size)
        # TCN: dilation b**(l-1)
        bv = rng.randint(1, 3)
        tl = [(kv, 1, 0, 0, bv ** i) for i in range(Lv)]
        size = 1 + sum((kv - 1) * bv ** i for i in range(Lv)) + rng.randint(0, 5)
        assert brute_force(tl, size)["r"] == R_tcn.subs({k: kv, bb: bv, Lc: Lv})
        checked += 1
checked
"""),
    code(r"""
assert tcn_branch_ok and tcn_diff == 0
assert all(agree.values()), agree
assert checked == 72
"""),
]


GENERAL = [
    md(r"""
# The general L-layer stack: sums and products over indexed parameters

Layer $\ell$ has kernel $k_\ell$, stride $s_\ell$, padding $p_\ell$ and
dilation $d_\ell$.  Unrolling the recurrences of `stack_equivalent.ipynb` for a
symbolic number of layers $L$ gives

$$ J = \prod_{\ell=1}^{L} s_\ell,\qquad
R = 1 + \sum_{\ell=1}^{L} d_\ell (k_\ell - 1) \prod_{i=1}^{\ell-1} s_i,\qquad
P = \sum_{\ell=1}^{L} p_\ell \prod_{i=1}^{\ell-1} s_i, $$
$$ n_L = \left\lfloor \frac{N + \sum_\ell 2 p_\ell \prod_{i<\ell} s_i - R}{J} \right\rfloor + 1 .$$
"""),
    code(SETUP),
    code(r"""
Lc = sp.Symbol("L", integer=True, positive=True)
ell = sp.Symbol("ell", integer=True, positive=True)
i = sp.Symbol("i", integer=True, positive=True)
N = sp.Symbol("n", integer=True, positive=True)
k = sp.IndexedBase("k", integer=True, positive=True)
s = sp.IndexedBase("s", integer=True, positive=True)
d = sp.IndexedBase("d", integer=True, positive=True)
p = sp.IndexedBase("p", integer=True, nonnegative=True)

Jprev = sp.Product(s[i], (i, 1, ell - 1))
J = sp.Product(s[i], (i, 1, Lc))
R = 1 + sp.Sum(d[ell] * (k[ell] - 1) * Jprev, (ell, 1, Lc))
P = sp.Sum(p[ell] * Jprev, (ell, 1, Lc))
start = sp.Rational(1, 2) + (R - 1) / 2 - P
n_out = sp.floor((N + sp.Sum(2 * p[ell] * Jprev, (ell, 1, Lc)) - R) / J) + 1
R
"""),
    md(r"""
## Induction step

Adding layer $L+1$ to the forms for $L$ with the one-layer rule
$r \mapsto r + (\kappa - 1) j$ must give the forms for $L+1$: the new
term is the last summand, with $j = J_L$.
"""),
    code(r"""
def at(expr, Lv):
    return sp.expand(expr.subs(Lc, Lv).doit())

step_ok = all(
    sp.expand(at(R, Lv + 1) - (at(R, Lv) + d[Lv + 1] * (k[Lv + 1] - 1) * at(J, Lv))) == 0
    and sp.expand(at(P, Lv + 1) - (at(P, Lv) + p[Lv + 1] * at(J, Lv))) == 0
    and sp.expand(at(J, Lv + 1) - at(J, Lv) * s[Lv + 1]) == 0
    for Lv in range(1, 7)
)
step_ok
"""),
    md(
        "## Checks\n\n(a) rfsym's `general_stack()` minus ours simplifies to 0 — symbolically in L, and after `doit` for L = 1..6."
    ),
    code(r"""
from rfsym.closed_form import general_stack

forms = general_stack()
mine = {"n": n_out, "j": J, "r": R, "start": start, "P": P}

def rename(expr):
    # rfsym's product index is a Dummy; give it our name so the summands can cancel
    return expr.replace(lambda e: isinstance(e, sp.Product), lambda e: sp.Product(e.function.xreplace({e.variables[0]: i}), (i,) + e.limits[0][1:]))

symbolic = {key: sp.simplify(rename(sp.sympify(getattr(forms, key))) - mine[key]) for key in mine}
concrete = {key: all(sp.expand((getattr(forms, key) - mine[key]).subs(Lc, Lv).doit()) == 0 for Lv in range(1, 7)) for key in mine if key != "n"}
symbolic, concrete
"""),
    md("(b) Brute force: random concrete stacks, the forms with L and values given (`doit`) against pixel sets."),
    code(ORACLE),
    code(r"""
rng = random.Random(5)
checked = 0
while checked < 60:
    Lv = rng.randint(1, 6)
    layers = [random_layer(rng) for _ in range(Lv)]
    layers = [(kv, sv, pl, pl, dv) for kv, sv, pl, _, dv in layers]   # symmetric padding p_l
    size = rng.randint(1, 150)
    want = brute_force(layers, size)
    m, ok = size, True
    for kv, sv, pl, pr, dv in layers:
        m = (m + pl + pr - dv * (kv - 1) - 1) // sv + 1
        ok &= m >= 1
    if not ok:
        continue
    env = {N: size}
    for idx, (kv, sv, pl, _, dv) in enumerate(layers, 1):
        env.update({k[idx]: kv, s[idx]: sv, p[idx]: pl, d[idx]: dv})
    got = {key: sp.nsimplify(v.subs(Lc, Lv).doit().subs(env)) for key, v in mine.items()}
    assert got == {key: sp.nsimplify(v) for key, v in want.items()}, (layers, size)
    checked += 1
checked
"""),
    code(r"""
assert step_ok
assert all(v == 0 for v in symbolic.values()), symbolic
assert all(concrete.values())
assert checked == 60
"""),
]


def main() -> None:
    notebook("one_layer", ONE_LAYER)
    notebook("stack_equivalent", STACK)
    notebook("repeated_blocks", REPEAT)
    notebook("general_L", GENERAL)


if __name__ == "__main__":
    main()
