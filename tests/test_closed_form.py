"""Closed forms (rfsym.derive) against per-layer tables, the pixel-set oracle and unrolled stacks."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from fractions import Fraction

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import from_layer, oracle
from strategies import build, stacks

import rfsym
from rfsym import Conv, Identity, Network, Pool, Repeat, RfsymError, derive
from rfsym import _arith as A
from rfsym.closed_form import ClosedForms, general_stack
from rfsym.simplification import RULES, simplify
from rfsym.values import SymbolDomain

KEYS = ("n", "j", "r", "start", "P")


def state_tuple(st):
    return (st.n, st.j, st.r, st.start, st.P)


def forms_at(forms, n):
    v = forms.evaluate(n)
    return tuple(v[k] for k in KEYS)


# ---------------------------------------------------------------------------
# numeric stacks, symbolic input
# ---------------------------------------------------------------------------


class TestNumericStacks:
    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(stacks(min_layers=1, max_layers=7, ceil=False, modes=False), st.sampled_from([Fraction(1, 2), 0]))
    def test_random_stacks_fifty_sizes(self, params, origin):
        """Dilated, asymmetrically padded stacks: the closed forms equal the table at 50 input sizes."""
        net = Network([build(p, f"l{i}") for i, p in enumerate(params)])
        forms = derive(net, origin=origin)
        assert forms.input == sympy.Symbol("n", integer=True, positive=True)
        lo = net.min_input_size()
        assert forms._min_input == lo  # the closed-form validity bound equals the exact search
        for n in range(lo, lo + 50):
            assert forms_at(forms, n) == state_tuple(net.table(input=n, origin=origin).output[0]), n

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(stacks(min_layers=1, max_layers=5, ceil=True, modes=True))
    def test_same_padding_and_ceil_mode(self, params):
        """'same'/'valid' padding and ceil_mode (nested or Piecewise forms) still equal the table."""
        net = Network([build(p, f"l{i}") for i, p in enumerate(params)])
        forms = derive(net)
        lo = net.min_input_size()
        for n in range(lo, lo + 12):
            assert forms_at(forms, n) == state_tuple(net.table(input=n).output[0]), n

    @settings(max_examples=60, deadline=None)
    @given(stacks(min_layers=1, max_layers=5, ceil=False, modes=False), st.integers(0, 30))
    def test_against_pixel_oracle(self, params, extra):
        """The forms agree with the brute-force pixel-set oracle (independent of rfsym's arithmetic)."""
        layers = [build(p, f"l{i}") for i, p in enumerate(params)]
        net = Network(layers)
        n = net.min_input_size() + extra
        want = oracle([from_layer(lay) for lay in layers], n)[-1]
        got = derive(net).evaluate(n)
        assert (got["n"], got["j"], got["r"], got["start"], got["P"]) == (
            want["n"],
            want["j"],
            want["r"],
            want["start"],
            want["P"],
        )

    def test_alexnet_paper_form(self):
        """AlexNet with input n: n = floor((n - 227)/32) + 1, r = 355, start = 113.5, P = 64."""
        forms = derive(rfsym.load("alexnet"))
        n = sympy.Symbol("n", integer=True, positive=True)
        assert forms.n == sympy.floor((n - 227) / 32) + 1
        assert (forms.j, forms.r, forms.start, forms.P) == (32, 355, Fraction(227, 2), 64)
        assert forms.to_dict()["n"] == "floor((n - 227)/32) + 1"  # displayed with one fraction

    def test_numeric_input(self):
        """A numeric input gives the last row of the table."""
        net = rfsym.load("alexnet")
        forms = derive(net, input=227)
        assert (forms.n, forms.j, forms.r, forms.start, forms.P) == state_tuple(net.table().output[0])


# ---------------------------------------------------------------------------
# symbolic parameters
# ---------------------------------------------------------------------------


@st.composite
def symbolic_stacks(draw):
    """A stack where each parameter is a symbol (named per layer) or a number, plus values for the symbols."""
    count = draw(st.integers(1, 5))
    layers, values = [], {}
    for i in range(1, count + 1):
        kind = draw(st.sampled_from(["conv", "conv", "pool"]))
        fields = {}
        for name, lo, hi in (("kernel", 1, 5), ("stride", 1, 3), ("dilation", 1, 3), ("left", 0, 2), ("right", 0, 2)):
            v = draw(st.integers(lo, hi))
            if draw(st.booleans()):
                sym = f"{name[0]}{i}"
                values[sym] = v
                fields[name] = sym
            else:
                fields[name] = v
        pad = [fields["left"], fields["right"]]
        cls = Conv if kind == "conv" else Pool
        layers.append(
            cls(
                kernel=fields["kernel"],
                stride=fields["stride"],
                padding=pad,
                dilation=fields["dilation"],
                name=f"{kind}{i}",
            )
        )
    return layers, values


class TestSymbolicStacks:
    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(symbolic_stacks(), st.integers(0, 40))
    def test_substituted_forms_equal_table(self, drawn, extra):
        """Symbolic k, s, p_L, p_R, d: the forms with values substituted equal the numeric table."""
        layers, values = drawn
        net = Network(layers)
        forms = derive(net)
        concrete = net.subs(values)
        n = concrete.min_input_size() + extra
        got = forms.subs({**values, "n": n})
        assert tuple(getattr(got, k) for k in KEYS) == state_tuple(concrete.table(input=n).output[0])

    def test_folded_single_floor(self):
        """n is one floor over the product of strides: floor((N + Σ(pL+pR)J - R)/J) + 1."""
        net = Network(
            [Conv(kernel=f"k{i}", stride=f"s{i}", padding=[f"a{i}", f"b{i}"], dilation=f"d{i}") for i in (1, 2, 3)]
        )
        forms = derive(net)
        assert len(forms.n.atoms(sympy.floor)) == 1
        S = {s.name: s for s in net.free_symbols}
        k1, k2, k3, s1, s2, s3, d1, d2, d3 = (S[x] for x in "k1 k2 k3 s1 s2 s3 d1 d2 d3".split())
        R = 1 + d1 * (k1 - 1) + d2 * (k2 - 1) * s1 + d3 * (k3 - 1) * s1 * s2
        P = S["a1"] + S["a2"] * s1 + S["a3"] * s1 * s2
        pads = S["a1"] + S["b1"] + (S["a2"] + S["b2"]) * s1 + (S["a3"] + S["b3"]) * s1 * s2
        n = sympy.Symbol("n", integer=True, positive=True)
        assert sympy.expand(forms.r - R) == 0
        assert sympy.expand(forms.P - P) == 0
        assert forms.j == s1 * s2 * s3
        assert sympy.expand(forms.start - (Fraction(1, 2) + (R - 1) / 2 - P)) == 0
        arg = forms.n.atoms(sympy.floor).pop().args[0]
        assert sympy.simplify(arg - (n + pads - R) / (s1 * s2 * s3)) == 0

    def test_odd_kernel_same_padding(self):
        """Stride-1 'same' padding with an odd kernel: P = d(k-1)/2 exactly, n = N."""
        net = Network([Conv(kernel="k", padding="same", dilation="d")], symbols={"k": SymbolDomain(min=1, odd=True)})
        forms = derive(net)
        S = {s.name: s for s in forms.free_symbols}
        assert forms.n == S["n"]
        assert forms.P == S["d"] * (S["k"] - 1) / 2
        assert forms.start == Fraction(1, 2)


# ---------------------------------------------------------------------------
# single-layer equivalence
# ---------------------------------------------------------------------------


class TestEquivalent:
    @settings(max_examples=100, deadline=None)
    @given(stacks(min_layers=1, max_layers=6, ceil=False, modes=False))
    def test_equivalent_layer_matches_stack(self, params):
        """The layer (kernel R, stride J, padding (P, total - P)) gives the stack's output for every size."""
        net = Network([build(p, f"l{i}") for i, p in enumerate(params)])
        eq = net.equivalent()
        one = Network([eq])
        lo = net.min_input_size()
        for n in range(lo, lo + 30):
            assert state_tuple(one.table(input=n).output[0]) == state_tuple(net.table(input=n).output[0])

    def test_symbolic_equivalent(self):
        """Symbolic stack: the equivalent layer's own closed forms equal the stack's."""
        net = Network(
            [Conv(kernel="k1", stride="s1", padding="p1"), Pool(kernel=2), Conv(kernel="k3", padding=[1, "q"])]
        )
        eq = net.equivalent()
        f1, f2 = derive(net), derive(Network([eq]))
        for k in KEYS:
            assert sympy.simplify(A.to_sympy(getattr(f1, k)) - A.to_sympy(getattr(f2, k))) == 0, k

    def test_alexnet(self):
        eq = rfsym.load("alexnet").equivalent()
        assert (eq.kernel, eq.stride, eq.padding) == (355, 32, (64, 64))

    def test_no_equivalent_for_ceil_mode(self):
        """ceil_mode pooling makes n a Piecewise: no single equivalent layer, and the error says why."""
        net = Network([Pool(kernel=3, stride=2, ceil_mode=True)])
        with pytest.raises(RfsymError, match="not a single floor"):
            net.equivalent()


# ---------------------------------------------------------------------------
# repeated blocks with symbolic L
# ---------------------------------------------------------------------------


def unrolled_check(block, index=None, values=(), Ls=range(1, 13), sizes=(0, 5, 17)):
    """Closed forms of Repeat(block, times=L) against the unrolled stacks for L = 1..12."""
    net = Network([Repeat(block=block, times="L", index=index, name="rep")])
    forms = derive(net)
    for L in Ls:
        for vals in values or ({},):
            concrete = Network([Repeat(block=block, times=L, index=index, name="rep")]).subs(dict(vals))
            lo = concrete.min_input_size()
            for extra in sizes:
                n = lo + extra
                got = forms.subs({**dict(vals), "L": L, "n": n})
                want = state_tuple(concrete.table(input=n).output[0])
                assert tuple(A.norm(getattr(got, k)) for k in KEYS) == want, (L, vals, n)
    return forms


class TestRepeat:
    def test_strided_conv_geometric(self):
        """Conv(k, s, p) repeated L times: r = 1 + (k-1)(s^L - 1)/(s - 1), with the s = 1 branch."""
        block = [Conv(kernel="k", stride="s", padding="p", name="c")]
        vals = [{"k": 3, "s": 2, "p": 1}, {"k": 5, "s": 1, "p": 2}, {"k": 2, "s": 3, "p": 0}]
        forms = unrolled_check(block, values=vals)
        S = {x.name: x for x in forms.free_symbols}
        k, s, L = S["k"], S["s"], S["L"]
        assert isinstance(forms.r, sympy.Piecewise)
        general = [e for e, c in forms.r.args if c is sympy.true][0]
        assert sympy.simplify(general - (1 + (k - 1) * (s**L - 1) / (s - 1))) == 0
        assert forms.j == s**L

    def test_tcn_dilations(self):
        """TCN/WaveNet: dilation b**(l-1), r = 1 + (k-1)(b^L - 1)/(b - 1)."""
        spec = """
            [symbols]
            k = { min = 1 }
            b = { min = 2 }
            L = { min = 1 }
            [[layers]]
            kind = "repeat"
            times = "L"
            index = "l"
            [[layers.layers]]
            kind = "conv"
            kernel = "k"
            dilation = "b**(l-1)"
        """
        net = rfsym.loads(spec)
        forms = derive(net)
        S = {x.name: x for x in forms.free_symbols}
        k, b, L = S["k"], S["b"], S["L"]
        assert sympy.simplify(forms.r - (1 + (k - 1) * (b**L - 1) / (b - 1))) == 0
        assert not forms.r.has(sympy.Piecewise)  # b >= 2 by its domain: no b = 1 branch
        for Lv in range(1, 13):
            for kv, bv in ((2, 2), (3, 2), (3, 3)):
                concrete = rfsym.loads(spec.replace('times = "L"', f"times = {Lv}")).subs({"k": kv, "b": bv})
                n = concrete.min_input_size() + 3
                got = forms.subs({"k": kv, "b": bv, "L": Lv, "n": n})
                assert tuple(getattr(got, x) for x in KEYS) == state_tuple(concrete.table(input=n).output[0])

    def test_two_layer_block(self):
        """A conv + pool block with asymmetric padding repeated L times equals the unrolled stack."""
        block = [Conv(kernel="k", padding=[1, 0], dilation=2, name="c"), Pool(kernel=2, name="p")]
        unrolled_check(block, values=[{"k": 3}, {"k": 1}], Ls=range(1, 9))

    def test_symbolic_repeat_inside_stack(self):
        """Layers before and after a symbolic repeat: the prefix jump multiplies the block's sums."""
        layers = [
            Conv(kernel=7, stride=2, padding=3, name="stem"),
            Repeat(block=[Conv(kernel=3, stride=2, padding=1, name="c")], times="L"),
            Pool(kernel=2, name="head"),
        ]
        forms = derive(Network(layers))
        for L in range(1, 8):
            concrete = Network([layers[0], Repeat(block=layers[1].block, times=L), layers[2]])
            for n in (concrete.min_input_size(), 300):
                got = forms.subs({"L": L, "n": n})
                assert tuple(getattr(got, k) for k in KEYS) == state_tuple(concrete.table(input=n).output[0])

    def test_ceil_mode_block_is_an_error(self):
        """A block whose n is not one floor cannot be summed in symbolic L: a clear error."""
        net = Network([Repeat(block=[Pool(kernel=3, stride=2, ceil_mode=True)], times="L")])
        with pytest.raises(RfsymError, match="symbolic number of copies"):
            derive(net)


# ---------------------------------------------------------------------------
# the general L-layer stack
# ---------------------------------------------------------------------------


class TestGeneralStack:
    def test_prints_as_sum_and_product(self):
        """r is a Sum over ell of (k_ell - 1) d_ell times a Product of strides."""
        forms = general_stack()
        assert forms.r.has(sympy.Sum) and forms.r.has(sympy.Product)
        tex = sympy.latex(forms.r)
        assert r"\sum_{\ell=1}^{L}" in tex and r"\prod_{" in tex

    @pytest.mark.parametrize("asymmetric", [False, True])
    def test_concrete_L_equals_table(self, asymmetric):
        """doit with L = 1..6 and random values gives the table's numbers."""
        forms = general_stack(asymmetric=asymmetric)
        rng = random.Random(3)
        base = {c: sympy.IndexedBase(c, integer=True, positive=True) for c in "ksd"}
        if asymmetric:
            base.update({c: sympy.IndexedBase(c, integer=True, nonnegative=True) for c in "ab"})
        else:
            base["p"] = sympy.IndexedBase("p", integer=True, nonnegative=True)
        for L in range(1, 7):
            for _ in range(4):
                vals, layers = {}, []
                for i in range(1, L + 1):
                    k, s, d = rng.randint(1, 5), rng.randint(1, 3), rng.randint(1, 3)
                    pl, pr = rng.randint(0, 2), rng.randint(0, 2)
                    if not asymmetric:
                        pr = pl
                    vals.update({base["k"][i]: k, base["s"][i]: s, base["d"][i]: d})
                    if asymmetric:
                        vals.update({base["a"][i]: pl, base["b"][i]: pr})
                    else:
                        vals[base["p"][i]] = pl
                    layers.append(Conv(kernel=k, stride=s, padding=[pl, pr], dilation=d, name=f"c{i}"))
                net = Network(layers)
                n = net.min_input_size() + rng.randint(0, 20)
                got = forms.subs({"L": L}).subs(vals).subs({"n": n})
                assert tuple(getattr(got, k) for k in KEYS) == state_tuple(net.table(input=n).output[0])


# ---------------------------------------------------------------------------
# errors, conventions, N-D, CLI
# ---------------------------------------------------------------------------


class TestErrors:
    def test_seed_convention_is_refused(self):
        with pytest.raises(RfsymError, match="framework convention"):
            derive(rfsym.load("alexnet"), convention="seed")

    def test_graph_with_branches_is_derived(self):
        """Graphs with branches derive (issue 12): a U-Net's forms, with its merges' size conditions stated."""
        f = derive(rfsym.load("unet"))
        assert (f.j, f.r) == (1, 215)
        assert any("must have equal sizes" in c for c in f.conditions)

    def test_unsatisfiable_symbols(self):
        """Symbols whose domains make a kernel non-positive: the error names layer, field and value."""
        spec = """
            [symbols]
            a = { min = 1, max = 3 }
            b = { min = 5, max = 9 }
            [[layers]]
            name = "c1"
            kind = "conv"
            kernel = "a - b"
        """
        with pytest.raises(RfsymError, match=r"c1: kernel must be a positive integer \(got a - b"):
            derive(rfsym.loads(spec))

    def test_cli_unsatisfiable_exit_2(self, tmp_path):
        spec = tmp_path / "bad.toml"
        spec.write_text(
            '[symbols]\na = { min = 1, max = 3 }\nb = { min = 5, max = 9 }\n[[layers]]\nname = "c1"\nkind = "conv"\nkernel = "a - b"\n'
        )
        out = subprocess.run([sys.executable, "-m", "rfsym", "derive", str(spec)], capture_output=True, text=True)
        assert out.returncode == 2
        assert "c1: kernel must be a positive integer" in out.stderr
        assert out.stdout == ""


class TestNd:
    def test_per_axis_lists(self):
        """A 2-D net gives one form per axis; axis(i) is the one-axis forms."""
        net = Network([Conv(kernel=[3, 5], stride=[1, 2], padding=[1, 2]), Pool(kernel=2)])
        forms = derive(net)
        assert forms.ndim == 2 and len(forms.r) == 2
        assert forms.r == (4, 7) and forms.j == (2, 4)
        assert forms.axis(1).r == 7
        d = forms.to_dict()
        assert d["r"] == [4, 7]
        for ax in (0, 1):
            for n in (10, 11):
                want = state_tuple(net.table(input=[n, n]).output[ax])
                assert forms_at(forms.axis(ax), n) == want


class TestCli:
    def test_json(self):
        out = subprocess.run(
            [sys.executable, "-m", "rfsym", "derive", "alexnet", "--format", "json"], capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        data = json.loads(out.stdout)
        assert data == {"n": "floor((n - 227)/32) + 1", "j": 32, "r": 355, "start": "227/2", "effective_padding": 64}

    def test_latex_and_text(self):
        out = subprocess.run(
            [sys.executable, "-m", "rfsym", "derive", "alexnet", "--format", "latex"], capture_output=True, text=True
        )
        # one LaTeX printer (issue 10): derive --format latex prints what rfsym.latex(forms) prints
        assert r"n_{L} &= \left\lfloor \frac{n - 227}{32} \right\rfloor + 1" in out.stdout
        out = subprocess.run(
            [sys.executable, "-m", "rfsym", "derive", "alexnet", "--input", "227"], capture_output=True, text=True
        )
        assert "r      = 355" in out.stdout

    def test_symbolic_spec_json(self, tmp_path):
        spec = tmp_path / "s.toml"
        spec.write_text(
            '[symbols]\nk = { min = 1 }\ns = { min = 1 }\n[[layers]]\nkind = "conv"\nkernel = "k"\nstride = "s"\n'
        )
        out = subprocess.run(
            [sys.executable, "-m", "rfsym", "derive", str(spec), "--format", "json"], capture_output=True, text=True
        )
        assert json.loads(out.stdout) == {
            "n": "floor((-k + n)/s) + 1",
            "j": "s",
            "r": "k",
            "start": "k/2",
            "effective_padding": 0,
        }


# ---------------------------------------------------------------------------
# long stacks
# ---------------------------------------------------------------------------


class TestLongStacks:
    def test_thousand_layers_no_recursion_error(self):
        """1000 fully symbolic layers: all five forms and their LaTeX, values equal a direct recurrence."""
        L = 1000
        net = Network(
            [
                Conv(kernel=f"k{i}", stride=f"s{i}", padding=f"p{i}", dilation=f"d{i}", name=f"c{i}")
                for i in range(1, L + 1)
            ]
        )
        forms = derive(net)
        tex = forms.to_latex()
        assert tex.count("&=") == 5
        rng = random.Random(0)
        vals = {}
        for i in range(1, L + 1):
            vals.update(
                {
                    f"k{i}": rng.randint(1, 3),
                    f"s{i}": 1 if i > 8 else rng.randint(1, 2),
                    f"p{i}": rng.randint(0, 1),
                    f"d{i}": 1,
                }
            )
        concrete = net.subs(vals)
        n = concrete.min_input_size() + 7
        got = forms.subs({**vals, "n": n})
        assert tuple(getattr(got, k) for k in KEYS) == state_tuple(concrete.table(input=n).output[0])

    def test_sweep_identical_to_table(self):
        """The exact-integer sweep over input sizes equals the per-layer table."""
        net = Network(
            [Conv(kernel=3, stride=2, padding=1), Pool(kernel=3, stride=2, padding=[0, 1]), Conv(kernel=5, dilation=2)]
        )
        forms = derive(net)
        lo = net.min_input_size()
        sizes = list(range(lo, lo + 200))
        nn, j, r, start, P = forms.sweep()(sizes)
        for n, got in zip(sizes, nn):
            assert (int(got), j, r, start, P) == state_tuple(net.table(input=n).output[0])


# ---------------------------------------------------------------------------
# simplify
# ---------------------------------------------------------------------------


class TestSimplify:
    def test_rules_state_conditions(self):
        assert {r.name for r in RULES} >= {"fold", "integer_floor", "exact_division", "domain_piecewise", "geometric"}
        assert all(r.condition for r in RULES)

    def test_fold(self):
        """floor((floor(x/a) + c)/b) = floor((x + a c)/(a b)) for integers."""
        x, c = sympy.symbols("x c", integer=True)
        a, b = sympy.symbols("a b", integer=True, positive=True)
        out = simplify(sympy.floor((sympy.floor(x / a) + c) / b))
        assert len(out.atoms(sympy.floor)) == 1
        for xv in range(-20, 20):
            for av, bv, cv in ((2, 3, 1), (3, 2, -2), (1, 4, 0)):
                env = {x: xv, a: av, b: bv, c: cv}
                assert out.xreplace(env) == (xv // av + cv) // bv

    def test_fold_needs_integer_offset(self):
        """With a non-integer offset the rule does not apply."""
        x = sympy.Symbol("x", integer=True)
        expr = sympy.floor((sympy.floor(x / 2) + sympy.Rational(1, 2)) / 3)
        assert simplify(expr) == expr

    def test_odd_kernel_domain(self):
        k, d = sympy.symbols("k d", integer=True, positive=True)
        assert simplify(sympy.floor(d * (k - 1) / 2)) != d * (k - 1) / 2
        assert simplify(sympy.floor(d * (k - 1) / 2), domains={"k": SymbolDomain(odd=True)}) == d * (k - 1) / 2

    def test_exact_division_asserted(self):
        a, b = sympy.symbols("a b", integer=True, positive=True)
        assert simplify(sympy.floor(a / b), exact=True) == a / b

    def test_domain_drops_branch(self):
        s, L = sympy.symbols("s L", integer=True, positive=True)
        expr = sympy.Piecewise((L, sympy.Eq(s, 1)), ((1 - s**L) / (1 - s), True))
        kept = simplify(expr)
        assert isinstance(kept, sympy.Piecewise)  # s = 1 is possible: the split is real
        assert simplify(expr, domains={"s": SymbolDomain(min=2)}) == (s**L - 1) / (s - 1)

    def test_integer_flag_for_plain_symbols(self):
        x = sympy.Symbol("x")
        assert simplify(sympy.floor(sympy.floor(x / 2) / 3), integer=True) == sympy.floor(x / 6)

    def test_simplify_forms(self):
        net = Network([Conv(kernel="k", padding="same")])
        forms = derive(net)
        out = simplify(forms, domains={"k": SymbolDomain(odd=True)})
        assert isinstance(out, ClosedForms)
        k = [s for s in out.free_symbols if s.name == "k"][0]
        assert out.P == (k - 1) / 2


def test_public_api():
    assert {"derive", "simplify", "ClosedForms"} <= set(rfsym.__all__)
    assert rfsym.simplify is simplify


def test_transposed_and_upsampling_layers():
    """Layer kinds with fractional jumps go through their own transfer functions too."""
    from rfsym import ConvTranspose, Upsample

    net = Network(
        [Conv(kernel=3, stride=2, padding=1), ConvTranspose(kernel="k", stride=2, padding=1), Upsample(scale=2)]
    )
    forms = derive(net)
    for kv in (2, 3, 4):
        concrete = net.subs({"k": kv})
        for n in range(3, 30):
            got = forms.subs({"k": kv, "n": n})
            assert tuple(getattr(got, q) for q in KEYS) == state_tuple(concrete.table(input=n).output[0])
    assert forms.j == Fraction(1, 2)


def test_identity_only():
    """A stack of pass-through layers is the identity."""
    forms = derive(Network([Identity(op="relu")]))
    n = forms.input
    assert (forms.n, forms.j, forms.r, forms.start, forms.P) == (n, 1, 1, Fraction(1, 2), 0)
