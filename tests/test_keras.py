"""rfsym.from_keras: Keras 3 models built here, against their float64 gradients through the torch backend.

Each model is built twice from one recipe: as written, for the import, and with max pooling replaced by
average pooling of the same geometry, for the gradient (a max-pool's gradient reaches one input only).
Weights are positive and normalised, so that no contribution cancels.  Saved as ``.keras`` archives,
the same models are read from their config.json in a fresh interpreter in which keras cannot be imported.
"""

from __future__ import annotations

import os

os.environ["KERAS_BACKEND"] = "torch"

import itertools
import json
import subprocess
import sys
from fractions import Fraction

import keras
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from keras import layers as L

import rfsym
from rfsym import RfsymError, from_keras
from rfsym.io.keras import global_paths
from rfsym.layers import ConvTranspose, Upsample

keras.config.set_floatx("float64")


def positive(model):
    """Kernels 1/fan_in, biases 0.01, norm scales 1 and statistics 0/1."""
    for layer in model.layers:
        new = []
        for var, w in zip(layer.weights, layer.get_weights()):
            leaf = var.path.rsplit("/", 1)[-1]
            if "kernel" in leaf:
                new.append(np.full(w.shape, 1.0 / max(1, int(np.prod(w.shape[:-1]))), dtype=w.dtype))
            elif leaf in ("gamma", "moving_variance"):
                new.append(np.ones_like(w))
            elif leaf in ("beta", "moving_mean"):
                new.append(np.zeros_like(w))
            else:
                new.append(np.full_like(w, 0.01))
        if new:
            layer.set_weights(new)
    return model


def extents(model, shape, units):
    """For each output unit (h, w), the first and last input column with a non-zero gradient (channels last)."""
    x = torch.ones(shape, dtype=torch.float64, requires_grad=True)
    y = model(x)
    out = []
    for unit in units:
        (g,) = torch.autograd.grad(y[(0, *unit)].sum(), x, retain_graph=True)
        nz = torch.nonzero(g[0].abs().sum(-1).reshape(g.shape[1], -1).any(0) if g.dim() == 4 else g[0].abs().sum(-1))
        cols = nz.flatten().tolist()
        out.append((cols[0], cols[-1]) if cols else None)
    return out, tuple(y.shape[1:-1])


def seq(*layers, shape):
    """A Sequential recipe: each entry makes a fresh layer for the pool kind (no layer is shared by two builds)."""
    return lambda pool: keras.Sequential([keras.Input(shape), *[make(pool) for make in layers]])


def ly(cls, *a, **k):
    return lambda pool: cls(*a, **k)


def mp(*a, **k):
    return lambda pool: (L.MaxPooling2D if pool == "max" else L.AveragePooling2D)(*a, **k)


def residual(pool):
    inp = keras.Input((None, None, 3))
    x = L.Conv2D(4, 3, strides=2, padding="same")(inp)
    y = L.Conv2D(4, 3, padding="same")(L.ReLU()(L.BatchNormalization()(x)))
    y = L.Conv2D(4, 3, padding="same")(y)
    x = L.Add()([x, y])
    return keras.Model(inp, mp(3, strides=2, padding="same")(pool)(x))


def inception(pool):
    inp = keras.Input((None, None, 3))
    a = L.Conv2D(2, 1)(inp)
    b = L.Conv2D(2, 3, padding="same")(L.Conv2D(2, 1)(inp))
    c = L.Conv2D(2, 5, padding="same")(inp)
    d = L.AveragePooling2D(3, strides=1, padding="same")(inp)
    x = L.Concatenate()([a, b, c, d])
    return keras.Model(inp, L.Conv2D(4, 3, strides=2)(x))


def se(gate):
    inp = keras.Input((None, None, 3))
    x = L.Conv2D(4, 5, strides=2, padding="same")(inp)
    if gate:
        g = L.GlobalAveragePooling2D(keepdims=True)(x)
        g = L.Dense(4, activation="sigmoid")(L.Dense(2, activation="relu")(g))
        x = L.Multiply()([x, g])
    return keras.Model(inp, L.Conv2D(4, 3)(x))


