"""Issue 14: paper-ready LaTeX -- bounded figures for every model, 1-D and N-D pictures, solution sets that
fit and say exactly what they are, one notation.  Values are checked against the table (the transfer
functions) and against brute force (membership in the solver's progressions)."""

from __future__ import annotations

import math
import re
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rfsym import Conv, Network, Upsample, derivation, latex, load, loads, solve
from rfsym.commands.export import document, export_body
from rfsym.errors import RfsymError
from rfsym.io.spec import builtin_names as zoo_names
from rfsym.printing.pdflatex import run_pdflatex
from rfsym.printing.relations import describe_union
from rfsym.printing.tikz import MAX_SHOWN, figure_geometry, tikz_figure
from rfsym.solver.result import Progression

ROOT = Path(__file__).resolve().parent.parent


def _circles(tex: str) -> int:
    """How many circles the picture draws (a \\foreach over ys and xs draws their product)."""
    total = 0
    for line in tex.splitlines():
        if "circle" not in line:
            continue
        loops = re.findall(r"\\foreach \\[a-z] in \{([^}]*)\}", line)
        total += math.prod(len(x.split(",")) for x in loops) if loops else 1
    return total


# -- figures -----------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", zoo_names())
def test_every_zoo_figure_is_bounded(name: str) -> None:
    """Every built-in model's default figure draws at most MAX_SHOWN feature centres per axis (plus the
    marked features), whatever its input size (U-Net 256x256, ResNet-152, wav2vec 2.0 at 16 kHz)."""
    net = load(name)
    try:
        g = figure_geometry(net)
    except RfsymError as e:  # only a template (symbolic stage depths): a figure needs numbers, said in one line
        assert net.free_symbols and "symbolic" in str(e) and "\n" not in str(e)
        return
    assert all(len(s) <= MAX_SHOWN + len(g.features) for s in g.shown)
    assert _circles(tikz_figure(net)) <= (MAX_SHOWN + 2) ** g.dims + len(g.features)
    row = net.table()[g.layer]
    for k, a in enumerate(g.axes):  # the drawn centres are start + i j of the table (origin 1/2)
        st_ = row.states[a]
        assert all(g.centre(k, i) == st_.start + i * st_.j for i in g.shown[k])
        assert g.shown[k][0] == 0 and g.shown[k][-1] == st_.n - 1


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5000), st.lists(st.integers(0, 4999), max_size=3))
def test_sampling_keeps_ends_and_features(count: int, keep: list[int]) -> None:
    """The sampled indices are sorted, distinct, in range, at most MAX_SHOWN plus the kept ones, and hold
    the first, the last and every kept feature; all of them while there are at most MAX_SHOWN."""
    from rfsym.printing.tikz import _sample

    keep = [k for k in keep if k < count]
    s = _sample(count, keep)
    assert list(s) == sorted(set(s)) and all(0 <= i < count for i in s)
    assert {0, count - 1, *keep} <= set(s) and len(s) <= MAX_SHOWN + len(keep)
    if count <= MAX_SHOWN:
        assert s == tuple(range(count))


def test_one_declared_axis_is_drawn_in_1d() -> None:
    """A network with one declared axis draws a strip: intervals of side r around start + i j."""
    net = Network([Conv(kernel=[400], stride=[320], name="c")], input=16000)
    g = figure_geometry(net)
    assert g.dims == 1 and g.box((0,)) == (0, 400) and g.box((g.count[0] - 1,)) == (320 * 48, 320 * 48 + 400)
    tex = tikz_figure(net)
    assert "|-|" in tex and "rectangle (16000," in tex


def test_nd_figure_draws_two_axes_and_says_so() -> None:
    """A 3-D network draws its last two axes; the caption says which, and that centres are sampled."""
    net = Network([Conv(kernel=[3, 7, 7], stride=[1, 2, 2], padding=[1, 3, 3], name="c")], input=[16, 64, 64])
    g = figure_geometry(net)
    assert g.axes == (1, 2) and g.rf == (7, 7)
    cap = tikz_figure(net, label="fig:x", layout="single")  # the default draws one strip per axis (issue 14)
    assert "Axes 1 and 2 of 3" in cap and "feature centres drawn (evenly spaced)" in cap
    assert figure_geometry(net, axes=[0]).rf == (3,)


