import { createTensor, seededRandom, type Tensor } from '@pcee/core';
import type { ExitHead } from '@pcee/onnx';
import { createCpuSession, runSession } from '@pcee/runtime-node';
import { type HeadKind, headGradientModel, headParameterShapes } from './head-gradient-model.js';
import type { ValidationSplit } from './labels.js';
import { minimizeLbfgs } from './lbfgs.js';

/** Options of `trainHead`. */
export interface TrainHeadOptions {
  readonly kind: HeadKind;
  /** Hidden units of an `mlp` head (default 128). */
  readonly hidden?: number;
  /** Seed of the MLP's initial weights (a linear head starts from zero). */
  readonly seed?: number;
  /**
   * L2 strengths λ to try, strongest first (each run starts where the previous one stopped);
   * the one with the best validation accuracy wins. Default 1e-2, 1e-3, 1e-4 (linear) or
   * 1e-3, 1e-4 (mlp).
   */
  readonly regularization?: readonly number[];
  /** L-BFGS iterations at most per λ (default 150 linear, 200 mlp). */
  readonly iterations?: number;
  /** onnxruntime threads for the matrix work (fixed, so training is deterministic; default 2). */
  readonly threads?: number;
}

/** A trained head and how it was chosen. */
export interface TrainedHead {
  /** The head on the raw pooled features (standardisation folded into its first layer). */
  readonly head: ExitHead;
  /** The L2 strength that won on validation. */
  readonly regularization: number;
  /** L-BFGS iterations of the kept weights (early stopping at the best validation accuracy). */
  readonly iterations: number;
  /** Accuracies in [0, 1] on the training and the validation part. */
  readonly trainAccuracy: number;
  readonly validationAccuracy: number;
  /** Wall time in seconds. */
  readonly seconds: number;
}

/** Validation accuracy is checked every this many iterations (early stopping). */
const CHECK_EVERY = 5;
/** Stop a λ after this many checks without a better validation accuracy. */
const PATIENCE = 4;

/**
 * Trains one exit head on pooled features `[N, width]` (row-major) by full-batch L-BFGS on the
 * mean cross-entropy plus (λ/2)·‖weights‖² (biases are not penalised), choosing λ and the
 * stopping iteration by accuracy on `split.validation`. Features are standardised first (a
 * well-conditioned problem for L-BFGS) and the standardisation is folded into the returned
 * weights. The loss and gradient are one onnxruntime run (see `headGradientModel`).
 * Deterministic for a fixed `threads`.
 */
