"""Issue 14, the table pieces: one notation at every table entry point.

* physical units in ``rfsym table`` (``--sample-rate`` / ``--spacing``, default the spec's ``sample_rate``),
  the Python API and Jupyter, JSON keeping the exact sample values next to the converted ones;
* pass-through rows hidden in text, Markdown, HTML and LaTeX (one definition, export's), kept and marked
  in JSON, with a note line; ``--show-pass-through`` shows them;
* per-axis values as tuples ``(3, 5)``.

The CLI's text/Markdown/LaTeX/JSON, the Python API, the Jupyter repr and ``rfsym export`` are compared
with each other as exact strings; property tests compare the unit conversion with the sample values
divided by the rate (exact Fractions) and the hidden-row tables with the full ones.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import build, stacks

from rfsym import Conv, Graph, Identity, Network, RfsymError, derivation, load, loads
from rfsym.commands.export import export_body
from rfsym.network import is_pass_through
from rfsym.printing.table import paper_columns, table_cells, table_html
from rfsym.printing.units import approx, parse_units

AUDIO = """
name = "audio"
input = 100
sample_rate = 8000

[[layers]]
name = "c1"
kind = "conv"
kernel = 4
stride = 2
padding = 1

[[layers]]
name = "relu1"
kind = "relu"

[[layers]]
name = "c2"
kind = "conv"
kernel = 3
stride = 2
"""

# By hand: 8 kHz is 0.125 ms per sample.  c1 (k 4, s 2, p 1) on 100 samples: n 50, j 2, r 4, start 1, P 1;
# c2 (k 3, s 2): n 24, j 4, r 8, start 3, P 1.  In ms: j 0.25/0.5, r 0.5/1, start 0.125/0.375.
AUDIO_TEXT = """\
audio: input 100, convention framework, origin 0.5
layer  kernel  stride  padding  dilation    n  j (ms)  r (ms)  start (ms)  P
-----  ------  ------  -------  --------  ---  ------  ------  ----------  -
input       -       -        -         -  100   0.125   0.125      0.0625  0
c1          4       2        1         1   50    0.25     0.5       0.125  1
c2          3       2        0         1   24     0.5       1       0.375  1
j, r and start in ms (0.125 ms per input sample); kernel, stride, padding, n and P in input samples
1 pass-through layer (activations, normalisation, dropout: they change no value) not shown; \
--show-pass-through (pass_through=True) shows them
"""

AUDIO_MARKDOWN = """\
| layer | kernel | stride | padding | dilation | n | j (ms) | r (ms) | start (ms) | P |
|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|
| input | - | - | - | - | 100 | 0.125 | 0.125 | 0.0625 | 0 |
| c1 | 4 | 2 | 1 | 1 | 50 | 0.25 | 0.5 | 0.125 | 1 |
| c2 | 3 | 2 | 0 | 1 | 24 | 0.5 | 1 | 0.375 | 1 |

j, r and start in ms (0.125 ms per input sample); kernel, stride, padding, n and P in input samples