def test_upsampled_layer_is_not_a_blob() -> None:
    """An upsampled layer (jump 1/4) draws at most MAX_SHOWN centres per axis, dots smaller than their
    spacing, and the caption says how many features share a pixel."""
    net = Network([Conv(kernel=3, padding=1, name="c"), Upsample(scale=4, name="up")], input=[64, 64])
    g = figure_geometry(net, "up")
    assert g.jump == (0.25, 0.25) and all(len(s) <= MAX_SHOWN + 2 for s in g.shown)
    tex = tikz_figure(net, "up", label="fig:u")
    assert "4 features per input pixel (upsampled)" in tex
    radius = float(re.search(r"\\foreach .*circle\[radius=([0-9.e-]+)\]", tex).group(1))
    spacing = min(float(g.jump[k]) * min(b - a for a, b in zip(s, s[1:])) for k, s in enumerate(g.shown))
    assert 2 * radius < spacing


def test_unet_standalone_compiles_fast(tmp_path: Path) -> None:
    """rfsym export unet --standalone compiles with pdflatex (it drew 65,536 circles: TeX capacity exceeded),
    with no overfull box, in well under 10 s of pdflatex CPU time."""
    run = run_pdflatex(tmp_path, "unet", document(export_body(load("unet"))))
    assert run.returncode == 0, run.stdout[-2000:]
    assert run.cpu_seconds < 10.0
    assert "Overfull" not in run.log


# -- solution sets ---------------------------------------------------------------------------

_REPEAT = """
[symbols]
k = { min = 1 }
L = { min = 1 }
[[layers]]
name = "stage"
kind = "repeat"
times = "L"
layers = [{ kind = "conv", kernel = "k", stride = 2 }]
"""

