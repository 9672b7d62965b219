"""Multi-exit vision transformers with a light patch embedding and an exit after every block.

As in the paper's ViT experiments, the blocks do the work and every block has an exit, so an early
exit skips real compute. The patch embedding is light: a 3x3 conv (stride 2) and a 2x2 patchify
(stride 2) give 49 tokens. (The previous ViTs had a four-conv stem that cost 38-60% of the model
and reached ~91% at the first exit: good accuracy, but nothing left for early exit to save.)
Then: learned positional embedding, pre-norm transformer blocks (MHSA + MLP), and after every block
an exit head: token-wise LayerNorm -> flatten the tokens -> Linear. Mean-pooling (or a CLS token)
was tried first on the earlier ViTs: it discards the spatial layout the tokens carry and learned
several times slower in a short probe; the flattening head keeps it and costs 2*T*D*10 FLOPs, about
2% of a block.
Stage 0 = patch embedding + block 0; stage i = block i.
"""
import torch
from torch import nn

GRID = 7  # the patch embedding's output is GRID x GRID patch tokens
TOKENS = GRID * GRID


class PatchEmbedding(nn.Module):
    """A light patch embedding: 3x3 conv (stride 2) to `hidden` channels, then a 2x2 patchify (stride 2)
    to `dim`: 49 tokens, each a 4x4-pixel patch with a one-pixel rim of context; about a sixth of a block."""

    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(1, hidden, 3, 2, 1, bias=False), nn.BatchNorm2d(hidden), nn.GELU(),  # -> 14x14
            nn.Conv2d(hidden, dim, 2, 2),                                                   # -> 7x7 patches
        )
        self.position = nn.Parameter(torch.zeros(1, TOKENS, dim))
        nn.init.trunc_normal_(self.position, std=0.02)

    def forward(self, x):
        x = self.layers(x)                       # [B, D, 7, 7]
        x = x.flatten(2).transpose(1, 2)         # [B, 49, D]
        return x + self.position


class Attention(nn.Module):
    """Multi-head self-attention written out (exports cleanly to ONNX and is easy to count)."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, t, d = x.shape
        qkv = self.qkv(x).reshape(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]                               # [B, H, T, d/H]
        attention = torch.softmax((q @ k.transpose(-2, -1)) * (d // self.heads) ** -0.5, dim=-1)
        out = (attention @ v).transpose(1, 2).reshape(b, t, d)
        return self.proj(out)


class Block(nn.Module):
    """Pre-norm transformer block."""

    def __init__(self, dim: int, heads: int, mlp_ratio: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attention = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_ratio * dim), nn.GELU(), nn.Linear(mlp_ratio * dim, dim))

    def forward(self, x):
        x = x + self.attention(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class TokenHead(nn.Module):
    """Exit head: LayerNorm on every token -> flatten [T*D] -> Linear."""

    def __init__(self, dim: int, classes: int = 10):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.linear = nn.Linear(TOKENS * dim, classes)

    def forward(self, x):
        return self.linear(self.norm(x).flatten(1))


class MultiExitViT(nn.Module):
    def __init__(self, dim: int, depth: int, heads: int, mlp_ratio: int, stem_hidden: int, classes: int = 10):
        super().__init__()
        stem = PatchEmbedding(dim, stem_hidden)
        blocks = [Block(dim, heads, mlp_ratio) for _ in range(depth)]
        # blocks[0] includes the stem so that stage i = blocks[i] + heads[i], as for the CNNs.
        self.blocks = nn.ModuleList([nn.Sequential(stem, blocks[0])] + blocks[1:])
        self.heads = nn.ModuleList(TokenHead(dim, classes) for _ in range(depth))
        self.apply(self._init)

    @staticmethod
    def _init(module):
        if isinstance(module, nn.Linear):
            nn.init.trunc_normal_(module.weight, std=0.02)
            nn.init.zeros_(module.bias)

    def forward(self, x):
        logits = []
        for block, head in zip(self.blocks, self.heads):
            x = block(x)
            logits.append(head(x))
        return logits


# One recipe, two sizes: the large ViT is wider (48 vs 40) and twice as deep (13 vs 6 blocks), so that
# one of its blocks costs about a quarter of the whole small ViT, as in the paper's ViT-B vs ViT-S
# setting, and its first exit sits well below the small model's cost. Two heads each: on this CPU
# stack attention runs as one small matrix product per (sample, head), so few heads train faster.
def vit_small() -> MultiExitViT:
    return MultiExitViT(dim=40, depth=6, heads=2, mlp_ratio=2, stem_hidden=16)


def vit_large() -> MultiExitViT:
    return MultiExitViT(dim=48, depth=13, heads=2, mlp_ratio=2, stem_hidden=16)
