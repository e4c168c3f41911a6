"""Closed forms of graphs (issue 12): derive(graph), Graph.equivalent(), the proved Max/Min.

Every property test evaluates the symbolic per-node forms at random integer
points and compares them with the numeric graph table of the substituted graph
and with the brute-force pixel-set tracer of tests/graph_oracle.py.
"""

from __future__ import annotations

import random
import warnings
from fractions import Fraction
from typing import Any

import pytest
import sympy
from graph_oracle import Oracle, window_extents
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_graph import check_against_oracle, oracle_nodes, random_graph

import rfsym
from rfsym import Conv, ConvTranspose, Graph, Network, RfsymError, derive
from rfsym.graph import AlignmentWarning
from rfsym.maps import proved_ge, sign
from rfsym.values import SymbolDomain, symbol

KEYS = ("n", "j", "r", "start", "P")
HALF = Fraction(1, 2)


def quiet_table(g: Graph, **kw: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AlignmentWarning)
        return g.table(**kw)


def state_tuple(st: Any) -> tuple[Any, ...]:
    return (st.n, st.j, st.r, st.start, st.P)


def gforms(g: Graph) -> Any:
    """derive(g) with per-node forms; a chain (derived as a Network) also through the graph path."""
    f = derive(g, input="n")
    if hasattr(f, "nodes"):
        return f
    from rfsym.closed_form.derive import _element_map
    from rfsym.closed_form.graphs import derive_graph

    out = derive_graph(g, (f.input,), [0], HALF, "framework", _element_map)
    for k in KEYS:  # the sequential forms and the graph forms agree on chains
        assert sympy.simplify(sympy.sympify(getattr(out, k)) - sympy.sympify(getattr(f, k))) == 0, k
    return out


def node_values(forms: Any, node: str, vals: dict[str, int], n: int) -> tuple[Any, ...]:
    got = forms.nodes[node].subs(vals).evaluate(n)
    return tuple(got[k] for k in KEYS)


# ---------------------------------------------------------------------------
# a generator of branched blocks with symbolic parameters


