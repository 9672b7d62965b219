import { InvalidArgumentError, type Tensor, UnsupportedModelError } from '@pcee/core';
import {
  ancestorNodes,
  type CutPoint,
  countFlops,
  type GraftedExit,
  type GraphIndex,
  graftExitHeads,
  indexGraph,
  isFloatingDtype,
  listCutPoints,
  type ModelProto,
  type Pooling,
  pooledWidth,
  poolingFor,
  probeModel,
  spreadCutPoints,
  type TensorType,
} from '@pcee/onnx';
import { ortProbeRunner } from '@pcee/runtime-node';
import { extractFeatures } from './extract-features.js';
import type { HeadKind } from './head-gradient-model.js';
import { checkLabels, validationSplit } from './labels.js';
import { trainHead } from './train-head.js';

/** Options of `attachExits`. */
export interface AttachOptions {
  /** Number of exits spread over the cost (default 4), unless `at` names them. */
  readonly exits?: number;
  /** Cut-point tensors to attach heads to, in depth order. */
  readonly at?: readonly string[];
  /** Head kind (default `linear`: multinomial logistic regression). */
  readonly head?: HeadKind;
  /** Hidden units of an `mlp` head (default 128). */
  readonly hidden?: number;
  /** Concatenate global max pooling to global average pooling on conv maps. */
  readonly maxPool?: boolean;
  /** Token states: the class token, or the mean over (unmasked) tokens (default). */
  readonly tokens?: 'class-token' | 'mean';
  /** The `[batch, T]` mask input for token means (default: an integer input named like `*mask*`). */
  readonly mask?: string;
  /** Share of each class held out for validation (default 0.1). */
  readonly validationFraction?: number;
  /** Seed of the validation split and MLP initialisation (default 0). */
  readonly seed?: number;
  /** Samples per feature-extraction batch (default 256). */
  readonly batch?: number;
  /** The classifier output (default: the model's last output). */
  readonly output?: string;
  /** Names the model and data in errors (e.g. the file names). */
  readonly source?: string;
  readonly dataSource?: string;
  /** Progress of the long phases. */
  readonly onProgress?: (phase: 'features' | 'heads', done: number, total: number) => void;
}

/** One attached exit. */
export interface AttachedExit {
  readonly tensor: string;
  readonly pooling: Pooling;
  /** Pooled feature width. */
  readonly width: number;
  /** Backbone FLOPs per sample up to the tensor, and their share of the whole model's, in [0, 1]. */
  readonly flops: number;
  readonly share: number;
  /** FLOPs per sample of the head (its matrix products). */
  readonly headFlops: number;
  readonly trainAccuracy: number;
  readonly validationAccuracy: number;
  readonly regularization: number;
  readonly iterations: number;
  /** Seconds to train the head. */
  readonly seconds: number;
}

/** What `attachExits` made. */
export interface AttachResult {
  /** The multi-exit model: outputs `exit_0 … exit_{k-1}`, then the original output. */
  readonly model: ModelProto;
  readonly exits: readonly AttachedExit[];
  readonly output: string;
  readonly classes: number;
  /** FLOPs per sample of the original model. */
  readonly modelFlops: number;
  readonly trainSamples: number;
  readonly validationSamples: number;
  /** Wall seconds of each phase. */
  readonly seconds: { readonly probe: number; readonly features: number; readonly heads: number };
}

/**
 * Turns a classifier without exits into a multi-exit model: finds its cut points, picks
 * `exits` of them spread over the FLOPs (or the `at` tensors), extracts pooled features of
 * the labelled `inputs` on onnxruntime, trains one head per point on frozen features
 * (`trainHead`: L-BFGS, λ and early stopping on a stratified validation part) and grafts the
 * heads onto the graph as ONNX nodes. Deterministic for fixed options.
 *
 * @throws InvalidArgumentError for an output that is not `[batch, classes]` logits, a tensor
 *   name that does not exist or is not a cut point; InvalidInputError for bad labels;
 *   UnsupportedModelError for a static batch axis.
 */
