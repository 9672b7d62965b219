import type { Tensor } from '@pcee/core';
import type { OnnxDtype } from './dtypes.js';
import { type ModelInput, modelInputs } from './model-inputs.js';
import { writeModel } from './model-io.js';
import type { ModelProto } from './onnx-proto.js';
import { type ProbeRun, probeSymbolSizes, probeTensorTypes, withIntermediateOutputs } from './probe.js';
import { indexLimits, randomInputs } from './random-inputs.js';
import type { TensorType } from './tensor-types.js';

/** What a backend reports of one run's outputs: dtype and dims by output name. */
export type ProbeOutputs = ReadonlyMap<
  string,
  { readonly dtype: OnnxDtype; readonly dims: readonly number[] }
>;

/**
 * Runs an encoded model on inputs and reports every output's dtype and dims; the one
 * backend-specific piece of probing (onnxruntime-node in the CLI, onnxruntime-web in a browser).
 * Run it with graph optimizations off: they fuse nodes whose outputs the probe fetches, and
 * onnxruntime 1.30 crashes fetching a `Range` output with them on.
 */
export type ProbeRunner = (model: Uint8Array, feeds: ReadonlyMap<string, Tensor>) => Promise<ProbeOutputs>;

/** The result of `probeModel`. */
export interface ModelProbe {
  readonly inputs: readonly ModelInput[];
  /** Every tensor's dtype and shape with symbolic dimensions (`"batch"`, `"sequence"`, …). */
  readonly types: Map<string, TensorType>;
  /** Every tensor's concrete shape for a batch of 1 (FLOP counting). */
  readonly shapes: Map<string, readonly number[]>;
  /** The two runs' symbol sizes. */
  readonly symbols: readonly [Record<string, number>, Record<string, number>];
}

/**
 * Learns every tensor's dtype and shape by running the model twice with every intermediate
 * tensor fetched, on random inputs of two sizes (batch 1 and 2, other symbolic dimensions
 * small; see `probeSymbolSizes`): no shape inference of our own, the backend's kernels decide.
 */
export async function probeModel(
  model: ModelProto,
  run: ProbeRunner,
  source = 'the model',
): Promise<ModelProbe> {
  const inputs = modelInputs(model, source);
  const symbols = probeSymbolSizes(inputs);
  const limits = indexLimits(model);
  const bytes = writeModel(withIntermediateOutputs(model), source);
  const runs: ProbeRun[] = [];
  for (const [k, sizes] of symbols.entries()) {
    const feeds = randomInputs(inputs, sizes, limits, k + 1);
    const outputs = new Map(await run(bytes, feeds));
    for (const [name, tensor] of feeds)
      outputs.set(name, { dtype: tensor.dtype as OnnxDtype, dims: tensor.shape });
    runs.push({ symbols: sizes, tensors: outputs });
  }
  const types = probeTensorTypes(runs[0]!, runs[1]!);
  const shapes = new Map([...runs[0]!.tensors].map(([name, tensor]) => [name, tensor.dims]));
  return { inputs, types, shapes, symbols };
}
