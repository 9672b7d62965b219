import type { CalibrationProfile } from '../calibration/index.js';
import { calibrate, scoreExits, type ThresholdPolicyName } from '../calibration/index.js';
import { PceeError } from '../errors/index.js';
import {
  batchSizeOf,
  isStageTensor,
  manifestCosts,
  modelFingerprint,
  type StageTensor,
  sliceTensorMap,
  type TensorMap,
} from '../model/index.js';
import {
  type CompiledPolicy,
  compilePolicy,
  type PolicyEvaluation,
  simulateAbstentions,
  simulateExits,
} from '../policy/index.js';
import { runEarlyExit, traceModel } from '../runner/index.js';
import type { LoadOptions, ModelPackage, Runtime, StagedModel } from '../runtime/index.js';
import { createTraces, type Traces } from '../traces/index.js';

export type { PolicyEvaluation };

/** What the suite runs against: a backend and one model package with reference data. */
export interface ConformanceSubject {
  /** The adapter under test. */
  readonly runtime: Runtime;
  /** Options for `load` (device, threads). */
  readonly loadOptions?: LoadOptions;
  /** The model package. */
  readonly model: ModelPackage;
  /**
   * Preprocessed model inputs of the reference samples, by input name (batch first); a bare
   * tensor for a one-input model.
   */
  readonly inputs: TensorMap | StageTensor;
  /** The package's shipped traces for those same samples (e.g. test.npz), in the same order. */
  readonly referenceTraces: Traces;
  /** Validation traces to calibrate the policies with (default: the reference traces). */
  readonly calibrationTraces?: Traces;
  /** Samples to check (default 128, capped by the inputs). */
  readonly samples?: number;
  /** Largest absolute logit difference accepted (default 1e-4). */
  readonly tolerance?: number;
  /** Thresholds to check (default 0.5, 0.8, 0.9, 0.95, 0.99). */
  readonly deltas?: readonly number[];
  /** Batch sizes to check (default 1, 7, 64). */
  readonly batchSizes?: readonly number[];
}

/** One named check; `run` throws an Error describing the first violation. */
export interface ConformanceCase {
  readonly name: string;
  run(): Promise<void>;
}

/**
 * The conformance suite every runtime adapter runs against its own backend. It returns
 * plain cases (no test framework inside), so an adapter wraps them in `it.each` under
 * vitest or loops over them in a browser page:
 *
 * ```ts
 * const cases = conformanceCases({ runtime, model, inputs, referenceTraces });
 * it.each(cases.map((c) => [c.name, c]))('%s', (_, c) => c.run());
 * ```
 *
 * Checks: capabilities are plain data; traced logits equal the shipped traces; early-exit
 * runs take exactly the exits and predictions of the policy simulated on the shipped traces
 * (for several policies, δ and batch sizes 1, 7, 64); concurrent runs on one loaded model
 * agree with sequential ones; dispose is clean and idempotent.
 */
