"""Write derivations/latex_exports.ipynb: every LaTeX export of rfsym, compiled with pdflatex and
checked against a brute-force pixel-set propagation.

Run from the repository root: ``python derivations/_build/latex_exports.py``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat as nbf

OUT = Path(__file__).resolve().parents[1] / "latex_exports.ipynb"

cells: list[tuple[str, str]] = []


def md(text: str) -> None:
    cells.append(("md", text.strip("\n")))


def code(text: str) -> None:
    cells.append(("code", text.strip("\n")))


md(r"""
# LaTeX exports for papers

Everything rfsym computes goes into a paper as LaTeX that compiles with
pdflatex: layers and networks (`rfsym.latex`), per-layer tables (booktabs),
derivations (`rfsym.derivation`, an `align` environment), closed forms of
repeated blocks and of the general $L$-layer stack, solution sets, and the
seed post's receptive-field picture as TikZ (and with matplotlib).

The last cells compile every export with `pdflatex` and check the numbers in
them against a brute-force propagation of pixel sets that knows nothing about
rfsym's arithmetic.
""")

code(r"""
import random
import shutil
import subprocess
import tempfile
from fractions import Fraction
from pathlib import Path

import sympy
from IPython.display import HTML, Latex, Markdown, display

import rfsym
from rfsym import Conv, Network, Pool, Repeat, derivation, derive, latex, load, loads, solve
from rfsym.closed_form import general_stack
from rfsym.commands.export import document, export_body
from rfsym.printing.tikz import figure_geometry, tikz_figure


def brute_force(layers, n, origin=Fraction(1, 2)):
    # layers: (kernel, stride, (left, right), dilation).  Feature i of a layer reads input
    # positions i*s - pL + t*d, t = 0..k-1; follow the sets of features 0 and 1 back to the input.
    sizes = [n]
    for k, s, (pl, pr), d in layers:
        sizes.append((sizes[-1] + pl + pr - d * (k - 1) - 1) // s + 1)
    rows = []
    for depth in range(1, len(layers) + 1):
        sets = []
        for unit in (0, 1):
            cur = {unit}
            for k, s, (pl, pr), d in reversed(layers[:depth]):
                cur = {i * s - pl + t * d for i in cur for t in range(k)}
            sets.append(cur)
        lo, hi = min(sets[0]), max(sets[0])
        rows.append(dict(n=sizes[depth], j=min(sets[1]) - lo, r=hi - lo + 1, start=origin + Fraction(lo + hi, 2), P=-lo))
    return rows


def params(net):
    out = []
    for lay in net.flat_layers():
        if not hasattr(lay, "axis_params"):  # pass-through (ReLU, ...): one pixel, stride 1
            out.append((1, 1, (0, 0), 1))
            continue
        k, s, pad, d, _ = lay.axis_params(0)
        out.append((k, s, tuple(pad), d))
    return out
""")

md(r"""
## Layers and networks

`rfsym.latex(obj, **settings)` is sympy's `LatexPrinter` extended with
`_print_<Class>` methods; rfsym objects also have `_latex`, so `sympy.latex`
prints them the same way. A network prints the state of its output.
""")

code(r"""
alexnet = load("alexnet")
print(latex(alexnet.layers[0]))
print(latex(Pool(kernel=3, stride=2)))
print(latex(Repeat(block=[Conv(kernel=3, padding=1), Pool(kernel=2)], times="L")))
print(latex(alexnet, environment="align", label="eq:alexnet"))
assert sympy.latex(alexnet) == latex(alexnet)
display(Latex("$" + latex(alexnet) + "$"))
""")

md(r"""
Settings: notation ($k_\ell$ or $k^{(\ell)}$), names of the quantities,
0- or 1-based indices, environment, labels and floor style. Unknown settings raise.
""")

code(r"""
print(latex(alexnet, notation="superscript", names={"r": "R", "start": "c"}, environment="inline"))
print(latex(sympy.floor((sympy.Symbol("n_in") + 3) / 2), floor_style="fixed"))
try:
    latex(alexnet, colour="red")
except rfsym.RfsymError as e:
    print("error:", e)
""")

md(r"""
## Tables

Booktabs, with a caption, a label and a column selection; per-axis values
print as tuples $(3, 5)$ (docs/notation.md), symbolic cells as math. The same table in Markdown and HTML.
""")

code(r"""
table = alexnet.table()
table_tex = table.to_latex(label="tab:alexnet")
print(table_tex)
from rfsym.printing.table import table_markdown
display(Markdown(table_markdown(table, columns=["layer", "kernel", "stride", "r", "j", "start"])))
display(HTML(table._repr_html_()))
""")

md(r"""
## A derivation

The recurrence is obtained by running the transfer function of a convolution
on a symbolic state, then unrolled over the network's layers; the nested floors
are folded with $\lfloor(\lfloor x/a\rfloor + c)/b\rfloor = \lfloor(x + ac)/(ab)\rfloor$.
""")

code(r"""
stack = Network(
    [Conv(kernel="k_1", stride="s", name="conv1"), Conv(kernel=3, padding="p_left", name="conv2"), Pool(kernel=2, name="pool")],
    input="n_in",
    name="stack",
)
stack_tex = derivation(stack, label="eq:stack")
print(stack_tex)
""")

md(r"""
## Repeated blocks and the general $L$-layer stack

A block repeated $L$ times gives geometric sums; the general stack of $L$
convolutions with indexed parameters gives sums and products (shown 0-based too).
""")

code(r"""
blocks = Network([Repeat(block=[Conv(kernel="k", stride="s", padding="p")], times="L")], input="N", name="blocks")
blocks_tex = derivation(blocks)
general = general_stack()
general_tex = latex(general, environment="align", label="eq:general") + "\n" + latex(general, environment="align*", index_base=0)
print(general_tex)
""")

md(r"""
## A solution set
""")

code(r"""
template = loads('''
name = "template"
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
''')
solutions = solve(template, r=11)
solutions_tex = latex(solutions, environment="align", label="eq:solutions")
print(solutions_tex)
""")

md(r"""
## The receptive-field picture

The seed post's example: a 5×5 input with padding 1, two 3×3 convolutions
with stride 2. TikZ for the paper, matplotlib for notebooks.
""")

code(r"""
seed = Network([Conv(kernel=3, stride=2, padding=1, name="c1"), Conv(kernel=3, stride=2, padding=1, name="c2")], input=5, name="seed")
figure_tex = tikz_figure(seed, "c2", caption="The seed example: receptive fields of size 7.") + tikz_figure(alexnet, "conv2", label="fig:alexnet")
print(figure_tex[:400])
from rfsym.plot import layers_figure, rf_figure
rf_figure(seed, "c2");
layers_figure(load("vgg16"));
""")

md(r"""
## Everything compiles

All exports, in one article document that loads only amsmath, booktabs and tikz.
""")

code(r"""
def pdflatex(body):
    # compile one article document (amsmath, booktabs, tikz); return (exit status, log)
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "paper.tex").write_text(document(body))
        proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "paper.tex"], cwd=tmp,
                              capture_output=True, text=True)
        return proc.returncode, Path(tmp, "paper.log").read_text(encoding="latin-1")


