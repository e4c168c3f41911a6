"""A fuzz run of the command line (issue 11): hostile spec files, expressions, names and flags.

Every case must end with exit status 0 or 2; on 2, stderr is one line
``rfsym...: error: ...`` (an argument error adds one ``usage:`` line before
it; ``rfsym: warning:`` lines may precede it); never a traceback; within a
time bound and a memory bound.

The bulk runs in-process (``rfsym.cli.main``) inside a worker subprocess that
has an address-space limit and a timer per case, so a memory or time bomb
fails its case instead of the test run; the worker is restarted when a case
kills it.  A second group runs ``python -m rfsym`` as a user does.  Examples
are fixed in number and derandomised, so CI runs the same cases every time.
"""

from __future__ import annotations

import json
import math
import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
#: Seconds per in-process case (a timer in the worker) and per subprocess case.
CASE_SECONDS = 8.0
PROCESS_SECONDS = 15.0
#: Characters that must not reach a terminal unescaped (tab and newline are fine).
UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
#: Address-space limit of the worker and of subprocess cases (bytes).
MEMORY = 2 * 1024**3

WORKER = r"""
import contextlib, io, json, os, re, resource, signal, sys, time
UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
proto = os.fdopen(os.dup(1), "w")
null = os.open(os.devnull, os.O_WRONLY)
os.dup2(null, 1)

class Timeout(BaseException):
    pass

def alarm(*_):
    raise Timeout()

signal.signal(signal.SIGALRM, alarm)
from rfsym.cli import main
import sympy  # loaded once here rather than in the first timed case

for line in sys.stdin:
    argv = json.loads(line)
    out, err = io.StringIO(), io.StringIO()
    t = time.perf_counter()
    code, timeout = None, False
    signal.setitimer(signal.ITIMER_REAL, SECONDS)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except Timeout:
        timeout = True
    except BaseException as e:
        err.write(f"Traceback (escaped from main): {type(e).__name__}: {e}\n")
        code = -1
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    secs = time.perf_counter() - t
    lines = [x[:1000] for x in err.getvalue().splitlines()[-20:]]  # the contract is about lines: keep each one's head
    raw = UNSAFE.search(out.getvalue()) or UNSAFE.search(err.getvalue().replace("\n", ""))
    res = {"code": code, "err": "\n".join(lines), "secs": secs, "timeout": timeout, "raw": raw and repr(raw.group())}
    proto.write(json.dumps(res) + "\n")
    proto.flush()
"""


def _limit_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


