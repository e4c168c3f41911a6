"""Holes (gridding) against HDC's criterion (Wang et al., WACV 2018) and against the exact counts."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

import rfsym
from rfsym import Conv, Network
from rfsym.coverage import holes


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
