"""Connection counts equal float64 PyTorch gradients of real modules with all weights 1 (2-D, exactly).

Bilinear upsampling is counted with its interpolation weights (``interpolation=True``; scales 2 and 4, whose
weights are dyadic and so exact in float64)."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import _pads as window_pads
from test_coverage import to_graph

import rfsym
from rfsym import Conv, Network, Pool

nn = torch.nn


def _ones(m: nn.Module) -> nn.Module:
    with torch.no_grad():
        for p in m.parameters():
            p.fill_(1.0)
    return m.double()


class DagModule(nn.Module):
    """A DAG of torch modules in topological order; ``add`` nodes sum their inputs."""

    def __init__(self, nodes: dict, sizes_hw: tuple[dict, dict]) -> None:
        super().__init__()
        self.plan = []
        self.mods = nn.ModuleDict()
        for name, nd in nodes.items():
            self.plan.append((name, nd["kind"], nd["inputs"]))
            if nd["kind"] != "add":
                self.mods[name] = _module(nd, sizes_hw[0][nd["inputs"][0]], sizes_hw[1][nd["inputs"][0]])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = {"input": x}
        for name, kind, ins in self.plan:
            out[name] = sum(out[i] for i in ins) if kind == "add" else self.mods[name](out[ins[0]])
        return out[self.plan[-1][0]]


def _module(nd: dict, nh: int, nw: int) -> nn.Module:
    """The node as a torch module on (H, W); nw == 0 means a 1-D network along H (W of size 1, kernels 1)."""
    kind = nd["kind"]
    two = nw > 0

    def pair(v, one=1):
        return (v, v) if two else (v, one)

    if kind == "conv":
        w = {"kernel": nd["kernel"], "stride": nd["stride"], "dilation": nd["dilation"], "padding": nd["padding"]}
        (t, b), (left, r) = window_pads(w, nh), (window_pads(w, nw) if two else (0, 0))
        conv = nn.Conv2d(1, 1, pair(nd["kernel"]), stride=pair(nd["stride"]), dilation=pair(nd["dilation"]), bias=False)
        return nn.Sequential(nn.ZeroPad2d((left, r, t, b)), _ones(conv)).double()
    if kind == "pool":  # average pooling of the same geometry, summing (divisor 1)
        p = nd["padding"][0]
        return nn.AvgPool2d(
            pair(nd["kernel"]), pair(nd["stride"]), padding=pair(p, 0), ceil_mode=nd["ceil_mode"], divisor_override=1
        )
    if kind == "tconv":
        m = nn.ConvTranspose2d(
            1,
            1,
            pair(nd["kernel"]),
            stride=pair(nd["stride"]),
            padding=pair(nd["padding"][0], 0),
            output_padding=pair(nd["output_padding"], 0),
            dilation=pair(nd["dilation"]),
            bias=False,
        )
        return _ones(m)
    if kind == "nearest":
        return nn.Upsample(scale_factor=pair(nd["scale"]), mode="nearest")
    if kind == "linear":
        return nn.Upsample(scale_factor=pair(nd["scale"]), mode="bilinear", align_corners=False)
    return nn.Identity()


@st.composite
def torch_dags(draw, merges: bool = True):
    """Random DAGs whose every node PyTorch can run with the same geometry."""
    from coverage_oracle import sizes

    n0 = (draw(st.integers(5, 20)), draw(st.integers(5, 20)))
    nodes: dict = {}
    for i in range(draw(st.integers(1, 6))):
        name = f"n{i}"
        hw = (sizes(nodes, n0[0]), sizes(nodes, n0[1]))
        src = draw(st.sampled_from(sorted(hw[0])))
        partners = [x for x in sorted(hw[0]) if x != src and all(h[x] == h[src] for h in hw)]
        kinds = ["conv", "conv", "pool", "tconv", "nearest", "linear", "identity"] + ["add"] * merges
        kind = draw(st.sampled_from(kinds))
        if kind == "add" and partners:
            nodes[name] = {"kind": "add", "inputs": [src, draw(st.sampled_from(partners))]}
            continue
        k = draw(st.integers(1, 4))
        if kind == "conv":
            pad = draw(st.one_of(st.tuples(st.integers(0, 2), st.integers(0, 2)), st.sampled_from(["same", "valid"])))
            nd = {"kind": "conv", "kernel": k, "stride": draw(st.integers(1, 3)), "dilation": draw(st.integers(1, 3))}
            nd["padding"] = pad
        elif kind == "pool":
            p = draw(st.integers(0, k // 2))
            nd = {"kind": "pool", "kernel": k, "stride": draw(st.integers(1, 3)), "padding": (p, p), "dilation": 1}
            nd["ceil_mode"] = draw(st.booleans())
        elif kind == "tconv":
            s, d = draw(st.integers(1, 3)), draw(st.integers(1, 2))
            p = draw(st.integers(0, d * (k - 1)))
            nd = {"kind": "tconv", "kernel": k, "stride": s, "dilation": d, "padding": (p, p)}
            nd["output_padding"] = draw(st.integers(0, max(s, d) - 1))
        elif kind == "nearest":
            nd = {"kind": "nearest", "scale": draw(st.integers(2, 3))}
        elif kind == "linear":  # dyadic interpolation weights: exact in float64
            nd = {"kind": "linear", "scale": draw(st.sampled_from([2, 4]))}
        else:
            nd = {"kind": "identity"}
        nd["inputs"] = [src]
        trial = {**nodes, name: nd}
        ok = all(1 <= sizes(trial, n)[name] <= 120 for n in n0)
        nodes[name] = nd if ok else {"kind": "identity", "inputs": [src]}
    return nodes, n0


def grad_of(nodes: dict, n0: tuple[int, int], unit: tuple[int, int]) -> torch.Tensor:
    """d unit / d input of the all-ones model; n0[1] == 0: the 1-D network along H."""
    from coverage_oracle import sizes

    model = DagModule(
        nodes, (sizes(nodes, n0[0]), sizes(nodes, n0[1]) if n0[1] else dict.fromkeys(["input", *nodes], 0))
    )
    x = torch.zeros(1, 1, n0[0], max(n0[1], 1), dtype=torch.float64, requires_grad=True)
    model(x)[0, 0, unit[0], unit[1]].backward()
    return x.grad[0, 0]


def expected(cov, n0: tuple[int, int]) -> torch.Tensor:
    """The outer product of the axes' counts (one axis: a column)."""
    out = torch.zeros(n0[0], max(n0[1], 1), dtype=torch.float64)
    a = cov[0]
    b = cov[1] if len(cov.axes) > 1 else rfsym.coverage.AxisCoverage(1, 0, 0, 1, (1,))
    for i, ci in enumerate(a.counts):
        for j, cj in enumerate(b.counts):
            out[a.offset + i, b.offset + j] = float(ci * cj)
    return out