1 pass-through layer (activations, normalisation, dropout: they change no value) not shown; \
--show-pass-through (pass_through=True) shows them
"""

AUDIO_LATEX_ROWS = [
    r"input & -- & -- & -- & -- & $100$ & $0.125$ & $0.125$ & $0.0625$ & $0$ \\",
    r"c1 & $4$ & $2$ & $1$ & $1$ & $50$ & $0.25$ & $0.5$ & $0.125$ & $1$ \\",
    r"c2 & $3$ & $2$ & $0$ & $1$ & $24$ & $0.5$ & $1$ & $0.375$ & $1$ \\",
]


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rfsym", *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="module")
def audio(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("spec") / "audio.toml"
    path.write_text(AUDIO)
    return str(path)


def latex_rows(tex: str) -> list[str]:
    return [
        ln
        for ln in tex.splitlines()
        if ln.endswith(r"\\") and " & " in ln and not ln.startswith("layer") and "&=" not in ln
    ]


# -- every entry point, one notation -------------------------------------------------------------------


class TestEntryPointsAgree:
    def test_text(self, audio: str) -> None:
        """The CLI's text table is the hand-computed one, and is the Python API's (to_text, str)."""
        res = cli("table", audio)
        assert res.returncode == 0, res.stderr
        table = loads(AUDIO).table()
        assert res.stdout == AUDIO_TEXT == table.to_text() == str(table)

    def test_markdown(self, audio: str) -> None:
        res = cli("table", audio, "--format", "markdown")
        assert res.stdout == AUDIO_MARKDOWN == loads(AUDIO).table().to_markdown()

    def test_latex(self, audio: str) -> None:
        """`rfsym table --format latex` is Table.to_latex(); its rows are export's (without the dilation
        column export leaves out) and its caption says the unit and the hidden row."""
        res = cli("table", audio, "--format", "latex")
        table = loads(AUDIO).table()
        tex = table.to_latex()
        assert res.stdout.rstrip("\n") == tex.rstrip("\n")
        assert latex_rows(tex) == AUDIO_LATEX_ROWS
        assert r"layer & $k$ & $s$ & $p$ & $d$ & $n$ & $j$ (ms) & $r$ (ms) & $\mathrm{start}$ (ms) & $P$ \\" in tex
        assert "$j$, $r$ and start in ms (0.125 ms per input sample); kernels, strides, paddings, $n$ and $P$" in tex
        assert "Pass-through layers (1 row: activations, normalisation, dropout)" in tex
        body = export_body(loads(AUDIO), figure=False, derivation=False)
        no_dilation = [" & ".join(r.split(" & ")[:4] + r.split(" & ")[5:]) for r in AUDIO_LATEX_ROWS]
        assert latex_rows(body) == no_dilation
        assert latex_rows(table.to_latex(columns=paper_columns(table))) == no_dilation

    def test_json(self, audio: str) -> None:
        """JSON: every layer (the ReLU marked), the sample values unchanged, the values in ms added."""
        data = json.loads(cli("table", audio, "--format", "json").stdout)
        assert data == json.loads(loads(AUDIO).table().to_json())
        assert data["units"] == {"unit": "ms", "scale": "1/8", "quantities": ["j", "r", "start"]}
        assert [d["name"] for d in data["layers"]] == ["c1", "relu1", "c2"]
        assert [d.get("pass_through", False) for d in data["layers"]] == [False, True, False]
        assert data["layers"][2] == {
            "name": "c2",
            "kind": "conv",
            "n": 24,
            "j": 4,
            "r": 8,
            "start": 3,
            "effective_padding": 1,
            "in_units": {"j": "1/2", "r": 1, "start": "3/8"},
        }

    def test_jupyter(self) -> None:
        """A notebook shows the same table (hidden row, ms) as HTML, and the output in ms."""
        net = loads(AUDIO)
        table = net.table()
        html = net._repr_html_()
        assert html.startswith(table._repr_html_()) and table._repr_html_() == table_html(table)
        assert '<th style="text-align:right">r (ms)</th>' in html and ">relu1<" not in html
        assert "1 pass-through layer (activations" in html and "0.125 ms per input sample" in html
        assert "<p>output: n = 24, j = 0.5 ms, r = 1 ms, start = 0.375 ms, P = 1</p>" in html
        assert table_cells(table)[2][0] == "relu1"  # the data view keeps every row, in samples
        assert table_cells(table, pass_through=False, units=None)[2][:2] == ["c2", "3"]

    def test_indices_agree_with_export(self) -> None:
        """Hidden rows are not counted: the table's rows are the derivation's L = 2 layers."""
        net = loads(AUDIO)
        names = [ln.split()[0] for ln in net.table().to_text().splitlines()[4:6]]
        assert names == ["c1", "c2"] and "$L = 2$ layers" in derivation(net)

    def test_samples_on_request(self, audio: str) -> None:
        """units=None keeps samples; --spacing turns the same spec into mm."""
        text = loads(AUDIO).table().to_text(units=None)
        assert text.splitlines()[5].split() == ["c2", "3", "2", "0", "1", "24", "4", "8", "3", "1"]
        assert "(ms)" not in text
        assert " ms " not in loads(AUDIO).table().to_text(columns=["layer", "n"])  # no unit column, no unit note
        res = cli("table", audio, "--spacing", "2um")
        assert res.stdout.splitlines()[5].split() == ["c2", "3", "2", "0", "1", "24", "8", "16", "6", "1"]
        assert "j, r and start in um (2 um per input pixel); kernel, stride, padding, n and P in input pixels" in (
            res.stdout
        )


class TestWav2vec:
    def test_milliseconds_with_no_option(self) -> None:
        """wav2vec 2.0's 400/320 samples are 25 ms / 20 ms in every table format, as in export."""
        res = cli("table", "wav2vec2_feature_encoder")
        assert res.returncode == 0, res.stderr
        last = res.stdout.splitlines()[-2].split()
        assert last[0] == "conv6" and last[-4:] == ["20", "25", "12.5", "0"]
        md = cli("table", "wav2vec2_feature_encoder", "--format", "markdown").stdout
        assert "| conv6 | 2 | 2 | 0 | 1 | 49 | 20 | 25 | 12.5 | 0 |" in md
        tex = cli("table", "wav2vec2_feature_encoder", "--format", "latex").stdout
        row = r"conv6 & $2$ & $2$ & $0$ & $1$ & $49$ & $20$ & $25$ & $12.5$ & $0$ \\"
        assert row in tex and row.replace(" & $1$ & $49$", " & $49$") in export_body(load("wav2vec2_feature_encoder"))
        data = json.loads(cli("table", "wav2vec2_feature_encoder", "--format", "json").stdout)
        assert (data["layers"][-1]["j"], data["layers"][-1]["r"]) == (320, 400)
        assert data["layers"][-1]["in_units"] == {"j": 20, "r": 25, "start": "25/2"}

    def test_exact_numbers_setting(self) -> None:
        """numbers="exact" prints the values in ms as fractions, like the sample tables' 11 / 2; at 44.1 kHz
        the decimal setting rounds (marked) and the exact one does not."""
        table = load("wav2vec2_feature_encoder").table()
        row = r"conv6 & $2$ & $2$ & $0$ & $1$ & $49$ & $20$ & $25$ & $25 / 2$ & $0$ \\"
        assert row in table.to_latex(numbers="exact")
        cd = parse_units(sample_rate=44100)
        assert r"& $3200 / 441$ & $4000 / 441$ & $2000 / 441$ &" in table.to_latex(numbers="exact", units=cd)
        assert r"& $\approx 7.256$ & $\approx 9.070$ & $\approx 4.535$ &" in table.to_latex(units=cd)
        assert r"$\approx$: rounded to 4 significant digits" in table.to_latex(units=cd)

    def test_an_explicit_rate_wins(self) -> None:
        res = cli("table", "wav2vec2_feature_encoder", "--sample-rate", "8000")
        assert res.stdout.splitlines()[-2].split()[-4:] == ["40", "50", "25", "0"]


