"""The reference model zoo: ids, builders, descriptions and training recipes.

Every shipped model is trained from scratch by exactly this recipe (`train --model all`), as the
paper's models are: the plain sum of every exit's cross-entropy, no label smoothing, no calibration
step. All clip the gradient norm at 1.0. `distill` > 0 adds self-distillation from the last exit to
the earlier ones (see train.multi_exit_loss); the shipped value was chosen on validation data
(README, "Self-distillation probe").
"""
from . import cnn, vit

MODELS = {
    'fmnist-cnn-small': dict(
        build=cnn.cnn_small,
        description='Small MSDNet-style CNN (3 scales, dense layers), 4 exits (Fashion-MNIST)',
        optimizer='AdamW', lr=2e-3, weight_decay=5e-2, epochs=20, batch_size=128, seed=1, clip_grad_norm=1.0, distill=0.0),
    'fmnist-cnn-large': dict(
        build=cnn.cnn_large,
        description='Large MSDNet-style CNN (3 scales, dense layers), 9 exits (Fashion-MNIST)',
        optimizer='AdamW', lr=2e-3, weight_decay=5e-2, epochs=20, batch_size=128, seed=2, clip_grad_norm=1.0, distill=0.0),
    'fmnist-vit-small': dict(
        build=vit.vit_small,
        description='Small ViT, light patch embedding (49 tokens), 6 blocks / 6 exits (Fashion-MNIST)',
        optimizer='AdamW', lr=1e-3, weight_decay=5e-2, epochs=20, batch_size=128, seed=3, clip_grad_norm=1.0, distill=0.0),
    'fmnist-vit-large': dict(
        build=vit.vit_large,
        description='Large ViT, light patch embedding (49 tokens), 13 blocks / 13 exits (Fashion-MNIST)',
        optimizer='AdamW', lr=1e-3, weight_decay=5e-2, epochs=15, batch_size=128, seed=4, clip_grad_norm=1.0, distill=0.0),
}


def loss_weights(exits: int):
    """Every exit's cross-entropy counts once (the paper's joint loss: a plain sum)."""
    return [1.0] * exits
