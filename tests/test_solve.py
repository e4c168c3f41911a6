"""rfsym.solve against brute-force enumeration (pixel-set oracle and the seed loop)."""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import count_windows, oracle

from rfsym import Conv, Network, Pool, RfsymError, SolveResult, loads, solve
from rfsym.solver import Progression, parse_target_string
from rfsym.values import SymbolDomain

ROOT = Path(__file__).resolve().parent.parent
QKEY = {"n": "n", "j": "j", "r": "r", "start": "start", "effective_padding": "P"}


# --------------------------------------------------------------------------
# brute force: every assignment, evaluated by the pixel-set oracle
# --------------------------------------------------------------------------


def instantiate(template: list[dict], values: dict[str, int]) -> list[dict]:
    out = []
    for lay in template:
        d = {k: (values[v] if isinstance(v, str) and v in values else v) for k, v in lay.items()}
        out.append(d)
    return out


def oracle_rows(layers: list[dict], n: int) -> list[dict] | None:
    """Per-layer values, or None when some layer's output is empty."""
    size = n
    for lay in layers:
        size = count_windows(lay, size)
        if size < 1:
            return None
    return oracle(layers, n)


def no_pixel_dropped(layers: list[dict], n: int) -> bool:
    """Every layer loses an output when its last input feature is removed (oracle window counts)."""
    size = n
    for lay in layers:
        if not count_windows(lay, size) > count_windows(lay, size - 1):
            return False
        size = count_windows(lay, size)
    return True


def brute(template: list[dict], doms: dict[str, list[int]], n: int, check: Any, exact: bool = False) -> set[tuple]:
    names = list(doms)
    out = set()
    for combo in itertools.product(*(doms[k] for k in names)):
        vals = dict(zip(names, combo))
        layers = instantiate(template, vals)
        rows = oracle_rows(layers, n)
        if rows is None or not check(rows):
            continue
        if exact and not no_pixel_dropped(layers, n):
            continue
        out.add(combo)
    return out


def network(template: list[dict], doms: dict[str, list[int]], n: Any) -> Network:
    layers = []
    for i, p in enumerate(template):
        cls = Conv if p["kind"] == "conv" else Pool
        kw = dict(kernel=p["kernel"], stride=p["stride"], dilation=p["dilation"], padding=p["padding"])
        if cls is Pool:
            kw["ceil_mode"] = p.get("ceil_mode", False)
        pad = kw["padding"]
        kw["padding"] = list(pad) if isinstance(pad, tuple) else pad
        layers.append(cls(name=f"l{i}", **kw))
    return Network(layers, input=n, symbols={k: SymbolDomain(choices=tuple(v)) for k, v in doms.items()})


@st.composite
def templates(draw: Any) -> tuple[list[dict], dict[str, list[int]]]:
    depth = draw(st.integers(1, 3))
    template, doms = [], {}
    for i in range(depth):
        kind = draw(st.sampled_from(["conv", "conv", "pool"]))
        p: dict[str, Any] = {"kind": kind}
        for field, pool in (("kernel", [1, 2, 3, 4, 5]), ("stride", [1, 2, 3]), ("dilation", [1, 2])):
            if draw(st.integers(0, 2)) > 0 or field == "dilation" and draw(st.booleans()):
                same_kind = [nm for nm in doms if nm[0] == field[0]]
                if same_kind and draw(st.integers(0, 3)) == 0:
                    p[field] = draw(st.sampled_from(same_kind))  # one symbol shared by several layers
                    continue
                name = f"{field[0]}{i}"
                doms[name] = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True))
                p[field] = name
            else:
                p[field] = draw(st.sampled_from(pool))
        p["padding"] = draw(
            st.one_of(st.tuples(st.integers(0, 2), st.integers(0, 2)), st.sampled_from(["same", "valid"]))
        )
        p["ceil_mode"] = kind == "pool" and draw(st.booleans())
        template.append(p)
    if not doms:
        doms["k0"] = [1, 3]
        template[0]["kernel"] = "k0"
    return template, doms


def solution_set(res: SolveResult, names: list[str]) -> set[tuple]:
    assert res.complete, "the listing must be complete here"
    return {tuple(s[k] for k in names) for s in res.solutions}


