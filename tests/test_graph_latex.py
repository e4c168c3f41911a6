"""LaTeX derivations of graphs (issue 12 item 4): per-path recurrences, unions, alignment, closed form; pdflatex."""

from __future__ import annotations

import pytest
from test_latex import compile_tex, overfull

import rfsym
from rfsym import Graph, RfsymError
from rfsym.printing.graph_derivation import graph_derivation, segments


def test_resnet50_derivation_compiles(tmp_path):
    tex = graph_derivation(rfsym.load("resnet50"), label="eq:r50")
    assert tex.startswith("\\begin{align}") and tex.rstrip().endswith("\\end{align}")
    assert "segment \\texttt{input} $\\to$ \\texttt{maxpool} (2 layers)" in tex
    assert "r_{\\mathrm{maxpool}} &= r_{\\mathrm{input}} + 10\\, j_{\\mathrm{input}}" in tex
    assert "merge \\texttt{layer1.\\allowbreak{}0.\\allowbreak{}add}" in tex
    assert "\\Delta_{\\mathrm{hi}} &= 4 \\ge 0" in tex  # the 3x3 conv of layer1.0 reaches 4 pixels further
    assert "aligned (proved)" in tex and "r_{\\text{layer4.2.add}} &= 427\\label{eq:r50:r}" in tex
    log = compile_tex(tmp_path, tex, "r50")
    assert not overfull(log)


def test_symbolic_template_and_unet_compile(tmp_path):
    tex = graph_derivation(rfsym.load("resnet_template"))
    assert "L_{1}" in tex and "\\qquad" in tex  # long closed forms broken over lines
    compile_tex(tmp_path, tex, "tmpl")
    tex = graph_derivation(rfsym.load("unet"), environment="align*")
    assert "its inputs must have equal sizes" in tex and "\\label" not in tex
    compile_tex(tmp_path, tex, "unet")


def test_undecided_union_is_printed_honestly(tmp_path):
    g = Graph(input="n", name="two")
    a = g.conv(g.input_node, kernel="a", padding=[0, "a - 1"], stride="s", name="A")
    b = g.conv(g.input_node, kernel="b", padding=["b - 1", 0], stride="s", name="B")
    g.add(a, b, name="sum")
    tex = graph_derivation(g)
    assert "the union keeps its $\\max$/$\\min$" in tex
    assert "P_{\\mathrm{sum}} &= \\begin{cases} 0 & \\text{for}\\: a \\geq b" in tex  # j, P: the larger r's
    assert "aligned only when $a = 2 - b$" in tex
    compile_tex(tmp_path, tex, "two")


def test_names_are_escaped(tmp_path):
    g = Graph(input=32, name="evil$\\input{x}")
    x = g.conv(g.input_node, kernel=3, padding=1, name="a_b%c")
    y = g.conv(g.input_node, kernel=1, name="#y{")
    g.add(x, y, name="\\end{align}")
    tex = graph_derivation(g)
    assert "\\end{align}\n" == tex[-len("\\end{align}\n") :] and tex.count("\\end{align}") == 1
    compile_tex(tmp_path, tex, "evil")


def test_segments_cover_every_layer():
    g = rfsym.load("inception_v3")
    covered = [x for _, chain in segments(g) for x in chain]
    merges = {n for n, lay in zip(g.nodes, g.layers) if lay.kind in ("add", "concat")}
    assert sorted(covered) == sorted(set(g.nodes) - merges)


def test_chains_and_bad_settings_are_refused():
    with pytest.raises(RfsymError, match="graph derivations print graphs"):
        graph_derivation(rfsym.load("alexnet"))
    with pytest.raises(RfsymError, match="environment"):
        graph_derivation(rfsym.load("resnet18"), environment="equation")
