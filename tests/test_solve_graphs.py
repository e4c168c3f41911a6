"""rfsym.solve on graph templates (issue 12, item 3): complete solution sets, counts, optima and
nearest values against brute force — every assignment's concrete graph (``Graph.subs``) and
its numeric table (``Graph.table``), none of the solver's reasoning."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

from rfsym import Conv, Graph, Repeat, RfsymError, solve
from rfsym.graph import AlignmentWarning
from rfsym.solver import Target, parse_target, parse_target_string
from rfsym.values import SymbolDomain

ROOT = Path(__file__).resolve().parent.parent
ATTR = {"n": "n", "j": "j", "r": "r", "start": "start", "effective_padding": "P"}


def residual() -> Graph:
    """A residual block with a symbolic strided stem kernel k, a dilated kernel a (dilation d)."""
    doms = {
        "k": SymbolDomain(min=1, max=9, odd=True),
        "a": SymbolDomain(min=1, max=7, odd=True),
        "d": SymbolDomain(min=1, max=3),
    }
    g = Graph(input=64, symbols=doms, name="residual")
    x = g.conv(g.input_node, kernel="k", stride=2, padding="(k-1)/2", name="c1")
    y = g.conv(x, kernel="a", dilation="d", padding="d*(a-1)/2", name="c2")
    y = g.conv(y, kernel=3, padding=1, name="c3")
    s = g.conv(g.input_node, kernel=1, stride=2, name="sc")
    g.add(y, s, name="add")
    return g


def resnet_template(depth_max: int = 4) -> Graph:
    """ResNet-18 style: stem kernel k in {3, 5, 7} and four stage depths L1..L4 (repeats of two 3x3
    convolutions), each stage added to a 1x1 shortcut of its input."""
    doms = {"k": SymbolDomain(choices=(3, 5, 7))}
    doms.update({f"L{i}": SymbolDomain(min=1, max=depth_max) for i in range(1, 5)})
    g = Graph(input=224, symbols=doms, name="resnet_template")
    x = g.conv(g.input_node, kernel="k", stride=2, padding="(k - 1)/2", name="stem")
    x = g.pool(x, kernel=3, stride=2, padding=1, name="pool")
    for i in range(1, 5):
        s = 1 if i == 1 else 2
        main = g.conv(x, kernel=3, stride=s, padding=1, name=f"down{i}")
        block = (Conv(kernel=3, padding=1, name=f"a{i}"), Conv(kernel=3, padding=1, name=f"b{i}"))
        body = g.layer(Repeat(block=block, times=f"L{i}", name=f"stage{i}"), main)
        short = g.conv(x, kernel=1, stride=s, name=f"short{i}")
        x = g.add(body, short, name=f"add{i}")
    return g


def unet() -> Graph:
    """A two-level U-Net with padded 3x3 convolutions, 2x2 pooling and nearest upsampling, input N:
    the skips' sizes agree (concat needs equal sizes) only for N divisible by 4."""
    g = Graph(input="N", symbols={"N": SymbolDomain(min=8, max=90)}, name="unet")
    e1 = g.conv(g.input_node, kernel=3, padding=1, name="e1")
    p1 = g.pool(e1, kernel=2, stride=2, name="p1")
    e2 = g.conv(p1, kernel=3, padding=1, name="e2")
    p2 = g.pool(e2, kernel=2, stride=2, name="p2")
    b = g.conv(p2, kernel=3, padding=1, name="b")
    u2 = g.upsample(b, 2, name="u2")
    d2 = g.concat(u2, e2, name="d2")
    c2 = g.conv(d2, kernel=3, padding=1, name="c2")
    u1 = g.upsample(c2, 2, name="u1")
    g.concat(u1, e1, name="d1")
    return g


