"""Floors are dropped only when integrality is proved (issue 11: parity and modular domains).

sympy 1.14 says ``(x/6).is_integer`` is True for even x; rfsym proves divisibility
itself (residues modulo the denominator) or keeps the floor.  Regression tests for
the three reported cases, then property tests against brute force: the residue
prover against every admissible value, and derived forms and symbolic tables at
admissible inputs against the pixel-set oracle.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import from_layer, oracle
from strategies import build

from rfsym import Conv, Network, Pool, derive, simplify
from rfsym import _arith as A
from rfsym.maps import int_floor, integrality, proved_integer, safe_xreplace
from rfsym.values import SymbolDomain

KEYS = ("n", "j", "r", "start", "P")


def _values(forms, n):
    v = forms.evaluate(n)
    return tuple(v[k] for k in KEYS)


def _row(d):
    return tuple(d[k] for k in KEYS)


# ---------------------------------------------------------------------------
# the reported cases
# ---------------------------------------------------------------------------


def test_odd_input_two_strided_convs():
    """N odd, Conv(3, s=2) then Conv(3, s=3): n at N = 9 is 1 (it was (N - 7)/6 + 1 = 4/3)."""
    net = Network(
        [Conv(kernel=3, stride=2), Conv(kernel=3, stride=3)], input="N", symbols={"N": SymbolDomain(odd=True)}
    )
    forms = derive(net)
    assert forms.n.has(sympy.floor)
    for n in range(7, 60, 2):
        assert (
            forms.evaluate(n)["n"]
            == Network([Conv(kernel=3, stride=2), Conv(kernel=3, stride=3)]).table(input=n).output[0].n
        )


def test_even_input_stride_six_table_and_derive():
    """N even, Conv(1, s=6): the symbolic table and derive keep the floor (it was n = N/6)."""
    net = Network([Conv(kernel=1, stride=6)], input="N", symbols={"N": SymbolDomain(even=True)})
    row = net.table().output[0]
    forms = derive(net)
    assert row.n.has(sympy.floor) and forms.n.has(sympy.floor)
    (N,) = row.n.free_symbols
    for n in range(2, 40, 2):
        true = (n - 1) // 6 + 1
        assert A.norm(row.n.xreplace({N: n})) == true
        assert forms.evaluate(n)["n"] == true


def test_simplify_keeps_floor_of_odd_quotient():
    """simplify(floor((s + 3)/6)) with s odd stays a floor (it was s/6 + 1/2)."""
    s = sympy.Symbol("s", integer=True, odd=True)
    out = simplify(sympy.floor((s + 3) / 6))
    assert out.has(sympy.floor)
    for v in range(-11, 30, 2):
        assert A.norm(out.xreplace({s: v})) == (v + 3) // 6
    t = sympy.Symbol("t", integer=True)
    out = simplify(sympy.floor((t + 3) / 6), domains={"t": SymbolDomain(odd=True)})
    assert out.has(sympy.floor)


def test_proved_floors_still_go():
    """The legitimate rules still apply: (k - 1)/2 for odd k, even x over 2, k(k + 1)/2."""
    k, d = sympy.symbols("k d", integer=True, positive=True)
    assert simplify(sympy.floor(d * (k - 1) / 2), domains={"k": SymbolDomain(odd=True)}) == d * (k - 1) / 2
    x = sympy.Symbol("x", integer=True, even=True)
    assert int_floor(x / 2) == x / 2
    assert proved_integer(k * (k + 1) / 2)
    assert not proved_integer(x / 6)
    assert integrality(k + sympy.Rational(1, 2)) is False


def test_safe_xreplace_keeps_floor():
    """Substituting an even symbol into floor(n/6) keeps the floor (sympy's xreplace drops it)."""
    n = sympy.Symbol("n", integer=True, positive=True)
    x = sympy.Symbol("x", integer=True, even=True)
    assert safe_xreplace(sympy.floor(n / 6) + 1, {n: x}).has(sympy.floor)
    assert safe_xreplace(sympy.floor(n / 6) + 1, {n: 12}) == 3


# ---------------------------------------------------------------------------
# the residue prover against brute force
# ---------------------------------------------------------------------------

DOMAINS = st.one_of(
    st.just(SymbolDomain()),
    st.just(SymbolDomain(odd=True)),
    st.just(SymbolDomain(even=True)),
    st.builds(
        lambda m, r, c: SymbolDomain(choices=tuple(sorted({r + m * i for i in range(c)}))),
        st.integers(2, 12),
        st.integers(1, 11),
        st.integers(1, 5),
    ),
)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.tuples(st.integers(-6, 6), st.integers(0, 2), st.integers(0, 2)), min_size=1, max_size=4),
    st.integers(1, 24),
    DOMAINS,
    DOMAINS,
)
def test_prover_against_brute_force(terms, q, dom_a, dom_b):
    """integrality() of (poly in a, b)/q is True only if every admissible (a, b) gives an integer,
    False only if none does (checked over a window of values, which covers every residue)."""
    a, b = sympy.symbols("a b", integer=True)
    poly = sum(c * a**i * b**j for c, i, j in terms)
    expr = poly / q
    doms = {"a": dom_a, "b": dom_b}
    verdict = integrality(expr, doms)

    def admissible(dom):
        return [v for v in range(-48, 49) if dom.contains(v)]

    def value(va, vb):
        return Fraction(sum(c * va**i * vb**j for c, i, j in terms), q)

    points = list(itertools.product(admissible(dom_a), admissible(dom_b)))
    results = {value(va, vb).denominator == 1 for va, vb in points}
    if verdict is True:
        assert results <= {True}
    if verdict is False:
        assert results <= {False}
    # the floor built from it is exact at admissible points
    fl = A.to_sympy(int_floor(expr, doms))
    for va, vb in points[:: max(1, len(points) // 15)]:
        assert A.norm(fl.xreplace({a: va, b: vb})) == A.floor(value(va, vb))


POWER_DOMAINS = st.one_of(
    st.builds(lambda lo: SymbolDomain(min=lo), st.integers(-2, 4)),
    st.builds(lambda lo: SymbolDomain(min=lo, odd=True), st.integers(-1, 3)),
    st.builds(lambda lo: SymbolDomain(min=lo, even=True), st.integers(-1, 3)),
    st.builds(lambda lo, n: SymbolDomain(min=lo, max=lo + n), st.integers(0, 3), st.integers(0, 6)),
    st.just(SymbolDomain()),
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([-3, -2, 2, 3, 4, 5, 6]),
    st.integers(-3, 2),
    st.lists(st.integers(-7, 7), min_size=1, max_size=3),
    st.integers(-6, 6),
    st.integers(1, 40),
    POWER_DOMAINS,
)
def test_prover_powers_against_brute_force(base, c, coeffs, const, q, dom):
    """An integer to a symbolic power (2**D, as the U-Net template's fields): integrality() of
    (sum_i a_i base**(i (D + c)) + const)/q is True only if every admissible D gives an integer,
    False only if none does."""
    d = sympy.Symbol("D", integer=True)
    p = sympy.Pow(base, d + c)
    expr = (sum(a * p ** (i + 1) for i, a in enumerate(coeffs)) + const) / q
    verdict = integrality(expr, {"D": dom})
    vals = [v for v in range(-8, 120) if dom.contains(v)]

    def value(v):
        pw = Fraction(base) ** (v + c)
        return (sum(a * pw ** (i + 1) for i, a in enumerate(coeffs)) + const) / q

    results = {value(v).denominator == 1 for v in vals}
    if verdict is True:
        assert results <= {True}
    if verdict is False:
        assert results <= {False}


def test_prover_powers_need_a_non_negative_exponent():
    """2**(D - 2) is 1/2 at D = 1: not proved for D >= 1, proved for D >= 2; an unbounded D proves nothing."""
    d = sympy.Symbol("D", integer=True)
    assert integrality(2 ** (d - 2), {"D": SymbolDomain(min=1)}) is None
    assert integrality(2 ** (d - 2), {"D": SymbolDomain(min=2)}) is True
    assert integrality(2**d, {}) is None
    assert integrality(3**d / 2, {"D": SymbolDomain(min=0)}) is False  # odd for every D
    assert integrality((3**d + 1) / 2, {"D": SymbolDomain(min=0)}) is True


def test_unet_template_equivalent():
    """The U-Net template's equivalent convolution: 2**D is proved an integer for D >= 1 (it was refused)."""
    from rfsym import closed_form, load

    eq = closed_form.equivalent(load("unet_template"))
    k = A.to_sympy(eq.kernel)
    assert str(k) == "14*2**D - 9"
    for depth in (1, 2, 3, 4):
        out = load("unet_template").subs({"D": depth}).table(input=2**depth * 8).output[0]
        assert A.norm(k.subs({s: depth for s in k.free_symbols})) == out.r


# ---------------------------------------------------------------------------
# derived forms and symbolic tables under parity/modular input domains vs the oracle
# ---------------------------------------------------------------------------

conv_params = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["conv", "pool"]),
        "kernel": st.integers(1, 6),
        "stride": st.integers(1, 6),
        "dilation": st.integers(1, 2),
        "padding": st.tuples(st.integers(0, 2), st.integers(0, 2)),
        "ceil_mode": st.just(False),
    }
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(conv_params, min_size=1, max_size=4), DOMAINS)
def test_forms_and_table_on_domains_match_oracle(params, dom):
    """A stack of numeric layers with input N in a parity or modular domain: derive's forms and
    the symbolic table, evaluated at admissible N, equal the oracle's numbers."""
    layers = [build(p, f"l{i}") for i, p in enumerate(params)]
    net = Network(layers, input="N", symbols={"N": dom})
    forms = derive(net)
    table = net.table()
    lo = Network(layers).min_input_size()
    sizes = [n for n in range(lo, lo + 80) if dom.contains(n)][:12]
    N = next(s for s in net.free_symbols if s.name == "N")
    odict = [from_layer(lay) for lay in layers]
    for n in sizes:
        want = oracle(odict, n)
        assert _values(forms, n) == _row(want[-1])
        for row, w in zip(table.rows[1:], want):
            got = tuple(A.norm(A.to_sympy(v).xreplace({N: n})) for v in (row.states[0].n, row.states[0].r))
            assert got == (w["n"], w["r"])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 5), st.integers(2, 6), st.sampled_from(["odd", "even", "mod"]), st.integers(0, 2))