BAD = [
    ("--sample-rate", "0"),
    ("--sample-rate", "-3"),
    ("--sample-rate", "nan"),
    ("--sample-rate", "inf"),
    ("--sample-rate", "fast"),
    ("--sample-rate", "16 kHz"),
    ("--sample-rate", "1/0"),
    ("--sample-rate", "1e999999999"),
    ("--sample-rate", "1e13"),
    ("--sample-rate", ""),
    ("--spacing", "0mm"),
    ("--spacing", "-1mm"),
    ("--spacing", "3parsecs"),
    ("--spacing", "nanmm"),
    ("--spacing", "mm"),
]


@pytest.mark.parametrize("option, value", BAD)
def test_bad_units_are_one_line(option: str, value: str) -> None:
    """Each bad value: exit 2, one line on stderr naming the option and the value, nothing on stdout."""
    res = cli("table", "alexnet", f"{option}={value}")
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert option in res.stderr and repr(value) in res.stderr


def test_bad_units_in_the_api() -> None:
    table = load("alexnet").table()
    with pytest.raises(RfsymError, match="table units must be"):
        table.to_text(units="ms")
    with pytest.raises(RfsymError, match="pass_through must be True or False"):
        table.to_text(pass_through="yes")
    with pytest.raises(RfsymError, match=r"sample rate \(--sample-rate\).*got True"):
        parse_units(sample_rate=True)


