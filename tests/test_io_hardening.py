"""Importers under hostile or extreme input: one RfsymError line (exit 2 on the CLI), bounded work, no traceback.

Covers issue 11's importer items: ONNX Resize with NaN/inf/zero/negative scales, ONNX external data (read
from the model's folder, or refused in one line), truncated and garbled .onnx files, `module:factory`
code that exits or misbehaves, huge `--input` for `plot` and `verify`, missing optional packages, and
wrong types at the Python entry points.  Also the shared importer base (issue 10 part 5): the typed
empty-output error and the scale-factor checks, against an independent definition.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch.nn as nn
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

import rfsym
import rfsym.plot
from rfsym import Conv, Network, RfsymError, Upsample, from_onnx, from_torch, verify
from rfsym.errors import EmptyOutputError
from rfsym.io._base import MAX_RUN_PIXELS, input_sizes, integer_scales, size_scales, whole

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str, cwd: Path, extra_path: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    paths = [p for p in (extra_path, str(ROOT), env.get("PYTHONPATH")) if p]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return subprocess.run(
        [sys.executable, "-m", "rfsym", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def one_line_exit_2(out: subprocess.CompletedProcess) -> str:
    assert out.returncode == 2, (out.returncode, out.stdout, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rfsym: error:") and "Traceback" not in out.stderr, out.stderr
    return lines[0]


def conv_resize_model(scales: list[float]) -> onnx.ModelProto:
    """x (1, 1, 16, 16) -> Conv 3x3 -> Resize(scales)."""
    w = numpy_helper.from_array(np.ones((1, 1, 3, 3), np.float32), "W")
    sc = numpy_helper.from_array(np.array(scales, np.float32), "sc")
    g = helper.make_graph(
        [
            helper.make_node("Conv", ["x", "W"], ["c"], kernel_shape=[3, 3], name="conv"),
            helper.make_node("Resize", ["c", "", "sc"], ["y"], name="up"),
        ],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 16, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [w, sc],
    )
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])


def conv_reshape_model() -> onnx.ModelProto:
    """x (1, 1, 16, 16) -> Conv 3x3 stride 2 -> Reshape to (1, -1) -> Gemm: needs the shape constant's values."""
    w = numpy_helper.from_array(np.ones((4, 1, 3, 3), np.float32), "W")
    shape = numpy_helper.from_array(np.array([1, -1], np.int64), "shape")
    fc = numpy_helper.from_array(np.ones((4 * 7 * 7, 2), np.float32), "FC")
    g = helper.make_graph(
        [
            helper.make_node("Conv", ["x", "W"], ["c"], kernel_shape=[3, 3], strides=[2, 2], name="conv"),
            helper.make_node("Reshape", ["c", "shape"], ["f"], name="flat"),
            helper.make_node("MatMul", ["f", "FC"], ["y"], name="fc"),
        ],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 16, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [w, shape, fc],
    )
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])


# -- the shared base ---------------------------------------------------------------------