def test_symbolic_stride_in_parity_domain(k, s_mod, kind, pad):
    """Conv(k, stride s) then Conv(3, stride 2) with s in a parity/modular domain and N free:
    the forms at admissible (s, N) equal the numeric tables."""
    dom = {
        "odd": SymbolDomain(min=1, max=15, odd=True),
        "even": SymbolDomain(min=2, max=16, even=True),
        "mod": SymbolDomain(choices=tuple(range(1, 30, s_mod))),
    }[kind]
    net = Network([Conv(kernel=k, stride="s", padding=pad), Conv(kernel=3, stride=2)], input="N", symbols={"s": dom})
    forms = derive(net)
    for sv in dom.values()[:5]:
        concrete = Network([Conv(kernel=k, stride=sv, padding=pad), Conv(kernel=3, stride=2)])
        lo = concrete.min_input_size()
        at = forms.subs({"s": sv})
        for n in range(lo, lo + 15):
            assert at.evaluate(n)["n"] == concrete.table(input=n).output[0].n


def test_origin_zero_forms_unchanged():
    """A parity domain does not change r, j, start or P (no floors there)."""
    net = Network([Conv(kernel=3, stride=2), Pool(kernel=2)], input="N", symbols={"N": SymbolDomain(even=True)})
    f = derive(net, origin=0)
    assert (f.j, f.r, f.P) == (4, 5, 0)
    assert f.start == Fraction(2)