# -- pass-through rows ---------------------------------------------------------------------------------


class TestPassThrough:
    def test_vgg16_text_and_markdown(self) -> None:
        """VGG-16: the 13 ReLUs are hidden (a line says so); --show-pass-through shows them."""
        text = cli("table", "vgg16").stdout
        assert "relu" not in text.replace("--show-pass-through", "")
        assert text.splitlines()[-1].startswith("13 pass-through layers (activations, normalisation, dropout")
        assert len(text.splitlines()) == 1 + 2 + 1 + 18 + 1  # heading, head and rule, input, 18 layers, note
        full = cli("table", "vgg16", "--show-pass-through").stdout
        assert "relu5_3" in full and len(full.splitlines()) == 1 + 2 + 1 + 31 and "pass-through" not in full
        md = cli("table", "vgg16", "--format", "markdown").stdout
        assert "| relu" not in md and "\n\n13 pass-through layers" in md
        assert "| relu1_1 |" in cli("table", "vgg16", "--format", "markdown", "--show-pass-through").stdout

    def test_vgg16_latex_is_exports(self) -> None:
        """`rfsym table --format latex` hides the same rows as export, with the same caption sentence."""
        tex = cli("table", "vgg16", "--format", "latex").stdout
        body = export_body(load("vgg16"), figure=False, derivation=False)
        sentence = "Pass-through layers (13 rows: activations, normalisation, dropout) change no value"
        assert sentence in tex and sentence in body and "relu" not in tex
        names = [r.split(" & ")[0] for r in latex_rows(tex)]
        assert names == [r.split(" & ")[0] for r in latex_rows(body)]
        shown = cli("table", "vgg16", "--format", "latex", "--show-pass-through").stdout
        assert r"relu1\_1 & -- &" in shown and "Pass-through" not in shown

    def test_json_keeps_every_layer(self) -> None:
        data = json.loads(cli("table", "vgg16", "--format", "json").stdout)
        marked = [d["name"] for d in data["layers"] if d.get("pass_through")]
        assert len(data["layers"]) == 31 and len(marked) == 13 and all(n.startswith("relu") for n in marked)

    def test_graph_table(self) -> None:
        """A graph's identity nodes are hidden too; its merges are not pass-through and stay."""
        g = Graph(input=16, name="g")
        a = g.conv("input", kernel=3, padding=1, name="a")
        r = g.identity(a, op="relu", name="act")
        b = g.conv(r, kernel=3, padding=1, name="b")
        g.add(b, "input", name="sum")
        text = g.table().to_text()
        rows = [ln.split()[0] for ln in text.splitlines()[3:-1]]
        assert rows == ["input", "a", "b", "sum"] and text.splitlines()[-1].startswith("1 pass-through layer")
        assert "act" in g.table().to_text(pass_through=True)
        assert [d.get("pass_through", False) for d in g.table().to_dict()["layers"]] == [False, True, False, False]

    def test_resnet18_and_imported(self) -> None:
        """resnet18 (a graph with no pass-through node) prints every row and no note; an imported model's
        identity node (an adaptive pooling to the same size) is hidden like export hides it."""
        text = cli("table", "resnet18").stdout
        assert "pass-through" not in text and "layer4.1.add" in text
        torch = pytest.importorskip("torch")
        from rfsym.io.torch import from_torch

        model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(6))
        net = from_torch(model, 8)
        assert any(is_pass_through(lay) for lay in net.layers)
        names = [ln.split()[0] for ln in net.table().to_text().splitlines()[3:]]
        assert names[:2] == ["input", "0"] and "2" not in names
        assert "1 pass-through layer" in net.table().to_text()

    def test_seed_alexnet_unchanged(self) -> None:
        """The seed reproduction has no pass-through layer: every row, the seed's numbers, no note."""
        text = cli("table", "alexnet", "--convention", "seed").stdout
        lines = text.splitlines()
        assert len(lines) == 1 + 2 + 1 + 10 and "pass-through" not in text
        assert lines[-3].split()[-5:] == ["6", "32", "195", "33.5", "64"]  # pool5 as in the seed post


# -- tuples per axis -----------------------------------------------------------------------------------


