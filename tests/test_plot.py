"""matplotlib figures: lazy import, the same geometry as the TikZ picture, data from the table, PNG/PDF files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from rfsym import Conv, Network, RfsymError, load  # noqa: E402
from rfsym.cli import main  # noqa: E402
from rfsym.plot import layers_figure, rf_figure, save_figure  # noqa: E402
from rfsym.printing.tikz import figure_geometry  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def seed_example() -> Network:
    return Network(
        [Conv(kernel=3, stride=2, padding=1, name="c1"), Conv(kernel=3, stride=2, padding=1, name="c2")], input=5
    )


def test_import_does_not_load_matplotlib() -> None:
    """Importing rfsym (and its plot module) never imports matplotlib."""
    code = "import sys, rfsym, rfsym.plot, rfsym.cli; assert 'matplotlib' not in sys.modules, 'matplotlib imported'"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


class TestRfFigure:
    def test_boxes_are_the_geometry(self) -> None:
        """The orange boxes are the receptive fields of the TikZ geometry (same numbers)."""
        net = seed_example()
        fig = rf_figure(net, "c2", [(0, 0), (1, 1)])
        g = figure_geometry(net, "c2", [(0, 0), (1, 1)])
        boxes = [
            (p.get_y(), p.get_x(), p.get_y() + p.get_height(), p.get_x() + p.get_width())
            for p in fig.axes[0].patches
            if isinstance(p, Rectangle) and not p.get_fill()
        ]
        assert boxes == [tuple(float(v) for v in g.box(f)) for f in g.features]
        plt.close(fig)

    def test_feature_centres(self) -> None:
        """Every feature of the layer is drawn at start + i j."""
        net = seed_example()
        fig = rf_figure(net, "c1")
        row = net.table()["c1"].states[0]
        dots = fig.axes[0].collections[0].get_offsets()
        want = {
            (float(row.start + i * row.j), float(row.start + k * row.j)) for i in range(row.n) for k in range(row.n)
        }
        assert {(float(x), float(y)) for x, y in dots} == want
        plt.close(fig)

    def test_symbolic_refused(self) -> None:
        """A symbolic network cannot be drawn."""
        with pytest.raises(RfsymError, match="symbolic"):
            rf_figure(Network([Conv(kernel="k", name="c")], input=8), "c")


class TestLayersFigure:
    def test_data_is_the_table(self) -> None:
        """r and j across layers are the table's values."""
        net = load("alexnet")
        fig = layers_figure(net)
        r_line, j_line = fig.axes[0].get_lines()[:2]
        table = net.table()
        assert list(r_line.get_ydata()) == [float(row.states[0].r) for row in table.rows]
        assert list(j_line.get_ydata()) == [float(row.states[0].j) for row in table.rows]
        plt.close(fig)


class TestFiles:
    @pytest.mark.parametrize("ext, magic", [("png", b"\x89PNG"), ("pdf", b"%PDF")])
    def test_save(self, tmp_path: Path, ext: str, magic: bytes) -> None:
        """Figures save as PNG and PDF."""
        fig = rf_figure(load("alexnet"), "conv2")
        path = tmp_path / f"f.{ext}"
        save_figure(fig, str(path))
        assert path.read_bytes()[:4] == magic
        plt.close(fig)

    def test_bad_extension(self, tmp_path: Path) -> None:
        """Only .png and .pdf are figure files."""
        fig = layers_figure(load("alexnet"))
        with pytest.raises(RfsymError, match=r"\.png or \.pdf"):
            save_figure(fig, str(tmp_path / "f.svg"))
        plt.close(fig)

    @pytest.mark.parametrize("ext, magic", [("png", b"\x89PNG"), ("pdf", b"%PDF"), ("tex", b"% rf")])
    def test_cli_plot(self, tmp_path: Path, ext: str, magic: bytes) -> None:
        """rfsym plot writes PNG, PDF or TikZ, atomically, and keeps an existing file without --force."""
        out = tmp_path / f"fig.{ext}"
        assert main(["plot", "alexnet", "--layer", "conv2", "--feature", "0,0", "--feature", "5", "-o", str(out)]) == 0
        first = out.read_bytes()
        assert first[:4] == magic
        assert main(["plot", "alexnet", "--layer", "pool5", "-o", str(out)]) == 2
        assert out.read_bytes() == first
        assert main(["plot", "alexnet", "--layer", "pool5", "-o", str(out), "--force"]) == 0
        assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]

    def test_cli_layers_kind(self, tmp_path: Path) -> None:
        """rfsym plot --kind layers draws r and j across layers."""
        out = tmp_path / "rj.png"
        assert main(["plot", "vgg16", "--kind", "layers", "-o", str(out)]) == 0
        assert out.read_bytes()[:4] == b"\x89PNG"

    def test_cli_bad_input(self, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
        """Bad extensions, layers and features exit with status 2 and one line on stderr."""
        assert main(["plot", "alexnet", "-o", str(tmp_path / "f.gif")]) == 2
        assert main(["plot", "alexnet", "--layer", "nope", "-o", str(tmp_path / "f.png")]) == 2
        assert main(["plot", "alexnet", "--feature", "a,b", "-o", str(tmp_path / "f.png")]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 3 and all(line.startswith("rfsym: error:") for line in err)
