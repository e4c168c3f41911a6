"""rfsym.solve on the cases issue 11 found wrong, and property tests of their classes
(transposed convolution, upsampling, fractional targets, huge domains) against brute force.

The brute force evaluates every assignment with the per-layer formulas written out below
from the layers' documented definitions (not with rfsym's transfer functions), and
output sizes of convolutions and pooling by counting windows (tests/oracle.py).
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import sympy
from hypothesis import strategies as st
from oracle import count_windows

from rfsym import Conv, ConvTranspose, Network, RfsymError, Upsample, loads, solve
from rfsym.values import SymbolDomain

ROOT = Path(__file__).resolve().parent.parent
HALF = Fraction(1, 2)


# --------------------------------------------------------------------------
# brute force: the documented per-layer rules, one assignment at a time
# --------------------------------------------------------------------------


def step(lay: dict[str, Any], st_: tuple) -> tuple:
    """(n, j, r, start, P) after one layer, from the definitions in DESIGN.md and the layer docstrings."""
    n, j, r, start, P = st_
    kind = lay["kind"]
    if kind == "conv":
        k, s, d = lay["kernel"], lay.get("stride", 1), lay.get("dilation", 1)
        pl, pr = lay.get("padding", (0, 0))
        kap = d * (k - 1) + 1
        n2 = count_windows({"kernel": k, "stride": s, "dilation": d, "padding": (pl, pr)}, n)
        return n2, j * s, r + (kap - 1) * j, start + (Fraction(kap - 1, 2) - pl) * j, P + pl * j
    if kind == "tconv":
        k, s, d = lay["kernel"], lay.get("stride", 1), lay.get("dilation", 1)
        pl, pr = lay.get("padding", (0, 0))
        kap = d * (k - 1) + 1
        jo = Fraction(j) / s
        n2 = (n - 1) * s - pl - pr + kap + lay.get("output_padding", 0)
        return n2, jo, r + (kap - 1) * jo, start + (pl - Fraction(kap - 1, 2)) * jo, P + (kap - 1 - pl) * jo
    if kind in ("nearest", "bilinear"):
        s = lay["scale"]
        jo = Fraction(j) / s
        grow = s - 1 if kind == "nearest" else 2 * s - 1 - s % 2
        shift = Fraction(s - 1, 2)
        return n * s, jo, r + grow * jo, start - shift * jo, P + (shift + Fraction(grow, 2)) * jo
    raise ValueError(kind)


def evaluate(layers: list[dict[str, Any]], n: int | None) -> tuple | None:
    """The output state, or None when some layer's output is empty (only checked with an input)."""
    cur = (10**9 if n is None else n, 1, 1, HALF, 0)
    for lay in layers:
        cur = step(lay, cur)
        if n is not None and cur[0] < 1:
            return None
    return cur


def build(lay: dict[str, Any], name: str) -> Any:
    kind = lay["kind"]
    if kind == "conv":
        return Conv(
            kernel=lay["kernel"],
            stride=lay.get("stride", 1),
            dilation=lay.get("dilation", 1),
            padding=list(lay.get("padding", (0, 0))),
            name=name,
        )
    if kind == "tconv":
        return ConvTranspose(
            kernel=lay["kernel"],
            stride=lay.get("stride", 1),
            dilation=lay.get("dilation", 1),
            padding=list(lay.get("padding", (0, 0))),
            name=name,
        )
    return Upsample(scale=lay["scale"], mode=lay["kind"], name=name)


def instantiate(template: list[dict], values: dict[str, int]) -> list[dict]:
    def sub(v: Any) -> Any:
        if isinstance(v, str):
            return values[v]
        if isinstance(v, tuple):
            return tuple(sub(w) for w in v)
        return v

    return [{k: (v if k == "kind" else sub(v)) for k, v in lay.items()} for lay in template]


QI = {"n": 0, "j": 1, "r": 2, "start": 3, "effective_padding": 4}


def holds(v: Any, lo: Any, hi: Any, lo_strict: bool = False, hi_strict: bool = False) -> bool:
    if lo is not None and (v < lo or (lo_strict and v == lo)):
        return False
    return not (hi is not None and (v > hi or (hi_strict and v == hi)))


