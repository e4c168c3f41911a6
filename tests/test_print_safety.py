r"""Issue 10/11 for printing: one printer, one table renderer, LaTeX that means what it says, escaped names,
safe file writing, and exports that fail with one line.

* LaTeX round trip: printed expressions are parsed back with ``sympy.parsing.latex.parse_latex`` (an
  independent reader) and evaluated at random points against the expression that was printed.
* Escaping: random names with TeX specials and Unicode are exported and compiled by real pdflatex
  (``-recorder`` lists every file it opened: only the TeX installation and the job's own files).
* Files: FIFOs, device nodes and symbolic links are never written through; the umask is respected.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import stat
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import sympy
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sympy.core.function import AppliedUndef
from sympy.parsing.latex import parse_latex

import rfsym
from rfsym import Conv, Network, RfsymError, derive, latex, load
from rfsym._display import term_text
from rfsym._files import write_file
from rfsym.commands.export import PREAMBLE, document, export_body
from rfsym.printing.escape import tex_text, tex_visible
from rfsym.printing.printer import RfsymLatexPrinter
from rfsym.printing.table import table_cells, table_html, table_markdown, table_text
from rfsym.values import SymbolDomain

ROOT = Path(__file__).resolve().parent.parent
S, K, P, N = sympy.symbols("s k p n", integer=True, positive=True)


def cli(*args: str, cwd: Path | None = None, shell_suffix: str = "") -> subprocess.CompletedProcess[str]:
    """Run ``python -m rfsym`` (optionally through sh with a redirection suffix such as ``>&-``)."""
    if shell_suffix:
        cmd = " ".join([sys.executable, "-m", "rfsym", *[f"'{a}'" for a in args]]) + " " + shell_suffix
        return subprocess.run(["sh", "-c", cmd], capture_output=True, text=True, cwd=cwd)
    return subprocess.run([sys.executable, "-m", "rfsym", *args], capture_output=True, text=True, cwd=cwd)


def one_line_error(res: subprocess.CompletedProcess[str]) -> str:
    assert res.returncode == 2, (res.returncode, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rfsym: error:"), res.stderr
    assert "Traceback" not in res.stderr
    return lines[0]


# -- the LaTeX round trip -------------------------------------------------------------------------------


def _calls_to_products(e: sympy.Expr) -> sympy.Expr:
    """parse_latex reads ``s \\left(x\\right)`` as a call s(x): a product here."""
    return e.replace(lambda x: isinstance(x, AppliedUndef), lambda x: sympy.Symbol(x.func.__name__) * x.args[0])


def reparse(tex: str, symbols: set[sympy.Symbol], printer: RfsymLatexPrinter) -> sympy.Expr:
    """The expression that ``tex`` denotes, read by sympy's LaTeX parser, in terms of ``symbols``."""
    back = _calls_to_products(parse_latex(tex))
    names = {printer._print(s): s for s in symbols}
    return back.xreplace({x: names.get(x.name, x) for x in back.free_symbols})


def same_values(a: sympy.Expr, b: sympy.Expr, rng: random.Random, trials: int = 6) -> None:
    syms = sorted(a.free_symbols | b.free_symbols, key=str)
    for _ in range(trials):
        point = {x: rng.randint(1, 9) for x in syms}
        va, vb = a.xreplace(point), b.xreplace(point)
        assert sympy.nsimplify(va - vb) == 0, (a, b, point, va, vb)


LEAVES = [S, K, P, N, sympy.Integer(1), sympy.Integer(2), sympy.Rational(1, 2), sympy.Rational(-3, 2)]


@st.composite
def expressions(draw: st.DrawFn, depth: int = 3) -> sympy.Expr:
    """Sums and products with fractional coefficients, negative factors and floors (the class of the bug)."""
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(LEAVES))
    op = draw(st.sampled_from(["add", "mul", "neg", "frac", "floor"]))
    a = draw(expressions(depth - 1))
    if op == "neg":
        return -a
    if op == "frac":
        return a / draw(st.integers(2, 4))
    if op == "floor":
        return sympy.floor(a / draw(st.integers(2, 5)))
    b = draw(expressions(depth - 1))
    return a + b if op == "add" else a * b


