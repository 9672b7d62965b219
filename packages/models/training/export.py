"""Export trained checkpoints as PCEE model packages (`pcee-model` v2) with their traces.

    npm run build        # once: `pcee split` runs from packages/cli/dist
    cd packages/models && /usr/bin/python3 -m training.export --model all

Per model, the network is exported ONCE, as one multi-exit ONNX graph whose outputs are the
logits of every exit (`exit_0` ... `exit_<L-1>`), exactly as a user exports their own model.
`pcee split` then cuts it into stages (stage i = what exit i needs and no earlier exit needs; the
multi-scale maps or token states that later stages need are carried between them), counts FLOPs
and parameters from the graph, writes `full.onnx` (the graph pruned to the last exit) and checks
on 256 real test images that the stages reproduce every exit of the exported graph. This script
adds what only training knows to the manifest (raw-pixel preprocessing, class names, training
metadata, accuracies and ECE per exit), writes the validation and test traces (eval-mode PyTorch
logits of every exit) and regenerates the README results.
"""
import os

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')  # before numpy/torch: its pool fights torch's OpenMP pool

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from . import data  # noqa: E402
from .metrics import accuracy_per_exit, ece_per_exit  # noqa: E402
from .train import CHECKPOINT_DIR, LANES, evaluate  # noqa: E402
from .zoo import MODELS  # noqa: E402

OPSET = 17
README_PATH = os.path.join(data.PACKAGE_DIR, 'README.md')
README_START, README_END = '<!-- results:start -->', '<!-- results:end -->'
REPO_ROOT = os.path.dirname(os.path.dirname(data.PACKAGE_DIR))
PCEE_BIN = os.path.join(REPO_ROOT, 'packages', 'cli', 'dist', 'bin.js')
VERIFY_SAMPLES = 256


class ExitOutputs(nn.Module):
    """The multi-exit model with its exits as a tuple (one ONNX output each)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, image):
        return tuple(self.model(image))


def load_model(model_id: str):
    checkpoint = torch.load(os.path.join(CHECKPOINT_DIR, f'{model_id}.pt'))
    model = MODELS[model_id]['build']()
    model.load_state_dict(checkpoint['state_dict'])
    return model.eval(), checkpoint['meta']


def trace(model: nn.Module, splits) -> dict:
    """{'val', 'test'} -> (logits float32 [N, L, C] of every exit, labels int64 [N]), eval-mode PyTorch."""
    return {split: (evaluate(model, data.preprocess(splits[split][0]), None).astype(np.float32), splits[split][1])
            for split in ('val', 'test')}


def export_multi_exit(model: nn.Module, path: str) -> None:
    """One ONNX graph, input `image` [batch,1,28,28], outputs `exit_0`..: every exit's logits [batch,10]."""
    exits = [f'exit_{i}' for i in range(len(model.heads))]
    # Eval mode: the exporter folds BatchNorm into the preceding convolution.
    torch.onnx.export(ExitOutputs(model).eval(), torch.zeros(2, 1, 28, 28), path, opset_version=OPSET,
                      input_names=['image'], output_names=exits,
                      dynamic_axes={name: {0: 'batch'} for name in ['image', *exits]},
                      do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL)


def split_package(model_id: str, onnx_path: str, out_dir: str, work: str) -> None:
    """`pcee split` the exported graph into `out_dir`, verified on real test images."""
    inputs = os.path.join(work, 'inputs.npz')
    np.savez(inputs, image=data.preprocess(data.load_raw('t10k')[0][:VERIFY_SAMPLES]).numpy())
    classes = os.path.join(work, 'classes.txt')
    with open(classes, 'w') as f:
        f.write('\n'.join(data.CLASSES) + '\n')
    if not os.path.exists(PCEE_BIN):
        raise SystemExit(f'{PCEE_BIN} is missing: run `npm run build` at the repository root first')
    subprocess.run(['node', PCEE_BIN, 'split', onnx_path, '--out', out_dir, '--id', model_id,
                    '--description', MODELS[model_id]['description'], '--classes', classes, '--inputs', inputs],
                   check=True)


def onednn_note(check: dict) -> str:
    """How the run's oneDNN gradient check came out (runs before the float64 check compared with native)."""
    state = 'oneDNN on' if check['enabled'] else 'oneDNN off'
    if 'gradientRelativeError' in check:
        return f"{state} (gradient check: relative error {check['gradientRelativeError']:.1e} against float64)"
    return f"{state} (gradient check: relative difference {check['gradientRelativeDifference']:.1e} from native convolution)"