@st.composite
def block_graphs(draw: Any) -> tuple[Graph, dict[str, int], list[int]]:
    """Residual blocks, downsampling residual blocks, Inception-style concats, three-input adds and a
    decoder (strided conv, then a transposed conv or an upsampler, concatenated with the skip).

    Returns the graph (symbolic parameters, symbolic input), one admissible value per symbol and
    input sizes at which every merge's inputs have equal sizes.
    """
    g = Graph(name="blocks")
    doms: dict[str, SymbolDomain] = {}
    vals: dict[str, int] = {}
    count = [0]

    def sym(prefix: str, value: int, odd: bool = False, lo: int | None = None) -> str:
        count[0] += 1
        name = f"{prefix}{count[0]}"
        doms[name] = SymbolDomain(odd=odd, min=lo)
        vals[name] = value
        return name

    def kernel() -> tuple[Any, Any, int]:
        """(kernel, same-size padding, value of the kernel): numeric or an odd symbol."""
        k = draw(st.sampled_from([1, 3, 5]))
        if draw(st.booleans()):
            name = sym("k", k, odd=True)
            return name, f"({name} - 1)/2", k
        return k, (k - 1) // 2, k

    def same_conv(x: Any, tag: str) -> Any:
        k, p, kv = kernel()
        if draw(st.integers(0, 4)) == 0:  # misaligned but same size: all padding on the right
            pad: Any = [0, f"{k} - 1"] if isinstance(k, str) else [0, kv - 1]
            return g.conv(x, kernel=k, padding=pad, name=tag)
        return g.conv(x, kernel=k, padding=p, name=tag)

    x: Any = g.input_node
    down = 1
    nblocks = draw(st.integers(1, 4))
    for b in range(nblocks):
        kind = draw(st.sampled_from(["res", "res", "down", "incep", "add3"]))
        if kind == "res":
            y = x
            for i in range(draw(st.integers(1, 3))):
                y = same_conv(y, f"b{b}c{i}")
            short = x if draw(st.booleans()) else g.conv(x, kernel=1, name=f"b{b}sc")
            x = g.add(y, short, name=f"b{b}add") if draw(st.booleans()) else g.add(short, y, name=f"b{b}add")
        elif kind == "down":
            sv = draw(st.sampled_from([1, 2, 3]))
            s: Any = sym("s", sv) if draw(st.booleans()) else sv
            k, p, _ = kernel()
            y = g.conv(x, kernel=k, stride=s, padding=p, name=f"b{b}c0")
            y = same_conv(y, f"b{b}c1")
            short = g.conv(x, kernel=1, stride=s, name=f"b{b}sc")
            x = g.add(y, short, name=f"b{b}add")
            down *= sv
        elif kind == "incep":
            branches = [g.conv(x, kernel=1, name=f"b{b}one")]
            for i in range(draw(st.integers(1, 3))):
                branches.append(same_conv(g.conv(x, kernel=1, name=f"b{b}r{i}"), f"b{b}br{i}"))
            if draw(st.booleans()):
                branches.append(g.pool(x, kernel=3, stride=1, padding=1, name=f"b{b}pool"))
            x = g.concat(*branches, name=f"b{b}cat")
        else:
            ys = [same_conv(x, f"b{b}m{i}") for i in range(3)]
            x = g.add(*ys, name=f"b{b}add")
    if draw(st.booleans()):  # a decoder step: down by 2, up by 2, concat with the skip
        d = g.conv(x, kernel=2, stride=2, name="enc")
        if draw(st.booleans()):
            kt = draw(st.sampled_from([2, 4]))
            u = g.conv_transpose(d, kernel=kt, stride=2, padding=(kt - 2) // 2, name="dec")
        else:
            u = g.upsample(d, scale=2, mode=draw(st.sampled_from(["nearest", "bilinear"])), name="dec")
        x = g.concat(x, u, name="skipcat")
        down *= 2
        x = same_conv(x, "head")
    g.symbols.update(doms)
    sizes = [down * m + r for m in draw(st.lists(st.integers(3, 12), min_size=2, max_size=3)) for r in (0, 1)]
    return g, vals, sizes


def other_values(vals: dict[str, int], g: Graph, rng: random.Random) -> dict[str, int]:
    """Another admissible point: odd kernels 1..7, strides 1..3."""
    out = {}
    for name in vals:
        dom = g.symbols[name]
        out[name] = rng.choice([1, 3, 5, 7]) if dom.odd else rng.choice([1, 2, 3])
    return out


def check_point(g: Graph, forms: Any, vals: dict[str, int], n: int) -> bool:
    """The forms at (vals, n) against the numeric table and the oracle; False when the point is invalid."""
    num = g.subs(vals)
    try:
        t = quiet_table(num, input=n)
    except RfsymError:  # merge sizes differ or an empty map at this point: the forms' conditions say so
        return False
    orc = Oracle(oracle_nodes(num), n)
    for name in num.nodes:
        got = node_values(forms, name, vals, n)
        assert got == state_tuple(t[name].states[0]), name
        assert got[0] == orc.sizes[name], name
    return True


class TestBlockGraphs:
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(block_graphs(), st.randoms(use_true_random=False))
    def test_forms_equal_table_and_oracle(self, gvs, rng):
        """Every node's forms at random integer points equal the numeric table and the brute-force sizes."""
        g, vals, sizes = gvs
        forms = gforms(g)
        points = [(vals, n) for n in sizes] + [(other_values(vals, g, rng), n) for n in sizes]
        checked = sum(check_point(g, forms, v, n) for v, n in points)
        assert checked >= 1

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(block_graphs())
    def test_windows_against_pixel_sets(self, gvs):
        """The union windows of the forms hold every unit's pixel set and are the tightest such windows."""
        g, vals, sizes = gvs
        forms = gforms(g)
        for n in sizes[:2]:
            num = g.subs(vals)
            try:
                quiet_table(num, input=n)
            except RfsymError:
                continue
            orc = Oracle(oracle_nodes(num), n)
            for name in num.nodes:
                nn, j, r, start, _ = node_values(forms, name, vals, n)
                regions = {u: orc.region(name, u) for u in range(-6, 7)}
                left, right = window_extents(regions, j, start, HALF)
                h = Fraction(r - 1, 2)
                assert left <= h and right <= h, name
                if name not in ("dec", "skipcat", "head"):  # integer grids: the window is the union's hull
                    assert left == h and right == h, name

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(block_graphs())
    def test_conditions_state_every_undecided_max(self, gvs):
        """A kept Max/Min/Piecewise is always said in conditions; a proved union leaves none in the forms."""
        g, _, _ = gvs
        forms = gforms(g)
        for m in forms.merges:
            if m.undecided:
                assert any(f"merge {m.merge!r}" in c and "kept" in c for c in forms.conditions)
        if not any(m.undecided for m in forms.merges):
            for f in forms.nodes.values():
                for k in ("j", "r", "start", "P"):
                    v = getattr(f, k)
                    assert not (isinstance(v, sympy.Basic) and v.has(sympy.Max, sympy.Min, sympy.Piecewise))


class TestRandomNumericDAGs:
    """The numeric random DAGs of test_graph.py with parameters turned into symbols."""

    @staticmethod
    def symbolize(g: Graph, rng: random.Random) -> tuple[Graph, dict[str, int]]:
        vals: dict[str, int] = {}
        entries = []
        for name, lay in zip(g.nodes, g.layers):
            if isinstance(lay, (Conv, ConvTranspose)) and rng.random() < 0.6:
                k, s, p, d, op = lay.axis_params(0)
                kw: dict[str, Any] = {"kernel": k, "stride": s, "dilation": d, "padding": list(p)}
                for fld in ("kernel", "stride", "dilation"):
                    if rng.random() < 0.5:
                        vals[f"{fld[0]}_{name}"] = kw[fld]
                        kw[fld] = f"{fld[0]}_{name}"
                if rng.random() < 0.5:
                    vals[f"p_{name}"] = kw["padding"][0]
                    kw["padding"][0] = f"p_{name}"
                if isinstance(lay, ConvTranspose):
                    lay = ConvTranspose(**kw, output_padding=op, name=name)
                else:
                    lay = type(lay)(**kw, name=name)
            entries.append((lay, list(g.inputs_of(name))))
        return Graph.from_layers(entries, input=g.input[0], name="sym"), vals

    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(random_graph(fractional=True), st.randoms(use_true_random=False))
    def test_symbolized_forms_equal_table(self, gl, rng):
        """Symbolic kernels, strides, dilations and paddings: the forms at the drawn numbers equal the table
        (which test_graph.py checks against the oracle) and the oracle's sizes, node by node."""
        g, loose = gl
        sg, vals = self.symbolize(g, rng)
        n0 = g.input[0]
        forms = gforms(sg)
        t = quiet_table(g)
        orc = Oracle(oracle_nodes(g), n0)
        for name in g.nodes:
            got = node_values(forms, name, vals, n0)
            assert got == state_tuple(t[name].states[0]), name
            assert got[0] == orc.sizes[name]
        check_against_oracle(g, loose, HALF)


# ---------------------------------------------------------------------------
# the prover


class TestProvedOrder:
    def test_sign_uses_lower_bounds_only(self):
        k, s = symbol("k", "kernel"), symbol("s", "stride")
        p = symbol("p", "padding")
        x = sympy.Symbol("x", integer=True)
        assert sign(k - 1)[0] and not sign(k - 2)[0]
        assert sign((k - 1) * s)[0] and sign(k * s - s + 1)[1]
        assert not any(sign(x))  # no lower bound: nothing is proved
        assert sign(-p - 1)[3]
        assert proved_ge(k, 2, {"k": SymbolDomain(min=2)}) and not proved_ge(k, 2)
        assert proved_ge(k, 3, {"k": SymbolDomain(choices=(3, 5))})

    def test_sympy_parity_trap_is_not_trusted(self):
        """sympy thinks (x/6) is an integer for even x; the prover never uses such derived facts."""
        x = sympy.Symbol("x", integer=True, positive=True, even=True)
        assert not proved_ge(x / 6, Fraction(1, 2))  # x = 2 gives 1/3

    @settings(max_examples=200, deadline=None)
    @given(st.lists(st.tuples(st.integers(-3, 3), st.integers(0, 2), st.integers(0, 2)), min_size=1, max_size=5))
    def test_proofs_hold_on_a_grid(self, terms):
        """Whatever the prover proves holds at every point of a grid of admissible values."""
        k, s = symbol("k", "kernel"), symbol("s", "stride")
        e = sum(c * k**a * s**b for c, a, b in terms)
        ge, gt, le, lt = sign(e)
        for kv in range(1, 6):
            for sv in range(1, 6):
                v = e.subs({k: kv, s: sv})
                assert (not ge or v >= 0) and (not gt or v > 0) and (not le or v <= 0) and (not lt or v < 0)


# ---------------------------------------------------------------------------
# regressions: the zoo, Graph.equivalent, honest Max


class TestZoo:
    def test_resnet50_derives(self):
        f = derive(rfsym.load("resnet50"))
        n = f.input
        assert f.n == sympy.floor((n - 1) / 32) + 1
        assert (f.j, f.r, f.P, f.start) == (32, 427, 213, HALF)
        assert f.output == "layer4.2.add" and len(f.nodes) == len(rfsym.load("resnet50").nodes) + 1
        assert f.aligned is True
        d = f.to_dict()
        assert d["nodes"]["conv1"]["r"] == 7 and d["merges"][0]["aligned"] is True

    def test_unet_states_its_size_conditions(self):
        f = derive(rfsym.load("unet"))
        assert (f.r, f.j) == (215, 1)
        assert any("must have equal sizes" in c for c in f.conditions)
        assert all(m.aligned is True for m in f.merges)

    def test_symbolic_resnet_block_kernel(self):
        """A residual block with a symbolic kernel: the main path provably dominates; equal centres."""
        g = rfsym.loads(
            """
            input = "n"
            [symbols]
            k = { odd = true }
            [[layers]]
            name = "c1"
            kind = "conv"
            kernel = "k"
            padding = "(k - 1)/2"
            [[layers]]
            name = "c2"
            kind = "conv"
            kernel = "k"
            padding = "(k - 1)/2"
            [[layers]]
            name = "sum"
            kind = "add"
            inputs = ["c2", "input"]
            """
        )
        f = derive(g)
        k = next(s for s in f.free_symbols if s.name == "k")
        assert sympy.expand(f.r - (2 * k - 1)) == 0 and f.start == HALF
        assert f.merges[0].dominant == 0 and not f.merges[0].undecided
        eq = g.equivalent()
        assert sympy.expand(eq.kernel - (2 * k - 1)) == 0 and eq.stride == 1

    def test_honest_max_when_no_branch_dominates(self):
        """Kernels a and b on two branches: neither window contains the other for every a, b."""
        g = Graph(input="n", name="two")
        x = g.input_node
        a = g.conv(x, kernel="a", padding=[0, "a - 1"], name="A")
        b = g.conv(x, kernel="b", padding=[0, "b - 1"], name="B")
        g.add(a, b, name="sum")
        f = derive(g)
        assert f.r.has(sympy.Max) and f.start.has(sympy.Max) and f.P == 0
        assert any("kept" in c for c in f.conditions)
        for av, bv in [(1, 3), (4, 2), (3, 3)]:
            got = f.subs({"a": av, "b": bv}).evaluate(9)
            t = quiet_table(g.subs({"a": av, "b": bv}), input=9).output[0]
            assert (got["r"], got["P"], got["start"]) == (t.r, t.P, t.start)
        with pytest.raises(RfsymError, match="merge 'sum'"):
            g.equivalent()

    @pytest.mark.parametrize("name", ["resnet18", "resnet50", "inception_v3"])
    def test_equivalent_layer_matches_the_table(self, name):
        g = rfsym.load(name)
        eq = g.equivalent()
        for size in (224, 229, 300, 517):
            a = Network([eq]).table(input=size).output
            b = quiet_table(g, input=size).output
            assert [state_tuple(s) for s in a] == [state_tuple(s) for s in b]

    @pytest.mark.parametrize("name, what", [("unet", "merge 'cat4'"), ("fpn_resnet50", "merge 'topdown4'")])
    def test_equivalent_names_the_merge(self, name, what):
        with pytest.raises(RfsymError, match=what):
            rfsym.load(name).equivalent()


# ---------------------------------------------------------------------------
# the command line and speed


def symbolic_resnet50() -> str:
    """resnet50 with every kernel of 3 a symbol k_i (odd, padding (k_i - 1)/2), input n."""
    import re
    from importlib import resources

    text = resources.files("rfsym.zoo").joinpath("resnet50.toml").read_text(encoding="utf-8")
    head, *blocks = text.split("[[layers]]")
    out, count = [], 0
    for b in blocks:
        if re.search(r"^kernel = 3$", b, re.M):
            count += 1
            b = re.sub(r"^kernel = 3$", f'kernel = "k{count}"', b, flags=re.M)
            b = re.sub(r"^padding = 1$", f'padding = "(k{count} - 1)/2"', b, flags=re.M)
        out.append(b)
    decl = "[symbols]\n" + "".join(f"k{i} = {{ odd = true }}\n" for i in range(1, count + 1))
    return head.replace("input = 224", 'input = "n"') + decl + "[[layers]]" + "[[layers]]".join(out)


def run_cli(*args: str) -> Any:
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "rfsym", *args], capture_output=True, text=True, timeout=120)


