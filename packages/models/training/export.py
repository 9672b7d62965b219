"""Export trained checkpoints as PCEE model packages (`pcee-model` v1) plus traces.

    cd packages/models && /usr/bin/python3 -m training.export --model all

Writes packages/models/<id>/{model.json, stage-<i>.onnx, full.onnx, val.npz, test.npz},
data/fashion-mnist-test.npz, and regenerates the results section of README.md.
"""
import argparse
import hashlib
import json
import os

import numpy as np
import torch
from torch import nn

from . import data
from .flops import count_parameters, stage_flops
from .metrics import accuracy_per_exit, ece_per_exit
from .train import CHECKPOINT_DIR, evaluate
from .zoo import MODELS

OPSET = 17
README_PATH = os.path.join(data.PACKAGE_DIR, 'README.md')
README_START, README_END = '<!-- results:start -->', '<!-- results:end -->'


class Stage(nn.Module):
    """Backbone block i + exit head i: returns (features_out, logits), or logits only for the last stage."""

    def __init__(self, block: nn.Module, head: nn.Module, last: bool):
        super().__init__()
        self.block, self.head, self.last = block, head, last

    def forward(self, x):
        features = self.block(x)
        logits = self.head(features)
        return logits if self.last else (features, logits)


class FullModel(nn.Module):
    """All backbone blocks + the final head only: the no-early-exit baseline."""

    def __init__(self, blocks: nn.ModuleList, head: nn.Module):
        super().__init__()
        self.blocks, self.head = blocks, head

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return self.head(x)


def sha256(path: str) -> str:
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def onnx_export(module: nn.Module, example: torch.Tensor, path: str, input_name: str, output_names):
    # The exporter restores the wrapper's train/eval mode afterwards, to its children too: a wrapper
    # left in train mode would switch BatchNorm to batch statistics, so callers pass eval-mode modules.
    assert not any(m.training for m in module.modules()), 'export eval-mode modules only'
    dynamic = {name: {0: 'batch'} for name in [input_name, *output_names]}
    # Eval mode: the exporter folds BatchNorm into the preceding convolution.
    torch.onnx.export(module, example, path, opset_version=OPSET, input_names=[input_name], output_names=list(output_names),
                      dynamic_axes=dynamic, do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL)


def load_model(model_id: str):
    checkpoint = torch.load(os.path.join(CHECKPOINT_DIR, f'{model_id}.pt'))
    model = MODELS[model_id]['build']()
    model.load_state_dict(checkpoint['state_dict'])
    return model.eval(), checkpoint['meta']


def trace(model: nn.Module, splits) -> dict:
    """{'val', 'test'} -> (logits float32 [N, L, C] of every exit, labels int64 [N]), eval-mode PyTorch."""
    return {split: (evaluate(model, data.preprocess(splits[split][0]), None).astype(np.float32), splits[split][1])
            for split in ('val', 'test')}