class TestRoundTrip:
    def test_negative_fraction_factor_keeps_its_brackets(self) -> None:
        """s*(1/2 - k/2) is not s - (k-1)/2: the bracket around a negative one-fraction factor stays."""
        e = sympy.Mul(S, sympy.Rational(1, 2) - K / 2)
        tex = latex(e)
        assert tex != r"s - \frac{k - 1}{2}"
        assert sympy.expand(reparse(tex, {S, K}, RfsymLatexPrinter()) - e) == 0

    def test_effective_padding_example(self) -> None:
        """P = s(k - p - 1)/2 (issue 11) prints as a product, not as s - (p + 1 - k)/2."""
        e = sympy.Mul(S, K / 2 - P / 2 - sympy.Rational(1, 2))
        tex = latex(e)
        assert not tex.startswith("s - ")
        same_values(reparse(tex, {S, K, P}, RfsymLatexPrinter()), e, random.Random(1))

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(expressions(), st.sampled_from(["canonical", "as built"]))
    def test_random_expressions(self, e: sympy.Expr, order: str) -> None:
        """Every printed expression reads back (parse_latex) as the same function of its symbols."""
        p = RfsymLatexPrinter({"long_forms": order})
        tex = p._hprint_value(e)
        same_values(reparse(tex, e.free_symbols, p), e, random.Random(tex))

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.lists(
            st.tuples(
                st.sampled_from([1, 2, 3, "k", "2*k + 1"]),
                st.sampled_from([1, 2, "s"]),
                st.sampled_from([0, 1, "p"]),
                st.sampled_from([1, 2]),
            ),
            min_size=1,
            max_size=4,
        ),
        st.sampled_from(["canonical", "as built"]),
    )
    def test_random_closed_forms(self, spec: list[tuple], order: str) -> None:
        """The closed forms of random symbolic stacks (rfsym.derive) print as LaTeX that parses back to them."""
        layers = [Conv(kernel=k, stride=s, padding=p, dilation=d) for k, s, p, d in spec]
        domains = {"k": SymbolDomain(min=1), "s": SymbolDomain(min=1), "p": SymbolDomain(min=0)}
        forms = derive(Network(layers, input="n", symbols=domains))
        pr = RfsymLatexPrinter({"long_forms": order})
        rng = random.Random(str(spec))
        for q in ("n", "j", "r", "start", "P"):
            e = sympy.sympify(getattr(forms, q))
            tex = pr._hprint_value(e)
            back = reparse(tex, e.free_symbols, pr)
            syms = sorted(e.free_symbols, key=str)
            for _ in range(4):  # the forms hold for inputs at least as large as the stack needs
                point = {x: rng.randint(1, 5) if x.name != "n" else rng.randint(400, 900) for x in syms}
                assert sympy.nsimplify(e.xreplace(point) - back.xreplace(point)) == 0, (q, tex, point)


# -- one printer ---------------------------------------------------------------------------------------


class TestOnePrinter:
    def test_derive_cli_prints_what_latex_prints(self) -> None:
        """rfsym derive --format latex, ClosedForms.to_latex and rfsym.latex give the same string."""
        res = cli("derive", "alexnet", "--format", "latex")
        assert res.returncode == 0, res.stderr
        forms = derive(load("alexnet"))
        assert res.stdout.rstrip("\n") == forms.to_latex().rstrip("\n") == latex(forms, environment="align*")
        assert r"n_{L} &= \left\lfloor \frac{n - 227}{32} \right\rfloor + 1" in res.stdout

    def test_sympy_latex_and_jupyter_agree(self) -> None:
        """sympy.latex(forms) and Jupyter show the same relations as rfsym.latex."""
        forms = derive(Network([Conv(kernel="k", stride="s", padding="p")], input="n"))
        rels = latex(forms)
        assert sympy.latex(forms) == rels
        lines = " \\\\ ".join(forms.latex_lines())
        assert forms._repr_latex_() == "$\\begin{aligned}" + lines + "\\end{aligned}$"
        assert rels.startswith(r"n_{L} = \left\lfloor \frac{n + 2 p - k}{s} \right\rfloor + 1")

    def test_long_forms_print_fast_and_mean_the_same(self) -> None:
        """A 1000-layer symbolic closed form prints as built in well under the canonical printer's time,
        and on a 60-layer stack both orders read back to the same function."""
        net = Network([Conv(kernel=f"k{i}", stride=f"s{i}", padding=f"p{i}") for i in range(1000)], input="N")
        forms = derive(net)
        t = time.perf_counter()
        tex = latex(forms)
        elapsed = time.perf_counter() - t
        assert tex.count(r",\quad") == 4 and elapsed < 5.0, elapsed
        short = derive(Network([Conv(kernel=f"k{i}", stride=f"s{i}", padding=1) for i in range(60)], input="N"))
        rng = random.Random(0)
        for order in ("as built", "canonical"):
            pr = RfsymLatexPrinter({"long_forms": order})
            e = sympy.sympify(short.r)
            back = reparse(pr._hprint_value(e), e.free_symbols, pr)
            point = {x: rng.randint(1, 3) for x in e.free_symbols}
            assert e.xreplace(point) == back.xreplace(point)

    def test_table_entry_points_agree(self) -> None:
        """Table.to_latex, rfsym.latex(table), sympy.latex(table) and rfsym table --format latex are one string."""
        for t in (load("alexnet").table(), Network([Conv(kernel="k", stride="s")], input="n").table()):
            assert t.to_latex() == latex(t) == sympy.latex(t)
        res = cli("table", "alexnet", "--format", "latex")
        assert res.returncode == 0 and res.stdout.rstrip("\n") == load("alexnet").table().to_latex().rstrip("\n")
        res = cli("table", "alexnet", "--format", "markdown")
        assert res.stdout.rstrip("\n") == load("alexnet").table().to_markdown().rstrip("\n")
        res = cli("table", "alexnet")
        assert res.stdout.rstrip("\n") == load("alexnet").table().to_text().rstrip("\n")

    def test_unknown_long_forms_value(self) -> None:
        with pytest.raises(RfsymError, match="long_forms"):
            latex(sympy.Symbol("x"), long_forms="fast")


