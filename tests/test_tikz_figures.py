"""Issue 14, figures that scale: every picture checked against an independent computation.

The drawn feature centres and receptive-field extents are read back from the generated TikZ text (the
numbers in its ``\\foreach`` lists and its orange boxes and intervals) and from the matplotlib artists,
and compared with positions computed here from the layers' own geometric definitions -- a convolution's
feature ``i`` is the centre of its window ``i s - pL + (kappa - 1)/2`` of the layer below, an upsampled
feature ``o`` sits at ``(o + 1/2)/s - 1/2``, a transposed convolution's output ``o`` at
``(o + pL - (kappa - 1)/2)/s`` -- never through ``transfer`` or ``rfsym.maps``.  Receptive fields are
the table's ``r`` (and the brute-force oracle's, for stacks of convolutions and poolings).  Fractional
jumps (upsampling, transposed convolutions) are drawn, rings mark every centre that is not a pixel
centre, N-D networks whose axes differ get one labelled strip per group of equal axes, and the number of
drawn things is bounded whatever the model.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from hypothesis import assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from oracle import from_layer, oracle  # noqa: E402

from rfsym import Conv, ConvTranspose, Network, Pool, RfsymError, Upsample, load  # noqa: E402
from rfsym.cli import main  # noqa: E402
from rfsym.commands.export import document, export_body  # noqa: E402
from rfsym.plot import rf_figure  # noqa: E402
from rfsym.printing.pdflatex import run_pdflatex  # noqa: E402
from rfsym.printing.tikz import MAX_PANELS, MAX_SHOWN, figure_plan, on_pixel_centre, tikz_figure  # noqa: E402
from rfsym.printing.units import parse_units  # noqa: E402

HALF = Fraction(1, 2)

# -- the independent positions --------------------------------------------------------------


def _pick(v: Any, axis: int) -> Any:
    return v[axis] if isinstance(v, (list, tuple)) else v


def _pads(p: Any) -> tuple[int, int]:
    return (p, p) if isinstance(p, int) else tuple(p)  # type: ignore[return-value]


def brute_positions(spec: list[dict[str, Any]], axis: int) -> tuple[Fraction, Fraction]:
    """(centre of feature 0, centre of feature 1) of the last layer in picture coordinates (input pixel
    ``i`` covers ``[i, i + 1]``), from each layer's definition of where its feature ``i`` reads.

    Each layer maps its feature index to a (fractional) index of the layer below; the input's index ``x``
    is at ``x + 1/2``.  A layer's index map is affine, so two features give all of them."""

    def position(depth: int, x: Fraction) -> Fraction:
        if depth == 0:
            return x + HALF
        lay = spec[depth - 1]
        kind = lay["kind"]
        if kind == "upsample":
            s = _pick(lay["scale"], axis)
            below = (x + HALF) / s - HALF
        else:
            k, s, d = _pick(lay["kernel"], axis), _pick(lay.get("stride", 1), axis), _pick(lay.get("dilation", 1), axis)
            pl = _pads(_pick(lay.get("padding", 0), axis))[0]
            kappa = d * (k - 1) + 1
            if kind == "conv_transpose":
                below = (x + pl - Fraction(kappa - 1, 2)) / s
            else:
                below = x * s - pl + Fraction(kappa - 1, 2)
        return position(depth - 1, below)

    return position(len(spec), Fraction(0)), position(len(spec), Fraction(1))


def build(spec: list[dict[str, Any]], input: Any) -> Network:
    kinds = {"conv": Conv, "pool": Pool, "upsample": Upsample, "conv_transpose": ConvTranspose}
    layers = [kinds[d["kind"]](**{k: v for k, v in d.items() if k != "kind"}, name=f"l{i}") for i, d in enumerate(spec)]
    return Network(layers, input=input, name="random")