def test_tuples_in_every_format() -> None:
    """(3, 5) per axis in text, Markdown, HTML, LaTeX; JSON has lists; no 3x5 anywhere."""
    table = Network([Conv(kernel=[3, 5], stride=[1, 2], name="c")], input=[16, 20]).table()
    text, md, html = table.to_text(), table.to_markdown(), table._repr_html_()
    assert "c      (3, 5)  (1, 2)" in text and "input (16, 20)," in text
    assert "| c | (3, 5) | (1, 2) | 0 | 1 | (14, 8) | (1, 2) | (3, 5) | (1.5, 2.5) | 0 |" in md
    assert '<td style="text-align:right">(14, 8)</td>' in html
    assert r"c & $(3, 5)$ & $(1, 2)$ & $0$ & $1$ & $(14, 8)$ & $(1, 2)$ & $(3, 5)$ & $(1.5, 2.5)$ & $0$ \\" in (
        table.to_latex()
    )
    assert json.loads(table.to_json())["layers"][0]["n"] == [14, 8]
    assert not re.search(r"\dx\d", text + md + html)
    mm = table_cells(table, units=parse_units(spacing="0.5mm"))[1]
    assert mm == ["c", "(3, 5)", "(1, 2)", "0", "1", "(14, 8)", "(0.5, 1)", "(1.5, 2.5)", "(0.75, 1.25)", "0"]
    assert "(0.75, 1.25)" in table.to_text(units=parse_units(spacing="0.5mm"))


# -- symbolic tables with units ------------------------------------------------------------------------


def test_symbolic_units_are_exact() -> None:
    """A symbolic kernel at 16 kHz: r = (2k - 1)/16 ms exactly (no float), in text, LaTeX and JSON."""
    net = Network([Conv(kernel="k", name="c1"), Conv(kernel="k", name="c2")], input=64, sample_rate=16000)
    table = net.table()
    text = table.to_text()
    assert "k/8 - 1/16" in text and "~" not in text
    data = json.loads(table.to_json())
    k = sympy.Symbol("k", integer=True, positive=True)
    r_ms = sympy.sympify(data["layers"][-1]["in_units"]["r"], locals={"k": k})
    assert sympy.simplify(r_ms - (2 * k - 1) / sympy.Integer(16)) == 0
    assert "$k / 8 - 1 / 16$" in table.to_latex() and r"\approx" not in table.to_latex()
    rate = Fraction(44100, 3)  # a rational rate: j stays exact, 1000/14700 ms
    u = parse_units(sample_rate=str(rate))
    assert table.to_dict(units=u)["layers"][0]["in_units"]["j"] == "10/147"
    r_text = table_cells(table, ["r"], units=u)[-1][0]
    assert sympy.simplify(sympy.sympify(r_text, locals={"k": k}) - (2 * k - 1) * sympy.Rational(10, 147)) == 0


def test_long_symbolic_table_with_hidden_rows_and_units() -> None:
    """A long symbolic table's recurrences name the previous *shown* row (the ReLU before is hidden) and,
    in ms, P's recurrence converts j back to samples; evaluated on the shown rows, they give the values."""
    layers: list[Any] = []
    for i in range(14):
        layers += [Conv(kernel=f"k{i}", stride=2 if i % 4 == 0 else 1, padding=1, name=f"c{i}"), Identity(name=f"a{i}")]
    table = Network(layers, input=300).table()
    assert table.recurrence_from is not None
    u = parse_units(sample_rate=8000)
    text = table.to_text(units=u, columns=["layer", "j", "P"])
    assert re.search(r"^c5 +j\[c4\] +P\[c4\] \+ 8\*j\[c4\]$", text, re.M), text
    assert "[a" not in text  # no hidden row is named
    check_recurrences(table, u)


