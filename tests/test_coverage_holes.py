"""Holes (gridding) against HDC's criterion (Wang et al., WACV 2018) and against the exact counts."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_coverage import node_params, to_layer

import rfsym
from rfsym import Conv, Network, RfsymError
from rfsym.coverage import holes
from rfsym.coverage.density import density_condition, hole_free


def hdc_m2(rates: tuple[int, ...]) -> int:
    """M_2 of HDC: M_n = r_n, M_i = max(M_{i+1} - 2 r_i, M_{i+1} - 2 (M_{i+1} - r_i), r_i) (kernel 3)."""
    m = rates[-1]
    for r in reversed(rates[1:-1]):
        m = max(m - 2 * r, m - 2 * (m - r), r)
    return m


def stack(rates, k: int = 3) -> Network:
    return Network([Conv(kernel=k, dilation=r, name=f"c{i}") for i, r in enumerate(rates)])


def schedules(depths, top: int, first_one: bool = True):
    for n in depths:
        for rest in itertools.product(range(1, top + 1), repeat=n - 1 if first_one else n):
            yield ((1,) + rest) if first_one else rest


def test_hdc_agrees_on_non_decreasing_schedules():
    """Kernel 3, r_1 = 1, non-decreasing rates (HDC's setting): M_2 <= 3 exactly when the stack has no hole."""
    seen = 0
    for rates in schedules((2, 3, 4), 10):
        if list(rates) != sorted(rates):
            continue
        assert (hdc_m2(rates) <= 3) == holes(stack(rates))[0].dense, rates
        seen += 1
    assert seen > 200


def test_hdc_is_sufficient_but_not_necessary_in_any_order():
    """Any order with r_1 = 1: HDC never calls a stack with holes hole-free, but rejects hole-free ones that are
    not non-decreasing (such as [1, 3, 1])."""
    rejected = []
    for rates in schedules((2, 3, 4), 7):
        dense = holes(stack(rates))[0].dense
        if hdc_m2(rates) <= 3:
            assert dense, rates
        elif dense:
            rejected.append(rates)
    assert rejected and all(list(r) != sorted(r) for r in rejected)
    assert (1, 3, 1) in rejected


def test_hdc_does_not_apply_to_a_dilated_first_layer():
    """With r_1 > 1 every tap sits on a multiple of gcd(rates): holes, whatever M_2 says."""
    for rates in [(2, 2), (2, 3), (4, 1), (3, 3, 3)]:
        assert hdc_m2(rates) <= 3 and not holes(stack(rates))[0].dense


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(1, 9), min_size=1, max_size=5), st.integers(1, 5))
def test_holes_are_the_zero_counts(rates, k):
    """The support propagation (bit masks) finds exactly the zero counts inside the box."""
    net = stack(rates, k)
    ax = rfsym.coverage(net)[0]
    sup = holes(net)[0]
    zeros = tuple(ax.offset + i for i, c in enumerate(ax.counts) if c == 0)
    assert sup.holes == ax.holes == zeros
    assert sup.dense == ax.dense == (not zeros)
    runs = [len(list(g)) for z, g in itertools.groupby(ax.counts, key=lambda c: c == 0) if z]
    assert sup.largest_gap == ax.largest_gap == max(runs, default=0)


@settings(max_examples=150, deadline=None)
@given(st.lists(node_params(["conv", "pool", "identity"], False), min_size=1, max_size=6))
def test_exact_density_condition_on_strided_chains(layers):
    """Sorted effective dilations e = d J: hole-free iff e_(m+1) <= 1 + Σ (k - 1) e — against the bit masks."""
    net = Network([to_layer(nd, f"l{i}") for i, nd in enumerate(layers)])
    assert hole_free(net) == holes(net)[0].dense == density_condition(net).condition


def test_density_condition_generalises_hdc():
    """Kernel 3, rates from 1: the exact condition agrees with HDC wherever HDC applies (non-decreasing)."""
    for rates in schedules((2, 3, 4), 9):
        if list(rates) == sorted(rates):
            assert hole_free(stack(rates)) == (hdc_m2(rates) <= 3)
        assert hole_free(stack(rates)) == holes(stack(rates))[0].dense


def test_symbolic_density_condition():
    """Symbolic dilations: the condition in the stack's order, exact under the non-decreasing order."""
    net = Network(
        [Conv(kernel=3, name="a"), Conv(kernel=3, dilation="b", name="b"), Conv(kernel=3, dilation="c", name="c")]
    )
    dc = density_condition(net)
    for b in range(1, 8):
        for c in range(b, 20):
            vals = {"b": b, "c": c}
            cond = dc.condition.xreplace({s: vals[s.name] for s in dc.condition.free_symbols})
            num = Network(
                [Conv(kernel=3, name="a"), Conv(kernel=3, dilation=b, name="b"), Conv(kernel=3, dilation=c, name="c")]
            )
            assert bool(cond) == holes(num)[0].dense, (b, c)
    assert str(dc.order) == "b <= c"  # 1 <= b holds for a dilation
    with pytest.raises(RfsymError, match="convolutions and pooling"):
        density_condition(Network([rfsym.ConvTranspose(kernel=3, stride=2, name="t")]))