_TEMPLATE = """
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


def test_symbolic_solution_conditions() -> None:
    """A symbolic solution prints its conditions after 'when' (not '\\text{if} = ...'), without 'True'."""
    sym = solve(loads(_REPEAT), r="R", unknowns=["k"])
    out = latex(sym)
    assert r"\text{if} =" not in out and r"\text{True}" not in out
    assert out.startswith(r"k = \frac{R - 1}{2^{L} - 1} + 1 \quad \text{when } ")
    assert r"\bmod" in out
    aligned = latex(sym, environment="align*")
    assert r"\\ &\qquad \text{when }" in aligned


def test_empty_set_needs_no_amssymb() -> None:
    """No solution prints as \\emptyset (LaTeX itself), never \\varnothing (amssymb)."""
    res = solve(loads(_TEMPLATE), r=1000)
    assert res.count == 0
    assert latex(res) == r"\{(k, s) : r = 1000\} = \emptyset"


def test_long_inline_set_may_break() -> None:
    """A long set outside align may break between its tuples (inline math breaks at \\allowbreak)."""
    res = solve(loads(_TEMPLATE), r=">=7")
    assert latex(res).count(r"\allowbreak") == len(res.solutions) - 1


@st.composite
def progressions(draw: st.DrawFn) -> list[Progression]:
    out = []
    for _ in range(draw(st.integers(1, 6))):
        step = draw(st.integers(1, 12))
        t_min = draw(st.integers(0, 6))
        finite = draw(st.booleans())
        out.append(
            Progression(
                symbol="N",
                step=step,
                offset=draw(st.integers(0, 40)),
                t_min=t_min,
                t_max=t_min + draw(st.integers(0, 8)) if finite else None,
            )
        )
    return out


def _member(piece: tuple, v: int) -> bool:
    kind, _, data = piece
    if kind == "points":
        return v in data
    lo, hi, modulus, residues, excluded = data
    if v < lo or (hi is not None and v > hi):
        return False
    if modulus is None:
        return True
    return (v % modulus in residues) if residues is not None else (v % modulus not in excluded)


@settings(max_examples=150, deadline=None)
@given(progressions())
def test_union_description_is_exact(progs: list[Progression]) -> None:
    """The simplest description of a union of progressions has exactly the union's members (brute force
    over a range that covers every start and two periods beyond the last)."""
    pieces = [piece for _, piece in describe_union(progs)]
    top = max(p.first for p in progs) + max((p.last or 0) for p in progs) + 2 * math.lcm(*(p.step for p in progs))
    for v in range(-3, top + 3):
        assert any(_member(pc, v) for pc in pieces) == any(v in p for p in progs), v


def test_union_of_all_residues_is_a_ray() -> None:
    """VGG-16 with n >= 5: 32 progressions of step 32 are the one ray N >= 160."""
    from rfsym.values import SymbolDomain

    vgg = load("vgg16")
    net = Network(vgg.layers, input="N", name="vgg16", symbols={"N": SymbolDomain(min=1)})
    res = solve(net, n=">=5")
    assert len(res.parametric) == 32
    assert latex(res) == r"\{N : n \geq 5\} = \{N : N \geq 160\}"


# -- N-D derivations -----------------------------------------------------------------------------


def test_nd_derivation_says_which_axes() -> None:
    """A 3-D derivation says it covers axis 0 of 3 (or every axis when they agree)."""
    nd = Network([Conv(kernel=[3, 7, 7], stride=[1, 2, 2], name="c")], input=[16, 64, 64])
    assert "on axis 0 of 3 (the other 2 axes follow the same steps" in derivation(nd)
    assert "on each of its 2 axes" in derivation(Network([Conv(kernel=3)], input=[8, 8]))


# -- paper mode and one notation ------------------------------------------------------------------


def _relations(tex: str) -> list[str]:
    """The ``lhs &= rhs`` relations of align environments (labels and tags stripped)."""
    out = []
    for line in tex.splitlines():
        if "&=" in line and not line.lstrip().startswith("\\intertext"):
            out.append(re.sub(r"\\label\{[^}]*\}|\\notag|\s*\\\\$", "", line).strip())
    return out


def test_vgg16_paper_export() -> None:
    """VGG-16's export hides its 13 ReLU rows (and says so), counts L = 18 layers, repeats no equation and
    no label, and its numbers are decimals in the table and the equations alike."""
    body = export_body(load("vgg16"))
    table = body.split(r"\begin{table}", 1)[1].split(r"\end{table}", 1)[0]
    assert "relu" not in table and "(13 rows: activations, normalisation, dropout)" in table
    assert "$L = 18$ layers" in body and "_{31}" not in body
    rels = _relations(body)
    assert len(rels) == len(set(rels))
    labels = re.findall(r"\\label\{([^}]*)\}", body)
    assert len(labels) == len(set(labels)) and "eq:vgg16:r" in labels
    shown = export_body(load("vgg16"), pass_through=True)
    assert "relu1\\_1" in shown or "relu" in shown.split(r"\end{table}", 1)[0]


def test_numbers_setting_is_one_for_tables_and_equations() -> None:
    """numbers='decimal' (default) prints AlexNet's start 5.5 in the table and the derivation; 'exact' prints
    11/2 in the table and \\frac{11}{2} in the equations."""
    net = load("alexnet")
    dec, exact = export_body(net), export_body(net, numbers="exact")
    assert "conv1 & $11$ & $4$ & $0$ & $55$ & $4$ & $11$ & $5.5$ & $0$" in dec
    assert r"\mathrm{start}_{1} &= \mathrm{start}_{0} + 5 j_{0} = 5.5" in dec
    assert "$11 / 2$" in exact and r"= \frac{11}{2}" in exact and "$5.5$" not in exact


def test_entry_points_agree_on_the_notation(tmp_path: Path) -> None:
    """The same quantity has the same name at every entry point: rfsym.latex(net), sympy.latex, the closed
    forms (rfsym.derive, rfsym derive --format latex), the derivation, the export and Jupyter: r_{L} = 212."""
    import sympy

    from rfsym import derive
    from rfsym.cli import main

    net = load("vgg16")
    want = r"r_{L} = 212"
    assert want in latex(net) and want in sympy.latex(net)
    assert r"r_{L} &= 212" in derive(net).to_latex()
    assert r"r_{L} &= r_{18} = 212" not in derivation(net)  # deep: the general form, then the value
    assert r"r_{L} &= 212\label{eq:vgg16:r}" in export_body(net)
    assert r"r_{L} &= 212" in derive(net)._repr_latex_()
    out = tmp_path / "d.tex"
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["derive", "vgg16", "--format", "latex"]) == 0
    assert r"r_{L} &= 212" in buf.getvalue()
    del out
    resnet = load("resnet18")
    assert latex(resnet, quantities=["r"]).startswith("r_{L} = ")


def test_repeat_export_keeps_its_table_and_geometric_step() -> None:
    """A block repeated L times exports the table of its layers and the geometric-sum step."""
    net = loads(
        'input = "N"\n[symbols]\nN = { min = 1 }\nk = { min = 1 }\ns = { min = 1 }\np = { min = 0 }\n'
        'L = { min = 1 }\n[[layers]]\nname = "blocks"\nkind = "repeat"\ntimes = "L"\n'
        'layers = [{ kind = "conv", kernel = "k", stride = "s", padding = "p" }]\n'
    )
    body = export_body(net)
    assert r"\begin{table}" in body and r"blocks ($\times L$)" in body
    assert (
        r"the sums are geometric" in body and r"r_{L} &= \sum_{\ell=1}^{L} s^{\ell - 1} \left(k - 1\right) + 1" in body
    )


def test_compact_general_form_is_the_table(tmp_path: Path) -> None:
    """The one-column general form n_L = floor((n_0 + T - r_L)/j_L) + 1 with T the total padding holds on the
    table's values (deep numeric stacks print it)."""
    import random

    from rfsym.closed_form import derive as _derive  # noqa: F401  (same arithmetic as the table)

    rng = random.Random(3)
    for _ in range(60):
        layers = [
            Conv(kernel=rng.randint(1, 5), stride=rng.randint(1, 3), padding=[rng.randint(0, 2), rng.randint(0, 2)])
            for _ in range(rng.randint(1, 8))
        ]
        n0 = rng.randint(60, 400)
        try:
            table = Network(layers, input=n0).table()
        except Exception:  # an empty output: not a network
            continue
        j, total = 1, 0
        for lay in layers:
            _, s, (pl, pr), _, _ = lay.axis_params(0)
            total += (pl + pr) * j
            j *= s
        out = table.output[0]
        assert out.n == (n0 + total - out.r) // out.j + 1
        assert out.start == Fraction(out.r - 1, 2) + Fraction(1, 2) - out.P
    deep = Network([Conv(kernel=3, padding=1) for _ in range(14)], input=32)
    assert r"\frac{n_{0} + T - r_{L}}{j_{L}}" in derivation(deep)