# --------------------------------------------------------------------------
# strategies: stacks mixing convolutions, transposed convolutions and upsampling
# --------------------------------------------------------------------------

FIELDS = {
    "conv": (("kernel", [1, 2, 3, 4, 5]), ("stride", [1, 2, 3]), ("dilation", [1, 2])),
    "tconv": (("kernel", [1, 2, 3, 4, 5]), ("stride", [1, 2, 3]), ("dilation", [1, 2])),
    "nearest": (("scale", [1, 2, 3]),),
    "bilinear": (("scale", [1, 2, 3]),),
}


@st.composite
def mixed_templates(draw: Any) -> tuple[list[dict], dict[str, list[int]]]:
    depth = draw(st.integers(1, 3))
    template, doms = [], {}
    for i in range(depth):
        kind = draw(st.sampled_from(["conv", "conv", "tconv", "tconv", "nearest", "bilinear"]))
        lay: dict[str, Any] = {"kind": kind}
        for fld, pool in FIELDS[kind]:
            if draw(st.integers(0, 2)) == 0:
                name = f"{fld[0]}{i}"
                doms[name] = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True))
                lay[fld] = name
            else:
                lay[fld] = draw(st.sampled_from(pool))
        if kind in ("conv", "tconv"):
            lay["padding"] = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
        template.append(lay)
    if not doms:
        lay = template[0]
        fld = FIELDS[lay["kind"]][0][0]
        doms["x0"] = [1, 2, 3]
        lay[fld] = "x0"
    return template, doms


def network(template: list[dict], doms: dict[str, Any], n: Any) -> Network:
    return Network([build(lay, f"l{i}") for i, lay in enumerate(template)], input=n, symbols=doms)


def brute_force(template: list[dict], doms: dict[str, list[int]], n: int | None, check: Any) -> set[tuple]:
    names = list(doms)
    out = set()
    for combo in itertools.product(*(doms[k] for k in names)):
        try:
            state = evaluate(instantiate(template, dict(zip(names, combo))), n)
        except ZeroDivisionError:
            continue
        if state is not None and check(state):
            out.add(combo)
    return out


def reachable(template: list[dict], doms: dict[str, list[int]], n: int | None) -> list[tuple]:
    names = list(doms)
    out = []
    for combo in itertools.product(*(doms[k] for k in names)):
        state = evaluate(instantiate(template, dict(zip(names, combo))), n)
        if state is not None:
            out.append(state)
    return out


class TestHugeDomains:
    """A domain whose minimum is far above any internal search cap still gets the right set."""

    def test_kernel_min_above_the_search_cap(self) -> None:
        """k = { min = 2**63 } (above the old cap of 2**62) with r >= 1: every k from 2**63 on (it
        said "no solution, complete"); a minimum of 10**20 is above the layers' limit of 2**64 on
        parameter values and says so in one line."""
        net = Network([Conv(kernel="k")], symbols={"k": SymbolDomain(min=2**63)})
        res = solve(net, r=">=1")
        assert res.count is None and res.parametric[0].first == 2**63
        assert res.solutions[0] == {"k": 2**63}
        huge = Network([Conv(kernel="k")], symbols={"k": SymbolDomain(min=10**20)})
        with pytest.raises(RfsymError, match="2\\*\\*64") as err:
            solve(huge, r=">=1")
        assert "\n" not in str(err.value)

    def test_repeat_min_5000(self) -> None:
        """A repeat L = { min = 5000 } with r >= 1: every L from 5000 on."""
        net = loads(
            "[symbols]\nL = { min = 5000 }\n[[layers]]\nkind = 'repeat'\ntimes = 'L'\n"
            "layers = [{ kind = 'conv', kernel = 3 }]\n"
        )
        res = solve(net, r=">=1")
        assert res.count is None and res.parametric[0].first == 5000


# --------------------------------------------------------------------------
# regression tests, one per item of issue 11
# --------------------------------------------------------------------------


def seed_r(kernels: list[int], strides: list[int], dilations: list[int]) -> int:
    r, j = 1, 1
    for k, s, d in zip(kernels, strides, dilations):
        r, j = r + d * (k - 1) * j, j * s
    return r


