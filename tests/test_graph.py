"""Graphs: Google receptive_field's test graphs, errors, symbolic alignment, random DAGs vs an oracle, zoo nets vs PyTorch."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from fractions import Fraction

import pytest
import sympy
from graph_oracle import Oracle, window_extents
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rfsym
from rfsym import ConvTranspose, Graph, Network, RfsymError, Upsample, loads
from rfsym.graph import AlignmentWarning, Merge
from rfsym.layers import Conv, Identity, Pool

HALF = Fraction(1, 2)


# ---------------------------------------------------------------------------
# helpers


def oracle_nodes(g: Graph, axis: int = 0) -> dict[str, dict]:
    """The graph's declared parameters as oracle node dicts (no rfsym arithmetic)."""
    out = {}
    for name, lay in zip(g.nodes, g.layers):
        ins = list(g.inputs_of(name))
        if isinstance(lay, Merge):
            d = {"kind": "add"}
        elif isinstance(lay, (Conv, Pool)):
            k, s, p, dil, _ = lay.axis_params(axis)
            assert not isinstance(p, str) and not lay.ceil_mode
            d = {"kind": "conv", "kernel": k, "stride": s, "padding": tuple(p), "dilation": dil}
        elif isinstance(lay, ConvTranspose):
            k, s, p, dil, op = lay.axis_params(axis)
            d = {"kind": "tconv", "kernel": k, "stride": s, "padding": tuple(p), "output_padding": op, "dilation": dil}
        elif isinstance(lay, Upsample):
            sc = lay.scale[axis] if isinstance(lay.scale, tuple) else lay.scale
            d = {"kind": "linear" if lay.linear else "nearest", "scale": sc}
        elif isinstance(lay, Identity):
            d = {"kind": "identity"}
        else:  # pragma: no cover
            raise TypeError(lay)
        d["inputs"] = ins
        out[name] = d
    return out


def quiet_table(g: Graph, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AlignmentWarning)
        return g.table(**kw)


def google_net(n: int, pool: bool = False) -> Graph:
    """receptive_field_test.create_test_network_1 (and _2 with max-pooling), 1-D."""
    g = Graph(input=n, name="google1")
    x = g.input_node
    if pool:
        l1 = g.conv(x, kernel=1, stride=4, name="L1")
        l2 = g.pool(x, kernel=3, stride=2, padding=[1, 0], name="L2")
        l3 = g.pool(l2, kernel=1, stride=2, name="L3")
    else:
        l1 = g.conv(x, kernel=1, stride=4, name="L1")
        l2 = g.conv(x, kernel=3, stride=2, padding=[1, 0], name="L2")
        l3 = g.conv(l2, kernel=1, stride=2, name="L3")
    g.add(l1, l3, name="output")
    return g


GOOGLE8 = """
name = "google8"
input = 16
[[layers]]
name = "L1"
kind = "conv"
kernel = 1
stride = 4
[[layers]]
name = "L2"
kind = "conv"
kernel = 3
stride = 2
padding = [1, 0]
inputs = ["input"]
[[layers]]
name = "L3"
kind = "conv"
kernel = 1
stride = 2
[[layers]]
name = "L4"
kind = "add"
inputs = ["L1", "L3"]
[[layers]]
name = "L5"
kind = "conv"
kernel = 1
stride = 2
[[layers]]
name = "L6"
kind = "conv"
kernel = 3
stride = 2
padding = [1, 0]
inputs = ["L4"]
[[layers]]
name = "output"
kind = "add"
inputs = ["L5", "L6"]
"""


# ---------------------------------------------------------------------------
# Google receptive_field's test graphs


