"""Run an rfsym graph's declared layers in PyTorch and read which input pixels reach each output.

The network is made linear with positive weights so that no contribution
cancels: convolutions have constant kernels (1/fan-in) and no bias, pooling becomes an
all-one depthwise convolution of the same geometry (a max-pool's gradient
would reach one input only), upsampling is ``F.interpolate``
(``align_corners=False``), ``add`` sums the (channel-summed) inputs and
``concat`` concatenates channels.  Everything runs in float64: float32 turns
bilinear's exact zero weights into about 1e-8.  Only declared parameters are
read from the layers (no rfsym arithmetic).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from rfsym.graph import Add, Concat
from rfsym.layers import Conv, ConvTranspose, Identity, Pool, Upsample

#: Relative size below which a derivative counts as zero.  Weights are 1/fan-in, so a pixel at
#: the edge of ResNet-50's field still weighs about 1e-9 of the largest; bilinear weights that are
#: exactly zero come out of float64 arithmetic as about 1e-16.
TOL = 1e-13


def _pair(p: Any) -> tuple[int, int]:
    return (p, p) if isinstance(p, int) else (int(p[0]), int(p[1]))


def forward(g: Any, x: torch.Tensor, axis: int | None = None) -> dict[str, torch.Tensor]:
    """Every node's output for input x ([batch, 1, *spatial]); 1-D nets use ``axis``'s parameters."""
    nd = x.dim() - 2
    layers = dict(zip(g.nodes, g.layers))
    out: dict[str, torch.Tensor] = {"input": x}
    for name in g.nodes:
        lay = layers[name]
        ins = [out[i] for i in g.inputs_of(name)]
        axes = [axis] if nd == 1 else list(range(nd))
        h = ins[0]
        if isinstance(lay, (Conv, Pool)):
            ks, ss, ds, pads = [], [], [], []
            for ax in axes:
                k, s, p, d, _ = lay.axis_params(ax)
                ks.append(k)
                ss.append(s)
                ds.append(d)
                pads.append(_pair(p))
            assert not getattr(lay, "ceil_mode", False)
            flat: list[int] = []
            for pl, pr in reversed(pads):
                flat += [pl, pr]
            h = F.pad(h, flat)
            c = h.shape[1]
            conv = F.conv1d if nd == 1 else F.conv2d
            if isinstance(lay, Conv):
                w = torch.ones(1, c, *ks, dtype=h.dtype) / float(c * torch.tensor(ks).prod())
                h = conv(h, w, stride=ss, dilation=ds)
            else:
                w = torch.ones(c, 1, *ks, dtype=h.dtype) / float(torch.tensor(ks).prod())
                h = conv(h, w, stride=ss, dilation=ds, groups=c)
        elif isinstance(lay, ConvTranspose):
            ks, ss, ds, ops, pads = [], [], [], [], []
            for ax in axes:
                k, s, p, d, op = lay.axis_params(ax)
                ks.append(k)
                ss.append(s)
                ds.append(d)
                ops.append(op)
                pads.append(_pair(p))
            c = h.shape[1]
            tconv = F.conv_transpose1d if nd == 1 else F.conv_transpose2d
            w = torch.ones(c, 1, *ks, dtype=h.dtype) / float(torch.tensor(ks).prod())
            if all(pl == pr for pl, pr in pads):
                h = tconv(h, w, stride=ss, padding=[p[0] for p in pads], output_padding=ops, dilation=ds)
            else:  # PyTorch pads symmetrically: crop the full output by hand
                h = tconv(h, w, stride=ss, output_padding=ops, dilation=ds)
                for i, (pl, pr) in enumerate(pads):
                    h = h.narrow(2 + i, pl, h.shape[2 + i] - pl - pr)
        elif isinstance(lay, Upsample):
            scales = [float(lay.scale[ax] if isinstance(lay.scale, tuple) else lay.scale) for ax in axes]
            if lay.linear:
                mode = "linear" if nd == 1 else "bilinear"
                h = F.interpolate(h, scale_factor=scales, mode=mode, align_corners=False)
            else:
                h = F.interpolate(h, scale_factor=scales, mode="nearest")
        elif isinstance(lay, Add):
            h = sum(t.sum(1, keepdim=True) for t in ins)  # type: ignore[assignment]
        elif isinstance(lay, Concat):
            h = torch.cat(ins, dim=1)
        elif isinstance(lay, Identity):
            pass
        else:  # pragma: no cover
            raise TypeError(type(lay))
        out[name] = h
    return out


def reach_1d(g: Any, n: int, nodes: list[str], axis: int = 0) -> dict[str, list[frozenset[int]]]:
    """For each node, the input pixels on which each output unit depends (1-D run).

    The network is linear, so its Jacobian column for input pixel b is its
    response to the one-hot input e_b: one batched forward pass gives the
    derivative of every unit of every node with respect to every pixel (the
    2-D checks use autograd gradients instead).
    """
    with torch.no_grad():
        x = torch.eye(n, dtype=torch.float64).unsqueeze(1)  # [n, 1, n]: batch b is e_b
        outs = forward(g, x, axis)
    res = {}
    for name in nodes:
        jac = outs[name].sum(1).abs().T  # [n_out, n]
        nz = jac > jac.amax(dim=1, keepdim=True) * TOL
        res[name] = [frozenset(torch.nonzero(nz[o]).flatten().tolist()) for o in range(jac.shape[0])]
    return res


def reach_2d_unit(
    g: Any, size: tuple[int, int], node: str, unit: tuple[int, int]
) -> tuple[frozenset[int], frozenset[int]]:
    """Projections on each axis of the input pixels reaching one unit of a 2-D run."""
    x = torch.ones(1, 1, *size, dtype=torch.float64, requires_grad=True)
    y = forward(g, x)[node].sum(1)[0]
    (gr,) = torch.autograd.grad(y[unit], x)
    nz = gr[0, 0].abs() > gr.abs().max() * TOL
    rows = frozenset(torch.nonzero(nz.any(dim=1)).flatten().tolist())
    cols = frozenset(torch.nonzero(nz.any(dim=0)).flatten().tolist())
    return rows, cols


def sizes_2d(g: Any, size: tuple[int, int]) -> dict[str, tuple[int, ...]]:
    with torch.no_grad():
        outs = forward(g, torch.zeros(1, 1, *size, dtype=torch.float64))
    return {k: tuple(v.shape[2:]) for k, v in outs.items()}
