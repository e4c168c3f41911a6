"""The per-layer table against the brute-force pixel-set oracle (tests/oracle.py)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import count_windows, oracle
from strategies import build, stacks

from rfsym import Network, RfsymError


def oracle_min_input(params: list[dict]) -> int:
    """Smallest n for which every layer keeps at least one window, by walking n upwards."""
    n = 1
    while True:
        size, ok = n, True
        for p in params:
            size = count_windows(p, size) if p["kind"] != "identity" else size
            if size < 1:
                ok = False
                break
        if ok:
            return n
        n += 1


def as_oracle(p: dict) -> dict:
    if p["kind"] == "identity":
        return {"kernel": 1}
    return {k: v for k, v in p.items() if k != "kind"}


class TestAgainstOracle:
    @settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(params=stacks(1, 8), extra=st.integers(0, 40), origin=st.sampled_from([Fraction(1, 2), 0]))
    def test_random_stacks(self, params, extra, origin):
        """n, j, r, start and P of every layer equal the oracle's, for both origins."""
        n0 = oracle_min_input(params) + extra
        net = Network([build(p, f"l{i}") for i, p in enumerate(params)], input=n0)
        rows = net.table(origin=origin).rows[1:]
        expect = oracle([as_oracle(p) for p in params], n0, origin)
        for row, e in zip(rows, expect):
            s = row.states[0]
            assert (s.n, s.j, s.r, Fraction(s.start), s.P) == (e["n"], e["j"], e["r"], e["start"], e["P"]), row.name

    @settings(max_examples=150, deadline=None)
    @given(params=stacks(1, 6))
    def test_min_input_size(self, params):
        """min_input_size is the smallest input with a non-empty output everywhere; one less fails."""
        net = Network([build(p, f"l{i}") for i, p in enumerate(params)])
        m = oracle_min_input(params)
        assert net.min_input_size() == m
        if m > 1:
            with pytest.raises(RfsymError, match="output is empty"):
                net.table(input=m - 1)


def test_ceil_mode_matches_pytorch_counting():
    """The oracle's window count (and so rfsym's) equals PyTorch's max_pool1d output size."""
    import itertools

    import torch

    checked = 0
    for n, k, s, p, d, ceil in itertools.product(
        range(1, 14), range(1, 5), range(1, 4), range(0, 3), (1, 2), (False, True)
    ):
        kap = d * (k - 1) + 1
        if p > kap // 2 or p * 2 > k:  # PyTorch: pad must be at most half of the kernel
            continue
        lay = {"kernel": k, "stride": s, "padding": (p, p), "dilation": d, "ceil_mode": ceil}
        try:
            out = torch.nn.functional.max_pool1d(torch.zeros(1, 1, n), k, s, p, d, ceil_mode=ceil).shape[-1]
        except RuntimeError:
            out = 0
        assert count_windows(lay, n) == max(out, 0) or (out == 0 and count_windows(lay, n) < 1), (n, k, s, p, d, ceil)
        checked += 1
    assert checked > 500
