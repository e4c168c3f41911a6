"""Issue 14: every export kind x every built-in model (and a 3-D, a 1-D audio, a repeat and a symbolic spec)
compiles with real pdflatex using only the documented packages (amsmath, booktabs, tikz), with ZERO overfull
boxes, and renders with pdftoppm.

All the cases go into one document, compiled in one pdflatex run (a run costs about a second of start-up);
``\\typeout`` markers in the log attribute each warning to its case.  Kinds: the export (table, derivation
or output, figure), the output relations (``rfsym.latex``), the table with pass-through rows shown, the
figure through ``rfsym plot -o .tex`` (the same tikz_figure) and solution sets."""

from __future__ import annotations

import re
import subprocess
import warnings
from pathlib import Path

from rfsym import Conv, Network, Pool, derivation, latex, load, loads, solve
from rfsym.commands.export import PREAMBLE, document, export_body
from rfsym.io.spec import builtin_names
from rfsym.printing.pdflatex import run_pdflatex
from rfsym.printing.units import parse_units

REPEAT = """
name = "repeat"
input = "N"
[symbols]
N = { min = 1 }
k = { min = 1 }
s = { min = 1 }
p = { min = 0 }
L = { min = 1 }
[[layers]]
name = "blocks"
kind = "repeat"
times = "L"
layers = [{ kind = "conv", kernel = "k", stride = "s", padding = "p" }]
"""

SYMBOLIC = """
name = "symbolic"
input = "n"
[symbols]
n = { min = 1 }
k = { min = 1 }
s = { min = 1 }
p = { min = 0 }
[[layers]]
kind = "conv"
kernel = "k"
stride = "s"
padding = "p"
[[layers]]
kind = "pool"
kernel = 2
[[layers]]
kind = "conv"
kernel = 3
stride = "s"
"""

TEMPLATE = """
input = 64
[symbols]
k = { min = 1, max = 9 }
s = { choices = [1, 2, 3] }
[[layers]]
kind = "conv"
kernel = "k"
stride = "s"
[[layers]]
kind = "conv"
kernel = 3
stride = 2
"""

INPUT_N = """
input = "N"
[symbols]
N = { min = 1 }
[[layers]]
kind = "conv"
kernel = 3
stride = 4
[[layers]]
kind = "conv"
kernel = 3
stride = 4
"""

STAGE = """
[symbols]
k = { min = 1 }
L = { min = 1 }
[[layers]]
name = "stage"
kind = "repeat"
times = "L"
layers = [{ kind = "conv", kernel = "k", stride = 2 }]
"""


def _cases() -> dict[str, str]:
    cases: dict[str, str] = {}
    for name in builtin_names():
        net = load(name)
        cases[f"{name}/export"] = export_body(net)
        cases[f"{name}/latex"] = latex(net, environment="align*")
    vgg = load("vgg16")
    cases["vgg16/pass-through"] = vgg.table().to_latex(pass_through=True, label="tab:vgg-all")
    cases["vgg16/landscape-exact"] = vgg.table().to_latex(landscape=True, numbers="exact", label="tab:vgg-land")
    nd = Network(
        [Conv(kernel=[3, 7, 7], stride=[1, 2, 2], padding=[1, 3, 3], name="c1"), Pool(kernel=[1, 2, 2], name="p1"),
         Conv(kernel=3, stride=[2, 1, 1], padding=1, name="c2")],
        input=[16, 64, 64],
        name="video3d",
    )  # fmt: skip
    cases["3-D/export"] = export_body(nd)
    cases["audio/export-ms"] = export_body(load("wav2vec2_feature_encoder"), units=parse_units(sample_rate=16000))
    cases["repeat/export"] = export_body(loads(REPEAT))
    cases["symbolic/export"] = export_body(loads(SYMBOLIC))
    full = Network([Conv(kernel=f"k_{i}", stride=f"s_{i}", padding=f"p_{i}") for i in range(1, 7)], input="n")
    cases["symbolic/table-6"] = full.table().to_latex()
    for depth in (5, 12, 20):  # fully symbolic stacks: long closed forms broken into lines, long tables named
        stack = Network(
            [Conv(kernel=f"k_{i}", stride=f"s_{i}", padding=f"p_{i}") for i in range(1, depth + 1)],
            input="n",
            name=f"symbolic{depth}",
        )
        cases[f"symbolic/export-{depth}"] = export_body(stack)
    dilated = Network([Conv(kernel="k", dilation="d", name="a"), Conv(kernel=3, dilation="e", name="b")], input=64)
    cases["spread"] = derivation(load("alexnet"), spread=True, label="eq:sp") + derivation(dilated, spread=True)
    cases["solutions"] = (
        "\n".join(
            latex(res, environment=env)
            for res in (
                solve(loads(TEMPLATE), r=11),
                solve(loads(TEMPLATE), r=">=7"),
                solve(loads(TEMPLATE), r=1000),
                solve(loads(INPUT_N), n=">=10"),
                solve(loads(STAGE), r="R", unknowns=["k"]),
            )
            for env in ("align*", "equation*")
        )
        + "\n\\noindent Inline: $"
        + latex(solve(loads(TEMPLATE), r=">=7"))
        + "$.\n"
    )
    return cases


def test_every_export_compiles_without_overfull_boxes(tmp_path: Path) -> None:
    """One document of every case: pdflatex succeeds, loads only amsmath/booktabs/tikz, no case has an
    overfull box or a float too large for its page, and pdftoppm renders every page."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = _cases()
    body = "".join(f"\\clearpage\n\\typeout{{RFSYM-CASE {name}}}\n{tex}\n" for name, tex in cases.items())
    text = document(body + "\\clearpage\n\\typeout{RFSYM-CASE end}\n")
    assert text.startswith(PREAMBLE)
    assert set(re.findall(r"\\usepackage(?:\[[^]]*\])?\{([^}]*)\}", text)) == {"amsmath", "booktabs", "tikz"}
    assert r"\varnothing" not in text and r"\tiny" not in text and r"\text{if} =" not in text
    run = run_pdflatex(tmp_path, "all", text, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:]
    log = run.log
    case, bad = "preamble", []
    for line in log.splitlines():
        m = re.match(r"RFSYM-CASE (.*)", line)
        if m:
            case = m.group(1)
        elif "Overfull \\hbox" in line or "Overfull \\vbox" in line or "Float too large" in line:
            bad.append(f"{case}: {line}")
    assert bad == [], "\n".join(bad)
    assert "multiply defined" not in log
    render = subprocess.run(
        ["pdftoppm", "-png", "-r", "12", "all.pdf", "page"], cwd=tmp_path, capture_output=True, timeout=600
    )
    pages = int(re.search(r"Output written on all\.pdf \((\d+) pages?", log.replace("\n", "")).group(1))
    assert render.returncode == 0 and len(list(tmp_path.glob("page-*.png"))) == pages
    assert run.cpu_seconds < 120  # bounded: one TeX run for every case