class TestGoogleGraphs:
    @pytest.mark.parametrize("pool", [False, True])
    @pytest.mark.parametrize("n", [8, 12, 16, 24])
    def test_aligned_two_paths(self, n, pool):
        """create_test_network_1/_2: the aligned two-path graph gives r/S/P = 3/4/1, as in receptive_field's test."""
        t = google_net(n, pool).table(origin=0, strict=True)
        out = t["output"].states[0]
        assert (out.r, out.j, out.P) == (3, 4, 1)
        assert not t.misaligned

    def test_intermediate_add(self):
        """create_test_network_8 (a spec here): the graph with an intermediate Add gives 11/8/5."""
        g = loads(GOOGLE8)
        assert isinstance(g, Graph)
        out = g.table(origin=0, strict=True)["output"].states[0]
        assert (out.r, out.j, out.P) == (11, 8, 5)

    def test_same_padding_depends_on_input(self):
        """create_test_network_4 (TensorFlow SAME padding): aligned 3/4/1 at input 9, misaligned at input 8."""

        def net(n: int) -> Graph:
            g = Graph(input=n, name="google4")
            l1 = g.conv("input", kernel=1, stride=4, padding="same", name="L1")
            l2 = g.conv("input", kernel=3, stride=2, padding="same", name="L2")
            l3 = g.conv(l2, kernel=1, stride=2, padding="valid", name="L3")
            g.add(l1, l3, name="output")
            return g

        out = net(9).table(origin=0, strict=True)["output"].states[0]
        assert (out.r, out.j, out.P) == (3, 4, 1)
        with pytest.raises(RfsymError, match="merge 'output'.*not aligned"):
            net(8).table(origin=0, strict=True)

    def test_unaligned_reported(self):
        """create_test_network_3: the misaligned graph warns, naming the merge and both paths; strict refuses."""
        g = Graph(input=7, name="google3")
        x = g.input_node
        l1 = g.conv(x, kernel=5, stride=2, padding=[2, 1], name="L1")
        l2 = g.conv(x, kernel=3, name="L2")
        l3 = g.conv(l2, kernel=3, name="L3")
        g.add(l1, l3, name="output")
        with pytest.warns(AlignmentWarning) as rec:
            t = g.table()
        msg = str(rec[0].message)
        assert "merge 'output'" in msg and "input -> L1" in msg and "input -> L2 -> L3" in msg
        (al,) = t.alignments
        assert al.aligned is False and al.jumps == (2, 1) and al.centres == (0, 2)
        with pytest.raises(RfsymError, match="merge 'output'.*not aligned"):
            g.table(strict=True)
        assert "(axis" not in msg  # one axis: nothing to tell apart

    def test_unaligned_axis_named(self):
        """On a 2-D graph the message names the axis that is misaligned (here axis 1 only)."""
        g = Graph(input=(9, 9), name="two_d")
        x = g.input_node
        l1 = g.conv(x, kernel=(3, 1), stride=(1, 2), padding=(1, 0), name="L1")  # axis 1: 5 features, jump 2
        l2 = g.conv(x, kernel=(3, 5), padding=(1, 0), name="L2")  # axis 1: 5 features, jump 1
        g.add(l1, l2, name="output")
        with pytest.warns(AlignmentWarning) as rec:
            g.table()
        msgs = [str(w.message).split(":")[0] for w in rec]
        assert msgs == ["merge 'output' (axis 1)"]


# ---------------------------------------------------------------------------
# errors


def _spec(*layers: str, input: int = 16) -> str:
    return f"input = {input}\n" + "".join(f"[[layers]]\n{lay}\n" for lay in layers)