tables_only = table_tex + load("vgg16").table().to_latex(label="tab:vgg16") + stack.table().to_latex(label="tab:stack")
status, log = pdflatex(tables_only)
print("tables: pdflatex exit status", status, "| overfull boxes:", log.count("Overfull"))
assert status == 0 and "Overfull" not in log

everything = "\n".join([tables_only, stack_tex, blocks_tex, general_tex, solutions_tex, figure_tex, export_body(alexnet)])
status, log = pdflatex(everything)
print("all exports: pdflatex exit status", status)
assert status == 0 and not [ln for ln in log.splitlines() if ln.startswith("!")]
""")

md(r"""
## Checks against rfsym and brute force

1. The AlexNet and VGG-16 tables hold the brute-force values.
2. The derivation's closed form is rfsym's (`rfsym.derive`), and that form agrees
   with brute force for random parameters and input sizes.
3. The printed solution set is exactly the set found by enumerating the domain
   with brute force.
4. The picture's receptive-field boxes are the brute-force pixel sets.
""")

code(r"""
# 1. tables
for net in (alexnet, load("vgg16")):
    tex = net.table().to_latex(pass_through=True)
    body = tex.split("\\midrule\n", 1)[1].split("\\bottomrule", 1)[0]
    lines = [ln for ln in body.splitlines() if "&" in ln][1:]  # the layers, after the input row
    wants = brute_force(params(net), net.input[0])
    assert len(lines) == len(wants)
    for line, want in zip(lines, wants):
        cells = [c.strip().strip("$") for c in line.rstrip("\\ ").split("&")]
        assert cells[5:] == [str(want["n"]), str(want["j"]), str(want["r"]), rfsym._arith.fmt(want["start"]), str(want["P"])], line

# 2. the derivation's closed form
p = rfsym.printing.latex.RfsymLatexPrinter()
forms = derive(stack)
for q in ("n", "j", "r", "start", "P"):
    assert p._hprint_value(getattr(forms, q)) in stack_tex, q
