"""Connection counts of one ResNet-152 unit vs. back-propagating an all-ones PyTorch model.

Run from the repository root: ``python benchmarks/coverage.py`` (needs torch).

rfsym counts the paths from every input pixel to the output unit on one axis
(exact Python integers, ``rfsym.coverage(net, axis=0)``).  The alternative is what
people do to see an effective receptive field: build a model of the same
geometry with every weight 1 (one channel, average pooling that sums in place
of max pooling), feed the smallest input that holds the unit's whole field,
and back-propagate the unit.  Timed:

* ``rfsym.coverage`` in process (the model already loaded), and the command
  ``rfsym coverage resnet152 --axis 0`` as a user runs it (subprocess,
  interpreter start included);
* PyTorch float64: the 2-D model at the smallest square input holding the
  field (what a user of the 2-D network runs), and the 1-D model of the same
  axis (the same computation as rfsym's, for comparison).

The script checks that the 1-D gradient equals the counts (to float64's
precision: the counts reach 2.7e31, beyond 2**53) and prints the times and
their ratios, all measured in this run.
"""

from __future__ import annotations

import math
import subprocess
import sys
import time

import torch

import rfsym
from rfsym.coverage._geometry import plan

nn = torch.nn


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


class Ones(nn.Module):
    """The graph's steps on one axis as all-ones torch layers (2-D: the same geometry on both axes)."""

    def __init__(self, steps, two: bool) -> None:
        super().__init__()
        self.steps = steps
        self.mods = nn.ModuleDict()
        for st in steps:
            if st.kind != "window":
                assert st.kind == "pass", st.kind
                continue
            k, s, d = st.k, st.s, st.d
            pr = max(0, (st.n_out - 1) * s + d * (k - 1) + 1 - st.n_in - st.pl)
            pad = (st.pl, pr, st.pl, pr) if two else (st.pl, pr)
            conv_cls, pad_cls = (nn.Conv2d, nn.ZeroPad2d) if two else (nn.Conv1d, nn.ConstantPad1d)
            conv = conv_cls(1, 1, k, stride=s, dilation=d, bias=False).double()
            with torch.no_grad():
                conv.weight.fill_(1.0)
            self.mods[st.name.replace(".", "_")] = nn.Sequential(pad_cls(pad) if two else pad_cls(pad, 0.0), conv)

    def forward(self, x):
        out = {"input": x}
        for st in self.steps:
            ins = [out[i] for i in st.inputs]
            key = st.name.replace(".", "_")
            out[st.name] = self.mods[key](ins[0]) if key in self.mods else sum(ins[1:], ins[0])
        return out[self.steps[-1].name]


def main() -> None:
    g = rfsym.load("resnet152")
    t_api = best(lambda: rfsym.coverage(g, axis=0))
    t_nd = best(lambda: rfsym.coverage.counts_nd(g, unit=(0, 0)), repeat=1)
    ax = rfsym.coverage(g, axis=0)[0]
    st = g.table(input=10**6).rows[-1].states[0]
    unit = math.ceil(st.P / st.j)  # the first unit whose field lies inside the input
    first = unit * st.j - st.P
    n = first + st.r  # the smallest input holding that unit's whole field
    steps = plan(g, g.nodes[-1], 0, n)
    exact = rfsym.coverage(g, axis=0, unit=unit, input=n)[0]
    assert exact.counts == ax.counts and exact.offset == first

    cmd = [sys.executable, "-m", "rfsym", "coverage", "resnet152", "--axis", "0"]
    t_cli = best(lambda: subprocess.run(cmd, check=True, capture_output=True))
    t_start = best(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True))

    def backprop(two: bool):
        model = Ones(steps, two)
        shape = (1, 1, n, n) if two else (1, 1, n)

        def run():
            x = torch.zeros(*shape, dtype=torch.float64, requires_grad=True)
            y = model(x)
            (y[0, 0, unit, unit] if two else y[0, 0, unit]).backward()
            return x.grad

        return run

    grad1 = backprop(False)()[0, 0]
    got = grad1[first : first + st.r].tolist()
    assert all(math.isclose(a, float(b), rel_tol=1e-12) for a, b in zip(got, ax.counts)), "1-D gradient != counts"
    torch.set_num_threads(1)
    t_1d = best(backprop(False))
    t_2d = best(backprop(True), repeat=1)
    print(f"ResNet-152, axis 0: r = {st.r}, unit {unit} at input {n} (field {first}..{first + st.r - 1}), "
          f"{ax.total:.3e} paths")  # fmt: skip
    print(f"{'what':<52} {'time (ms)':>10} {'vs rfsym':>9}")
    rows = [
        ("rfsym.coverage(net, axis=0)  (in process)", t_api),
        ("rfsym coverage resnet152 --axis 0  (subprocess)", t_cli),
        ("  of which interpreter start (python -c pass)", t_start),
        (f"torch float64 backprop, 1-D all-ones, n = {n}", t_1d),
        (f"torch float64 backprop, 2-D all-ones, {n}x{n}", t_2d),
        ("rfsym.coverage.counts_nd: exact 2-D counts 1451x1451", t_nd),
    ]
    for what, t in rows:
        print(f"{what:<52} {t * 1e3:>10.1f} {t / t_api:>8.0f}x")
    holes_1000()


def holes_1000() -> None:
    """Holes of 1000 dilated 3-convolutions: bit masks (rfsym.coverage.holes) vs. counting every path first."""
    from rfsym import Conv, Network
    from rfsym.coverage import holes

    print(
        f"\n{'1000 layers, kernel 3':<36} {'width':>6} {'holes':>6} {'holes() (ms)':>13} {'via counts (ms)':>16} {'ratio':>6}"
    )
    for name, rates in (("dilations 1,2,5,9 repeated", [1, 2, 5, 9]), ("dilation 2 everywhere", [2])):
        net = Network([Conv(kernel=3, dilation=rates[i % len(rates)], name=f"c{i}") for i in range(1000)])
        t_sup = best(lambda net=net: holes(net))
        t_cnt = best(lambda net=net: rfsym.coverage(net)[0].gaps(), repeat=1)
        sup, ax = holes(net)[0], rfsym.coverage(net)[0]
        assert sup.gaps() == ax.gaps()
        print(
            f"{name:<36} {sup.width:>6} {sup.n_holes:>6} {t_sup * 1e3:>13.1f} {t_cnt * 1e3:>16.1f} {t_cnt / t_sup:>5.0f}x"
        )


if __name__ == "__main__":
    main()