export function conformanceCases(subject: ConformanceSubject): ConformanceCase[] {
  const named = namedInputs(subject);
  const count = Math.min(subject.samples ?? 128, batchSizeOf(named), subject.referenceTraces.samples);
  const inputs = sliceTensorMap(named, 0, count);
  const reference = firstSamples(subject.referenceTraces, count);
  const tolerance = subject.tolerance ?? 1e-4;
  const deltas = subject.deltas ?? [0.5, 0.8, 0.9, 0.95, 0.99];
  const batchSizes = subject.batchSizes ?? [1, 7, 64];
  const profile = calibrate(subject.calibrationTraces ?? subject.referenceTraces);
  const costs = manifestCosts(subject.model.manifest);
  let loaded: Promise<StagedModel> | undefined;
  const model = () => (loaded ??= subject.runtime.load(subject.model, subject.loadOptions));

  const cases: ConformanceCase[] = [
    {
      name: 'capabilities() is plain JSON data with at least one available device',
      async run() {
        const capabilities = await subject.runtime.capabilities();
        const copy = JSON.parse(JSON.stringify(capabilities));
        assert(JSON.stringify(copy) === JSON.stringify(capabilities), 'capabilities do not survive JSON');
        assert(
          capabilities.devices.some((device) => device.available),
          'no device is available',
        );
      },
    },
    {
      name: `traced logits equal the shipped traces within ${tolerance} (${count} samples)`,
      async run() {
        const traced = await traceModel(await model(), inputs, { batchSize: 32 });
        assert(
          traced.exits === reference.exits,
          `traced ${traced.exits} exits, reference has ${reference.exits}`,
        );
        let worst = 0;
        let where = 0;
        traced.logits.forEach((value, index) => {
          const difference = Math.abs(value - reference.logits[index]!);
          if (difference > worst) [worst, where] = [difference, index];
        });
        const [sample, exit] = [
          Math.floor(where / (reference.exits * reference.classes)),
          Math.floor(where / reference.classes) % reference.exits,
        ];
        assert(
          worst <= tolerance,
          `logits differ by ${worst} at sample ${sample}, exit ${exit} (tolerance ${tolerance})`,
        );
      },
    },
  ];

  for (const policy of ['pcee', 'pcee-ws', 'confidence'] as ThresholdPolicyName[]) {
    for (const batchSize of batchSizes) {
      cases.push({
        name: `${policy}: exits and predictions match the simulated policy at δ ∈ {${deltas.join(', ')}}, batch ${batchSize}`,
        async run() {
          for (const delta of deltas) {
            await expectSimulatedExits(
              await model(),
              inputs,
              reference,
              profile,
              policy,
              delta,
              batchSize,
              costs,
            );
          }
        },
      });
    }
  }

  cases.push(
    {
      name: 'abstain: exactly the samples the simulated policy abstains on are marked, batch 7',
      async run() {
        const scores = scoreExits(reference, profile.confidence);
        for (const delta of deltas) {
          const compiled = compilePolicy(profile, 'pcee', delta);
          const chosen = simulateExits(scores, compiled);
          const expected = simulateAbstentions(scores, compiled, chosen);
          const ambiguous = ambiguousSamples(scores, compiled, chosen);
          const result = await runEarlyExit(await model(), inputs, {
            policy: compiled,
            confidence: profile.confidence,
            costs,
            batchSize: 7,
            abstain: true,
          });
          for (let n = 0; n < expected.length; n++) {
            if (ambiguous.has(n)) continue;
            assert(
              result.abstained[n] === expected[n],
              `δ=${delta}: sample ${n} abstained=${result.abstained[n]}, the simulated policy says ${expected[n]}`,
            );
          }
        }
      },
    },
    {
      name: 'concurrent runs on one loaded model equal sequential runs',
      async run() {
        const staged = await model();
        const options = (delta: number) => ({
          policy: compilePolicy(profile, 'pcee', delta),
          confidence: profile.confidence,
          costs,
          batchSize: 16,
        });
        const sequential = [
          await runEarlyExit(staged, inputs, options(0.8)),
          await runEarlyExit(staged, inputs, options(0.95)),
        ];
        const concurrent = await Promise.all([
          runEarlyExit(staged, inputs, options(0.8)),
          runEarlyExit(staged, inputs, options(0.95)),
        ]);
        concurrent.forEach((result, index) => {
          assert(sameArray(result.exit, sequential[index]!.exit), `concurrent run ${index} took other exits`);
          assert(
            sameArray(result.prediction, sequential[index]!.prediction),
            `concurrent run ${index} predicted otherwise`,
          );
        });
      },
    },
    {
      name: 'a profile of another model is refused before running',
      async run() {
        const staged = await model();
        const wrong = calibrate(syntheticLikeTraces(reference.exits + 1, reference.classes));
        await expectPceeError(
          () =>
            runEarlyExit(staged, inputs, {
              policy: compilePolicy(wrong, 'pcee', 0.9),
              confidence: 'max-softmax',
              costs,
            }),
          'a policy with the wrong number of exits',
        );
        assert(modelFingerprint(subject.model.manifest).length === 64, 'model fingerprint is not a sha256');
      },
    },
    {
      name: 'dispose is clean: later runs reject with a PceeError, a second dispose is harmless',
      async run() {
        const staged = await subject.runtime.load(subject.model, subject.loadOptions);
        await staged.runStage(0, sliceTensorMap(inputs, 0, 1));
        await staged.dispose();
        await staged.dispose();
        await expectPceeError(
          () => staged.runStage(0, sliceTensorMap(inputs, 0, 1)),
          'runStage after dispose',
        );
      },
    },
    {
      name: 'an unknown device is a clear error naming the available ones',
      async run() {
        await expectPceeError(
          () => subject.runtime.load(subject.model, { device: 'quantum-tpu' }),
          'an unknown device',
          /available|use one of/,
        );
      },
    },
  );
  return cases;
}