def _per_axis(draw: Any, nax: int, lo: int, hi: int) -> Any:
    vals = [draw(st.integers(lo, hi)) for _ in range(nax)]
    return vals[0] if nax == 1 or draw(st.booleans()) and len(set(vals)) == 1 else vals


@st.composite
def networks(draw: Any, max_axes: int = 3) -> tuple[list[dict[str, Any]], Any]:
    """A random stack of convolutions, poolings, upsamplings and transposed convolutions (anisotropic
    parameters on some axes) with its input, at most 6 layers on 1 to ``max_axes`` axes."""
    nax = draw(st.integers(1, max_axes))
    spec = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["conv", "conv", "pool", "upsample", "conv_transpose"]))
        if kind == "upsample":
            spec.append({"kind": kind, "scale": _per_axis(draw, nax, 2, 4)})
        elif kind == "pool":
            spec.append({"kind": kind, "kernel": _per_axis(draw, nax, 1, 3), "stride": _per_axis(draw, nax, 1, 3)})
        else:
            lay = {"kind": kind, "kernel": _per_axis(draw, nax, 1, 5), "stride": _per_axis(draw, nax, 1, 3)}
            lay["padding"] = draw(st.integers(0, 2))
            if kind == "conv":
                lay["dilation"] = draw(st.integers(1, 2))
            spec.append(lay)
    sizes = [draw(st.integers(8, 300)) for _ in range(nax)]
    return spec, (sizes[0] if nax == 1 else sizes)


def _network_or_skip(spec: list[dict[str, Any]], input: Any) -> Network:
    try:
        net = build(spec, input)
        table = net.table()
    except RfsymError:
        assume(False)
        raise
    assume(all(s.n >= 1 for row in table.rows for s in row.states))
    assume(max(s.n for s in table.rows[-1].states) <= 100_000)
    return net


# -- reading the pictures back -----------------------------------------------------------------

_FOREACH = re.compile(r"\\foreach \\([xy]) in \{([^}]*)\}")
_NUMBER = r"-?[0-9.]+"


def _frac(text: str, scale: int = 1) -> Fraction:
    return Fraction(text) * scale


def pic_scale(pic: str) -> int:
    """Pixels per TikZ unit (a large picture says so in a comment; TeX's dimensions end at 16384 pt)."""
    m = re.search(r"% coordinates in units of ([0-9]+) pixels", pic)
    return int(m.group(1)) if m else 1


def close(drawn: Fraction, exact: Fraction, scale: int = 1) -> bool:
    """A drawn coordinate is the exact value, or (not a finite decimal of 6 places) within its rounding."""
    return drawn == exact or abs(drawn - exact) <= Fraction(1, 2 * 10**6) * scale


def tikz_pictures(tex: str) -> list[str]:
    return re.findall(r"\\begin\{tikzpicture\}.*?\\end\{tikzpicture\}", tex, flags=re.S)


def tikz_centres(pic: str) -> tuple[set[tuple[Fraction, ...]], set[tuple[Fraction, ...]]]:
    """(dots, rings) of one picture: the green feature centres, as (y, x) in 2-D or (x,) in 1-D."""
    dots: set[tuple[Fraction, ...]] = set()
    rings: set[tuple[Fraction, ...]] = set()
    sc = pic_scale(pic)
    for line in pic.splitlines():
        if "green!50!black" not in line or "circle" not in line:
            continue
        loops = dict((v, [_frac(x, sc) for x in vals.split(",")]) for v, vals in _FOREACH.findall(line))
        pts = {(y, x) for y in loops["y"] for x in loops["x"]} if "y" in loops else {(x,) for x in loops["x"]}
        (rings if "fill=white" in line else dots).update(pts)
    return dots, rings


