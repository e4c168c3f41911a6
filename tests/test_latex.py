r"""LaTeX export: exact printer strings (sympy's style), values checked against brute force, and real pdflatex runs.

Every export that a paper would contain is compiled with ``pdflatex -interaction=nonstopmode
-halt-on-error`` in a temporary directory; tables must not produce an ``Overfull`` box.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import count_windows, from_layer, oracle, reads
from strategies import build, stacks

import rfsym
from rfsym import (
    AxisState,
    Conv,
    ConvTranspose,
    Identity,
    Network,
    Pool,
    Repeat,
    RfsymError,
    Upsample,
    derivation,
    latex,
    load,
    loads,
    solve,
)
from rfsym.cli import main
from rfsym.closed_form import derive, general_stack
from rfsym.commands.export import PREAMBLE, document, export_body
from rfsym.printing.latex import RfsymLatexPrinter
from rfsym.printing.pdflatex import run_pdflatex
from rfsym.printing.printer import _shift_indices
from rfsym.printing.relations import general_form as _general_form
from rfsym.printing.table import table_html, table_latex, table_markdown
from rfsym.printing.tikz import figure_geometry, tikz_figure

ROOT = Path(__file__).resolve().parent.parent
N = sympy.Symbol("n")


# -- helpers ------------------------------------------------------------------


def compile_tex(tmp_path: Path, body: str, name: str = "doc", whole: bool = False) -> str:
    """Compile ``body`` (wrapped in the export preamble unless ``whole``) with pdflatex; return the log."""
    run = run_pdflatex(tmp_path, name, body if whole else document(body))
    log = run.log
    assert run.returncode == 0 and not run.errors, f"pdflatex failed: {run.errors}\n{run.stdout[-3000:]}"
    assert (tmp_path / f"{name}.pdf").stat().st_size > 0
    return log


def overfull(log: str) -> list[str]:
    return [ln for ln in log.splitlines() if "Overfull" in ln]


def symbolic_stack() -> Network:
    return Network(
        [
            Conv(kernel="k_1", stride="s", name="conv1"),
            Conv(kernel=3, padding="p_left", name="conv2"),
            Pool(kernel=2, name="pool"),
        ],
        input="n_in",
    )


def repeated_block() -> Network:
    return Network([Repeat(block=[Conv(kernel="k", stride="s", padding="p")], times="L", name="blocks")], input="N")


def seed_example() -> Network:
    return Network(
        [Conv(kernel=3, stride=2, padding=1, name="c1"), Conv(kernel=3, stride=2, padding=1, name="c2")], input=5
    )


SPEC_INPUT = """
input = "N"
[symbols]
N = { min = 1 }
[[layers]]
kind = "conv"
kernel = 3
stride = 2
[[layers]]
kind = "conv"
kernel = 3
stride = 2
"""

SPEC_SOLVE = """
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


# -- the printer -----------------------------------------------------------------


class TestSettings:
    def test_unknown_setting_raises(self) -> None:
        """An unknown setting raises RfsymError naming it."""
        with pytest.raises(RfsymError, match="unknown LaTeX setting 'colour'"):
            latex(N, colour="red")

    def test_sympy_settings_pass_through(self) -> None:
        """sympy's own settings are accepted."""
        assert latex(2 * N, mul_symbol="dot") == r"2 \cdot n"

    @pytest.mark.parametrize(
        "settings, field",
        [
            ({"notation": "prime"}, "notation"),
            ({"environment": "gather"}, "environment"),
            ({"floor_style": "square"}, "floor_style"),
            ({"index_base": 2}, "index_base"),
            ({"names": {"q": "Q"}}, "names"),
            ({"names": {"r": ""}}, "names"),
            ({"quantities": ["r", "x"]}, "quantities"),
            ({"label": 3}, "label"),
        ],
    )
    def test_bad_values_raise(self, settings: dict, field: str) -> None:
        """A bad value of a known setting raises RfsymError naming the setting."""
        with pytest.raises(RfsymError, match=field):
            latex(N, **settings)

    def test_derivation_needs_align(self) -> None:
        """Derivations are align environments only."""
        with pytest.raises(RfsymError, match="align"):
            derivation(symbolic_stack(), environment="equation")