class TestErrors:
    def test_cycle(self):
        """A spec whose layers feed each other in a circle is refused, with the cycle spelled out."""
        text = _spec(
            'name = "a"\nkind = "conv"\nkernel = 3\ninputs = ["c"]',
            'name = "b"\nkind = "conv"\nkernel = 3',
            'name = "c"\nkind = "add"\ninputs = ["b", "input"]',
        )
        with pytest.raises(RfsymError, match=r"cycle: a -> c -> b -> a"):
            loads(text, source="net.toml")

    def test_unknown_input(self):
        """An input name that no layer has is an error naming the layer, the name and the known names."""
        text = _spec('name = "a"\nkind = "conv"\nkernel = 3', 'name = "b"\nkind = "add"\ninputs = ["a", "nope"]')
        with pytest.raises(RfsymError, match=r"net.toml: b: unknown input 'nope' \(known: input, a, b\)"):
            loads(text, source="net.toml")
        g = Graph(input=8)
        with pytest.raises(RfsymError, match="unknown input 'zz'"):
            g.conv("zz", kernel=3)

    def test_shape_incompatible_merge(self):
        """Merging maps of different sizes names the merge, both inputs and their sizes."""
        g = Graph(input=16)
        a = g.conv(g.input_node, kernel=3, name="a")
        b = g.conv(g.input_node, kernel=3, stride=2, name="b")
        g.concat(a, b, name="cat")
        with pytest.raises(RfsymError, match=r"cat: inputs have different sizes: a has 14 features, b has 7"):
            g.table()

    def test_arity(self):
        """Merges need two or more distinct inputs; other layers exactly one."""
        g = Graph(input=16)
        a = g.conv(g.input_node, kernel=3, name="a")
        with pytest.raises(RfsymError, match="needs two or more inputs"):
            g.add(a, name="m")
        with pytest.raises(RfsymError, match="appears twice"):
            g.add(a, a, name="m")
        with pytest.raises(RfsymError, match="takes exactly one input"):
            g.layer(Conv(kernel=3, name="c"), a, g.input_node)
        with pytest.raises(RfsymError, match="needs 'inputs' with two or more"):
            loads(_spec('kind = "add"'))

    def test_names(self):
        """'input' is reserved, names are unique, nodes of another graph are refused."""
        g = Graph(input=16)
        with pytest.raises(RfsymError, match="reserved"):
            g.conv(g.input_node, kernel=3, name="input")
        g.conv(g.input_node, kernel=3, name="a")
        with pytest.raises(RfsymError, match="duplicate layer name 'a'"):
            g.conv(g.input_node, kernel=3, name="a")
        other = Graph(input=16)
        with pytest.raises(RfsymError, match="another graph"):
            g.conv(other.input_node, kernel=3)

    def test_bad_inputs_field(self):
        """'inputs' must be a list of names."""
        with pytest.raises(RfsymError, match="inputs must be a list of layer names"):
            loads(_spec('kind = "conv"\nkernel = 3\ninputs = "input"'))


# ---------------------------------------------------------------------------
# symbolic


