"""PyTorch modules of the zoo architectures, written out for the tests.

torchvision cannot be installed beside this CPU build of torch 2.13 (the PyPI
wheel of torchvision fails to import with it), so the architectures are
re-written here in torchvision's layout (module names, kernel sizes, strides,
paddings) from torchvision's source (``torchvision/models/alexnet.py``,
``vgg.py``, ``resnet.py``, ``inception.py``):

* ``alexnet()``: torchvision's AlexNet (64-192-384-256-256 channels, conv1 padding 2);
* ``vgg(11|13|16|19)``: configurations A, B, D, E;
* ``resnet(18|34|50|101|152)``: BasicBlock / Bottleneck v1.5 (stride on the 3x3);
* ``inception_v3()``: torchvision's Inception3 without the auxiliary head;
* ``mobilenet_v1()``: Howard et al. 2017, Table 1;
* ``unet_encoder()``: Ronneberger et al. 2015, contracting path (valid 3x3 convolutions);
* ``wavenet()``: van den Oord et al. 2016, dilated causal convolutions (kernel 2,
  dilations 1..512, three stacks) with gated activations, residual and skip sums;
* ``tcn()``: Bai et al. 2018 TCN, residual blocks of two causal dilated convolutions;
* ``wav2vec2_feature_encoder()``: Baevski et al. 2020, seven 1-D convolutions
  (512 channels, kernels 10,3,3,3,3,2,2, strides 5,2,2,2,2,2,2), group norm after the first.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

# -- AlexNet and VGG --------------------------------------------------------------


class AlexNet(nn.Module):
    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=0.5),
            nn.Linear(256 * 6 * 6, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=0.5),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


def alexnet() -> AlexNet:
    return AlexNet()


VGG_CFGS = {
    11: [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    13: [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    16: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    19: [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


class VGG(nn.Module):
    def __init__(self, features: nn.Module, num_classes: int = 1000) -> None:
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096),
            nn.ReLU(True),
            nn.Dropout(),
            nn.Linear(4096, 4096),
            nn.ReLU(True),
            nn.Dropout(),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


def vgg(depth: int, width: int = 1) -> VGG:
    """``width`` divides the channel counts (keeps the geometry, makes gradient checks fast)."""
    layers: list[nn.Module] = []
    c = 3
    for v in VGG_CFGS[depth]:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            out = int(v) // width
            layers += [nn.Conv2d(c, out, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
            c = out
    model = VGG(nn.Sequential(*layers))
    if width != 1:
        model.classifier[0] = nn.Linear(c * 49, 4096)
    return model


# -- ResNet ---------------------------------------------------------------------------


def conv3x3(i: int, o: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(i, o, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(i: int, o: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(i, o, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None) -> None:
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None) -> None:
        super().__init__()
        self.conv1 = conv1x1(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


RESNETS = {
    18: (BasicBlock, [2, 2, 2, 2]),
    34: (BasicBlock, [3, 4, 6, 3]),
    50: (Bottleneck, [3, 4, 6, 3]),
    101: (Bottleneck, [3, 4, 23, 3]),
    152: (Bottleneck, [3, 8, 36, 3]),
}


class ResNet(nn.Module):
    def __init__(self, block: type, layers: list[int], num_classes: int = 1000, width: int = 64) -> None:
        super().__init__()
        self.inplanes = width
        self.conv1 = nn.Conv2d(3, width, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, width, layers[0])
        self.layer2 = self._make_layer(block, width * 2, layers[1], stride=2)
        self.layer3 = self._make_layer(block, width * 4, layers[2], stride=2)
        self.layer4 = self._make_layer(block, width * 8, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(width * 8 * block.expansion, num_classes)

    def _make_layer(self, block: type, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride), nn.BatchNorm2d(planes * block.expansion)
            )
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.features(x))
        return self.fc(torch.flatten(x, 1))


class Trunk(nn.Module):
    """A model's convolutional trunk (up to the last feature map) as a module of its own."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.features(x)


def resnet(depth: int, width: int = 64) -> ResNet:
    block, layers = RESNETS[depth]
    return ResNet(block, layers, width=width)


# -- Inception v3 (torchvision layout, no auxiliary classifier) -----------------------