class TestSymbols:
    def test_digit_subscript(self) -> None:
        """k_1 prints with a numeric subscript."""
        assert latex(sympy.Symbol("k_1")) == r"k_{1}"

    def test_greek(self) -> None:
        """alpha prints as a Greek letter."""
        assert latex(sympy.Symbol("alpha")) == r"\alpha"

    def test_word_subscript_upright(self) -> None:
        """n_in prints its word subscript upright."""
        assert latex(sympy.Symbol("n_in")) == r"n_{\mathrm{in}}"

    def test_word_subscript_left(self) -> None:
        """p_left prints its word subscript upright."""
        assert latex(sympy.Symbol("p_left")) == r"p_{\mathrm{left}}"

    def test_greek_subscript(self) -> None:
        """A Greek subscript stays a Greek letter."""
        assert latex(sympy.Symbol("k_alpha")) == r"k_{\alpha}"

    def test_awkward_names_in_a_network(self, tmp_path: Path) -> None:
        """Awkward names print correctly inside a network's closed form and compile."""
        net = Network([Conv(kernel="k_1", stride="alpha", padding="p_left")], input="n_in")
        out = latex(net)
        for piece in (r"k_{1}", r"\alpha", r"n_{\mathrm{in}}", r"p_{\mathrm{left}}"):
            assert piece in out
        compile_tex(tmp_path, latex(net, environment="align"))


class TestFloor:
    def test_auto(self) -> None:
        """The default floor grows with its argument."""
        assert latex(sympy.floor(N / 2)) == r"\left\lfloor \frac{n}{2} \right\rfloor"

    def test_fixed(self) -> None:
        """floor_style='fixed' uses plain brackets."""
        assert latex(sympy.floor(N / 2), floor_style="fixed") == r"\lfloor \frac{n}{2} \rfloor"

    def test_function(self) -> None:
        """floor_style='function' writes floor as an operator."""
        assert latex(sympy.floor(N / 2), floor_style="function") == r"\operatorname{floor}\left(\frac{n}{2}\right)"

    def test_ceiling(self) -> None:
        """Ceilings follow the same style."""
        assert latex(sympy.ceiling(N / 2)) == r"\left\lceil \frac{n}{2} \right\rceil"

    def test_one_fraction(self) -> None:
        """A sum over a common denominator prints as one fraction."""
        assert latex(sympy.floor((N + 3) / 2)) == r"\left\lfloor \frac{n + 3}{2} \right\rfloor"


class TestLayers:
    def test_conv(self) -> None:
        """A convolution lists the parameters that differ from their defaults."""
        assert latex(Conv(kernel=3, stride=2, padding=1)) == r"\mathrm{conv}(k = 3,\ s = 2,\ p = 1)"

    def test_conv_asymmetric_padding(self) -> None:
        """Left and right padding print as a pair."""
        assert latex(Conv(kernel=3, padding=[1, 2])) == r"\mathrm{conv}(k = 3,\ p = (1, 2))"

    def test_conv_per_axis(self) -> None:
        """Per-axis values print as the tuple (3, 5) (issue 14: 3 x 5 reads as a product)."""
        assert latex(Conv(kernel=[3, 5], stride=2)) == r"\mathrm{conv}(k = (3, 5),\ s = 2)"

    def test_conv_mode_padding(self) -> None:
        """Mode paddings print upright."""
        assert (
            latex(Conv(kernel="k", padding="same", dilation="d")) == r"\mathrm{conv}(k = k,\ p = \mathrm{same},\ d = d)"
        )

    def test_pool_default_stride(self) -> None:
        """A pooling whose stride equals its kernel omits the stride."""
        assert latex(Pool(kernel=2)) == r"\mathrm{maxpool}(k = 2)"

    def test_pool_avg_ceil(self) -> None:
        """Average pooling in ceil mode says so."""
        assert latex(Pool(kernel=3, stride=2, padding=1, ceil_mode=True, mode="avg")) == (
            r"\mathrm{avgpool}(k = 3,\ s = 2,\ p = 1,\ \mathrm{ceil})"
        )

    def test_identity(self) -> None:
        """A pass-through layer prints its operation."""
        assert latex(Identity(op="relu")) == r"\mathrm{relu}"

    def test_repeat(self) -> None:
        """A repeated block prints with a times exponent."""
        assert latex(Repeat(block=[Conv(kernel=3)], times=4)) == r"\mathrm{conv}(k = 3)^{\times 4}"

    def test_repeat_indexed(self) -> None:
        """A repeated block with an index prints its range."""
        rep = Repeat(block=[Conv(kernel=3, dilation="2**(i-1)", padding="2**(i-1)")], times="L", index="i")
        assert latex(rep) == r"\mathrm{conv}(k = 3,\ p = 2^{i - 1},\ d = 2^{i - 1})_{i = 1}^{L}"

    def test_conv_transpose(self) -> None:
        """A transposed convolution prints its declared (upsampling) stride and output padding."""
        assert latex(ConvTranspose(kernel=4, stride=2, padding=1)) == r"\mathrm{convtranspose}(k = 4,\ s = 2,\ p = 1)"
        assert latex(ConvTranspose(kernel=3, stride=2, output_padding=1)) == (
            r"\mathrm{convtranspose}(k = 3,\ s = 2,\ p_{\mathrm{out}} = 1)"
        )

    def test_upsample(self) -> None:
        """Upsampling prints its mode and scale."""
        assert latex(Upsample(scale=2, mode="bilinear")) == r"\mathrm{upsample}_{\mathrm{bilinear}}(\times 2)"

    def test_sympy_latex_uses_rfsym(self) -> None:
        """sympy.latex on a layer goes through rfsym's printer."""
        assert sympy.latex(Conv(kernel=3, stride=2)) == latex(Conv(kernel=3, stride=2))


