"""Property tests of ``rfsym.solve`` against an independent brute force (issue 11, "Tests").

Random small sequential templates — convolutions, pooling, transposed convolutions,
upsampling, identities and repeats, with symbolic kernels, strides, dilations, paddings,
repeat counts and input sizes over small finite domains — and random targets (equalities,
strict and non-strict inequalities, ranges; fractional values such as r <= 3/2, j = 1/2,
P >= 2/3; the seed convention's P = -1).

The brute force never uses the solver's model (its dynamic programme, coefficient templates,
bounds or monotonicity): for every assignment of the same finite domains it builds the
concrete network (``Network.subs``) and reads its numeric table (``Network.table``), as a
user checking one configuration would.  Huge domains (a minimum of 2**40 .. 2**63, repeat
counts from 100 to 5000) cannot be enumerated; there the answer is checked with the numeric
table at sampled points: the ends of every reported interval, their neighbours and random
points inside and outside.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import math
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from oracle import count_windows, from_layer

from rfsym import Network, RfsymError, SolveResult, solve
from rfsym.cli import main as cli_main
from rfsym.io.spec import network_from_dict
from rfsym.solver import Target, parse_target

#: Input size standing in for "any input" when the network has none: r, j, start and P of
#: explicit-padding layers under the framework convention never depend on it.
NO_INPUT = 10**6
ATTR = {"n": "n", "j": "j", "r": "r", "start": "start", "effective_padding": "P"}
FRACTIONS = [Fraction(1, 2), Fraction(3, 2), Fraction(2, 3), Fraction(5, 2), Fraction(-1), Fraction(0), Fraction(7, 3)]


def cases(n: int) -> Any:
    """Hypothesis settings: n examples, no per-example deadline (the machine is shared)."""
    return settings(
        max_examples=n, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
    )


# --------------------------------------------------------------------------
# templates: spec dictionaries (the form a TOML spec parses to)
# --------------------------------------------------------------------------


@st.composite
def domains(draw: Any, low: int, high: int) -> dict[str, Any]:
    """A small finite domain as a spec's [symbols] entry: choices, or min/max with a parity."""
    form = draw(st.sampled_from(["choices", "range", "parity"]))
    if form == "choices":
        return {"choices": draw(st.lists(st.integers(low, high), min_size=1, max_size=3, unique=True))}
    lo = draw(st.integers(low, high))
    hi = draw(st.integers(lo, min(high + 1, lo + 3)))
    if form == "parity":
        par = draw(st.sampled_from(["odd", "even"]))
        if not any((v % 2 == 1) == (par == "odd") for v in range(lo, hi + 1)):
            hi += 1
        return {"min": lo, "max": hi, par: True}
    return {"min": lo, "max": hi}


def domain_values(d: dict[str, Any], role_min: int) -> list[int]:
    """The values of a spec domain within its role's bound (a kernel >= 1, a padding >= 0)."""
    if "choices" in d:
        vals = d["choices"]
    else:
        vals = list(range(d["min"], d["max"] + 1))
    if d.get("odd"):
        vals = [v for v in vals if v % 2]
    if d.get("even"):
        vals = [v for v in vals if v % 2 == 0]
    return sorted(v for v in vals if v >= role_min)