class TestCLI:
    def test_derive_resnet50_json(self):
        import json

        res = run_cli("derive", "resnet50", "--format", "json")
        assert res.returncode == 0, res.stderr
        d = json.loads(res.stdout)
        assert (d["j"], d["r"], d["effective_padding"]) == (32, 427, 213) and d["output"] == "layer4.2.add"
        assert d["nodes"]["conv1"] == {
            "n": "floor((n - 1)/2) + 1",
            "j": 2,
            "r": 7,
            "start": "1/2",
            "effective_padding": 3,
        }
        assert len(d["merges"]) == 16 and all(m["aligned"] is True and m["sizes"] is True for m in d["merges"])
        assert any("proved aligned" in c for c in d["conditions"])

    def test_derive_unet_text_and_latex(self):
        res = run_cli("derive", "unet")
        assert res.returncode == 0, res.stderr
        assert "merge 'cat1': its inputs must have equal sizes" in res.stdout and "nodes (32):" in res.stdout
        res = run_cli("derive", "unet", "--format", "latex")
        assert res.returncode == 0 and r"\begin{align*}" in res.stdout and "r_{L} &= 215" in res.stdout

    def test_symbolic_resnet50_through_the_cli(self, tmp_path):
        import json

        spec = tmp_path / "r50.toml"
        spec.write_text(symbolic_resnet50(), encoding="utf-8")
        res = run_cli("derive", str(spec), "--format", "json")
        assert res.returncode == 0, res.stderr
        d = json.loads(res.stdout)
        r = sympy.sympify(d["r"])
        vals = {s: 3 for s in r.free_symbols}
        assert r.subs(vals) == 427  # every kernel 3: the numeric ResNet-50

    def test_symbolic_resnet50_is_fast(self):
        import time

        g = rfsym.loads(symbolic_resnet50())
        t = time.process_time()
        f = derive(g)
        assert time.process_time() - t < 1.5
        assert f.aligned is True and len(f.free_symbols) == 18