def tikz_extents(pic: str) -> list[tuple[Fraction, ...]]:
    """The orange receptive fields: (y0, x0, y1, x1) boxes in 2-D, (x0, x1) intervals in 1-D."""
    out = []
    sc = pic_scale(pic)
    for m in re.finditer(rf"thick\] \(({_NUMBER}),({_NUMBER})\) rectangle \(({_NUMBER}),({_NUMBER})\)", pic):
        x0, y0, x1, y1 = (_frac(v, sc) for v in m.groups())
        out.append((y0, x0, y1, x1))
    for m in re.finditer(rf"\|-\|\] \(({_NUMBER}),{_NUMBER}\) -- \(({_NUMBER}),{_NUMBER}\)", pic):
        out.append((_frac(m.group(1), sc), _frac(m.group(2), sc)))
    return out


def tikz_circles(tex: str) -> int:
    """How many circles a TikZ text draws (a \\foreach over ys and xs draws their product)."""
    total = 0
    for line in tex.splitlines():
        if "circle" in line:
            loops = _FOREACH.findall(line)
            total += math.prod(len(v.split(",")) for _, v in loops) if loops else 1
    return total


def _strip_axes(pic: str) -> tuple[int, ...]:
    """The network axes a per-axis strip says it shows (its label node)."""
    m = re.search(r"\{(axis [0-9]+|axes [0-9, ]+ and [0-9]+)\};", pic)
    assert m, "a per-axis strip is labelled with its axes"
    return tuple(int(a) for a in re.findall(r"[0-9]+", m.group(1)))


# -- the checks --------------------------------------------------------------------------------


def check_axis(net: Network, spec: list[dict[str, Any]], layer: str, axis: int, drawn: set[Fraction], sc: int) -> None:
    """The drawn centres on ``axis`` are start + i j of the table and of the brute force, for integers i
    in 0..n-1, the ends included, at most MAX_SHOWN plus the marked features."""
    row = net.table()[layer]
    st_ = row.states[axis]
    depth = [r.name for r in net.table().rows].index(layer)
    p0, p1 = brute_positions(spec[:depth], axis)
    assert (p0, p1 - p0) == (st_.start, st_.j)  # the table (origin 1/2: the same coordinates) agrees
    idx = sorted(round((c - p0) / (p1 - p0)) for c in drawn)
    assert all(0 <= i < st_.n for i in idx) and len(set(idx)) == len(idx)
    assert all(any(close(c, p0 + i * (p1 - p0), sc) for i in idx) for c in drawn)
    assert idx[0] == 0 and idx[-1] == st_.n - 1
    assert len(idx) <= MAX_SHOWN + 2


def _layer_depth_spec(spec: list[dict[str, Any]], net: Network, layer: str) -> list[dict[str, Any]]:
    return spec[: [r.name for r in net.table().rows].index(layer)]


@settings(max_examples=60, deadline=None)
@given(networks())
def test_tikz_centres_and_extents_are_the_brute_force(case: tuple[list[dict[str, Any]], Any]) -> None:
    """Every picture of a random network (1-3 axes, anisotropic, upsampled): the drawn centres are
    start + i j (brute force and table), the boxes or intervals are centre -/+ r/2 with the table's r,
    rings are exactly the centres that are not pixel centres, per-axis strips say their axes."""
    spec, inp = case
    net = _network_or_skip(spec, inp)
    plan = figure_plan(net)
    tex = tikz_figure(net)
    pics = tikz_pictures(tex)
    assert len(pics) == len(plan.pictures)
    table = net.table()
    for g, pic in zip(plan.pictures, pics):
        dots, rings = tikz_centres(pic)
        assert not dots & rings
        assert all(on_pixel_centre(c) for p in dots for c in p) and all(not all(map(on_pixel_centre, p)) for p in rings)
        pts = dots | rings
        if g.same:  # a strip stands for a group of axes whose values are equal; it says which
            assert _strip_axes(pic) == g.same
            axes_here = list(g.same)
        else:
            axes_here = [g.axes[0]] if g.dims == 1 else list(g.axes)
        for k in range(g.dims):
            for a in [*g.same] if g.same else [g.axes[k]]:
                check_axis(net, spec, g.layer, a, {p[k] for p in pts}, pic_scale(pic))
        row = table[g.layer]
        for ext, f in zip(tikz_extents(pic), g.features):
            lo, hi = ext[: g.dims], ext[g.dims :]
            for k in range(g.dims):
                st_ = row.states[axes_here[k] if not g.same else g.same[0]]
                centre = st_.start + f[k] * st_.j
                assert close(lo[k], centre - st_.r / 2, pic_scale(pic)) and close(
                    hi[k], centre + st_.r / 2, pic_scale(pic)
                )
    legend = "j = " in tex
    fractional = any(
        s.j.denominator != 1 and s.n > 1 for g in plan.pictures for s in (table[g.layer].states[a] for a in g.axes)
    )
    assert legend == fractional  # the legend names a fractional jump exactly when there is one (n >= 2)


