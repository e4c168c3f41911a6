"""The seed blog post's program, run as it is, against `rfsym table alexnet`."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from fractions import Fraction

from rfsym import Conv, Network, load


def outFromIn(conv, layerIn):  # noqa: N802 - the seed program, verbatim
    n_in = layerIn[0]
    j_in = layerIn[1]
    r_in = layerIn[2]
    start_in = layerIn[3]
    k = conv[0]
    s = conv[1]
    p = conv[2]
    n_out = math.floor((n_in - k + 2 * p) / s) + 1
    actualP = (n_out - 1) * s - n_in + k  # noqa: N806
    pR = math.ceil(actualP / 2)  # noqa: N806,F841
    pL = math.floor(actualP / 2)  # noqa: N806
    j_out = j_in * s
    r_out = r_in + (k - 1) * j_in
    start_out = start_in + ((k - 1) / 2 - pL) * j_in
    return n_out, j_out, r_out, start_out


SEED_ALEXNET = [
    [11, 4, 0],
    [3, 2, 0],
    [5, 1, 2],
    [3, 2, 0],
    [3, 1, 1],
    [3, 1, 1],
    [3, 1, 1],
    [3, 2, 0],
    [6, 1, 0],
    [1, 1, 0],
]
SEED_NAMES = ["conv1", "pool1", "conv2", "pool2", "conv3", "conv4", "conv5", "pool5", "fc6-conv", "fc7-conv"]


def seed_rows(layers, imsize):
    cur = [imsize, 1, 1, 0.5]
    out = []
    for conv in layers:
        cur = outFromIn(conv, cur)
        out.append(cur)
    return out


def cli(*args):
    return subprocess.run([sys.executable, "-m", "rfsym", *args], capture_output=True, text=True)


class TestSeedTable:
    def test_cli_seed_convention_equals_seed_program(self):
        """`rfsym table alexnet --convention seed` gives the seed program's numbers, every row."""
        res = cli("table", "alexnet", "--convention", "seed", "--format", "json")
        assert res.returncode == 0, res.stderr
        got = json.loads(res.stdout)["layers"]
        want = seed_rows(SEED_ALEXNET, 227)
        assert [g["name"] for g in got] == SEED_NAMES
        for g, (n, j, r, start) in zip(got, want):
            assert (g["n"], g["j"], g["r"], Fraction(str(g["start"]))) == (n, j, r, Fraction(start))

    def test_default_convention_same_numbers_on_alexnet(self):
        """The framework convention agrees with the seed on AlexNet (no unused right padding there)."""
        for conv in ("framework", "seed"):
            rows = load("alexnet").table(convention=conv).rows[1:]
            for row, (n, j, r, start) in zip(rows, seed_rows(SEED_ALEXNET, 227)):
                s = row.states[0]
                assert (s.n, s.j, s.r, s.start) == (n, j, r, Fraction(start))

    def test_text_table_shows_seed_values(self):
        """The terminal table prints the seed post's rows (pool5: 6, 32, 195, 33.5)."""
        res = cli("table", "alexnet")
        assert res.returncode == 0
        line = next(ln for ln in res.stdout.splitlines() if ln.startswith("pool5"))
        assert line.split()[-5:-1] == ["6", "32", "195", "33.5"]

    def test_random_stacks_seed_convention(self):
        """On random [k, s, p] stacks the seed convention reproduces the seed program exactly."""
        import random

        rng = random.Random(7)
        for _ in range(300):
            layers = [[rng.randint(1, 7), rng.randint(1, 3), rng.randint(0, 3)] for _ in range(rng.randint(1, 6))]
            size = rng.randint(40, 200)
            try:
                want = seed_rows(layers, size)
            except ZeroDivisionError:
                continue
            if any(w[0] < 1 for w in want):
                continue
            net = Network([Conv(kernel=k, stride=s, padding=p) for k, s, p in layers], input=size)
            got = [r.states[0] for r in net.table(convention="seed").rows[1:]]
            assert [(g.n, g.j, g.r, g.start) for g in got] == [(n, j, r, Fraction(st)) for n, j, r, st in want]


class TestConventionsDiffer:
    def test_unused_right_padding(self):
        """Input 6, kernel 3, stride 2, padding 1: framework start 0.5, seed start 1.5."""
        net = Network([Conv(kernel=3, stride=2, padding=1)], input=6)
        assert net.table().output[0].start == Fraction(1, 2)
        assert net.table(convention="seed").output[0].start == Fraction(3, 2)
        assert net.table(origin=0).output[0].start == 0

    def test_tf_same_even_and_odd(self):
        """TensorFlow 'same': output ceil(n/s), left pad floor(total/2), total depends on n."""
        cases = {
            # (n, k, s): (n_out, pL) with total = max((ceil(n/s)-1)s + k - n, 0)
            (6, 3, 2): (3, 0),  # total 1: pL 0, pR 1
            (7, 3, 2): (4, 1),  # total 2
            (8, 4, 2): (4, 1),  # total 2
            (9, 4, 2): (5, 1),  # total 3: pL 1, pR 2
            (10, 5, 3): (4, 2),  # total 4
            (11, 5, 3): (4, 1),  # total 3
        }
        for (n, k, s), (n_out, pl) in cases.items():
            lay = Conv(kernel=k, stride=s, padding="same")
            out = Network([lay], input=n).table(origin=0).output[0]
            assert (out.n, out.P) == (n_out, pl), (n, k, s)
            assert out.start == Fraction(k - 1, 2) - pl
            lower = Network([Conv(kernel=k, stride=s, padding="same_lower")], input=n).table().output[0]
            total = max((n_out - 1) * s + k - n, 0)
            assert lower.P == total - total // 2
