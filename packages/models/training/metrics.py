"""Accuracy and expected calibration error, as the PCEE charter defines them."""
import numpy as np

BINS = 15


def max_softmax(logits: np.ndarray) -> np.ndarray:
    """Max-softmax confidence over the last axis, computed stably in float64."""
    z = logits.astype(np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    p = np.exp(z)
    return (p / p.sum(axis=-1, keepdims=True)).max(axis=-1)


def accuracy_per_exit(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """logits [N, L, C], labels [N] -> accuracy per exit [L]."""
    return (logits.argmax(-1) == labels[:, None]).mean(axis=0)


def ece(confidence: np.ndarray, correct: np.ndarray, bins: int = BINS) -> float:
    """l1 ECE with `bins` equal-width bins; c falls in the largest k with k/B <= c (clamped to B-1)."""
    edges = np.arange(bins + 1, dtype=np.float64) / bins
    index = np.clip(np.searchsorted(edges, confidence, side='right') - 1, 0, bins - 1)
    total = 0.0
    for k in range(bins):
        mask = index == k
        if mask.any():
            total += abs(correct[mask].mean() - confidence[mask].mean()) * mask.sum()
    return float(total / len(confidence))


def ece_per_exit(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    correct = logits.argmax(-1) == labels[:, None]
    confidence = max_softmax(logits)
    return np.array([ece(confidence[:, l], correct[:, l]) for l in range(logits.shape[1])])