def test_two_axis_graph_forms():
    """A 2-D graph (Inception v3): one form per axis, per node too, in the JSON."""
    f = derive(rfsym.load("inception_v3"))
    assert f.r == (1311, 1311) and f.axis(1).r == 1311 and f.aligned is True
    d = f.to_dict()
    assert d["nodes"]["input"]["n"] == ["n0", "n1"] and d["r"] == [1311, 1311]
    assert {m["axis"] for m in d["merges"]} == {0, 1}


def test_n_dependent_padding_is_refused_before_the_work():
    """More than 4 symbolic 'same' layers in a graph: the forms would double with each; refused first."""
    import time

    g = Graph(input="n", name="same")
    x = g.input_node
    for i in range(6):
        x = g.conv(x, kernel="k", stride="s", padding="same", name=f"c{i}")
    g.add(x, g.conv(x, kernel=1, name="b"), name="sum")
    t = time.process_time()
    with pytest.raises(RfsymError, match="6 layers with 'same' padding and symbolic parameters"):
        derive(g)
    assert time.process_time() - t < 5


def test_alignment_paths_are_memoised_and_equal_the_tables():
    """A dense block (every layer concatenates all earlier ones): 1711 alignments, each path built once,
    equal to GraphTable.path, in linear rather than quadratic time (models' DenseNet-201 profile)."""
    import time

    g = Graph(input=64, name="dense")
    feats = [g.conv(g.input_node, kernel=3, padding=1, name="c0")]
    for i in range(1, 60):
        x = g.concat(*feats, name=f"cat{i}") if len(feats) > 1 else feats[0]
        feats.append(g.conv(x, kernel=3, padding=1, name=f"c{i}"))
    t = time.process_time()
    tab = quiet_table(g)
    assert time.process_time() - t < 1.0
    assert len(tab.alignments) == 1711
    for al in tab.alignments[::37]:
        assert al.paths == (tab.path(al.inputs[0]), tab.path(al.inputs[1]))