def inception() -> Graph:
    """Three branches of symbolic kernels a, b (padding keeping sizes) and a pool, concatenated."""
    doms = {"a": SymbolDomain(choices=(1, 3, 5)), "b": SymbolDomain(choices=(3, 5, 7)), "p": SymbolDomain(min=0, max=1)}
    g = Graph(input=32, symbols=doms, name="inception")
    x = g.conv(g.input_node, kernel=3, stride=2, padding="p", name="stem")
    b1 = g.conv(x, kernel="a", padding="(a-1)/2", name="b1")
    b2 = g.conv(x, kernel="b", padding="(b-1)/2", name="b2")
    b2 = g.conv(b2, kernel=3, padding=1, name="b2b")
    b3 = g.pool(x, kernel=3, stride=1, padding=1, name="b3")
    g.concat(b1, b2, b3, name="cat")
    return g


def values_of(g: Graph, name: str) -> list[int]:
    d = g.symbols[name]
    if d.choices is not None:
        return sorted(d.choices)
    lo = max(d.min, 0 if name == "p" else 1)
    return [v for v in range(lo, d.max + 1) if not (d.odd and v % 2 == 0) and not (d.even and v % 2)]


class Brute:
    def __init__(self, g: Graph):
        self.g = g
        free = {x.name for x in g.free_symbols}
        self.names = [n for n in g.symbols if n in free]  # declared symbols that occur
        self.tables: dict[tuple, Any] = {}
        for combo in itertools.product(*(values_of(g, n) for n in self.names)):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", AlignmentWarning)
                    tab = g.subs(dict(zip(self.names, combo))).table()
            except RfsymError:
                tab = None
            self.tables[combo] = tab
        self.output = g.outputs[0]

    def value(self, c: tuple, t: Target) -> Any:
        return getattr(self.tables[c][t.at or self.output].states[0], ATTR[t.quantity])

    def solutions(self, targets: list[Target]) -> set[tuple]:
        return {
            c
            for c, tab in self.tables.items()
            if tab is not None and all(t.contains(self.value(c, t)) for t in targets)
        }

    def cost(self, c: tuple, objective: str) -> int:
        tab = self.tables[c]
        total = 0
        states = {row.name: row.states[0] for row in tab.rows}
        for row in tab.rows[1:]:
            lay = row.layer
            if lay.kind in ("add", "concat", "merge"):
                continue
            flat = lay.unroll() if isinstance(lay, Repeat) else [lay]
            if objective == "sum_k2":
                total += sum(int(b.axis_params(0).kernel) ** 2 for b in flat if b.kind in ("conv", "conv_transpose"))
            elif isinstance(lay, Repeat):  # each copy's layers: a layer with kernel > 1 or stride > 1 changes r or j
                total += sum(int(b.axis_params(0).kernel > 1 or b.axis_params(0).stride > 1) for b in flat)
            else:
                before = states[tab.inputs[row.name][0]]
                total += int(before.j != row.states[0].j or before.r != row.states[0].r)
        return total


def as_set(res: Any, names: list[str]) -> set[tuple]:
    assert res.complete and len(res.solutions) == res.count
    return {tuple(s[n] for n in names) for s in res.solutions}


TEMPLATES = {"residual": residual, "resnet": resnet_template, "unet": unet, "inception": inception}
BRUTE: dict[str, Brute] = {}


def brute(name: str) -> Brute:
    if name not in BRUTE:
        BRUTE[name] = Brute(TEMPLATES[name]())
    return BRUTE[name]


CASES = [
    ("residual", ["r>=15"]),
    ("residual", ["r<=20"]),
    ("residual", ["r=21"]),
    ("residual", ["r>13", "r<31", "c2.r<=13"]),
    ("residual", ["n=32", "r<=20"]),
    ("residual", ["P>=6", "P<9"]),
    ("resnet", ["r>=400"]),
    ("resnet", ["r<=500"]),
    ("resnet", ["r=427"]),
    ("resnet", ["r>=300", "r<=600", "stage2.r>=100"]),
    ("resnet", ["n=7"]),
    ("unet", ["n>=1"]),
    ("unet", ["n=40"]),
    ("unet", ["r>=20", "d2.n<=12"]),
    ("unet", ["d2.n=9..14"]),
    ("inception", ["r>=13"]),
    ("inception", ["P=6"]),
    ("inception", ["r=15", "start>=0.5"]),
]


