"""The solver's listing: solutions kept as value tuples until a dict is asked for, and the JSON
written from them (the CLI path of ``rfsym solve --format json``) equal to the C encoder's."""

from __future__ import annotations

import contextlib
import gc
import io
import json
from dataclasses import replace
from pathlib import Path

from rfsym import Conv, Network, solve
from rfsym.cli import main
from rfsym.solver import SolveResult
from rfsym.solver.result import Solutions
from rfsym.values import SymbolDomain


def template(depth: int) -> Network:
    layers = [Conv(kernel=f"k{i}", stride=f"s{i}", name=f"c{i}") for i in range(1, depth + 1)]
    doms = {f"k{i}": SymbolDomain(choices=(1, 3, 5, 7)) for i in range(1, depth + 1)}
    doms.update({f"s{i}": SymbolDomain(choices=(1, 2)) for i in range(1, depth + 1)})
    return Network(layers, symbols=doms, name="t")


def encoder_json(res: SolveResult) -> str:
    """to_json of the same result with the solutions as a plain list of dicts."""
    return replace(res, solutions=[dict(s) for s in res.solutions]).to_json()


def test_rows_json_is_the_encoders() -> None:
    res = solve(template(4), r=15, j=4, limit=None)
    assert isinstance(res.solutions, Solutions) and res.solutions.rows() is not None
    text = res.to_json()
    assert text == encoder_json(res)
    data = json.loads(text)
    assert data["solutions"] == [dict(s) for s in res.solutions] and data["count"] == res.count == len(res)


def test_solutions_are_a_list_of_dicts() -> None:
    res = solve(template(3), r=9, limit=None)
    sols = res.solutions
    plain = [dict(s) for s in sols]
    assert sols == plain and plain == sols and len(sols) == len(plain) == res.count
    assert sols[0] == plain[0] and sols[-2:] == plain[-2:] and list(sols) == plain
    assert plain[1] in sols and repr(sols) == repr(plain)
    assert sols + [] == plain
    assert sorted(plain, key=lambda d: tuple(d.values())) == plain  # sorted in the unknowns' order


def test_changed_solutions_are_what_json_shows() -> None:
    """Once a dict was handed out, the JSON is written from the dicts (a change shows)."""
    res = solve(template(3), r=9, limit=None)
    res.solutions[0]["k1"] = 99
    assert res.solutions.rows() is None  # type: ignore[union-attr]
    assert json.loads(res.to_json())["solutions"][0]["k1"] == 99


def test_cli_json_and_gc_state(tmp_path: Path) -> None:
    """rfsym solve --format json through main(): the API's listing; the garbage collector is
    enabled and nothing is left frozen afterwards (main() may run inside a longer process)."""
    p = tmp_path / "t.toml"
    lines = ["[symbols]"]
    for i in range(1, 4):
        lines += [f"k{i} = {{ choices = [1, 3, 5, 7] }}", f"s{i} = {{ choices = [1, 2] }}"]
    for i in range(1, 4):
        lines += ["[[layers]]", f"name = 'c{i}'", "kind = 'conv'", f"kernel = 'k{i}'", f"stride = 's{i}'"]
    p.write_text("\n".join(lines) + "\n")
    out = io.StringIO()
    assert gc.isenabled()
    with contextlib.redirect_stdout(out):
        assert main(["solve", str(p), "--target", "r=9", "--format", "json", "--limit", "100000"]) == 0
    assert gc.isenabled() and gc.get_freeze_count() == 0
    data = json.loads(out.getvalue())
    res = solve(template(3), r=9, limit=None)
    assert data["solutions"] == [dict(s) for s in res.solutions] and data["count"] == res.count


def test_json_of_optimal_and_outer_listings() -> None:
    """The optimal paths (minimize) and listings that combine an outer unknown (a repeat count)
    with the programme's: the same JSON as the encoder's, sorted in the unknowns' order."""
    best = solve(template(4), r=15, j=4, minimize="sum_k2", limit=None)
    assert best.solutions and best.to_json() == encoder_json(best)
    from rfsym import loads

    net = loads(
        "[symbols]\nL = { min = 1, max = 4 }\nk = { choices = [1, 3, 5] }\n"
        "[[layers]]\nname = 'a'\nkind = 'conv'\nkernel = 'k'\n"
        "[[layers]]\nname = 'b'\nkind = 'repeat'\ntimes = 'L'\nlayers = [{ name = 'c', kind = 'conv', kernel = 3 }]\n"
    )
    res = solve(net, r="<=9", limit=None)
    plain = [dict(s) for s in res.solutions]
    assert res.to_json() == encoder_json(res)
    assert plain == sorted(plain, key=lambda d: tuple(d[u] for u in res.unknowns)) and len(plain) == res.count


def test_json_when_the_first_layers_have_no_unknowns() -> None:
    """Paths whose first layers open no unknown, and a single layer: the same JSON as the encoder's."""
    doms = {"k": SymbolDomain(choices=(1, 3, 5)), "s": SymbolDomain(choices=(1, 2))}
    for layers in (
        [Conv(kernel=3, name="a"), Conv(kernel=2, name="b"), Conv(kernel="k", stride="s", name="c")],
        [Conv(kernel="k", stride="s", name="c")],
        [Conv(kernel="k", name="a"), Conv(kernel=3, name="b"), Conv(kernel=3, stride="s", name="c")],
    ):
        res = solve(Network(layers, symbols=doms), r=">=1", limit=None)
        assert res.count == 6 and res.to_json() == encoder_json(res)