class TestBase:
    @settings(max_examples=300, deadline=None)
    @given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 10**6)))
    def test_integer_scales_accept_exactly_positive_integers(self, v):
        """A scale factor is accepted iff it is a finite value >= 1 with no fractional part; then it is that integer."""
        ok = isinstance(v, int) and v >= 1 or isinstance(v, float) and math.isfinite(v) and v >= 1 and v.is_integer()
        if ok:
            assert integer_scales([v], "w") == [int(v)]
        else:
            with pytest.raises(RfsymError, match="w: scale factor .* is not a positive integer"):
                integer_scales([v], "w")

    @settings(max_examples=300, deadline=None)
    @given(st.integers(1, 500), st.integers(-3, 5000))
    def test_size_scales_are_exact_multiples(self, n, o):
        """Output size o from n features is a scale factor iff o is a positive multiple of n."""
        if o >= n and o % n == 0:
            assert size_scales([n], [o], "w") == [o // n]
        else:
            with pytest.raises(RfsymError, match="not an integer scale factor"):
                size_scales([n], [o], "w")

    @settings(max_examples=200, deadline=None)
    @given(st.lists(st.integers(-2, 50), min_size=1, max_size=5), st.sampled_from([None, 1, 2, 3]))
    def test_input_sizes_by_length(self, vals, nd):
        """A tuple of nd sizes, (C, *sizes) or (N, C, *sizes); one value for every axis; else one clear error."""
        k = nd or 0
        if len(vals) == 1:
            want = (tuple(vals * (nd or 1)), None)
        elif nd is not None and len(vals) in (k, k + 1, k + 2):
            want = (tuple(vals[len(vals) - k :]), vals[len(vals) - k - 1] if len(vals) > k else None)
        elif nd is None:
            want = (tuple(vals), None)
        else:
            with pytest.raises(RfsymError, match="does not fit a model with"):
                input_sizes(vals, nd)
            return
        if any(v < 1 for v in want[0]) or (want[1] is not None and want[1] < 1):
            with pytest.raises(RfsymError, match="must be positive"):
                input_sizes(vals, nd)
        else:
            assert input_sizes(vals, nd) == want
            assert input_sizes(",".join(map(str, vals)), nd) == want

    @settings(max_examples=200, deadline=None)
    @given(st.one_of(st.integers(-(10**30), 10**30), st.floats(allow_nan=True, allow_infinity=True)))
    def test_whole_never_rounds(self, v):
        """An imported parameter is an int exactly when it has no fractional part; it is never rounded."""
        if isinstance(v, int) or (math.isfinite(v) and v.is_integer()):
            assert whole(v, "w") == int(v)
        else:
            with pytest.raises(RfsymError, match="w: .* is not an integer"):
                whole(v, "w")

    def test_fractional_torch_parameters_are_refused(self):
        """F.max_pool2d(x, 2.5) (torch.fx does not run it) is refused, not imported as kernel 2."""

        class M(nn.Module):
            def forward(self, x):
                return F.max_pool2d(x, 2.5)

        with pytest.raises(RfsymError, match=r"max_pool2d.*2\.5 is not an integer"):
            from_torch(nn.Sequential(nn.Conv2d(1, 1, 3), M()), 8, method="fx")

    def test_empty_output_is_typed(self):
        """Too small an input raises EmptyOutputError from both importers (and it is an RfsymError)."""
        m = nn.Sequential(nn.Conv2d(1, 1, 5), nn.MaxPool2d(2))
        with pytest.raises(EmptyOutputError, match="needs a larger input.*smallest input that works is 6"):
            from_torch(m, 3)
        with pytest.raises(EmptyOutputError, match="needs a larger input"):
            from_onnx(conv_resize_model([1, 1, 2, 2]), 2)
        assert issubclass(EmptyOutputError, RfsymError)

    @pytest.mark.parametrize("bad", [float("nan"), float("inf"), 0.0, -2.0, 1.5])
    def test_torch_upsample_bad_scale(self, bad):
        """nn.Upsample and F.interpolate with a NaN, infinite, zero, negative or fractional scale: one line."""

        class M(nn.Module):
            def forward(self, x):
                return F.interpolate(x, scale_factor=bad)

        with pytest.raises(RfsymError, match="scale factor"):  # nn.Upsample stores a zero factor as None
            from_torch(nn.Sequential(nn.Conv2d(1, 1, 3), nn.Upsample(scale_factor=bad)), 8)
        with pytest.raises(RfsymError, match="scale factor .* is not a positive integer"):
            from_torch(nn.Sequential(nn.Conv2d(1, 1, 3), M()), 8, method="fx")

    @pytest.mark.parametrize("method", ["fx", "hooks"])
    def test_adaptive_max_pool_with_indices_is_adaptive(self, method):
        """F.adaptive_max_pool2d(..., return_indices=True) is the adaptive pool (kernel n/o), not a plain pool."""

        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.c = nn.Conv2d(1, 1, 3, padding=1)

            def forward(self, x):
                y, _ = F.adaptive_max_pool2d(self.c(x), 2, return_indices=True)
                return y

        (a, b) = from_torch(M(), 8, method=method).table().output
        assert (a.n, a.j, a.r) == (2, 4, 6) == (b.n, b.j, b.r)


# -- ONNX -------------------------------------------------------------------------------


class TestOnnx:
    @pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), 0.0, -2.0, 1.5])
    def test_resize_bad_scales(self, bad, tmp_path):
        """Resize with a NaN, infinite, zero, negative or fractional scale: one line naming the node (API and CLI)."""
        model = conv_resize_model([1, 1, bad, 2])
        with pytest.raises(RfsymError, match=r"up \(Resize\): scale factor .* is not a positive integer"):
            from_onnx(model)
        onnx.save(model, str(tmp_path / "m.onnx"))
        assert "scale factor" in one_line_exit_2(cli("table", "m.onnx", cwd=tmp_path))

    def test_external_data_read_from_the_model_folder(self, tmp_path):
        """External tensors are read from the model file's folder, whatever the current directory."""
        inline = from_onnx(conv_reshape_model()).table().output
        folder = tmp_path / "models"
        folder.mkdir()
        onnx.save(
            conv_reshape_model(),
            str(folder / "m.onnx"),
            save_as_external_data=True,
            all_tensors_to_one_file=True,
            location="m.data",
            size_threshold=0,
        )
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        cwd = os.getcwd()
        try:
            os.chdir(elsewhere)
            assert from_onnx(str(folder / "m.onnx")).table().output == inline
        finally:
            os.chdir(cwd)
        out = cli("table", str(folder / "m.onnx"), cwd=elsewhere)
        assert out.returncode == 0, out.stderr
        (folder / "m.data").unlink()
        line = one_line_exit_2(cli("table", str(folder / "m.onnx"), cwd=elsewhere))
        assert "external data cannot be read from" in line
        in_memory = onnx.load(str(folder / "m.onnx"), load_external_data=False)
        with pytest.raises(RfsymError, match="keeps its data in an external file; give the model's file path"):
            from_onnx(in_memory)

    def test_every_truncation_is_one_line(self, tmp_path):
        """Every prefix of a valid model file either imports or raises RfsymError, nothing else."""
        data = conv_reshape_model().SerializeToString()
        outcomes = set()
        for cut in range(len(data)):
            try:
                from_onnx(data[:cut])
                outcomes.add("ok")
            except RfsymError:
                outcomes.add("error")
        assert "error" in outcomes
        path = tmp_path / "t.onnx"
        path.write_bytes(data[: len(data) // 2])
        one_line_exit_2(cli("table", str(path), cwd=tmp_path))

    @settings(max_examples=300, deadline=None)
    @given(st.data())
    def test_garbled_bytes(self, data):
        """Random byte changes in a valid model: it imports or raises RfsymError (never another exception)."""
        raw = bytearray(conv_reshape_model().SerializeToString())
        for _ in range(data.draw(st.integers(1, 8))):
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
        try:
            from_onnx(bytes(raw), 16)
        except RfsymError as e:
            assert "\n" not in str(e)

    def test_constant_folding_is_bounded(self):
        """Constant subgraphs that would explode (a 10**10-element ConstantOfShape, a Range of 10**12, a Loop
        of 2**40 iterations) are left unfolded: the import returns at once with the right geometry."""
        big = numpy_helper.from_array(np.array([100000, 100000], np.int64), "big")
        lim = numpy_helper.from_array(np.array(10**12, np.int64), "lim")
        zero = numpy_helper.from_array(np.array(0, np.int64), "zero")
        one = numpy_helper.from_array(np.array(1, np.int64), "one")
        trips = numpy_helper.from_array(np.array(2**40, np.int64), "trips")
        cond = numpy_helper.from_array(np.array(True), "cond")
        body = helper.make_graph(
            [helper.make_node("Identity", ["c_in"], ["c_out"]), helper.make_node("Add", ["v_in", "one"], ["v_out"])],
            "body",
            [
                helper.make_tensor_value_info("i", TensorProto.INT64, []),
                helper.make_tensor_value_info("c_in", TensorProto.BOOL, []),
                helper.make_tensor_value_info("v_in", TensorProto.INT64, []),
            ],
            [
                helper.make_tensor_value_info("c_out", TensorProto.BOOL, []),
                helper.make_tensor_value_info("v_out", TensorProto.INT64, []),
            ],
            [one],
        )
        w = numpy_helper.from_array(np.ones((1, 1, 3, 3), np.float32), "W")
        g = helper.make_graph(
            [
                helper.make_node("ConstantOfShape", ["big"], ["huge"]),
                helper.make_node("Range", ["zero", "lim", "one"], ["long"]),
                helper.make_node("Loop", ["trips", "cond", "zero"], ["count"], body=body),
                helper.make_node("Conv", ["x", "W"], ["y"], kernel_shape=[3, 3], name="conv"),
            ],
            "g",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 16, 16])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
            [big, lim, zero, one, trips, cond, w],
        )
        t0 = time.perf_counter()
        (a, _) = from_onnx(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])).table().output
        assert (a.n, a.r) == (14, 3) and time.perf_counter() - t0 < 10

    def test_refused_layer_parameters_name_the_node(self):
        """A parameter the rfsym layer refuses (kernel 0, stride 0) names the ONNX node."""
        for at in ({"kernel_shape": [0, 0]}, {"kernel_shape": [2, 2], "strides": [0, 1]}):
            g = helper.make_graph(
                [helper.make_node("MaxPool", ["x"], ["y"], name="mp", **at)],
                "g",
                [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 16, 16])],
                [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
            )
            with pytest.raises(RfsymError, match=r"^g: mp \(MaxPool\): "):
                from_onnx(helper.make_model(g))

    def test_control_characters_in_names_stay_one_line(self):
        """A node or module name with a newline or an escape sequence is escaped in the message (one line)."""
        bad = conv_resize_model([1, 1, float("nan"), 2])
        bad.graph.node[1].name = "up\n\x1b[31mred"
        with pytest.raises(RfsymError) as info:
            from_onnx(bad)
        assert "\n" not in str(info.value) and "\x1b" not in str(info.value) and "up\\n" in str(info.value)
        m = nn.Sequential()
        m.add_module("a\nb", nn.Unfold(2))
        with pytest.raises(RfsymError) as info:
            from_torch(nn.Sequential(nn.Conv2d(4, 4, 3), m), 8)
        assert "\n" not in str(info.value) and "a\\nb" in str(info.value)

    def test_fifo_and_directory_are_refused(self, tmp_path):
        """A FIFO named .onnx is refused at once (never read, never a hang); so is a directory."""
        fifo = tmp_path / "pipe.onnx"
        os.mkfifo(fifo)
        t0 = time.perf_counter()
        with pytest.raises(RfsymError, match="not a regular file"):
            from_onnx(str(fifo))
        assert time.perf_counter() - t0 < 5
        (tmp_path / "d.onnx").mkdir()
        with pytest.raises(RfsymError, match="is a directory"):
            from_onnx(str(tmp_path / "d.onnx"))