class _Builder:
    """Draws parameters, each a number, a symbol with a small domain or an expression in one
    (at most 4 symbols, at most 200 assignments in all)."""

    def __init__(self, draw: Any):
        self.draw = draw
        self.symbols: dict[str, dict[str, Any]] = {}
        self.roles: dict[str, int] = {}  # symbol -> the least value of its role (1 or 0)

    def _room(self, d: dict[str, Any], role_min: int) -> bool:
        size = len(domain_values(d, role_min))
        total = size
        for name, dom in self.symbols.items():
            total *= max(1, len(domain_values(dom, self.roles[name])))
        return size > 0 and len(self.symbols) < 4 and total <= 200

    def symbol(self, name: str, low: int, high: int, role_min: int) -> str | None:
        d = self.draw(domains(low, high))
        if not self._room(d, role_min):
            return None
        self.symbols[name], self.roles[name] = d, role_min
        return name

    def value(self, name: str, low: int, high: int, role_min: int = 1, p_symbol: int = 3) -> Any:
        draw = self.draw
        if draw(st.integers(0, p_symbol - 1)) == 0:
            same = [s for s, m in self.roles.items() if m == role_min and (s[0] == name[0] or draw(st.booleans()))]
            if same and draw(st.integers(0, 3)) == 0:
                return draw(st.sampled_from(same))  # one symbol in several places (maybe several roles)
            if role_min == 1 and draw(st.integers(0, 4)) == 0:  # an expression: 2 e + 1 (odd), e**2
                e = self.symbol("e" + name, 0, 2, 0) if name[0] != "d" else self.symbol("e" + name, 1, 2, 1)
                if e is not None:
                    return f"2*{e} + 1" if name[0] != "d" else f"{e}**2"
            got = self.symbol(name, low, high, role_min)
            if got is not None:
                return got
        return draw(st.integers(max(low, role_min), high))

    def padding(self, name: str, modes: bool, kernel: Any) -> Any:
        draw = self.draw
        if modes and draw(st.integers(0, 5)) == 0:
            return draw(st.sampled_from(["same", "valid"]))
        if isinstance(kernel, str) and draw(st.integers(0, 3)) == 0:
            left: Any = f"floor(({kernel})/2)"  # the usual "half the kernel" padding
        else:
            left = self.value(name, 0, 3, role_min=0)
        right = draw(st.integers(0, 2))
        return [left, right]


KINDS = ["conv", "conv", "pool", "conv_transpose", "conv_transpose", "upsample", "relu", "repeat"]


@st.composite
def templates(draw: Any, kinds: tuple[str, ...] = tuple(KINDS), seed: bool = False) -> dict[str, Any]:
    """A spec dictionary with 1..4 layers and 1..4 symbols (finite domains)."""
    b = _Builder(draw)
    inp_form = draw(st.sampled_from(["none", "number", "symbol"]))
    if seed:
        inp_form = draw(st.sampled_from(["number", "symbol"]))
    modes = inp_form != "none"
    layers = []
    for i in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(kinds))
        lay: dict[str, Any] = {"name": f"l{i}", "kind": kind}
        if kind in ("conv", "pool", "conv_transpose"):
            lay["kernel"] = b.value(f"k{i}", 1, 5)
            lay["stride"] = b.value(f"s{i}", 1, 3)
            lay["dilation"] = b.value(f"d{i}", 1, 2, p_symbol=5)
            lay["padding"] = b.padding(f"p{i}", modes and kind != "conv_transpose", lay["kernel"])
            if kind == "pool":
                lay["ceil_mode"] = draw(st.booleans())
            if kind == "conv_transpose" and draw(st.integers(0, 3)) == 0:
                lay["output_padding"] = b.value(f"o{i}", 0, 2, role_min=0, p_symbol=2)
        elif kind == "upsample":
            lay["scale"] = b.value(f"u{i}", 1, 3)
            lay["mode"] = draw(st.sampled_from(["nearest", "bilinear"]))
        elif kind == "repeat":
            lay["times"] = b.value(f"L{i}", 1, 4, p_symbol=2)
            inner = {
                "name": f"c{i}",
                "kind": "conv",
                "kernel": b.value(f"k{i}", 1, 4),
                "stride": draw(st.integers(1, 2)),
            }
            lay["layers"] = [inner]
        layers.append(lay)
    spec: dict[str, Any] = {"layers": layers}
    if inp_form == "number":
        spec["input"] = draw(st.integers(3, 40))
    elif inp_form == "symbol":
        spec["input"] = "N"
        lo = draw(st.integers(1, 30))
        b.symbols["N"] = {"min": lo, "max": lo + draw(st.integers(0, 6))}
    if not b.symbols:  # at least one unknown
        first = next(lay for lay in layers)
        fld = {"upsample": "scale", "repeat": "times", "relu": None}.get(first["kind"], "kernel")
        if fld is None:
            layers.insert(0, {"name": "l9", "kind": "conv", "kernel": "k9"})
            b.symbols["k9"] = {"choices": [1, 2, 3]}
        else:
            first[fld] = "x9"
            b.symbols["x9"] = {"choices": [1, 2, 3]}
    spec["symbols"] = b.symbols
    return spec