class BasicConv2d(nn.Module):
    def __init__(self, i: int, o: int, **kw: object) -> None:
        super().__init__()
        self.conv = nn.Conv2d(i, o, bias=False, **kw)  # type: ignore[arg-type]
        self.bn = nn.BatchNorm2d(o, eps=0.001)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)), inplace=True)


class InceptionA(nn.Module):
    def __init__(self, c: int, pool: int, w: int) -> None:
        super().__init__()
        self.branch1x1 = BasicConv2d(c, 64 // w, kernel_size=1)
        self.branch5x5_1 = BasicConv2d(c, 48 // w, kernel_size=1)
        self.branch5x5_2 = BasicConv2d(48 // w, 64 // w, kernel_size=5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(c, 64 // w, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64 // w, 96 // w, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96 // w, 96 // w, kernel_size=3, padding=1)
        self.branch_pool = BasicConv2d(c, pool // w, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = self.branch1x1(x)
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = self.branch_pool(F.avg_pool2d(x, kernel_size=3, stride=1, padding=1))
        return torch.cat([b1, b5, b3, bp], 1)


class InceptionB(nn.Module):
    def __init__(self, c: int, w: int) -> None:
        super().__init__()
        self.branch3x3 = BasicConv2d(c, 384 // w, kernel_size=3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(c, 64 // w, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64 // w, 96 // w, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96 // w, 96 // w, kernel_size=3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3(x)
        bd = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = F.max_pool2d(x, kernel_size=3, stride=2)
        return torch.cat([b3, bd, bp], 1)


class InceptionC(nn.Module):
    def __init__(self, c: int, c7: int, w: int) -> None:
        super().__init__()
        self.branch1x1 = BasicConv2d(c, 192 // w, kernel_size=1)
        self.branch7x7_1 = BasicConv2d(c, c7, kernel_size=1)
        self.branch7x7_2 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192 // w, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(c, c7, kernel_size=1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192 // w, kernel_size=(1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(c, 192 // w, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = self.branch1x1(x)
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        bd = self.branch7x7dbl_1(x)
        bd = self.branch7x7dbl_5(self.branch7x7dbl_4(self.branch7x7dbl_3(self.branch7x7dbl_2(bd))))
        bp = self.branch_pool(F.avg_pool2d(x, kernel_size=3, stride=1, padding=1))
        return torch.cat([b1, b7, bd, bp], 1)


class InceptionD(nn.Module):
    def __init__(self, c: int, w: int) -> None:
        super().__init__()
        self.branch3x3_1 = BasicConv2d(c, 192 // w, kernel_size=1)
        self.branch3x3_2 = BasicConv2d(192 // w, 320 // w, kernel_size=3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(c, 192 // w, kernel_size=1)
        self.branch7x7x3_2 = BasicConv2d(192 // w, 192 // w, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192 // w, 192 // w, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192 // w, 192 // w, kernel_size=3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        bp = F.max_pool2d(x, kernel_size=3, stride=2)
        return torch.cat([b3, b7, bp], 1)


class InceptionE(nn.Module):
    def __init__(self, c: int, w: int) -> None:
        super().__init__()
        self.branch1x1 = BasicConv2d(c, 320 // w, kernel_size=1)
        self.branch3x3_1 = BasicConv2d(c, 384 // w, kernel_size=1)
        self.branch3x3_2a = BasicConv2d(384 // w, 384 // w, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384 // w, 384 // w, kernel_size=(3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(c, 448 // w, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(448 // w, 384 // w, kernel_size=3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384 // w, 384 // w, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384 // w, 384 // w, kernel_size=(3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(c, 192 // w, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = self.branch1x1(x)
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        bd = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        bd = torch.cat([self.branch3x3dbl_3a(bd), self.branch3x3dbl_3b(bd)], 1)
        bp = self.branch_pool(F.avg_pool2d(x, kernel_size=3, stride=1, padding=1))
        return torch.cat([b1, b3, bd, bp], 1)


class Inception3(nn.Module):
    def __init__(self, w: int = 1, num_classes: int = 1000) -> None:
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32 // w, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32 // w, 32 // w, kernel_size=3)
        self.Conv2d_2b_3x3 = BasicConv2d(32 // w, 64 // w, kernel_size=3, padding=1)
        self.maxpool1 = nn.MaxPool2d(kernel_size=3, stride=2)
        self.Conv2d_3b_1x1 = BasicConv2d(64 // w, 80 // w, kernel_size=1)
        self.Conv2d_4a_3x3 = BasicConv2d(80 // w, 192 // w, kernel_size=3)
        self.maxpool2 = nn.MaxPool2d(kernel_size=3, stride=2)
        self.Mixed_5b = InceptionA(192 // w, 32, w)
        c = (64 + 64 + 96 + 32) // w
        self.Mixed_5c = InceptionA(c, 64, w)
        c = (64 + 64 + 96 + 64) // w
        self.Mixed_5d = InceptionA(c, 64, w)
        self.Mixed_6a = InceptionB(c, w)
        c = (384 + 96) // w + c
        self.Mixed_6b = InceptionC(c, 128 // w, w)
        c = 4 * 192 // w
        self.Mixed_6c = InceptionC(c, 160 // w, w)
        self.Mixed_6d = InceptionC(c, 160 // w, w)
        self.Mixed_6e = InceptionC(c, 192 // w, w)
        self.Mixed_7a = InceptionD(c, w)
        c = (320 + 192) // w + c
        self.Mixed_7b = InceptionE(c, w)
        c = (320 + 768 + 768 + 192) // w
        self.Mixed_7c = InceptionE(c, w)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout()
        self.fc = nn.Linear(c, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool1(self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x))))
        x = self.maxpool2(self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x)))
        for name in ("5b", "5c", "5d", "6a", "6b", "6c", "6d", "6e", "7a", "7b", "7c"):
            x = getattr(self, f"Mixed_{name}")(x)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.dropout(self.avgpool(self.features(x)))
        return self.fc(torch.flatten(x, 1))


def inception_v3(w: int = 1) -> Inception3:
    return Inception3(w)


# -- MobileNet v1, U-Net encoder -------------------------------------------------------


def _dw(i: int, o: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(i, i, 3, stride, 1, groups=i, bias=False),
        nn.BatchNorm2d(i),
        nn.ReLU(inplace=True),
        nn.Conv2d(i, o, 1, 1, 0, bias=False),
        nn.BatchNorm2d(o),
        nn.ReLU(inplace=True),
    )


MOBILENET_V1 = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]


class MobileNetV1(nn.Module):
    def __init__(self, w: int = 1, num_classes: int = 1000) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            nn.Sequential(nn.Conv2d(3, 32 // w, 3, 2, 1, bias=False), nn.BatchNorm2d(32 // w), nn.ReLU(inplace=True))
        ]
        c = 32 // w
        for o, s in MOBILENET_V1:
            layers.append(_dw(c, o // w, s))
            c = o // w
        self.model = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.model(x)), 1))


def mobilenet_v1(w: int = 1) -> MobileNetV1:
    return MobileNetV1(w)


class UNetEncoder(nn.Module):
    """U-Net's contracting path: (conv3x3 valid, ReLU) x 2 then max-pool 2x2, four times, and the bottom."""

    def __init__(self, w: int = 1) -> None:
        super().__init__()
        chans = [64, 128, 256, 512, 1024]
        c = 1
        self.blocks = nn.ModuleList()
        for o in chans:
            o //= w
            self.blocks.append(
                nn.Sequential(nn.Conv2d(c, o, 3), nn.ReLU(inplace=True), nn.Conv2d(o, o, 3), nn.ReLU(inplace=True))
            )
            c = o
        self.pool = nn.MaxPool2d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, b in enumerate(self.blocks):
            x = b(x)
            if i < len(self.blocks) - 1:
                x = self.pool(x)
        return x


def unet_encoder(w: int = 1) -> UNetEncoder:
    return UNetEncoder(w)


# -- sequence models ------------------------------------------------------------------


class CausalConv1d(nn.Module):
    def __init__(self, i: int, o: int, k: int, d: int) -> None:
        super().__init__()
        self.pad = (k - 1) * d
        self.conv = nn.Conv1d(i, o, k, dilation=d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.pad(x, (self.pad, 0)))


class WaveNetLayer(nn.Module):
    def __init__(self, c: int, d: int) -> None:
        super().__init__()
        self.filter = CausalConv1d(c, c, 2, d)
        self.gate = CausalConv1d(c, c, 2, d)
        self.res = nn.Conv1d(c, c, 1)
        self.skip = nn.Conv1d(c, c, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = torch.tanh(self.filter(x)) * torch.sigmoid(self.gate(x))
        return x + self.res(z), self.skip(z)


class WaveNet(nn.Module):
    def __init__(self, c: int = 16, stacks: int = 3, layers: int = 10) -> None:
        super().__init__()
        self.causal = CausalConv1d(1, c, 2, 1)
        self.layers = nn.ModuleList([WaveNetLayer(c, 2**i) for _ in range(stacks) for i in range(layers)])
        self.out = nn.Sequential(nn.ReLU(), nn.Conv1d(c, c, 1), nn.ReLU(), nn.Conv1d(c, 256, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.causal(x)
        skips = None
        for lay in self.layers:
            x, s = lay(x)
            skips = s if skips is None else skips + s
        return self.out(skips)


def wavenet(c: int = 16) -> WaveNet:
    return WaveNet(c)


class TemporalBlock(nn.Module):
    def __init__(self, i: int, o: int, k: int, d: int) -> None:
        super().__init__()
        self.conv1 = CausalConv1d(i, o, k, d)
        self.conv2 = CausalConv1d(o, o, k, d)
        self.drop = nn.Dropout(0.2)
        self.downsample = nn.Conv1d(i, o, 1) if i != o else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.drop(F.relu(self.conv1(x)))
        out = self.drop(F.relu(self.conv2(out)))
        res = x if self.downsample is None else self.downsample(x)
        return F.relu(out + res)


class TCN(nn.Module):
    def __init__(self, c_in: int = 1, c: int = 16, levels: int = 8, k: int = 3) -> None:
        super().__init__()
        self.network = nn.Sequential(*[TemporalBlock(c_in if i == 0 else c, c, k, 2**i) for i in range(levels)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.network(x)


def tcn() -> TCN:
    return TCN()


class Wav2Vec2FeatureEncoder(nn.Module):
    """wav2vec 2.0 feature encoder (fairseq ConvFeatureExtractionModel, mode "default")."""

    SPEC = [(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512, 2, 2)] * 2

    def __init__(self, w: int = 1) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c = 1
        for i, (o, k, s) in enumerate(self.SPEC):
            o //= w
            block: list[nn.Module] = [nn.Conv1d(c, o, k, s, bias=False), nn.Dropout(0.0)]
            if i == 0:
                block.append(nn.GroupNorm(o, o, affine=True))
            block.append(nn.GELU())
            layers.append(nn.Sequential(*block))
            c = o
        self.conv_layers = nn.ModuleList(layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv in self.conv_layers:
            x = conv(x)
        return x


def wav2vec2_feature_encoder(w: int = 1) -> Wav2Vec2FeatureEncoder:
    return Wav2Vec2FeatureEncoder(w)


class UNet(nn.Module):
    """A two-level U-Net (padded 3x3 convolutions, max-pool down, transposed convolution up, skip concatenation)."""

    def __init__(self, c: int = 4, up: str = "transpose") -> None:
        super().__init__()

        def block(i: int, o: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.ReLU(), nn.Conv2d(o, o, 3, padding=1), nn.ReLU())

        self.enc1, self.enc2, self.bottom = block(1, c), block(c, 2 * c), block(2 * c, 4 * c)
        self.pool = nn.MaxPool2d(2)
        if up == "transpose":
            self.up2 = nn.ConvTranspose2d(4 * c, 2 * c, 2, stride=2)
            self.up1 = nn.ConvTranspose2d(2 * c, c, 2, stride=2)
        else:
            self.up2 = nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear"), nn.Conv2d(4 * c, 2 * c, 1))
            self.up1 = nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear"), nn.Conv2d(2 * c, c, 1))
        self.dec2, self.dec1 = block(4 * c, 2 * c), block(2 * c, c)
        self.head = nn.Conv2d(c, 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool(e1))
        b = self.bottom(self.pool(e2))
        d2 = self.dec2(torch.cat([self.up2(b), e2], dim=1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], dim=1))
        return self.head(d1)
