"""Checkerboards: paths per phase against the exact counts and the closed-form condition for one layer."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from test_coverage import dags, to_graph

import rfsym
from rfsym import Conv, ConvTranspose, Network, RfsymError, Upsample
from rfsym.coverage.phases import checkerboard, even_transposed


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 7), st.integers(1, 4), st.integers(1, 3), st.integers(0, 3))
def test_one_transposed_conv(k, s, d, p):
    """Phase φ reads #{t < k: (φ + pL - t d) ≡ 0 mod s} inputs (counted from the exact counts); even iff
    gcd(d, s) = 1 and s | k."""
    net = Network([ConvTranspose(kernel=k, stride=s, dilation=d, padding=p, name="t")])
    (cb,) = checkerboard(net)
    brute = tuple(rfsym.coverage(net, unit=u)[0].total for u in range(s))
    assert cb.paths == brute and cb.period == s
    assert cb.even == even_transposed(k, s, d) == (len(set(brute)) == 1)
    if s > 1:
        assert cb.layers[0].reads == brute


@settings(max_examples=60, deadline=None)
@given(dags(finite=False), st.integers(-4, 4))
def test_paths_per_phase_are_the_totals(case, shift):
    nodes, _ = case
    g = to_graph(nodes, None)
    target = list(nodes)[-1]
    try:
        (cb,) = checkerboard(g, target, 0)
    except RfsymError as e:
        assert "different jumps" in str(e)
        return
    for phi in range(cb.period):
        u = phi + shift * cb.period
        assert rfsym.coverage(g, layer=target, unit=u)[0].total == cb.paths[phi]


def test_messages_and_smoothing():
    (cb,) = checkerboard(Network([ConvTranspose(kernel=3, stride=2, name="t")]))
    assert cb.describe() == "uneven overlap (checkerboard): paths per unit alternate 2, 1 along axis 0"
    # a 2-convolution after the uneven layer evens the paths out (2 + 1 on every unit)
    (cb,) = checkerboard(Network([ConvTranspose(kernel=3, stride=2, name="t"), Conv(kernel=2, name="c")]))
    assert cb.even and not cb.layers[0].even
    (cb,) = checkerboard(Network([Upsample(scale=3, mode="bilinear", name="u")]))
    assert cb.paths == (2, 1, 2) and "period 3" in cb.describe()
    (cb,) = checkerboard(Network([Upsample(scale=2, mode="bilinear", name="u")]))
    assert cb.even and math.prod(cb.paths) == 4
