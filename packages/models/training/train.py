"""Train the multi-exit zoo jointly (weighted sum of every exit's cross-entropy).

    cd packages/models && /usr/bin/python3 -m training.train --model all

Checkpoints go to packages/models/.checkpoints/<id>.pt (git-ignored); export.py reads them.
"""
import argparse
import json
import os
import time

import numpy as np
import torch
from torch.nn import functional as F

from . import data
from .zoo import MODELS, loss_weights

CHECKPOINT_DIR = os.path.join(data.PACKAGE_DIR, '.checkpoints')


def evaluate(model, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 1000) -> np.ndarray:
    """Logits of every exit, float32 [N, L, C], with the model in eval mode."""
    model.eval()
    outputs = []
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            outputs.append(torch.stack(model(images[start:start + batch_size]), dim=1))
    return torch.cat(outputs).numpy()


def run_epochs(model, model_id, recipe, splits, epochs, optimizer, schedule, generator, history):
    """Train `epochs` epochs with the joint multi-exit loss, logging validation accuracy per exit."""
    weights = loss_weights(len(model.heads))
    train_x, train_y = data.preprocess(splits['train'][0]), torch.from_numpy(splits['train'][1])
    val_x, val_y = data.preprocess(splits['val'][0]), splits['val'][1]
    steps_per_epoch = (len(train_x) + recipe['batch_size'] - 1) // recipe['batch_size']
    started = time.time()
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(train_x), generator=generator)
        total_loss, skipped = 0.0, 0
        for step in range(steps_per_epoch):
            index = order[step * recipe['batch_size']:(step + 1) * recipe['batch_size']]
            x = data.augment(train_x[index], generator)
            logits = model(x)
            loss = sum(w * F.cross_entropy(l, train_y[index]) for w, l in zip(weights, logits))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            norm = torch.nn.utils.clip_grad_norm_(model.parameters(), recipe['clip_grad_norm'] or float('inf'))
            if not (torch.isfinite(loss) and torch.isfinite(norm)):
                # A rare non-finite step (seen once on this CPU stack) must not poison the weights: skip it.
                skipped += 1
                schedule.step()
                continue
            optimizer.step()
            schedule.step()
            total_loss += loss.item()
        val_accuracy = (evaluate(model, val_x, None).argmax(-1) == val_y[:, None]).mean(0)
        entry = dict(epoch=len(history) + 1, seconds=round(time.time() - started, 1),
                     loss=round(total_loss / max(1, steps_per_epoch - skipped), 4), skippedSteps=skipped, val_accuracy=[round(float(a), 4) for a in val_accuracy])
        history.append(entry)
        print(model_id, json.dumps(entry), flush=True)
    return time.time() - started


def steps(splits, recipe, epochs):
    return epochs * ((len(splits['train'][0]) + recipe['batch_size'] - 1) // recipe['batch_size'])


def train_one(model_id: str, splits, epochs_override=None) -> dict:
    recipe = MODELS[model_id]
    epochs = epochs_override or recipe['epochs']
    torch.manual_seed(recipe['seed'])
    generator = torch.Generator().manual_seed(recipe['seed'])
    model = recipe['build']()
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe['lr'], weight_decay=recipe['weight_decay'])
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=recipe['lr'], total_steps=steps(splits, recipe, epochs),
                                                   pct_start=0.15, cycle_momentum=False)
    history = []
    wall = run_epochs(model, model_id, recipe, splits, epochs, optimizer, schedule, generator, history)
    meta = dict(id=model_id, seed=recipe['seed'], epochs=epochs, optimizer=recipe['optimizer'], lr=recipe['lr'],
                weightDecay=recipe['weight_decay'], batchSize=recipe['batch_size'], schedule='OneCycle (cosine, 15% warm-up)',
                augmentation='random crop (2 px padding) + horizontal flip', lossWeights=loss_weights(len(model.heads)),
                clipGradNorm=recipe['clip_grad_norm'], trainingWallSeconds=round(wall, 1),
                torchThreads=torch.get_num_threads(), history=history)
    save(model_id, model, meta)
    print(model_id, 'done in', round(wall, 1), 's', flush=True)
    return meta


def continue_training(model_id: str, splits, epochs: int, lr: float) -> dict:
    """Fine-tune a saved checkpoint for `epochs` more epochs, cosine-annealing from `lr` to 0."""
    recipe = MODELS[model_id]
    checkpoint = torch.load(os.path.join(CHECKPOINT_DIR, f'{model_id}.pt'))
    meta = checkpoint['meta']
    model = recipe['build']()
    model.load_state_dict(checkpoint['state_dict'])
    torch.manual_seed(recipe['seed'] + 1000)
    generator = torch.Generator().manual_seed(recipe['seed'] + 1000)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=recipe['weight_decay'])
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps(splits, recipe, epochs))
    wall = run_epochs(model, model_id, recipe, splits, epochs, optimizer, schedule, generator, meta['history'])
    meta['epochs'] += epochs
    meta['schedule'] += f'; then {epochs} more epochs cosine-annealed from lr {lr:g} to 0 (fresh AdamW state)'
    meta['trainingWallSeconds'] = round(meta['trainingWallSeconds'] + wall, 1)
    save(model_id, model, meta)
    print(model_id, 'fine-tuned in', round(wall, 1), 's', flush=True)
    return meta


def save(model_id, model, meta):
    os.makedirs(CHECKPOINT_DIR, exist_ok=True)
    torch.save(dict(state_dict=model.state_dict(), meta=meta), os.path.join(CHECKPOINT_DIR, f'{model_id}.pt'))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--model', default='all', help="'all' or comma-separated ids: " + ', '.join(MODELS))
    parser.add_argument('--epochs', type=int, default=None, help='override the recipe (for quick checks)')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--continue-epochs', type=int, default=0,
                        help='fine-tune the saved checkpoints for this many more epochs instead of training from scratch')
    parser.add_argument('--continue-lr', type=float, default=3e-4)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    # oneDNN (MKL-DNN 2.6.3) convolution backward in Debian's PyTorch 1.13 returns different weight
    # gradients on every call for the same inputs (max difference 0.9 on the ViT stem), which made
    # training erratic and produced the non-finite steps; PyTorch's native convolution is exact and
    # deterministic here, and about as fast at these sizes. Inference (export, traces) is unaffected.
    torch.backends.mkldnn.enabled = False
    ids = ['fmnist-vit-large', 'fmnist-cnn-large', 'fmnist-vit-small', 'fmnist-cnn-small'] if args.model == 'all' else args.model.split(',')
    splits = data.load_splits()
    for model_id in ids:
        if args.continue_epochs:
            continue_training(model_id, splits, args.continue_epochs, args.continue_lr)
        else:
            train_one(model_id, splits, args.epochs)


if __name__ == '__main__':
    main()