class TestSymbolic:
    SPEC = """
input = "n"
[symbols]
k2 = { min = 1 }
d2 = { min = 1 }
p2 = { min = 0 }
[[layers]]
name = "skip"
kind = "identity"
[[layers]]
name = "body"
kind = "conv"
kernel = "k2"
dilation = "d2"
padding = "p2"
inputs = ["input"]
[[layers]]
name = "sum"
kind = "add"
inputs = ["skip", "body"]
"""

    def test_alignment_condition(self):
        """A residual block aligns iff p2 = d2 (k2 - 1)/2: returned as a sympy relation."""
        g = loads(self.SPEC)
        (al,) = g.alignment()
        assert al.aligned is None
        p2, d2, k2 = (next(s for s in g.free_symbols if s.name == nm) for nm in ("p2", "d2", "k2"))
        assert al.condition == sympy.Eq(p2, d2 * (k2 - 1) / 2)

    def test_condition_decides_numeric_alignment(self):
        """With [left, right] padding the sizes agree for pl + pr = d (k - 1); alignment needs pl = d (k - 1)/2."""
        spec = self.SPEC.replace('padding = "p2"', 'padding = ["pl", "pr"]').replace(
            "p2 = { min = 0 }", "pl = {}\npr = {}"
        )
        g = loads(spec)
        (al,) = g.alignment()
        pl, d2, k2 = (next(s for s in g.free_symbols if s.name == nm) for nm in ("pl", "d2", "k2"))
        assert al.condition == sympy.Eq(pl, d2 * (k2 - 1) / 2)
        for k, d, left in [(3, 1, 1), (3, 1, 0), (3, 2, 2), (3, 2, 1), (4, 1, 1), (4, 1, 2), (5, 2, 4), (1, 3, 0)]:
            right = d * (k - 1) - left
            num = g.subs({"k2": k, "d2": d, "pl": left, "pr": right, "n": 32})
            (aln,) = num.alignment()
            assert aln.aligned == bool(al.condition.subs({k2: k, d2: d, pl: left}))

    def test_jump_condition(self):
        """Different symbolic strides give a condition on the jumps too."""
        g = loads(
            _spec(
                'name = "a"\nkind = "conv"\nkernel = 1\nstride = "s"',
                'name = "b"\nkind = "conv"\nkernel = 1\nstride = 2\ninputs = ["input"]',
                'name = "m"\nkind = "add"\ninputs = ["a", "b"]',
            ).replace("input = 16", "input = 16\n[symbols]\ns = { min = 1 }")
        )
        (al,) = g.alignment()
        s = next(iter(g.free_symbols))
        assert al.condition == sympy.Eq(s, 2)

    def test_symbolic_merge_sizes(self):
        """A symbolic input leaves each merge's size equality as a condition; numbers that break one are refused."""
        g = rfsym.load("unet")
        t = g.table(input="n")
        conds = {m: c for m, _, c in t.size_conditions}
        assert set(conds) == {"cat1", "cat2", "cat3", "cat4"}
        n = next(iter(t.input[0].free_symbols))
        for v in (256, 48, 250, 100):
            ok = all(bool(c.subs(n, v)) for c in conds.values())
            assert ok == (v % 16 == 0)
            if ok:
                g.table(input=v)
            else:
                with pytest.raises(RfsymError, match="inputs have different sizes"):
                    g.table(input=v)
        assert "merge cat1 needs equal sizes: n = 2*floor(n/2)" in t.to_text()

    def test_symbolic_misaligned_jumps(self):
        """Different jumps with a symbolic padding: the widest union is an exact Max that matches numbers."""
        g = loads(
            _spec(
                'name = "a"\nkind = "conv"\nkernel = 1\nstride = 2',
                'name = "b"\nkind = "conv"\nkernel = 5\npadding = ["p", 0]\ninputs = ["input"]',
                'name = "m"\nkind = "add"\ninputs = ["a", "b"]',
                input=8,
            ).replace("input = 8", "input = 8\n[symbols]\np = { min = 0 }")
        )
        t = quiet_table(g)
        (al,) = t.alignments
        assert al.aligned is False  # the jumps differ whatever p is
        num = quiet_table(g.subs({"p": 0}))
        p = next(iter(g.free_symbols))
        for key in ("r", "start"):
            assert sympy.sympify(getattr(t["m"].states[0], key)).subs(p, 0) == getattr(num["m"].states[0], key)

    def test_symbolic_table_matches_numeric(self):
        """Substituting numbers into the symbolic table gives the numeric table."""
        g = loads(self.SPEC)
        t = quiet_table(g)
        for k, d, p, n in [(3, 1, 1, 20), (5, 2, 4, 30), (3, 2, 2, 9), (7, 1, 3, 11)]:
            vals = {"k2": k, "d2": d, "p2": p, "n": n}
            num = quiet_table(g.subs(vals))
            syms = {s: vals[s.name] for s in g.free_symbols}
            for rs, rn in zip(t.rows, num.rows):
                for key in ("n", "j", "r", "start", "P"):
                    v = getattr(rs.states[0], key)
                    v = rfsym._arith.norm(sympy.sympify(v).subs(syms)) if not isinstance(v, (int, Fraction)) else v
                    assert v == getattr(rn.states[0], key), (rs.name, key)


# ---------------------------------------------------------------------------
# random DAGs against the brute-force oracle