@settings(max_examples=40, deadline=None)
@given(networks(max_axes=1), st.data())
def test_1d_extents_are_the_oracle(case: tuple[list[dict[str, Any]], Any], data: st.DataObject) -> None:
    """Stacks of convolutions and poolings in 1-D: the drawn intervals are the brute-force oracle's sets of
    input positions (r and start), for a feature drawn anywhere."""
    spec, inp = case
    spec = [d for d in spec if d["kind"] in ("conv", "pool")]
    assume(spec)
    net = _network_or_skip(spec, inp)
    last = net.table().rows[-1]
    i = data.draw(st.integers(0, last.states[0].n - 1))
    tex = tikz_figure(net, last.name, [i], dims=1)
    (ext, *_) = tikz_extents(tikz_pictures(tex)[0])
    want = oracle([from_layer(lay) for lay in net.layers], inp)[-1]
    lo = want["start"] - Fraction(1, 2) + i * want["j"] - Fraction(want["r"] - 1, 2)
    sc = pic_scale(tex)
    assert close(ext[0], lo, sc) and close(ext[1], lo + want["r"], sc)  # pixel p covers [p, p + 1]


def _mpl_read(ax: Any) -> tuple[set[tuple[float, ...]], set[tuple[float, ...]], list[tuple[float, ...]]]:
    """(dots, rings, extents) of one matplotlib picture, from its artists."""
    dots, rings = set(), set()
    for coll in ax.collections:
        pts = {tuple(float(v) for v in p) for p in coll.get_offsets()}
        if coll.get_gid() == "centres-on":
            dots |= pts
        elif coll.get_gid() == "centres-off":
            rings |= pts
    boxes = [
        (p.get_y(), p.get_x(), p.get_y() + p.get_height(), p.get_x() + p.get_width())
        for p in ax.patches
        if isinstance(p, Rectangle) and not p.get_fill()
    ]
    intervals = [
        (float(ln.get_xdata()[0]), float(ln.get_xdata()[1]))
        for ln in ax.get_lines()
        if ln.get_marker() == "|" and len(ln.get_xdata()) == 2
    ]
    return dots, rings, boxes or intervals


def _float_axis(values: set[float], start: Fraction, j: Fraction, n: int) -> None:
    """Drawn (float) positions are start + i j for distinct integers i in 0..n-1, the ends included."""
    idx = sorted(round((Fraction(v) - start) / j) for v in values)
    assert all(0 <= i < n for i in idx) and len(set(idx)) == len(idx) and idx[0] == 0 and idx[-1] == n - 1
    assert all(min(abs(v - float(start + i * j)) for i in idx) <= 1e-9 * max(1.0, abs(v)) for v in values)
    assert len(idx) <= MAX_SHOWN + 2


def _on_centre(v: float) -> bool:
    return abs(v - 0.5 - round(v - 0.5)) <= 1e-9 * max(1.0, abs(v))


