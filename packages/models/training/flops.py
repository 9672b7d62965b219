"""Analytic FLOP counting from layer shapes (1 multiply-add = 2 FLOPs), per sample.

Counted: Conv2d (2 * Cin/groups * k*k * Cout * Hout * Wout), Linear (2 * in * out per token),
attention matmuls (QK^T and AV: 2 * T * T * d each). Ignored: norms, activations, softmax,
pooling, residual adds (negligible and hardware-dependent). Shapes are read with forward
hooks on a single-sample run, so the count follows the real layer shapes.
"""
import math

import torch
from torch import nn

from .vit import Attention


def _conv_flops(module: nn.Conv2d, output: torch.Tensor) -> int:
    k = module.kernel_size[0] * module.kernel_size[1]
    return 2 * (module.in_channels // module.groups) * k * module.out_channels * output.shape[-2] * output.shape[-1]


def _linear_flops(module: nn.Linear, output: torch.Tensor) -> int:
    tokens = math.prod(output.shape[1:-1])  # 1 for [B, out], T for [B, T, out]
    return 2 * module.in_features * module.out_features * tokens


def _attention_flops(module: Attention, inputs: torch.Tensor) -> int:
    _, t, d = inputs.shape
    return 2 * (2 * t * t * d)  # QK^T and AV (projections are counted as Linear layers)


def count_flops(module: nn.Module, example: torch.Tensor):
    """(FLOPs per sample, output) of `module` applied to `example` (batch size 1)."""
    total = [0]
    handles = []
    for sub in module.modules():
        if isinstance(sub, nn.Conv2d):
            handles.append(sub.register_forward_hook(lambda m, i, o: total.__setitem__(0, total[0] + _conv_flops(m, o))))
        elif isinstance(sub, nn.Linear):
            handles.append(sub.register_forward_hook(lambda m, i, o: total.__setitem__(0, total[0] + _linear_flops(m, o))))
        elif isinstance(sub, Attention):
            handles.append(sub.register_forward_hook(lambda m, i, o: total.__setitem__(0, total[0] + _attention_flops(m, i[0]))))
    try:
        with torch.no_grad():
            output = module(example)
    finally:
        for handle in handles:
            handle.remove()
    return total[0], output


def stage_flops(model: nn.Module):
    """[(backbone FLOPs, head FLOPs)] per stage for a multi-exit model with `blocks` and `heads`."""
    was_training = model.training
    model.eval()
    x = torch.zeros(1, 1, 28, 28)
    result = []
    for block, head in zip(model.blocks, model.heads):
        backbone, x = count_flops(block, x)
        head_flops, _ = count_flops(head, x)
        result.append((backbone, head_flops))
    model.train(was_training)
    return result


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