# -- Jupyter -----------------------------------------------------------------------------------


def test_jupyter_shows_every_object() -> None:
    """Networks and graphs show their HTML table and output (notebooks prefer HTML) and LaTeX; layers,
    states, closed forms and solution sets show LaTeX in the notation of rfsym.latex; tables show HTML."""
    from rfsym import Conv, derive
    from rfsym.printing.latex import latex_lines

    net = load("alexnet")
    for obj in (net, load("resnet18")):
        html_ = obj._repr_html_()
        assert html_.startswith('<table class="rfsym-table">') and "<p>output: n = " in html_
        lines = r" \\ ".join(latex_lines(obj))
        assert obj._repr_latex_() == r"$\begin{aligned}" + lines + r"\end{aligned}$"
    assert Conv(kernel=3, stride=2)._repr_latex_() == r"$\displaystyle \mathrm{conv}(k = 3,\ s = 2)$"
    assert Conv(kernel=3)._repr_html_() is None
    forms = derive(net)
    assert forms._repr_html_() is None and r"r_{L} &= 355" in forms._repr_latex_()
    res = solve(loads(_TEMPLATE), r=11)
    assert res._repr_html_() is None and res._repr_latex_().startswith(r"$\begin{aligned}\{(k, s) : r = 11\}")
    table = net.table()
    assert table._repr_latex_() is None and table._repr_html_().startswith("<table")
    assert net.table().rows[1]._repr_latex_().startswith(r"$\begin{aligned}n &= 55 \\ j &= 4")


# -- physical units -------------------------------------------------------------------------------