@st.composite
def random_graph(draw, fractional: bool):
    """A random DAG of conv/pool/identity/add (and transposed conv/upsample when fractional)."""
    n0 = draw(st.integers(6, 40))
    g = Graph(input=n0, name="random")
    spec: dict[str, dict] = {}
    sizes = {"input": n0}
    up = {"input": False}  # an upsampling layer lies on some path to the node
    loose = {"input": False}  # ... and a strided layer after it: r is then only an upper bound
    n_up = 0
    kinds = ["conv", "conv", "pool", "identity", "add", "add"] + (["tconv", "up"] if fractional else [])
    for i in range(draw(st.integers(1, 8))):
        name = f"n{i}"
        src = draw(st.sampled_from(sorted(sizes)))
        kind = draw(st.sampled_from(kinds))
        if kind in ("tconv", "up") and (n_up >= 2 or sizes[src] > 60):
            kind = "conv"
        if kind == "add":
            partners = [x for x in sorted(sizes) if x != src and sizes[x] == sizes[src]]
            if not partners:
                kind = "identity"
            else:
                others = draw(st.lists(st.sampled_from(partners), min_size=1, max_size=2, unique=True))
                node = {"kind": "add", "inputs": [src, *others]}
                g.add(src, *others, name=name)
        if kind in ("conv", "pool"):
            k = draw(st.integers(1, 5))
            node = {
                "kind": "conv",
                "kernel": k,
                "stride": draw(st.integers(1, 3)),
                "dilation": draw(st.integers(1, 2)),
                "padding": (draw(st.integers(0, 3)), draw(st.integers(0, 3))),
                "inputs": [src],
            }
        elif kind == "tconv":
            k, s, d = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
            pl = draw(st.integers(0, d * (k - 1)))
            pr = draw(st.sampled_from([pl, draw(st.integers(0, d * (k - 1)))]))
            op = draw(st.integers(0, max(s, d) - 1))
            node = {
                "kind": "tconv",
                "kernel": k,
                "stride": s,
                "dilation": d,
                "padding": (pl, pr),
                "output_padding": op,
                "inputs": [src],
            }
        elif kind == "up":
            node = {
                "kind": draw(st.sampled_from(["nearest", "linear"])),
                "scale": draw(st.integers(1, 3)),
                "inputs": [src],
            }
        elif kind == "identity":
            node = {"kind": "identity", "inputs": [src]}
        trial = dict(spec)
        trial[name] = node
        size = _oracle_size(trial, n0, name)
        if size < 1:
            continue
        if kind in ("conv", "pool"):
            mk = g.conv if kind == "conv" else g.pool
            mk(
                src,
                kernel=node["kernel"],
                stride=node["stride"],
                dilation=node["dilation"],
                padding=list(node["padding"]),
                name=name,
            )
        elif kind == "tconv":
            g.conv_transpose(
                src,
                kernel=node["kernel"],
                stride=node["stride"],
                dilation=node["dilation"],
                padding=list(node["padding"]),
                output_padding=node["output_padding"],
                name=name,
            )
            n_up += 1
        elif kind == "up":
            g.upsample(src, scale=node["scale"], mode="bilinear" if node["kind"] == "linear" else "nearest", name=name)
            n_up += 1
        elif kind == "identity":
            g.identity(src, name=name)
        spec[name] = node
        sizes[name] = size
        ins = node["inputs"]
        up[name] = any(up[x] for x in ins) or kind in ("tconv", "up")
        strided = kind in ("conv", "pool") and node["stride"] > 1
        loose[name] = any(loose[x] for x in ins) or (strided and up[src])
    if not spec:
        g.identity(g.input_node, name="only")
        loose["only"] = False
    return g, loose


def _oracle_size(nodes: dict, n0: int, name: str) -> int:
    try:
        return Oracle(nodes, n0).sizes[name]
    except ValueError:  # pragma: no cover
        return 0


UNITS = range(-40, 41)


def _upsampled(g: Graph, name: str) -> bool:
    """Some path to the node passes a transposed convolution or an upsampler."""
    layers = dict(zip(g.nodes, g.layers))
    todo, seen = [name], set()
    while todo:
        x = todo.pop()
        if x == "input" or x in seen:
            continue
        seen.add(x)
        if isinstance(layers[x], (ConvTranspose, Upsample)):
            return True
        todo.extend(g.inputs_of(x))
    return False