class TestFiniteDomainsAgainstBruteForce:
    """The dynamic programme returns exactly the brute-force solution set."""

    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(templates(), st.integers(3, 30), st.data())
    def test_random_targets(self, tpl: Any, n: int, data: Any) -> None:
        """Random stacks, random targets (equalities, inequalities, ranges) at the output or a layer."""
        template, doms = tpl
        names = list(doms)
        # values that some assignment reaches, so that targets are often satisfiable
        reach = []
        for combo in itertools.product(*(doms[k] for k in names)):
            rows = oracle_rows(instantiate(template, dict(zip(names, combo))), n)
            if rows is not None:
                reach.append(rows)
        targets: dict[str, Any] = {}
        checks = []
        for _ in range(data.draw(st.integers(1, 2))):
            q = data.draw(st.sampled_from(["n", "j", "r", "start", "effective_padding"]))
            pos = data.draw(st.integers(0, len(template) - 1))
            at = None if pos == len(template) - 1 and data.draw(st.booleans()) else f"l{pos}"
            v = data.draw(st.sampled_from(reach))[pos][QKEY[q]] if reach else 1
            op = data.draw(st.sampled_from(["==", ">=", "<=", "range"]))
            if q in ("n", "j", "r") and op == "==" and data.draw(st.booleans()):
                v = v + data.draw(st.integers(-2, 2))
                v = max(v, 1)
            if q == "effective_padding":
                v = max(v, 0)
            key = f"{at}.{q}" if at else q
            if key in targets:
                continue
            if op == "==":
                spec = v
                ok = lambda x, v=v: x == v  # noqa: E731
            elif op == "range":
                hi = v + data.draw(st.integers(0, 4))
                spec = (v, hi)
                ok = lambda x, v=v, hi=hi: v <= x <= hi  # noqa: E731
            else:
                spec = (op, v)
                ok = (lambda x, v=v: x >= v) if op == ">=" else (lambda x, v=v: x <= v)  # noqa: E731
            targets[key] = spec
            checks.append((pos, QKEY[q], ok))

        def check(rows: list[dict]) -> bool:
            return all(ok(rows[pos][key]) for pos, key, ok in checks)

        want = brute(template, doms, n, check)
        res = solve(network(template, doms, n), targets, limit=None)
        assert res.count == len(want)
        assert solution_set(res, names) == want
        counted = solve(network(template, doms, n), targets, count=True)
        assert counted.count == len(want) and counted.solutions == []

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(templates(), st.integers(3, 30))
    def test_minimize_sum_k2_and_ties(self, tpl: Any, n: int) -> None:
        """The optimum of sum of k^2 over convolutions and its number of ties match brute force."""
        template, doms = tpl
        names = list(doms)
        sols = brute(template, doms, n, lambda rows: True)
        res = solve(network(template, doms, n), minimize="sum_k2", limit=None)
        if not sols:
            assert res.count == 0 and res.ties == 0
            return

        def cost(combo: tuple) -> int:
            layers = instantiate(template, dict(zip(names, combo)))
            return sum(lay["kernel"] ** 2 for lay in layers if lay["kind"] == "conv")

        best = min(cost(c) for c in sols)
        optimal = {c for c in sols if cost(c) == best}
        assert res.optimum == best
        assert res.ties == len(optimal)
        assert solution_set(res, names) == optimal

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(templates(), st.integers(3, 40))
    def test_exact_divisions(self, tpl: Any, n: int) -> None:
        """exact=True keeps the assignments for which no layer drops an input feature."""
        template, doms = tpl
        names = list(doms)
        want = brute(template, doms, n, lambda rows: True, exact=True)
        res = solve(network(template, doms, n), exact=True, limit=None)
        assert solution_set(res, names) == want


def test_limit_lists_a_prefix_and_counts_all() -> None:
    """limit=N lists N solutions, the count stays exact and complete is False."""
    net = template_net(4)
    full = solve(net, r=29, j=4, limit=None)
    part = solve(net, r=29, j=4, limit=5)
    assert part.count == full.count == len(full.solutions) > 5
    assert len(part.solutions) == 5 and not part.complete
    assert all(s in full.solutions for s in part.solutions)


# --------------------------------------------------------------------------
# the template: k_i in {1,3,5,7}, s_i in {1,2}, against the seed loop
# --------------------------------------------------------------------------


def template_net(depth: int) -> Network:
    layers = [Conv(kernel=f"k{i}", stride=f"s{i}", name=f"c{i}") for i in range(1, depth + 1)]
    doms = {}
    for i in range(1, depth + 1):
        doms[f"k{i}"] = SymbolDomain(choices=(1, 3, 5, 7))
        doms[f"s{i}"] = SymbolDomain(choices=(1, 2))
    return Network(layers, symbols=doms, name=f"template{depth}")


def seed_loop(ks: tuple, ss: tuple) -> tuple[int, int]:
    """(j, r) from the seed blog program's outFromIn, layer by layer."""
    n, j, r, start = 10**6, 1, 1, 0.5
    for k, s in zip(ks, ss):
        n_out = math.floor((n - k) / s) + 1
        actual = (n_out - 1) * s - n + k
        pl = math.floor(actual / 2)
        n, j, r, start = n_out, j * s, r + (k - 1) * j, start + ((k - 1) / 2 - pl) * j
    return j, r


