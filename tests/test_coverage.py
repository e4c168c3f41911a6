"""Connection counts (rfsym.coverage) against a brute-force path counter and against PyTorch gradients."""

from __future__ import annotations

import time

import pytest
from coverage_oracle import path_counts
from hypothesis import given, settings
from hypothesis import strategies as st

import rfsym
from rfsym import Conv, ConvTranspose, Graph, Identity, Network, Pool, Repeat, RfsymError, Upsample
from rfsym.coverage import holes


def to_layer(nd: dict, name: str):
    kind = nd["kind"]
    if kind in ("conv", "pool"):
        p = nd.get("padding", (0, 0))
        p = list(p) if isinstance(p, tuple) else p
        kw = {"kernel": nd["kernel"], "stride": nd.get("stride", 1), "padding": p, "dilation": nd.get("dilation", 1)}
        if kind == "conv":
            return Conv(name=name, **kw)
        return Pool(name=name, ceil_mode=nd.get("ceil_mode", False), mode=nd.get("mode", "max"), **kw)
    if kind == "tconv":
        return ConvTranspose(
            name=name,
            kernel=nd["kernel"],
            stride=nd.get("stride", 1),
            padding=list(nd.get("padding", (0, 0))),
            output_padding=nd.get("output_padding", 0),
            dilation=nd.get("dilation", 1),
        )
    if kind in ("nearest", "linear"):
        return Upsample(name=name, scale=nd["scale"], mode="bilinear" if kind == "linear" else "nearest")
    if kind == "identity":
        return Identity(name=name)
    raise ValueError(kind)


def to_graph(nodes: dict, n0: int | None) -> Graph:
    g = Graph(input=n0, name="g")
    for name, nd in nodes.items():
        if nd["kind"] == "add":
            g.add(*nd["inputs"], name=name)
        else:
            g.layer(to_layer(nd, name), nd["inputs"][0])
    return g


def as_dict(ax) -> dict[int, int]:
    return {ax.offset + i: c for i, c in enumerate(ax.counts) if c}


@st.composite
def node_params(draw, kinds, modes: bool) -> dict:
    kind = draw(st.sampled_from(kinds))
    if kind in ("conv", "pool"):
        pads = st.tuples(st.integers(0, 3), st.integers(0, 3))
        if modes:
            pads = st.one_of(pads, st.sampled_from(["same", "same_lower", "valid"]))
        nd = {
            "kind": kind,
            "kernel": draw(st.integers(1, 5)),
            "stride": draw(st.integers(1, 3)),
            "dilation": draw(st.integers(1, 4)),
            "padding": draw(pads),
        }
        nd["ceil_mode"] = kind == "pool" and draw(st.booleans())
        return nd
    if kind == "tconv":
        s, d = draw(st.integers(1, 3)), draw(st.integers(1, 2))
        return {
            "kind": "tconv",
            "kernel": draw(st.integers(1, 5)),
            "stride": s,
            "dilation": d,
            "padding": draw(st.tuples(st.integers(0, 2), st.integers(0, 2))),
            "output_padding": draw(st.integers(0, max(s, d) - 1)),
        }
    if kind in ("nearest", "linear"):
        return {"kind": kind, "scale": draw(st.integers(1, 3))}
    return {"kind": "identity"}


ALL = ["conv", "conv", "pool", "tconv", "nearest", "linear", "identity"]


@st.composite
def dags(draw, kinds=ALL, finite: bool = True, modes: bool = True, max_nodes: int = 7):
    """Random DAGs of the given kinds and add merges; sizes checked by the oracle so merges agree."""
    from coverage_oracle import sizes

    n0 = draw(st.integers(4, 24)) if finite else None
    nodes: dict = {}
    probe = n0 if finite else 30
    for i in range(draw(st.integers(1, max_nodes))):
        name = f"n{i}"
        have = sizes(nodes, probe)
        src = draw(st.sampled_from(sorted(have)))
        if nodes and draw(st.integers(0, 3)) == 0:
            partners = [x for x in sorted(have) if x != src and have[x] == have[src]]
            if partners:
                others = draw(st.lists(st.sampled_from(partners), min_size=1, max_size=2, unique=True))
                nodes[name] = {"kind": "add", "inputs": [src, *others]}
                continue
        nd = draw(node_params(kinds, modes and finite))
        nd["inputs"] = [src]
        trial = dict(nodes)
        trial[name] = nd
        try:
            n = sizes(trial, probe)[name]
        except ValueError:
            n = 0
        if n < 1 or n > 200:
            nd = {"kind": "identity", "inputs": [src]}
        nodes[name] = nd
    return nodes, n0


