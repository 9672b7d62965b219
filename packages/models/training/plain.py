"""Plain classifiers WITHOUT intermediate exits, the input `pcee attach` is made for.

    cd packages/models && OPENBLAS_NUM_THREADS=1 /usr/bin/python3 -m training.plain --model all

Three models on Fashion-MNIST, trained like a user's own classifier (one cross-entropy on the last
layer, nothing about early exit), then exported as one ONNX graph each (input `image`
[batch,1,28,28], output `logits` [batch,10], opset 17, BatchNorm folded) into `plain/`:

- `fmnist-resnet-plain`: a ResNet-style CNN (stride-2 stem, 3 stages of 2 basic blocks each,
  widths 16/32/64 at 14x14, 7x7, 4x4, global average pooling, Linear);
- `fmnist-resnet-plain-small`: the same recipe at widths 8/16/32 and one block a stage, the
  "small plain model" of the paper's headline comparison;
- `fmnist-vit-plain`: a ViT (the zoo's light patch embedding and pre-norm blocks, width 48, 6
  blocks, one token-flattening head at the end only).

It also writes the arrays `pcee attach`/`trace` read, outside the repository (too large to ship):
`<data-out>/train.npz` (`image` float32 [50000,1,28,28] preprocessed, `labels`), `val.npz` and
`test.npz` (same layout), and `plain/results.json` (accuracy, FLOPs, wall time per model).
"""
import os

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')  # before numpy/torch: its pool fights torch's OpenMP pool

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from . import data, vit  # noqa: E402
from .train import ONEDNN_TOLERANCE, onednn_gradient_error  # noqa: E402

PLAIN_DIR = os.path.join(data.PACKAGE_DIR, 'plain')
OPSET = 17


class BasicBlock(nn.Module):
    """ResNet basic block: two 3x3 convs with BatchNorm, identity (or 1x1 strided) shortcut."""

    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = nn.Identity() if stride == 1 and c_in == c_out else nn.Sequential(
            nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


class PlainResNet(nn.Module):
    """Stride-2 stem to 14x14, then stages at 14x14, 7x7, 4x4, global average pooling, Linear."""

    def __init__(self, widths, blocks, classes: int = 10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, widths[0], 3, 2, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU())
        layers, c_in = [], widths[0]
        for stage, (width, count) in enumerate(zip(widths, blocks)):
            for k in range(count):
                layers.append(BasicBlock(c_in, width, 2 if stage > 0 and k == 0 else 1))
                c_in = width
        self.layers = nn.Sequential(*layers)
        self.linear = nn.Linear(c_in, classes)

    def forward(self, x):
        return self.linear(self.layers(self.stem(x)).mean((2, 3)))


class PlainViT(nn.Module):
    """The zoo's ViT blocks with one head at the end (token-wise LayerNorm, flatten, Linear)."""

    def __init__(self, dim: int, depth: int, heads: int, mlp_ratio: int, stem_hidden: int, classes: int = 10):
        super().__init__()
        self.stem = vit.PatchEmbedding(dim, stem_hidden)
        self.blocks = nn.Sequential(*[vit.Block(dim, heads, mlp_ratio) for _ in range(depth)])
        self.head = vit.TokenHead(dim, classes)
        self.apply(vit.MultiExitViT._init)

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)))


MODELS = {
    'fmnist-resnet-plain': dict(build=lambda: PlainResNet((16, 32, 64), (2, 2, 2)), lr=3e-3, epochs=10, seed=11,
                                description='Plain ResNet-style CNN, 3 stages x 2 basic blocks, no exits (Fashion-MNIST)'),
    'fmnist-resnet-plain-small': dict(build=lambda: PlainResNet((8, 16, 32), (1, 1, 1)), lr=3e-3, epochs=10, seed=12,
                                      description='Small plain ResNet-style CNN, 3 stages x 1 basic block, no exits (Fashion-MNIST)'),
    'fmnist-vit-plain': dict(build=lambda: PlainViT(48, 6, 2, 2, 16), lr=1e-3, epochs=5, seed=13,
                             description='Plain ViT, 6 blocks, one head at the end, no exits (Fashion-MNIST)'),
}


