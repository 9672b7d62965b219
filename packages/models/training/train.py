"""Train the multi-exit zoo from scratch, all exits jointly (the sum of every exit's cross-entropy).

    sudo apt-get install python3-torch python3-onnx dataset-fashion-mnist libopenblas0-pthread
    cd packages/models && /usr/bin/python3 -m training.train --model all

Checkpoints go to packages/models/.checkpoints/<id>.pt (git-ignored); export.py reads them.
"""
import os

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')  # before numpy/torch: its pool fights torch's OpenMP pool

import argparse  # noqa: E402
import copy  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np
import torch
from torch.nn import functional as F

from . import data
from .zoo import MODELS, loss_weights

CHECKPOINT_DIR = os.environ.get('PCEE_CHECKPOINT_DIR', os.path.join(data.PACKAGE_DIR, '.checkpoints'))
DISTILL_TEMPERATURE = 2.0
# The fault this guards against gave gradients off by the order of the gradients themselves; float32
# rounding through these BatchNorm chains gives up to ~3e-3 relative (native convolution, measured).
ONEDNN_TOLERANCE = 1e-2


def onednn_gradient_error(model, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Relative error of oneDNN's parameter gradients on one batch against a float64 reference, or 1.0
    when two oneDNN backward passes differ.

    In Debian's PyTorch 1.13 (oneDNN 2.6.3) the convolution backward pass once returned different weight
    gradients on every call (up to 0.9 apart, on the earlier ViT's four-conv stem with 2 threads), which
    made training erratic. Native convolution is ~7x slower on these small maps, so each run checks its
    own model: oneDNN is used only if it is deterministic and close to float64 (it is closer than native
    float32 convolution on the shipped models: 2.8e-4 against 2.1e-3 relative on the large CNN).
    """
    probe = copy.deepcopy(model).train()

    def gradients(module, onednn: bool, x):
        torch.backends.mkldnn.enabled = onednn
        module.zero_grad(set_to_none=True)
        sum(F.cross_entropy(l, labels) for l in module(x)).backward()
        return [p.grad.detach().clone().float() for p in module.parameters() if p.grad is not None]

    reference = gradients(copy.deepcopy(probe).double(), False, images.double())
    first, second = gradients(probe, True, images), gradients(probe, True, images)
    torch.backends.mkldnn.enabled = False
    if any(not torch.equal(a, b) for a, b in zip(first, second)):
        return 1.0  # not deterministic: the fault itself
    scale = max(g.abs().max().item() for g in reference)
    return max((a - b).abs().max().item() for a, b in zip(first, reference)) / scale


def evaluate(model, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 1000) -> np.ndarray:
    """Logits of every exit, float32 [N, L, C], with the model in eval mode."""
    model.eval()
    outputs = []
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            outputs.append(torch.stack(model(images[start:start + batch_size]), dim=1))
    return torch.cat(outputs).numpy()


def multi_exit_loss(logits, labels, weights, distill: float, temperature: float = DISTILL_TEMPERATURE):
    """Sum of every exit's cross-entropy (times its weight); with `distill` > 0, each earlier exit also learns
    the last exit's (detached) softened prediction: + distill * T^2 * KL(last || exit), summed over exits."""
    loss = sum(w * F.cross_entropy(l, labels) for w, l in zip(weights, logits))
    if distill > 0:
        teacher = F.log_softmax(logits[-1].detach() / temperature, dim=-1)
        for exit_logits in logits[:-1]:
            student = F.log_softmax(exit_logits / temperature, dim=-1)
            loss = loss + distill * temperature ** 2 * F.kl_div(student, teacher, log_target=True, reduction='batchmean')
    return loss


def run_epochs(model, model_id, recipe, splits, epochs, optimizer, schedule, generator, history):
    """Train `epochs` epochs with the joint multi-exit loss, logging train and validation accuracy per exit."""
    weights = loss_weights(len(model.heads))
    train_x, train_y = data.preprocess(splits['train'][0]), torch.from_numpy(splits['train'][1])
    val_x, val_y = data.preprocess(splits['val'][0]), splits['val'][1]
    steps_per_epoch = (len(train_x) + recipe['batch_size'] - 1) // recipe['batch_size']
    started = time.time()
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(train_x), generator=generator)
        total_loss, skipped, correct = 0.0, 0, torch.zeros(len(model.heads))
        for step in range(steps_per_epoch):
            index = order[step * recipe['batch_size']:(step + 1) * recipe['batch_size']]
            x = data.augment(train_x[index], generator)
            logits = model(x)
            loss = multi_exit_loss(logits, train_y[index], weights, recipe.get('distill', 0.0))
            with torch.no_grad():
                correct += torch.stack([(l.argmax(-1) == train_y[index]).sum() for l in logits]).float()
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
                     loss=round(total_loss / max(1, steps_per_epoch - skipped), 4), skippedSteps=skipped,
                     train_accuracy=[round(float(c) / len(train_x), 4) for c in correct], val_accuracy=[round(float(a), 4) for a in val_accuracy])
        history.append(entry)
        print(model_id, json.dumps(entry), flush=True)
    return time.time() - started