def check(nodes: dict, n0, unit_frac: float) -> None:
    from coverage_oracle import sizes

    g = to_graph(nodes, n0)
    target = list(nodes)[-1]
    if n0 is not None:
        n_out = sizes(nodes, n0)[target]
        unit = min(int(unit_frac * n_out), n_out - 1)
    else:
        unit = int(unit_frac * 10) - 3
    want = path_counts(nodes, target, unit, n0)
    got = rfsym.coverage(g, layer=target, unit=unit, input=n0)[0]
    assert as_dict(got) == want
    sup = holes(g, layer=target, unit=unit, input=n0)[0]
    assert sup.box == got.box and sup.gaps() == got.gaps()
    if want:
        lo, hi = min(want), max(want)
        assert got.box == (lo, hi)
        assert set(got.holes) == set(range(lo, hi + 1)) - set(want)
        assert got.dense == (len(want) == hi - lo + 1)


@settings(max_examples=150, deadline=None)
@given(dags(), st.floats(0, 1))
def test_counts_match_brute_force_finite(case, frac):
    """Borders, 'same' padding, ceil mode, dilation, transposed conv, upsampling, merges: exact counts."""
    check(*case, frac)


@settings(max_examples=100, deadline=None)
@given(dags(finite=False), st.floats(0, 1))
def test_counts_match_brute_force_infinite_line(case, frac):
    """Without an input size every read counts (padding positions are pixels of the infinite line)."""
    check(*case, frac)


@settings(max_examples=60, deadline=None)
@given(st.lists(node_params(["conv", "pool", "identity"], False), min_size=1, max_size=6), st.integers(-3, 3))
def test_chain_is_the_product_polynomial(layers, unit):
    """Infinite line, conv/pool chain: counts are the coefficients of prod_l sum_{i<k_l} z^(d_l i J_{l-1})."""
    net = Network([to_layer(nd, f"l{i}") for i, nd in enumerate(layers)])
    poly, jump, shift = {0: 1}, 1, 0
    for nd in layers:
        if nd["kind"] == "identity":
            continue
        shift += nd["padding"][0] * jump
        new: dict[int, int] = {}
        for e, c in poly.items():
            for i in range(nd["kernel"]):
                new[e + nd["dilation"] * i * jump] = new.get(e + nd["dilation"] * i * jump, 0) + c
        poly, jump = new, jump * nd["stride"]
    got = rfsym.coverage(net, unit=unit)[0]
    assert as_dict(got) == {e - shift + unit * jump: c for e, c in poly.items()}
    t = net.table(input=10**6).rows[-1].states[0]
    assert got.box == (unit * t.j - t.P, unit * t.j - t.P + t.r - 1)  # the box is the table's r, j, P


def test_small_examples():
    net = Network([Conv(kernel=2, name="a"), Conv(kernel=2, dilation=4, name="b")])
    ax = rfsym.coverage(net)[0]
    assert ax.counts == (1, 1, 0, 0, 1, 1) and ax.holes == (2, 3) and not ax.dense and ax.largest_gap == 2
    # the borders clip: unit 0 of a padded conv sees 2 pixels, 3 paths in the stack below
    net = Network([Conv(kernel=3, padding=1, name="a"), Conv(kernel=3, padding=1, name="b")], input=8)
    assert rfsym.coverage(net, input=8)[0].counts == (2, 2, 1)
    assert rfsym.coverage(net)[0].counts == (1, 2, 3, 2, 1)
    # merges add the branches' counts
    g = Graph(input=9, name="res")
    a = g.conv("input", kernel=3, padding=1, name="a")
    g.add(a, "input", name="y")
    assert rfsym.coverage(g, unit=4, input=9)[0].counts == (1, 2, 1)
    # N-D: one entry per axis, unit per axis
    net2 = Network([Conv(kernel=[3, 1], name="c")])
    cov = rfsym.coverage(net2, unit=(1, 2), input=(5, 5))
    assert cov[0].counts == (1, 1, 1) and cov[1].counts == (1,) and cov[1].box == (2, 2)