class TestStates:
    def test_axis_state(self) -> None:
        """An axis state prints its five quantities."""
        assert latex(AxisState.input(5)) == r"n = 5,\quad j = 1,\quad r = 1,\quad \mathrm{start} = 0.5,\quad P = 0"

    def test_network_inline(self) -> None:
        """A network prints its output state, indexed by L (docs/notation.md; issue 14: one index everywhere)."""
        net = Network([Conv(kernel=3), Conv(kernel=3)], input=32)
        assert latex(net, environment="inline", quantities=["n", "r"]) == r"$n_{L} = 28,\quad r_{L} = 5$"

    def test_network_equation_label(self) -> None:
        """In an equation, several relations go into aligned, with one label."""
        net = Network([Conv(kernel=3), Conv(kernel=3)], input=32)
        assert latex(net, environment="equation", label="eq:x", quantities=["j", "r"]) == (
            "\\begin{equation}\\label{eq:x}\n\\begin{aligned}\n  j_{L} &= 1 \\\\\n  r_{L} &= 5\n\\end{aligned}\n\\end{equation}"
        )

    def test_network_align_labels(self) -> None:
        """In align, every line gets a label of its quantity."""
        net = Network([Conv(kernel=3), Conv(kernel=3)], input=32)
        assert latex(net, environment="align", label="eq:x", quantities=["r"]) == (
            "\\begin{align}\n  r_{L} &= 5\\label{eq:x}\n\\end{align}"
        )
        out = latex(net, environment="align", label="eq:x", quantities=["j", "r"])
        assert r"j_{L} &= 1\label{eq:x:j}" in out and r"r_{L} &= 5\label{eq:x:r}" in out

    def test_align_star_has_no_labels(self) -> None:
        """align* drops labels."""
        net = Network([Conv(kernel=3)], input=8)
        assert "label" not in latex(net, environment="align*", label="eq:x")

    def test_superscript_and_names(self) -> None:
        """notation='superscript' writes r^{(l)}; names renames quantities."""
        net = Network([Conv(kernel=3), Conv(kernel=3)], input=32)
        assert latex(net, notation="superscript", names={"r": "R"}, quantities=["r"]) == r"R^{(L)} = 5"

    def test_per_axis_values(self) -> None:
        """Per-axis outputs print as the tuple (2, 4)."""
        assert latex(Network([Conv(kernel=3)], input=[4, 6]), quantities=["n"]) == r"n_{L} = (2, 4)"

    def test_network_without_input(self) -> None:
        """A network without an input size prints its closed forms in the symbol n."""
        assert latex(Network([Conv(kernel=3, stride=2)]), quantities=["n"]) == (
            r"n_{L} = \left\lfloor \frac{n - 3}{2} \right\rfloor + 1"
        )

    def test_sympy_latex_network(self) -> None:
        """sympy.latex(net) equals rfsym.latex(net)."""
        net = load("alexnet")
        assert sympy.latex(net) == latex(net)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(stacks(1, 6, ceil=False), st.integers(30, 90))
    def test_network_values_match_oracle(self, params: list, n: int) -> None:
        """The printed output values of random stacks equal the brute-force oracle's."""
        layers = [build(p, f"l{i}") for i, p in enumerate(params)]
        od = [from_layer(lay) for lay in layers]
        if any(count_windows(od[i], m) < 1 for i, m in enumerate(_sizes(od, n)[:-1])):
            return
        net = Network(layers, input=n)
        want = oracle(od, n)[-1]
        got = latex(net, environment="align*")
        for q in ("n", "j", "r", "P"):
            assert f"{_lhs(q, len(layers))} &= {want[q]}" in got
        start = RfsymLatexPrinter()._hprint_value(Fraction(want["start"]))  # 5.5: decimals by default (issue 14)
        assert f"{_lhs('start', len(layers))} &= {start}" in got


def _sizes(od: list, n: int) -> list[int]:
    out = [n]
    for lay in od:
        out.append(count_windows(lay, out[-1]) if out[-1] >= 1 else 0)
    return out


def _lhs(q: str, depth: int) -> str:
    return {"start": r"\mathrm{start}"}.get(q, q) + "_{L}"


