"""Well-vectorised numpy reference for the core benchmark: the same calibrate + δ sweep work.

Usage (any python3 with numpy):
  numpy_reference.py traces.npz deltas_count
      load once, calibrate, sweep; prints one JSON line:
      {"calibrateSeconds": s, "sweepSeconds": s, "accuracyAtFirstDelta": a} (compute only)
  numpy_reference.py traces.npz deltas_count --step calibrate --profile profile.json
      what `pcee calibrate` does: load, score, count bins, write the counts as JSON
  numpy_reference.py traces.npz deltas_count --step evaluate --profile profile.json
      what `pcee evaluate --policy pcee` does: load traces and counts, score again, sweep
The end-to-end benchmark times whole processes, so interpreter start, import and np.load count.
"""
import json
import sys
import time

import numpy as np


def calibrate(logits, labels, bins):
    """Max-softmax confidence, argmax, correctness; per-exit bin counts (equal width)."""
    z = logits.astype(np.float64)
    z -= z.max(axis=2, keepdims=True)
    np.exp(z, out=z)
    confidence = 1.0 / z.sum(axis=2)
    prediction = logits.argmax(axis=2)
    correct = prediction == labels[:, None]
    bin_index = np.minimum((confidence * bins).astype(np.int64), bins - 1)
    exits = logits.shape[1]
    count = np.zeros((exits, bins))
    hits = np.zeros((exits, bins))
    for exit in range(exits):
        count[exit] = np.bincount(bin_index[:, exit], minlength=bins)
        hits[exit] = np.bincount(bin_index[:, exit], weights=correct[:, exit], minlength=bins)
    return confidence, correct, bin_index, count, hits


def sweep(correct, bin_index, count, hits, deltas, costs):
    """PCEE at each δ: exit at the first non-final exit whose bin accuracy ≥ δ."""
    samples, exits = correct.shape
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.where(count > 0, hits / count, -np.inf)
    # Per (sample, exit): the accuracy of the sample's bin.
    score = accuracy[np.arange(exits)[None, :], bin_index]
    score[:, -1] = np.inf
    rows = []
    for delta in deltas:
        exit_taken = np.argmax(score >= delta, axis=1)
        right = correct[np.arange(samples), exit_taken]
        rows.append((right.mean(), costs[exit_taken].mean(), np.bincount(exit_taken, minlength=exits)))
    return rows


def step(name, profile_path):
    """One step of the two-step pipeline, as the CLI splits it (one process per step)."""
    data = np.load(sys.argv[1])
    logits, labels = data["logits"], data["labels"]
    if name == "calibrate":
        _, _, _, count, hits = calibrate(logits, labels, 15)
        with open(profile_path, "w") as out:
            json.dump({"count": count.tolist(), "correct": hits.tolist()}, out)
        print(json.dumps({"samples": int(labels.shape[0])}))
        return
    with open(profile_path) as source:
        profile = json.load(source)
    count, hits = np.array(profile["count"]), np.array(profile["correct"])
    # Scoring again: evaluation needs each sample's bin and correctness at every exit.
    _, correct, bin_index, _, _ = calibrate(logits, labels, 15)
    deltas = np.linspace(0.5, 0.99, int(sys.argv[2]))
    rows = sweep(correct, bin_index, count, hits, deltas, np.arange(1, logits.shape[1] + 1, dtype=np.float64))
    print(json.dumps({"accuracyAtFirstDelta": float(rows[0][0])}))


def main():
    if "--step" in sys.argv:
        step(sys.argv[sys.argv.index("--step") + 1], sys.argv[sys.argv.index("--profile") + 1])
        return
    data = np.load(sys.argv[1])
    logits, labels = data["logits"], data["labels"]
    deltas = np.linspace(0.5, 0.99, int(sys.argv[2]))
    started = time.perf_counter()
    _, correct, bin_index, count, hits = calibrate(logits, labels, 15)
    calibrated = time.perf_counter()
    rows = sweep(correct, bin_index, count, hits, deltas, np.arange(1, logits.shape[1] + 1, dtype=np.float64))
    swept = time.perf_counter()
    print(json.dumps({
        "calibrateSeconds": calibrated - started,
        "sweepSeconds": swept - calibrated,
        "accuracyAtFirstDelta": float(rows[0][0]),
    }))


if __name__ == "__main__":
    main()