def check_against_oracle(g: Graph, loose: dict[str, bool], origin) -> int:
    """Compare every node with the oracle; returns how many nodes were checked exactly."""
    t = quiet_table(g, origin=origin)
    orc = Oracle(oracle_nodes(g), t.input[0])
    bad_jump: set[str] = set()  # nodes downstream of a merge whose jumps differ
    not_distill: set[str] = set()  # nodes downstream of a Distill-misaligned merge
    checked = 0
    for name in g.nodes:
        ins = g.inputs_of(name)
        st0 = t[name].states[0]
        assert st0.n == orc.sizes[name], name
        upstream_jump = any(x in bad_jump for x in ins)
        upstream_distill = any(x in not_distill for x in ins)
        als = [a for a in t.alignments if a.merge == name]
        if upstream_jump:
            bad_jump.add(name)
            continue
        if any(not a.jumps_agree for a in als):
            bad_jump.add(name)
            # documented fallback: start = centre of the first unit's union, r = the widest union
            regs = [orc.region(name, u) for u in (0, st0.n - 1)]
            if not any(loose[x] for x in ins) and not any(isinstance(v, Fraction) for v in (st0.j,)):
                assert st0.start == origin + Fraction(min(regs[0]) + max(regs[0]), 2)
                assert st0.r == max(max(r) - min(r) + 1 for r in regs)
            continue
        if upstream_distill or any(a.aligned is False for a in als):
            not_distill.add(name)
        regions = {u: orc.region(name, u) for u in UNITS}
        h = Fraction(st0.r - 1, 2)
        left, right = window_extents(regions, st0.j, st0.start, origin)
        assert left <= h and right <= h, (name, left, right, h)  # every region lies in its window
        if not loose[name]:
            assert left == h and right == h, (name, left, right, h)  # and the window is the tightest
            checked += 1
        if name not in not_distill:
            assert st0.P == origin + h - st0.start  # Distill's identity
        if not _upsampled(g, name):  # a plain integer grid: unit u + 1 sees unit u's region moved by j
            for u in range(-5, 5):
                assert regions[u + 1] == frozenset(x + st0.j for x in regions[u])
            if name not in not_distill:
                assert st0.P == -min(regions[0])
    return checked


class TestRandomDAGs:
    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(random_graph(fractional=False), st.sampled_from([HALF, 0]))
    def test_integer_dags(self, gl, origin):
        """Conv/pool/add DAGs: n, r, start, j, P of every node equal brute-force index propagation."""
        g, loose = gl
        check_against_oracle(g, loose, origin)

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(random_graph(fractional=True), st.sampled_from([HALF, 0]))
    def test_fractional_dags(self, gl, origin):
        """With transposed convolutions and upsampling: regions lie in their windows, tight unless a stride follows."""
        g, loose = gl
        check_against_oracle(g, loose, origin)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(random_graph(fractional=True))
    def test_min_input_size_is_the_first_size_that_works(self, gl):
        """min_input_size equals the first input size whose brute-force sizes are all >= 1 and agree at every add."""
        g, _ = gl
        nodes = oracle_nodes(g)

        def works(n: int) -> bool:
            try:
                sizes = Oracle(nodes, n).sizes
            except ValueError:  # an empty map on the way (the oracle's max() of nothing)
                return False
            if any(v < 1 for v in sizes.values()):
                return False
            return all(len({sizes[x] for x in nd["inputs"]}) == 1 for nd in nodes.values() if nd["kind"] == "add")

        first = next(n for n in range(1, g.input[0] + 1) if works(n))
        assert g.min_input_size() == first

    @settings(max_examples=60, deadline=None)
    @given(random_graph(fractional=False))
    def test_paths_are_sequential_networks(self, gl):
        """Each path's own state equals the sequential Network of its layers; the node's r covers every path."""
        g, _ = gl
        t = quiet_table(g)
        layers = dict(zip(g.nodes, g.layers))
        for name in g.nodes[-2:]:
            for p in g.paths(name):
                seq = [layers[x] for x in p.nodes[1:] if not isinstance(layers[x], Merge)]
                if seq:
                    net = Network(seq, input=t.input[0])
                    assert net.table().output == p.states
                assert p.states[0].r <= t[name].states[0].r