export async function trainHead(
  features: Float32Array,
  width: number,
  labels: Int32Array,
  split: ValidationSplit,
  classes: number,
  options: TrainHeadOptions,
): Promise<TrainedHead> {
  const started = performance.now();
  const kind = options.kind;
  const hidden = options.hidden ?? 128;
  const grid = options.regularization ?? (kind === 'linear' ? [1e-2, 1e-3, 1e-4] : [1e-3, 1e-4]);
  const iterations = options.iterations ?? (kind === 'linear' ? 150 : 200);
  const { mean, scale } = standardisation(features, width, split.train);
  const train = part(features, width, labels, split.train, classes, mean, scale);
  const validation = part(features, width, labels, split.validation, classes, mean, scale);
  const shapes = headParameterShapes(kind, width, classes, hidden);
  const sizes = shapes.shapes.map((shape) => shape.reduce((a, b) => a * b, 1));
  const offsets = sizes.map((_, k) => sizes.slice(0, k).reduce((a, b) => a + b, 0));
  const total = sizes.reduce((a, b) => a + b, 0);
  // Only weight matrices are penalised (names starting with "weight").
  const penalised = new Uint8Array(total);
  shapes.names.forEach((name, k) => {
    if (name.startsWith('weight')) penalised.fill(1, offsets[k]!, offsets[k]! + sizes[k]!);
  });
  const session = await createCpuSession(headGradientModel(kind, width, classes, hidden), {
    threads: options.threads ?? 2,
  });
  const feedsFor = (data: Part, point: Float64Array) => {
    const feeds = new Map<string, Tensor>([
      ['x', data.x],
      ['y', data.y],
      ['scale', createTensor('float32', [1], Float32Array.of(1 / data.count))],
    ]);
    shapes.names.forEach((name, k) => {
      const values = Float32Array.from(point.subarray(offsets[k]!, offsets[k]! + sizes[k]!));
      feeds.set(name, createTensor('float32', [...shapes.shapes[k]!], values));
    });
    return feeds;
  };
  const accuracyAt = async (data: Part, point: Float64Array) => {
    const outputs = await runSession(session, feedsFor(data, point));
    return accuracy(outputs.get('logits')!.data as Float32Array, data.labels, classes);
  };
  try {
    let point = initialPoint(kind, shapes.shapes, sizes, total, options.seed ?? 0);
    let best = { accuracy: -1, point, regularization: grid[0]!, iterations: 0 };
    for (const regularization of grid) {
      const objective = async (at: Float64Array, gradient: Float64Array) => {
        const outputs = await runSession(session, feedsFor(train, at));
        let loss = (outputs.get('loss')!.data as Float32Array)[0]!;
        shapes.names.forEach((name, k) => {
          const values = outputs.get(`grad_${name}`)!.data as Float32Array;
          for (let i = 0; i < values.length; i++) gradient[offsets[k]! + i] = values[i]!;
        });
        for (let i = 0; i < total; i++) {
          if (!penalised[i]) continue;
          loss += 0.5 * regularization * at[i]! * at[i]!;
          gradient[i]! += regularization * at[i]!;
        }
        return loss;
      };
      let sinceBetter = 0;
      const result = await minimizeLbfgs(objective, point, {
        iterations,
        onIteration: async (iteration, at) => {
          if (iteration % CHECK_EVERY !== 0) return true;
          const score = await accuracyAt(validation, at);
          if (score > best.accuracy) {
            best = { accuracy: score, point: Float64Array.from(at), regularization, iterations: iteration };
            sinceBetter = 0;
          } else sinceBetter++;
          return sinceBetter < PATIENCE;
        },
      });
      const score = await accuracyAt(validation, result.point);
      if (score > best.accuracy)
        best = { accuracy: score, point: result.point, regularization, iterations: result.iterations };
      point = result.point;
    }
    const trainAccuracy = await accuracyAt(train, best.point);
    return {
      head: foldStandardisation(kind, best.point, offsets, sizes, width, classes, hidden, mean, scale),
      regularization: best.regularization,
      iterations: best.iterations,
      trainAccuracy,
      validationAccuracy: best.accuracy,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await session.release();
  }
}

interface Part {
  readonly x: Tensor;
  readonly y: Tensor;
  readonly labels: Int32Array;
  readonly count: number;
}

/** Per-feature mean and 1/std over the training rows (float64; constant features get scale 1). */
function standardisation(features: Float32Array, width: number, rows: Int32Array) {
  const mean = new Float64Array(width);
  const square = new Float64Array(width);
  for (const row of rows) {
    const offset = row * width;
    for (let d = 0; d < width; d++) {
      const value = features[offset + d]!;
      mean[d]! += value;
      square[d]! += value * value;
    }
  }
  const scale = new Float64Array(width);
  for (let d = 0; d < width; d++) {
    mean[d]! /= rows.length;
    const variance = square[d]! / rows.length - mean[d]! * mean[d]!;
    scale[d] = variance > 1e-12 ? 1 / Math.sqrt(variance) : 1;
  }
  return { mean, scale };
}

function part(
  features: Float32Array,
  width: number,
  labels: Int32Array,
  rows: Int32Array,
  classes: number,
  mean: Float64Array,
  scale: Float64Array,
): Part {
  const x = new Float32Array(rows.length * width);
  const y = new Float32Array(rows.length * classes);
  const picked = new Int32Array(rows.length);
  rows.forEach((row, i) => {
    for (let d = 0; d < width; d++) x[i * width + d] = (features[row * width + d]! - mean[d]!) * scale[d]!;
    y[i * classes + labels[row]!] = 1;
    picked[i] = labels[row]!;
  });
  return {
    x: createTensor('float32', [rows.length, width], x),
    y: createTensor('float32', [rows.length, classes], y),
    labels: picked,
    count: rows.length,
  };
}

/** Zero for a linear head (the problem is convex); seeded He-scaled normals for an MLP's weights. */
function initialPoint(
  kind: HeadKind,
  shapes: readonly (readonly number[])[],
  sizes: readonly number[],
  total: number,
  seed: number,
): Float64Array {
  const point = new Float64Array(total);
  if (kind === 'linear') return point;
  const random = seededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  let offset = 0;
  shapes.forEach((shape, k) => {
    if (shape.length === 2) {
      const deviation = Math.sqrt(2 / shape[0]!);
      for (let i = 0; i < sizes[k]!; i++) point[offset + i] = normal() * deviation;
    }
    offset += sizes[k]!;
  });
  return point;
}

/** Rewrites the first layer for raw features: W' = diag(scale)·W, b' = b − (mean·scale)ᵀW. */
function foldStandardisation(
  kind: HeadKind,
  point: Float64Array,
  offsets: readonly number[],
  sizes: readonly number[],
  width: number,
  classes: number,
  hidden: number,
  mean: Float64Array,
  scale: Float64Array,
): ExitHead {
  const outputs = kind === 'linear' ? classes : hidden;
  const weight = point.subarray(offsets[0]!, offsets[0]! + sizes[0]!);
  const bias = point.subarray(offsets[1]!, offsets[1]! + sizes[1]!);
  const foldedWeight = new Float32Array(width * outputs);
  const foldedBias = new Float64Array(bias);
  for (let d = 0; d < width; d++) {
    for (let j = 0; j < outputs; j++) {
      const w = weight[d * outputs + j]! * scale[d]!;
      foldedWeight[d * outputs + j] = w;
      foldedBias[j]! -= mean[d]! * w;
    }
  }
  if (kind === 'linear') return { kind, weight: foldedWeight, bias: Float32Array.from(foldedBias) };
  return {
    kind,
    weight1: foldedWeight,
    bias1: Float32Array.from(foldedBias),
    weight2: Float32Array.from(point.subarray(offsets[2]!, offsets[2]! + sizes[2]!)),
    bias2: Float32Array.from(point.subarray(offsets[3]!, offsets[3]! + sizes[3]!)),
  };
}

/** Share of rows whose largest logit is the label's (first on ties). */
export function accuracy(logits: Float32Array, labels: Int32Array, classes: number): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c]! > logits[i * classes + best]!) best = c;
    if (best === labels[i]) correct++;
  }
  return labels.length === 0 ? 0 : correct / labels.length;
}