def accuracy(model, x, y, batch=1000) -> float:
    model.eval()
    with torch.no_grad():
        predictions = torch.cat([model(x[s:s + batch]).argmax(-1) for s in range(0, len(x), batch)])
    return float((predictions.numpy() == y).mean())


def train(model_id: str, splits, epochs=None) -> dict:
    recipe = MODELS[model_id]
    epochs = epochs or recipe['epochs']
    torch.manual_seed(recipe['seed'])
    generator = torch.Generator().manual_seed(recipe['seed'])
    model = recipe['build']()
    train_x, train_y = data.preprocess(splits['train'][0]), torch.from_numpy(splits['train'][1])
    val_x, val_y = data.preprocess(splits['val'][0]), splits['val'][1]
    check = onednn_gradient_error(_Listed(model), train_x[:128], train_y[:128])
    torch.backends.mkldnn.enabled = check <= ONEDNN_TOLERANCE
    batch = 128
    steps = (len(train_x) + batch - 1) // batch
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe['lr'], weight_decay=5e-2)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=recipe['lr'], total_steps=epochs * steps,
                                                   pct_start=0.15, cycle_momentum=False)
    history, started = [], time.time()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(train_x), generator=generator)
        for step in range(steps):
            index = order[step * batch:(step + 1) * batch]
            loss = F.cross_entropy(model(data.augment(train_x[index], generator)), train_y[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
        history.append(dict(epoch=epoch + 1, seconds=round(time.time() - started, 1), valAccuracy=accuracy(model, val_x, val_y)))
        print(model_id, json.dumps(history[-1]), flush=True)
    model.eval()
    return dict(model=model, epochs=epochs, lr=recipe['lr'], seed=recipe['seed'], history=history,
                wallSeconds=round(time.time() - started, 1), onednn=bool(torch.backends.mkldnn.enabled),
                onednnGradientError=float(f'{check:.2e}'))


class _Listed(nn.Module):
    """The model's output as a one-element list (the shape train.onednn_gradient_error expects)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return [self.model(x)]


def export(model: nn.Module, path: str) -> None:
    torch.onnx.export(model.eval(), torch.zeros(2, 1, 28, 28), path, opset_version=OPSET, input_names=['image'],
                      output_names=['logits'], dynamic_axes={'image': {0: 'batch'}, 'logits': {0: 'batch'}},
                      do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL)


def write_arrays(splits, out: str) -> None:
    os.makedirs(out, exist_ok=True)
    for split in ('train', 'val', 'test'):
        path = os.path.join(out, f'{split}.npz')
        if not os.path.exists(path):
            images, labels = splits[split]
            np.savez(path, image=data.preprocess(images).numpy(), labels=labels.astype(np.int64))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--model', default='all', help="'all' or comma-separated ids: " + ', '.join(MODELS))
    parser.add_argument('--epochs', type=int, default=None)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--data-out', default='/tmp/pcee-plain-data', help='where train/val/test .npz go')
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    splits = data.load_splits()
    write_arrays(splits, args.data_out)
    os.makedirs(PLAIN_DIR, exist_ok=True)
    results_path = os.path.join(PLAIN_DIR, 'results.json')
    results = json.load(open(results_path)) if os.path.exists(results_path) else {}
    test_x, test_y = data.preprocess(splits['test'][0]), splits['test'][1]
    ids = list(MODELS) if args.model == 'all' else args.model.split(',')
    for model_id in ids:
        run = train(model_id, splits, args.epochs)
        model = run.pop('model')
        with torch.no_grad():
            export(model, os.path.join(PLAIN_DIR, f'{model_id}.onnx'))
        results[model_id] = dict(description=MODELS[model_id]['description'], **run,
                                 parameters=sum(p.numel() for p in model.parameters()),
                                 testAccuracy=accuracy(model, test_x, test_y),
                                 hardware=f'shared 2-core CPU, {args.threads} thread, PyTorch {torch.__version__}')
        with open(results_path, 'w') as f:
            json.dump(results, f, indent=2)
            f.write('\n')
        print(model_id, 'exported, test accuracy', results[model_id]['testAccuracy'], flush=True)


if __name__ == '__main__':
    main()
