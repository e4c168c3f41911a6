"""Repeated blocks with branches (issue 12 item 2): symbolic counts against the unrolled graphs.

A spec block with merges (a residual block, an Inception module) repeated
``times = "L"`` derives in closed form (sums over the copies); the same spec
with ``times = l`` unrolls into graph nodes.  For l = 1..8 the two agree form by
form, and both agree with the numeric table at drawn points.
"""

from __future__ import annotations

import random
import warnings
from typing import Any

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import rfsym
from rfsym import RfsymError, derive
from rfsym.graph import AlignmentWarning, BlockRepeat

KEYS = ("n", "j", "r", "start", "P")

RESIDUAL = """
input = "n"
[symbols]
k = { odd = true }
L = { min = 1 }
[[layers]]
name = "stem"
kind = "conv"
kernel = 3
stride = 2
padding = 1
[[layers]]
name = "stage"
kind = "repeat"
times = TIMES
  [[layers.layers]]
  name = "c1"
  kind = "conv"
  kernel = "k"
  padding = "(k - 1)/2"
  [[layers.layers]]
  name = "c2"
  kind = "conv"
  kernel = "k"
  padding = "(k - 1)/2"
  [[layers.layers]]
  name = "sum"
  kind = "add"
  inputs = ["c2", "input"]
[[layers]]
name = "head"
kind = "conv"
kernel = 3
"""

DOWN = """
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
  name = "c1"
  kind = "conv"
  kernel = "k"
  stride = "s"
  padding = "(k - 1)/2"
  [[layers.layers]]
  name = "c2"
  kind = "conv"
  kernel = 3
  padding = 1
  [[layers.layers]]
  name = "short"
  kind = "conv"
  kernel = 1
  stride = "s"
  inputs = ["input"]
  [[layers.layers]]
  name = "sum"
  kind = "add"
  inputs = ["c2", "short"]
"""

INCEPTION = """
input = "n"
[symbols]
k = { odd = true, min = 3 }
L = { min = 1 }
[[layers]]
name = "mixed"
kind = "repeat"
times = TIMES
  [[layers.layers]]
  name = "b1"
  kind = "conv"
  kernel = 1
  [[layers.layers]]
  name = "b3a"
  kind = "conv"
  kernel = 1
  inputs = ["input"]
  [[layers.layers]]
  name = "b3"
  kind = "conv"
  kernel = "k"
  padding = "(k - 1)/2"
  [[layers.layers]]
  name = "bp"
  kind = "pool"
  kernel = 3
  stride = 1
  padding = 1
  inputs = ["input"]
  [[layers.layers]]
  name = "cat"
  kind = "concat"
  inputs = ["b1", "b3", "bp"]
[[layers]]
name = "pool"
kind = "pool"
kernel = 2
"""

DILATED = """
input = "n"
[symbols]
L = { min = 1 }
[[layers]]
name = "tcn"
kind = "repeat"
times = TIMES
index = "i"
  [[layers.layers]]
  name = "c1"
  kind = "conv"
  kernel = 3
  dilation = "2**(i - 1)"
  padding = "2**(i - 1)"
  [[layers.layers]]
  name = "c2"
  kind = "conv"
  kernel = 3
  dilation = "2**(i - 1)"
  padding = "2**(i - 1)"
  [[layers.layers]]
  name = "sum"
  kind = "add"
  inputs = ["c2", "input"]
"""

BLOCKS = {"residual": RESIDUAL, "down": DOWN, "inception": INCEPTION, "dilated": DILATED}


def spec(text: str, times: Any) -> Any:
    return rfsym.loads(text.replace("TIMES", f'"{times}"' if isinstance(times, str) else str(times)))


def quiet_table(g: Any, **kw: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AlignmentWarning)
        return g.table(**kw)


def values(g: Any, rng: random.Random) -> dict[str, int]:
    out = {}
    for s in g.free_symbols:
        if s.name == "k":
            lo = g.symbols["k"].min or 1
            out["k"] = rng.choice([v for v in (1, 3, 5, 7) if v >= lo])
        elif s.name == "s":
            out["s"] = rng.choice([1, 2, 3])
    return out