@pytest.mark.parametrize("depth,r,j", [(3, 15, 4), (4, 29, 4), (5, 41, 8)])
def test_template_against_seed_loop(depth: int, r: int, j: int) -> None:
    """All (k_i, s_i) with the wanted r and j, as the seed loop finds them."""
    want = set()
    for ks in itertools.product((1, 3, 5, 7), repeat=depth):
        for ss in itertools.product((1, 2), repeat=depth):
            if seed_loop(ks, ss) == (j, r):
                want.add(ks + ss)
    res = solve(template_net(depth), r=r, j=j, limit=None)
    names = [f"k{i}" for i in range(1, depth + 1)] + [f"s{i}" for i in range(1, depth + 1)]
    assert {tuple(s[k] for k in names) for s in res.solutions} == want
    assert res.count == len(want) > 0


def test_twenty_layers_count_is_consistent() -> None:
    """20 layers (~10^18 configurations): the count equals the sum of counts split by the first layer."""
    net = template_net(20)
    total = solve(net, r=99, j=16, count=True).count
    parts = sum(
        solve(net, r=99, j=16, count=True, given={"k1": k, "s1": s}).count for k in (1, 3, 5, 7) for s in (1, 2)
    )
    assert total == parts > 10**9


# --------------------------------------------------------------------------
# infinite sets: one unbounded unknown
# --------------------------------------------------------------------------


def direct_r(net: Network, values: dict[str, int]) -> int:
    return net.subs(values).table(input=10**6).rows[-1].states[0].r


class TestParametric:
    def test_kernel_inequality_gives_progression(self) -> None:
        """r >= 100 with an odd kernel k >= 3 and no max: k = 2t + 1 from some t on."""
        net = Network(
            [Conv(kernel="k", name="c1"), Conv(kernel=3, stride=2, name="c2")],
            symbols={"k": SymbolDomain(min=3, odd=True)},
        )
        res = solve(net, r=">=100")
        assert res.count is None and len(res.parametric) == 1
        p = res.parametric[0]
        assert (p.step, p.offset % 2) == (2, 1)
        for k in range(3, 400, 2):
            assert (k in p) == (direct_r(net, {"k": k}) >= 100)
        assert "2t + 1" in p.describe()

    def test_depth_for_r_at_least_100(self) -> None:
        """How many 3x3 layers give r >= 100: L >= 50, an infinite set L = t, t >= 50."""
        net = loads(
            """
            [symbols]
            L = { min = 1 }
            [[layers]]
            kind = "repeat"
            times = "L"
            layers = [{ kind = "conv", kernel = 3, padding = 1 }]
            """
        )
        res = solve(net, r=">=100")
        assert res.count is None
        first = next(L for L in range(1, 200) if direct_r(net, {"L": L}) >= 100)
        assert res.parametric[0].first == first == 50
        assert res.solutions[0] == {"L": 50}

    def test_upper_bound_gives_finite_interval(self) -> None:
        """r <= 20 with k >= 1 unbounded: a finite list, checked one by one."""
        net = Network([Conv(kernel="k", name="c1"), Conv(kernel=3, stride=2, name="c2")])
        res = solve(net, r=(10, 20), limit=None)
        want = [k for k in range(1, 100) if 10 <= direct_r(net, {"k": k}) <= 20]
        assert [s["k"] for s in res.solutions] == want and res.count == len(want)

    def test_validity_bounds_the_kernel(self) -> None:
        """With an input of 20, r >= 5 holds for every k >= 3 but the layers empty out for large k."""
        net = Network([Conv(kernel="k", name="c1"), Conv(kernel=3, stride=2, name="c2")], input=20)
        res = solve(net, r=">=5", limit=None)
        want = []
        for k in range(1, 60):
            try:
                st = net.subs({"k": k}).table().rows[-1].states[0]
            except RfsymError:
                continue
            if st.r >= 5:
                want.append(k)
        assert [s["k"] for s in res.solutions] == want