def spec_network(spec: dict[str, Any]) -> Network:
    """The template as a network; a spec the loader refuses (e.g. floor-free halves of even
    kernels) is not a case."""
    try:
        return network_from_dict(spec)
    except RfsymError:
        assume(False)
        raise


def names_of(spec: dict[str, Any]) -> list[str]:
    return list(spec["symbols"])


def values_of(spec: dict[str, Any]) -> dict[str, list[int]]:
    """Each symbol's values (the role bound: a bare padding name is >= 0, any other >= 1)."""
    out = {}
    for name, d in spec["symbols"].items():
        role_min = 0 if name[0] in "peo" else 1
        out[name] = domain_values(d, role_min)
    return out


# --------------------------------------------------------------------------
# brute force: every assignment's concrete network and its numeric table
# --------------------------------------------------------------------------


class Brute:
    """Every assignment of a template's finite domains, each one's table (None: not a valid network)."""

    def __init__(self, net: Network, spec: dict[str, Any], convention: str = "framework"):
        self.net, self.names, self.convention = net, names_of(spec), convention
        self.has_input = net.input is not None
        vals = values_of(spec)
        self.tables: dict[tuple, Any] = {}
        for combo in itertools.product(*(vals[k] for k in self.names)):
            self.tables[combo] = self._table(dict(zip(self.names, combo)))

    def _table(self, assignment: dict[str, int]) -> Any:
        try:
            concrete = self.net.subs(assignment)
        except RfsymError:
            return None  # a parameter that no layer accepts (e.g. output_padding >= stride)
        try:
            return concrete.table(input=None if self.has_input else NO_INPUT, convention=self.convention)
        except RfsymError as e:
            if "output is empty" in str(e):
                return None
            raise

    def value(self, combo: tuple, t: Target) -> Any:
        tab = self.tables[combo]
        row = tab.rows[-1] if t.at is None else tab[t.at]
        return getattr(row.states[0], ATTR[t.quantity])

    def valid(self) -> list[tuple]:
        return [c for c, tab in self.tables.items() if tab is not None and self._places_exist(tab)]

    def _places_exist(self, tab: Any) -> bool:
        names = {row.name for row in tab.rows}
        return all(at in names for at in self.places)

    places: tuple[str, ...] = ()

    def solutions(self, targets: list[Target]) -> set[tuple]:
        self.places = tuple(t.at for t in targets if t.at is not None)
        return {c for c in self.valid() if all(t.contains(self.value(c, t)) for t in targets)}

    def cost(self, combo: tuple, objective: str) -> Any:
        """depth: layers whose row changes j or r; sum_k2: kernel areas (k**2) of (transposed) convolutions."""
        tab = self.tables[combo]
        total = 0
        for prev, row in zip(tab.rows, tab.rows[1:]):
            if objective == "depth":
                a, b = prev.states[0], row.states[0]
                total += int(a.j != b.j or a.r != b.r)
            elif row.layer.kind in ("conv", "conv_transpose"):
                total += int(row.layer.axis_params(0).kernel) ** 2
        return total


def solved_set(res: SolveResult, names: list[str]) -> set[tuple]:
    assert res.count is not None, "finite domains give a finite count"
    assert res.complete and len(res.solutions) == res.count
    return {tuple(s[k] for k in names) for s in res.solutions}


# --------------------------------------------------------------------------
# targets drawn from the values the brute force reaches, and fractions
# --------------------------------------------------------------------------


