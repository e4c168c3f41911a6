"""Token layouts: patch embeddings, class tokens and attention over all positions (ViT, DeiT), and the refusals
of windowed attention (Swin, MaxViT).

A reshape or flatten that folds the spatial axes into one token axis keeps a map back to them (row-major,
:class:`rfsym.io._graphbuild.Tok`); per-token operations pass, attention is the first-class *global* result,
and unfolding the tokens back to (S0, S1) restores the spatial layout exactly.  Every model here is compared
with float64 gradients of the real model through :func:`rfsym.verify` (attention detached for the local field,
attached for the claim that every unit sees the whole input); the token map itself is compared with a
brute-force trace of indices through the model's own operations.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rfsym import RfsymError, from_torch, verify
from rfsym.io._graphbuild import global_paths


class TinyViT(nn.Module):
    """A hand-built ViT: patch embedding, class token, position embedding, pre-norm blocks, a choice of head.

    ``attn``: "mha" (nn.MultiheadAttention), "sdpa" (F.scaled_dot_product_attention on a qkv linear) or
    "matmul" (q @ k^T, softmax, @ v by hand).  ``head``: "cls" (the class token), "mean" (mean over the patch
    tokens), "maps" (patch tokens unfolded channels-first) or "maps_last" (unfolded channels-last).
    """

    def __init__(self, patch=4, stride=None, dim=8, depth=2, attn="mha", head="cls", cls=True, image=(16, 16)):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, patch, stride=stride or patch)
        grid = [(n - patch) // (stride or patch) + 1 for n in image]
        self.grid = grid
        self.cls = nn.Parameter(torch.zeros(1, 1, dim)) if cls else None
        self.pos = nn.Parameter(torch.zeros(1, grid[0] * grid[1] + (1 if cls else 0), dim))
        self.norms = nn.ModuleList(nn.LayerNorm(dim) for _ in range(depth))
        self.attn_kind, self.head = attn, head
        if attn == "mha":
            self.attn = nn.ModuleList(nn.MultiheadAttention(dim, 2, batch_first=True) for _ in range(depth))
        else:
            self.attn = nn.ModuleList(nn.Linear(dim, 3 * dim) for _ in range(depth))
        self.mlp = nn.ModuleList(
            nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim)) for _ in range(depth)
        )
        self.out = nn.Linear(dim, 5)

    def _attend(self, i, t):
        if self.attn_kind == "mha":
            return self.attn[i](t, t, t, need_weights=False)[0]
        b, n, c = t.shape
        q, k, v = self.attn[i](t).reshape(b, n, 3, 2, c // 2).permute(2, 0, 3, 1, 4).unbind(0)
        if self.attn_kind == "sdpa":
            o = F.scaled_dot_product_attention(q, k, v)
        else:
            o = (q @ k.transpose(-2, -1)).softmax(dim=-1) @ v
        return o.transpose(1, 2).reshape(b, n, c)

    def forward(self, x):
        t = self.proj(x).flatten(2).transpose(1, 2)
        if self.cls is not None:
            t = torch.cat([self.cls.expand(t.shape[0], -1, -1), t], dim=1)
        t = t + self.pos
        for i in range(len(self.norms)):
            t = t + self._attend(i, self.norms[i](t))
            t = t + self.mlp[i](t)
        lead = 1 if self.cls is not None else 0
        if self.head == "cls":
            return self.out(t[:, 0])
        if self.head == "mean":
            return self.out(t[:, lead:].mean(dim=1))
        t = t[:, lead:]
        b, n, c = t.shape
        if self.head == "maps":
            return t.transpose(1, 2).reshape(b, c, self.grid[0], self.grid[1])
        return t.reshape(b, self.grid[0], self.grid[1], c).permute(0, 3, 1, 2)


@pytest.mark.parametrize("attn", ["mha", "sdpa", "matmul"])
@pytest.mark.parametrize("method", ["fx", "hooks"])
def test_tiny_vit_maps_against_gradients(attn, method):
    """Patch tokens unfolded back to (N, C, H, W): the patch embedding's field exactly, and global (checked)."""
    for head in ("maps", "maps_last"):
        m = TinyViT(patch=4, attn=attn, head=head, image=(16, 20)).eval()
        net = from_torch(m, (16, 20), method=method)
        out = net.table().output
        assert [(s.r, s.j, s.n) for s in out] == [(4, 4, 4), (4, 4, 5)]
        info = global_paths(net)
        assert info is not None and not info.only
        rep = verify(m, (16, 20), strict=True)
        assert rep.checked and rep.global_check.startswith("checked")