class TestInputSizes:
    NET = """
    input = "N"
    [symbols]
    N = { min = 1 }
    [[layers]]
    name = "conv1"
    kind = "conv"
    kernel = 7
    stride = 2
    padding = 3
    [[layers]]
    name = "pool1"
    kind = "pool"
    kernel = 3
    stride = 2
    padding = 1
    [[layers]]
    name = "conv2"
    kind = "conv"
    kernel = 3
    stride = 2
    """

    @staticmethod
    def layers() -> list[dict]:
        return [
            {"kernel": 7, "stride": 2, "padding": (3, 3)},
            {"kernel": 3, "stride": 2, "padding": (1, 1)},
            {"kernel": 3, "stride": 2, "padding": (0, 0)},
        ]

    def sizes(self, N: int) -> int | None:
        size = N
        for lay in self.layers():
            size = count_windows(lay, size)
            if size < 1:
                return None
        return size

    def test_output_size(self) -> None:
        """Every N whose output has 7 features, against window counting."""
        res = solve(loads(self.NET), n=7, limit=None)
        want = [N for N in range(1, 400) if self.sizes(N) == 7]
        assert [s["N"] for s in res.solutions] == want and res.count == len(want)

    def test_no_pixel_dropped_is_a_progression(self) -> None:
        """exact=True alone: N ≡ c (mod 8) from some N on, the same set as brute force up to 600."""
        res = solve(loads(self.NET), exact=True)
        assert res.count is None and res.parametric
        assert {p.step for p in res.parametric} == {8}
        for N in range(1, 600):
            ok = self.sizes(N) is not None and no_pixel_dropped(self.layers(), N)
            assert any(N in p for p in res.parametric) == ok, N

    def test_output_size_without_dropping(self) -> None:
        """7 output features and no pixel dropped: a finite list."""
        res = solve(loads(self.NET), n=7, exact=True, limit=None)
        want = [N for N in range(1, 400) if self.sizes(N) == 7 and no_pixel_dropped(self.layers(), N)]
        assert [s["N"] for s in res.solutions] == want and len(want) >= 1


class TestSymbolic:
    NET = """
    [symbols]
    k = { min = 1 }
    L = { min = 1 }
    [[layers]]
    kind = "repeat"
    times = "L"
    layers = [{ kind = "conv", kernel = "k", stride = 2 }]
    """

    def test_kernel_from_symbolic_r(self) -> None:
        """k = 1 + (R - 1)/(2**L - 1), an integer exactly when (2**L - 1) divides (R - 1);
        checked against the seed loop for L <= 5, R < 120."""
        import sympy

        net = loads(self.NET)
        res = solve(net, r="R", unknowns=["k"])
        expr = res.symbolic["k"]
        by_name = {s.name: s for s in expr.free_symbols}
        R, L = by_name["R"], by_name["L"]
        assert sympy.simplify(expr - (1 + (R - 1) / (2**L - 1))) == 0
        integral = res.conditions[0]
        for Lv in range(1, 6):
            for Rv in range(1, 120):
                ks = [k for k in range(1, 200) if seed_loop((k,) * Lv, (2,) * Lv)[1] == Rv]
                holds = all(c.holds({"R": Rv, "L": Lv}) for c in res.conditions)
                assert holds == bool(ks), (Lv, Rv)
                assert integral.holds({"R": Rv, "L": Lv}) == ((Rv - 1) % (2**Lv - 1) == 0)
                if ks:
                    assert ks == [expr.xreplace({R: Rv, L: Lv})]
        numeric = solve(net, r=225, given={"L": 3}, domains={"k": range(1, 200)})
        assert numeric.solutions == [{"k": 33}]

    def test_depth_from_symbolic_r(self) -> None:
        """L 3x3 layers: L = (R - 1)/2 when 2 divides (R - 1) and L >= 1, against the seed loop."""
        net = loads(
            """
            [symbols]
            L = { min = 1 }
            [[layers]]
            name = "block"
            kind = "repeat"
            times = "L"
            layers = [{ kind = "conv", kernel = 3, padding = 1 }]
            """
        )
        res = solve(net, r="R", unknowns=["L"])
        expr = res.symbolic["L"]
        (R,) = expr.free_symbols
        assert any("2 divides" in c.text for c in res.conditions)
        for Rv in range(1, 200):
            Ls = [L for L in range(1, 120) if seed_loop((3,) * L, (1,) * L)[1] == Rv]
            assert all(c.holds({"R": Rv}) for c in res.conditions) == bool(Ls), Rv
            if Ls:
                assert Ls == [expr.xreplace({R: Rv})]


class TestNearestAndErrors:
    def test_nearest_values(self) -> None:
        """No odd kernel gives r = 10: the nearest achievable r are 9 and 11, with their kernels."""
        net = Network(
            [Conv(kernel="k", name="c1"), Conv(kernel=3, stride=2, name="c2")],
            symbols={"k": SymbolDomain(min=1, max=51, odd=True)},
        )
        res = solve(net, r=10)
        assert res.count == 0 and not res
        got = {(nb.values["r"], nb.assignment["k"]) for nb in res.nearest}
        assert got == {(9, 7), (11, 9)}
        assert "no solution" in res.to_text()

    @pytest.mark.parametrize(
        "text,msg",
        [
            ("q=3", "unknown quantity"),
            ("r=0", "r = 0 is impossible"),
            ("j<=0", "j cannot be"),
            ("r=5..3", "min > max"),
            ("n=2.5", "integer"),
        ],
    )
    def test_bad_target_strings(self, text: str, msg: str) -> None:
        """Bad targets raise RfsymError with a message naming the problem."""
        with pytest.raises(RfsymError, match=msg):
            parse_target_string(text)

    def test_contradictory_targets(self) -> None:
        with pytest.raises(RfsymError, match="contradictory"):
            solve(template_net(2), targets=["r>=10", "r<=5"])

    def test_domain_min_above_max(self) -> None:
        """A domain with min > max is refused, in a SymbolDomain and as an override range."""
        with pytest.raises(RfsymError, match="min must be <= max"):
            SymbolDomain(min=5, max=3)
        with pytest.raises(RfsymError, match="empty range"):
            solve(template_net(2), r=5, domains={"k1": range(5, 3)})