@pytest.mark.parametrize("name,targets", CASES)
def test_solution_sets_against_brute_force(name: str, targets: list[str]) -> None:
    """Listing, count, and both objectives: the brute-force set, optimum and ties."""
    b = brute(name)
    tl = [parse_target_string(t) for t in targets]
    want = b.solutions(tl)
    res = solve(b.g, tl, limit=None)
    assert as_set(res, b.names) == want
    assert solve(b.g, tl, count=True).count == len(want)
    for objective in ("depth", "sum_k2"):
        best = solve(b.g, tl, minimize=objective, limit=None)
        if not want:
            assert best.count == 0 and best.solutions == []
            continue
        costs = {c: b.cost(c, objective) for c in want}
        opt = min(costs.values())
        assert best.optimum == opt, objective
        assert {tuple(s[n] for n in b.names) for s in best.solutions} == {c for c, v in costs.items() if v == opt}
        assert best.ties == sum(1 for v in costs.values() if v == opt)


def test_resnet_search_prunes() -> None:
    """The ResNet template with depths 1..8 (12 288 assignments): r >= 400 with the fewest layers from a
    few hundred tables, not 12 288; the optimum checked on its neighbours."""
    g = resnet_template(8)
    res = solve(g, r=">=400", minimize="depth", limit=None)
    used = int(next(n for n in res.notes if "graph tables" in n).split()[0])
    assert used < 1000 and res.method.startswith("monotone box search")
    assert res.optimum == 19 and res.ties == 3
    for s in res.solutions:
        tab = g.subs(s).table()
        assert tab.rows[-1].states[0].r >= 400
        smaller = {**s, "L4": s["L4"] - 1}
        if smaller["L4"] >= 1:
            assert g.subs(smaller).table().rows[-1].states[0].r < 400


def test_nearest_on_graphs() -> None:
    b = brute("residual")
    t = parse_target("r", 1000)
    res = solve(b.g, [t], nearest=2)
    best = min(abs(b.value(c, t) - 1000) for c, tab in b.tables.items() if tab is not None)
    assert res.count == 0 and res.nearest and res.nearest[0].distance == best
    combo = tuple(res.nearest[0].assignment[n] for n in b.names)
    assert b.value(combo, t) == res.nearest[0].values["r"]


def test_graph_refusals() -> None:
    with pytest.raises(RfsymError, match="input size"):
        solve(Graph(), r=3)
    g = residual()
    with pytest.raises(RfsymError, match="symbolic"):
        solve(g, r="R")
    with pytest.raises(RfsymError, match="no node named 'zz'"):
        solve(g, targets={"zz.r": 3})
    with pytest.raises(RfsymError, match="exact"):
        solve(g, r=3, exact=True)