@settings(max_examples=30, deadline=None)
@given(networks())
def test_matplotlib_draws_the_same_pictures(case: tuple[list[dict[str, Any]], Any]) -> None:
    """rf_figure draws the pictures of the plan, one subplot each (per-axis strips too): its dots and
    rings are start + i j of the table (rings exactly where a centre is not a pixel centre), its boxes or
    intervals centre -/+ r/2, and each strip's title says which axes it shows."""
    spec, inp = case
    net = _network_or_skip(spec, inp)
    plan = figure_plan(net)
    table = net.table()
    fig = rf_figure(net)
    try:
        assert len(fig.axes) == len(plan.pictures)
        for ax, g in zip(fig.axes, plan.pictures):
            dots, rings, ext = _mpl_read(ax)
            assert not dots & rings
            axes_here = [g.same[0]] if g.same else list(g.axes)
            states = [table[g.layer].states[a] for a in axes_here]
            # matplotlib points are (x, y): x is the last drawn axis; a strip's y is a fixed height
            coords = [(p[0],) if g.dims == 1 else (p[1], p[0]) for p in dots | rings]
            for k, s_ in enumerate(states):
                _float_axis({c[k] for c in coords}, s_.start, s_.j, s_.n)
            assert all(all(map(_on_centre, (p[:1] if g.dims == 1 else p))) for p in dots)
            assert all(not all(map(_on_centre, (p[:1] if g.dims == 1 else p))) for p in rings)
            assert len(ext) == len(g.features)
            for e, f in zip(ext, g.features):
                for k, s_ in enumerate(states):
                    c = s_.start + f[k] * s_.j
                    lo, hi = (e[k], e[k + g.dims]) if g.dims == 2 else e
                    assert math.isclose(lo, float(c - s_.r / 2), abs_tol=1e-9)
                    assert math.isclose(hi, float(c + s_.r / 2), abs_tol=1e-9)
            if g.same:
                assert f" on {g.which} " in ax.get_title()
    finally:
        plt.close(fig)


# -- fractional grids --------------------------------------------------------------------------


def test_upsampled_grid_is_marked() -> None:
    """j = 1/2 (an upsampling by 2): the centres between pixels are rings, the ones on pixel centres dots,
    and the legend says 'j = 1/2: two features per input pixel' -- in TikZ and in matplotlib."""
    net = Network([Conv(kernel=3, padding=1, name="c"), Upsample(scale=2, name="up")], input=[12, 12])
    tex = tikz_figure(net, "up")
    dots, rings = tikz_centres(tex)
    # centres at 1/4 + i/2: none is a pixel centre (16 of the 24 per axis drawn)
    assert not dots and len(rings) == MAX_SHOWN**2 and all(c.denominator == 4 for p in rings for c in p)
    assert r"$j = 1/2$: two features per input pixel" in tex and r"{$\circ$} feature centre between" in tex
    fig = rf_figure(net, "up")
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "j = 1/2: two features per input pixel along each axis" in texts
    assert "feature centre between input pixels" in texts
    plt.close(fig)
    up3 = Network([Upsample(scale=3, name="up")], input=[5, 5])  # 1/6 + i/3: every third is a pixel centre
    dots, rings = tikz_centres(tikz_figure(up3, "up"))
    assert len(dots) == 5 * 5 and len(rings) == 15 * 15 - 25
    assert "j = 1/3: three features per input pixel" in tikz_figure(up3, "up").replace("$", "")


def test_anisotropic_fraction_names_its_axis() -> None:
    """One picture of a 2-D network upsampled on its columns only: the legend says which axis."""
    net = Network([Upsample(scale=[1, 2], name="up")], input=[8, 8])
    tex = tikz_figure(net, "up", layout="single")
    assert "columns: $j = 1/2$: two features per input pixel" in tex