# --------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rfsym", "solve", *args], capture_output=True, text=True, cwd=ROOT)


SPEC = """
name = "one-kernel"
[symbols]
k = { min = 1, max = 301, odd = true }
[[layers]]
name = "c1"
kind = "conv"
kernel = "k"
[[layers]]
name = "c2"
kind = "conv"
kernel = 3
stride = 2
"""


class TestCli:
    @pytest.fixture()
    def spec(self, tmp_path: Path) -> str:
        p = tmp_path / "net.toml"
        p.write_text(SPEC)
        return str(p)

    def test_json(self, spec: str) -> None:
        """--format json: {"solutions": [...], "count": ...} with exact integers."""
        out = cli(spec, "--target", "r>=100", "--target", "r<120", "--format", "json")
        assert out.returncode == 0, out.stderr
        data = json.loads(out.stdout)
        assert data["count"] == 10 and data["solutions"][0] == {"k": 99}
        assert out.stderr == ""

    def test_named_layer_and_count(self, spec: str) -> None:
        out = cli(spec, "--target", "c1.r=9", "--count")
        assert out.returncode == 0 and "1 solution" in out.stdout

    @pytest.mark.parametrize(
        "target,msg",
        [("q=3", "unknown quantity 'q'"), ("r=0", "r = 0 is impossible"), ("r=5", None)],
    )
    def test_bad_targets_exit_2(self, spec: str, target: str, msg: str | None) -> None:
        """Unknown quantity, r = 0 and contradictory targets: exit 2 and one clear line on stderr."""
        args = ["--target", target] if msg else ["--target", "r=5", "--target", "r=7"]
        out = cli(spec, *args)
        assert out.returncode == 2
        assert (msg or "contradictory targets") in out.stderr
        assert out.stdout == ""

    def test_domain_min_above_max_exit_2(self, tmp_path: Path) -> None:
        p = tmp_path / "bad.toml"
        p.write_text(SPEC.replace("max = 301", "max = 0"))
        out = cli(str(p), "--target", "r=9")
        assert out.returncode == 2 and "min" in out.stderr and "max" in out.stderr

    def test_no_target(self, spec: str) -> None:
        out = cli(spec)
        assert out.returncode == 2 and "--target" in out.stderr


def test_progression_membership() -> None:
    p = Progression("N", 16, 3, 2)
    assert 35 in p and 51 in p and 19 not in p and 36 not in p
    assert p.values(3) == [35, 51, 67]
    assert p.to_dict()["residue"] == 3


def test_result_to_dict_roundtrips_json() -> None:
    res = solve(template_net(3), r=15, j=4, minimize="depth")
    data = json.loads(json.dumps(res.to_dict()))
    assert data["count"] == res.count and data["ties"] == res.ties and data["minimize"] == "depth"
    assert Fraction(1, 2)  # keep Fraction import used


# --------------------------------------------------------------------------
# one unbounded unknown and input sizes, against the oracle
# --------------------------------------------------------------------------


@st.composite
def numeric_stacks(draw: Any, max_layers: int = 3) -> list[dict]:
    out = []
    for _ in range(draw(st.integers(1, max_layers))):
        kind = draw(st.sampled_from(["conv", "conv", "pool"]))
        out.append(
            {
                "kind": kind,
                "kernel": draw(st.integers(1, 4)),
                "stride": draw(st.integers(1, 3)),
                "dilation": draw(st.integers(1, 2)),
                "padding": draw(st.one_of(st.tuples(st.integers(0, 2), st.integers(0, 2)), st.just("same"))),
                "ceil_mode": kind == "pool" and draw(st.booleans()),
            }
        )
    return out