def test_wav2vec_in_milliseconds() -> None:
    """At 16 kHz wav2vec 2.0's 400/320 samples are 25 ms / 20 ms in the table, the equations, the
    derivation and the figure; the figure is 1-D; parameters stay in samples."""
    from rfsym.printing.units import parse_units

    net = load("wav2vec2_feature_encoder")
    u = parse_units(sample_rate=16000)
    body = export_body(net, units=u)
    assert r"conv6 & $2$ & $2$ & $0$ & $49$ & $20$ & $25$ & $12.5$ & $0$ \\" in body
    assert r"r_{L} &= r_{6} + j_{6} = 400 = 25\,\mathrm{ms}" in body
    assert r"Receptive field $25\,\mathrm{ms}$, jump $20\,\mathrm{ms}$" in body and "|-|" in body
    assert (
        latex(net, units=u, quantities=["j", "r"])
        == r"j_{L} = 320 = 20\,\mathrm{ms},\quad r_{L} = 400 = 25\,\mathrm{ms}"
    )


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 200000), st.integers(1, 10**6))
def test_units_convert_exactly(rate: int, samples: int) -> None:
    """A converted value is exact (samples * 1000 / rate) when printed without rounding, and within the
    rounding of 4 significant digits otherwise."""
    from rfsym.printing.units import parse_units

    u = parse_units(sample_rate=rate)
    exact = Fraction(samples * 1000, rate)
    text = u.number(samples)
    if u.exact(samples):
        assert Fraction(text) == exact
    else:
        assert abs(Fraction(text) - exact) <= exact * Fraction(1, 1000)


def test_bad_units_are_one_line_errors() -> None:
    """Bad sample rates and spacings are RfsymErrors naming the value; the CLI exits 2."""
    from rfsym import RfsymError
    from rfsym.cli import main
    from rfsym.printing.units import parse_units

    for kw in ({"sample_rate": 0}, {"sample_rate": "fast"}, {"spacing": "-1mm"}, {"spacing": "3 parsecs"}):
        with pytest.raises(RfsymError, match="sample rate|pixel spacing"):
            parse_units(**kw)
    assert parse_units(spacing="0.5mm").tex(7) == r"3.5\,\mathrm{mm}"
    assert main(["export", "alexnet", "-o", "-", "--sample-rate", "-3"]) == 2


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), st.booleans(), st.booleans()), min_size=1, max_size=9))
def test_line_breaks_keep_the_formula(spec: list[tuple[int, bool, bool]]) -> None:
    """Breaking a long right-hand side loses nothing (the pieces, joined, are the formula), splits only at
    a top-level + or - (every piece has balanced braces and \\left/\\right and \\begin/\\end), and every piece
    that can be split is at most LINE_CHARS wide."""
    from rfsym.printing.environments import LINE_CHARS, break_rhs
    from rfsym.printing.printer import RfsymLatexPrinter
    from rfsym.printing.table import _visible_chars

    layers = [
        Conv(kernel=f"k_{i}" if sym_k else k, stride=f"s_{i}" if sym_s else 1, padding=f"p_{i}")
        for i, (k, sym_k, sym_s) in enumerate(spec, 1)
    ]
    net = Network(layers, input="n")
    p = RfsymLatexPrinter()
    for rhs in (rel[1] for rel in __import__("rfsym").printing.relations.output_relations(p, net)):
        pieces = break_rhs(rhs)
        assert " ".join(pieces) == rhs
        for piece in pieces:
            assert piece.count("{") - piece.count(r"\{") == piece.count("}") - piece.count(r"\}")
            assert piece.count(r"\left") == piece.count(r"\right")
            assert piece.count(r"\begin{") == piece.count(r"\end{")
            if _visible_chars(piece) > LINE_CHARS:  # too wide only when no top-level operator can split it
                assert break_rhs(piece, width=0) == [piece]