/** The subject's inputs by name (a bare tensor is the one-input model's input). */
function namedInputs(subject: ConformanceSubject): TensorMap {
  if (!isStageTensor(subject.inputs)) return subject.inputs;
  const [input, ...others] = subject.model.manifest.inputs;
  if (others.length > 0)
    throw new Error(
      `conformance: model "${subject.model.manifest.id}" has several inputs; pass them by name`,
    );
  return { [input!.name]: subject.inputs };
}

async function expectSimulatedExits(
  staged: StagedModel,
  inputs: TensorMap,
  reference: Traces,
  profile: CalibrationProfile,
  policy: ThresholdPolicyName,
  delta: number,
  batchSize: number,
  costs: ReturnType<typeof manifestCosts>,
): Promise<void> {
  const compiled = compilePolicy(profile, policy, delta);
  const scores = scoreExits(reference, profile.confidence);
  const expected = simulateExits(scores, compiled);
  const result = await runEarlyExit(staged, inputs, {
    policy: compiled,
    confidence: profile.confidence,
    costs,
    batchSize,
  });
  // A confidence within float noise of a table edge may legitimately fall on either side
  // between backends; such samples are skipped, and must stay rare.
  const ambiguous = ambiguousSamples(scores, compiled, expected);
  assert(
    ambiguous.size <= Math.max(1, expected.length * 0.05),
    `${ambiguous.size} samples sit on a bin edge`,
  );
  for (let n = 0; n < expected.length; n++) {
    if (ambiguous.has(n)) continue;
    const exit = expected[n]!;
    const row = n * reference.exits + exit;
    assert(
      result.exit[n] === exit,
      `${policy} δ=${delta} batch ${batchSize}: sample ${n} exited at ${result.exit[n]}, the simulated policy exits at ${exit}`,
    );
    assert(
      result.prediction[n] === scores.prediction[row],
      `${policy} δ=${delta} batch ${batchSize}: sample ${n} predicted ${result.prediction[n]}, traces say ${scores.prediction[row]}`,
    );
    assert(
      result.cost[n] === costs.exits[exit],
      `sample ${n} cost ${result.cost[n]}, expected ${costs.exits[exit]}`,
    );
  }
}

/** Samples whose confidence at an exit they reach lies within 1e-6 of that exit's table edges. */
function ambiguousSamples(
  scores: ReturnType<typeof scoreExits>,
  compiled: CompiledPolicy,
  exits: Int32Array,
): Set<number> {
  const ambiguous = new Set<number>();
  exits.forEach((exit, n) => {
    for (let l = 0; l <= exit; l++) {
      const confidence = scores.confidence[n * scores.exits + l]!;
      if (compiled.tables[l]!.edges.some((edge) => edge > 0 && Math.abs(edge - confidence) < 1e-6))
        ambiguous.add(n);
    }
  });
  return ambiguous;
}

function firstSamples(traces: Traces, count: number): Traces {
  const rowSize = traces.exits * traces.classes;
  return createTraces(traces.logits.slice(0, count * rowSize), traces.labels.slice(0, count), {
    samples: count,
    exits: traces.exits,
    classes: traces.classes,
  });
}

function syntheticLikeTraces(exits: number, classes: number): Traces {
  const logits = Float64Array.from({ length: 4 * exits * classes }, (_, index) => (index * 7919) % 13);
  return createTraces(logits, Int32Array.from([0, 1, 0, 1]), { samples: 4, exits, classes });
}

async function expectPceeError(
  action: () => Promise<unknown>,
  what: string,
  message?: RegExp,
): Promise<void> {
  try {
    await action();
  } catch (error) {
    assert(error instanceof PceeError, `${what} threw ${String(error)}, not a PceeError`);
    if (message)
      assert(
        message.test((error as Error).message),
        `${what}: message "${(error as Error).message}" lacks ${message}`,
      );
    return;
  }
  throw new Error(`${what} should have failed with a PceeError`);
}

function sameArray(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}

function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`conformance: ${message}`);
}