def test_module_is_callable_and_counts_are_exact_ints():
    import rfsym.coverage as cov_module

    net = Network([Conv(kernel=3, dilation=1, name=f"c{i}") for i in range(60)])
    ax = cov_module(net)[0]
    assert ax is not None and ax.total == 3**60 and max(ax.counts) > 2**63 and type(ax.counts[0]) is int
    assert cov_module.counts(net)[0].counts == ax.counts


def test_errors_are_one_line():
    net = Network([Conv(kernel="k", name="c")])
    with pytest.raises(RfsymError, match="need numbers"):
        rfsym.coverage(net)
    net = Network([Conv(kernel=3, name="c")])
    for kw, msg in [
        ({"layer": "nope"}, "no layer 'nope'"),
        ({"axis": 1}, "axis 1 does not exist"),
        ({"unit": 9, "input": 5}, "unit 9 does not exist"),
        ({"unit": "x"}, "unit must be an integer"),
        ({"input": 0}, "positive integer"),
        ({"input": 2}, "output is empty"),
    ]:
        with pytest.raises(RfsymError, match=msg):
            rfsym.coverage(net, **kw)
    same = Network([Conv(kernel=3, stride=2, padding="same", name="c")])
    with pytest.raises(RfsymError, match="depends on the input size"):
        rfsym.coverage(same)
    huge = Network([Conv(kernel=3, dilation=2**40, name="c"), Conv(kernel=3, dilation=2**41, name="d")])
    t0 = time.process_time()
    with pytest.raises(RfsymError, match="above the limit"):
        rfsym.coverage(huge)
    with pytest.raises(RfsymError, match="above the limit"):
        holes(huge)
    assert time.process_time() - t0 < 1
    with pytest.raises(RfsymError, match="Network or Graph"):
        rfsym.coverage("resnet")


def test_resnet152_one_axis_is_fast():
    g = rfsym.load("resnet152")
    t0 = time.process_time()
    ax = rfsym.coverage(g, axis=0)[0]
    assert time.process_time() - t0 < 0.5
    assert ax.width == 1451 and ax.dense


def test_holes_of_a_1000_layer_dilated_stack_under_a_second():
    layers = [Conv(kernel=3, dilation=[1, 2, 5, 9][i % 4], name=f"c{i}") for i in range(1000)]
    net = Network(layers)
    t0 = time.process_time()
    sup = holes(net)[0]
    assert time.process_time() - t0 < 1
    assert sup.width == 1 + 2 * 250 * (1 + 2 + 5 + 9) and sup.dense
    gridded = Network([Conv(kernel=3, dilation=2, name=f"c{i}") for i in range(1000)])
    t0 = time.process_time()
    sup = holes(gridded)[0]
    assert time.process_time() - t0 < 1
    assert sup.n_holes == 2000 and sup.largest_gap == 1


def test_concat_counts_like_add():
    """A concatenation's unit (summed over channels) has the branches' paths, like a sum."""
    out = []
    for kind in ("add", "concat"):
        g = Graph(input=12, name=kind)
        a = g.conv("input", kernel=3, padding=1, name="a")
        b = g.conv("input", kernel=5, dilation=2, padding=4, name="b")
        getattr(g, kind)(a, b, name="m")
        out.append(rfsym.coverage(g, unit=5, input=12)[0].counts)
    assert out[0] == out[1] == (1, 0, 1, 1, 2, 1, 1, 0, 1)  # a reads 4..6, b reads 1, 3, 5, 7, 9