# -- one table renderer ------------------------------------------------------------------------------


class TestOneTableRenderer:
    def net(self) -> Network:
        return Network([Conv(kernel=[3, 5], padding=[[1, 0], 0], name="c")], input=[32, 33])

    def test_one_set_of_symbols(self) -> None:
        """Every text format uses '-' for no value, tuples '(3, 5)' per axis (issue 14: not '3x5', which reads
        as a product) and '1,0' for left,right padding, in parentheses inside a tuple."""
        t = self.net().table()
        cells = table_cells(t)
        assert cells[0][1] == "-" and cells[1][1] == "(3, 5)" and cells[1][3] == "((1,0), 0)"
        assert t.cells() == cells
        text = t.to_text()
        assert text == table_text(t) == str(t)
        assert "input (32, 33)" in text and "  ((1,0), 0)  " in text
        md = t.to_markdown()
        assert md == table_markdown(t) and "| c | (3, 5) | 1 | ((1,0), 0) |" in md
        html = t._repr_html_()
        assert html == table_html(t) and ">((1,0), 0)<" in html and "(32, 33)" in html
        assert "×" not in html + md + text and "3x5" not in html + md + text

    def test_graph_tables_share_the_renderer(self) -> None:
        """A graph table prints through the same renderer, plus its merge conditions."""
        g = rfsym.Graph(input=32, name="g")
        a = g.conv("input", kernel=3, padding=1, name="a")
        g.add(a, "input", name="sum")
        t = g.table()
        assert t.to_text() == table_text(t)
        assert t.to_markdown() == table_markdown(t)

    def test_names_are_escaped_for_the_terminal(self) -> None:
        """A layer name with a newline or an escape sequence cannot split a row or act on a terminal."""
        t = Network([Conv(kernel=3, name="evil\n\x1b[2J")], input=9, name="n\x07").table()
        text = t.to_text()
        assert "\x1b" not in text and "\x07" not in text and "evil\\n\\e[2J" in text
        assert len(text.splitlines()) == 5
        assert "\n" not in t.to_markdown().strip("\n").splitlines()[2]


# -- escaping ------------------------------------------------------------------------------------------

_NAME_CHARS = st.sampled_from(list("\\{}%#&_$^~<>|-'`,\"[]*\n\r\t ab1") + ["é", "中", "\u202e", "\x00", "\x1b"])
_ATTACKS = [
    "x\n\\input{/etc/hostname}",
    "y\r\\immediate\\openout5=pwned.tex \\immediate\\write5{owned}\\immediate\\closeout5",
    "^^5cinput{/etc/hostname}",
    "}\\catcode`\\%=11 {",
]


