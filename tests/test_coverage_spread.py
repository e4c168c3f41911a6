"""σ² of the counts: closed forms and phase moments against the variance of the exact counts."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from test_coverage import dags, node_params, to_graph, to_layer

import rfsym
from rfsym import Conv, Network, Pool, Repeat, RfsymError
from rfsym.coverage.spread import phase_moments, variance


@settings(max_examples=60, deadline=None)
@given(st.lists(node_params(["conv", "pool", "identity"], False), min_size=1, max_size=6))
def test_closed_form_is_the_variance_of_the_counts(layers):
    """σ² = Σ d² J² (k² - 1)/12 (pooling counts as a window of ones) equals the counts' exact variance."""
    net = Network([to_layer(nd, f"l{i}") for i, nd in enumerate(layers)])
    assert variance(net) == rfsym.coverage(net)[0].variance


@settings(max_examples=80, deadline=None)
@given(dags(finite=False), st.integers(-6, 6))
def test_phase_moments_match_the_counts(case, unit):
    """Transposed conv, upsampling, merges: per-phase mass, mean and σ² equal those of the exact counts."""
    nodes, _ = case
    g = to_graph(nodes, None)
    target = list(nodes)[-1]
    ax = rfsym.coverage(g, layer=target, unit=unit)[0]
    try:
        pm = phase_moments(g, target)
    except RfsymError as e:  # only a merge of branches with different jumps is refused
        assert "different jumps" in str(e)
        return
    mass, mean, var = pm.of(unit)
    assert (mass, mean, var) == (ax.total, ax.mean, ax.variance)


@settings(max_examples=15, deadline=None)
@given(
    st.integers(1, 4),
    st.integers(1, 3),
    st.integers(1, 5),
    st.integers(1, 2),
    st.integers(1, 4),
)
def test_symbolic_repeats_against_unrolled(times, s, k, d, k2):
    """A block repeated L times (symbolic L, k, s) against the unrolled numeric stack."""
    block = [Conv(kernel="k", stride="s", dilation=d, name="a"), Pool(kernel=k2, stride=1, name="p")]
    sym = variance(Network([Repeat(block=block, times="L", name="r")]))
    num = Network([Repeat(block=[Conv(kernel=k, stride=s, dilation=d, name="a"), Pool(kernel=k2, stride=1, name="p")],
                          times=times, name="r")])  # fmt: skip
    vals = {"L": times, "k": k, "s": s}
    value = sympy.simplify(sym.xreplace({x: vals[x.name] for x in sym.free_symbols}))
    assert value == sympy.Rational(rfsym.coverage(num)[0].variance)
    assert variance(num) == rfsym.coverage(num)[0].variance


def test_indexed_repeat_and_sqrt_growth():
    """Dilation 2**(l-1) in copy l: σ² = 2 (4^L - 1)/9; a stride-1 block: σ² linear in L (σ ~ √L, r ~ L)."""
    L = sympy.Symbol("L", integer=True, positive=True)
    net = Network([Repeat(block=[Conv(kernel=3, dilation="2**(l-1)", name="c")], times="L", index="l")])
    got = variance(net)
    for n in range(1, 6):
        unrolled = Network([Conv(kernel=3, dilation=2 ** (i - 1), name=f"c{i}") for i in range(1, n + 1)])
        assert got.subs(sympy.Symbol("L", integer=True, positive=True), n) == rfsym.coverage(unrolled)[0].variance
        assert sympy.simplify(got.xreplace({s: n for s in got.free_symbols})) == Fraction(2 * (4**n - 1), 9)
    flat = variance(Network([Repeat(block=[Conv(kernel="k", name="c")], times="L")]))
    assert sympy.simplify(flat.xreplace({s: L for s in flat.free_symbols if s.name == "L"}).diff(L, 2)) == 0


def test_transposed_layers_have_no_chain_closed_form():
    net = Network([rfsym.ConvTranspose(kernel=3, stride=2, name="t")])
    with pytest.raises(RfsymError, match="phase"):
        variance(net)
    pm = phase_moments(net)
    assert pm.period == 2 and len(set(pm.mass)) == 2  # uneven overlap: 2 and 1 inputs by phase


@settings(max_examples=30, deadline=None)
@given(st.lists(node_params(["conv", "pool", "identity"], False), min_size=1, max_size=5))
def test_closed_forms_centre_and_variance_against_counts(layers):
    """The counts' mean is the table's start (symmetric taps), σ² the closed form; the density condition
    is the bit masks' verdict."""
    from rfsym.coverage.spread import closed_forms

    net = Network([to_layer(nd, f"l{i}") for i, nd in enumerate(layers)])
    forms = closed_forms(net)
    ax = rfsym.coverage(net)[0]
    assert ax.mean + Fraction(1, 2) == forms.start and forms.variance == ax.variance
    assert forms.density.condition == ax.dense and forms.r == ax.width


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 7), st.integers(1, 4), st.integers(1, 3), st.integers(0, 3))
def test_transposed_conv_phase_closed_form(k, s, d, p):
    """Phase φ of a transposed convolution reads m_φ = #{t < k: t d ≡ φ + pL (mod s)} inputs spaced d/g apart
    (g = gcd(d, s)): σ²_φ = (d/g)² (m_φ² - 1)/12."""
    import math

    pm = phase_moments(Network([rfsym.ConvTranspose(kernel=k, stride=s, dilation=d, padding=p, name="t")]))
    g = math.gcd(d, s)
    for phi in range(s):
        m = sum(1 for t in range(k) if (phi + p - t * d) % s == 0)
        assert pm.mass[phi] == m
        assert pm.variance[phi] == (Fraction(d, g) ** 2 * (m * m - 1) / 12 if m else None)


def test_repeat_in_a_network_counts_like_its_unrolled_layers():
    block = [Conv(kernel=3, dilation="2**(l-1)", name="c"), Pool(kernel=2, stride=1, name="p")]
    rep = Network([Repeat(block=block, times=3, index="l", name="r")])
    flat = Network([lay for lay in rep.flat_layers()])
    assert rfsym.coverage(rep, input=40, unit=3)[0].counts == rfsym.coverage(flat, input=40, unit=3)[0].counts
    assert rfsym.coverage(rep, layer="p.2", unit=1)[0].counts == rfsym.coverage(flat, layer="p.2", unit=1)[0].counts


def test_indexed_strided_and_nested_repeats_against_unrolled():
    """Dilation l in copy l with stride 2 (a sum with 4^i weights), and a repeat inside a repeat (L M copies)."""
    v = variance(Network([Repeat(block=[Conv(kernel=3, stride=2, dilation="l", name="c")], times="L", index="l")]))
    for n in range(1, 6):
        num = Network([Conv(kernel=3, stride=2, dilation=i, name=f"c{i}") for i in range(1, n + 1)])
        assert sympy.simplify(v.xreplace({s: n for s in v.free_symbols})) == rfsym.coverage(num)[0].variance
    nested = variance(Network([Repeat(block=[Repeat(block=[Conv(kernel="k", name="c")], times="M")], times="L")]))
    assert str(nested) == "L*M*(k - 1)*(k + 1)/12"