class TestClosedForms:
    def test_general_stack_sum(self) -> None:
        """The general L-layer stack prints as a sum of products."""
        g = general_stack()
        t = _product_index(g)
        assert latex(g.j) == r"\prod_{%s=1}^{L} s_{%s}" % (t, t)
        assert latex(g.P) == r"\sum_{\ell=1}^{L} p_{\ell} \prod_{%s=1}^{\ell - 1} s_{%s}" % (t, t)

    def test_general_stack_zero_based(self) -> None:
        """index_base=0 shifts sums, products and indices down by one."""
        g = general_stack()
        t = _product_index(g)
        assert latex(g, index_base=0, quantities=["P"]) == (
            r"P_{L} = \sum_{\ell=0}^{L - 1} p_{\ell} \prod_{%s=0}^{\ell - 1} s_{%s}" % (t, t)
        )

    def test_general_stack_superscript(self) -> None:
        """The superscript notation reaches indexed parameters."""
        g = general_stack()
        t = _product_index(g)
        assert latex(g.j, notation="superscript") == r"\prod_{%s=1}^{L} s^{(%s)}" % (t, t)

    @settings(max_examples=25, deadline=None)
    @given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 3), st.integers(0, 2)), min_size=1, max_size=5))
    def test_zero_based_shift_keeps_values(self, params: list) -> None:
        """Shifting to 0-based indices changes no value (checked on numeric parameters)."""
        g = general_stack()
        L = next(s for s in g.j.free_symbols if s.name == "L")
        bases = {str(b.label): b for e in (g.r, g.P) for b in (i.base for i in e.atoms(sympy.Indexed))}
        for expr in (g.j, g.r, g.P):
            one = _evaluate(expr.xreplace({L: len(params)}), bases, params, base=1)
            zero = _evaluate(_shift_indices(expr).xreplace({L: len(params)}), bases, params, base=0)
            assert one == zero

    def test_sympy_latex_closed_forms(self) -> None:
        """sympy.latex on closed forms goes through rfsym's printer."""
        f = derive(repeated_block())
        assert sympy.latex(f) == latex(f)
        assert f._repr_latex_().startswith("$")

    def test_general_form_matches_table(self) -> None:
        """The Sigma/Pi form printed for deep stacks evaluates to the table's values."""
        layers = [Conv(kernel=3 + (i % 3), stride=1 + (i % 2), padding=[i % 2, (i + 1) % 3]) for i in range(7)]
        net = Network(layers, input=200)
        general = _general_form(net, 7, 200, Fraction(1, 2), numeric_depth=True)
        assert general is not None
        values = {"k": [], "s": [], "d": [], "rf:pL": [], "rf:pR": []}
        for lay in layers:
            k, s, (pl, pr), d, _ = lay.axis_params(0)
            for key, v in (("k", k), ("s", s), ("d", d), ("rf:pL", pl), ("rf:pR", pr)):
                values[key].append(v)
        out = net.table().output[0]
        for q, key in (("n", "n"), ("j", "j"), ("r", "r"), ("start", "start"), ("P", "effective_padding")):
            expr = general[q]
            sub = {i: values[str(i.base.label)][int(i.indices[0]) - 1] for i in _indexed_atoms(expr.doit())}
            assert sympy.nsimplify(expr.doit().xreplace(sub)) == sympy.nsimplify(sympy.Rational(out.as_dict()[key]))


def _product_index(g: object) -> str:
    """The name of the product's bound variable in rfsym.closed_form's general stack (its own choice)."""
    return g.j.limits[0][0].name  # type: ignore[attr-defined]


def _indexed_atoms(expr: sympy.Expr) -> set:
    return expr.atoms(sympy.Indexed)


def _evaluate(expr: sympy.Expr, bases: dict, params: list, base: int) -> sympy.Expr:
    vals = {
        "k": [p[0] for p in params],
        "s": [p[1] for p in params],
        "p": [p[2] for p in params],
        "d": [1] * len(params),
    }
    expr = expr.doit()
    sub = {i: vals[str(i.base.label)][int(i.indices[0]) - base] for i in expr.atoms(sympy.Indexed)}
    return sympy.simplify(expr.xreplace(sub))