class TestSymbolicRoots:
    def test_dilation_root(self) -> None:
        """d and d**2 dilations: d = sqrt(2R - 5)/2 - 1/2, the root that can be a positive integer."""
        net = Network([Conv(kernel=3), Conv(kernel=3, dilation="d"), Conv(kernel=3, dilation="d**2")])
        res = solve(net, r="R", unknowns=["d"])
        expr = res.symbolic["d"]
        (R,) = expr.free_symbols
        assert sympy.simplify(expr - (sympy.sqrt(2 * R - 5) / 2 - HALF)) == 0
        for Rv in range(1, 300):
            ds = [d for d in range(1, 30) if seed_r([3, 3, 3], [1, 1, 1], [1, d, d * d]) == Rv]
            assert all(c.holds({"R": Rv}) for c in res.conditions) == bool(ds), Rv
            if ds:
                assert ds == [expr.xreplace({R: Rv})]
        assert solve(net, r=15, domains={"d": range(1, 20)}).solutions == [{"d": 2}]

    def test_kernel_equals_dilation(self) -> None:
        """Conv(kernel=k, dilation=k): r = k**2 - k + 1, so k = (1 + sqrt(4R - 3))/2."""
        net = Network([Conv(kernel="k", dilation="k")])
        res = solve(net, r="R", unknowns=["k"])
        expr = res.symbolic["k"]
        (R,) = expr.free_symbols
        for Rv in range(1, 200):
            ks = [k for k in range(1, 30) if k * k - k + 1 == Rv]
            assert all(c.holds({"R": Rv}) for c in res.conditions) == bool(ks), Rv
            if ks:
                assert ks == [expr.xreplace({R: Rv})]

    def test_no_admissible_root(self) -> None:
        """Every root negative: no solution, said so."""
        net = Network([Conv(kernel=3, dilation="d"), Conv(kernel=3, dilation="d")])
        # r = 1 + 4d = R has one root; R = -3 would need d = -1: the domain excludes it
        res = solve(net, r="R", unknowns=["d"])
        assert res.symbolic is not None and not all(c.holds({"R": -3}) for c in res.conditions)

    def test_denominator_condition(self) -> None:
        """L copies of a kernel-k layer, solved for L: L = (R - 1)/(k - 1) needs k != 1; checking at
        k = 1 gives False instead of ZeroDivisionError."""
        net = loads(
            "[symbols]\nL = { min = 1 }\nk = { min = 1 }\n[[layers]]\nkind = 'repeat'\ntimes = 'L'\n"
            "layers = [{ kind = 'conv', kernel = 'k' }]\n"
        )
        res = solve(net, r="R", unknowns=["L"])
        assert any("!= 0" in c.text for c in res.conditions)
        for kv in range(1, 6):
            for Rv in range(1, 40):
                Ls = [L for L in range(1, 60) if 1 + L * (kv - 1) == Rv]
                ok = all(c.holds({"R": Rv, "k": kv}) for c in res.conditions)
                assert ok == (len(Ls) == 1), (kv, Rv)


