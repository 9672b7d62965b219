"""MSDNet-inspired multi-exit CNNs: conv blocks (Conv-BN-ReLU) with a cheap exit head after each.

Each head pools the block's feature map to 2x2, flattens and applies one Linear layer:
a few thousand FLOPs against millions for a block, so an early exit really saves compute.
"""
import torch
from torch import nn
from torch.nn import functional as F


def conv_bn_relu(c_in: int, c_out: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class PoolHead(nn.Module):
    """Exit head: adaptive average pool to 2x2 -> flatten -> Linear(4C, classes)."""

    def __init__(self, channels: int, classes: int = 10):
        super().__init__()
        self.linear = nn.Linear(4 * channels, classes)

    def forward(self, x):
        # The windows of AdaptiveAvgPool2d(2) (overlapping when H is odd: rows [0, ceil(H/2)) and
        # [floor(H/2), H)) as one fixed AvgPool2d, because the ONNX exporter cannot express adaptive
        # pooling with a non-dividing output size, and one AveragePool node runs ~15x faster in
        # onnxruntime than the equivalent Slice/ReduceMean graph (measured on the exported heads).
        h, w = int(x.shape[-2]), int(x.shape[-1])  # fixed per stage: constants in the exported graph
        pooled = F.avg_pool2d(x, kernel_size=((h + 1) // 2, (w + 1) // 2), stride=(max(1, h // 2), max(1, w // 2)))
        return self.linear(pooled.flatten(1))


class MultiExitCNN(nn.Module):
    """`blocks[i]` then `heads[i]` is stage i; forward returns the logits of every exit."""

    def __init__(self, block_specs, classes: int = 10):
        super().__init__()
        # block_specs: list of blocks, each a list of (c_in, c_out, stride) conv layers
        self.blocks = nn.ModuleList(nn.Sequential(*[conv_bn_relu(*layer) for layer in spec]) for spec in block_specs)
        self.heads = nn.ModuleList(PoolHead(spec[-1][1], classes) for spec in block_specs)

    def forward(self, x):
        logits = []
        for block, head in zip(self.blocks, self.heads):
            x = block(x)
            logits.append(head(x))
        return logits


# Resolution 28 -> 14 -> 7; channels grow with depth.
CNN_SMALL = [
    [(1, 16, 1), (16, 16, 2)],   # 28x28 -> 14x14
    [(16, 32, 1)],               # 14x14
    [(32, 48, 2)],               # -> 7x7
    [(48, 64, 1)],               # 7x7
]
CNN_LARGE = [
    [(1, 32, 1), (32, 32, 2)],   # 28x28 -> 14x14
    [(32, 48, 1)],               # 14x14
    [(48, 64, 2)],               # -> 7x7
    [(64, 96, 1)],               # 7x7
    [(96, 128, 1)],              # 7x7
    [(128, 128, 1)],             # 7x7
]


def cnn_small() -> MultiExitCNN:
    return MultiExitCNN(CNN_SMALL)


def cnn_large() -> MultiExitCNN:
    return MultiExitCNN(CNN_LARGE)