def compile_export(tmp: Path, name: str, t1: bool) -> tuple[str, list[str]]:
    """Compile the standalone export of a network called ``name``: (pdftotext output, files opened)."""
    net = Network([Conv(kernel=3, name=name), Conv(kernel=3, name="b" + name)], input=8, name=name)
    body = export_body(net)
    text = document(body, title=name)
    if t1:
        text = text.replace(PREAMBLE, PREAMBLE + "\\usepackage[T1]{fontenc}\n\\usepackage{lmodern}\n")
    (tmp / "doc.tex").write_text(text, encoding="utf-8")
    env = {**os.environ, "openout_any": "p", "openin_any": "p", "shell_escape": "f"}
    proc = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-recorder", "-no-shell-escape", "doc.tex"],
        cwd=tmp,
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout[-2000:]
    opened = (tmp / "doc.fls").read_text().splitlines()
    pdf = subprocess.run(["pdftotext", "-raw", "doc.pdf", "-"], cwd=tmp, capture_output=True, text=True)
    return pdf.stdout, opened


def _tex_trees() -> tuple[str, ...]:
    """The TeX installation's own trees (and its font caches, where generated fonts are read from)."""
    out = ["/usr/share/", "/var/lib/texmf", "/etc/texmf", "/usr/local/share/texmf", "/var/cache/fonts"]
    for var in ("TEXMFVAR", "TEXMFCACHE", "TEXMFSYSVAR", "TEXMFDIST", "TEXMFLOCAL"):
        res = subprocess.run(["kpsewhich", f"-var-value={var}"], capture_output=True, text=True)
        out += [v.rstrip("/") + "/" for v in res.stdout.strip().split(":") if v.startswith("/")]
    return tuple(out)


def _only_own_files(opened: list[str]) -> None:
    system = _tex_trees()
    for line in opened:
        kind, _, path = line.partition(" ")
        if kind == "PWD":
            continue
        own = path.lstrip("./").startswith("doc.")
        assert own or (kind == "INPUT" and path.startswith(system)), line


@pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext") is None, reason="needs TeX")
class TestEscapingCompiled:
    @settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.text(_NAME_CHARS, min_size=1, max_size=14))
    @example(_ATTACKS[0])
    @example(_ATTACKS[1])
    @example(_ATTACKS[2])
    @example(_ATTACKS[3])
    def test_names_print_and_run_nothing(self, tmp_path_factory: pytest.TempPathFactory, name: str) -> None:
        """A name with TeX specials, control characters or Unicode compiles, prints as itself (code points
        for what is not printable ASCII) and makes pdflatex open no file but its own."""
        tmp = tmp_path_factory.mktemp("esc")
        for t1 in (False, True):
            shown, opened = compile_export(tmp, name, t1)
            _only_own_files(opened)
            assert not (tmp / "pwned.tex").exists()
            if t1:  # in T1 every ASCII character has its glyph: the name appears verbatim
                flat = " ".join(shown.split())
                assert " ".join(tex_visible(name).split()) in flat, (name, flat[:400])

    def test_comment_lines_hold_no_newline(self) -> None:
        """The export's % comment carries the escaped name: a newline cannot end the comment."""
        net = Network([Conv(kernel=3)], input=8, name=_ATTACKS[0])
        body = export_body(net)
        assert body.splitlines()[0].startswith("% rfsym export of x{[}U+000A{]}\\textbackslash{}input\\{")
        assert "\\input{" not in body and "\n\\input" not in body

    def test_symbol_names_from_the_python_api_are_escaped(self) -> None:
        """A sympy Symbol made through the Python API (not the expression parser) with TeX in its name
        prints as escaped text in every LaTeX output."""
        x = sympy.Symbol("a}\\input{/etc/hostname}{", integer=True, positive=True)
        net = Network([Conv(kernel=x, name="c")], input=9)
        for tex in (latex(net.layers[0]), latex(net), net.table().to_latex(), sympy.latex(net)):
            assert "\\input{" not in tex and r"\text{a\}\textbackslash{}input\{/etc/hostname\}\{}" in tex

    def test_escape_table(self) -> None:
        """Each special prints through a command; nothing outside printable ASCII survives."""
        out = tex_text("\\{}%#&_$^~<>|\n\té")
        assert out == (
            r"\textbackslash{}\{\}\%\#\&\_\$\textasciicircum{}\textasciitilde{}\textless{}\textgreater{}"
            r"\textbar{}{[}U+000A{]}{[}U+0009{]}{[}U+00E9{]}"
        )
        assert term_text("a\x1b[31m\u202e") == "a\\e[31m\\u202e"