class TestUnboundedAgainstOracle:
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(numeric_stacks(), st.data())
    def test_one_unbounded_unknown(self, stack: list[dict], data: Any) -> None:
        """x (a kernel, stride or dilation, min m, maybe odd, no max): the answer matches the oracle for x <= 60."""
        pos = data.draw(st.integers(0, len(stack) - 1))
        field = data.draw(st.sampled_from(["kernel", "stride", "dilation"]))
        m = data.draw(st.integers(1, 3))
        odd = data.draw(st.booleans())
        n = data.draw(st.one_of(st.none(), st.integers(20, 60)))
        template = [dict(p) for p in stack]
        template[pos][field] = "x"
        xs = [x for x in range(m, 61) if not odd or x % 2]
        size = 10**4 if n is None else n
        rows = {x: oracle_rows(instantiate(template, {"x": x}), size) for x in xs}
        reach = [r for r in rows.values() if r is not None]
        q = data.draw(st.sampled_from(["r", "j"]))
        v = data.draw(st.sampled_from(reach))[-1][q] if reach else 1
        op = data.draw(st.sampled_from(["==", ">=", "<=", "range"]))
        spec: Any = v if op == "==" else ((v, v + data.draw(st.integers(0, 9))) if op == "range" else (op, v))
        lo = v if op in ("==", ">=", "range") else None
        hi = v if op in ("==", "<=") else (spec[1] if op == "range" else None)
        want = {
            x
            for x, r in rows.items()
            if r is not None and (lo is None or r[-1][q] >= lo) and (hi is None or r[-1][q] <= hi)
        }
        net = network(template, {}, n)
        net = Network(net.layers, input=n, symbols={"x": SymbolDomain(min=m, odd=odd)})
        res = solve(net, **{q: spec}, limit=None)
        if res.count is None:
            got = {x for x in xs if any(x in p for p in res.parametric)}
        else:
            got = {s["x"] for s in res.solutions if s["x"] <= 60}
        assert got == want

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(numeric_stacks(), st.data())
    def test_input_sizes(self, stack: list[dict], data: Any) -> None:
        """Input size N as the unknown: n targets and exact divisions match window counting for N <= 300."""
        exact = data.draw(st.booleans())
        sizes = {}
        for N in range(1, 301):
            size, ok = N, True
            for lay in stack:
                size = count_windows(lay, size)
                if size < 1:
                    ok = False
                    break
            if ok:
                sizes[N] = size
        target: dict[str, Any] = {}
        if sizes and data.draw(st.booleans()):
            v = data.draw(st.sampled_from(sorted(set(sizes.values()))[:6]))
            target["n"] = v if data.draw(st.booleans()) else (v, v + 2)
        lo, hi = (target["n"], target["n"]) if isinstance(target.get("n"), int) else target.get("n", (None, None))
        want = {
            N for N, nn in sizes.items() if (lo is None or lo <= nn <= hi) and (not exact or no_pixel_dropped(stack, N))
        }
        net = network(stack, {}, "N")
        net = Network(net.layers, input="N", symbols={"N": SymbolDomain(min=1)})
        res = solve(net, **target, exact=exact, limit=None)
        if res.count is None:
            got = {N for N in range(1, 301) if any(N in p for p in res.parametric)}
        else:
            got = {s["N"] for s in res.solutions if s["N"] <= 300}
        assert got == want


def test_named_layer_inside_repeat() -> None:
    """A target at 'conv.3' exists only for L >= 3; the answer is every L with that layer's r."""
    net = loads(
        """
        [symbols]
        L = { min = 1, max = 6 }
        [[layers]]
        name = "block"
        kind = "repeat"
        times = "L"
        layers = [{ name = "conv", kind = "conv", kernel = 3, stride = 2 }]
        """
    )
    assert [s["L"] for s in solve(net, targets={"conv.3.r": 15}).solutions] == [3, 4, 5, 6]
    with pytest.raises(RfsymError, match="no layer named 'conv.9'"):
        solve(net, targets={"conv.9.r": 15})


class TestSympyPath:
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(numeric_stacks(), st.data())
    def test_unbounded_padding(self, stack: list[dict], data: Any) -> None:
        """An unbounded left padding p with targets on start or P: sympy on the closed form, checked by the oracle."""
        stack = [dict(lay, padding=(0, 0) if lay["padding"] == "same" else lay["padding"]) for lay in stack]
        pos = data.draw(st.integers(0, len(stack) - 1))
        template = [dict(p) for p in stack]
        template[pos]["padding"] = ("p", template[pos]["padding"][1])
        n = data.draw(st.one_of(st.none(), st.integers(20, 60)))
        ps = list(range(0, 41))
        size = 10**4 if n is None else n
        rows = {
            p: oracle_rows(
                [dict(lay, padding=tuple({"p": p}.get(v, v) for v in lay["padding"])) for lay in template], size
            )
            for p in ps
        }
        reach = [r for r in rows.values() if r is not None]
        q = data.draw(st.sampled_from(["start", "effective_padding"]))
        v = data.draw(st.sampled_from(reach))[-1][QKEY[q]] if reach else 0
        op = data.draw(st.sampled_from(["==", "range"] + ([">=", "<="] if n is None else [])))
        width = data.draw(st.integers(0, 6))
        spec: Any = v if op == "==" else ((v, v + width) if op == "range" else (op, v))
        lo = v if op in ("==", ">=", "range") else None
        hi = v if op in ("==", "<=") else (v + width if op == "range" else None)
        want = {
            p
            for p, r in rows.items()
            if r is not None and (lo is None or r[-1][QKEY[q]] >= lo) and (hi is None or r[-1][QKEY[q]] <= hi)
        }
        layers = []
        for i, lay in enumerate(template):
            cls = Conv if lay["kind"] == "conv" else Pool
            kw = dict(
                kernel=lay["kernel"], stride=lay["stride"], dilation=lay["dilation"], padding=list(lay["padding"])
            )
            if cls is Pool:
                kw["ceil_mode"] = lay["ceil_mode"]
            layers.append(cls(name=f"l{i}", **kw))
        net = Network(layers, input=n, symbols={"p": SymbolDomain(min=0)})
        res = solve(net, **{q: spec}, limit=None)
        if res.count is None:
            got = {p for p in ps if any(p in pr for pr in res.parametric)}
        else:
            got = {s["p"] for s in res.solutions if s["p"] <= 40}
        assert got == want