def export_one(model_id: str, splits) -> dict:
    model, meta = load_model(model_id)
    traces = trace(model, splits)  # from the untouched checkpoint, before any export pass
    out_dir = os.path.join(data.PACKAGE_DIR, model_id)
    os.makedirs(out_dir, exist_ok=True)
    for name in os.listdir(out_dir):  # the folder holds exactly what this export writes
        os.remove(os.path.join(out_dir, name))

    exits = len(model.blocks)
    flops = stage_flops(model)
    stages = []
    x = torch.zeros(2, 1, 28, 28)
    with torch.no_grad():
        for i, (block, head) in enumerate(zip(model.blocks, model.heads)):
            last = i == exits - 1
            file = f'stage-{i}.onnx'
            input_name = 'image' if i == 0 else 'features'
            # A graph input and output cannot share a name in ONNX (SSA), so stage i>0 reads `features`
            # and every stage writes `features_out`; model.json maps the roles to these names.
            outputs = ['logits'] if last else ['features_out', 'logits']
            onnx_export(Stage(block, head, last).eval(), x, os.path.join(out_dir, file), input_name, outputs)
            stages.append(dict(index=i, file=file, sha256=sha256(os.path.join(out_dir, file)), input=input_name,
                               outputs=dict(logits='logits') if last else dict(features='features_out', logits='logits'),
                               flops=dict(backbone=flops[i][0], head=flops[i][1]),
                               parameters=count_parameters(block) + count_parameters(head)))
            x = block(x)
        full = FullModel(model.blocks, model.heads[-1]).eval()
        onnx_export(full, torch.zeros(2, 1, 28, 28), os.path.join(out_dir, 'full.onnx'), 'image', ['logits'])

    exit_costs, running = [], 0
    for backbone, head in flops:
        running += backbone + head
        exit_costs.append(running)
    full_cost = sum(backbone for backbone, _ in flops) + flops[-1][1]

    for split, (logits, labels) in traces.items():
        np.savez_compressed(os.path.join(out_dir, f'{split}.npz'), logits=logits, labels=labels.astype(np.int64))

    accuracy = {s: [round(float(a), 4) for a in accuracy_per_exit(*traces[s])] for s in traces}
    calibration = {s: [round(float(e), 4) for e in ece_per_exit(*traces[s])] for s in traces}
    training = dict(
        seed=meta['seed'], epochs=meta['epochs'], optimizer=meta['optimizer'], lr=meta['lr'], weightDecay=meta['weightDecay'],
        batchSize=meta['batchSize'], schedule=meta['schedule'], augmentation=meta['augmentation'],
        clipGradNorm=meta.get('clipGradNorm', MODELS[model_id]['clip_grad_norm']),
        wallTimeSeconds=meta['trainingWallSeconds'], hardware=f"shared 2-core CPU, {meta['torchThreads']} training thread(s), PyTorch {torch.__version__}",
        split=f'official 60k training set split into 50k train / 10k validation (seed {data.SPLIT_SEED}, indices in '
              'data/split.npz); the official 10k test set is the test set',
        loss='weighted sum of the cross-entropy of every exit', lossWeights=[round(w, 6) for w in meta['lossWeights']],
        valAccuracy=accuracy['val'], testAccuracy=accuracy['test'], valEce=calibration['val'], testEce=calibration['test'])
    manifest = dict(
        format='pcee-model', version=1, id=model_id, description=MODELS[model_id]['description'],
        input=dict(name='image', shape=[-1, 1, 28, 28], dtype='float32', rawDtype='uint8',
                   preprocessing=dict(scale=data.SCALE, mean=[data.MEAN], std=[data.STD])),
        classes=data.CLASSES, stages=stages, exitCosts=exit_costs, fullModelCost=full_cost, costUnit='flops',
        full=dict(file='full.onnx', sha256=sha256(os.path.join(out_dir, 'full.onnx')), input='image', output='logits',
                  parameters=sum(count_parameters(b) for b in model.blocks) + count_parameters(model.heads[-1])),
        parameters=count_parameters(model), training=training)
    with open(os.path.join(out_dir, 'model.json'), 'w') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')
    print(model_id, 'exported: test accuracy per exit', accuracy['test'], flush=True)
    return manifest


def results_markdown(manifests) -> str:
    """The README results section, generated from the manifests (never typed by hand)."""
    total = sum(m['training']['wallTimeSeconds'] for m in manifests)
    lines = [f"Training wall time of the whole zoo: {total / 60:.1f} min (sum over the {len(manifests)} models).", '']
    for m in manifests:
        t = m['training']
        lines += [f"### `{m['id']}`", '', m['description'] + '.', '',
                  f"Parameters: {m['parameters']:,} (full model without intermediate heads: {m['full']['parameters']:,}). "
                  f"Full-model cost: {m['fullModelCost'] / 1e6:.2f} MFLOPs. "
                  f"Training: {t['epochs']} epochs, AdamW peak lr {t['lr']:g}, "
                  f"{t['wallTimeSeconds'] / 60:.1f} min wall ({t['hardware']}).", '',
                  '| exit | backbone MFLOPs | head kFLOPs | cumulative MFLOPs | % of full | val acc | val ECE | test acc | test ECE |',
                  '|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
        for i, s in enumerate(m['stages']):
            lines.append(f"| {i} | {s['flops']['backbone'] / 1e6:.2f} | {s['flops']['head'] / 1e3:.2f} | "
                         f"{m['exitCosts'][i] / 1e6:.2f} | {100 * m['exitCosts'][i] / m['fullModelCost']:.1f}% | "
                         f"{t['valAccuracy'][i]:.4f} | {t['valEce'][i]:.4f} | {t['testAccuracy'][i]:.4f} | {t['testEce'][i]:.4f} |")
        lines.append('')
    return '\n'.join(lines)


def update_readme(manifests):
    with open(README_PATH) as f:
        text = f.read()
    start, end = text.index(README_START) + len(README_START), text.index(README_END)
    text = text[:start] + '\n\n' + results_markdown(manifests) + '\n' + text[end:]
    with open(README_PATH, 'w') as f:
        f.write(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--model', default='all', help="'all' or comma-separated ids: " + ', '.join(MODELS))
    parser.add_argument('--threads', type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    ids = list(MODELS) if args.model == 'all' else args.model.split(',')
    splits = data.load_splits()
    data.write_test_inputs()
    for model_id in ids:
        export_one(model_id, splits)
    # The README section always lists every exported model.
    manifests = []
    for model_id in MODELS:
        path = os.path.join(data.PACKAGE_DIR, model_id, 'model.json')
        if os.path.exists(path):
            with open(path) as f:
                manifests.append(json.load(f))
    if os.path.exists(README_PATH):
        update_readme(manifests)


if __name__ == '__main__':
    main()