# -- files ---------------------------------------------------------------------------------------------


class TestFiles:
    def test_fifo_is_refused_even_with_force(self, tmp_path: Path) -> None:
        fifo = tmp_path / "f.tex"
        os.mkfifo(fifo)
        for force in (False, True):
            with pytest.raises(RfsymError, match="FIFO"):
                write_file(fifo, "x", force=force)
        assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
        res = cli("export", "alexnet", "-o", str(fifo), "--force")
        assert "is a FIFO" in one_line_error(res) and stat.S_ISFIFO(os.lstat(fifo).st_mode)

    def test_device_node_is_refused(self) -> None:
        for force in (False, True):
            with pytest.raises(RfsymError, match="character device"):
                write_file("/dev/null", "x", force=force)
        assert "character device" in one_line_error(cli("export", "alexnet", "-o", "/dev/full", "--force"))

    def test_symlinks_are_not_followed_or_replaced(self, tmp_path: Path) -> None:
        dangling = tmp_path / "d.tex"
        dangling.symlink_to(tmp_path / "nowhere.tex")
        target = tmp_path / "t.tex"
        target.write_text("keep")
        link = tmp_path / "l.tex"
        link.symlink_to(target)
        for path in (dangling, link):
            for force in (False, True):
                with pytest.raises(RfsymError, match="symbolic link"):
                    write_file(path, "x", force=force)
            assert path.is_symlink()
        assert not (tmp_path / "nowhere.tex").exists() and target.read_text() == "keep"
        assert "symbolic link" in one_line_error(cli("export", "alexnet", "-o", str(dangling)))

    def test_existing_file_needs_force_and_keeps_its_mode(self, tmp_path: Path) -> None:
        f = tmp_path / "a.tex"
        f.write_text("old")
        os.chmod(f, 0o640)
        with pytest.raises(RfsymError, match="file exists"):
            write_file(f, "new")
        write_file(f, "new", force=True)
        assert f.read_text() == "new" and stat.S_IMODE(f.stat().st_mode) == 0o640
        assert [p.name for p in tmp_path.iterdir()] == ["a.tex"]  # no temporary file left

    def test_read_only_file_is_not_replaced(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """--force does not rename over a file the user may not write (root may write anything: the
        permission check is what is asked, so it is answered as for an ordinary user)."""
        f = tmp_path / "ro.tex"
        f.write_text("keep")
        os.chmod(f, 0o444)
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, m: False if m == os.W_OK and str(p) == str(f) else real(p, m))
        with pytest.raises(RfsymError, match="read-only"):
            write_file(f, "new", force=True)
        assert f.read_text() == "keep"

    @pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
    def test_new_files_follow_the_umask(self, tmp_path: Path, mask: int) -> None:
        out = tmp_path / "x.tex"
        code = f"import os; os.umask({mask}); from rfsym.cli import main; raise SystemExit(main(['export', 'alexnet', '-o', {str(out)!r}]))"
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert res.returncode == 0, res.stderr
        assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~mask