class TestMoreAnswers:
    def test_no_unknowns(self) -> None:
        """A numeric network: one (empty) solution when the targets hold, none with nearest values otherwise."""
        import rfsym

        alex = rfsym.load("alexnet")
        assert solve(alex, r=355, j=32).solutions == [{}]
        miss = solve(alex, r=354)
        assert miss.count == 0 and [n.values["r"] for n in miss.nearest] == [355]

    def test_graph_is_refused(self) -> None:
        """A graph without an input size and a non-network get a clear error, not a crash (graphs with
        an input are solved since issue 12: tests/test_solve_graphs.py)."""
        from rfsym import Graph

        g = Graph()
        with pytest.raises(RfsymError, match="input size"):
            solve(g, r=3)
        with pytest.raises(RfsymError, match="networks and graphs"):
            solve(5, r=3)  # type: ignore[arg-type]

    def test_callable_objective(self) -> None:
        """minimize=callable: optimum and ties over the complete solution set, against brute force."""
        net = template_net(3)
        res = solve(net, r=15, j=4, minimize=lambda a: a["k1"] - a["k3"], limit=None)
        sols = [
            dict(zip(("k1", "k2", "k3", "s1", "s2", "s3"), ks + ss))
            for ks in itertools.product((1, 3, 5, 7), repeat=3)
            for ss in itertools.product((1, 2), repeat=3)
            if seed_loop(ks, ss) == (4, 15)
        ]
        best = min(s["k1"] - s["k3"] for s in sols)
        assert res.optimum == best and res.ties == sum(1 for s in sols if s["k1"] - s["k3"] == best)

    def test_minimize_depth_with_repeat_count(self) -> None:
        """minimize='depth' with a repeat count L: the fewest layers reaching r >= 40, and its ties."""
        net = loads(
            """
            [symbols]
            L = { min = 1, max = 12 }
            k = { choices = [3, 5] }
            [[layers]]
            name = "block"
            kind = "repeat"
            times = "L"
            layers = [{ kind = "conv", kernel = "k" }]
            """
        )
        res = solve(net, r=">=40", minimize="depth", limit=None)
        brute_sols = [(L, k) for L in range(1, 13) for k in (3, 5) if seed_loop((k,) * L, (1,) * L)[1] >= 40]
        best = min(L for L, _ in brute_sols)
        assert res.optimum == best == 10
        assert {(s["L"], s["k"]) for s in res.solutions} == {(L, k) for L, k in brute_sols if L == best}


