"""Write the zoo specs that are generated from the modules in ``_torch_models.py``.

Run from the repository root: ``python tests/_zoo_build.py``.  The chain
architectures get readable layer names (conv1_1, pool1, ...); the graphs
(ResNets, Inception v3) keep torchvision's module paths.  The tests
(``tests/test_zoo.py``) do not trust this script: they import the modules
again with ``rfsym.from_torch`` and compare every row with the TOML files,
and they check the specs against the modules' gradients.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import _torch_models as M  # noqa: E402

import rfsym  # noqa: E402
from rfsym import _arith as A  # noqa: E402
from rfsym.graph import Merge  # noqa: E402
from rfsym.layers import Conv, Identity, Pool  # noqa: E402

ZOO = HERE.parent / "rfsym" / "zoo"


def _val(v: Any) -> str:
    if isinstance(v, str):
        return f'"{v}"'
    return str(A.norm(v))


def _axes(values: list[Any]) -> str:
    if all(v == values[0] for v in values):
        return _val(values[0])
    return "[" + ", ".join(_val(v) for v in values) + "]"


def _pad(entries: list[Any]) -> str:
    if all(e == entries[0] for e in entries):
        e = entries[0]
        if isinstance(e, str):
            return _val(e)
        return _val(e[0]) if e[0] == e[1] else f"[{_val(e[0])}, {_val(e[1])}]"
    return "[" + ", ".join(_val(e) if isinstance(e, str) else f"[{_val(e[0])}, {_val(e[1])}]" for e in entries) + "]"


def dump(net: Any, nd: int, header: str, name: str, input: Any, rename: dict[str, str] | None = None) -> str:
    rename = rename or {}
    out = [header.rstrip(), f'name = "{name}"']
    lines = header.strip().splitlines()
    src = next((ln for ln in lines if ln.startswith("# source:")), None)
    if src:
        out.append(f'source = "{src[len("# source:") :].strip()}"')
    out.append(f"input = {input}")
    is_graph = isinstance(net, rfsym.Graph)
    entries = (
        [(lay, net.inputs_of(lay.name)) for lay in net.layers] if is_graph else [(lay, None) for lay in net.layers]
    )
    prev = "input"
    for lay, ins in entries:
        nm = rename.get(lay.name, lay.name)
        out += ["", "[[layers]]", f'name = "{nm}"']
        if isinstance(lay, Merge):
            out.append(f'kind = "{lay.kind}"')
        elif isinstance(lay, Identity):
            out.append('kind = "identity"')
        elif isinstance(lay, (Conv, Pool)):
            params = [lay.axis_params(ax) for ax in range(nd)]
            out.append(f'kind = "{"conv" if isinstance(lay, Conv) else "pool"}"')
            out.append(f"kernel = {_axes([p[0] for p in params])}")
            out.append(f"stride = {_axes([p[1] for p in params])}")
            pads = [p[2] for p in params]
            if not all(e in ((0, 0), "valid") for e in pads):
                out.append(f"padding = {_pad(pads)}")
            dil = [p[3] for p in params]
            if any(d != 1 for d in dil):
                out.append(f"dilation = {_axes(dil)}")
            if isinstance(lay, Pool):
                out.append(f'mode = "{lay.mode}"')
                if lay.ceil_mode:
                    out.append("ceil_mode = true")
        else:
            raise TypeError(type(lay))
        if ins is not None and (list(ins) != [prev] or isinstance(lay, Merge)):
            out.append("inputs = [" + ", ".join(f'"{rename.get(i, i)}"' for i in ins) + "]")
        prev = lay.name
    return "\n".join(out) + "\n"


def _strip(net: Any) -> dict[str, str]:
    return {lay.name: lay.name[len("model.") :] for lay in net.layers if lay.name.startswith("model.")}


def chain_names(net: Any, scheme: str) -> dict[str, str]:
    out = {}
    block, i, k = 1, 0, 0
    for lay in net.layers:
        if scheme == "vgg":
            if isinstance(lay, Conv):
                i += 1
                out[lay.name] = f"conv{block}_{i}"
            elif isinstance(lay, Pool):
                out[lay.name] = f"pool{block}"
                block, i = block + 1, 0
        elif scheme == "alexnet":
            if isinstance(lay, Conv):
                k += 1
                out[lay.name] = f"conv{k}"
            elif isinstance(lay, Pool):
                out[lay.name] = f"pool{k}"
        elif scheme == "mobilenet":
            if isinstance(lay, Conv):
                out[lay.name] = "conv0" if k == 0 else f"conv{(k + 1) // 2}_{'dw' if k % 2 else 'pw'}"
                k += 1
        elif scheme == "unet":
            if isinstance(lay, Conv):
                i += 1
                out[lay.name] = f"conv{block}_{i}"
            elif isinstance(lay, Pool):
                out[lay.name] = f"pool{block}"
                block, i = block + 1, 0
        elif scheme == "wav2vec2":
            out[lay.name] = f"conv{k}"
            k += 1
    return out


HEADERS = {
    "alexnet_torchvision": """# AlexNet in torchvision's layout (torchvision.models.alexnet): the "one weird
# trick" variant (Krizhevsky 2014) with 64-192-384-256-256 channels and conv1
# padding 2, up to pool5 (the adaptive pooling and classifier see the whole input).
# r at pool5 = 195, as for the seed's AlexNet.
# source: torchvision.models.alexnet; Krizhevsky, arXiv:1404.5997
""",
    "vgg11": """# VGG-11 (configuration A) in torchvision's layout (torchvision.models.vgg11), up to pool5.