def test_unet_export_and_plot_show_the_upsampled_grid(tmp_path: Path) -> None:
    """The U-Net export draws its output (every centre a pixel centre) and its first upsampled layer,
    whose centres sit on pixel corners (rings, a legend); rfsym plot draws both as two subplots; the
    standalone export compiles in under 10 s of pdflatex with no overfull box."""
    body = export_body(load("unet"))
    assert r"\label{fig:unet}" in body and r"\label{fig:unet-up}" in body
    up = body[body.index(r"\label{fig:unet}") :]
    assert "layer \\texttt{up4} (the first upsampled layer" in up and "Rings: feature centres between" in up
    dots, rings = tikz_centres(tikz_pictures(up)[0])
    assert not dots and len(rings) == 16 * 16 and all(c.denominator == 1 for p in rings for c in p)
    assert tikz_circles(body) <= 2 * (MAX_SHOWN + 2) ** 2 + 4
    run = run_pdflatex(tmp_path, "unet", document(body))
    assert run.returncode == 0, run.stdout[-2000:]
    assert run.cpu_seconds < 10.0 and "Overfull" not in run.log
    out = tmp_path / "unet.png"
    assert main(["plot", "unet", "-o", str(out)]) == 0 and out.read_bytes()[:4] == b"\x89PNG"
    fig = rf_figure(load("unet"), upsampled=True)
    assert [ax.get_title().split(" (")[0] for ax in fig.axes] == ["unet: head", "unet: up4"]
    assert _mpl_read(fig.axes[1])[1] and not _mpl_read(fig.axes[1])[0]
    plt.close(fig)


# -- N-D per axis --------------------------------------------------------------------------------


def _video() -> Network:
    return Network(
        [Conv(kernel=[3, 7, 7], stride=[1, 2, 2], padding=[1, 3, 3], name="c1"), Pool(kernel=[1, 2, 2], name="p1"),
         Conv(kernel=3, stride=[2, 1, 1], padding=1, name="c2")],
        input=[16, 64, 64],
        name="video3d",
    )  # fmt: skip


def test_nd_default_is_one_strip_per_group_of_equal_axes() -> None:
    """A 3-D network whose axes differ: one strip for axis 0, one for axes 1 and 2 (equal); the caption
    says which strip shows which axes; --dims 2 and layout='single' keep one picture of two axes."""
    tex = tikz_figure(_video(), label="fig:v")
    pics = tikz_pictures(tex)
    assert [_strip_axes(p) for p in pics] == [(0,), (1, 2)]
    assert "One strip per group of equal axes, top to bottom: axis 0; axes 1 and 2 (of 3)." in tex
    assert len(tikz_pictures(tikz_figure(_video(), layout="single"))) == 1
    assert "Axes 1 and 2 of 3" in tikz_figure(_video(), dims=2, label="fig:v")
    every = tikz_figure(_video(), layout="axes")
    assert [_strip_axes(p) for p in tikz_pictures(every)] == [(0,), (1, 2)]


def test_isotropic_keeps_its_2d_picture() -> None:
    """An isotropic 2-D network (AlexNet) and a 3-D one with equal axes keep one 2-D picture; a 1-D network
    stays 1-D; layout='axes' asks for strips anyway."""
    assert [g.dims for g in figure_plan(load("alexnet")).pictures] == [2]
    cube = Network([Conv(kernel=3, stride=2, name="c")], input=[9, 9, 9])
    assert [(g.dims, g.axes) for g in figure_plan(cube).pictures] == [(2, (1, 2))]
    assert [g.same for g in figure_plan(cube, layout="axes").pictures] == [(0, 1, 2)]
    audio = load("wav2vec2_feature_encoder")
    assert [g.dims for g in figure_plan(audio).pictures] == [1]
    aniso = Network([Conv(kernel=[3, 5], name="c")], input=[20, 20])
    assert [g.same for g in figure_plan(aniso).pictures] == [(0,), (1,)]