class TestMonotonicityAndBounds:
    def test_transposed_stride(self) -> None:
        """r = 5 + 4/s after Conv(5), ConvTranspose(5, stride s): r >= 6 holds for s = 1..4 only."""
        net = Network([Conv(kernel=5), ConvTranspose(kernel=5, stride="s")])
        res = solve(net, r=">=6", limit=None)
        assert res.count == 4 and [x["s"] for x in res.solutions] == [1, 2, 3, 4]

    def test_transposed_kernel_validity_from_below(self) -> None:
        """Input 1, padding 3: the output is non-empty from k = 7 on; r <= 20 gives k = 7..20."""
        net = Network([ConvTranspose(kernel="k", padding=3)], input=1)
        res = solve(net, r="<=20", limit=None)
        assert [x["k"] for x in res.solutions] == list(range(7, 21)) and res.complete

    def test_bound_uses_the_most_permissive_padding(self) -> None:
        """k unbounded, p in 0..5, input 10, r <= 100: k <= 10 + 2p, 90 solutions (60 before, with a false k <= 10)."""
        net = Network([Conv(kernel="k", padding="p")], input=10, symbols={"p": SymbolDomain(min=0, max=5)})
        res = solve(net, r="<=100", limit=None)
        want = {(k, p) for p in range(6) for k in range(1, 101) if 10 + 2 * p - k >= 0}
        assert {(s["k"], s["p"]) for s in res.solutions} == want and res.count == 90
        assert any("k <= 20" in note for note in res.notes)

    def test_fractional_targets(self) -> None:
        """r <= 3/2, P >= 2/3 and j = 1/2 are fractions after transposed convolution and upsampling."""
        tconv = Network([ConvTranspose(kernel="k", stride=2)], symbols={"k": SymbolDomain(min=1, max=9)})
        assert [s["k"] for s in solve(tconv, r="<=1.5", limit=None).solutions] == [1, 2]
        assert [s["k"] for s in solve(tconv, r="<3/2", limit=None).solutions] == [1]
        up = Network([Upsample(scale="s")], symbols={"s": SymbolDomain(min=1, max=6)})
        # nearest upsampling by s: P = (s - 1)/s
        assert [s["s"] for s in solve(up, P=">=2/3", limit=None).solutions] == [3, 4, 5, 6]
        assert solve(up, j="1/2").solutions == [{"s": 2}]
        assert solve(up, j=0.5).solutions == [{"s": 2}]

    def test_seed_convention_negative_padding(self) -> None:
        """The seed convention's P can be -1 (pL = floor(-1/2)): P = -1 is a target like any other."""
        net = Network([Conv(kernel="k", stride=2)], input=4, symbols={"k": SymbolDomain(min=1, max=3)})
        res = solve(net, P=-1, convention="seed", limit=None)
        want = [k for k in (1, 2, 3) if net.subs({"k": k}).table(convention="seed").rows[-1].states[0].P == -1]
        assert [s["k"] for s in res.solutions] == want == [1, 3]

    def test_nearest_scores_every_solution(self) -> None:
        """r = 98 is out of reach on a 5-layer template: the nearest values are 97 and 99, found
        among all solutions of the widened target, not the first few listed."""
        layers = [Conv(kernel=f"k{i}", stride=f"s{i}") for i in range(5)]
        doms = {f"k{i}": SymbolDomain(choices=(1, 3, 5, 7)) for i in range(5)}
        doms.update({f"s{i}": SymbolDomain(choices=(1, 2)) for i in range(5)})
        net = Network(layers, symbols=doms)
        rs = set()
        for combo in itertools.product([(k, s) for k in (1, 3, 5, 7) for s in (1, 2)], repeat=5):
            rs.add(seed_r([k for k, _ in combo], [s for _, s in combo], [1] * 5))
        for v in (98, 20, 2):
            res = solve(net, r=v, nearest=5)
            if v in rs:
                continue
            best = min(abs(x - v) for x in rs)
            assert sorted(nb.values["r"] for nb in res.nearest) == sorted(x for x in rs if abs(x - v) == best)


class TestBombs:
    def test_three_unbounded_kernels(self) -> None:
        """r <= 10**6 bounds each kernel by 10**6: refused in well under a second, count or not."""
        net = Network([Conv(kernel="a"), Conv(kernel="b"), Conv(kernel="c")])
        for count in (True, False):
            t = time.perf_counter()
            with pytest.raises(RfsymError, match="above the limit"):
                solve(net, r="<=1000000", count=count)
            assert time.perf_counter() - t < 5

    def test_huge_padding_power(self) -> None:
        """padding (p+1)**4000: refused in one line before any work (sympy would expand it)."""
        t = time.perf_counter()
        with pytest.raises(RfsymError, match="exponent") as err:
            net = Network(
                [Conv(kernel="k", padding="(p+1)**4000")],
                input=10,
                symbols={"k": SymbolDomain(min=1, max=3), "p": SymbolDomain(min=0, max=3)},
            )
            solve(net, r="<=2", limit=None)
        assert "\n" not in str(err.value) and time.perf_counter() - t < 5
        ok = Network(
            [Conv(kernel="k", padding="(p+1)**3")],
            input=10,
            symbols={"k": SymbolDomain(min=1, max=3), "p": SymbolDomain(min=0, max=3)},
        )
        res = solve(ok, r="<=2", limit=None)
        assert {(s["k"], s["p"]) for s in res.solutions} == {(k, p) for k in (1, 2) for p in range(4)}

    def test_huge_limit(self) -> None:
        """limit above the listing limit is refused before any work (it preallocated)."""
        net = Network([Conv(kernel="k")], symbols={"k": SymbolDomain(min=1, max=3)})
        with pytest.raises(RfsymError, match="listing limit"):
            solve(net, r="<=100", limit=10**12)
        big = Network([Conv(kernel="k")], symbols={"k": SymbolDomain(min=1)})
        with pytest.raises(RfsymError, match="listing limit"):
            solve(big, r="<=100000000000", limit=None)

    def test_cli_huge_limit(self, tmp_path: Path) -> None:
        p = tmp_path / "net.toml"
        p.write_text("[symbols]\nk = { min = 1, max = 3 }\n[[layers]]\nkind = 'conv'\nkernel = 'k'\n")
        out = cli(str(p), "--target", "r<=100", "--limit", str(10**12))
        assert out.returncode == 2 and out.stderr.count("\n") == 1 and "listing limit" in out.stderr


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rfsym", "solve", *args], capture_output=True, text=True, cwd=ROOT)