def test_cli_figure_dims_and_axes(tmp_path: Path) -> None:
    """rfsym plot/export --dims 1 draws a strip; --axes picks an N-D network's axes; a bad axis is one line
    and exit 2."""
    from rfsym.cli import main

    out = tmp_path / "w.tex"
    assert main(["plot", "wav2vec2_feature_encoder", "--dims", "1", "-o", str(out)]) == 0
    assert "|-|" in out.read_text()
    spec = tmp_path / "nd.toml"
    spec.write_text('input = [8, 16, 16]\n[[layers]]\nname = "c"\nkind = "conv"\nkernel = [1, 3, 3]\n')
    out2 = tmp_path / "nd.tex"
    assert main(["export", str(spec), "--axes", "0", "-o", str(out2)]) == 0
    assert "|-|" in out2.read_text() and "Axis 0 of 3" in out2.read_text()
    assert main(["plot", str(spec), "--axes", "0,5", "-o", str(tmp_path / "x.tex")]) == 2


def test_derivation_spread_and_holes() -> None:
    """spread=True adds the coverage counts' variance (rfsym.coverage.spread: AlexNet 11582/3) and the
    hole-free statement or condition; the export's --spread passes it on."""
    from rfsym.cli import main
    from rfsym.coverage.spread import closed_forms

    alex = derivation(load("alexnet"), spread=True)
    assert r"\sigma^{2}_{L} &= \frac{11582}{3}" in alex and "(no holes)" in alex
    assert closed_forms(load("alexnet"), 0).variance == Fraction(11582, 3)
    dil = Network([Conv(kernel="k", dilation="d", name="a"), Conv(kernel=3, dilation="e", name="b")], input=64)
    out = derivation(dil, spread=True)
    assert r"\text{no holes} &\iff d \leq 1 \wedge e \leq d \left(k - 1\right) + 1" in out
    assert r"\sigma" not in derivation(dil)
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["export", "alexnet", "--spread", "--no-figure", "-o", "-"]) == 0
    assert r"\sigma^{2}_{L}" in buf.getvalue()


def test_cli_paper_options(tmp_path: Path) -> None:
    """rfsym export --show-pass-through --numbers exact --landscape: ReLU rows shown, fractions, a turned
    table; the default hides the ReLU rows."""
    from rfsym.cli import main

    out = tmp_path / "v.tex"
    assert main(["export", "vgg16", "--no-figure", "-o", str(out)]) == 0
    assert "relu" not in out.read_text().split(r"\end{table}")[0]
    argv = ["export", "alexnet", "--no-figure", "--show-pass-through", "--numbers", "exact", "--landscape"]
    assert main([*argv, "-o", str(out), "--force"]) == 0
    text = out.read_text()
    assert r"\rotatebox{90}{%" in text and "$11 / 2$" in text
    assert main(["export", "vgg16", "--no-figure", "--show-pass-through", "-o", str(out), "--force"]) == 0
    assert "relu" in out.read_text().split(r"\end{table}")[0]


def test_layers_plot_in_milliseconds() -> None:
    """r and j across layers in ms with a sample rate: wav2vec's last point is 25 ms / 20 ms."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rfsym.plot import layers_figure
    from rfsym.printing.units import parse_units

    fig = layers_figure(load("wav2vec2_feature_encoder"), units=parse_units(sample_rate=16000))
    r_line, j_line = fig.axes[0].get_lines()[:2]
    assert r_line.get_ydata()[-1] == 25.0 and j_line.get_ydata()[-1] == 20.0
    assert fig.axes[0].get_ylabel() == "ms"
    plt.close(fig)


def test_zoo_audio_defaults_to_milliseconds_and_1d(tmp_path: Path) -> None:
    """The zoo's wav2vec 2.0 spec gives its sample rate (16 kHz): rfsym export and rfsym plot draw it in 1-D
    and say 25 ms / 20 ms without any option (it was drawn as a 16000 x 16000 square)."""
    from rfsym.cli import main

    net = load("wav2vec2_feature_encoder")
    assert getattr(net, "sample_rate", None) == 16000 and figure_geometry(net).dims == 1
    out = tmp_path / "w.tex"
    assert main(["export", "wav2vec2_feature_encoder", "-o", str(out)]) == 0
    text = out.read_text()
    assert r"r_{L} &= r_{6} + j_{6} = 400 = 25\,\mathrm{ms}" in text and "|-|" in text
    assert main(["plot", "wav2vec2_feature_encoder", "-o", str(tmp_path / "w.png")]) == 0