@settings(max_examples=60, deadline=None)
@given(dags(max_nodes=6), st.floats(0, 1), st.floats(0, 1), st.integers(0, 5))
def test_nd_counts_match_brute_force(case, fu, fv, extra):
    """2-D graphs (merges: non-separable): exact N-D counts against the N-D path counter; chains: the outer
    product of the axes' counts."""
    from coverage_oracle import path_counts_nd, sizes

    nodes, n0 = case
    n2 = (n0, n0 + extra)
    target = list(nodes)[-1]
    unit = []
    for n, f in zip(n2, (fu, fv)):
        m = sizes(nodes, n)[target]
        unit.append(min(int(f * m), m - 1))
    g = to_graph(nodes, None)
    got = rfsym.coverage.counts_nd(g, layer=target, unit=tuple(unit), input=n2)
    want = path_counts_nd(nodes, target, tuple(unit), n2, 2)
    flat = {}
    for i, row in enumerate(got.counts):
        for j, c in enumerate(row):
            if c:
                flat[(got.offset[0] + i, got.offset[1] + j)] = c
    assert flat == want
    cov = rfsym.coverage(g, layer=target, unit=tuple(unit), input=n2)
    if cov.separable:
        assert flat == {
            (cov[0].offset + i, cov[1].offset + j): a * b
            for i, a in enumerate(cov[0].counts)
            for j, b in enumerate(cov[1].counts)
            if a * b
        }


@pytest.mark.parametrize(
    "kw",
    [
        {"unit": 1.5},
        {"unit": None},
        {"unit": True},
        {"unit": (1, 2, 3)},
        {"input": [4, 5, 6]},
        {"input": "abc"},
        {"input": 2.5},
        {"input": True},
        {"layer": 5},
        {"axis": -1},
        {"axis": True},
        {"axis": "0"},
    ],
)
def test_bad_arguments_are_rfsym_errors(kw):
    """(Scalar layers take any number of axes from a per-axis unit or input; these layers have two.)"""
    net = Network([Conv(kernel=[3, 3], name="c")])
    for fn in (rfsym.coverage, holes, rfsym.coverage.counts_nd):
        args = dict(kw)
        if fn is rfsym.coverage.counts_nd:
            args.pop("axis", None)
            if not args:
                continue
        with pytest.raises(RfsymError):
            fn(net, **args)


def test_symbolic_repeat_count_is_refused():
    net = Network([Repeat(block=[Conv(kernel=3, name="c")], times="L", name="r")])
    with pytest.raises(RfsymError, match="times is L; connection counts need numbers"):
        rfsym.coverage(net)
    g = Graph(name="g")
    g.layer(Repeat(block=[Conv(kernel=3, name="c")], times="L", name="r"), "input")
    with pytest.raises(RfsymError, match="times is L; connection counts need numbers"):
        rfsym.coverage(g)


def test_limits_are_checked_before_the_work():
    """Huge strides, kernels and axis counts are refused at once (no allocation, no loop over a stride)."""
    cases = [
        Network([Conv(kernel=1, stride=2**40, name="a"), Conv(kernel=2, name="b")]),
        Network([Conv(kernel=2**40, name="a")]),
        Network([Conv(kernel=3, stride=2**40, padding="same", name="a")]),
    ]
    from rfsym.coverage.phases import checkerboard

    t0 = time.process_time()
    for net in cases:
        for fn in (rfsym.coverage, holes, rfsym.coverage.counts_nd):
            with pytest.raises(RfsymError):
                fn(net)
    with pytest.raises(RfsymError, match="at most 8"):
        rfsym.coverage(Network([Conv(kernel=3, name="c")]), unit=(0,) * 9)
    with pytest.raises(RfsymError, match="phases"):
        checkerboard(Network([ConvTranspose(kernel=3, stride=2**40, name="t")]))
    assert time.process_time() - t0 < 2
    assert rfsym.coverage(Network([Conv(kernel=1, stride=2**40, padding="same", name="a")]))[0].counts == (1,)


def test_repeated_block_with_branches():
    """A graph.BlockRepeat node (a residual block repeated L times): symbolic L is refused, a number counts
    like the explicit graph."""
    from rfsym.graph import Add, BlockRepeat

    blk = BlockRepeat(
        block=[Conv(kernel=3, padding=1, name="c"), Add(name="a")], wiring=[("input",), ("input", "c")], times="L"
    )
    g = Graph(input=16, name="t")
    g.layer(blk.renamed("res"), "input")
    with pytest.raises(RfsymError, match="times is L"):
        rfsym.coverage(g)
    h = Graph(input=16, name="h")
    x = "input"
    for i in range(3):
        x = h.add(x, h.conv(x, kernel=3, padding=1, name=f"c{i}"), name=f"a{i}")
    want = rfsym.coverage(h, unit=8, input=16)[0].counts
    assert rfsym.coverage(g.subs({"L": 3}), unit=8, input=16)[0].counts == want == (1, 6, 15, 20, 15, 6, 1)