def test_cli_solves_a_graph_spec(tmp_path: Path) -> None:
    """rfsym solve on a graph spec (inputs = [...]): the API's answer as JSON."""
    spec = tmp_path / "res.toml"
    spec.write_text(
        "input = 64\n[symbols]\nk = { min = 1, max = 9, odd = true }\n"
        "[[layers]]\nname = 'c1'\nkind = 'conv'\nkernel = 'k'\nstride = 2\npadding = '(k-1)/2'\n"
        "[[layers]]\nname = 'c2'\nkind = 'conv'\nkernel = 3\npadding = 1\n"
        "[[layers]]\nname = 'sc'\nkind = 'conv'\nkernel = 1\nstride = 2\ninputs = ['input']\n"
        "[[layers]]\nname = 'add'\nkind = 'add'\ninputs = ['c2', 'sc']\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "rfsym", "solve", str(spec), "--target", "r>=9", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    from rfsym import load

    g = load(str(spec))
    want = [{"k": k} for k in (1, 3, 5, 7, 9) if g.subs({"k": k}).table().rows[-1].states[0].r >= 9]
    assert data["solutions"] == want and data["count"] == len(want)


def test_builtin_graphs_through_the_cli() -> None:
    """Built-in graphs (no unknowns) with --input: their table's answer, exit 0; several outputs: name
    the node (exit 2, one line).  (--input 9 on unet used to be an internal error.)"""
    from rfsym import load

    for spec, inp in (("unet", "9"), ("resnet18", "224"), ("resnet18", "64")):
        out = subprocess.run(
            [sys.executable, "-m", "rfsym", "solve", spec, "--input", inp, "--target", "r>=5", "--format", "json"],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert out.returncode == 0, out.stderr
        try:
            ok = load(spec).table(input=int(inp)).rows[-1].states[0].r >= 5
        except RfsymError:
            ok = False
        assert json.loads(out.stdout)["count"] == int(ok)
    out = subprocess.run(
        [sys.executable, "-m", "rfsym", "solve", "fpn_resnet50", "--target", "r>=5"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.returncode == 2 and "outputs" in out.stderr and out.stderr.count("\n") == 1


# --------------------------------------------------------------------------
# random graph templates (hypothesis) against every assignment's table
# --------------------------------------------------------------------------

from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@st.composite
def graph_templates(draw: Any) -> Graph:
    """Residual blocks, concatenated branches, repeats, and sometimes a transposed convolution or an
    upsampling; kernels, strides, dilations, paddings and repeat counts symbolic with small domains."""
    from rfsym import ConvTranspose, Pool, Upsample
    from rfsym.graph import Add, Concat

    doms: dict[str, SymbolDomain] = {}
    entries: list[tuple[Any, Any]] = []

    def param(prefix: str, lo: int, hi: int, p: int = 3, odd: bool = False) -> Any:
        if len(doms) < 4 and draw(st.integers(0, p - 1)) == 0:
            name = f"{prefix}{len(doms)}"
            vals = draw(st.lists(st.integers(lo, hi), min_size=1, max_size=3, unique=True))
            vals = [v for v in vals if v % 2] or [1] if odd else vals
            doms[name] = SymbolDomain(choices=tuple(vals))
            return name
        v = draw(st.integers(lo, hi))
        return v | 1 if odd else v

    def add(layer: Any, *ins: str) -> str:
        entries.append((layer, list(ins)))
        return layer.name

    x = "input"
    for i in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["residual", "residual", "concat", "repeat", "chain", "up", "pool"]))
        if kind == "up":
            if draw(st.booleans()):
                x = add(Upsample(scale=param("u", 1, 2), name=f"up{i}"), x)
            else:
                x = add(ConvTranspose(kernel=param("t", 1, 3), stride=2, name=f"up{i}"), x)
            continue
        s = param("s", 1, 2, p=4)
        if kind == "chain":
            x = add(Conv(kernel=param("k", 1, 5), stride=s, padding=param("p", 0, 2, p=4), name=f"c{i}"), x)
            continue
        if kind == "pool":
            x = add(Pool(kernel=param("k", 1, 3), stride=s, padding=0, ceil_mode=draw(st.booleans()), name=f"c{i}"), x)
            continue
        if kind == "repeat":
            k = draw(st.sampled_from([1, 3]))
            block = (Conv(kernel=k, padding=(k - 1) // 2 if draw(st.booleans()) else 0, name=f"r{i}"),)
            x = add(Repeat(block=block, times=param("L", 1, 3, p=2), name=f"rep{i}"), x)
            continue
        k = param("k", 1, 3, odd=True)
        pad = f"({k} - 1)/2" if isinstance(k, str) else (k - 1) // 2
        a = add(Conv(kernel=k, stride=s, padding=pad, name=f"a{i}"), x)
        if draw(st.booleans()):
            a = add(Conv(kernel=3, dilation=param("d", 1, 2, p=4), padding=1, name=f"b{i}"), a)
        sc = add(Conv(kernel=1, stride=s, name=f"sc{i}"), x)
        x = add((Add if kind == "residual" else Concat)(name=f"m{i}"), a, sc)
    if not doms:
        x = add(Conv(kernel="k9", name="last"), x)
        doms["k9"] = SymbolDomain(choices=(1, 2, 3))
    return Graph.from_layers(entries, input=draw(st.integers(12, 40)), name="random", symbols=doms)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(graph_templates(), st.data())
def test_random_graph_templates(g: Graph, data: Any) -> None:
    """Random graph templates and targets on r, j or n: the set, the count and the depth optimum are the
    brute force's (every assignment's Graph.table)."""
    b = Brute(g)
    valid = [c for c, tab in b.tables.items() if tab is not None]
    q = data.draw(st.sampled_from(["r", "j", "n"]))
    reached = sorted({b.value(c, Target(q)) for c in valid}) or [1]
    v = data.draw(st.sampled_from(reached))
    op = data.draw(st.sampled_from([">=", "<=", "=", ">", "<"]))
    try:
        t = parse_target_string(f"{q}{op}{v}")
    except RfsymError:
        return  # e.g. j < 1/2 cannot hold: refused
    res = solve(g, [t], limit=None, nearest=0)
    event(res.method.split(" over")[0])
    want = b.solutions([t])
    assert as_set(res, b.names) == want
    best = solve(g, [t], minimize="depth", limit=None, nearest=0)
    if want:
        costs = {c: b.cost(c, "depth") for c in want}
        opt = min(costs.values())
        assert best.optimum == opt
        assert {tuple(s[n] for n in b.names) for s in best.solutions} == {c for c, w in costs.items() if w == opt}


@pytest.mark.parametrize("which", ["toy", "zoo"])
def test_unbounded_input_sizes_of_a_unet(which: str) -> None:
    """Which input sizes make every merge of a U-Net valid: progressions N = c (mod p), checked
    against the tables of every N up to 300 (None: some merge's sizes differ or a node is empty)."""
    from rfsym import load

    base = unet() if which == "toy" else load("unet")
    g = Graph.from_layers(
        [(lay, list(base.inputs_of(w))) for w, lay in zip(base.nodes, base.layers)],
        input="N",
        symbols={"N": SymbolDomain(min=1)},
        name=which,
    )
    res = solve(g, r=">=1")
    assert res.count is None and res.parametric
    for n in range(1, 301):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", AlignmentWarning)
                g.subs({"N": n}).table()
            valid = True
        except RfsymError:
            valid = False
        assert any(n in p for p in res.parametric) == valid, n
    with pytest.raises(RfsymError, match="give N a max"):
        solve(g, n=">=5")


def test_unknown_node_with_an_unbounded_input() -> None:
    """--input n --at c1 on the zoo U-Net (the fuzz test found a KeyError): one line naming the node."""
    out = subprocess.run(
        [sys.executable, "-m", "rfsym", "solve", "unet", "--input", "n", "--at", "c1", "--target", "r=5", "--count"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.returncode == 2 and "no node named 'c1'" in out.stderr and out.stderr.count("\n") == 1


def test_input_given_to_solve_replaces_the_templates_own_input() -> None:
    """solve(graph, input=224) on a template whose input is the symbol n: n is not an unknown (it asked for a
    domain of n); the set equals every assignment's table at 224."""
    import itertools

    import rfsym
    from rfsym.errors import RfsymError

    g = rfsym.load("resnet_template")
    doms = {f"L{i}": range(1, 3) for i in range(1, 5)}
    doms["k"] = [3, 5]
    res = rfsym.solve(g, r=">=300", domains=doms, input=224, limit=None)
    assert "n" not in res.unknowns
    got = {tuple(s[n] for n in ("L1", "L2", "L3", "L4", "k")) for s in res.solutions}
    want = set()
    for vals in itertools.product(range(1, 3), range(1, 3), range(1, 3), range(1, 3), (3, 5)):
        try:
            table = g.subs(dict(zip(("L1", "L2", "L3", "L4", "k"), vals))).table(input=224)
        except RfsymError:  # e.g. a stage of depth 1 repeats its block 0 times: no such network
            continue
        if table.output[0].r >= 300:
            want.add(vals)
    assert got == want and res.count == len(want) > 0