@st.composite
def target_specs(draw: Any, brute: Brute, spec: dict[str, Any], seed: bool = False) -> list[tuple[str, Any]]:
    """1..2 (key, value form) pairs: quantities at the output or at a named top-level layer."""
    valid = brute.valid()
    quantities = ["r", "j", "start", "effective_padding"] + (["n"] if brute.has_input else [])
    if seed:
        quantities = ["effective_padding", "start", "r", "n"]
    places = [None] + [
        lay["name"] if lay["kind"] != "repeat" else lay["layers"][0]["name"] + ".1" for lay in spec["layers"]
    ]
    out = []
    for _ in range(draw(st.integers(1, 3))):
        q = draw(st.sampled_from(quantities))
        at = draw(st.sampled_from(places))
        probe = Target(q, at=at)
        brute.places = (at,) if at else ()
        reached = sorted({brute.value(c, probe) for c in brute.valid()}) if valid else []
        pool = reached + [v + Fraction(1, 2) for v in reached[:3]] + FRACTIONS
        v = draw(st.sampled_from(pool))
        op = draw(st.sampled_from(["==", ">=", ">", "<=", "<", "range"]))
        key = f"{at}.{q}" if at else q
        if op == "range":
            w = draw(st.sampled_from([0, Fraction(1, 2), 1, 3, 10]))
            out.append((key, (str(v), str(v + w))))
        elif op == "==" and draw(st.booleans()):
            out.append((key, str(v)))
        else:
            out.append((key, (op, str(v))))
    return out


def parse_all(tspecs: list[tuple[str, Any]], brute: Brute) -> list[Target] | None:
    """The targets; a target that cannot hold is refused, and then no assignment may reach it."""
    out = []
    for key, form in tspecs:
        try:
            out.append(parse_target(key, form))
        except RfsymError as e:
            assert "impossible" in str(e) or "cannot" in str(e) or "no value" in str(e) or "integer" in str(e), e
            return None
    return out


def solve_or_refusal(net: Network, targets: list[Target], brute: Brute, **kw: Any) -> SolveResult | None:
    """The solve; None for the refusals that are right here: contradictory targets (then no
    assignment meets them all), or a layer that no value of its symbols makes valid."""
    try:
        return solve(net, targets, **kw)
    except RfsymError as e:
        msg = str(e)
        if "gives a valid layer" in msg:
            assert all(tab is None for tab in brute.tables.values()), msg
        else:
            assert "contradictory" in msg, msg
            assert not brute.solutions(targets)
        return None


def distance(t: Target, v: Any) -> Any:
    """How far v lies from the wanted set (0 inside); the end of a strict side counts as outside."""
    if t.lo is not None and (v < t.lo or (t.lo_strict and v == t.lo)):
        return t.lo - v
    if t.hi is not None and (v > t.hi or (t.hi_strict and v == t.hi)):
        return v - t.hi
    return 0


# --------------------------------------------------------------------------
# the solution sets
# --------------------------------------------------------------------------