def nested(pool):
    """A functional block and a Sequential stage used as layers of a functional model, itself nested once more."""
    bi = keras.Input((None, None, 4))
    block = keras.Model(bi, L.Add()([bi, L.Conv2D(4, 3, padding="same", name="conv")(bi)]), name="block")
    stage = keras.Sequential([keras.Input((None, None, 4)), mp(2)(pool), L.Conv2D(4, 3, name="conv")], name="stage")
    mi = keras.Input((None, None, 3))
    middle = keras.Model(mi, stage(block(L.Conv2D(4, 3, name="stem")(mi))), name="middle")
    inp = keras.Input((None, None, 3))
    return keras.Model(inp, L.Conv2D(4, 3, dilation_rate=2, name="head")(middle(inp)), name="outer")


def shared(pool):
    """One Conv2D object called three times: twice in a chain, once on a branch merged back."""
    conv = L.Conv2D(3, 3, padding="same", name="shared")
    inp = keras.Input((None, None, 3))
    a = conv(inp)
    b = conv(L.Conv2D(3, 3, strides=2, name="down")(a))
    c = conv(b)
    return keras.Model(inp, L.Conv2D(4, 3)(L.Add()([b, c])))


def shared_block(pool):
    """A nested model called twice (its second call's layers are block@1/...)."""
    bi = keras.Input((None, None, 3))
    block = keras.Model(bi, L.Conv2D(3, 3, strides=2, name="conv")(bi), name="block")
    inp = keras.Input((None, None, 3))
    return keras.Model(inp, block(block(inp)))


def shuffle(pool):
    """A channel shuffle (Reshape to groups, Permute the groups, Reshape back) and a detour through channels first."""
    inp = keras.Input((16, 64, 3))
    x = L.Conv2D(4, 3, padding="same")(inp)
    x = L.Reshape((16, 64, 2, 2), name="groups")(x)  # named: the auto names of test_errors stay "reshape"
    x = L.Permute((1, 2, 4, 3), name="shuffle")(x)
    x = L.Reshape((16, 64, 4), name="ungroup")(x)
    x = L.Conv2D(4, 3, strides=2)(x)
    x = L.Permute((3, 1, 2), name="to_channels_first")(x)
    x = L.Conv2D(4, 5, padding="same", data_format="channels_first")(x)
    x = L.Permute((2, 3, 1), name="to_channels_last")(x)
    return keras.Model(inp, L.Conv2D(4, 3)(x))


