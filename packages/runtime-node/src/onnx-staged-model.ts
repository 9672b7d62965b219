import {
  InvalidArgumentError,
  InvalidManifestError,
  type ModelManifest,
  RuntimeFailureError,
  type StagedModel,
  type StageOutput,
  type StageSpec,
  type StageTensor,
} from '@pcee/core';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { NodeDevice } from './device-probe.js';
import { checkInput } from './input-check.js';
import { runSession } from './onnx-session.js';
import type { Ort } from './onnxruntime-loader.js';

/**
 * A multi-exit model loaded as one onnxruntime session per stage.
 *
 * Concurrency: onnxruntime-node runs a session synchronously on the JS thread (after one
 * `setImmediate`), so concurrent `runStage` calls interleave between stages but never
 * overlap inside onnxruntime; each call owns its input and output tensors.
 */
export class OnnxStagedModel implements StagedModel {
  readonly stages: number;
  private disposed = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly ort: Ort,
    readonly manifest: ModelManifest,
    readonly device: NodeDevice,
    private readonly sessions: InferenceSession[],
  ) {
    this.stages = sessions.length;
    sessions.forEach((session, index) => {
      checkStageNames(manifest, manifest.stages[index]!, session);
    });
  }

  /**
   * Runs stage `index` on a batch `[N, …]` (N ≥ 1): the preprocessed input for stage 0,
   * the previous stage's features after. Resolves to its features (all but the last stage)
   * and logits `[N, classes]`, both float32.
   *
   * @throws InvalidArgumentError for an index outside `[0, stages)`.
   * @throws InvalidInputError for data that is not float32 or dims the stage does not take.
   * @throws RuntimeFailureError after `dispose`, or when onnxruntime fails.
   */
  runStage(index: number, input: StageTensor): Promise<StageOutput> {
    if (this.disposed) {
      return Promise.reject(
        new RuntimeFailureError(`model "${this.manifest.id}" was disposed; load it again to run it`),
      );
    }
    const run = this.runChecked(index, input);
    this.inFlight.add(run);
    const forget = () => this.inFlight.delete(run);
    run.then(forget, forget);
    return run;
  }

  /** Releases every session once the runs in flight have settled; later runs reject. Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.allSettled([...this.inFlight]);
    await Promise.allSettled(this.sessions.map((session) => session.release()));
  }

  private async runChecked(index: number, input: StageTensor): Promise<StageOutput> {
    if (!Number.isInteger(index) || index < 0 || index >= this.stages) {
      throw new InvalidArgumentError(
        `stage ${index} does not exist: model "${this.manifest.id}" has stages 0…${this.stages - 1}`,
      );
    }
    const spec = this.manifest.stages[index]!;
    const session = this.sessions[index]!;
    const what = `stage ${index} (${spec.file}) of model "${this.manifest.id}"`;
    checkInput(input, session.inputMetadata[session.inputNames.indexOf(spec.input)], what);
    const feed = new this.ort.Tensor('float32', input.data, [...input.dims]);
    const outputs = await runSession(session, { [spec.input]: feed }, what);
    const logits = toStageTensor(outputs[spec.outputs.logits]);
    const featuresName = index < this.stages - 1 ? spec.outputs.features : undefined;
    return featuresName ? { features: toStageTensor(outputs[featuresName]), logits } : { logits };
  }
}

function toStageTensor(tensor: Tensor | undefined): StageTensor {
  return { data: tensor!.data as Float32Array, dims: tensor!.dims };
}

/** The manifest's input/output names must exist in the ONNX graph; say which one is off. */
function checkStageNames(manifest: ModelManifest, spec: StageSpec, session: InferenceSession): void {
  const expected = [spec.outputs.logits, ...(spec.outputs.features ? [spec.outputs.features] : [])];
  const missing = [
    ...(session.inputNames.includes(spec.input) ? [] : [`input "${spec.input}"`]),
    ...expected.filter((name) => !session.outputNames.includes(name)).map((name) => `output "${name}"`),
  ];
  if (missing.length > 0) {
    throw new InvalidManifestError(
      `${spec.file} of model "${manifest.id}" has no ${missing.join(' or ')} (its inputs: ${session.inputNames.join(', ')}; outputs: ${session.outputNames.join(', ')}); fix the names in model.json or re-export`,
    );
  }
}
