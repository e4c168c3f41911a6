"""`rfsym table` and `rfsym --help`: formats, exit codes and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "rfsym", *args], capture_output=True, text=True, cwd=cwd)


CONV = """
[[layers]]
name = "conv1"
kind = "conv"
kernel = 3

[[layers]]
name = "conv3"
kind = "conv"
{field}
"""


def spec(tmp_path: Path, text: str) -> str:
    p = tmp_path / "net.toml"
    p.write_text(text)
    return str(p)


class TestHelp:
    def test_top_help(self):
        """`rfsym --help` explains the tool and shows an example."""
        res = cli("--help")
        assert res.returncode == 0
        assert "receptive" in res.stdout and "rfsym table alexnet" in res.stdout

    def test_table_help(self):
        """`rfsym table --help` lists every option with an example."""
        res = cli("table", "--help")
        assert res.returncode == 0
        for opt in ("--input", "--convention", "--origin", "--format", "example"):
            assert opt in res.stdout


class TestFormats:
    def test_json_exact_values(self):
        """JSON has integers as integers and other rationals as exact strings."""
        res = cli("table", "alexnet", "--format", "json")
        data = json.loads(res.stdout)
        assert data["name"] == "alexnet" and data["input"] == 227
        pool5 = data["layers"][7]
        assert pool5 == {
            "name": "pool5",
            "kind": "pool",
            "n": 6,
            "j": 32,
            "r": 195,
            "start": "67/2",
            "effective_padding": 64,
        }

    def test_per_axis_json_lists(self):
        """--input 96,80 gives per-axis lists in axis order."""
        res = cli("table", "vgg16", "--input", "96,80", "--format", "json")
        last = json.loads(res.stdout)["layers"][-1]
        assert last["n"] == [3, 2] and last["r"] == [212, 212]

    def test_markdown_and_latex(self):
        """Markdown has a header row; LaTeX uses booktabs rules."""
        md = cli("table", "alexnet", "--format", "markdown").stdout
        assert md.startswith("| layer | kernel |") and "| pool5 | 3 | 2 | 0 | 1 | 6 | 32 | 195 | 33.5 | 64 |" in md
        tex = cli("table", "alexnet", "--format", "latex").stdout
        assert r"\toprule" in tex and r"\bottomrule" in tex

    def test_symbolic_input(self, tmp_path):
        """--input n gives formulas and the minimum valid input size."""
        res = cli("table", "alexnet", "--input", "n", "--format", "json")
        data = json.loads(res.stdout)
        assert data["input"] == "n" and data["min_input"] == 227  # fc6-conv needs a 6x6 pool5
        assert "floor" in data["layers"][0]["n"]

    def test_origin_zero(self):
        """--origin 0 shifts start by one half."""
        data = json.loads(cli("table", "alexnet", "--origin", "0", "--format", "json").stdout)
        assert data["layers"][0]["start"] == 5


BAD = {
    "kernel 0": ("kernel = 0", "conv3: kernel must be a positive integer (got 0)"),
    "stride -1": ("kernel = 3\nstride = -1", "conv3: stride must be a positive integer (got -1)"),
    "dilation 0": ("kernel = 3\ndilation = 0", "conv3: dilation must be a positive integer (got 0)"),
    "padding middle": ('kernel = 3\npadding = "middle"', "conv3: padding must be"),
    "missing kernel": ("stride = 2", "conv3: kernel is required"),
    "injection": ("kernel = \"__import__('os').system('touch pwned')\"", "conv3: kernel"),
}


class TestBadInput:
    @pytest.mark.parametrize("case", sorted(BAD))
    def test_layer_field_errors(self, tmp_path, case):
        """Each bad field exits 2 with one line naming the layer, the field and the value."""
        field, msg = BAD[case]
        res = cli("table", spec(tmp_path, "input = 64\n" + CONV.format(field=field)), cwd=tmp_path)
        assert res.returncode == 2, res.stdout
        assert msg in res.stderr
        assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
        assert res.stdout == ""

    def test_injection_creates_no_file(self, tmp_path):
        """The kernel string `__import__('os').system(...)` is parsed, not run: no file appears."""
        field = "kernel = \"__import__('os').system('touch pwned')\""
        res = cli("table", spec(tmp_path, "input = 64\n" + CONV.format(field=field)), cwd=tmp_path)
        assert res.returncode == 2
        assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()

    def test_unknown_kind(self, tmp_path):
        """An unknown kind is named, with the known ones."""
        res = cli("table", spec(tmp_path, 'input = 9\n[[layers]]\nname = "x1"\nkind = "convolution"\nkernel = 3\n'))
        assert res.returncode == 2 and "x1: unknown kind 'convolution'" in res.stderr

    def test_toml_syntax_error(self, tmp_path):
        """A TOML syntax error names the file and the position."""
        path = spec(tmp_path, "input = 9\n[[layers]\nkind = 'conv'\n")
        res = cli("table", path)
        assert (
            res.returncode == 2 and path in res.stderr and "TOML syntax error" in res.stderr and "line 2" in res.stderr
        )

    def test_input_too_small(self):
        """An input too small for the network names the layer and the sizes."""
        res = cli("table", "alexnet", "--input", "40")
        assert res.returncode == 2
        assert "pool5: output is empty" in res.stderr and "network input 40" in res.stderr
        assert "at least 227" in res.stderr

    def test_bad_options(self):
        """Unknown formats, origins, conventions and missing specs exit 2."""
        for args in (["--format", "xml"], ["--origin", "1"], ["--convention", "tf"]):
            assert cli("table", "alexnet", *args).returncode == 2
        res = cli("table", "no-such-net")
        assert res.returncode == 2 and "no-such-net" in res.stderr
        res = cli("table", "alexnet", "--input", "0")
        assert res.returncode == 2 and "input must be a positive integer (got '0')" in res.stderr
        assert cli().returncode == 2


class TestOneLineErrors:
    """Issue 11: argument errors are one usage line and one error line; output errors never a traceback."""

    @pytest.mark.parametrize(
        "args",
        [
            [],
            ["tabel"],
            ["table"],
            ["table", "alexnet", "--format", "xml"],
            ["table", "alexnet", "--bogus"],
            ["solve", "alexnet", "--limit", "1e3"],
            ["derive", "alexnet", "--input"],
            ["--no-such-flag"],
        ],
    )
    def test_argument_errors_take_two_lines(self, args):
        """Exit 2, stderr = `usage: ...` then `rfsym...: error: ...`, nothing on stdout."""
        res = cli(*args)
        assert res.returncode == 2
        lines = res.stderr.splitlines()
        assert len(lines) == 2, res.stderr
        assert lines[0].startswith("usage: rfsym") and "--help" in lines[0]
        assert lines[1].startswith("rfsym") and ": error: " in lines[1]
        assert res.stdout == ""

    def test_control_characters_in_arguments_are_escaped(self):
        """An argument with an escape sequence and a newline is echoed as `\\e[31m` and `\\n`, on one line."""
        res = cli("table", "alexnet", "--bogus", "a\x1b[31mb\nc")
        assert res.returncode == 2
        assert "\x1b" not in res.stderr and "a\\e[31mb\\nc" in res.stderr
        assert len(res.stderr.splitlines()) == 2

    def test_control_characters_in_names_are_escaped(self, tmp_path):
        """A layer name with terminal escapes reaches stdout and stderr escaped."""
        name = "evil\\u001b]0;owned\\u0007\\u202e"
        res = cli("table", spec(tmp_path, f'input = 2\n[[layers]]\nname = "{name}"\nkind = "conv"\nkernel = 3\n'))
        assert res.returncode == 2, res.stdout
        assert "\x1b" not in res.stderr and "\x07" not in res.stderr and "\u202e" not in res.stderr
        assert "evil\\e]0;owned\\x07\\u202e" in res.stderr and res.stderr.count("\n") == 1
        res = cli("table", spec(tmp_path, f'input = 9\n[[layers]]\nname = "{name}"\nkind = "conv"\nkernel = 3\n'))
        assert res.returncode == 0, res.stderr
        assert "\x1b" not in res.stdout and "\x07" not in res.stdout and "evil\\e]0;owned" in res.stdout

    def test_stdout_closed(self):
        """`rfsym table vgg16 >&-`: one line on stderr, exit 2."""
        cmd = [sys.executable, "-m", "rfsym", "table", "vgg16"]
        res = subprocess.run(cmd, stderr=subprocess.PIPE, text=True, preexec_fn=lambda: os.close(1))
        assert res.returncode == 2
        assert res.stderr == "rfsym: error: cannot write to standard output: it is closed\n"

    def test_disk_full(self):
        """`rfsym table vgg16 > /dev/full`: one line on stderr, exit 2."""
        with open("/dev/full", "w") as full:
            res = subprocess.run([sys.executable, "-m", "rfsym", "table", "vgg16"], stdout=full, stderr=subprocess.PIPE)
        assert res.returncode == 2
        assert res.stderr.decode() == "rfsym: error: cannot write to standard output (No space left on device)\n"

    def test_broken_pipe_is_silent(self):
        """A reader that went away (`| head -1`): nothing on stderr, exit 141 like a Unix tool killed by SIGPIPE."""
        r, w = os.pipe()
        os.close(r)
        try:
            res = subprocess.run([sys.executable, "-m", "rfsym", "table", "vgg16"], stdout=w, stderr=subprocess.PIPE)
        finally:
            os.close(w)
        assert res.returncode == 141
        assert res.stderr == b""

    def test_internal_error_is_one_line(self, monkeypatch, capsys):
        """A bug (here: a TypeError planted in the table command) is one line and exit 1, not a traceback."""
        from rfsym.cli import main
        from rfsym.commands import table

        def broken(args):
            raise TypeError("planted")

        monkeypatch.setattr(table, "run", broken)
        monkeypatch.delenv("RFSYM_TRACEBACK", raising=False)
        assert main(["table", "alexnet"]) == 1
        err = capsys.readouterr().err
        assert err.startswith("rfsym: internal error: TypeError: planted") and err.count("\n") == 1
        monkeypatch.setenv("RFSYM_TRACEBACK", "1")
        with pytest.raises(TypeError):
            main(["table", "alexnet"])