# ---------------------------------------------------------------------------
# spec loading and the CLI


class TestMinInputSize:
    def test_beyond_4096(self):
        """The smallest input is found however large (the shared exponential search), not only up to 4096."""
        g = Graph(name="big")
        a = g.conv(g.input_node, kernel=5000, name="a")
        b = g.conv(g.input_node, kernel=5000, name="b")
        g.add(a, b, name="y")
        assert g.min_input_size() == 5000

    def test_merge_sizes_agree_only_at_some_sizes(self):
        """Branches of sizes 2 ceil(n/2) and n agree only for even n: the answer is 2, not 1."""
        g = Graph(name="parity")
        a = g.conv(g.input_node, kernel=1, stride=2, name="a")
        up = g.upsample(a, scale=2, name="up")
        b = g.identity(g.input_node, name="b")
        g.add(up, b, name="y")
        assert g.min_input_size() == 2

    def test_per_axis(self):
        """Each axis on its own, as for Network: kernel (3, 7) needs 3 on axis 0 and 7 on axis 1."""
        g = Graph(name="axes")
        g.conv(g.input_node, kernel=[3, 7], name="a")
        assert (g.min_input_size(0), g.min_input_size(1)) == (3, 7)
        with pytest.raises(RfsymError, match="axis 2 does not exist"):
            g.min_input_size(2)

    def test_symbolic_graph_gives_none(self):
        g = Graph(name="sym")
        g.conv(g.input_node, kernel="k", name="a")
        assert g.min_input_size() is None


class TestSpecAndCli:
    def test_load_returns_graph_only_when_needed(self):
        """A spec without inputs or merges stays a Network; with them it is a Graph."""
        assert isinstance(rfsym.load("alexnet"), Network)
        assert isinstance(loads(GOOGLE8), Graph)
        assert isinstance(rfsym.load("unet"), Graph)

    def test_forward_references(self):
        """Layers may name inputs defined later in the file; rows come in topological order."""
        text = _spec(
            'name = "m"\nkind = "add"\ninputs = ["a", "b"]',
            'name = "a"\nkind = "conv"\nkernel = 3\npadding = 1\ninputs = ["input"]',
            'name = "b"\nkind = "conv"\nkernel = 5\npadding = 2\ninputs = ["input"]',
        )
        t = loads(text).table()
        assert [r.name for r in t.rows] == ["input", "a", "b", "m"]
        assert t["m"].states[0].r == 5

    def test_repeat_node(self):
        """A repeat block can be a graph node: it reads its inputs and unrolls inside the node."""
        text = _spec(
            'name = "a"\nkind = "conv"\nkernel = 3\npadding = 1',
            'name = "rep"\nkind = "repeat"\ntimes = 3\ninputs = ["input"]\nlayers = [ { kind = "conv", kernel = 3, padding = 1 } ]',
            'name = "m"\nkind = "add"\ninputs = ["a", "rep"]',
        )
        t = loads(text).table(strict=True)
        assert t["rep"].states[0].r == 7 and t["m"].states[0].r == 7

    @pytest.mark.parametrize("fmt", ["text", "json", "markdown", "latex"])
    def test_cli_table(self, tmp_path, fmt):
        """`rfsym table` prints graphs in every format, one row per node."""
        f = tmp_path / "g8.toml"
        f.write_text(GOOGLE8)
        res = subprocess.run(
            [sys.executable, "-m", "rfsym", "table", str(f), "--origin", "0", "--format", fmt],
            capture_output=True,
            text=True,
        )
        assert res.returncode == 0, res.stderr
        if fmt == "json":
            d = json.loads(res.stdout)
            out = d["layers"][-1]
            assert (out["name"], out["r"], out["j"], out["effective_padding"]) == ("output", 11, 8, 5)
            assert out["inputs"] == ["L5", "L6"]
            assert all(a["aligned"] is True for a in d["alignment"])
        else:
            for name in ("L1", "L4", "L6", "output"):
                assert name in res.stdout

    def test_cli_misaligned_warns(self):
        """The FPN's top-down merges are misaligned by half a stride: the CLI warns on stderr and still prints."""
        res = subprocess.run([sys.executable, "-m", "rfsym", "table", "fpn_resnet50"], capture_output=True, text=True)
        assert res.returncode == 0
        assert "merge 'topdown4'" in res.stderr and "P6" in res.stdout