# -- module:factory ---------------------------------------------------------------------


@pytest.fixture()
def pkg(tmp_path: Path) -> Path:
    (tmp_path / "facts.py").write_text(
        "import sys\n"
        "import torch.nn as nn\n"
        "def net():\n    return nn.Sequential(nn.Conv2d(1, 1, 3), nn.MaxPool2d(2))\n"
        "def exit0():\n    sys.exit(0)\n"
        "def exit5():\n    sys.exit(5)\n"
        "def keyerror():\n    raise KeyError('k')\n"
        "def multiline():\n    raise RuntimeError('first line\\nsecond line')\n"
        "def notmodule():\n    return [1, 2]\n"
    )
    (tmp_path / "exits_on_import.py").write_text("import sys\nsys.exit(0)\n")
    return tmp_path


@pytest.mark.parametrize(
    "command, spec, message",
    [
        ("table", "facts:exit0", r"calling exit0\(\) called sys.exit\(0\)"),
        ("verify", "facts:exit5", r"calling exit5\(\) called sys.exit\(5\)"),
        ("table", "facts:keyerror", r"calling keyerror\(\) raised KeyError"),
        ("table", "facts:multiline", r"raised RuntimeError: first line$"),
        ("derive", "facts:notmodule", r"notmodule\(\) returned a list, not a torch.nn.Module"),
        ("table", "exits_on_import:net", r"importing 'exits_on_import' called sys.exit\(0\)"),
    ],
)
def test_factory_misbehaving_exits_2(pkg, command, spec, message):
    """A factory (or its module) that exits, raises or returns a non-module: exit 2, one line, never exit 0."""
    import re

    line = one_line_exit_2(cli(command, spec, "--input", "8", cwd=pkg))
    assert re.search(message, line), line