def check_recurrences(table: Any, units: Any) -> None:
    """Every recurrence cell of the hidden, unit view, evaluated at its previous shown row's values (in the
    view's units), equals its row's own value (in the view's units)."""
    from rfsym.printing.table import View, _raw_cells

    view = View(table, False, units)
    shown = [table.rows[i] for i in view.rows]
    for col, key in (("n", "n"), ("j", "j"), ("r", "r"), ("start", "start"), ("P", "P")):
        cells = _raw_cells(table, col, view)
        for k, cell in enumerate(cells):
            rec = cell[0]
            if not hasattr(rec, "expr"):
                continue
            prev = shown[k - 1]
            vals = prev.states[0].as_dict()
            at = {}
            for s in rec.expr.free_symbols:
                m = re.fullmatch(r"(n|j|r|start|P)\[(.*)\]", s.name)
                if m is None:
                    continue
                assert m.group(2) == prev.name
                q = {"P": "effective_padding"}.get(m.group(1), m.group(1))
                v = vals[q]
                at[s] = units.value(v) if units is not None and m.group(1) in ("j", "r", "start") else v
            got = rec.expr.xreplace({s: sympy.sympify(v) for s, v in at.items()})
            want = sympy.sympify(shown[k].states[0].as_dict()[{"P": "effective_padding"}.get(key, key)])
            if units is not None and key in ("j", "r", "start"):
                want = sympy.sympify(units.value(want))
            # compare at numbers for the layer symbols (nested floors need not simplify to one form)
            syms = {s: _value_of(s) for s in (got.free_symbols | want.free_symbols)}
            assert got.xreplace(syms) - want.xreplace(syms) == 0, (shown[k].name, col, rec.expr)


def _value_of(sym: Any) -> int:
    """A number for a layer symbol (``k12`` -> 3..5, the input ``n`` -> 5000)."""
    return 5000 if sym.name == "n" else 3 + int(re.sub(r"\D", "", sym.name) or 0) % 3


# -- property tests ------------------------------------------------------------------------------------


rates = st.one_of(
    st.integers(1, 200000).map(str),
    st.tuples(st.integers(1, 10**6), st.integers(1, 1000)).map(lambda t: f"{t[0]}/{t[1]}"),
)


@settings(max_examples=60, deadline=None)
@given(stacks(1, 6), st.integers(20, 300), rates)
def test_units_are_samples_over_rate(params: list[dict[str, Any]], size: int, rate: str) -> None:
    """For random stacks and rates: every JSON value in ms is exactly samples * 1000 / rate, the sample
    values unchanged; every text cell is that value (a finite decimal) or marked ~ and within 4 digits."""
    net = Network([build(p, f"l{i}") for i, p in enumerate(params)], input=size)
    try:
        table = net.table()
    except RfsymError:
        return  # an input too small for the stack
    u = parse_units(sample_rate=rate)
    scale = Fraction(1000) / Fraction(rate)
    plain, data = table.to_dict(), table.to_dict(units=u)
    for d, p in zip(data["layers"], plain["layers"]):
        assert {k: v for k, v in d.items() if k != "in_units"} == p
        for q in ("j", "r", "start"):
            assert Fraction(str(d["in_units"][q])) == Fraction(str(d[q])) * scale
    cells = table_cells(table, ["layer", "j", "r", "start"], units=u)
    for row, cell in zip(table.rows, cells):
        for q, text in zip(("j", "r", "start"), cell[1:]):
            exact = Fraction(row.states[0].as_dict()[q]) * scale
            if text.startswith("~"):
                assert abs(Fraction(text[1:]) - exact) <= abs(exact) / 1000 and text[1:] == approx(exact)
            else:
                assert Fraction(text) == exact