def training_metadata(model_id: str, meta: dict, traces: dict) -> dict:
    accuracy = {s: [round(float(a), 4) for a in accuracy_per_exit(*traces[s])] for s in traces}
    calibration = {s: [round(float(e), 4) for e in ece_per_exit(*traces[s])] for s in traces}
    return dict(
        seed=meta['seed'], epochs=meta['epochs'], optimizer=meta['optimizer'], lr=meta['lr'], weightDecay=meta['weightDecay'],
        batchSize=meta['batchSize'], schedule=meta['schedule'], augmentation=meta['augmentation'],
        clipGradNorm=meta['clipGradNorm'], selfDistillation=dict(weight=meta['distill'], temperature=meta['distillTemperature']),
        wallTimeSeconds=meta['trainingWallSeconds'],
        hardware=f"shared 2-core CPU, {meta['torchThreads']} training thread, PyTorch {torch.__version__}, {onednn_note(meta['onednn'])}",
        lane=next(i for i, lane in enumerate(LANES) if model_id in lane),
        split=f'official 60k training set split into 50k train / 10k validation (seed {data.SPLIT_SEED}, indices in '
              'data/split.npz); the official 10k test set is the test set',
        loss='sum of the cross-entropy of every exit' + (' + self-distillation from the last exit' if meta['distill'] else ''),
        lossWeights=[round(w, 6) for w in meta['lossWeights']],
        # Training accuracy of the last exit per epoch (running, on the augmented batches in train mode):
        # it flattening out is what "trained to convergence" means here.
        trainAccuracyByEpoch=[entry['train_accuracy'][-1] for entry in meta['history']],
        valAccuracyByEpoch=[entry['val_accuracy'][-1] for entry in meta['history']],
        valAccuracy=accuracy['val'], testAccuracy=accuracy['test'], valEce=calibration['val'], testEce=calibration['test'])


def export_one(model_id: str, splits, root: str) -> dict:
    model, meta = load_model(model_id)
    traces = trace(model, splits)  # from the untouched checkpoint, before any export pass
    out_dir = os.path.join(root, model_id)
    shutil.rmtree(out_dir, ignore_errors=True)  # the folder holds exactly what this export writes
    with tempfile.TemporaryDirectory() as work:
        onnx_path = os.path.join(work, f'{model_id}.onnx')
        with torch.no_grad():
            export_multi_exit(model, onnx_path)
        split_package(model_id, onnx_path, out_dir, work)

    manifest_path = os.path.join(out_dir, 'model.json')
    with open(manifest_path) as f:
        manifest = json.load(f)
    [image] = manifest['inputs']
    image['raw'] = dict(dtype='uint8', preprocessing=dict(scale=data.SCALE, mean=[data.MEAN], std=[data.STD]))
    manifest['training'] = training_metadata(model_id, meta, traces)
    with open(manifest_path, 'w') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')
    for split, (logits, labels) in traces.items():
        np.savez_compressed(os.path.join(out_dir, f'{split}.npz'), logits=logits, labels=labels.astype(np.int64))
    print(model_id, 'exported: test accuracy per exit', manifest['training']['testAccuracy'], flush=True)
    return manifest


def results_markdown(manifests) -> str:
    """The README results section, generated from the manifests (never typed by hand)."""
    total = sum(m['training']['wallTimeSeconds'] for m in manifests)
    lanes = {}  # lane -> its models' wall time summed: the lanes run side by side
    for m in manifests:
        lane = m['training'].get('lane', 0)
        lanes[lane] = lanes.get(lane, 0) + m['training']['wallTimeSeconds']
    lines = [f"Training wall time of the whole zoo: {max(lanes.values()) / 60:.1f} min on 2 cores, two 1-thread lanes side by side "
             f"({', '.join(f'lane {k}: {v / 60:.1f} min' for k, v in sorted(lanes.items()))}); {total / 60:.1f} min summed over the "
             f"{len(manifests)} models.", '']
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
    parser.add_argument('--out', default=data.PACKAGE_DIR,
                        help='folder to write <id>/ packages into (default: this package; the README is only '
                             'regenerated there)')
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    ids = list(MODELS) if args.model == 'all' else args.model.split(',')
    splits = data.load_splits()
    data.write_test_inputs()
    for model_id in ids:
        export_one(model_id, splits, args.out)
    if os.path.abspath(args.out) != os.path.abspath(data.PACKAGE_DIR):
        return
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
