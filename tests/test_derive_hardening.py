"""derive under attack: huge numeric repeat counts, nested repeats, conditions on symbolic layers (issue 11)."""

from __future__ import annotations

import importlib
import time

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from rfsym import Conv, Network, Pool, Repeat, RfsymError, derive, maps

D = importlib.import_module("rfsym.closed_form.derive")


def test_million_copies_is_a_closed_form():
    """times = 10**6 derives in well under a second (it took 37 s unrolled), with the right numbers."""
    t = time.perf_counter()
    f = derive(Network([Repeat(block=[Conv(kernel=3, name="c")], times=10**6)]))
    assert time.perf_counter() - t < 2
    assert (f.r, f.j) == (2 * 10**6 + 1, 1)
    assert f.evaluate(2 * 10**6 + 1)["n"] == 1
    assert any(">= 2000001" in c for c in f.conditions)


def test_numeric_repeat_of_a_symbolic_repeat():
    """Repeat(times=3) around Repeat(times=M): no error, and the forms equal the unrolled table."""
    net = Network([Repeat(block=[Repeat(block=[Conv(kernel=3, stride=2, name="c")], times="M")], times=3)])
    f = derive(net)
    for M in (1, 2):
        flat = Network([Repeat(block=[Conv(kernel=3, stride=2, name="c")], times=3 * M)])
        at = f.subs({"M": M})
        for n in range(flat.min_input_size(), 80):
            st = flat.table(input=n).output[0]
            assert (at.evaluate(n)["n"], at.r, at.j) == (st.n, st.r, st.j)


def test_nested_symbolic_repeats():
    """Repeat(L) around Repeat(M) with symbolic stride: values at numbers equal the unrolled stack."""
    f = derive(Network([Repeat(block=[Repeat(block=[Conv(kernel="k", stride="s", name="c")], times="M")], times="L")]))
    assert not f.r.has(sympy.nan)
    for L, M, k, s in [(1, 1, 3, 1), (2, 3, 3, 1), (2, 2, 5, 2), (3, 1, 2, 3)]:
        flat = Network([Repeat(block=[Conv(kernel=k, stride=s, name="c")], times=L * M)])
        st = flat.table(input=10**6).output[0]
        at = f.subs({"L": L, "M": M, "k": k, "s": s})
        assert (at.r, at.j) == (st.r, st.j)


def test_condition_on_symbolic_kernel():
    """Conv(k) then Conv(1, p=5): n = N - k + 11 holds only for N >= k, and the forms say so."""
    f = derive(Network([Conv(kernel="k"), Conv(kernel=1, padding=5)]))
    assert any(c.endswith(">= k") for c in f.conditions)
    f = derive(Network([Conv(kernel="k", stride="s", padding="p")]))
    assert any("Max(1, k - 2*p)" in c for c in f.conditions)


def test_condition_on_symbolic_repeat_count():
    f = derive(Network([Repeat(block=[Conv(kernel=3)], times="L")]))
    assert any("non-empty" in c for c in f.conditions)


block_layer = st.builds(lambda k, s, p: (k, s, p), st.integers(1, 5), st.integers(1, 3), st.integers(0, 3))


@settings(max_examples=200, deadline=None)
@given(st.lists(block_layer, min_size=1, max_size=3), st.integers(1, 9), st.integers(1, 4), st.integers(1, 4))
def test_power_matches_unrolled(block, times, k0, k1):
    """maps.power (repeated squaring, and its inner bound) equals the unrolled stack: j, r, P, n and
    the smallest input."""
    blk = [Conv(kernel=k, stride=s, padding=p, name=f"b{i}") for i, (k, s, p) in enumerate(block)]
    net = Network([Conv(kernel=k0, name="x"), Repeat(block=blk, times=times), Pool(kernel=k1, stride=1, name="y")])
    mp = [D._element_map(lay, 0, "framework") for lay in net.layers]
    try:
        lo = net.min_input_size()
    except RfsymError:  # no input works for this stack: nothing to compare
        return
    assert maps.smallest_input(mp) == lo
    tot = maps.compose_all(mp)
    for n in (lo, lo + 1, lo + 13):
        o = net.table(input=n).output[0]
        assert (tot.m, 1 + tot.a, tot.b, tot.n_of(n)) == (o.j, o.r, o.P, o.n)


def test_many_symbolic_same_paddings_refused_before_the_work():
    """8 symbolic layers with 'same' padding: table took 21 s and derive > 60 s; now one clear error at once."""
    net = Network([Conv(kernel=f"k{i}", stride=f"s{i}", padding="same", name=f"c{i}") for i in range(8)])
    for run in (lambda: net.table(input="n"), lambda: derive(net)):
        t = time.perf_counter()
        with pytest.raises(RfsymError, match="'same' padding and symbolic parameters"):
            run()
        assert time.perf_counter() - t < 3
    few = Network([Conv(kernel=f"k{i}", stride=f"s{i}", padding="same", name=f"c{i}") for i in range(2)])
    f = derive(few)
    g = f.subs({"k0": 3, "s0": 2, "k1": 5, "s1": 3})
    concrete = few.subs({"k0": 3, "s0": 2, "k1": 5, "s1": 3})
    for n in range(1, 40):
        assert g.evaluate(n)["n"] == concrete.table(input=n).output[0].n
