import { InvalidArgumentError, InvalidManifestError, RuntimeFailureError } from '../errors/index.js';
import type { ModelManifest, StageSpec, StageTensor, TensorMap } from '../model/index.js';
import { bindFeeds, outputLogits, outputTensor } from './onnx-bindings.js';
import type { OnnxOutput, OnnxSession } from './onnx-session.js';
import type { DeviceName, StagedModel, StageOutput } from './runtime-spec.js';

/** What an adapter supplies to drive its onnxruntime flavour. */
export interface OnnxBackend<Session extends OnnxSession> {
  /** Wraps a tensor (any stage dtype) in the backend's tensor type, without copying. */
  createTensor(tensor: StageTensor): unknown;
  /**
   * Runs a session (e.g. through a queue), mapping backend failures to `RuntimeFailureError`
   * about `what`.
   */
  run(session: Session, feeds: Record<string, unknown>, what: string): Promise<Record<string, OnnxOutput>>;
}

/**
 * A multi-exit model loaded as one onnxruntime session per stage, shared by the Node and
 * web adapters so both check inputs, name errors and dispose identically.
 *
 * Concurrency: each call owns its input and output tensors; `dispose` waits for runs in
 * flight before releasing the sessions.
 */
export class OnnxStagedModel<Session extends OnnxSession> implements StagedModel {
  readonly stages: number;
  private disposed = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  /**
   * @throws InvalidManifestError when a stage's ONNX graph lacks the input or outputs the
   *   manifest names.
   */
  constructor(
    readonly manifest: ModelManifest,
    readonly device: DeviceName,
    private readonly sessions: readonly Session[],
    private readonly backend: OnnxBackend<Session>,
  ) {
    this.stages = sessions.length;
    sessions.forEach((session, index) => {
      checkStageNames(manifest, manifest.stages[index]!, session);
    });
  }

  /**
   * Runs stage `index` on a batch of N ≥ 1 samples: `inputs` holds every tensor the stage
   * consumes, by package name. Resolves to its logits `[N, classes]` (float32) and the
   * tensors it produces for later stages.
   *
   * @throws InvalidArgumentError for an index outside `[0, stages)`.
   * @throws InvalidInputError for a missing tensor, or a dtype or dims the stage does not take.
   * @throws RuntimeFailureError after `dispose`, or when the backend fails.
   */
  runStage(index: number, inputs: TensorMap): Promise<StageOutput> {
    if (this.disposed) {
      return Promise.reject(
        new RuntimeFailureError(`model "${this.manifest.id}" was disposed; load it again to run it`),
      );
    }
    const run = this.runChecked(index, inputs);
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

  private async runChecked(index: number, inputs: TensorMap): Promise<StageOutput> {
    if (!Number.isInteger(index) || index < 0 || index >= this.stages) {
      throw new InvalidArgumentError(
        `stage ${index} does not exist: model "${this.manifest.id}" has stages 0…${this.stages - 1}`,
      );
    }
    const spec = this.manifest.stages[index]!;
    const session = this.sessions[index]!;
    const what = `stage ${index} (${spec.file}) of model "${this.manifest.id}" on ${this.device}`;
    const feeds = bindFeeds(session, spec.consumes, inputs, this.backend.createTensor, what);
    const outputs = await this.backend.run(session, feeds, what);
    const tensors: Record<string, StageTensor> = {};
    for (const { name, onnxName } of spec.produces)
      tensors[name] = outputTensor(outputs[onnxName], onnxName, what);
    return { logits: outputLogits(outputs[spec.logits], spec.logits, what), tensors };
  }
}

/** The manifest's input/output names must exist in the ONNX graph; say which one is off. */
function checkStageNames(manifest: ModelManifest, spec: StageSpec, session: OnnxSession): void {
  const missing = [
    ...spec.consumes
      .filter(({ onnxName }) => !session.inputNames.includes(onnxName))
      .map(({ onnxName }) => `input "${onnxName}"`),
    ...[spec.logits, ...spec.produces.map(({ onnxName }) => onnxName)]
      .filter((name) => !session.outputNames.includes(name))
      .map((name) => `output "${name}"`),
  ];
  if (missing.length > 0) {
    throw new InvalidManifestError(
      `${spec.file} of model "${manifest.id}" has no ${missing.join(' or ')} (its inputs: ${session.inputNames.join(', ')}; outputs: ${session.outputNames.join(', ')}); fix the names in model.json or re-export`,
    );
  }
}