class TestDerivation:
    def test_recurrence_lines(self) -> None:
        """The recurrence comes from the transfer function, one relation per line."""
        out = derivation(symbolic_stack())
        assert r"  \kappa_{\ell} &= \left(k_{\ell} - 1\right) d_{\ell} + 1\notag" in out
        assert (
            r"  n_{\ell} &= \left\lfloor \frac{n_{\ell - 1} + p^{\mathrm{L}}_{\ell} + p^{\mathrm{R}}_{\ell} - "
            r"\kappa_{\ell}}{s_{\ell}} \right\rfloor + 1\notag" in out
        )
        assert r"  r_{\ell} &= r_{\ell - 1} + \left(\kappa_{\ell} - 1\right) j_{\ell - 1}\notag" in out
        assert out.startswith("\\begin{align}\n") and out.endswith("\\end{align}\n")

    def test_zero_based_recurrence(self) -> None:
        """With index_base=0, layer l maps state l to state l + 1."""
        out = derivation(symbolic_stack(), index_base=0)
        assert r"  j_{\ell + 1} &= s_{\ell} j_{\ell}\notag" in out

    def test_unrolled_and_folded(self) -> None:
        """The unrolling shows nested floors; the closed form folds them (as rfsym.derive does)."""
        net = symbolic_stack()
        out = derivation(net, label="eq:d")
        f = derive(net)
        p = RfsymLatexPrinter()
        assert r"n_{L} &= " + p._hprint_value(f.n) + r"\label{eq:d:n}" in out
        assert r"r_{L} &= " + p._hprint_value(f.r) + r"\label{eq:d:r}" in out
        assert r"\intertext{Unrolled over the $L = 3$ layers" in out
        assert r"k_{1}" in out and r"n_{\mathrm{in}}" in out and r"p_{\mathrm{left}}" in out

    def test_assumptions(self) -> None:
        """Assumptions list each symbol's domain."""
        out = derivation(symbolic_stack())
        assert r"  p_{\mathrm{left}} &\geq 0,\quad \text{integer}\notag" in out

    def test_no_intertext(self) -> None:
        """intertext=False leaves out the explanations."""
        assert r"\intertext" not in derivation(symbolic_stack(), intertext=False)

    def test_repeated_block_uses_geometric_sums(self) -> None:
        """A block repeated L times prints the general form and the network's geometric sums."""
        out = derivation(repeated_block())
        assert r"\sum_{\ell=1}^{L}" in out and r"s^{L}" in out

    def test_numeric_network(self) -> None:
        """A numeric network's derivation ends with the table's output values."""
        net = load("alexnet")
        out = derivation(net)
        row = net.table().output[0]
        assert r"  r_{L} &= r_{9} = %d\label" % row.r not in out  # no label without a label setting
        assert r"  r_{L} &= r_{9} = %d" % row.r in out and "$L = 10$ layers" in out

    def test_1000_layers_fast_and_compact(self) -> None:
        """A 1000-layer symbolic stack exports in under a second, as sums and products."""
        net = Network([Conv(kernel=f"k{i}", stride=f"s{i}", padding=f"p{i}") for i in range(1000)], input="N")
        t0 = time.perf_counter()
        out = derivation(net)
        elapsed = time.perf_counter() - t0
        assert elapsed < 1.0, elapsed
        assert r"\sum_{\ell=1}^{1000}" in out and re.search(r"\\prod_\{(\w+)=1\}\^\{1000\} s_\{\1\}", out)
        assert r"k_{0}, k_{1}, \dots, k_{999} &\geq 1" in out
        assert len(out) < 5000

    def test_deep_network_prints_compact(self) -> None:
        """latex(net) of a 1000-layer symbolic stack prints sums and products, fast."""
        net = Network([Conv(kernel=f"k{i}", stride=f"s{i}", padding=f"p{i}") for i in range(1000)], input="N")
        t0 = time.perf_counter()
        out = latex(net, environment="align")
        assert time.perf_counter() - t0 < 1.5
        assert r"r_{L} &= \sum_{\ell=1}^{1000}" in out and len(out) < 2000

    def test_seed_convention_refused(self) -> None:
        """Derivations use the framework convention."""
        with pytest.raises(RfsymError, match="framework"):
            derivation(symbolic_stack(), convention="seed")


