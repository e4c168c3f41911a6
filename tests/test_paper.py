"""Issue 14: paper-ready LaTeX -- bounded figures for every model, 1-D and N-D pictures, solution sets that
fit and say exactly what they are, one notation.  Values are checked against the table (the transfer
functions) and against brute force (membership in the solver's progressions)."""

from __future__ import annotations

import math
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rfsym import Conv, Network, Upsample, derivation, latex, load, loads, solve
from rfsym.commands.export import document, export_body
from rfsym.io.spec import builtin_names as zoo_names
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
    g = figure_geometry(net)
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
    cap = tikz_figure(net, label="fig:x")
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
    import resource

    (tmp_path / "unet.tex").write_text(document(export_body(load("unet"))))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "unet.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime) < 10.0
    assert "Overfull" not in (tmp_path / "unet.log").read_text(encoding="latin-1")


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