def test_many_axes_are_bounded() -> None:
    """A network with more distinct axes than MAX_PANELS draws MAX_PANELS strips and names the rest."""
    nax = MAX_PANELS + 2
    net = Network([Conv(kernel=[2 * a + 1 for a in range(nax)], name="c")], input=[40] * nax)
    tex = tikz_figure(net, label="fig:many")
    assert len(tikz_pictures(tex)) == MAX_PANELS
    assert f"Axes {MAX_PANELS}, {MAX_PANELS + 1} are not drawn (at most {MAX_PANELS} strips)" in tex
    assert [_strip_axes(p) for p in tikz_pictures(tex)] == [(a,) for a in range(MAX_PANELS)]


def test_per_axis_features_and_errors() -> None:
    """Per axis, a feature is one index per network axis (or one for all); bad ones are one-line errors."""
    plan = figure_plan(_video(), "c2", [(1, 2, 3)], layout="axes")
    assert [g.features for g in plan.pictures] == [((1,),), ((2,),)]
    with pytest.raises(RfsymError, match="one index per axis"):
        figure_plan(_video(), "c2", [(1, 2)], layout="axes")
    with pytest.raises(RfsymError, match="leave out dims"):
        figure_plan(_video(), layout="axes", dims=2)
    with pytest.raises(RfsymError, match="layout must be one of"):
        figure_plan(_video(), layout="columns")


def test_cli_per_axis(tmp_path: Path) -> None:
    """rfsym plot/export --per-axis draws strips; with --dims it is a one-line error (exit 2); a 3-D
    feature on the command line picks an index per axis."""
    spec = tmp_path / "nd.toml"
    spec.write_text('input = [12, 12, 12]\n[[layers]]\nname = "c"\nkind = "conv"\nkernel = [3, 3, 3]\n')
    out = tmp_path / "nd.tex"
    assert main(["export", str(spec), "--per-axis", "-o", str(out)]) == 0
    assert "axes 0, 1 and 2" in out.read_text()
    assert main(["plot", str(spec), "--per-axis", "--feature", "1,2,3", "-o", str(tmp_path / "nd.png")]) == 0
    assert main(["plot", str(spec), "--per-axis", "--dims", "2", "-o", str(tmp_path / "x.tex")]) == 2


# -- bounded whatever the model ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["unet", "resnet152", "wav2vec2_feature_encoder"])
def test_drawn_items_are_bounded(name: str) -> None:
    """The export figures, the TikZ of rfsym plot and the matplotlib figure of the largest models draw a
    bounded number of centres (at most MAX_SHOWN + 2 per axis per picture) and of TikZ lines."""
    net = load(name)
    units = parse_units(sample_rate=16000) if name.startswith("wav2vec") else None
    tex = tikz_figure(net, units=units, upsampled=True, label="fig:x")
    plan = figure_plan(net, upsampled=True, sample_rate=16000 if units else None)
    pictures = [*plan.pictures, *plan.upsampled]
    assert tikz_circles(tex) <= sum((MAX_SHOWN + 2) ** g.dims + len(g.features) for g in pictures)
    assert len(tex.splitlines()) <= 40 * len(pictures)
    fig = rf_figure(net, units=units, upsampled=True)
    try:
        points = sum(len(c.get_offsets()) for ax in fig.axes for c in ax.collections)
        assert points <= sum((MAX_SHOWN + 2) ** g.dims + len(g.features) for g in pictures)
    finally:
        plt.close(fig)