class TestTables:
    def test_columns_and_decimals(self) -> None:
        """Column selection works and finite decimals print as decimals."""
        out = table_latex(load("alexnet").table(), columns=["layer", "r", "start"], label="tab:a")
        assert "layer & $r$ & $\\mathrm{start}$ \\\\" in out
        assert "conv1 & $11$ & $5.5$ \\\\" in out
        assert "\\label{tab:a}" in out and "\\toprule" in out and "\\bottomrule" in out

    def test_unknown_column(self) -> None:
        """An unknown column raises RfsymError naming it."""
        with pytest.raises(RfsymError, match="'q'"):
            table_latex(load("alexnet").table(), columns=["layer", "q"])

    def test_per_axis(self) -> None:
        """Per-axis cells print as the tuple (3, 5)."""
        net = Network([Conv(kernel=[3, 5], name="c")], input=[10, 12])
        out = table_latex(net.table(), columns=["layer", "kernel", "n"])
        assert "c & $(3, 5)$ & $8$ \\\\" in out

    def test_symbolic_cells_are_math(self) -> None:
        """Symbolic cells are set in math with rfsym's printer."""
        net = Network([Conv(kernel="k_1", name="c")], input="n_in")
        out = table_latex(net.table(), columns=["layer", "n"])
        assert r"c & $n_{\mathrm{in}} + 1 - k_{1}$ \\" in out

    def test_caption_and_tabular_only(self) -> None:
        """A caption is used as given; floating=False returns the tabular alone."""
        t = load("alexnet").table()
        assert "\\caption{My caption.}" in table_latex(t, caption="My caption.")
        assert table_latex(t, floating=False).startswith("\\begin{tabular}")

    def test_markdown(self) -> None:
        """Markdown cells agree with the table's text cells."""
        t = load("alexnet").table()
        md = table_markdown(t, columns=["layer", "r", "j"])
        assert md.splitlines()[0] == "| layer | r | j |"
        assert "| fc7-conv | 355 | 32 |" in md

    def test_html(self) -> None:
        """Tables show as HTML in notebooks."""
        t = Network([Conv(kernel=[3, 5], name="c<1>")], input=[10, 12]).table()
        html = t._repr_html_()
        assert (
            "<table" in html and "c&lt;1&gt;" in html and "(3, 5)" in html
        )  # one set of table symbols (issue 10): tuples per axis (issue 14: not 3x5, a product)
        assert html == table_html(t)


class TestGraphs:
    def test_output_of_a_graph(self) -> None:
        """A graph prints the state of its output node (values from its table), indexed by L like a network."""
        g = load("resnet18")
        row = g.table().rows[-1]
        assert latex(g, quantities=["r"]) == r"r_{L} = %d" % row.states[0].r
        assert sympy.latex(g) == latex(g)

    def test_derivation_refused(self) -> None:
        """Derivations cover sequential networks only."""
        with pytest.raises(RfsymError, match="sequential"):
            derivation(load("resnet18"))

    def test_export_with_input_keeps_the_graph(self) -> None:
        """export --input on a graph sets the input size and keeps the branches."""
        from rfsym.commands.export import with_input

        g = with_input(load("resnet18"), 96)
        assert type(g).__name__ == "Graph"
        assert g.table().rows[-1].states[0].as_dict() == load("resnet18").table(input=96).rows[-1].states[0].as_dict()

    def test_export_compiles(self, tmp_path: Path) -> None:
        """A graph's export (table, output, figure) compiles without overfull boxes."""
        log = compile_tex(tmp_path, export_body(load("resnet18")))
        assert overfull(log) == []


# -- solution sets ----------------------------------------------------------------


class TestSolutions:
    def test_finite_set(self) -> None:
        """A finite solution set prints every solution, sorted."""
        res = solve(loads(SPEC_SOLVE), r=11)
        out = latex(res)
        tuples = sorted((s["k"], s["s"]) for s in res.solutions)
        assert out == r"\{(k, s) : r = 11\} = \{%s\}" % ", ".join(f"({a}, {b})" for a, b in tuples)

    def test_sympy_latex_and_jupyter(self) -> None:
        """Solution sets work with sympy.latex and Jupyter."""
        res = solve(loads(SPEC_SOLVE), r=11)
        assert sympy.latex(res) == latex(res)
        assert res._repr_latex_().startswith("$\\begin{aligned}")

    def test_infinite_set(self) -> None:
        """An infinite set prints as its simplest exact description (issue 14: a ray, not 4 progressions)."""
        res = solve(loads(SPEC_INPUT), n=">=5")
        first = min(p.first for p in res.parametric)
        assert all(v in res for v in [{"N": x} for x in range(first, first + 64)])
        assert latex(res) == r"\{N : n \geq 5\} = \{N : N \geq %d\}" % first

    def test_long_set_breaks_lines_in_align(self) -> None:
        """Long sets break into lines that fit the text width in align (at most 40 visible characters)."""
        res = solve(loads(SPEC_SOLVE), r=">=7")
        out = latex(res, environment="align")
        lines = out.split(r"\\ &\qquad")
        assert len(lines) > 1
        assert all(len(re.sub(r"\\[A-Za-z]+|[{}\s^_]", "", ln.split("= ", 1)[-1])) <= 48 for ln in lines)
        assert out.split("&=", 1)[1].count("(") == len(res.solutions)


# -- figures -------------------------------------------------------------------------


