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