class TestBadInput:
    SPEC = "[symbols]\nk = { min = 1, max = 9 }\n[[layers]]\nname = 'c1'\nkind = 'conv'\nkernel = 'k'\n"

    def test_cli_target_is_not_a_new_symbol(self, tmp_path: Path) -> None:
        """--target r=abc: an error naming the target (abc is not a symbol of the spec)."""
        p = tmp_path / "net.toml"
        p.write_text(self.SPEC)
        out = cli(str(p), "--target", "r=abc")
        assert out.returncode == 2 and "target r" in out.stderr and "abc" in out.stderr
        assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
        ok = cli(str(p), "--target", "r=R", "--unknown", "k", "--format", "json")  # symbolic solve asked for
        assert ok.returncode == 0, ok.stderr
        assert json.loads(ok.stdout)["symbolic"] == {"k": "R"}

    @pytest.mark.parametrize(
        "kwargs,msg",
        [
            ({"r": float("nan")}, "not a number"),
            ({"r": float("inf")}, "not a number"),
            ({"r": [1, 2, 3]}, "target r"),
            ({"r": {}}, "target r"),
            ({"r": 5, "unknowns": 5}, "unknowns"),
            ({"r": 5, "unknowns": [sympy.Symbol("k")]}, "unknowns"),
            ({"r": 5, "given": [1]}, "given"),
            ({"r": 5, "axis": "0"}, "axis"),
            ({"r": 5, "axis": 3}, "axis 3"),
            ({"r": 5, "limit": 1.5}, "limit"),
            ({"r": 5, "count": "yes"}, "count"),
            ({"r": 5, "exact": 1}, "exact"),
            ({"r": 5, "nearest": -1}, "nearest"),
            ({"r": 5, "minimize": 3}, "minimize"),
            ({"r": 5, "at": 3}, "at must"),
            ({"targets": 5}, "targets"),
            ({"r": 5, "domains": {"k": "abc"}}, "domain"),
        ],
    )
    def test_wrong_types_raise_rfsym_error(self, kwargs: dict, msg: str) -> None:
        net = loads(self.SPEC)
        with pytest.raises(RfsymError, match=msg):
            solve(net, **kwargs)


class TestSumOfKernelAreas:
    def test_transposed_kernels_count(self) -> None:
        """minimize='sum_k2' weighs a transposed convolution's kernel like a convolution's (it was 0)."""
        net = Network(
            [ConvTranspose(kernel="a", stride=2, name="up"), Conv(kernel="b", name="c")],
            symbols={"a": SymbolDomain(min=1, max=6), "b": SymbolDomain(min=1, max=6)},
        )
        res = solve(net, r=4, minimize="sum_k2", limit=None)
        sols = [
            (a, b)
            for a in range(1, 7)
            for b in range(1, 7)
            if evaluate([{"kind": "tconv", "kernel": a, "stride": 2}, {"kind": "conv", "kernel": b}], 64)[2] == 4
        ]
        best = min(a * a + b * b for a, b in sols)
        assert res.optimum == best
        assert {(s["a"], s["b"]) for s in res.solutions} == {(a, b) for a, b in sols if a * a + b * b == best}

    def test_two_dimensional_transposed(self) -> None:
        """2-D: the kernel area is the product over the axes."""
        net = Network(
            [ConvTranspose(kernel=["a", 3], stride=1)],
            symbols={"a": SymbolDomain(min=1, max=4)},
            input=[8, 8],
        )
        res = solve(net, r=3, minimize="sum_k2")
        assert res.solutions == [{"a": 3}] and res.optimum == 9