@pytest.mark.parametrize("block", sorted(BLOCKS))
def test_symbolic_count_equals_unrolled_graph(block):
    """L = 1..8: the closed form in L, at L = l, equals the unrolled graph's forms, form by form."""
    sym = derive(spec(BLOCKS[block], "L"))
    assert sym.output in ("head", "stage", "pool", "tcn")
    rng = random.Random(block)
    for copies in range(1, 9):
        unrolled = spec(BLOCKS[block], copies)
        ref = derive(unrolled)
        got = sym.subs({"L": copies})
        for key in KEYS:
            a, b = sympy.sympify(getattr(got, key)), sympy.sympify(getattr(ref, key))
            assert sympy.simplify(a - b) == 0, (block, copies, key, a, b)
        vals = values(unrolled, rng)
        n = 40 * (3**copies if block == "down" else 1) + rng.randint(0, 9)
        t = quiet_table(unrolled.subs(vals), input=n).output[0]
        ev = got.subs(vals).evaluate(n)
        assert tuple(ev[k] for k in KEYS) == (t.n, t.j, t.r, t.start, t.P), (block, copies, vals, n)


def test_geometric_sums_in_the_stride():
    """A stage of L strided residual blocks: j = s**L and r a geometric sum (s = 1 kept apart)."""
    f = derive(spec(DOWN, "L"))
    S = {x.name: x for x in f.free_symbols}
    s, L, k = S["s"], S["L"], S["k"]
    assert f.j == s**L
    assert isinstance(f.r, sympy.Piecewise)
    (r_one, c_one), (r_geo, _) = f.r.args
    assert c_one == sympy.Eq(s, 1)
    assert sympy.simplify(r_one - (1 + L * (k + 1))) == 0
    assert sympy.simplify(r_geo - (1 + (k - 1) * (s**L - 1) / (s - 1) + 2 * s * (s**L - 1) / (s - 1))) == 0
    assert any("repeat 'stage' (L copies)" in c for c in f.conditions)


def test_dilated_residual_stage_in_closed_form():
    """Dilation 2**(i-1) in copy i: r = 1 + 4 (2**L - 1), as the unrolled TCN-like stage."""
    f = derive(spec(DILATED, "L"))
    L = next(x for x in f.free_symbols if x.name == "L")
    assert sympy.simplify(f.r - (1 + 4 * (2**L - 1))) == 0


def test_unproved_union_refuses_a_symbolic_count():
    """Branches whose windows neither contains the other (A reaches right, B left): the union's ends are
    proved, but which branch sets j and P is not: a symbolic count is an error naming the merge; a numeric
    count unrolls and keeps the honest Piecewise."""
    text = """
input = "n"
[symbols]
a = { min = 1 }
b = { min = 1 }
L = { min = 1 }
[[layers]]
name = "stage"
kind = "repeat"
times = TIMES
  [[layers.layers]]
  name = "A"
  kind = "conv"
  kernel = "a"
  padding = [0, "a - 1"]
  [[layers.layers]]
  name = "B"
  kind = "conv"
  kernel = "b"
  inputs = ["input"]
  padding = ["b - 1", 0]
  [[layers.layers]]
  name = "sum"
  kind = "add"
  inputs = ["A", "B"]
"""
    with pytest.raises(RfsymError, match="merge 'sum'"):
        derive(spec(text, "L"))
    f = derive(spec(text, 2))
    assert f.P.has(sympy.Piecewise) and not f.r.has(sympy.Max)
    for a, b in [(1, 4), (5, 2), (3, 3)]:
        t = quiet_table(spec(text, 2).subs({"a": a, "b": b}), input=30).output[0]
        ev = f.subs({"a": a, "b": b}).evaluate(30)
        assert tuple(ev[k] for k in KEYS) == (t.n, t.j, t.r, t.start, t.P)


def test_numeric_count_unrolls_into_nodes():
    g = spec(RESIDUAL, 3).subs({"k": 3})
    assert g.nodes[:4] == ("stem", "stage.1.c1", "stage.1.c2", "stage.1.sum") and "stage" in g.nodes
    assert quiet_table(g, input=32).output[0].r == 3 + 2 * 6 * 2 + 2 * 2


