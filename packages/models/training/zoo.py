"""The reference model zoo: ids, builders, descriptions and training recipes.

All models clip the gradient norm at 1.0. Every shipped model is trained from scratch by exactly
this recipe (`train --model all`); no fine-tuning on top.
"""
from . import cnn, vit

MODELS = {
    'fmnist-cnn-small': dict(
        build=cnn.cnn_small,
        description='Small MSDNet-inspired CNN, 4 exits (Fashion-MNIST)',
        optimizer='AdamW', lr=2e-3, weight_decay=5e-2, epochs=6, batch_size=128, seed=1, clip_grad_norm=1.0),
    'fmnist-cnn-large': dict(
        build=cnn.cnn_large,
        description='Large MSDNet-inspired CNN, 6 exits (Fashion-MNIST)',
        optimizer='AdamW', lr=2e-3, weight_decay=5e-2, epochs=8, batch_size=128, seed=2, clip_grad_norm=1.0),
    'fmnist-vit-small': dict(
        build=vit.vit_small,
        description='Small ViT with conv stem (49 patch tokens), 4 blocks / 4 exits (Fashion-MNIST)',
        optimizer='AdamW', lr=1e-3, weight_decay=5e-2, epochs=12, batch_size=128, seed=3, clip_grad_norm=1.0),
    'fmnist-vit-large': dict(
        build=vit.vit_large,
        description='Large ViT with conv stem (49 patch tokens), 8 blocks / 8 exits (Fashion-MNIST)',
        optimizer='AdamW', lr=1e-3, weight_decay=5e-2, epochs=18, batch_size=128, seed=4, clip_grad_norm=1.0),
}


def loss_weights(exits: int):
    """Exit l gets weight (l+1)/sum: deeper exits matter more, every exit is trained."""
    total = exits * (exits + 1) / 2
    return [(l + 1) / total for l in range(exits)]