def steps(splits, recipe, epochs):
    return epochs * ((len(splits['train'][0]) + recipe['batch_size'] - 1) // recipe['batch_size'])


def train_one(model_id: str, splits, epochs_override=None, distill=None) -> dict:
    """Train `model_id` from scratch; `distill` overrides the recipe's (a probe saves as <id>+distill<value>)."""
    recipe = dict(MODELS[model_id])
    epochs = epochs_override or recipe['epochs']
    name = model_id
    if distill is not None:
        recipe['distill'] = distill
        name = f'{model_id}+distill{distill:g}'

    torch.manual_seed(recipe['seed'])
    generator = torch.Generator().manual_seed(recipe['seed'])
    model = recipe['build']()
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe['lr'], weight_decay=recipe['weight_decay'])
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=recipe['lr'], total_steps=steps(splits, recipe, epochs),
                                                   pct_start=0.15, cycle_momentum=False)
    history = []
    probe_x = data.preprocess(splits['train'][0][:128])
    probe_y = torch.from_numpy(splits['train'][1][:128])
    onednn_error = onednn_gradient_error(model, probe_x, probe_y)
    torch.backends.mkldnn.enabled = onednn_error <= ONEDNN_TOLERANCE
    print(model_id, f'oneDNN gradient check: relative error {onednn_error:.1e} against float64 ->',
          'oneDNN on' if torch.backends.mkldnn.enabled else 'native convolution', flush=True)
    wall = run_epochs(model, name, recipe, splits, epochs, optimizer, schedule, generator, history)
    meta = dict(id=model_id, seed=recipe['seed'], epochs=epochs, optimizer=recipe['optimizer'], lr=recipe['lr'],
                weightDecay=recipe['weight_decay'], batchSize=recipe['batch_size'], schedule='OneCycle (cosine, 15% warm-up)',
                augmentation='random crop (2 px padding) + horizontal flip', lossWeights=loss_weights(len(model.heads)),
                clipGradNorm=recipe['clip_grad_norm'], distill=recipe.get('distill', 0.0), distillTemperature=DISTILL_TEMPERATURE,
                onednn=dict(enabled=bool(torch.backends.mkldnn.enabled), gradientRelativeError=float(f'{onednn_error:.2e}')),
                trainingWallSeconds=round(wall, 1),
                torchThreads=torch.get_num_threads(), history=history)
    save(name, model, meta)
    print(name, 'done in', round(wall, 1), 's', flush=True)
    return meta


def save(model_id, model, meta):
    os.makedirs(CHECKPOINT_DIR, exist_ok=True)
    torch.save(dict(state_dict=model.state_dict(), meta=meta), os.path.join(CHECKPOINT_DIR, f'{model_id}.pt'))


# `--model all` trains the zoo as two 1-thread processes side by side (one per core), each taking
# one lane in order: one family a lane.
LANES = [['fmnist-vit-large', 'fmnist-vit-small'], ['fmnist-cnn-large', 'fmnist-cnn-small']]


def train_zoo_in_lanes(argv) -> None:
    """Runs one `train --model <lane>` process per lane and waits for all; fails if any fails."""
    started = time.time()
    workers = [subprocess.Popen([sys.executable, '-m', 'training.train', '--model', ','.join(lane), *argv],
                                cwd=data.PACKAGE_DIR) for lane in LANES]
    codes = [worker.wait() for worker in workers]
    if any(codes):
        raise SystemExit(f'a training lane failed (exit codes {codes})')
    print(f'zoo trained in {(time.time() - started) / 60:.1f} min wall', flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--model', default='all', help="'all' (two lanes in parallel) or comma-separated ids: " + ', '.join(MODELS))
    parser.add_argument('--epochs', type=int, default=None, help='override the recipe (for quick checks)')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch threads; the zoo trains as two 1-thread processes side by side on 2 cores')
    parser.add_argument('--distill', type=float, default=None,
                        help='probe: train with this self-distillation weight, saved as <id>+distill<value>.pt')
    args = parser.parse_args(argv)
    if args.model == 'all':
        passed = [] if args.epochs is None else ['--epochs', str(args.epochs)]
        passed += ['--threads', str(args.threads)] + ([] if args.distill is None else ['--distill', str(args.distill)])
        train_zoo_in_lanes(passed)
        return
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    splits = data.load_splits()
    for model_id in args.model.split(','):
        train_one(model_id, splits, args.epochs, args.distill)


if __name__ == '__main__':
    main()