def _unit(nodes, n0, fracs):
    from coverage_oracle import sizes

    target = list(nodes)[-1]
    out = []
    for n, f in zip(n0, fracs):
        m = sizes(nodes, n)[target]
        out.append(min(int(f * m), m - 1))
    return target, tuple(out)


@settings(max_examples=50, deadline=None)
@given(torch_dags(), st.floats(0, 1))
def test_counts_equal_torch_gradients_dags(case, fu):
    """1-D DAGs (merges, borders, strides, dilation, transposed conv, nearest upsampling): grad == counts."""
    nodes, n0 = case
    target, (u,) = _unit(nodes, n0[:1], (fu,))
    cov = rfsym.coverage(to_graph(nodes, None), layer=target, unit=u, input=n0[0], interpolation=True)
    assert torch.equal(grad_of(nodes, (n0[0], 0), (u, 0)), expected(cov, (n0[0], 0)))


@settings(max_examples=30, deadline=None)
@given(torch_dags(merges=False), st.floats(0, 1), st.floats(0, 1))
def test_counts_equal_torch_gradients_2d_chains(case, fu, fv):
    """2-D chains: the gradient is the outer product of the axes' counts."""
    nodes, n0 = case
    target, unit = _unit(nodes, n0, (fu, fv))
    cov = rfsym.coverage(to_graph(nodes, None), layer=target, unit=unit, input=n0, interpolation=True)
    assert cov.separable
    assert torch.equal(grad_of(nodes, n0, unit), expected(cov, n0))


def test_merges_are_not_separable():
    """A residual sum in 2-D: each axis counts 2 paths, the pixel 2 (not 2 x 2)."""
    g = rfsym.Graph(input=[5, 5], name="res")
    g.add("input", g.identity("input", name="i"), name="y")
    cov = rfsym.coverage(g)
    assert cov[0].counts == (2,) and cov[1].counts == (2,) and not cov.separable
    assert rfsym.coverage.counts_nd(g).counts == ((2,),)


def test_per_axis_kernels_and_max_pool_as_average():
    """Different kernels per axis; a max pooling counts as the average pooling of the same geometry."""
    net = Network(
        [
            Conv(kernel=[3, 1], dilation=[2, 1], padding=[[2, 2], [0, 0]], name="c"),
            Pool(kernel=[2, 3], stride=[2, 1], name="p"),
            Conv(kernel=[1, 5], padding=[[0, 0], [2, 2]], name="d"),
        ]
    )
    model = nn.Sequential(
        nn.ZeroPad2d((0, 0, 2, 2)),
        _ones(nn.Conv2d(1, 1, (3, 1), dilation=(2, 1), bias=False)),
        nn.AvgPool2d((2, 3), (2, 1), divisor_override=1),
        nn.ZeroPad2d((2, 2, 0, 0)),
        _ones(nn.Conv2d(1, 1, (1, 5), bias=False)),
    ).double()
    x = torch.zeros(1, 1, 12, 9, dtype=torch.float64, requires_grad=True)
    model(x)[0, 0, 2, 3].backward()
    cov = rfsym.coverage(net, unit=(2, 3), input=(12, 9))
    assert torch.equal(x.grad[0, 0], expected(cov, (12, 9)))
    assert cov[1].counts == (1, 2, 3, 3, 3, 2, 1)


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_upsampling_phase(mode):
    """Nearest upsampling: every unit reads one pixel; bilinear: one or two by phase (connections, not weights)."""
    g = rfsym.Graph(input=6, name="up")
    g.upsample("input", scale=2, mode=mode, name="u")
    got = [rfsym.coverage(g, unit=u, input=6)[0].width for u in range(12)]
    if mode == "nearest":
        assert got == [1] * 12
    else:
        assert got == [1] + [2] * 10 + [1]


@settings(max_examples=30, deadline=None)
@given(torch_dags(), st.floats(0, 1), st.floats(0, 1))
def test_nd_counts_equal_torch_gradients_2d_dags(case, fu, fv):
    """2-D DAGs with merges: the exact N-D counts are the gradient (not the product of the axes' counts)."""
    nodes, n0 = case
    target, unit = _unit(nodes, n0, (fu, fv))
    got = rfsym.coverage.counts_nd(to_graph(nodes, None), layer=target, unit=unit, input=n0, interpolation=True)
    want = torch.zeros(*n0, dtype=torch.float64)
    for i, row in enumerate(got.counts):
        for j, c in enumerate(row):
            want[got.offset[0] + i, got.offset[1] + j] = float(c)
    assert torch.equal(grad_of(nodes, n0, unit), want)