class TestSolutionSets:
    @cases(150)
    @given(st.data())
    def test_complete_set_count_and_limit(self, data: Any) -> None:
        """The listed set is the brute-force set; count=True counts it; limit=m lists m of them."""
        spec = data.draw(templates())
        net = spec_network(spec)
        brute = Brute(net, spec)
        targets = parse_all(data.draw(target_specs(brute, spec)), brute)
        if targets is None:
            return
        res = solve_or_refusal(net, targets, brute, limit=None, nearest=0)
        if res is None:
            return
        names = names_of(spec)
        want = brute.solutions(targets)
        assert solved_set(res, names) == want
        assert tuple(res.unknowns) == tuple(names) or set(res.unknowns) == set(names)
        counted = solve(net, targets, count=True, nearest=0)
        assert counted.count == len(want) and counted.solutions == []
        m = data.draw(st.integers(0, 4))
        some = solve(net, targets, limit=m, nearest=0)
        assert some.count == len(want) and len(some.solutions) == min(m, len(want))
        assert {tuple(s[k] for k in names) for s in some.solutions} <= want
        assert some.complete == (len(some.solutions) == len(want))

    @cases(80)
    @given(st.data())
    def test_minimize(self, data: Any) -> None:
        """minimize: the reported optimum is the brute-force optimum, with every optimal assignment and its ties."""
        spec = data.draw(templates())
        net = spec_network(spec)
        brute = Brute(net, spec)
        targets = parse_all(data.draw(target_specs(brute, spec)), brute)
        if targets is None:
            return
        objective = data.draw(st.sampled_from(["depth", "sum_k2"]))
        res = solve_or_refusal(net, targets, brute, minimize=objective, limit=None, nearest=0)
        if res is None:
            return
        want = brute.solutions(targets)
        assert res.count == len(want)
        if not want:
            assert res.solutions == [] and res.ties == 0
            return
        costs = {c: brute.cost(c, objective) for c in want}
        best = min(costs.values())
        optimal = {c for c, v in costs.items() if v == best}
        assert res.optimum == best and res.ties == len(optimal)
        assert {tuple(s[k] for k in names_of(spec)) for s in res.solutions} == optimal

    @cases(60)
    @given(st.data())
    def test_nearest_when_no_solution(self, data: Any) -> None:
        """No solution: nearest lists the achievable target values closest to the wanted ones (the
        largest distance over the targets), closest first, each with an assignment that reaches them."""
        spec = data.draw(templates())
        net = spec_network(spec)
        brute = Brute(net, spec)
        targets = parse_all(data.draw(target_specs(brute, spec)), brute)
        if targets is None:
            return
        res = solve_or_refusal(net, targets, brute, limit=None, nearest=3)
        if res is None or res.count:
            return
        brute.places = tuple(t.at for t in targets if t.at is not None)
        reach: dict[tuple, Any] = {}
        for c in brute.valid():
            vals = tuple(brute.value(c, t) for t in targets)
            reach[vals] = max(distance(t, v) for t, v in zip(targets, vals))
        if not reach:
            assert res.nearest == []
            return
        # every target widened by the smallest integer width w >= 1 that reaches something: the
        # distinct tuples within w, closest first, the first three of them
        width = max(1, math.ceil(min(reach.values())))
        got = [nb.distance for nb in res.nearest]
        assert got == sorted(d for d in reach.values() if d <= width)[:3]
        names = names_of(spec)
        for nb in res.nearest:
            combo = tuple(nb.assignment[k] for k in names)
            assert combo in brute.tables and brute.tables[combo] is not None
            vals = tuple(brute.value(combo, t) for t in targets)
            assert vals == tuple(nb.values[t.key] for t in targets)
            assert reach[vals] == nb.distance

    @cases(50)
    @given(st.data())
    def test_seed_convention(self, data: Any) -> None:
        """The seed convention (pL = floor(P/2), P can be -1): sets against the seed-convention tables."""
        spec = data.draw(templates(kinds=("conv", "conv", "pool"), seed=True))
        net = spec_network(spec)
        brute = Brute(net, spec, convention="seed")
        tspecs = data.draw(target_specs(brute, spec, seed=True))
        if data.draw(st.booleans()):
            tspecs = [("effective_padding", "-1")]
        targets = parse_all(tspecs, brute)
        if targets is None:
            return
        res = solve_or_refusal(net, targets, brute, limit=None, nearest=0, convention="seed")
        if res is None:
            return
        assert solved_set(res, names_of(spec)) == brute.solutions(targets)

    @cases(60)
    @given(st.data())
    def test_exact_divisions(self, data: Any) -> None:
        """exact=True: also no layer drops an input feature — each layer's table at its input size
        minus one has fewer outputs."""
        spec = data.draw(templates(kinds=("conv", "conv", "pool", "conv_transpose", "upsample", "relu"), seed=True))
        net = spec_network(spec)
        brute = Brute(net, spec)
        targets = parse_all(data.draw(target_specs(brute, spec)), brute) if data.draw(st.booleans()) else []
        if targets is None:
            return
        res = solve_or_refusal(net, targets, brute, limit=None, nearest=0, exact=True)
        if res is None:
            return
        want = {c for c in brute.solutions(targets) if no_feature_dropped(brute.tables[c])}
        assert solved_set(res, names_of(spec)) == want

    @cases(60)
    @given(st.data())
    def test_one_unbounded_among_several(self, data: Any) -> None:
        """One kernel, stride or dilation without a max next to finite unknowns, bounded by an upper
        target on r or j: the set agrees with brute force up to a far bound, and every listed
        solution beyond it is one."""
        spec = data.draw(templates(kinds=("conv", "conv", "pool", "conv_transpose", "upsample")))
        net0 = spec_network(spec)
        free = [n for n in spec["symbols"] if n[0] in "ksd" and n != "N"]
        assume(free and len(spec["symbols"]) >= 2)
        x = data.draw(st.sampled_from(free))
        lo = min(domain_values(spec["symbols"][x], 1))
        far = lo + 12
        bounded = dict(spec, symbols={**spec["symbols"], x: {"min": lo, "max": far}})
        brute = Brute(spec_network(bounded), bounded)
        q = data.draw(st.sampled_from(["r", "j"]))
        brute.places = ()
        reached = sorted({brute.value(c, Target(q)) for c in brute.valid()})
        assume(reached)
        v = data.draw(st.sampled_from(reached))
        targets = [parse_target(q, (data.draw(st.sampled_from(["<=", "<"])), str(v)))]
        if data.draw(st.booleans()):
            targets.append(parse_target(q, (">=", str(data.draw(st.sampled_from(reached))))))
        free_spec = dict(spec, symbols={**spec["symbols"], x: {"min": lo}})
        net = spec_network(free_spec)
        try:
            res = solve(net, targets, limit=None, nearest=0)
        except RfsymError as e:
            # refusals that name the unknown: not bounded by the targets, or a monotonicity not shown
            assert x in str(e) or "contradictory" in str(e) or "valid layer" in str(e), str(e)
            return
        names = names_of(spec)
        got = {tuple(sol[k] for k in names) for sol in res.solutions}
        assert {c for c in got if c[names.index(x)] <= far} == brute.solutions(targets)
        for c in got:
            if c[names.index(x)] > far:
                tab = table_of(net, dict(zip(names, c)))
                assert tab is not None and all(
                    t.contains(getattr(tab.rows[-1].states[0], ATTR[t.quantity])) for t in targets
                )
        del net0


