"""`rfsym derive` of branched graphs as a user runs it: `python -m rfsym derive SPEC --format json`.

(a) ResNet-50 (torchvision layout, 16 bottleneck blocks, 16 merges) with every 3x3
    kernel a symbol of its own (k1 .. k17, the max-pool's included; odd, padding
    (k - 1)/2), input n.  Target (issue 12): under 2 s through the CLI, process
    start included.
(b) The alternative, measured in the same run: the naive sympy recurrence over
    the graph (per node, n = floor((n + 2p - d(k - 1) - 1)/s) + 1, j *= s,
    r += d(k - 1) j, start += ((k - 1)/2 - p) j; a merge takes sympy's Max/Min of
    the edges), then sympy.simplify of every node's five forms.  In-process, so
    without its process start (the stricter comparison).  Its output r is
    compared with the CLI's.

(c) The ResNet template (zoo `resnet_template`: basic blocks, stage depths L1..L4
    and the kernel k symbols), `rfsym derive resnet_template --format json`.
    Target: under 2 s through the CLI.  Alternative: the naive recurrence of (b)
    on the template unrolled at one depth (ResNet-34's 3, 4, 6, 3), which gives
    the forms of that one depth only; the closed form is checked against it.

Usage: python benchmarks/graph_derive.py
"""

from __future__ import annotations

import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

TIMEOUT = 60.0


def symbolic_resnet50() -> str:
    """The zoo's resnet50 with every kernel of 3 a symbol k_i (odd, padding (k_i - 1)/2), input n."""
    text = resources.files("rfsym.zoo").joinpath("resnet50.toml").read_text(encoding="utf-8")
    head, *blocks = text.split("[[layers]]")
    head = head.replace("input = 224", 'input = "n"')
    syms: list[str] = []
    out = []
    for b in blocks:
        if re.search(r"^kernel = 3$", b, re.M):
            name = f"k{len(syms) + 1}"
            syms.append(name)
            b = re.sub(r"^kernel = 3$", f'kernel = "{name}"', b, flags=re.M)
            b = re.sub(r"^padding = 1$", f'padding = "({name} - 1)/2"', b, flags=re.M)
        out.append(b)
    decl = "[symbols]\n" + "".join(f"{s} = {{ odd = true }}\n" for s in syms) + "\n"
    return head + decl + "[[layers]]" + "[[layers]]".join(out)


def unrolled_template(depths: tuple[int, ...]) -> str:
    text = resources.files("rfsym.zoo").joinpath("resnet_template.toml").read_text(encoding="utf-8")
    for i, d in enumerate(depths, 1):
        text = text.replace(f'times = "L{i} - 1"', f"times = {d - 1}").replace(f'times = "L{i}"', f"times = {d}")
    return text


def cli(spec: Path | str, repeat: int = 3) -> tuple[float, float, str]:
    """Best wall and CPU seconds of `python -m rfsym derive SPEC --format json`, and its output."""
    best_wall = best_cpu = float("inf")
    out = ""
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        res = subprocess.run(
            [sys.executable, "-m", "rfsym", "derive", str(spec), "--format", "json"],  # a path or a built-in
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if res.returncode != 0:
            raise SystemExit(f"rfsym derive failed: {res.stderr.strip()}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best_wall, best_cpu, out = min(best_wall, wall), min(best_cpu, cpu), res.stdout
    return best_wall, best_cpu, out


def naive(spec_text: str) -> tuple[float, object]:
    """The naive sympy recurrence over the graph, then sympy.simplify per node; (seconds, output r)."""
    import sympy

    import rfsym

    t = time.perf_counter()
    g = rfsym.loads(spec_text)
    syms = {s.name: s for s in g.free_symbols}
    n = sympy.Symbol("n", integer=True, positive=True)
    half = sympy.Rational(1, 2)
    state = {"input": (n, sympy.Integer(1), sympy.Integer(1), half, sympy.Integer(0))}
    for name, lay in zip(g.nodes, g.layers):
        ins = g.inputs_of(name)
        if lay.kind in ("add", "concat"):
            sts = [state[x] for x in ins]
            lo = sympy.Min(*[s[3] - (s[2] - 1) / 2 for s in sts])
            hi = sympy.Max(*[s[3] + (s[2] - 1) / 2 for s in sts])
            nn, j, _, _, P = sts[0]
            r, start = hi - lo + 1, (hi + lo) / 2
        else:
            nn, j, r, start, P = state[ins[0]]
            if lay.kind in ("conv", "pool"):
                k, s, (pl, pr), d, _ = lay.axis_params(0)
                k, s, pl, pr, d = (sympy.sympify(v).xreplace(syms) for v in (k, s, pl, pr, d))
                nn = sympy.floor((nn + pl + pr - d * (k - 1) - 1) / s) + 1
                r, start, P = r + d * (k - 1) * j, start + ((d * (k - 1)) / 2 - pl) * j, P + pl * j
                j = j * s
        state[name] = tuple(sympy.simplify(v) for v in (nn, j, r, start, P))
    return time.perf_counter() - t, state[g.nodes[-1]][2]


def main() -> None:
    import sympy

    text = symbolic_resnet50()
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "resnet50_k.toml"
        spec.write_text(text, encoding="utf-8")
        wall, cpu, out = cli(spec)
    forms = json.loads(out)
    t_naive, r_naive = naive(text)
    r_cli = sympy.sympify(forms["r"], locals={s: sympy.Symbol(s) for s in re.findall(r"k\d+", forms["r"])})
    same = sympy.expand(sympy.sympify(str(r_naive)) - r_cli) == 0
    print("rfsym derive of ResNet-50, every 3x3 kernel a symbol (17 symbols, 70 nodes, 16 merges):")
    print(
        f"  CLI (process start included): {wall:.2f} s wall, {cpu:.2f} s CPU   target < 2 s: {'ok' if wall < 2 else 'MISSED'}"
    )
    print(
        f"  per-node forms in the JSON: {len(forms['nodes'])}; merges proved aligned: "
        f"{sum(1 for m in forms['merges'] if m['aligned'] is True)}/{len(forms['merges'])}"
    )
    print(f"  naive sympy recurrence + simplify, in-process: {t_naive:.2f} s   ratio {t_naive / wall:.1f}x")
    print(f"  output r agrees with the naive recurrence: {same}")

    wall, cpu, out = cli("resnet_template")
    forms = json.loads(out)
    t_naive, r_naive = naive(unrolled_template((3, 4, 6, 3)))
    names = {s: sympy.Symbol(s) for s in ("k", "L1", "L2", "L3", "L4")}
    r_cli = sympy.sympify(forms["r"], locals=names).subs(
        {names["L1"]: 3, names["L2"]: 4, names["L3"]: 6, names["L4"]: 3}
    )
    same = sympy.expand(sympy.sympify(str(r_naive)) - r_cli) == 0
    print("rfsym derive of the ResNet template (stage depths L1..L4 and the kernel k symbolic):")
    print(
        f"  CLI (process start included): {wall:.2f} s wall, {cpu:.2f} s CPU   target < 2 s: {'ok' if wall < 2 else 'MISSED'}"
    )
    print(f"  r = {forms['r']}")
    print(
        f"  naive recurrence + simplify of ONE depth (3, 4, 6, 3), in-process: {t_naive:.2f} s   ratio {t_naive / wall:.1f}x"
    )
    print(f"  the closed form at (3, 4, 6, 3) agrees with it: {same}")


if __name__ == "__main__":
    main()