def test_spec_errors_name_the_layer():
    nested = RESIDUAL.replace("TIMES", "2").replace(
        '  [[layers.layers]]\n  name = "c1"',
        '  [[layers.layers]]\n  name = "inner"\n  kind = "repeat"\n  times = 2\n'
        '    [[layers.layers.layers]]\n    name = "x"\n    kind = "relu"\n'
        '    [[layers.layers.layers]]\n    name = "y"\n    kind = "add"\n    inputs = ["x", "input"]\n'
        '  [[layers.layers]]\n  name = "c1"',
    )
    with pytest.raises(RfsymError, match="inside another repeat is not supported"):
        rfsym.loads(nested)
    with pytest.raises(RfsymError, match="unknown input 'stem' inside the repeat block"):
        rfsym.loads(RESIDUAL.replace("TIMES", "2").replace('inputs = ["c2", "input"]', 'inputs = ["c2", "stem"]'))


def test_resnet_template_gives_resnet18_and_resnet34():
    g = rfsym.load("resnet_template")
    assert isinstance(dict(zip(g.nodes, g.layers))["layer2"], BlockRepeat)
    f = derive(g)
    for depths, name in [((2, 2, 2, 2), "resnet18"), ((3, 4, 6, 3), "resnet34")]:
        vals = {"k": 3, **{f"L{i}": d for i, d in enumerate(depths, 1)}}
        ref = derive(rfsym.load(name))
        got = f.subs(vals)
        for key in KEYS:
            assert sympy.simplify(sympy.sympify(getattr(got, key)) - sympy.sympify(getattr(ref, key))) == 0, key


@settings(max_examples=25, deadline=None)
@given(st.tuples(*[st.integers(1, 4)] * 4), st.sampled_from([1, 3, 5]), st.integers(64, 300))
def test_resnet_template_against_its_unrolled_table(depths, k, n):
    """The template's forms at (L1..L4, k, n) equal the table of the template with those numbers."""
    depths = (depths[0],) + tuple(d + 1 for d in depths[1:])  # stages 2-4 have at least 2 blocks
    vals = {"k": k, **{f"L{i}": d for i, d in enumerate(depths, 1)}}
    f = derive(rfsym.load("resnet_template"))
    text = rfsym.load("resnet_template")
    num = _numeric_template(vals)
    t = quiet_table(num, input=n).output[0]
    ev = f.subs(vals).evaluate(n)
    assert tuple(ev[key] for key in KEYS) == (t.n, t.j, t.r, t.start, t.P)
    assert text.free_symbols


def _numeric_template(vals: dict[str, int]) -> Any:
    from importlib import resources

    text = resources.files("rfsym.zoo").joinpath("resnet_template.toml").read_text(encoding="utf-8")
    for i in range(1, 5):
        text = text.replace(f'times = "L{i} - 1"', f"times = {vals[f'L{i}'] - 1}")
        text = text.replace(f'times = "L{i}"', f"times = {vals[f'L{i}']}")
    return rfsym.loads(text).subs({"k": vals["k"]})


def test_resnet_template_derive_is_fast():
    import time

    g = rfsym.load("resnet_template")
    t = time.process_time()
    derive(g)
    assert time.process_time() - t < 3.0


# ---------------------------------------------------------------------------
# nested repeats: a U-Net of symbolic depth


def _unet_at(depth: int) -> Any:
    from importlib import resources

    text = resources.files("rfsym.zoo").joinpath("unet_template.toml").read_text(encoding="utf-8")
    return rfsym.loads(text.replace('times = "D"', f"times = {depth}"))