def test_every_new_picture_compiles(tmp_path: Path) -> None:
    """Rings, legends, per-axis strips (labelled), fractional grids and inputs of up to 2**24 pixels (they
    stopped TeX: 'Dimension too large', a length '3.75e-05cm') compile with pdflatex (tikz only), with no
    overfull box."""
    body = "\n".join(
        [
            tikz_figure(_video(), label="fig:v"),
            tikz_figure(Network([Upsample(scale=[1, 2], name="up")], input=[8, 8]), "up", layout="single", label="a"),
            tikz_figure(Network([Conv(kernel=3, padding=1), Upsample(scale=3, name="u")], input=20), "u", label="b"),
            tikz_figure(load("unet"), upsampled=True, width="3cm"),
            tikz_figure(_video(), layout="axes", width="8cm"),
            tikz_figure(_video(), units=parse_units(spacing="0.5mm"), label="fig:mm"),
            # inputs past TeX's 16384 pt: coordinates in units of 10**k pixels, never an exponent
            tikz_figure(load("wav2vec2_feature_encoder"), input=160_000, dims=1),
            tikz_figure(Network([Conv(kernel=7, stride=4, name="c")], input=[2**24, 20_000]), width="2mm"),
        ]
    )
    assert "e-0" not in body and "e+0" not in body and "units of 10000 pixels" in body
    run = run_pdflatex(tmp_path, "new", document(body))
    assert run.returncode == 0, run.stdout[-2000:]
    assert "Overfull" not in run.log and not [ln for ln in run.log.splitlines() if ln.startswith("!")]


@settings(max_examples=40, deadline=None)
@given(networks())
def test_the_upsampled_picture_is_the_first_upsampling_layer(case: tuple[list[dict[str, Any]], Any]) -> None:
    """upsampled=True adds the first upsampling or strided transposed-convolution layer (by its kind and
    parameters, on a drawn axis), unless that is the drawn layer; none for a network without one."""
    spec, inp = case
    net = _network_or_skip(spec, inp)
    plan = figure_plan(net, upsampled=True)
    g = plan.pictures[0]
    axes = range(len(net.table().input)) if plan.per_axis else set(g.axes)  # a strip plan reads every axis

    def upsamples(d: dict[str, Any]) -> bool:
        if d["kind"] == "upsample":
            return True
        return d["kind"] == "conv_transpose" and any(_pick(d["stride"], a) > 1 for a in axes)

    first = next((f"l{i}" for i, d in enumerate(spec) if upsamples(d)), None)
    want = None if first in (None, g.layer) else first
    assert (plan.upsampled[0].layer if plan.upsampled else None) == want
    assert all(u.same == p.same for u, p in zip(plan.upsampled, plan.pictures))


def test_zoo_pictures_keep_their_shape() -> None:
    """Inception v3 (1x7 and 7x1 branches, an isotropic output) keeps its 2-D picture; an image of two
    sizes with square kernels stays 2-D; FPN's upsampled picture is an upsampling layer (not a branch that
    merely comes after a coarser one in the table)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inception, fpn = load("inception_v3"), load("fpn_resnet50")
        assert [g.dims for g in figure_plan(inception, upsampled=True).pictures] == [2]
        assert not figure_plan(inception, upsampled=True).upsampled
        up = figure_plan(fpn, upsampled=True).upsampled
    assert [g.layer for g in up] == ["up4"] and fpn.layers[fpn.nodes.index("up4")].kind in (
        "upsample",
        "conv_transpose",
    )
    wide = Network([Conv(kernel=3, stride=2, name="c")], input=[224, 320])
    assert [(g.dims, g.same) for g in figure_plan(wide).pictures] == [(2, ())]


def test_per_axis_units_name_their_strips() -> None:
    """With a pixel spacing, a per-axis caption gives each strip's r and j in mm, named by its axes (the
    table's r and j times the spacing)."""
    net = _video()
    cap = tikz_figure(net, label="fig:v", units=parse_units(spacing="0.5mm"))
    row = net.table()["c2"]
    for which, a in (("axis 0", 0), ("axes 1 and 2", 1)):
        r, j = (float(v) / 2 for v in (row.states[a].r, row.states[a].j))
        assert rf"field ${r:g}\,\mathrm{{mm}}$, jump ${j:g}\,\mathrm{{mm}}$ on {which}" in cap