# ---------------------------------------------------------------------------
# U-Net, FPN and ResNet-50 against PyTorch gradients


def _check_torch(g: Graph, n: int, nodes: list[str]) -> None:
    from graph_torch import reach_1d

    t = quiet_table(g, input=n)
    orc = Oracle(oracle_nodes(g), n)
    got = reach_1d(g, n, nodes)
    for name in nodes:
        st0 = t[name].states[0]
        assert len(got[name]) == st0.n, name
        h = Fraction(st0.r - 1, 2)
        left = right = Fraction(-1)
        for u, reg in enumerate(got[name]):
            assert reg == orc.reach(name, u), (name, u)  # PyTorch = the oracle's finite semantics
            c = st0.start + u * st0.j
            lo, hi = min(reg) + HALF, max(reg) + HALF
            assert c - h <= lo and hi <= c + h, (name, u)  # inside rfsym's window
            left, right = max(left, c - lo), max(right, hi - c)
        assert left == h and right == h, (name, left, right, h)  # some unit reaches each end


class TestZooAgainstTorch:
    def test_unet_every_decoder_output(self):
        """Every U-Net decoder node: rfsym's window holds the PyTorch-gradient region of every unit, tightly."""
        g = rfsym.load("unet")
        dec = [x for x in g.nodes if x.startswith(("up", "cat", "dec")) or x == "head"]
        _check_torch(g, 512, dec)
        t = g.table(strict=True)  # U-Net's skips are aligned: no warning even under strict
        assert t["head"].states[0].r == 215

    def test_fpn_every_level(self):
        """Every FPN level P2..P6 (and the ResNet-50 stages feeding it) against PyTorch gradients."""
        g = rfsym.load("fpn_resnet50")
        levels = ["layer1.2", "layer2.3", "layer3.5", "layer4.2", "P2", "P3", "P4", "P5", "P6"]
        _check_torch(g, 1536, levels)
        t = quiet_table(g)
        assert {a.merge for a in t.misaligned} == {"topdown4", "topdown3", "topdown2"}

    def test_resnet50_graph(self):
        """ResNet-50 as a graph: every bottleneck output against PyTorch gradients; r = 427, j = 32."""
        g = rfsym.load("fpn_resnet50")
        blocks = [x for x in g.nodes if x.startswith("layer") and x.count(".") == 1]
        assert len(blocks) == 16
        _check_torch(g, 1024, blocks)
        t = quiet_table(g)
        assert all(a.aligned for a in t.alignments if a.merge.startswith("layer"))  # the backbone is aligned
        out = t["layer4.2"].states[0]
        assert (out.r, out.j, out.P) == (427, 32, 213)

    def test_2d_units(self):
        """2-D PyTorch runs project onto each axis as the 1-D oracle says (the 1-D checks are faithful)."""
        from graph_torch import reach_2d_unit, sizes_2d

        g = rfsym.load("unet")
        size = (48, 32)
        t = quiet_table(g, input=list(size))
        shp = sizes_2d(g, size)
        for name in ("up2", "dec2b", "head"):
            assert shp[name] == tuple(s.n for s in t[name].states)
        for unit in [(0, 0), (17, 9), (47, 31)]:
            rows, cols = reach_2d_unit(g, size, "head", unit)
            for ax, got in enumerate((rows, cols)):
                assert got == Oracle(oracle_nodes(g, ax), size[ax]).reach("head", unit[ax])