class TestExportErrors:
    @pytest.mark.parametrize(
        "target, words",
        [
            ("", "empty"),
            ("/proc/rfsym-export.tex", "cannot write"),
            ("x" * 300 + ".tex", "file name too long"),
            ("no/such/dir/a.tex", "does not exist"),
        ],
    )
    def test_bad_output_paths(self, tmp_path: Path, target: str, words: str) -> None:
        """export -o '' / an unwritable place / a 300-character name: one line on stderr, exit 2."""
        assert words in one_line_error(cli("export", "alexnet", "-o", target, cwd=tmp_path))

    def test_read_only_directory(self, tmp_path: Path) -> None:
        ro = tmp_path / "ro"
        ro.mkdir()
        os.chmod(ro, 0o500)
        try:
            if os.access(ro, os.W_OK):  # root writes anywhere: a read-only file system instead
                target = "/proc/self/rfsym.tex"
            else:
                target = str(ro / "a.tex")
            assert "cannot write" in one_line_error(cli("export", "alexnet", "-o", target))
        finally:
            os.chmod(ro, 0o700)

    @pytest.mark.parametrize("suffix", [">&-", "> /dev/full"])
    def test_stdout_closed_or_full(self, suffix: str) -> None:
        """export -o - with stdout closed or on /dev/full: one line on stderr, exit 2."""
        res = cli("export", "alexnet", "-o", "-", shell_suffix=suffix)
        assert "standard output" in one_line_error(res)

    def test_huge_input_is_refused_before_the_work(self) -> None:
        """export --input 1000000000: the figure limit is checked first (one line, fast); without the
        figure the export is quick (the table is arithmetic on integers)."""
        t = time.perf_counter()
        res = cli("export", "alexnet", "--input", "1000000000", "-o", "-")
        assert "at most 16777216 input pixels" in one_line_error(res) and "--no-figure" in res.stderr
        res = cli("export", "alexnet", "--input", "1000000000", "-o", "-", "--no-figure")
        assert res.returncode == 0 and "31249993" in res.stdout
        assert time.perf_counter() - t < 30

    def test_symbolic_1000_layer_export(self) -> None:
        """A fully symbolic 1000-layer stack exports (derivation with sums and products; the per-layer table
        is left out with a warning) without recursion errors, in bounded time."""
        net = Network([Conv(kernel=f"k{i}", stride=f"s{i}", padding=f"p{i}") for i in range(1000)], input="N")
        t = time.perf_counter()
        with pytest.warns(UserWarning, match="table is left out"):
            body = export_body(net)
        assert time.perf_counter() - t < 5.0
        assert r"\prod" in body and r"\sum" in body and "begin{table}" not in body


def test_json_unaffected_by_table_symbols() -> None:
    """The JSON form keeps exact values (the symbols are a matter of the text renderers)."""
    t = Network([Conv(kernel=[3, 5], name="c")], input=[10, 12]).table()
    assert json.loads(t.to_json())["layers"][0]["r"] == [3, 5]
    assert Fraction(1, 2) == Fraction(t.origin)


# -- long symbolic tables ----------------------------------------------------------------------------------

_PREV = re.compile(r"(n|j|r|start|P)\[([^\]]*)\]")


def _read_recurrence(text: str, prev: dict[str, sympy.Expr], names: dict[str, sympy.Symbol]) -> sympy.Expr:
    """A recurrence cell as sympy: the previous row's values substituted for ``q[prev]``."""
    body = _PREV.sub(lambda m: f"PREV_{m.group(1)}", text)
    local = {**names, **{f"PREV_{q}": v for q, v in prev.items()}, "floor": sympy.floor}
    return sympy.sympify(body, locals=local)


class TestLongSymbolicTables:
    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        st.lists(
            st.tuples(
                st.sampled_from([1, 3, "k{i}", "2*k{i} + 1"]),
                st.sampled_from([1, 2, "s{i}"]),
                st.sampled_from([0, 1, "p{i}", "same"]),
                st.sampled_from([1, 2, "d{i}"]),
            ),
            min_size=3,
            max_size=6,
        )
    )
    def test_recurrence_rows_hold_the_full_values(self, monkeypatch: pytest.MonkeyPatch, spec: list[tuple]) -> None:
        """Each row printed as a recurrence, evaluated on the previous row's full values, equals the row's own
        full values (lazy, from the composed maps) at random parameter values: text and LaTeX forms alike."""
        import rfsym.network as network

        monkeypatch.setattr(network, "FULL_ROWS", 1)
        monkeypatch.setattr(network, "LONG_FULL_ROWS", 1)
        layers, domains = [], {}
        for i, (k, s, p, d) in enumerate(spec):
            vals = [v.format(i=i) if isinstance(v, str) else v for v in (k, s, p, d)]
            for v, lo in zip(vals, (1, 1, 0, 1)):
                if isinstance(v, str) and v != "same":
                    for name in re.findall(r"[a-z]\d+", v):
                        domains[name] = SymbolDomain(min=lo)
            layers.append(Conv(kernel=vals[0], stride=vals[1], padding=vals[2], dilation=vals[3], name=f"c{i}"))
        table = Network(layers, input="n", symbols=domains).table()
        assert table.recurrence_from == 2 and "recurrence" in table.to_text()
        rng = random.Random(str(spec))
        syms = {name: sympy.Symbol(name) for name in [*domains, "n"]}

        def at(e: Any, values: dict[str, int]) -> Any:
            e = sympy.sympify(e)
            return e.xreplace({x: values[x.name] for x in e.free_symbols if x.name in values})

        for _ in range(2):
            values = {name: rng.randint(1, 3) for name in domains}
            values["n"] = rng.randint(200, 400)
            for before, row in zip(table.rows[1:], table.rows[2:]):
                prev = {q: at(getattr(before.states[0], q), values) for q in ("n", "j", "r", "start", "P")}
                for k, q in enumerate(("n", "j", "r", "start", "P")):
                    want = at(getattr(row.states[0], q), values)
                    got = at(_read_recurrence(row.recurrence_text()[k], prev, syms), values)
                    expr = row.recurrence()[k]
                    via = at(
                        expr.xreplace(
                            {x: prev[x.name[: x.name.index("[")]] for x in expr.free_symbols if "[" in x.name}
                        ),
                        values,
                    )
                    assert got == want and via == want, (q, row.name, got, via, want)

    def test_thousand_layers_through_the_cli(self, tmp_path: Path) -> None:
        """rfsym table of a fully symbolic 1000-layer spec prints recurrences (bounded output); JSON refuses
        it with one line before building any cell."""
        lines = ['name = "s1000"', 'input = "n"', "[symbols]"]
        lines += [f"k{i} = {{ min = 1 }}\ns{i} = {{ min = 1 }}\np{i} = {{ min = 0 }}" for i in range(1000)]
        lines += [f'[[layers]]\nkind = "conv"\nkernel = "k{i}"\nstride = "s{i}"\npadding = "p{i}"' for i in range(1000)]
        spec = tmp_path / "s.toml"
        spec.write_text("\n".join(lines) + "\n")
        t = time.perf_counter()
        res = cli("table", str(spec))
        assert res.returncode == 0, res.stderr
        assert time.perf_counter() - t < 30 and len(res.stdout) < 2_000_000
        last = [ln for ln in res.stdout.splitlines() if ln.startswith("conv1000 ")][0]
        assert "floor((n[conv999]" in last and "/s999) + 1" in last and "s999*j[conv999]" in last
        assert one_line_error(cli("table", str(spec), "--format", "json")).count("too long for JSON") == 1


