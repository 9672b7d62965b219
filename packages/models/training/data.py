"""Fashion-MNIST loading, the fixed train/validation split and preprocessing."""
import gzip
import os

import numpy as np
import torch

RAW_DIR = '/usr/share/datasets/fashion-mnist'
PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_DIR = os.path.join(PACKAGE_DIR, 'data')
SPLIT_PATH = os.path.join(DATA_DIR, 'split.npz')
TEST_PATH = os.path.join(DATA_DIR, 'fashion-mnist-test.npz')

# model_input = (raw * SCALE - MEAN) / STD
SCALE = 1.0 / 255.0
MEAN = 0.2860
STD = 0.3530
SPLIT_SEED = 20241226
VALIDATION_SIZE = 10_000

CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
           'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']


def _read_idx(path: str, offset: int) -> np.ndarray:
    with gzip.open(path, 'rb') as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def load_raw(kind: str):
    """Official set `kind` in {'train', 't10k'}: (uint8 images [N,28,28], int64 labels [N])."""
    images = _read_idx(os.path.join(RAW_DIR, f'{kind}-images-idx3-ubyte.gz'), 16).reshape(-1, 28, 28)
    labels = _read_idx(os.path.join(RAW_DIR, f'{kind}-labels-idx1-ubyte.gz'), 8).astype(np.int64)
    return images.copy(), labels


def split_indices():
    """50k train / 10k validation indices into the official training set (created once, then stored)."""
    if not os.path.exists(SPLIT_PATH):
        permutation = np.random.default_rng(SPLIT_SEED).permutation(60_000)
        os.makedirs(DATA_DIR, exist_ok=True)
        np.savez_compressed(SPLIT_PATH,
                            train_idx=np.sort(permutation[VALIDATION_SIZE:]).astype(np.int64),
                            val_idx=np.sort(permutation[:VALIDATION_SIZE]).astype(np.int64))
    split = np.load(SPLIT_PATH)
    return split['train_idx'], split['val_idx']


def load_splits():
    """{'train','val','test'} -> (uint8 images, int64 labels)."""
    x, y = load_raw('train')
    train_idx, val_idx = split_indices()
    test_x, test_y = load_raw('t10k')
    return {'train': (x[train_idx], y[train_idx]), 'val': (x[val_idx], y[val_idx]), 'test': (test_x, test_y)}


def write_test_inputs():
    """The raw test set for the TypeScript side: x uint8 [10000,28,28], labels int64 [10000]."""
    x, y = load_raw('t10k')
    np.savez_compressed(TEST_PATH, x=x, labels=y)


def preprocess(images: np.ndarray) -> torch.Tensor:
    """uint8 [N,28,28] -> float32 [N,1,28,28], exactly as recorded in model.json."""
    x = images.astype(np.float32) * np.float32(SCALE)
    x = (x - np.float32(MEAN)) / np.float32(STD)
    return torch.from_numpy(x[:, None, :, :].copy())


def augment(batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Light augmentation: random crop with 2 px padding and random horizontal flip."""
    n = batch.shape[0]
    padded = torch.nn.functional.pad(batch, (2, 2, 2, 2), value=float(-MEAN / STD))
    dy = torch.randint(0, 5, (n,), generator=generator)
    dx = torch.randint(0, 5, (n,), generator=generator)
    rows = (dy[:, None] + torch.arange(28))[:, :, None]
    cols = (dx[:, None] + torch.arange(28))[:, None, :]
    flip = torch.rand(n, generator=generator) < 0.5
    cols = torch.where(flip[:, None, None], cols.flip(-1), cols)
    out = padded[torch.arange(n)[:, None, None], 0, rows, cols]
    return out[:, None]
