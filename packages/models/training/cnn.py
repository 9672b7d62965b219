"""MSDNet-style multi-exit CNNs (Huang et al., "Multi-Scale Dense Networks", ICLR 2018), sized for 28x28.

Three scales are kept side by side from the first layer on: 14x14, 7x7 and 4x4. Every layer adds
`growth[s]` channels to each scale s it computes, concatenated onto that scale's map (dense
connectivity, so later layers see every earlier feature); a scale's new channels come half from a
3x3 conv at its own resolution and half from a strided 3x3 conv of the next finer scale, each after
a 1x1 bottleneck once the input is wide. Classifiers read only the coarsest (4x4) scale, which is
computed from the first layer on, so the first exit is cheap and already sees coarse, global
features. As in MSDNet, the finest scales stop being computed in the later blocks (nothing reads
them there), and 1x1 transitions halve the channels where they have grown large.

Exit head: 1x1 conv to a narrow width, flatten the 4x4 map, Linear: a few percent of an exit's cost.
"""
from typing import List, Sequence

import torch
from torch import nn

SCALES = 3  # 14x14, 7x7, 4x4


def conv_bn_relu(c_in: int, c_out: int, kernel: int = 3, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, bias=False), nn.BatchNorm2d(c_out),
                         nn.ReLU(inplace=True))


def conv_path(c_in: int, c_out: int, stride: int, bottleneck: int) -> nn.Sequential:
    """[1x1 bottleneck to `bottleneck` channels when the input is wider] -> 3x3 conv (stride) to c_out."""
    if c_in > bottleneck:
        return nn.Sequential(conv_bn_relu(c_in, bottleneck, 1), conv_bn_relu(bottleneck, c_out, 3, stride))
    return conv_bn_relu(c_in, c_out, 3, stride)


class FirstLayer(nn.Module):
    """image -> [14x14, 7x7, 4x4] maps, each a strided 3x3 conv of the previous one."""

    def __init__(self, channels: Sequence[int]):
        super().__init__()
        ins = [1, *channels[:-1]]
        self.convs = nn.ModuleList(conv_bn_relu(c_in, c_out, 3, 2) for c_in, c_out in zip(ins, channels))

    def forward(self, image):
        maps, x = [], image
        for conv in self.convs:
            x = conv(x)
            maps.append(x)
        return maps


class DenseLayer(nn.Module):
    """Adds growth[s] channels to every scale s >= `first` (the finer scales are not computed any more).

    `channels[s]` are the input widths; `available` is the finest scale in the input (the ones below
    it were dropped earlier). A scale whose finer neighbour is gone grows from its own conv alone.
    """

    def __init__(self, channels: Sequence[int], growth: Sequence[int], available: int, first: int, bottleneck: int):
        super().__init__()
        self.first = first
        self.has_finer = [s - 1 >= available for s in range(first, SCALES)]
        self.own, self.down = nn.ModuleList(), nn.ModuleList()
        for s, has_finer in zip(range(first, SCALES), self.has_finer):
            own = growth[s] // 2 if has_finer else growth[s]
            self.own.append(conv_path(channels[s], own, 1, bottleneck))
            self.down.append(conv_path(channels[s - 1], growth[s] - own, 2, bottleneck) if has_finer else nn.Identity())

    def forward(self, maps: List[torch.Tensor]) -> List[torch.Tensor]:
        out = [None] * SCALES
        for k, s in enumerate(range(self.first, SCALES)):
            parts = [maps[s], self.own[k](maps[s])]
            if self.has_finer[k]:
                parts.append(self.down[k](maps[s - 1]))
            out[s] = torch.cat(parts, 1)
        return out


class Transition(nn.Module):
    """1x1 conv per computed scale that halves its channels (MSDNet's compression)."""

    def __init__(self, channels: Sequence[int], first: int):
        super().__init__()
        self.first = first
        self.convs = nn.ModuleList(conv_bn_relu(channels[s], channels[s] // 2, 1) for s in range(first, SCALES))

    def forward(self, maps):
        out = [None] * SCALES
        for k, s in enumerate(range(self.first, SCALES)):
            out[s] = self.convs[k](maps[s])
        return out


class CoarseHead(nn.Module):
    """Exit head on the 4x4 map: 1x1 conv to `width` channels -> flatten -> Linear."""

    def __init__(self, channels: int, width: int, classes: int = 10):
        super().__init__()
        self.reduce = conv_bn_relu(channels, width, 1)
        self.linear = nn.Linear(16 * width, classes)

    def forward(self, coarse):
        return self.linear(self.reduce(coarse).flatten(1))


class MSDNet(nn.Module):
    """Multi-exit MSDNet. `blocks[i]` = layers before exit i (exit 0 follows the first layer alone).

    blocks: number of dense layers in each block after the first layer (block 0 may be 0).
    first_scale: per block, the finest scale still computed in it (0, 1 or 2).
    compress: per block, whether a transition halves the channels at its end.
    """

    def __init__(self, stem: Sequence[int], growth: Sequence[int], blocks: Sequence[int], first_scale: Sequence[int],
                 compress: Sequence[bool], head_width: int, bottleneck: int, classes: int = 10):
        super().__init__()
        self.first = FirstLayer(stem)
        channels = list(stem)
        available = 0  # the finest scale computed so far
        self.blocks, self.heads = nn.ModuleList(), nn.ModuleList()
        for layers, first, squeeze in zip(blocks, first_scale, compress):
            modules = []
            for _ in range(layers):
                modules.append(DenseLayer(channels, growth, available, first, bottleneck))
                channels = [c + g if s >= first else c for s, (c, g) in enumerate(zip(channels, growth))]
                available = first
            if squeeze:
                modules.append(Transition(channels, first))
                channels = [c // 2 if s >= first else c for s, c in enumerate(channels)]
            self.blocks.append(nn.Sequential(*modules))
            self.heads.append(CoarseHead(channels[-1], head_width, classes))

    def forward(self, image):
        maps = self.first(image)
        logits = []
        for block, head in zip(self.blocks, self.heads):
            maps = block(maps)
            logits.append(head(maps[-1]))
        return logits


def cnn_small() -> MSDNet:
    return MSDNet(stem=(8, 16, 32), growth=(8, 16, 16), blocks=(0, 2, 2, 3), first_scale=(0, 0, 1, 1),
                  compress=(False, False, False, False), head_width=32, bottleneck=32)


def cnn_large() -> MSDNet:
    return MSDNet(stem=(12, 24, 32), growth=(12, 24, 24), blocks=(0, 1, 1, 1, 2, 2, 2, 2, 2),
                  first_scale=(0, 0, 0, 1, 1, 1, 1, 2, 2),
                  compress=(False, False, False, False, True, False, True, False, False), head_width=32, bottleneck=48)