def test_unet_template_against_the_unrolled_graphs():
    """Depth D = 1..6: the closed form in D equals the unrolled U-Net's forms and its numeric table."""
    f = derive(rfsym.load("unet_template"))
    D = next(x for x in f.free_symbols if x.name == "D")
    assert sympy.simplify(f.r - (14 * 2**D - 9)) == 0 and f.j == 1
    assert any("nested repeat 'level' (D levels)" in c for c in f.conditions)
    for depth in range(1, 7):
        g = _unet_at(depth)
        assert sum(1 for x in g.nodes if x.endswith(".cat")) == depth
        ref = derive(g)
        got = f.subs({"D": depth})
        for key in ("j", "r", "start", "P"):
            assert sympy.simplify(sympy.sympify(getattr(got, key)) - sympy.sympify(getattr(ref, key))) == 0, key
        for n in (2**depth * 3, 2**depth * 5):
            t = quiet_table(g, input=n).output[0]
            ev = got.evaluate(n)
            assert tuple(ev[k] for k in KEYS) == (t.n, t.j, t.r, t.start, t.P), (depth, n)


def test_unet_template_is_the_zoo_unet_at_depth_4():
    zoo = derive(rfsym.load("unet")).nodes["dec1b"]  # the zoo's U-Net before its 1x1 head
    got = derive(rfsym.load("unet_template")).subs({"D": 4})
    assert (got.j, got.r, got.start, got.P) == (zoo.j, zoo.r, zoo.start, zoo.P) == (1, 215, sympy.Rational(1, 2), 107)


def test_nested_repeat_errors():
    from importlib import resources

    text = resources.files("rfsym.zoo").joinpath("unet_template.toml").read_text(encoding="utf-8")
    with pytest.raises(RfsymError, match="exactly one 'inner' layer"):
        rfsym.loads(text.replace('kind = "inner"', 'kind = "relu"'))
    with pytest.raises(RfsymError, match="belongs in the block of a repeat with nest = true"):
        rfsym.loads('[[layers]]\nname = "x"\nkind = "inner"\n')
    with pytest.raises(RfsymError, match="core belongs to a repeat with nest = true"):
        rfsym.loads(text.replace("nest = true", "nest = false"))
    # a skip through a wide convolution: the inner path need not contain its window
    wide = text.replace(
        '  [[layers.layers]]\n  name = "cat"\n  kind = "concat"\n  inputs = ["enc_b", "up"]',
        '  [[layers.layers]]\n  name = "skip"\n  kind = "conv"\n  kernel = 41\n  padding = 20\n  inputs = ["enc_b"]\n\n'
        '  [[layers.layers]]\n  name = "cat"\n  kind = "concat"\n  inputs = ["skip", "up"]',
    )
    assert wide != text
    with pytest.raises(RfsymError, match="does not provably contain the other inputs' windows at merge 'cat'"):
        derive(rfsym.loads(wide))
    g = rfsym.loads(wide.replace('times = "D"', "times = 2"))
    t = quiet_table(g, input=64).output[0]
    ev = derive(g).evaluate(64)
    assert tuple(ev[k] for k in KEYS) == (t.n, t.j, t.r, t.start, t.P)  # a numeric depth unrolls


def test_sample_rate_is_kept():
    """An optional top-level sample_rate (Hz) is an attribute of networks and graphs, kept by subs."""
    assert rfsym.load("wavenet").sample_rate == 16000 == rfsym.load("wav2vec2_feature_encoder").sample_rate
    assert rfsym.load("alexnet").sample_rate is None
    g = rfsym.loads(
        'sample_rate = 8000\ninput = "n"\n[[layers]]\nname = "a"\nkind = "conv"\nkernel = 3\npadding = 1\n'
        '[[layers]]\nname = "sum"\nkind = "add"\ninputs = ["a", "input"]\n'
    )
    assert g.sample_rate == 8000 and g.subs({"n": 9}).sample_rate == 8000
    net = rfsym.loads('sample_rate = 22050.5\n[[layers]]\nkind = "conv"\nkernel = "k"\n[symbols]\nk = { min = 1 }\n')
    assert net.subs({"k": 3}).sample_rate == 22050.5
    for bad in ("0", "-1", "true", '"fast"', "nan", "inf"):
        with pytest.raises(RfsymError, match="sample_rate must be a positive number"):
            rfsym.loads(f'sample_rate = {bad}\n[[layers]]\nkind = "conv"\nkernel = 3\n')