# Simonyan & Zisserman, ICLR 2015.  r at pool5 = 150.
# source: torchvision.models.vgg11 (cfg A); Simonyan & Zisserman, ICLR 2015
""",
    "vgg13": """# VGG-13 (configuration B) in torchvision's layout (torchvision.models.vgg13), up to pool5.
# Simonyan & Zisserman, ICLR 2015.  r at pool5 = 156.
# source: torchvision.models.vgg13 (cfg B); Simonyan & Zisserman, ICLR 2015
""",
    "vgg19": """# VGG-19 (configuration E) in torchvision's layout (torchvision.models.vgg19), up to pool5.
# Simonyan & Zisserman, ICLR 2015.  r at pool5 = 268.
# source: torchvision.models.vgg19 (cfg E); Simonyan & Zisserman, ICLR 2015
""",
    "resnet": """# ResNet-{d} in torchvision's layout (torchvision.models.resnet{d}, v1.5: the
# stride sits on the 3x3 convolution), up to layer4 (the global pooling and fc
# see the whole input).  A graph: every residual block ends in an "add" of the
# main path and the shortcut (identity, or the 1x1 "downsample" convolution).
# Batch norms and ReLUs are pass-through and left out.  He et al., CVPR 2016.
# source: torchvision.models.resnet{d}; He et al., CVPR 2016
""",
    "inception_v3": """# Inception v3 in torchvision's layout (torchvision.models.inception_v3, no
# auxiliary head), up to Mixed_7c.  A graph: each Mixed block concatenates its
# branches.  The receptive field of a unit is the union over all paths; it is
# set by the largest-receptive-field path (branch3x3dbl in Mixed_5b-5d and 6a,
# branch7x7dbl in 6b-6e, branch7x7x3 in 7a, branch3x3dbl_3a/3b in 7b-7c):
# r = 1311 at Mixed_7c for input 299, as in Araujo et al., Distill 2019.
# Szegedy et al., CVPR 2016.
# source: torchvision.models.inception_v3; Szegedy et al., CVPR 2016
""",
    "mobilenet_v1": """# MobileNet v1 (width 1.0), Howard et al. 2017, Table 1: a 3x3 stride-2
# convolution, then 13 depthwise-separable blocks (3x3 depthwise conv_dw, 1x1
# pointwise conv_pw), up to the last pointwise convolution.  r = 315 there at
# input 224, as in Araujo et al., Distill 2019 (Conv2d_13_pointwise).
# source: Howard et al., arXiv:1704.04861, Table 1
""",
    "unet_encoder": """# U-Net's contracting path (Ronneberger et al., MICCAI 2015, Fig. 1): per
# level two unpadded 3x3 convolutions, then 2x2 max-pooling; five levels.
# Input 572 gives the 28x28 bottom map; r = 140 there.
# source: Ronneberger et al., MICCAI 2015, Fig. 1
""",
    "wav2vec2_feature_encoder": """# wav2vec 2.0 feature encoder (Baevski et al., NeurIPS 2020, section 4.2):
# seven 1-D convolutions with 512 channels, kernels (10,3,3,3,3,2,2), strides
# (5,2,2,2,2,2,2), no padding.  One feature per 20 ms (j = 320 samples at 16 kHz)
# with a 25 ms receptive field (r = 400).
# source: Baevski et al., NeurIPS 2020; fairseq ConvFeatureExtractionModel
""",
}


def main() -> None:
    from rfsym.io.torch import from_torch

    def write(fname: str, text: str) -> None:
        (ZOO / f"{fname}.toml").write_text(text, encoding="utf-8")
        print("wrote", fname)

    net = from_torch(M.alexnet().features, 224)
    write(
        "alexnet_torchvision",
        dump(net, 2, HEADERS["alexnet_torchvision"], "alexnet_torchvision", 224, chain_names(net, "alexnet")),
    )
    for d in (11, 13, 19):
        net = from_torch(M.vgg(d).features, 224)
        write(f"vgg{d}", dump(net, 2, HEADERS[f"vgg{d}"], f"vgg{d}", 224, chain_names(net, "vgg")))
    for d in (18, 34, 50, 101, 152):
        net = from_torch(M.Trunk(M.resnet(d)), 224)
        write(f"resnet{d}", dump(net, 2, HEADERS["resnet"].format(d=d), f"resnet{d}", 224, _strip(net)))
    net = from_torch(M.Trunk(M.inception_v3()), 299)
    write("inception_v3", dump(net, 2, HEADERS["inception_v3"], "inception_v3", 299, _strip(net)))
    net = from_torch(M.Trunk(M.mobilenet_v1()), 224)
    write("mobilenet_v1", dump(net, 2, HEADERS["mobilenet_v1"], "mobilenet_v1", 224, chain_names(net, "mobilenet")))
    net = from_torch(M.unet_encoder(), 572)
    write("unet_encoder", dump(net, 2, HEADERS["unet_encoder"], "unet_encoder", 572, chain_names(net, "unet")))
    net = from_torch(M.wav2vec2_feature_encoder(), 16000)
    write(
        "wav2vec2_feature_encoder",
        dump(
            net, 1, HEADERS["wav2vec2_feature_encoder"], "wav2vec2_feature_encoder", 16000, chain_names(net, "wav2vec2")
        ),
    )


if __name__ == "__main__":
    main()