rng = random.Random(1)
for _ in range(200):
    k1, s, pleft = rng.randint(1, 5), rng.randint(1, 3), rng.randint(0, 2)
    n_in = rng.randint(k1 + 3 * s + 2, 60)
    layers = [(k1, s, (0, 0), 1), (3, 1, (pleft, pleft), 1), (2, 2, (0, 0), 1)]
    want = brute_force(layers, n_in)[-1]
    if min(r["n"] for r in brute_force(layers, n_in)) < 1:
        continue
    values = {"k_1": k1, "s": s, "p_left": pleft, "n_in": n_in}
    got = forms.subs(values)
    assert (got.n, got.j, got.r, got.start, got.P) == (want["n"], want["j"], want["r"], want["start"], want["P"])

# 3. the solution set
brute = {(k, s) for k in range(1, 10) for s in (1, 2, 3)
         if min(r["n"] for r in brute_force([(k, s, (0, 0), 1), (3, 2, (0, 0), 1)], 64)) >= 1
         and brute_force([(k, s, (0, 0), 1), (3, 2, (0, 0), 1)], 64)[-1]["r"] == 11}
assert {(d["k"], d["s"]) for d in solutions.solutions} == brute
for k, s in brute:
    assert f"({k}, {s})" in solutions_tex

# 4. the picture
for net, layer in ((seed, "c2"), (alexnet, "conv2")):
    g = figure_geometry(net, layer)
    lay_params = params(net)[: [r.name for r in net.table().rows].index(layer)]
    for i, kk in g.features:
        for axis, idx in ((0, i), (1, kk)):
            cur = {idx}
            for k, s, (pl, pr), d in reversed(lay_params):
                cur = {q * s - pl + t * d for q in cur for t in range(k)}
            box = g.box((i, kk))
            assert (box[axis], box[axis + 2]) == (min(cur), max(cur) + 1)
print("all checks passed")
""")


md(r"""
## One printer, and LaTeX that reads back as what was printed

Every entry point prints through the same printer: `rfsym derive --format latex`,
`ClosedForms.to_latex`, `rfsym.latex` and `sympy.latex` give the same strings.
The last check reads the printed closed forms back with sympy's own LaTeX
parser (`sympy.parsing.latex.parse_latex`, an independent reader) and
compares them with the forms at random points, and exports a network whose
name tries to run `\\input`: the name prints as text.
""")

code(r"""
import sys
from sympy.core.function import AppliedUndef
from sympy.parsing.latex import parse_latex

from rfsym.printing.escape import tex_text

cli = subprocess.run([sys.executable, "-m", "rfsym", "derive", "alexnet", "--format", "latex"],
                     capture_output=True, text=True, check=True).stdout
assert cli.rstrip("\n") == derive(alexnet).to_latex().rstrip("\n") == latex(derive(alexnet), environment="align*")
assert sympy.latex(forms) == latex(forms)

def read_back(tex, symbols):
    # the parser does not read upright subscripts (n_{\mathrm{in}}): name each symbol z_{i} first
    names = {}
    for i, x in enumerate(sorted(symbols, key=lambda x: -len(p._print(x)))):
        tex = tex.replace(p._print(x), "z_{%d}" % i)
        names["z_{%d}" % i] = x
    e = parse_latex(tex)  # 's \left(x\right)' reads as a call s(x): a product here
    e = e.replace(lambda x: isinstance(x, AppliedUndef), lambda x: sympy.Symbol(x.func.__name__) * x.args[0])
    return e.xreplace({x: names.get(x.name, x) for x in e.free_symbols})

rng = random.Random(2)
for q in ("n", "j", "r", "start", "P"):
    e = sympy.sympify(getattr(forms, q))
    back = read_back(p._hprint_value(e), e.free_symbols)
    for _ in range(20):
        point = {x: rng.randint(1, 4) if x.name != "n_in" else rng.randint(40, 90) for x in e.free_symbols}
        assert e.xreplace(point) == back.xreplace(point), q

hostile = Network([Conv(kernel=3, name="c1")], input=8, name="x\n\\input{/etc/hostname}")
body = export_body(hostile)
assert "\\input{" not in body and tex_text(hostile.name) in body.splitlines()[0]
print("one printer; forms read back; hostile name escaped")
""")


def main() -> None:
    nb = nbf.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.cells = [nbf.v4.new_markdown_cell(t) if kind == "md" else nbf.v4.new_code_cell(t) for kind, t in cells]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"latex-{i:02d}"  # stable ids: regenerating gives the same file
    nbf.write(nb, OUT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