def test_factory_runs_code_is_documented():
    """docs/models.md and `rfsym verify --help` say that a factory SPEC imports and runs the user's module."""
    doc = " ".join((ROOT / "docs" / "models.md").read_text().split())
    assert "rfsym imports and runs that Python module" in doc
    out = cli("verify", "--help", cwd=ROOT)
    assert "imports and runs" in " ".join(out.stdout.split())


# -- limits -----------------------------------------------------------------------------


def test_verify_huge_input_refused_before_running(pkg):
    """`verify --input 100000` is refused in one line at once (the model never runs)."""
    t0 = time.perf_counter()
    line = one_line_exit_2(cli("verify", "facts:net", "--input", "100000", cwd=pkg))
    assert "the limit is 4,194,304" in line and time.perf_counter() - t0 < 30
    with pytest.raises(RfsymError, match="verify runs the model"):
        verify(nn.Conv2d(1, 1, 3), 2049)
    assert 2048 * 2048 == MAX_RUN_PIXELS


def test_hook_recorder_huge_input_refused():
    """The hook recorder (it runs the model) refuses an input over the limit; fx (no run) accepts it."""
    m = nn.Sequential(nn.Conv2d(1, 1, 3), nn.MaxPool2d(2))
    with pytest.raises(RfsymError, match="the hook recorder .* the limit is"):
        from_torch(m, 2049, method="hooks")
    assert from_torch(m, 100000, method="fx").table().output[0].n == 49999