class TestFigureGeometry:
    def test_seed_example(self) -> None:
        """The seed post's 5x5 example: 3x3 features, padding 1, receptive field 3 then 7."""
        g = figure_geometry(seed_example(), "c1")
        assert g.size == (5, 5) and g.pad_before == (1, 1) and g.rf == (3, 3)
        g2 = figure_geometry(seed_example(), "c2")
        assert g2.rf == (7, 7) and g2.box((0, 0)) == (-3, -3, 4, 4)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(stacks(1, 4, ceil=False), st.integers(12, 40), st.data())
    def test_boxes_match_oracle(self, params: list, n: int, data: st.DataObject) -> None:
        """Every feature's box covers exactly the input positions the oracle says it reads."""
        layers = [build(p, f"l{i}") for i, p in enumerate(params)]
        od = [from_layer(lay) for lay in layers]
        sizes = _sizes(od, n)
        if min(sizes) < 1:
            return
        net = Network(layers, input=n)
        i = data.draw(st.integers(0, sizes[-1] - 1))
        g = figure_geometry(net, layers[-1].name, [(i, i)])
        cur = {i}
        for li in range(len(od) - 1, -1, -1):
            cur = {q for p in cur for q in reads(od[li], sizes[li], p)}
        y0, x0, y1, x1 = g.box((i, i))
        assert (x0, x1) == (min(cur), max(cur) + 1)

    def test_symbolic_refused(self) -> None:
        """A symbolic network cannot be drawn."""
        with pytest.raises(RfsymError, match="symbolic"):
            figure_geometry(symbolic_stack(), "conv1")

    def test_unknown_layer(self) -> None:
        """An unknown layer name is reported with the choices."""
        with pytest.raises(RfsymError, match="no layer named 'conv9'"):
            figure_geometry(load("alexnet"), "conv9")

    def test_bad_feature(self) -> None:
        """A feature index out of range is reported."""
        with pytest.raises(RfsymError, match="out of range"):
            figure_geometry(seed_example(), "c1", [(0, 3)])


# -- real pdflatex ----------------------------------------------------------------------


class TestCompile:
    @pytest.mark.parametrize("name", ["alexnet", "vgg16"])
    def test_zoo_tables(self, tmp_path: Path, name: str) -> None:
        """The AlexNet and VGG-16 tables compile without overfull boxes."""
        log = compile_tex(tmp_path, load(name).table().to_latex(label=f"tab:{name}"))
        assert overfull(log) == []

    def test_symbolic_table(self, tmp_path: Path) -> None:
        """A symbolic table compiles without overfull boxes (its font size is chosen to fit)."""
        log = compile_tex(tmp_path, symbolic_stack().table().to_latex())
        assert overfull(log) == []

    def test_wide_symbolic_tables(self, tmp_path: Path) -> None:
        """Fully symbolic stacks of 3 and 5 layers: long cells are named quantities defined under the table
        (issue 14: no paragraphs of tiny type); no overfull box."""
        nets = [
            Network([Conv(kernel=f"k_{i}", stride=f"s_{i}", padding=f"p_{i}") for i in range(1, d + 1)], input="n")
            for d in (3, 5)
        ]
        body = "".join(net.table().to_latex() for net in nets)
        assert r"\begin{minipage}{\linewidth}\raggedright\noindent where $" in body and r"\tiny" not in body
        assert overfull(compile_tex(tmp_path, body)) == []

    def test_symbolic_derivation(self, tmp_path: Path) -> None:
        """The symbolic stack's derivation compiles."""
        compile_tex(tmp_path, derivation(symbolic_stack(), label="eq:sym"))

    def test_repeated_block(self, tmp_path: Path) -> None:
        """The repeated block's derivation and closed form compile."""
        net = repeated_block()
        compile_tex(tmp_path, derivation(net) + latex(net, environment="align", label="eq:rep"))

    def test_general_L(self, tmp_path: Path) -> None:
        """The general L-layer form compiles, 1- and 0-based."""
        g = general_stack()
        compile_tex(tmp_path, latex(g, environment="align") + latex(g, environment="align*", index_base=0))

    def test_deep_stack(self, tmp_path: Path) -> None:
        """The compact 1000-layer derivation compiles."""
        net = Network([Conv(kernel=f"k{i}", stride=f"s{i}", padding=f"p{i}") for i in range(1000)], input="N")
        compile_tex(tmp_path, derivation(net))

    def test_solution_set(self, tmp_path: Path) -> None:
        """Solution sets compile, short and long."""
        res = solve(loads(SPEC_SOLVE), r=11)
        long = solve(loads(SPEC_SOLVE), r=">=7")
        infinite = solve(loads(SPEC_INPUT), n=">=5")
        compile_tex(
            tmp_path,
            latex(res, environment="align")
            + latex(long, environment="align", label="eq:long")
            + latex(infinite, environment="equation"),
        )

    def test_tikz_figure(self, tmp_path: Path) -> None:
        """The TikZ figures compile (small and AlexNet-sized grids)."""
        body = tikz_figure(seed_example(), "c2", caption="Seed example.") + tikz_figure(
            load("alexnet"), "conv2", label="fig:a"
        )
        compile_tex(tmp_path, body)

    def test_awkward_notation(self, tmp_path: Path) -> None:
        """Superscript notation, renamed quantities and function floors compile."""
        body = derivation(
            symbolic_stack(), notation="superscript", names={"start": "c", "P": r"\Pi"}, floor_style="function"
        )
        compile_tex(tmp_path, body)

    def test_export_document(self, tmp_path: Path) -> None:
        """The standalone export of AlexNet compiles as it is, using only amsmath, booktabs and tikz."""
        text = document(export_body(load("alexnet")))
        packages = set(re.findall(r"\\usepackage(?:\[[^]]*\])?\{([^}]*)\}", text))
        assert packages == {"amsmath", "booktabs", "tikz"}
        log = compile_tex(tmp_path, text, whole=True)
        assert overfull(log) == []
        assert PREAMBLE in text