def no_feature_dropped(tab: Any) -> bool:
    """Every layer, given one input feature less, has fewer outputs (its own one-layer table)."""
    for prev, row in zip(tab.rows, tab.rows[1:]):
        n_in = prev.states[0].n
        if n_in <= 1:  # no table has an input of 0 features: count the windows in the padding alone
            if row.layer.kind in ("conv", "pool") and count_windows(from_layer(row.layer), 0) >= row.states[0].n:
                return False
            continue
        try:
            fewer = Network([row.layer], input=n_in - 1).table(convention=tab.convention).rows[-1].states[0].n
        except RfsymError as e:
            assert "output is empty" in str(e)
            continue
        if not row.states[0].n > fewer:
            return False
    return True


# --------------------------------------------------------------------------
# the command line: the same answers as JSON
# --------------------------------------------------------------------------


def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, str)):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(v)


def to_toml(spec: dict[str, Any]) -> str:
    lines = []
    if "input" in spec:
        lines.append(f"input = {toml_value(spec['input'])}")
    lines.append("[symbols]")
    lines += [f"{k} = {toml_value(d)}" for k, d in spec["symbols"].items()]
    for lay in spec["layers"]:
        lines.append("[[layers]]")
        lines += [f"{k} = {toml_value(v)}" for k, v in lay.items()]
    return "\n".join(lines) + "\n"


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli_main(["solve", *args])
    return status, out.getvalue(), err.getvalue()


def cli_target(key: str, form: Any) -> str:
    if isinstance(form, str):
        return f"{key}={form}"
    if form[0] in ("==", ">=", ">", "<=", "<"):
        return f"{key}{form[0]}{form[1]}"
    return f"{key}={form[0]}..{form[1]}"