def test_json_listing_is_exact(tmp_path: Path) -> None:
    """The CLI's JSON listing is the API's listing (same solutions, same order, integers)."""
    p = tmp_path / "t.toml"
    lines = ["[symbols]"]
    for i in range(3):
        lines += [f"k{i} = {{ choices = [1, 3, 5] }}", f"s{i} = {{ choices = [1, 2] }}"]
    for i in range(3):
        lines += ["[[layers]]", f"name = 'c{i}'", "kind = 'conv'", f"kernel = 'k{i}'", f"stride = 's{i}'"]
    p.write_text("\n".join(lines) + "\n")
    out = cli(str(p), "--target", "r=9", "--format", "json", "--limit", "100000")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    res = solve(loads(p.read_text()), r=9, limit=100000)
    assert data["solutions"] == res.solutions and data["count"] == res.count
    assert all(isinstance(v, int) for s in data["solutions"] for v in s.values())


def test_nearest_at_the_open_end_of_a_strict_target() -> None:
    """r > 3/2 with r in {1, 3/2} reachable: r = 3/2 is the closest value (distance 0, the
    infimum), ahead of r = 1 (distance 1/2); the boundary used to count as distance 1."""
    net = Network([ConvTranspose(kernel="k", stride=2)], symbols={"k": SymbolDomain(choices=(1, 2))})
    res = solve(net, r=">3/2", nearest=2)
    assert res.count == 0
    assert [(nb.values["r"], nb.assignment["k"], nb.distance) for nb in res.nearest] == [
        (Fraction(3, 2), 2, 0),
        (1, 1, Fraction(1, 2)),
    ]


def test_too_many_combinations_refused_before_building_them() -> None:
    """k in 1..10**9 with a stride s shared by two layers: the 3 * 10**9 combinations of the first
    layer are refused in one line before any is built (they were built first: MemoryError)."""
    net = loads(
        "[symbols]\nk = { min = 1, max = 1000000000 }\ns = { min = 1, max = 3 }\n"
        "[[layers]]\nname = 'a'\nkind = 'conv'\nkernel = 'k'\nstride = 's'\n"
        "[[layers]]\nname = 'b'\nkind = 'conv'\nkernel = 3\nstride = 's'\n"
    )
    t = time.process_time()
    with pytest.raises(RfsymError, match="3000000000 combinations of k") as err:
        solve(net, r="<=1000000000000")
    assert "\n" not in str(err.value) and time.process_time() - t < 5


def test_bound_search_past_the_parameter_limit() -> None:
    """An unbounded dilation next to a finite kernel, with a target j <= 1 that does not bound it:
    the bound search used to build a layer beyond the limit of 2**64 and fail with that layer's
    message; the values beyond the limit are no solutions, and the answer names the unknown."""
    net = loads(
        "input = 3\n[symbols]\ne = { min = 2, max = 2 }\nd = { min = 1 }\n"
        "[[layers]]\nname = 'l0'\nkind = 'conv'\nkernel = '2*e + 1'\ndilation = 'd'\npadding = 'same'\n"
    )
    with pytest.raises(RfsymError, match="combinations of e .*d \\(integers in \\[1, 4611686018427387903\\]\\)"):
        solve(net, j="<=1")
    small = loads(
        "input = 3\n[symbols]\ne = { min = 2, max = 2 }\nd = { min = 1 }\n"
        "[[layers]]\nname = 'l0'\nkind = 'conv'\nkernel = '2*e + 1'\ndilation = 'd'\npadding = 'same'\n"
    )
    res = solve(small, r="<=13", limit=None)  # r = 4d + 1
    assert [s["d"] for s in res.solutions] == [1, 2, 3]