#: name -> (recipe taking the pool kind, input shape (H, W, C) or (L, C) ...)
MODELS = {
    "valid_maxpool_dilated": (
        seq(ly(L.Conv2D, 4, 3), mp(2), ly(L.Conv2D, 4, 3, dilation_rate=2), shape=(None, None, 3)),
        3,
    ),
    "same_strided_tf_rule": (
        seq(*(ly(L.Conv2D, 4, k, strides=2, padding="same") for k in (3, 4, 5)), shape=(None, None, 3)),
        3,
    ),
    "depthwise_separable": (
        seq(
            ly(L.DepthwiseConv2D, 3, strides=2, padding="same"),
            ly(L.SeparableConv2D, 4, 3, padding="same"),
            ly(L.SeparableConv2D, 4, 5, strides=2),
            shape=(None, None, 3),
        ),
        3,
    ),
    "pad_crop": (
        seq(
            ly(L.ZeroPadding2D, ((1, 2), (3, 0))),
            ly(L.Conv2D, 4, 3),
            ly(L.Cropping2D, ((0, 1), (2, 1))),
            ly(L.Conv2D, 4, 3, strides=2),
            shape=(None, None, 3),
        ),
        3,
    ),
    "same_pooling": (
        seq(ly(L.Conv2D, 4, 3), mp(3, strides=2, padding="same"), ly(L.Conv2D, 4, 3), shape=(None, None, 3)),
        3,
    ),
    "residual_add": (residual, 3),
    "inception_concat": (inception, 3),
    "upsampling": (
        seq(ly(L.Conv2D, 4, 3, strides=2), ly(L.UpSampling2D, 2), ly(L.Conv2D, 4, 3), shape=(None, None, 3)),
        3,
    ),
    "transposed": (
        seq(
            ly(L.Conv2D, 4, 3, strides=2),
            ly(L.Conv2DTranspose, 4, 3, strides=2),
            ly(L.Conv2D, 4, 3),
            shape=(None, None, 3),
        ),
        3,
    ),
    "transposed_same_output_padding": (
        seq(
            ly(L.Conv2D, 4, 3, strides=2),
            ly(L.Conv2DTranspose, 4, 3, strides=2, padding="same"),
            ly(L.Conv2DTranspose, 4, 4, strides=(1, 3), padding="same", output_padding=(0, 2)),
            ly(L.Conv2D, 4, 3),
            shape=(None, None, 3),
        ),
        3,
    ),
    "nested_models": (nested, 3),
    "shared_layer": (shared, 3),
    "shared_nested_model": (shared_block, 3),
    "channel_shuffle_permute": (shuffle, 3),
    "bn_relu_stack": (
        seq(
            *[
                m
                for _ in range(3)
                for m in (
                    ly(L.Conv2D, 4, 3, padding="same"),
                    ly(
                        L.BatchNormalization,
                    ),
                    ly(
                        L.ReLU,
                    ),
                )
            ],
            mp(2),
            shape=(None, None, 3),
        ),
        3,
    ),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_matches_gradients(name):
    """n, and r, j, start on the width axis, equal the gradients (a bound with upsampling / transposed convolution)."""
    recipe, chans = MODELS[name]
    shape = (1, 16, 64, chans)
    net = from_keras(recipe("max"), (16, 64))
    st = net.table().output[1]
    grad_model = positive(recipe("avg"))
    n = int(net.table().output[1].n)
    u = (n - 1) // 2
    ext, out_shape = extents(grad_model, shape, [(0, u), (0, u + 1)])
    assert out_shape == tuple(s.n for s in net.table().output)
    bound = any(isinstance(lay, (Upsample, ConvTranspose)) for lay in net.layers)
    boxes = [(st.start + k * st.j - Fraction(st.r) / 2, st.start + k * st.j + Fraction(st.r) / 2) for k in (u, u + 1)]
    assert all(0 < lo and hi < 63 for lo, hi in ext)
    if bound:
        assert all(b0 <= lo and hi + 1 <= b1 for (lo, hi), (b0, b1) in zip(ext, boxes))
    else:
        assert [(Fraction(lo), Fraction(hi + 1)) for lo, hi in ext] == boxes


def test_causal_dilated_conv1d():
    """Conv1D with padding 'causal' and dilations 1, 2, 4: r = 15, and each output reads only the past."""
    m = positive(
        keras.Sequential(
            [keras.Input((None, 1)), *[L.Conv1D(2, 3, padding="causal", dilation_rate=d) for d in (1, 2, 4)]]
        )
    )
    st = from_keras(m, 40).table().output[0]
    x = torch.ones((1, 40, 1), dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(m(x)[0, 30].sum(), x)
    nz = torch.nonzero(g[0, :, 0]).flatten().tolist()
    assert (st.n, st.r) == (40, 15) and (nz[0], nz[-1]) == (30 - 14, 30)
    assert st.start + 30 * st.j + Fraction(st.r, 2) == 31  # the box ends at the unit's own pixel


def test_conv3d_and_pooling3d():
    """Conv3D, AveragePooling3D and ZeroPadding3D: per-axis n equals Keras' output shape."""
    m = keras.Sequential(
        [
            keras.Input((None, None, None, 1)),
            L.ZeroPadding3D((1, 0, 2)),
            L.Conv3D(2, (3, 1, 5), strides=(1, 2, 2)),
            L.AveragePooling3D(2),
        ]
    )
    out = from_keras(m, (9, 10, 11)).table().output
    assert tuple(s.n for s in out) == tuple(m(np.zeros((1, 9, 10, 11, 1))).shape[1:-1])


def test_squeeze_excitation_is_global():
    """An SE gate (GlobalAveragePooling2D, Dense, Multiply): the local field is the ungated model's, and global."""
    gated = from_keras(se(True), (9, 64))
    plain = from_keras(se(False), (9, 64))
    assert gated.table().output == plain.table().output
    info = global_paths(gated)
    assert info is not None and not info.only
    x = torch.ones((1, 9, 64, 3), dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(positive(se(True))(x)[0, 1, 10].sum(), x)
    assert bool((g[0].abs().sum(-1) != 0).all())  # with the gate every unit sees the whole input


def read_in_fresh_interpreter(paths, size, block):
    """(n, j, r, start per axis of each file's network, whether keras/torch were imported) in a new interpreter;
    ``block``: keras, tensorflow and torch cannot be imported there at all."""
    code = (
        "import sys, json\n"
        + (
            "sys.modules['keras'] = None; sys.modules['tensorflow'] = None; sys.modules['torch'] = None\n"
            if block
            else ""
        )
        + "import rfsym\n"
        "out = {}\n"
        f"for name, path in {json.dumps({k: str(v) for k, v in paths.items()})}.items():\n"
        f"    t = rfsym.from_keras(path, {size!r}).table().output\n"
        "    out[name] = [[int(s.n), str(s.j), str(s.r), str(s.start)] for s in t]\n"
        "print(json.dumps([out, {m: m in sys.modules for m in ('keras', 'torch')}]))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_keras_files_read_without_keras(tmp_path):
    """A .keras archive is read from its config.json: same network, in an interpreter where keras cannot import."""
    paths = {}
    for name in ("same_strided_tf_rule", "residual_add", "inception_concat", "pad_crop"):
        recipe, _ = MODELS[name]
        model = recipe("max")
        paths[name] = tmp_path / f"{name}.keras"
        model.save(paths[name])
    got, _ = read_in_fresh_interpreter(paths, 64, block=True)
    for name in paths:
        want = from_keras(MODELS[name][0]("max"), 64).table().output
        assert got[name] == [[int(s.n), str(s.j), str(s.r), str(s.start)] for s in want]
    cli = subprocess.run(
        [sys.executable, "-m", "rfsym", "table", str(paths["residual_add"]), "--input", "64", "--format", "json"],
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["layers"][-1]["n"] == [16, 16]


def test_errors(tmp_path):
    """Not a zip, a zip without config.json, and an unsupported layer: one line each, naming it."""
    (tmp_path / "bad.keras").write_bytes(b"not a zip")
    with pytest.raises(RfsymError, match="not a valid .keras file"):
        from_keras(tmp_path / "bad.keras")
    import zipfile

    with zipfile.ZipFile(tmp_path / "empty.keras", "w") as z:
        z.writestr("metadata.json", "{}")
    with pytest.raises(RfsymError, match="no config.json inside"):
        from_keras(tmp_path / "empty.keras")
    m = keras.Sequential([keras.Input((16, 16, 3)), L.Conv2D(2, 3), L.Reshape((14 * 14, 2))])
    with pytest.raises(RfsymError, match=r"reshape \(Reshape\): unsupported layer.*--passthrough 'reshape'"):
        from_keras(m)


# -- transposed convolutions: Keras' output window ----------------------------------------------


def support(net, unit, n, axis=0):
    """The input pixels rfsym says a unit reads on one axis (exact, from the layers' own geometry)."""
    sup = rfsym.coverage.holes(net, unit=unit, input=n, axis=axis)[0]
    if sup.offset is None:
        return set()
    return {sup.offset + i for i in range(sup.mask.bit_length()) if sup.mask >> i & 1}


def grad_support(model, shape, units, axis):
    """Per output unit, the input pixels with a non-zero gradient (all channels) on one axis (channels last);
    one forward pass, one backward pass per unit."""
    x = torch.ones(shape, dtype=torch.float64, requires_grad=True)
    y = model(x)
    out = []
    for unit in units:
        (g,) = torch.autograd.grad(y[(0, *unit)].sum(), x, retain_graph=True)
        mask = g[0].abs().sum(-1) != 0
        others = tuple(a for a in range(mask.dim()) if a != axis)
        line = mask.any(dim=others) if others else mask
        out.append(set(torch.nonzero(line).flatten().tolist()))
    return out, tuple(y.shape[1:-1])


transposed_1d = st.tuples(
    st.integers(1, 5),  # kernel
    st.integers(1, 4),  # stride
    st.integers(1, 3),  # dilation (Keras: only with stride 1)
    st.sampled_from(["valid", "same"]),
    st.one_of(st.none(), st.integers(0, 3)),  # output_padding (Keras: < stride)
    st.integers(2, 9),  # input size
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(transposed_1d)
def test_conv1d_transpose_window_matches_gradients(case):
    """Conv1DTranspose, valid/same, with and without output_padding: n, and every output unit's exact set
    of input pixels, equal the gradients through the torch backend."""
    k, s, d, pad, op, n = case
    d = 1 if s > 1 else d
    op = None if op is None else op % s  # Keras: output_padding < strides
    m = keras.Sequential(
        [keras.Input((None, 1)), L.Conv1DTranspose(2, k, strides=s, dilation_rate=d, padding=pad, output_padding=op)]
    )
    positive(m)
    net = from_keras(m, n)
    nout = int(net.table().output[0].n)
    want, out_shape = grad_support(m, (1, n, 1), [(o,) for o in range(nout)], 0)
    assert out_shape == (nout,)
    assert [support(net, o, n) for o in range(nout)] == want, case


@pytest.mark.parametrize(
    "cls, kernel, strides, pad, op, size",
    [
        (L.Conv2DTranspose, (3, 4), (2, 3), "same", None, (5, 6)),
        (L.Conv2DTranspose, (3, 2), (2, 2), "same", (1, 0), (5, 4)),
        (L.Conv2DTranspose, (5, 3), (3, 2), "valid", (2, 1), (4, 5)),
        (L.Conv3DTranspose, (3, 2, 4), (2, 1, 3), "same", (1, 0, 2), (3, 4, 3)),
    ],
)
def test_conv_transpose_2d_3d_same_and_output_padding(cls, kernel, strides, pad, op, size):
    """Conv2DTranspose/Conv3DTranspose with 'same' and output_padding: n per axis and each axis' support of
    every output unit on that axis (others at their centre) equal the gradients."""
    nd = len(size)
    m = positive(
        keras.Sequential(
            [keras.Input((*[None] * nd, 1)), cls(2, kernel, strides=strides, padding=pad, output_padding=op)]
        )
    )
    net = from_keras(m, size)
    outs = [int(s.n) for s in net.table().output]
    for ax in range(nd):
        units = [tuple(o if a == ax else (v - 1) // 2 for a, v in enumerate(outs)) for o in range(outs[ax])]
        want, out_shape = grad_support(m, (1, *size, 1), units, ax)
        assert out_shape == tuple(outs)
        assert [support(net, o, size[ax], ax) for o in range(outs[ax])] == want


# -- nested models, shared layers, Reshape/Permute ---------------------------------------------


def names(net):
    return [lay.name for lay in net.layers] if hasattr(net, "nodes") else [lay.name for lay in net.flat_layers()]


def test_nested_model_paths_and_passthrough():
    """Layers of nested models are named outer/inner/...; passthrough takes those paths, patterns and whole models."""
    m = nested("max")
    net = from_keras(m, (16, 64))
    got = set(names(net))
    assert {"middle/stem", "middle/block/conv", "middle/stage/conv", "head"} <= got
    assert any(n.startswith("middle/stage/max_pooling2d") for n in got)
    base = net.table().output[1]
    one = from_keras(m, (16, 64), passthrough=["middle/block/conv"]).table().output[1]
    assert one.r == base.r - 2  # the block's 3x3 is gone (its Add keeps the identity path)
    both = from_keras(m, (16, 64), passthrough=["middle/*/conv"]).table().output[1]
    assert both.r == base.r - 2 - 2 * 2  # and the stage's 3x3 after the 2x pool
    stage = from_keras(m, (16, 64), passthrough=["middle/stage"]).table().output[1]
    assert (stage.j, stage.r) == (1, 1 + 2 + 2 + 4)  # stem 3x3, block 3x3, head 3x3 with dilation 2
    with pytest.raises(RfsymError, match="no layer 'middle/nothing'"):
        from_keras(m, (16, 64), passthrough=["middle/nothing"])


def test_shared_layer_calls_are_nodes():
    """A layer called three times gives three nodes (shared, shared@1, shared@2); passthrough covers every call."""
    m = shared("max")
    net = from_keras(m, (16, 64))
    assert {"shared", "shared@1", "shared@2"} <= set(names(net))
    ident = from_keras(m, (16, 64), passthrough=["shared"]).table().output[1]
    assert ident.r == net.table().output[1].r - 2 - 2 * 2 * 2  # 3x3 before the stride, two 3x3 after it (one path)
    twice = from_keras(shared_block("max"), (16, 64))
    assert names(twice) == ["block/conv", "block@1/conv"]
    assert [int(s.n) for s in twice.table().output] == [3, 15]


@pytest.mark.parametrize(
    "layers, match",
    [
        (
            [(L.Permute, (2, 1, 3))],
            r"layer0 \(Permute\): unsupported layer: dims \(2, 1, 3\) reorders the spatial axes",
        ),
        (
            [(L.Permute, (3, 1, 2)), (L.Conv2D, 2, 3)],
            r"data_format 'channels_last' expects \(N, S0, S1, C\) but the map",
        ),
        ([(L.Permute, (1, 3, 2)), (L.Dense, 3)], r"layer1 \(Dense\): acts on the last axis, a spatial axis"),
        ([(L.Reshape, (16, 48))], r"target_shape \(16, 48\) mixes the spatial axes.*--passthrough 'layer0'"),
        ([(L.Reshape, (-1, 16, 3))], r"target_shape \(-1, 16, 3\) mixes the spatial axes"),
        ([(L.Permute, (3, 1, 2)), (L.Concatenate,)], r"concatenation along axis -1 is not along channels"),
        ([(L.LayerNormalization,)], r"layer0 \(LayerNormalization\): axis \[1, 2\] is a spatial axis"),
    ],
)
def test_spatial_mixing_refused(layers, match):
    """Reshapes, permutations and layers that mix the spatial axes: one line naming the layer and the field.

    The layers are made here with explicit names (made at collection, they would use up Keras' automatic
    names, which test_errors reads)."""
    inp = keras.Input((16, 16, 3))
    x = inp
    for i, (cls, *args) in enumerate(layers):
        kw = {"axis": [1, 2]} if cls is L.LayerNormalization else {}
        lay = cls(*args, name=f"layer{i}", **kw)
        x = lay([x, x]) if cls is L.Concatenate else lay(x)
    with pytest.raises(RfsymError, match=match) as err:
        from_keras(keras.Model(inp, x))
    assert "\n" not in str(err.value)


def test_flatten_reshape_and_channel_first_detour():
    """Reshape to one axis acts as Flatten (a Dense after it is global); a permuted map goes back and forth."""
    inp = keras.Input((16, 16, 3))
    x = L.Conv2D(4, 3)(inp)
    head = keras.Model(inp, L.Dense(2)(L.Reshape((14 * 14 * 4,))(x)))
    info = global_paths(from_keras(head))
    assert info is not None and info.only
    back = keras.Model(inp, L.Conv2D(4, 3)(L.Permute((2, 3, 1))(L.Permute((3, 1, 2))(x))))
    assert from_keras(back).table().output[0].r == 5


NEW_FILES = [
    "nested_models",
    "shared_layer",
    "shared_nested_model",
    "channel_shuffle_permute",
    "transposed_same_output_padding",
]


def test_new_keras_files_read_without_importing_keras(tmp_path):
    """Nested, shared, reshaped and 'same' transposed models saved as .keras: the same networks, and keras
    (and torch) never imported by the reader."""
    paths = {}
    for name in NEW_FILES:
        paths[name] = tmp_path / f"{name}.keras"
        MODELS[name][0]("max").save(paths[name])
    got, imported = read_in_fresh_interpreter(paths, (16, 64), block=False)
    assert imported == {"keras": False, "torch": False}
    cli = subprocess.run(
        [sys.executable, "-m", "rfsym", "table", str(paths["nested_models"]), "--input", "16,64", "--format", "json"]
        + ["--passthrough", "middle/*/conv"],
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 0, cli.stderr
    rows = json.loads(cli.stdout)["layers"]
    assert "middle/block/conv" not in [r["name"] for r in rows] and "middle/stem" in [r["name"] for r in rows]
    for name in NEW_FILES:
        want = from_keras(MODELS[name][0]("max"), (16, 64)).table().output
        assert got[name] == [[int(s.n), str(s.j), str(s.r), str(s.start)] for s in want]


conv_1d = st.tuples(st.integers(1, 4), st.integers(1, 2), st.integers(1, 3), st.sampled_from(["valid", "same"]))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(conv_1d, min_size=1, max_size=4),
    st.lists(st.integers(0, 3), min_size=4, max_size=4),
    st.sampled_from(["functional", "sequential"]),
    st.lists(st.booleans(), min_size=4, max_size=4),
)
def test_nested_and_shared_chains_match_gradients(convs, groups, kind, reuse):
    """A Conv1D chain cut into nested models (Sequential or functional, by ``groups``), and the same chain in one
    functional model with some layers called again (``reuse``): every output unit's exact input set equals the
    gradients."""
    made = [L.Conv1D(2, k, strides=s, dilation_rate=1 if s > 1 else d, padding=p) for k, s, d, p in convs]
    inp = keras.Input((None, 2))
    x, i = inp, 0
    while i < len(made):  # consecutive layers with the same group number form one nested model
        j = i + 1
        while j < len(made) and groups[j] == groups[i]:
            j += 1
        if j - i > 1 or groups[i] % 2:
            if kind == "sequential":
                sub = keras.Sequential([keras.Input((None, 2)), *made[i:j]])
            else:
                si = keras.Input((None, 2))
                y = si
                for lay in made[i:j]:
                    y = lay(y)
                sub = keras.Model(si, y)
            x = sub(x)
        else:
            x = made[i](x)
        i = j
    nested_model = keras.Model(inp, x)
    si = keras.Input((None, 2))
    y = si
    for lay, again in zip(made, reuse):
        y = lay(y)
        if again and lay.strides == (1,):
            y = lay(y)
    shared_model = keras.Model(si, y)
    n = 24
    for model in (nested_model, shared_model):
        positive(model)
        try:
            net = from_keras(model, n)
        except RfsymError as e:  # rfsym says the input is too small: so does Keras (an error or nothing)
            assert "output is empty" in str(e)
            try:
                width = int(model(np.zeros((1, n, 2))).shape[1])
            except RuntimeError:  # the torch backend: a kernel larger than its padded input
                width = 0
            assert width <= 0
            continue
        nout = int(net.table().output[0].n)
        want, out_shape = grad_support(model, (1, n, 2), [(o,) for o in range(nout)], 0)
        assert out_shape == (nout,)
        assert [support(net, o, n) for o in range(nout)] == want


@pytest.mark.parametrize("perm", list(itertools.permutations((1, 2, 3, 4))))
def test_every_permutation_of_a_grouped_map(perm):
    """Reshape (H, W, C) to (H, W, 2, 2), Permute by each of the 24 permutations, Reshape back to (H, W, 4), Conv2D:
    rfsym follows exactly the two that keep every pixel's channels together (the gradients equal its exact input
    sets) and refuses the other 22, naming the layer and the field -- for each of which the gradients show
    that pixels were mixed (some unit reads other input pixels than the plain model's)."""
    h, w = 5, 7

    def build(mixing):
        inp = keras.Input((h, w, 4))
        x = L.Conv2D(4, 3, padding="same", name="pre")(inp)
        if mixing:
            x = L.Reshape((h, w, 2, 2), name="split")(x)
            x = L.Permute(perm, name="perm")(x)
            x = L.Reshape((h, w, 4), name="merge")(x)
        return positive(keras.Model(inp, L.Conv2D(2, 3, name="post")(x)))

    model, plain = build(True), build(False)
    units = [(a, b) for a in range(h - 2) for b in range(w - 2)]
    got = [grad_support(model, (1, h, w, 4), units, ax)[0] for ax in (0, 1)]
    if perm in ((1, 2, 3, 4), (1, 2, 4, 3)):
        net = from_keras(model)
        for ax, n in ((0, h), (1, w)):
            assert got[ax] == [support(net, u[ax], n, ax) for u in units]
        return
    with pytest.raises(RfsymError, match=r"\((Permute|Reshape)\): unsupported layer: (dims|target_shape) ") as err:
        from_keras(model)
    assert "\n" not in str(err.value)
    want = [grad_support(plain, (1, h, w, 4), units, ax)[0] for ax in (0, 1)]
    assert got != want