@cases(25)
@given(st.data())
def test_cli_json_matches_brute_force(tmp_path_factory: Any, data: Any) -> None:
    """``rfsym solve SPEC --target ... --format json`` (listing, --count, --minimize): the
    brute-force set, count and optimum; the nearest values when nothing solves the targets."""
    spec = data.draw(templates())
    net = spec_network(spec)
    brute = Brute(net, spec)
    tspecs = data.draw(target_specs(brute, spec))
    targets = parse_all(tspecs, brute)
    assume(targets is not None and len({(t.quantity, t.at) for t in targets}) == len(targets))
    assert targets is not None
    path = Path(tmp_path_factory.mktemp("cli")) / "t.toml"
    path.write_text(to_toml(spec))
    args = [str(path), "--format", "json", "--limit", "100000"]
    for key, form in tspecs:
        args += ["--target", cli_target(key, form)]
    mode = data.draw(st.sampled_from(["list", "count", "depth", "sum_k2"]))
    extra = {"list": [], "count": ["--count"], "depth": ["--minimize", "depth"], "sum_k2": ["--minimize", "sum_k2"]}
    status, out, err = run_cli(*args, *extra[mode])
    if status == 2 and "gives a valid layer" in err:  # right when no value makes some layer valid
        assert all(tab is None for tab in brute.tables.values()) and err.count("\n") == 1
        return
    assert status == 0, err
    got = json.loads(out)
    want = brute.solutions(targets)
    names = names_of(spec)
    assert got["count"] == len(want)
    listed = {tuple(s[k] for k in names) for s in got["solutions"]}
    if mode == "list":
        assert listed == want and got["complete"]
    elif mode == "count":
        assert got["solutions"] == []
    elif want:
        costs = {c: brute.cost(c, mode) for c in want}
        best = min(costs.values())
        assert got["optimum"] == best and listed == {c for c, v in costs.items() if v == best}
    if not want and any(tab is not None for tab in brute.tables.values()):
        assert got.get("nearest"), "no solution: the nearest achievable values are listed"


# --------------------------------------------------------------------------
# huge domains: checked at sampled points
# --------------------------------------------------------------------------


def table_of(net: Network, assignment: dict[str, int]) -> Any:
    """The table of the concrete network (None: a parameter no layer accepts, or an empty output).

    Without an input size: the table at an input of 2**64 features, or, when parameters near
    2**63 leave that empty, at a symbolic input (r and j are numbers there too)."""
    try:
        concrete = net.subs(assignment)
    except RfsymError:
        return None  # e.g. an effective kernel above the limit of 2**64
    for inp in [None] if net.input is not None else [2**64, "n"]:
        try:
            return concrete.table(input=inp)
        except RfsymError as e:
            if "output is empty" not in str(e):
                raise
    return None


def final(net: Network, assignment: dict[str, int], q: str) -> Any:
    tab = table_of(net, assignment)
    return None if tab is None else getattr(tab.rows[-1].states[0], ATTR[q])


def wanted(t: Target, v: Any) -> bool:
    return v is not None and t.contains(v)


def members(res: SolveResult, name: str, v: int) -> bool:
    """Whether value v of the one unknown is in the reported set (progressions or the listing)."""
    if res.count is None:
        return any(v in p for p in res.parametric)
    if res.parametric:
        return any(v in p for p in res.parametric)
    return {name: v} in res.solutions