class TestPolyStr:
    """The fast printer of long symbolic tables (``_arith.poly_str``): whatever it prints means the same
    expression; what it cannot print it leaves to sympy (None)."""

    _SYMS = sympy.symbols("k s p d", integer=True, positive=True)

    @staticmethod
    def _exprs() -> st.SearchStrategy[Any]:
        leaf = st.one_of(
            st.sampled_from(TestPolyStr._SYMS),
            st.integers(-7, 7).map(sympy.Integer),
            st.fractions(min_value=-5, max_value=5, max_denominator=6).map(
                lambda f: sympy.Rational(f.numerator, f.denominator)
            ),
        )
        return st.recursive(
            leaf,
            lambda kids: st.one_of(
                st.lists(kids, min_size=2, max_size=3).map(lambda xs: sympy.Add(*xs)),
                st.lists(kids, min_size=2, max_size=3).map(lambda xs: sympy.Mul(*xs)),
                st.tuples(kids, st.integers(-2, 3)).map(
                    lambda t: sympy.Pow(t[0], t[1]) if t[0] != 0 or t[1] > 0 else t[0]
                ),
                kids.map(sympy.floor),
            ),
            max_leaves=8,
        )

    @settings(max_examples=400, deadline=None)
    @given(st.data())
    def test_means_the_same(self, data: st.DataObject) -> None:
        from rfsym._arith import poly_str

        e = data.draw(self._exprs())
        text = poly_str(e)
        if text is None:
            assert any(not (a.is_Add or a.is_Mul or a.is_Atom or (a.is_Pow and a.exp.is_Integer and a.exp > 1))
                       for a in sympy.preorder_traversal(e))  # fmt: skip
            return
        names = {x.name: x for x in self._SYMS}
        back = sympy.sympify(text, locals=names)
        assert sympy.expand(back - e) == 0, (e, text)

    def test_reads_like_a_paper(self) -> None:
        from rfsym._arith import poly_str

        k, s, p, d = self._SYMS
        assert poly_str(d * (k - 1) / 2 - p) == "d*(k - 1)/2 - p"
        assert poly_str(-d * (k - 1) + 2 * p - 1) == "2*p - d*(k - 1) - 1"
        assert poly_str(1 - k) == "1 - k"
        assert poly_str(s * (k + 1) ** 2) == "s*(k + 1)**2"
        assert poly_str(sympy.floor(k / 2)) is None
        assert poly_str(k / s) is None