class Worker:
    """A long-lived process that runs ``rfsym.cli.main(argv)`` per request; restarted when a case kills it."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self.cases = 0
        self.codes: dict[Any, int] = {}
        self.slowest: tuple[float, list[str]] = (0.0, [])

    def start(self) -> None:
        code = WORKER.replace("MEMORY", str(MEMORY)).replace("SECONDS", str(CASE_SECONDS))
        env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        env.pop("RFSYM_TRACEBACK", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )

    def run(self, argv: list[str]) -> dict[str, Any]:
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout is not None
        self.cases += 1
        self.proc.stdin.write(json.dumps(argv) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], CASE_SECONDS + 20)
        line = self.proc.stdout.readline() if ready else ""
        if not line:  # killed by the memory limit, a crash, or stuck in C code past the timer
            self.stop()
            return {"code": None, "err": "", "secs": math.inf, "timeout": not ready, "died": True}
        res = json.loads(line)
        self.codes[res["code"]] = self.codes.get(res["code"], 0) + 1
        self.slowest = max(self.slowest, (res["secs"], argv))
        return res

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            for pipe in (self.proc.stdin, self.proc.stdout):
                if pipe is not None:
                    pipe.close()
            self.proc = None


@pytest.fixture(scope="module")
def worker():
    w = Worker()
    yield w
    w.stop()
    secs, argv = w.slowest
    print(f"\nfuzz: {w.cases} in-process cases, by exit status: {dict(sorted(w.codes.items(), key=str))}")
    print(f"fuzz: slowest case {secs:.2f} s: rfsym {' '.join(a[:40] for a in argv)}")


def problems(
    argv: list[str], code: Any, err: str, secs: float, timeout: bool = False, died: bool = False, raw: Any = None
) -> str:
    """Why a run breaks the contract ('' when it keeps it)."""
    cmd = " ".join(repr(a) if len(a) < 80 else repr(a[:60]) + f"...({len(a)} chars)" for a in argv)
    if died:
        return f"the process died (memory above {MEMORY >> 20} MiB or a crash): rfsym {cmd}"
    if timeout:
        return f"no answer within {CASE_SECONDS} s: rfsym {cmd}"
    last = err.splitlines()[-1] if err.strip() else ""
    if "Traceback" in err:
        return f"traceback: rfsym {cmd}\n{err[-1500:]}"
    if raw:
        return f"a control character ({raw}) reaches the terminal unescaped: rfsym {cmd}"
    if code not in (0, 2):
        return f"exit {code}: rfsym {cmd}\n  {last[:500]}"
    if code == 2:
        lines = [x for x in err.splitlines() if not x.startswith("rfsym: warning:")]
        ok = len(lines) == 1 or (len(lines) == 2 and lines[0].startswith("usage: "))
        if not ok or not (lines and lines[-1].startswith("rfsym") and "error:" in lines[-1]):
            return f"exit 2 without exactly one error line: rfsym {cmd}\n{err[:1500]}"
    return ""


def check(worker: Worker, argv: list[str]) -> None:
    res = worker.run(argv)
    why = problems(argv, res["code"], res["err"], res["secs"], res["timeout"], res.get("died", False), res.get("raw"))
    assert not why, why


# -- strategies ---------------------------------------------------------------

SYMBOLS = ["k", "s", "p", "d", "n", "i", "L"]


def nest(n: int, inner: str, left: str = "(", right: str = ")") -> str:
    return left * n + inner + right * n


deep = st.integers(0, 6000)
#: Small well-formed expressions over the spec's symbols: what a user writes, with every operator.
formulas = st.recursive(
    st.one_of(st.sampled_from(SYMBOLS), st.integers(-3, 12).map(str)),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**", "//", "%"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        st.tuples(st.sampled_from(["floor", "ceiling", "Max", "Min", "Abs", "-"]), inner, inner).map(
            lambda t: (
                f"-({t[1]})"
                if t[0] == "-"
                else f"{t[0]}({t[1]}, {t[2]})"
                if t[0] in ("Max", "Min")
                else f"{t[0]}({t[1]})"
            )
        ),
    ),
    max_leaves=12,
)
expressions = st.one_of(
    formulas,
    st.sampled_from(SYMBOLS),
    st.integers(-5, 9).map(str),
    deep.map(lambda n: nest(n, "k")),
    deep.map(lambda n: nest(n, "k", "floor(")),
    deep.map(lambda n: nest(n, "1", "Max(k, ")),
    deep.map(lambda n: "-" * n + "1"),
    deep.map(lambda n: "+" * n + "k"),
    st.integers(1, 400).map(lambda n: "2**" * n + "2"),
    st.sampled_from(
        [
            "((2**4096)**4096)**4096",
            "(k+1)**1000",
            "(p+1)**4000",
            "10**100000",
            "9" * 5000,
            "1/k",
            "k/0",
            "0**-1",
            "zoo",
            "nan",
            "oo",
            "I",
            "E",
            "pi",
            "k.real",
            "__import__('os')",
            "lambda: 1",
            "k if k else 1",
            "[k]",
            "k;k",
            "Sum(k, (k, 1, 10**9))",
            "factorial(10**9)",
            "Symbol('x')",
            "same",
            "valid",
            "1e400",
            "0x10",
            "1_000",
            "١٢",
            "k\x00",
            "𝑘",
        ]
    ),
    st.text(max_size=30),
)
numbers = st.one_of(
    st.integers(-3, 20),
    st.integers(min_value=-(10**60), max_value=10**60),
    st.sampled_from([2**63, 2**64 + 1, 10**400, -(10**400), 2**80 + 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([12345678901234567.0, 0.5, -0.0, 1e308]),
)
hostile_names = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        [
            "a\nb",
            "\x1b[2J\x1b[31mred",
            "\u202eevil",
            "x\r\ny",
            "%\n\\input{/etc/hostname}",
            "$\\def\\x{}$",
            "input",
            "",
            "a" * 3000,
            "\ud800",
            "\x00",
        ]
    ),
)
hostile = st.one_of(numbers, expressions, st.lists(st.one_of(numbers, expressions), max_size=4), st.booleans())
#: Per kind, its fields and values that pass validation, so that one hostile field at a time
#: (or none: a valid spec) reaches the deeper code.
SANE: dict[str, list[Any]] = {
    "kernel": [1, 3, 5, "k", "2*k + 1", [3, 1]],
    "stride": [1, 2, "s", [2, 1]],
    "padding": [0, 1, "p", "same", "valid", [1, 0], "(k - 1)/2"],
    "dilation": [1, 2, "d"],
    "output_padding": [0, 1],
    "scale": [2, "s"],
    "times": [1, 2, 3, "L"],
    "ceil_mode": [True, False],
    "mode": ["max", "avg", "nearest"],
    "index": ["i"],
}
KIND_FIELDS = {
    "conv": ["kernel", "stride", "padding", "dilation"],
    "pool": ["kernel", "stride", "padding", "dilation", "ceil_mode"],
    "conv_transpose": ["kernel", "stride", "padding", "output_padding", "dilation"],
    "upsample": ["scale", "mode"],
    "relu": [],
    "repeat": ["times", "index"],
    "add": [],
    "concat": [],
}
FIELDS = sorted(SANE)
DOMAINS: dict[str, dict[str, Any]] = {
    "k": {"min": 1, "max": 7, "odd": True},
    "s": {"choices": [1, 2]},
    "p": {"min": 0, "max": 3},
    "d": {"min": 1, "max": 3},
    "L": {"min": 1, "max": 4},
    "n": {"min": 1},
    "i": {},
}


@st.composite
def layer_dicts(draw: Any, depth: int = 0) -> dict[str, Any]:
    kind = draw(st.sampled_from(sorted(KIND_FIELDS)))
    d: dict[str, Any] = {"kind": kind}
    which = draw(st.integers(0, 9))
    if which == 0:
        d["name"] = draw(hostile_names)
    elif which >= 3 and depth == 0:
        d["name"] = None  # spec_texts names it c<position>, for `inputs` of later layers to refer to
    for f in KIND_FIELDS[kind]:
        if f in ("kernel", "scale", "times") or draw(st.booleans()):
            d[f] = draw(st.sampled_from(SANE[f]))
    spoil = draw(st.integers(0, 7))
    if spoil == 0:  # one hostile value in a field of this kind (or any field, or the kind)
        d[draw(st.sampled_from(KIND_FIELDS[kind] or FIELDS + ["kind"]))] = draw(hostile)
    elif spoil == 1 and d:
        del d[draw(st.sampled_from(sorted(d)))]
    if kind == "repeat":
        d["layers"] = (
            draw(st.lists(layer_dicts(depth + 1), min_size=0 if spoil == 2 else 1, max_size=2)) if depth < 2 else []
        )
    if kind in ("add", "concat") or draw(st.integers(0, 5)) == 0:
        names = st.one_of(*[st.sampled_from(["input", "c1", "c2", "c3", "c4"])] * 5, hostile_names)
        d["inputs"] = draw(st.lists(names, min_size=1, max_size=3))
    return d


def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if v != v else ("inf" if v == math.inf else "-inf" if v == -math.inf else repr(v))
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(v)


domains = st.dictionaries(
    st.sampled_from(["min", "max", "odd", "even", "choices", "step"]),
    st.one_of(numbers, st.booleans(), st.lists(numbers, max_size=4)),
    max_size=3,
)
inputs = st.one_of(*[st.sampled_from([9, 32, 224, "n", [32, 32], [64, 48]])] * 4, hostile)


@st.composite
def spec_texts(draw: Any) -> str:
    lines = []
    if draw(st.integers(0, 5)) == 0:
        lines.append(f"name = {toml_value(draw(hostile_names))}")
    if draw(st.integers(0, 3)):
        lines.append(f"input = {toml_value(draw(inputs))}")
    lines.append("[symbols]")
    for sym, dom in DOMAINS.items():
        lines.append(f"{sym} = {toml_value(draw(domains) if draw(st.integers(0, 29)) == 0 else dom)}")
    layers = draw(st.lists(layer_dicts(), min_size=1, max_size=5))
    for i, d in enumerate(layers, 1):
        if "name" in d and d["name"] is None:
            d["name"] = f"c{i}"
    return "\n".join(lines) + "\n" + "\n".join(_layer_table(d) for d in layers)


def _layer_table(d: dict[str, Any]) -> str:
    return "[[layers]]\n" + "\n".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in d.items()) + "\n"


targets = st.one_of(
    st.sampled_from(["r=5", "r>=3", "j<=4", "n=1..9", "P=-1", "r<=1.5", "j=1/2", "conv1.r=3", "start=0.5"]),
    expressions.map(lambda e: f"r={e}"),
    st.text(max_size=20),
)
flag_values = st.one_of(
    expressions, numbers.map(str), st.sampled_from(["", "-", "--", "-1", "10**12", "1e3", "a,b", "3,3,3"])
)


#: Valid values per option, and the solve options' valid values.
GOOD = {
    "--input": ["9", "n", "96,80", "64", "N"],
    "--format": ["text", "json", "markdown", "latex"],
    "--convention": ["framework", "seed"],
    "--origin": ["0", "0.5"],
    "--limit": ["0", "5", "1000"],
    "--axis": ["0", "1"],
    "--given": ["k=3", "s=2", "p=1"],
    "--unknown": ["k", "s", "p"],
    "--at": ["c1", "c2"],
    "--minimize": ["depth", "sum_k2"],
    "--columns": ["layer,k,s,p,n,r", "n,j,r,start,P"],
    "--layer": ["c1", "c2"],
    "--notation": ["subscript", "superscript"],
    "--unit": ["0", "3", "1,2", "-1"],
    "--mass": ["0.95", "0.5", "1"],
}
GOOD_TARGETS = [
    "r=5",
    "holes=0",
    "dense",
    "r>=3",
    "j<=4",
    "n=1..9",
    "P=-1",
    "r<=1.5",
    "j=1/2",
    "c1.r=3",
    "start=0.5",
    "r=R",
    "r>=7",
]


@st.composite
def options(draw: Any, command: str) -> list[str]:
    """Options for ``command``: all valid, or (one case in three) one hostile value or flag."""
    bad = draw(st.integers(0, 2)) == 0

    def value(flag: str) -> str:
        return draw(flag_values) if bad and draw(st.integers(0, 2)) == 0 else draw(st.sampled_from(GOOD[flag]))

    flags = {
        "table": ["--input", "--convention", "--origin", "--format"],
        "derive": ["--input", "--origin", "--format"],
        "solve": ["--input", "--convention", "--origin", "--format", "--limit", "--axis", "--given", "--unknown"]
        + ["--at", "--minimize"],
        "export": ["--input", "--convention", "--origin", "--columns", "--layer", "--notation"],
        "coverage": ["--input", "--layer", "--unit", "--axis", "--mass", "--format"],
    }[command]
    out: list[str] = []
    for flag in flags:
        if draw(st.integers(0, 3)) == 0:
            v = value(flag)
            if flag == "--format" and command != "table" and v == "markdown":
                v = "json"
            if flag == "--format" and command == "coverage" and v == "latex":
                v = "text"
            out += [flag, v]
    if command == "solve":
        for _ in range(draw(st.integers(1, 2))):
            out += ["--target", draw(targets) if bad else draw(st.sampled_from(GOOD_TARGETS))]
        out += [f for f in ("--count", "--exact") if draw(st.integers(0, 3)) == 0]
    if command == "export":
        out += ["-o", "-"]
    if bad and draw(st.integers(0, 3)) == 0:
        out += draw(st.sampled_from([["--bogus"], ["-x"], ["--input"], ["--target"], ["--limit", "x"], ["--", "-"]]))
    return out


COMMANDS = ["table", "derive", "solve", "export", "coverage"]
FUZZ = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)


# -- the fuzz run -------------------------------------------------------------


@FUZZ
@given(data=st.binary(max_size=400), command=st.sampled_from(COMMANDS))
def test_random_bytes_as_spec(worker, tmp_path_factory, data, command):
    """Random bytes as a spec file: a syntax or validation error on one line, never a traceback."""
    path = tmp_path_factory.mktemp("bytes") / "net.toml"
    path.write_bytes(data)
    extra = ["--target", "r=5"] if command == "solve" else ["-o", "-"] if command == "export" else []
    check(worker, [command, str(path), *extra])


@settings(FUZZ, max_examples=500)
@given(text=spec_texts(), command=st.sampled_from(COMMANDS), data=st.data())
def test_hostile_specs(worker, tmp_path_factory, text, command, data):
    """Specs with deep nests, huge numbers, hostile names and odd kinds, through every command."""
    path = tmp_path_factory.mktemp("spec") / "net.toml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    check(worker, [command, str(path), *data.draw(options(command))])


@settings(FUZZ, max_examples=250)
@given(command=st.sampled_from(COMMANDS), spec=st.sampled_from(["alexnet", "tcn", "unet", "resnet18"]), data=st.data())
def test_bad_flags_on_builtin_networks(worker, command, spec, data):
    """Built-in networks with hostile flags: --input, --target, --limit, --axis, --given ..."""
    check(worker, [command, spec, *data.draw(options(command))])


# -- as a user runs it --------------------------------------------------------

SPECS = {
    "deep parentheses": 'input = 9\n[[layers]]\nkind = "conv"\nkernel = "' + nest(300, "3") + '"\n',
    "deep floors": '[symbols]\nk = {}\n[[layers]]\nkind = "conv"\nkernel = "' + nest(300, "k", "floor(") + '"\n',
    "unary minus": 'input = 9\n[[layers]]\nkind = "conv"\nkernel = "' + "-" * 4000 + '3"\n',
    "power tower": 'input = 9\n[[layers]]\nkind = "conv"\nkernel = "((2**4096)**4096)**4096"\n',
    "huge repeat": 'input = 9\n[[layers]]\nkind = "repeat"\ntimes = 1000000000\n[[layers.layers]]\nkind = "relu"\n',
    "nested repeats": 'input = 9\n[[layers]]\nkind = "repeat"\ntimes = 1000\n[[layers.layers]]\nkind = "repeat"\n'
    'times = 1000\n[[layers.layers.layers]]\nkind = "relu"\n',
    "control-character name": 'name = "\\u001b[2J"\ninput = 2\n[[layers]]\nname = "a\\nb"\nkind = "conv"\nkernel = 3\n',
    "huge kernel": 'input = 9\n[[layers]]\nkind = "conv"\nkernel = ' + str(2**81) + "\n",
    "float kernel": 'input = 9\n[[layers]]\nkind = "conv"\nkernel = 12345678901234567.0\n',
}
RUNS = {"table": ["table"], "derive": ["derive"], "export": ["export", "-o", "-"], "coverage": ["coverage"]}


@pytest.mark.parametrize("command", sorted(RUNS))
@pytest.mark.parametrize("name", sorted(SPECS))
def test_hostile_specs_in_a_process(tmp_path, name, command):
    """Known attacks from issue 11, run as `python -m rfsym` with a memory limit and a timeout."""
    path = tmp_path / "net.toml"
    path.write_text(SPECS[name], encoding="utf-8")
    run_process([RUNS[command][0], str(path), *RUNS[command][1:]])


@pytest.mark.parametrize(
    "argv",
    [
        ["table", "/dev/zero"],
        ["table", "."],
        ["export", "alexnet", "-o", ""],
        ["export", "alexnet", "-o", "/nonexistent-dir/x.tex"],
        ["export", "alexnet", "-o", "x" * 300 + ".tex"],
        ["solve", "alexnet", "--target", "r=" + nest(300, "1")],
        ["table", "alexnet", "--input", "-" * 4000 + "9"],
        ["solve", "tcn", "--target", "r=5", "--limit", str(10**12)],
        ["solve", "tcn", "--target", "r=abc"],
        ["derive", "tcn", "--input", "((2**4096)**4096)**4096"],
    ],
    ids=lambda a: " ".join(a)[:40],
)
def test_hostile_arguments_in_a_process(tmp_path, argv):
    """Hostile files and arguments as a user types them."""
    run_process(argv, cwd=tmp_path)


def run_process(argv: list[str], cwd: Path | None = None) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("RFSYM_TRACEBACK", None)
    t = time.perf_counter()
    try:
        res = subprocess.run(
            [sys.executable, "-m", "rfsym", *argv],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=PROCESS_SECONDS,
            cwd=cwd,
            env=env,
            preexec_fn=_limit_memory,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"no answer within {PROCESS_SECONDS} s: rfsym {' '.join(argv)[:300]}")
    died = res.returncode < 0
    raw = UNSAFE.search(res.stdout) or UNSAFE.search(res.stderr.replace("\n", ""))
    why = problems(argv, res.returncode, res.stderr, time.perf_counter() - t, died=died, raw=raw and repr(raw.group()))
    assert not why, why[:3000]