def probes(res: SolveResult, base: int, step: int, name: str, rng: Any) -> list[int]:
    """Points to check: the domain's first values, the ends of the reported set and their
    neighbours, and random points up to far beyond."""
    pts = {base, base + step, base + 2 * step}
    ends = []
    for p in res.parametric:
        ends.append(p.first)
        if p.last is not None:
            ends.append(p.last)
    for s in res.solutions[:3] + res.solutions[-3:]:
        ends.append(s[name])
    for e in ends:
        pts.update({e - step, e, e + step})
    far = max([base, *ends]) + 64 * step
    pts.update(base + step * rng.randint(0, (far - base) // step) for _ in range(4))
    return sorted(v for v in pts if v >= base and (v - base) % step == 0)


@cases(40)
@given(st.data())
def test_huge_minimum(data: Any) -> None:
    """One unknown (kernel, stride or dilation) with a minimum far above any search cap (2**40 ..
    2**63) and no max; targets on r or j around the values at and beyond the minimum."""
    rng = data.draw(st.randoms(use_true_random=False))
    base = data.draw(st.integers(2**40, 2**63))
    odd = data.draw(st.booleans())
    role = data.draw(st.sampled_from(["kernel", "dilation", "stride"]))
    layers = [{"name": "a", "kind": "conv", "kernel": 3, "stride": data.draw(st.integers(1, 2))}]
    layers.append({"name": "b", "kind": data.draw(st.sampled_from(["conv", "pool", "conv_transpose"])), "kernel": 3})
    layers[1][role] = "x"
    if role != "kernel":
        layers[1]["kernel"] = data.draw(st.integers(2, 4))
    layers.append({"name": "c", "kind": "conv", "kernel": data.draw(st.integers(1, 3))})
    spec = {"symbols": {"x": {"min": base, "odd": odd}}, "layers": layers}
    net = network_from_dict(spec)
    step = 2 if odd else 1
    first = base + (1 - base % 2 if odd else 0)
    q = data.draw(st.sampled_from(["r", "j"]))

    anchor = final(net, {"x": first + step * data.draw(st.integers(0, 50))}, q)
    assume(anchor is not None)
    op = data.draw(st.sampled_from([">=", ">", "<=", "<", "==", "range"]))
    form: Any = (anchor, anchor + data.draw(st.integers(0, 4 * base))) if op == "range" else (op, anchor)
    if op == "==":
        form = anchor
    t = parse_target(q, form)
    res = solve(net, [t], limit=1000, nearest=0)
    for x in probes(res, first, step, "x", rng):
        assert members(res, "x", x) == wanted(t, final(net, {"x": x}, q)), (x, res.to_text())


@cases(15)
@given(st.data())
def test_huge_repeat_count(data: Any) -> None:
    """A repeat count with min 100 .. 5000 and no max; r targets; checked on the unrolled tables."""
    rng = data.draw(st.randoms(use_true_random=False))
    base = data.draw(st.integers(100, 5000))
    k = data.draw(st.integers(1, 3))
    block = [{"name": "c", "kind": "conv", "kernel": k, "padding": data.draw(st.integers(0, 1))}]
    spec = {
        "symbols": {"L": {"min": base}},
        "layers": [
            {"name": "stem", "kind": "conv", "kernel": data.draw(st.integers(1, 7))},
            {"name": "stage", "kind": "repeat", "times": "L", "layers": block},
        ],
    }
    net = network_from_dict(spec)

    anchor = final(net, {"L": base + data.draw(st.integers(0, 40))}, "r")
    op = data.draw(st.sampled_from([">=", ">", "<=", "<", "==", "range"]))
    form: Any = (anchor, anchor + data.draw(st.integers(0, 40))) if op == "range" else (op, anchor)
    if op == "==":
        form = anchor
    t = parse_target("r", form)
    res = solve(net, [t], limit=1000, nearest=0)
    pts = [L for L in probes(res, base, 1, "L", rng) if L <= base + 200]
    for L in pts:
        assert members(res, "L", L) == wanted(t, final(net, {"L": L}, "r")), (L, res.to_text())


def test_domain_above_the_parameter_limit_is_refused() -> None:
    """A minimum above the layers' limit of 2**64 (10**20): one line naming the limit, not 'no solution'."""
    for spec in (
        {"symbols": {"k": {"min": 10**20}}, "layers": [{"kind": "conv", "kernel": "k"}]},
        {"symbols": {"d": {"min": 10**20}}, "layers": [{"kind": "conv", "kernel": 3, "dilation": "d"}]},
    ):
        with pytest.raises(RfsymError, match=r"2\*\*64") as err:
            solve(network_from_dict(spec), r=">=1")
        assert "\n" not in str(err.value)