export async function attachExits(
  model: ModelProto,
  inputs: ReadonlyMap<string, Tensor>,
  labels: Tensor,
  options: AttachOptions = {},
): Promise<AttachResult> {
  const source = options.source ?? 'the model';
  let started = performance.now();
  const probe = await probeModel(model, ortProbeRunner, source);
  const index = indexGraph(model, source);
  const output = options.output ?? index.graph.output.at(-1)?.name ?? '';
  const classes = classCount(output, probe.types.get(output), source);
  const points = listCutPoints(model, output, probe.types, probe.shapes);
  const modelFlops = countFlops(index, ancestorNodes(index, [output]), probe.shapes);
  const chosen = options.at
    ? namedPoints(options.at, points, index, source)
    : spreadCutPoints(usable(points), options.exits ?? 4);
  const mask =
    options.mask ??
    probe.inputs.find((input) => /mask/i.test(input.name) && !isFloatingDtype(input.dtype))?.name;
  const exits = chosen.map((point) => {
    const pooling = poolingFor(point.name, point.type, {
      maxPool: options.maxPool,
      tokens: options.tokens,
      mask,
    });
    return {
      point,
      pooling,
      width: pooledWidth(point.name, point.type, pooling),
      mask: pooling === 'masked-mean' ? mask : undefined,
    };
  });
  const probeSeconds = (performance.now() - started) / 1000;

  const checked = checkLabels(labels, classes, options.dataSource ?? 'the labels');
  const samples = [...inputs.values()][0]?.shape[0] ?? 0;
  if (checked.length !== samples) {
    throw new InvalidArgumentError(
      `${options.dataSource ?? 'the data'} has ${checked.length} labels but ${samples} samples; save one label per sample`,
    );
  }
  const split = validationSplit(checked, classes, options.validationFraction ?? 0.1, options.seed ?? 0);

  started = performance.now();
  const features = await extractFeatures(
    model,
    exits.map((exit) => ({ tensor: exit.point.name, pooling: exit.pooling, mask: exit.mask })),
    probe.types,
    inputs,
    exits.map((exit) => exit.width),
    { batch: options.batch, onProgress: (done, total) => options.onProgress?.('features', done, total) },
  );
  const featureSeconds = (performance.now() - started) / 1000;

  started = performance.now();
  const attached: AttachedExit[] = [];
  const grafted: GraftedExit[] = [];
  for (const [k, exit] of exits.entries()) {
    options.onProgress?.('heads', k, exits.length);
    const trained = await trainHead(features[k]!, exit.width, checked, split, classes, {
      kind: options.head ?? 'linear',
      hidden: options.hidden,
      seed: (options.seed ?? 0) + k,
    });
    // Free each exit's features once its head is trained.
    features[k] = new Float32Array(0);
    const hidden = trained.head.kind === 'mlp' ? trained.head.bias1.length : 0;
    attached.push({
      tensor: exit.point.name,
      pooling: exit.pooling,
      width: exit.width,
      flops: exit.point.flops,
      share: exit.point.share,
      headFlops: hidden > 0 ? 2 * (exit.width * hidden + hidden * classes) : 2 * exit.width * classes,
      trainAccuracy: trained.trainAccuracy,
      validationAccuracy: trained.validationAccuracy,
      regularization: trained.regularization,
      iterations: trained.iterations,
      seconds: trained.seconds,
    });
    grafted.push({ tensor: exit.point.name, pooling: exit.pooling, mask: exit.mask, head: trained.head });
  }
  options.onProgress?.('heads', exits.length, exits.length);
  const headSeconds = (performance.now() - started) / 1000;
  return {
    model: graftExitHeads(model, grafted, probe.types, classes),
    exits: attached,
    output,
    classes,
    modelFlops,
    trainSamples: split.train.length,
    validationSamples: split.validation.length,
    seconds: { probe: probeSeconds, features: featureSeconds, heads: headSeconds },
  };
}

/** Points a head can read: strictly inside the model, with a fixed feature width. */
function usable(points: readonly CutPoint[]): CutPoint[] {
  return points.filter((point) => {
    const size = point.type.shape?.[point.type.shape.length === 4 ? 1 : point.type.shape.length - 1];
    return typeof size === 'number' && point.share > 0 && point.share < 1;
  });
}

function classCount(output: string, type: TensorType | undefined, source: string): number {
  const shape = type?.shape;
  if (
    !type ||
    !shape ||
    !isFloatingDtype(type.dtype) ||
    shape.length !== 2 ||
    typeof shape[0] !== 'string' ||
    typeof shape[1] !== 'number' ||
    shape[1] < 2
  ) {
    throw new UnsupportedModelError(
      `output "${output}" of ${source} is ${type ? `${type.dtype} [${shape?.join(', ') ?? '?'}]` : 'of unknown type'}, not logits [batch, classes]; export the classifier's logits as its output (e.g. return model(x).logits), or name the logits output with --output`,
    );
  }
  return shape[1];
}

function namedPoints(
  names: readonly string[],
  points: readonly CutPoint[],
  index: GraphIndex,
  source: string,
): CutPoint[] {
  const hint = (list: readonly CutPoint[]) =>
    `${list
      .slice(0, 6)
      .map((point) => `${point.name} (${(100 * point.share).toFixed(0)} %)`)
      .join(', ')}${list.length > 6 ? ', …' : ''}; see all with: pcee inspect`;
  return names.map((name) => {
    const point = points.find((candidate) => candidate.name === name);
    if (point) return point;
    if (!index.producer.has(name) && !index.inputNames.has(name)) {
      throw new InvalidArgumentError(
        `--at: ${source} has no tensor "${name}"; cut points are: ${hint(usable(points))}`,
      );
    }
    throw new InvalidArgumentError(
      `--at: tensor "${name}" is not a cut point of ${source} (later nodes also read tensors computed before it, e.g. a skip connection, or it is not a [batch, …] float tensor); choose one of: ${hint(usable(points))}`,
    );
  });
}