@pytest.mark.parametrize("ext", ["png", "tex"])
def test_plot_huge_input_refused_before_drawing(tmp_path, ext):
    """`plot --input 100000` is refused in one line before any drawing; nothing is written."""
    t0 = time.perf_counter()
    line = one_line_exit_2(cli("plot", "alexnet", "--input", "100000000", "-o", f"f.{ext}", cwd=tmp_path))
    assert "a figure draws at most 16777216 input pixels per axis" in line and time.perf_counter() - t0 < 30
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(RfsymError, match="at most 16777216 input pixels per axis"):
        rfsym.plot.rf_figure(Network([Conv(kernel=1, name="c")], input=[20000000, 20000000]), "c")
    with pytest.raises(RfsymError, match=r"up: a figure draws at most 16777216 features per axis \(n = 20000000\)"):
        rfsym.plot.rf_figure(Network([Upsample(scale=200000, name="up")], input=[100, 100]), "up")


# -- missing optional packages ----------------------------------------------------------


@pytest.mark.parametrize(
    "package, args, extra",
    [
        ("matplotlib", ("plot", "alexnet", "-o", "f.png"), "plot"),
        ("torch", ("table", "facts:net", "--input", "8"), "torch"),
        ("onnx", ("table", "m.onnx"), "onnx"),
    ],
)
def test_missing_package_names_the_extra(pkg, package, args, extra):
    """Without matplotlib / torch / onnx: one line naming the pip extra, exit 2."""
    shadow = pkg / "shadow"
    (shadow / package).mkdir(parents=True)
    (shadow / package / "__init__.py").write_text(f"raise ImportError('No module named {package}', name={package!r})\n")
    (pkg / "m.onnx").write_bytes(conv_resize_model([1, 1, 2, 2]).SerializeToString())
    line = one_line_exit_2(cli(*args, cwd=pkg, extra_path=str(shadow)))
    assert f"pip install 'rfsym[{extra}]'" in line and f"'{package}' package" in line