@pytest.mark.parametrize("attn", ["mha", "sdpa", "matmul"])
@pytest.mark.parametrize("head", ["cls", "mean"])
def test_tiny_vit_classifier_is_global_only(attn, head):
    """A class-token or mean-pooled head: every path goes through attention; the gradient reaches every pixel."""
    m = TinyViT(patch=4, attn=attn, head=head).eval()
    net = from_torch(m, 16)
    info = global_paths(net)
    assert info is not None and info.only and any("attention" in op for op in info.ops)
    first = net.layers[0] if hasattr(net, "layers") else None
    assert first is not None and net.table().output[0].r == 16
    rep = verify(m, 16, strict=True)
    assert rep.ok and rep.global_check.startswith("checked")


def test_class_token_without_attention_sees_nothing():
    """Without an operation over all tokens the class token is a constant: the output does not depend on the input."""

    class NoAttn(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Conv2d(3, 4, 4, stride=4)
            self.cls = nn.Parameter(torch.zeros(1, 1, 4))

        def forward(self, x):
            t = self.proj(x).flatten(2).transpose(1, 2)
            return torch.cat([self.cls.expand(t.shape[0], -1, -1), t], dim=1)[:, 0]

    with pytest.raises(RfsymError, match="does not depend on its input"):
        from_torch(NoAttn(), 16)


def test_unfold_in_the_wrong_order_is_refused():
    """Unfolding tokens to sizes that are not the folded axes' (a 4x5 grid read as 5x4) is refused, not guessed."""

    class Wrong(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Conv2d(3, 4, 4, stride=4)

        def forward(self, x):
            t = self.proj(x).flatten(2)
            return t.reshape(t.shape[0], 4, 5, 4)

    with pytest.raises(RfsymError, match=r"Wrong\.forward .*reshape.*tokens\(S0\*S1\)"):
        from_torch(Wrong(), (16, 20))


def test_refusals_name_the_model_not_a_placeholder():
    """A refused call in the model's own forward names the model class, never '<model>'."""

    class Top(nn.Module):
        def __init__(self):
            super().__init__()
            self.c = nn.Conv2d(1, 2, 3)

        def forward(self, x):
            return torch.fft.fft2(self.c(x)).real

    for method in ("fx", "hooks"):
        with pytest.raises(RfsymError, match=r"Top\.forward .*fft2") as info:
            from_torch(Top(), 9, method=method)
        assert "<model>" not in str(info.value)


# -- the token map against a brute-force trace of indices ---------------------------------------------

FOLDS = ["flatten", "reshape_rest", "reshape_prod", "flatten_t", "cl", "cl_flat", "col"]


class Fold(nn.Module):
    """A convolution, its map folded into tokens (``style``), ``lead`` extra tokens, optionally unfolded again.

    ``ops`` is the part after the convolution: the brute force runs it on a map of indices.
    """

    def __init__(self, k, s, style, lead, unfold, grid):
        super().__init__()
        self.c = nn.Conv2d(2, 2, k, stride=s)
        self.style, self.lead, self.unfold, self.grid = style, lead, unfold, grid
        self.extra = nn.Parameter(-torch.ones(1, lead, 2)) if lead else None

    def forward(self, x):
        return self.ops(self.c(x))

    def ops(self, y):
        b, c, h, w = y.shape
        first = self.style in ("flatten", "reshape_rest", "reshape_prod")  # (N, C, tokens), else (N, tokens, C)
        if self.style == "flatten":
            t = y.flatten(2)
        elif self.style == "reshape_rest":
            t = y.reshape(b, c, -1)
        elif self.style == "reshape_prod":
            t = y.reshape(b, c, h * w)
        elif self.style == "flatten_t":
            t = y.flatten(2).transpose(1, 2)
        elif self.style == "cl":
            t = y.permute(0, 2, 3, 1).reshape(b, h * w, c)
        elif self.style == "cl_flat":
            t = y.permute(0, 2, 3, 1).flatten(1, 2)
        else:  # column-major tokens
            t = y.permute(0, 3, 2, 1).reshape(b, w * h, c)
        if self.extra is not None:
            e = self.extra.expand(b, -1, -1)
            t = torch.cat([e.transpose(1, 2), t], dim=2) if first else torch.cat([e, t], dim=1)
        if self.unfold is None:
            return t
        order, last = self.unfold  # the sizes to unfold to (as the grid, or swapped); channels last or first
        t = t[:, :, self.lead :] if first else t[:, self.lead :]
        a, bb = self.grid if order == "hw" else self.grid[::-1]
        if last:
            t = t.transpose(1, 2) if first else t
            return t.reshape(b, a, bb, c).permute(0, 3, 1, 2)
        t = t if first else t.transpose(1, 2)
        return t.reshape(b, c, a, bb)


def _source_of(labels, sizes, index, chan_axis):
    """Where (row, column) rfsym's layout says a tensor element comes from; None for an extra token.

    Written here from the documented rule (row-major over the folded axes, after the extra tokens), independently
    of the importer's own code.
    """
    from rfsym.io._graphbuild import Tok

    pos = [None, None]
    for ax, label in enumerate(labels):
        if ax == chan_axis or label in ("b", "c"):
            continue
        i = index[ax]
        if isinstance(label, int):
            pos[label] = i
            continue
        assert isinstance(label, Tok)
        i -= label.lead
        if i < 0 or i >= sizes[0] * sizes[1]:
            return None
        for a in reversed(label.axes):  # the last folded axis varies fastest
            pos[a] = i % sizes[a]
            i //= sizes[a]
    return tuple(pos)


def _import_value(model, size, method):
    from rfsym.io._graphbuild import _layout
    from rfsym.io._torch_ops import _Importer
    from rfsym.io.torch import _fx_import, _Recorder

    imp = _Importer(model, size, "fold", [])
    v = _fx_import(imp, model) if method == "fx" else _Recorder(imp, model.eval()).run((1, 2, *size))
    return _layout(v, 2), imp.b.sizes(v), imp


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    k=st.integers(1, 4),
    s=st.integers(1, 4),
    h=st.integers(4, 14),
    w=st.integers(4, 14),
    style=st.sampled_from(FOLDS),
    lead=st.integers(0, 2),
    unfold=st.one_of(st.none(), st.tuples(st.sampled_from(["hw", "wh"]), st.booleans())),
    method=st.sampled_from(["fx", "hooks"]),
)
def test_token_map_equals_a_brute_force_index_trace(k, s, h, w, style, lead, unfold, method):
    """Every element of the folded (and unfolded) tensor comes from the position rfsym's layout says.

    The brute force runs the same operations on a map whose two channels hold each position's row and column.
    An unfold to sizes that are not the folded axes' in order is refused (it would mix rows and columns) unless
    the layout rfsym gives it still says where every element comes from (a 1-wide axis: nothing is mixed).
    """
    assume(k <= h and k <= w)
    grid = ((h - k) // s + 1, (w - k) // s + 1)
    model = Fold(k, s, style, lead, unfold, grid)
    rows, cols = torch.meshgrid(torch.arange(grid[0]), torch.arange(grid[1]), indexing="ij")
    idx = torch.stack([rows, cols]).unsqueeze(0).double()
    with torch.no_grad():
        traced = model.double().ops(idx)
    folded_axes = (1, 0) if style == "col" else (0, 1)
    fits = unfold is None or (grid if unfold[0] == "hw" else grid[::-1]) == tuple(grid[a] for a in folded_axes)
    try:
        labels, sizes, imp = _import_value(model.float(), (h, w), method)
    except RfsymError as e:
        assert not fits and "mixes its spatial axes" in str(e)
        return
    assert tuple(sizes) == grid and len(labels) == traced.dim()
    chan = labels.index("c")
    for index in torch.cartesian_prod(*(torch.arange(n) for n in traced.shape)).reshape(-1, traced.dim()).tolist():
        if index[chan] != 0:
            continue
        where = _source_of(labels, sizes, index, chan)
        other = list(index)
        other[chan] = 1
        got = (traced[tuple(index)].item(), traced[tuple(other)].item())
        assert got == ((-1.0, -1.0) if where is None else tuple(float(p) for p in where)), (index, labels)
    if list(labels) == ["b", "c", 0, 1]:  # restored exactly: the network is the convolution's own
        got = from_torch(model.float(), (h, w), method=method).table().output
        assert got == from_torch(nn.Sequential(model.c), (h, w)).table().output


@pytest.mark.parametrize("style", FOLDS)
@pytest.mark.parametrize("last", [False, True])
@pytest.mark.parametrize("method", ["fx", "hooks"])
def test_every_fold_unfolds_back_exactly(style, last, method):
    """Each way of folding (with a class token) and unfolding in the folded order restores (N, C, S0, S1)."""
    order = "wh" if style == "col" else "hw"
    model = Fold(3, 2, style, 1, (order, last), ((13 - 3) // 2 + 1, (17 - 3) // 2 + 1))
    labels, _, _ = _import_value(model, (13, 17), method)
    if style == "col":  # column-major tokens unfold to (W, H): the spatial axes come back swapped, and say so
        assert list(labels) == ["b", "c", 1, 0]
        with pytest.raises(RfsymError, match=r"permuted or reshaped to \(N, C, S1, S0\)"):
            from_torch(nn.Sequential(model, nn.Conv2d(2, 1, 3)), (13, 17), method=method)
        return
    assert list(labels) == ["b", "c", 0, 1]
    deeper = nn.Sequential(model, nn.Conv2d(2, 1, 3))
    rep = verify(deeper, (13, 17), strict=True)
    assert rep.ok and rep.status("r") == "checked"


# -- the real models: torchvision's and timm's ViT and DeiT ----------------------------------------------


class TorchvisionPatchMaps(nn.Module):
    """torchvision's VisionTransformer up to its encoder, the patch tokens unfolded to (N, C, H/p, W/p)."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        t = self.m._process_input(x)
        t = torch.cat([self.m.class_token.expand(t.shape[0], -1, -1), t], dim=1)
        t = self.m.encoder(t)[:, 1:]
        n, k, c = t.shape
        h = x.shape[2] // self.m.patch_size
        return t.transpose(1, 2).reshape(n, c, h, k // h)


class TimmPatchMaps(nn.Module):
    """A timm ViT's last block as (N, C, H/p, W/p), by timm's own ``forward_intermediates`` (prefix tokens cut)."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        return self.m.forward_intermediates(x, indices=1, intermediates_only=True)[0]


def _timm(name, **kw):
    import warnings

    import timm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return timm.create_model(name, pretrained=False, **kw).eval()


def test_vit_b_16_as_is():
    """torchvision's vit_b_16 at 224: conv_proj r = j = 16, then the class token, which sees the whole input
    through the attention of every block; against its float64 gradients (every input pixel reached)."""
    import torchvision.models as tvm

    model = tvm.vit_b_16().eval()
    net = from_torch(model, 224)
    assert [lay.name for lay in net.layers] == ["conv_proj", "class_token"]
    conv = net.table().rows[1]
    assert conv.name == "conv_proj" and [(st.r, st.j, st.start, st.n) for st in conv.states] == [(16, 16, 8, 14)] * 2
    info = global_paths(net)
    assert info.only and len(info.ops) == 12 and all("self_attention" in op for op in info.ops)
    rep = verify(model, 224, strict=True)
    assert rep.ok and rep.global_check.startswith("checked") and "224x224" in rep.global_check


def test_torchvision_vit_patch_field_is_exact():
    """torchvision's VisionTransformer (vit_b_16's patch 16; 2 layers at 64 px, so the gradients stay cheap), its
    patch tokens unfolded: r = j = 16 and start 8, checked against the gradients; global, checked attached."""
    import torchvision.models as tvm

    vit = tvm.VisionTransformer(image_size=64, patch_size=16, num_layers=2, num_heads=2, hidden_dim=32, mlp_dim=64)
    model = TorchvisionPatchMaps(vit).eval()
    for method in ("fx", "hooks"):
        out = from_torch(model, 64, method=method).table().output
        assert [(s.r, s.j, s.start, s.n) for s in out] == [(16, 16, 8, 4)] * 2
    rep = verify(model, 64, strict=True)
    assert rep.checked and rep.global_check.startswith("checked")


@pytest.mark.parametrize("name", ["vit_tiny_patch16_224", "deit_tiny_patch16_224"])
def test_timm_vit_as_is(name):
    """timm's ViT and DeiT at 224 as they are: patch_embed.proj r = j = 16, global through every block's
    attention; the gradient of the logits reaches every input pixel."""
    model = _timm(name)
    net = from_torch(model, 224)
    assert [lay.name for lay in net.layers] == ["patch_embed.proj", "class_token"]
    assert [(st.r, st.j, st.start) for st in net.table().rows[1].states] == [(16, 16, 8)] * 2
    info = global_paths(net)
    assert info.only and len(info.ops) == 12
    rep = verify(model, 224, strict=True)
    assert rep.ok and rep.global_check.startswith("checked")


@pytest.mark.parametrize("name", ["vit_tiny_patch16_224", "deit_tiny_patch16_224"])
def test_timm_patch_field_is_exact(name):
    """timm's own unfold (forward_intermediates, NCHW) of the last block at 64 px: r = j = 16, start 8, checked."""
    model = TimmPatchMaps(_timm(name, img_size=64))
    out = from_torch(model, 64).table().output
    assert [(s.r, s.j, s.start, s.n) for s in out] == [(16, 16, 8, 4)] * 2
    rep = verify(model, 64, strict=True)
    assert rep.checked and rep.global_check.startswith("checked")


def test_vit_b_16_import_and_table_are_fast():
    """Import + table of vit_b_16 stays under 0.2 s of CPU time in process (best of three)."""
    import gc
    import time

    import torchvision.models as tvm

    model = tvm.vit_b_16().eval()
    from_torch(model, 224)
    gc.collect()
    took = []
    for _ in range(3):
        t = time.process_time()
        from_torch(model, 224).table()
        took.append(time.process_time() - t)
    assert min(took) < 0.2


def test_table_cli_prints_the_global_line(tmp_path):
    """`rfsym table pkg:vit --input 224` on torchvision's vit_b_16: the conv_proj row, then the global line."""
    import os
    import subprocess
    import sys

    (tmp_path / "vits.py").write_text("import torchvision\n\ndef vit():\n    return torchvision.models.vit_b_16()\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    res = subprocess.run(
        [sys.executable, "-m", "rfsym", "table", "vits:vit", "--input", "224"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    rows = [line.split() for line in res.stdout.splitlines()]
    conv = next(r for r in rows if r and r[0] == "conv_proj")
    assert conv[1:3] == ["16", "16"] and conv[6:8] == ["16", "16"]
    assert any(line.startswith("global: every output unit sees the whole input") for line in res.stdout.splitlines())


# -- windowed attention: refused, naming the module and the op ------------------------------------------


WINDOWED = {
    "swin_t": r"^features\.1\.0\.attn \(call_function shifted_window_attention\).*attention inside \(shifted\) windows",
    "maxvit_t": r"^blocks\.0\.layers\.0\.layers\.window_attention\.partition_op \(call_method reshape\).*splits "
    r"spatial axis S0 \(56\) into 8 x 7, a window or grid partition",
}


@pytest.mark.parametrize("name", sorted(WINDOWED))
def test_torchvision_windowed_attention_is_refused(name):
    """Swin and MaxViT: one line naming the module path and the op, and why (the field depends on the position)."""
    import torchvision.models as tvm

    with pytest.raises(RfsymError, match=WINDOWED[name]) as info:
        from_torch(getattr(tvm, name)(), 224)
    msg = str(info.value)
    assert "\n" not in msg and "<model>" not in msg and "depends on its position" in msg


def test_timm_swin_is_refused():
    """timm's Swin (window_partition as a view of channels-last maps): the module path, the op and why."""
    with pytest.raises(
        RfsymError, match=r"^layers\.0\.blocks\.0 \(call(_method)? view\).*splits spatial axis S0 \(56\)"
    ) as e:
        from_torch(_timm("swin_tiny_patch4_window7_224"), 224)
    assert "depends on its position" in str(e.value)


@pytest.mark.parametrize("method", ["fx", "hooks"])
def test_swin_patch_merging_before_attention(method):
    """torchvision's PatchMerging on a channels-last map (pad to even, four strided slices, cat): a 2x2 window with
    stride 2, exactly (checked against the gradients)."""
    from torchvision.models.swin_transformer import PatchMerging

    class Merge(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Conv2d(3, 4, 2, stride=2)
            self.norm = nn.LayerNorm(4)
            self.merge = PatchMerging(4)
            self.head = nn.Conv2d(8, 2, 3)

        def forward(self, x):
            t = self.merge(self.norm(self.proj(x).permute(0, 2, 3, 1)))
            return self.head(t.permute(0, 3, 1, 2))

    import warnings

    model = Merge().eval()
    with warnings.catch_warnings():  # the hook recorder sees the four slices: a union of unaligned branches, exact
        warnings.simplefilter("ignore")
        out = from_torch(model, (30, 34), method=method).table().output
    assert [(s.r, s.j, s.start, s.n) for s in out] == [(12, 4, 6, 6), (12, 4, 6, 7)]
    rep = verify(model, (30, 34), strict=True)
    assert rep.checked


class TimmTokenFeatures(nn.Module):
    """A timm model's ``forward_features``; a token output ``(N, h*w, C)`` is unfolded to ``(N, C, h, w)``."""

    def __init__(self, m, grid=None):
        super().__init__()
        self.m, self.grid = m, grid

    def forward(self, x):
        y = self.m.forward_features(x)
        if self.grid is None:
            return y
        return y.transpose(1, 2).reshape(y.shape[0], y.shape[2], *self.grid)


def test_timm_edgenext_against_gradients():
    """EdgeNeXt: convolutions and cross-covariance attention (``q @ k^T`` contracts over the tokens, each block's
    map reshaped to (N, C, H*W) and back): the convolutions' field r 1088, j 32, checked along the long axis
    (the short one too small to hold it); global, and with the attention attached the gradient reaches every
    pixel."""
    model = TimmTokenFeatures(_timm("edgenext_xx_small")).eval()
    net = from_torch(model, (1154, 32))
    st_ = net.table().output[0]
    assert (st_.r, st_.j, st_.start) == (1088, 32, 16)
    info = global_paths(net)
    assert info is not None and not info.only and all("xca.matmul" in op for op in info.ops)
    rep = verify(model, (1154, 32), strict=True)
    assert all(rep.axes[0].status(q) == "checked" for q in ("r", "j", "start"))
    assert rep.global_check.startswith("checked")


@pytest.mark.parametrize(
    "name",
    [
        "deit_tiny_distilled_patch16_224",
        "mixer_s16_224",
        "efficientformer_l1",
        "efficientformerv2_s0",
        "convmixer_768_32",
    ],
)
def test_timm_token_models_import(name):
    """More timm token models import as they are at 224, global on every path (their heads pool or read tokens)."""
    net = from_torch(_timm(name), 224)
    info = global_paths(net)
    assert info is not None and info.only


def test_global_check_on_an_input_the_stem_does_not_divide():
    """At 18 rows a patch of 4 drops the last 2 rows for every path: "global" means every pixel the network
    reads (the gradient of all outputs together), and verify says how many that is."""
    m = TinyViT(patch=4, head="maps", image=(18, 20)).eval()
    rep = verify(m, (18, 20), strict=True)
    assert rep.ok and "every input pixel the network reads: 320 of the 18x20 input's 360" in rep.global_check
