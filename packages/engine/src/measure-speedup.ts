import {
  batchSizeOf,
  type CalibrationProfile,
  compilePolicy,
  type ExitScores,
  type FullModel,
  interleavedMedians,
  type LoadOptions,
  type ModelPackage,
  manifestCosts,
  predictWithFullModel,
  preprocessModelInputs,
  type RunResult,
  type Runtime,
  runEarlyExit,
  simulateExits,
  type Tensor,
} from '@pcee/core';
import { predictionAccuracy } from './prediction-accuracy.js';

/** Early exit at one δ, measured against full.onnx on the same images. */
export interface MeasuredDelta {
  readonly delta: number;
  /** Accuracy on the measured images, in [0, 1]. */
  readonly accuracy: number;
  /** Median wall time of an early-exit pass over all images, ms. */
  readonly milliseconds: number;
  /** full.onnx wall time / early-exit wall time on the same images and batch size. */
  readonly speedup: number;
  /** Images whose exit equals the one simulated from the test traces. */
  readonly exitsMatchingSimulation: number;
}

/** The measurement: full model first, then every δ. */
export interface SpeedupMeasurement {
  readonly images: number;
  readonly device: string;
  /** full.onnx accuracy on the images and median wall time of a pass, ms. */
  readonly fullModel: { readonly accuracy: number; readonly milliseconds: number };
  readonly deltas: readonly MeasuredDelta[];
}

/** What to measure: the model, its profile, raw test images with labels and their scores. */
export interface SpeedupInputs {
  readonly modelPackage: ModelPackage;
  readonly profile: CalibrationProfile;
  /** Raw inputs by name as the model package expects them (e.g. `x`: uint8 [N, 28, 28]), the first N of the test set. */
  readonly rawInputs: ReadonlyMap<string, Tensor>;
  readonly labels: Int32Array;
  /** Scores of the model's test traces: their first N rows are these images. */
  readonly testScores: ExitScores;
  readonly deltas: readonly number[];
  readonly batchSize: number;
  /** Timed rounds (one pass per configuration each); the median counts, as other processes disturb single runs. */
  readonly repetitions: number;
  /** The runtime to measure on (CPU), and how it loads the package's `full.onnx`. */
  readonly runtime: Runtime;
  readonly loadFull: (modelPackage: ModelPackage, load: LoadOptions) => Promise<FullModel>;
  /** Called after each pass (the warm-up round included) with passes done and the total. */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Runs real inference on the runtime's CPU: full.onnx and pcee early exit at each δ over the
 * same images and batch size, in interleaved rounds after an untimed warm-up round (core's
 * `interleavedMedians`); each configuration's median counts. Also checks that the runner's
 * exits equal the exits simulated from the test traces, which is what makes the simulated
 * accuracy/cost numbers trustworthy.
 */
export async function measureSpeedup(inputs: SpeedupInputs): Promise<SpeedupMeasurement> {
  const { modelPackage, profile, labels, deltas, batchSize, runtime } = inputs;
  const images = preprocessModelInputs(modelPackage.manifest, inputs.rawInputs);
  const count = batchSizeOf(images);
  const costs = manifestCosts(modelPackage.manifest);
  const full = await inputs.loadFull(modelPackage, { device: 'cpu' });
  const staged = await runtime.load(modelPackage, { device: 'cpu' }).catch(async (error) => {
    await full.dispose();
    throw error;
  });
  const policies = deltas.map((delta) => compilePolicy(profile, 'pcee', delta));
  const passes: (() => Promise<unknown>)[] = [
    () => predictWithFullModel(full.run, images, batchSize),
    ...policies.map(
      (policy) => () =>
        runEarlyExit(staged, images, { policy, confidence: profile.confidence, costs, batchSize }),
    ),
  ];
  const rounds = Math.max(1, inputs.repetitions);
  const total = (rounds + 1) * passes.length;
  let done = 0;
  try {
    const [fullRun, ...runs] = await interleavedMedians(rounds, passes, () =>
      inputs.onProgress?.(++done, total),
    );
    const fullMilliseconds = fullRun!.medianMs;
    const measured = deltas.map((delta, index): MeasuredDelta => {
      const result = runs[index]!.value as RunResult;
      const simulated = simulateExits(inputs.testScores, policies[index]!);
      let matching = 0;
      for (let n = 0; n < count; n++) if (result.exit[n] === simulated[n]) matching++;
      const milliseconds = runs[index]!.medianMs;
      return {
        delta,
        accuracy: predictionAccuracy(result.prediction, labels),
        milliseconds,
        speedup: fullMilliseconds / milliseconds,
        exitsMatchingSimulation: matching,
      };
    });
    return {
      images: count,
      device: staged.device,
      fullModel: {
        accuracy: predictionAccuracy(fullRun!.value as Int32Array, labels),
        milliseconds: fullMilliseconds,
      },
      deltas: measured,
    };
  } finally {
    await Promise.allSettled([full.dispose(), staged.dispose()]);
  }
}