def test_seed_convention_start_targets() -> None:
    """The seed convention's start depends on n (not affine): DP with numeric transfers matches the seed program."""
    depth = 3
    layers = [Conv(kernel=f"k{i}", stride=f"s{i}", padding=1, name=f"c{i}") for i in range(1, depth + 1)]
    doms = {f"k{i}": SymbolDomain(choices=(1, 3, 5)) for i in range(1, depth + 1)}
    doms.update({f"s{i}": SymbolDomain(choices=(1, 2)) for i in range(1, depth + 1)})
    net = Network(layers, input=27, symbols=doms)

    def seed_program(ks: tuple, ss: tuple) -> tuple | None:
        n, j, r, start = 27, 1, 1, 0.5
        for k, s in zip(ks, ss):
            n_out = math.floor((n - k + 2) / s) + 1
            if n_out < 1:
                return None
            actual = (n_out - 1) * s - n + k
            pl = math.floor(actual / 2)
            n, j, r, start = n_out, j * s, r + (k - 1) * j, start + ((k - 1) / 2 - pl) * j
        return n, j, r, start

    results = {}
    for ks in itertools.product((1, 3, 5), repeat=depth):
        for ss in itertools.product((1, 2), repeat=depth):
            out = seed_program(ks, ss)
            if out is not None:
                results[ks + ss] = out
    starts = sorted({v[3] for v in results.values()})
    for target in starts[:: max(1, len(starts) // 6)]:
        res = solve(net, start=Fraction(target), convention="seed", limit=None)
        names = [f"k{i}" for i in range(1, depth + 1)] + [f"s{i}" for i in range(1, depth + 1)]
        got = {tuple(s[n] for n in names) for s in res.solutions}
        assert got == {c for c, v in results.items() if v[3] == target}


def test_several_unbounded_unknowns_are_bounded_first() -> None:
    """k >= 2 and L >= 1 without max, r = R: bounded by the target, then solved; against the seed loop."""
    net = loads(
        """
        [symbols]
        k = { min = 2 }
        L = { min = 1 }
        [[layers]]
        name = "stage"
        kind = "repeat"
        times = "L"
        layers = [{ kind = "conv", kernel = "k", stride = 2 }]
        """
    )
    for R in (225, 226, 300, 1024):
        res = solve(net, r=R, limit=None)
        # r >= 1 + (k - 1)(2**L - 1) >= k and >= 2**L, so k <= R and L <= log2(R) bound the brute force
        brute_sols = {(L, k) for L in range(1, 11) for k in range(2, R + 1) if seed_loop((k,) * L, (2,) * L)[1] == R}
        assert {(s["L"], s["k"]) for s in res.solutions} == brute_sols and res.count == len(brute_sols)
        assert any("<=" in n for n in res.notes)
    with pytest.raises(RfsymError, match="do not bound"):
        solve(net, r=">=100")


@pytest.mark.parametrize(
    "first", ["import rfsym.solver.result", "from rfsym.solver import SolveResult", "import rfsym"]
)
def test_rfsym_solve_is_callable_whatever_is_imported_first(first: str) -> None:
    """`rfsym.solve(...)` is the function whatever is imported first (the package is rfsym.solver)."""
    code = f"""
{first}
import sys, rfsym
from rfsym import Conv, Network
net = Network([Conv(kernel="k", name="c1")])
assert rfsym.solve(net, r=5).solutions == [{{"k": 5}}]
from rfsym import solve
assert solve(net, r=5).solutions == [{{"k": 5}}]
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stderr


@pytest.mark.parametrize("target", [">=20", "<=15", "==15", (30, 200)])
def test_dilation_schedule_against_seed_loop(target: Any) -> None:
    """Dilation b**(l-1) over L levels, kernel k: unknowns inside and outside the repeated block."""
    net = loads(
        """
        [symbols]
        k = { choices = [2, 3] }
        b = { choices = [1, 2, 3] }
        L = { min = 1, max = 6 }
        [[layers]]
        name = "level"
        kind = "repeat"
        times = "L"
        index = "l"
        layers = [{ kind = "conv", kernel = "k", dilation = "b**(l - 1)" }]
        """
    )
    res = solve(net, r=target, limit=None)
    t = parse_target_string(f"r{target}" if isinstance(target, str) else f"r={target[0]}..{target[1]}")
    brute_sols = {
        (L, k, b)
        for L in range(1, 7)
        for k in (2, 3)
        for b in (1, 2, 3)
        if t.contains(seed_loop(tuple(b ** (lev - 1) * (k - 1) + 1 for lev in range(1, L + 1)), (1,) * L)[1])
    }
    assert {(s["L"], s["k"], s["b"]) for s in res.solutions} == brute_sols and res.count == len(brute_sols)


class TestNearestAgainstBruteForce:
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(templates(), st.integers(3, 30), st.sampled_from(["r", "j", "n"]), st.integers(1, 60))
    def test_nearest_is_closest(self, tpl: Any, n: int, q: str, v: int) -> None:
        """With no solution, the nearest values are exactly the achievable values closest to the target."""
        template, doms = tpl
        names = list(doms)
        reach = {}
        for combo in itertools.product(*(doms[k] for k in names)):
            rows = oracle_rows(instantiate(template, dict(zip(names, combo))), n)
            if rows is not None:
                reach.setdefault(rows[-1][q], combo)
        res = solve(network(template, doms, n), **{q: v}, nearest=10)
        if v in reach:
            assert res.count and res.count > 0
            return
        assert res.count == 0
        if not reach:
            assert res.nearest == []
            return
        best = min(abs(x - v) for x in reach)
        assert sorted(nb.values[q] for nb in res.nearest) == sorted(x for x in reach if abs(x - v) == best)
        for nb in res.nearest:
            rows = oracle_rows(instantiate(template, nb.assignment), n)
            assert rows is not None and rows[-1][q] == nb.values[q] and nb.distance == best