# -- command line ------------------------------------------------------------------------


class TestCLI:
    def test_table_latex(self, capsys: pytest.CaptureFixture) -> None:
        """rfsym table --format latex prints the booktabs table."""
        assert main(["table", "alexnet", "--format", "latex"]) == 0
        assert capsys.readouterr().out == load("alexnet").table().to_latex() + (
            "" if load("alexnet").table().to_latex().endswith("\n") else "\n"
        )

    def test_solve_latex(self, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
        """rfsym solve --format latex prints the solution set."""
        spec = tmp_path / "s.toml"
        spec.write_text(SPEC_SOLVE)
        assert main(["solve", str(spec), "--target", "r=11", "--format", "latex"]) == 0
        out = capsys.readouterr().out
        assert out.startswith("\\begin{align*}") and r"\{(k, s) : r = 11\}" in out

    def test_export_writes_and_refuses_overwrite(self, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
        """export writes a complete document; an existing file is kept (exit 2) unless --force."""
        out = tmp_path / "paper.tex"
        assert main(["export", "alexnet", "-o", str(out), "--standalone"]) == 0
        first = out.read_text()
        assert first.startswith("\\documentclass")
        assert main(["export", "vgg16", "-o", str(out), "--standalone"]) == 2
        assert "file exists" in capsys.readouterr().err
        assert out.read_text() == first
        assert main(["export", "vgg16", "-o", str(out), "--standalone", "--force"]) == 0
        assert "vgg16" in out.read_text()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["paper.tex"]  # no temporary files left
        compile_tex(tmp_path, out.read_text(), name="paper", whole=True)

    def test_export_fragment_symbolic(self, tmp_path: Path) -> None:
        """A fragment export of a symbolic spec compiles inside the three-package preamble."""
        spec = tmp_path / "sym.toml"
        spec.write_text(
            'input = "n"\n[symbols]\nn = { min = 1 }\nk = { min = 1 }\ns = { min = 1 }\np = { min = 0 }\n'
            '[[layers]]\nkind = "conv"\nkernel = "k"\nstride = "s"\npadding = "p"\n'
        )
        out = tmp_path / "frag.tex"
        assert main(["export", str(spec), "-o", str(out), "--columns", "layer,k,s,p,n,r"]) == 0
        text = out.read_text()
        assert "\\documentclass" not in text and "\\begin{align}" in text
        compile_tex(tmp_path, text)

    def test_export_bad_directory(self, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
        """A missing directory is bad input."""
        assert main(["export", "alexnet", "-o", str(tmp_path / "no" / "x.tex")]) == 2
        assert "does not exist" in capsys.readouterr().err

    def test_plot_tex(self, tmp_path: Path) -> None:
        """rfsym plot -o fig.tex writes the TikZ picture; --standalone compiles."""
        out = tmp_path / "fig.tex"
        assert main(["plot", "alexnet", "--layer", "conv2", "-o", str(out), "--standalone"]) == 0
        assert "\\begin{tikzpicture}" in out.read_text()
        compile_tex(tmp_path, out.read_text(), name="fig", whole=True)


def test_compileall_has_no_invalid_escapes() -> None:
    """rfsym compiles with invalid escape sequences as errors (LaTeX strings are raw strings)."""
    proc = subprocess.run(
        [sys.executable, "-We::SyntaxWarning", "-m", "compileall", "-q", "-f", "rfsym"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_hooks_without_importing_the_printer() -> None:
    """In a fresh process, sympy.latex(net) uses rfsym's printer although rfsym.printing.latex was never
    imported, and importing rfsym alone imports no sympy."""
    code = (
        "import sys, rfsym\n"
        "assert 'sympy' not in sys.modules\n"
        "import sympy\n"
        "net = rfsym.load('alexnet')\n"
        "out = sympy.latex(net)\n"
        "assert out.startswith('n_{L} = 1,'), out\n"
        "assert net.table()._repr_html_().startswith('<table')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_public_api() -> None:
    """latex and derivation are public."""
    assert "latex" in rfsym.__all__ and "derivation" in rfsym.__all__