# -- wrong types at the Python entry points ---------------------------------------------


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: from_torch(None, 8), "needs a torch.nn.Module"),
        (lambda: from_torch(nn.Conv2d(1, 1, 3), None), "input_size must be"),
        (lambda: from_torch(nn.Conv2d(1, 1, 3), 2.5), "input_size must be"),
        (lambda: from_torch(nn.Conv2d(1, 1, 3), "abc"), "input_size must be"),
        (lambda: from_torch(nn.Conv2d(1, 1, 3), 8, passthrough=5), "passthrough must be module paths"),
        (lambda: from_torch(nn.Conv2d(1, 1, 3), 8, passthrough=[None]), "passthrough must be module paths"),
        (lambda: from_torch(nn.Conv2d(1, 1, 3), 8, name=3), "name must be a string"),
        (lambda: from_torch(nn.Conv2d(1, 1, 3), 8, method=None), "method must be"),
        (lambda: from_onnx(None), "needs an ONNX file path"),
        (lambda: from_onnx(conv_resize_model([1, 1, 2, 2]), name=3), "name must be a string"),
        (lambda: from_onnx(conv_resize_model([1, 1, 2, 2]), [1.5]), "input_size must be"),
        (lambda: from_onnx(conv_resize_model([1, 1, 2, 2]), input_name=0), "input_name must be a string"),
        (lambda: verify(None, 8), "needs a torch.nn.Module"),
        (lambda: verify(nn.Conv2d(1, 1, 3), 8, network="x"), "network must be an rfsym Network or Graph"),
        (lambda: rfsym.plot.rf_figure(None), "rf_figure needs an rfsym Network or Graph"),
        (lambda: rfsym.plot.rf_figure(rfsym.load("alexnet"), bogus=1), "unknown option 'bogus'"),
        (lambda: rfsym.plot.rf_figure(rfsym.load("alexnet"), 3), "layer must be a layer name"),
        (lambda: rfsym.plot.layers_figure(rfsym.load("alexnet"), axis=5), "axis 5 is not one of"),
        (lambda: rfsym.plot.save_figure(None, None), "the path must be a string"),
    ],
)
def test_wrong_types_are_rfsym_errors(call, message):
    """Wrong argument types and values at from_torch, from_onnx, verify and the plot functions: RfsymError."""
    with pytest.raises(RfsymError, match=message):
        call()


# -- plot -o: regular files only, no symlinks, the umask ---------------------------------


@pytest.mark.parametrize("ext", ["png", "tex"])
def test_plot_output_is_a_regular_file_with_the_umask(tmp_path, ext):
    """`plot -o` creates a file with mode 0o666 & ~umask (not 0600) and leaves no temporary file."""
    out = cli("plot", "alexnet", "--layer", "conv2", "-o", f"f.{ext}", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / f"f.{ext}").stat().st_mode & 0o777 == 0o666 & ~mask
    assert [p.name for p in tmp_path.iterdir()] == [f"f.{ext}"]


@pytest.mark.parametrize("force", [False, True])
def test_plot_never_writes_through_a_symlink_or_to_a_fifo(tmp_path, force):
    """A symbolic link (dangling or not) or a FIFO at the -o path is refused in one line, even with --force."""
    target = tmp_path / "target.png"
    target.write_bytes(b"keep")
    (tmp_path / "link.png").symlink_to(target)
    (tmp_path / "dangling.png").symlink_to(tmp_path / "nowhere.png")
    os.mkfifo(tmp_path / "fifo.png")
    flag = ["--force"] if force else []
    for name in ("link.png", "dangling.png", "fifo.png"):
        one_line_exit_2(cli("plot", "alexnet", "--layer", "conv2", "-o", name, *flag, cwd=tmp_path, timeout=30))
    assert target.read_bytes() == b"keep" and not (tmp_path / "nowhere.png").exists()
    assert (tmp_path / "link.png").is_symlink() and (tmp_path / "dangling.png").is_symlink()


def test_plot_output_io_errors_are_one_line(tmp_path):
    """An empty name, a missing directory and a 300-character name: one line each, exit 2."""
    for name in ("", "missing/f.png", "a" * 300 + ".png"):
        one_line_exit_2(cli("plot", "alexnet", "--layer", "conv2", "-o", name, cwd=tmp_path))
