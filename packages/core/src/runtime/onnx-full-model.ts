import { InvalidManifestError, RuntimeFailureError } from '../errors/index.js';
import type { FullModelSpec, ModelManifest } from '../model/index.js';
import { type Float32StageTensor, isStageTensor, type StageTensor, type TensorMap } from '../model/index.js';
import { bindFeeds, outputLogits } from './onnx-bindings.js';
import type { OnnxSession } from './onnx-session.js';
import type { OnnxBackend } from './onnx-staged-model.js';
import type { DeviceName } from './runtime-spec.js';

/** The single-exit baseline (`full.onnx`: backbone + final head only) in one session. */
export interface FullModel {
  /** The device in use (after any fallback). */
  readonly device: DeviceName;
  /**
   * Logits `[N, classes]` (float32) for a preprocessed batch: the model inputs by name, or
   * a bare tensor for a one-input model.
   * @throws InvalidInputError for a missing input, or a dtype or dims the model does not take.
   */
  run(inputs: TensorMap | StageTensor): Promise<Float32StageTensor>;
  /** Releases the session; later runs reject. Idempotent. */
  dispose(): Promise<void>;
}

/**
 * The manifest's full-model entry.
 *
 * @throws InvalidManifestError when the package ships no full model.
 */
export function fullModelSpec(manifest: ModelManifest): FullModelSpec {
  if (!manifest.full) {
    throw new InvalidManifestError(
      `model "${manifest.id}" ships no full model ("full" in model.json); export full.onnx to compare against it`,
    );
  }
  return manifest.full;
}

/**
 * `full.onnx` in one onnxruntime session, shared by the Node and web adapters: the baseline
 * that early exit is measured against, run through the same backend.
 */
export class OnnxFullModel<Session extends OnnxSession> implements FullModel {
  private disposed = false;
  private readonly spec: FullModelSpec;
  private readonly what: string;

  constructor(
    manifest: ModelManifest,
    readonly device: DeviceName,
    private readonly session: Session,
    private readonly backend: OnnxBackend<Session>,
  ) {
    this.spec = fullModelSpec(manifest);
    this.what = `${this.spec.file} of model "${manifest.id}" on ${device}`;
  }

  /** Logits for a preprocessed batch; a bound function, so `const { run } = model` works. */
  readonly run = async (inputs: TensorMap | StageTensor): Promise<Float32StageTensor> => {
    const { session, spec, what } = this;
    if (this.disposed) throw new RuntimeFailureError(`${what} was disposed; load it again to run it`);
    const named = isStageTensor(inputs) ? { [spec.inputs[0]!.name]: inputs } : inputs;
    const feeds = bindFeeds(session, spec.inputs, named, this.backend.createTensor, what);
    const outputs = await this.backend.run(session, feeds, what);
    return outputLogits(outputs[spec.output], spec.output, what);
  };

  /** Releases the session; later runs reject. Idempotent and bound. */
  readonly dispose = async (): Promise<void> => {
    if (this.disposed) return;
    this.disposed = true;
    await this.session.release();
  };
}