@settings(max_examples=40, deadline=None)
@given(stacks(1, 8), st.integers(20, 300), st.booleans(), st.booleans())
def test_hiding_changes_no_number(params: list[dict[str, Any]], size: int, ms: bool, graph: bool) -> None:
    """The hidden table's rows are the full table's rows minus the pass-through ones, cell for cell, in
    text, Markdown and LaTeX (with or without units), for networks and graphs (a chain, then a residual add
    over the last layer); the note counts them."""
    layers = [build(p, f"l{i}") for i, p in enumerate(params)]
    net: Any = Network(layers, input=size)
    if graph:
        net = Graph(input=size, name="g")
        prev: Any = "input"
        for lay in layers:
            prev = net.layer(lay, prev)
        net.add(net.layer(Identity(name="skip"), prev), prev, name="sum")
    try:
        table = net.table()
    except RfsymError:
        return
    units = parse_units(sample_rate=16000) if ms else None
    hidden = sum(is_pass_through(r.layer) for r in table.rows)
    full = table_cells(table, units=units)
    kept = [c for c, r in zip(full, table.rows) if not is_pass_through(r.layer)]
    assert table_cells(table, pass_through=False, units=units) == kept
    text = table.to_text(units=units).splitlines()
    full_text = table.to_text(units=units, pass_through=True).splitlines()
    body = [ln.split() for ln in text[3 : 3 + len(kept)]]
    assert body == [ln.split() for ln, r in zip(full_text[3:], table.rows) if not is_pass_through(r.layer)]
    assert (f"{hidden} pass-through" in text[-1]) == (hidden > 0)
    md = table.to_markdown(units=units)
    assert all(("| " + " | ".join(c) + " |") in md for c in kept)
    tex_rows = latex_rows(table.to_latex(units=units, floating=False))
    full_rows = latex_rows(table.to_latex(units=units, floating=False, pass_through=True))
    assert tex_rows == [t for t, r in zip(full_rows, table.rows) if not is_pass_through(r.layer)]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=26, max_size=30), st.booleans())
def test_long_symbolic_recurrences_hold(shape: list[tuple[bool, bool]], ms: bool) -> None:
    """Long symbolic tables (recurrence rows) with random pass-through layers and units: each printed
    recurrence, evaluated at the previous shown row, gives the row's values."""
    layers: list[Any] = []
    for i, (relu, stride) in enumerate(shape):
        layers.append(Conv(kernel=f"k{i}", stride=2 if stride else 1, padding=1, name=f"c{i}"))
        if relu:
            layers.append(Identity(name=f"a{i}"))
    table = Network(layers, input="n").table()
    check_recurrences(table, parse_units(sample_rate="44100") if ms else None)


@settings(max_examples=30, deadline=None)
@given(stacks(1, 5), rates, st.booleans())
def test_symbolic_units_are_samples_over_rate(params: list[dict[str, Any]], rate: str, symbolic_kernel: bool) -> None:
    """Symbolic tables (input n, or a symbolic first kernel): the JSON value in ms and the text cell are
    exactly the sample expression times 1000 / rate -- no float, no rounding."""
    layers = [build(p, f"l{i}") for i, p in enumerate(params)]
    if symbolic_kernel:
        layers.insert(0, Conv(kernel="k", stride=2, name="first"))
    try:
        table = Network(layers, input="n" if not symbolic_kernel else 500).table()
    except RfsymError:
        return
    u = parse_units(sample_rate=rate)
    scale = sympy.Rational(1000) / sympy.Rational(rate)
    data = table.to_dict(units=u)
    cells = table_cells(table, ["layer", "j", "r", "start"], units=u)[1:]
    for d, cell in zip(data["layers"], cells):
        for q, text in zip(("j", "r", "start"), cell[1:]):
            want = sympy.sympify(str(d[q])) * scale
            assert sympy.sympify(str(d["in_units"][q])) - want == 0
            if not text.startswith("~"):
                assert sympy.simplify(sympy.sympify(text) - want) == 0, (text, want)
            else:
                assert _is_rational(want) and text[1:] == approx(Fraction(str(want)))


def _is_rational(x: Any) -> bool:
    return bool(getattr(x, "is_Rational", False))


def test_help_lists_the_options() -> None:
    """`rfsym table --help` shows the unit and pass-through options with their examples."""
    out = cli("table", "--help").stdout
    for opt in ("--sample-rate", "--spacing", "--show-pass-through", "rfsym table vgg16 --show-pass-through"):
        assert opt in out


def test_numeric_tables_in_units_stay_light() -> None:
    """Units and hidden rows on numeric tables are plain Fraction arithmetic: no sympy is imported."""
    code = (
        "import sys, io, contextlib\nfrom rfsym.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['table', 'wav2vec2_feature_encoder'])\n"
        "    main(['table', 'vgg16', '--spacing', '0.5mm', '--format', 'markdown'])\n"
        "    main(['table', 'vgg16', '--format', 'json', '--sample-rate', '44100'])\n"
        "print([m for m in ('sympy', 'torch', 'numpy') if m in sys.modules])\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"
