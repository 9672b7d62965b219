import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type CalibrationProfile,
  InvalidArgumentError,
  type LoadOptions,
  manifestCosts,
  modelFingerprint,
  planFusion,
  planOfLiveExits,
  readTraces,
  type Traces,
  withLiveExit,
} from '@pcee/core';
import { assertProfileFitsModel, FusedRunner, recalibrateHint } from '@pcee/engine';
import { loadFullModel, nodeRuntime, openModelPackage } from '@pcee/runtime-node';
import { DriftMonitor, type DriftOptions } from '../drift/drift-monitor.js';
import { driftReference } from '../drift/drift-reference.js';
import { type FeedbackSettings, ModelFeedback } from '../feedback/model-feedback.js';
import type { ServeMetrics } from '../metrics/serve-metrics.js';
import type { ServePolicyName } from '../oip/infer-request.js';
import { type SchedulerOptions, StageScheduler } from '../scheduler/stage-scheduler.js';
import {
  type CarriedBatch,
  fullModelPipeline,
  prepareInputs,
  servedInputs,
  stagedPipeline,
} from './model-pipeline.js';
import { PlannedScheduler } from './planned-scheduler.js';
import { predictServedCost } from './predicted-cost.js';
import { ServedModel, type ServedModelGuard } from './served-model.js';
import { compileServing, resolveServingPolicy } from './serving-policy.js';

/** One model to serve: its package folder and calibration profile. */
export interface ModelSource {
  /** Model package folder (model.json + stage files). */
  readonly dir: string;
  /** The model's calibration profile. */
  readonly profile: CalibrationProfile;
  /**
   * Held-out traces (`logits`, `labels`) the drift monitor compares with: a path, or false
   * for none. Default: `val.npz` in the package folder when present.
   */
  readonly referenceTraces?: string | false;
}

/** How every model is served. */
export interface ModelServeSettings {
  /** δ when a request sets none; default: the profile's tuned δ (then it is required). */
  readonly delta?: number;
  /** Policy when a request sets none; default: the profile's tuned policy, else `pcee`. */
  readonly policy?: ServePolicyName;
  /** Abstention when a request sets none; default: the profile's tuned choice, else off. */
  readonly abstain?: boolean;
  /** Serve `full.onnx` instead of the stages (no early exit): the baseline to compare with. */
  readonly baseline?: boolean;
  /**
   * Run the served policy on fused stages, as `pcee run` does (default true): exits it never
   * takes are dropped (exit 0 stays, for the drift monitor) and the stages around them run as
   * one graph. Same exits and predictions; false runs every stage as shipped.
   */
  readonly fuse?: boolean;
  readonly load: LoadOptions;
  readonly scheduler: SchedulerOptions;
  readonly drift: Omit<DriftOptions, 'onDrift'>;
  readonly feedback: Omit<FeedbackSettings, 'monitor'> & {
    /** Overrides the tuned profile's target (see `resolveMonitor`). */
    readonly targetAccuracy?: number;
    readonly risk?: number;
  };
  /** Audit sampling and what a fired accuracy monitor does. */
  readonly guard: ServedModelGuard;
  readonly metrics: ServeMetrics;
  /** Receives drift and accuracy alerts, recalibrations and notes (a skipped drift reference). */
  readonly log: (level: 'info' | 'warn', details: Record<string, unknown>, message: string) => void;
}

/**
 * Opens, checks and loads one model for serving: the profile must match the package (id,
 * exits, classes, weights), δ comes from the settings or the profile's tuned entry, the
 * sessions are created once, and the drift reference is built.
 *
 * @throws ProfileMismatchError, InvalidManifestError, DeviceUnavailableError, InvalidArgumentError.
 */
export async function loadServedModel(
  source: ModelSource,
  settings: ModelServeSettings,
): Promise<ServedModel> {
  const modelPackage = await openModelPackage(source.dir);
  const { manifest } = modelPackage;
  const fingerprint = modelFingerprint(manifest);
  assertProfileFitsModel(source.profile, modelPackage, recalibrateHint(source.dir));
  const serving = resolveServingPolicy(source.profile, settings, manifest.id);
  const compiled = compileServing(source.profile, serving);
  const baseline = settings.baseline === true;
  const exits = manifest.stages.length;
  const traces = await readReference(source, exits, manifest.classes.length, settings);
  const name = manifest.id;
  const reference = driftReference(source.profile, compiled, baseline ? exits - 1 : 0, traces);
  const drift = new DriftMonitor(reference, {
    ...settings.drift,
    onDrift: (signal, psi, snapshot) =>
      settings.log(
        'warn',
        { model: name, signal, psi, samples: snapshot.samples, threshold: settings.drift.threshold ?? 0.25 },
        `drift: the ${describeSignal(signal)} of model "${name}" moved away from calibration (PSI ${psi.toFixed(3)}); check the inputs, then recalibrate on recent labelled data`,
      ),
  });
  const observe = (stage: number, rows: number, milliseconds: number) => {
    const labels = { model: name, stage: String(stage) };
    settings.metrics.batchSize.observe(labels, rows);
    settings.metrics.stageDuration.observe(labels, milliseconds / 1000);
  };
  const info = {
    name,
    version: fingerprint.slice(0, 12),
    inputs: servedInputs(manifest),
    classes: manifest.classes,
    exits,
    baseline,
    // Exit shares of the reference (validation) traces at the served policy: what the batch cost
    // model needs to charge the stages for the batches they see after compaction.
    ...(baseline
      ? {}
      : {
          predicted: predictServedCost(source.profile.costs, reference.exits?.share, [
            ...new Set([1, settings.scheduler.maxBatch]),
          ]),
        }),
  };
  const common = {
    info,
    profile: source.profile,
    costs: manifestCosts(manifest),
    serving,
    prepare: (inputs: Parameters<typeof prepareInputs>[1]) => prepareInputs(manifest, inputs),
    drift,
    feedback: new ModelFeedback(
      name,
      source.profile,
      {
        ...settings.feedback,
        monitor: resolveMonitor(source.profile, settings.feedback),
      },
      settings.metrics,
    ),
    metrics: settings.metrics,
    guard: settings.guard,
    log: settings.log,
  };
  if (baseline) {
    const full = await loadFullModel(modelPackage, settings.load);
    return new ServedModel({
      ...common,
      scheduler: new StageScheduler(fullModelPipeline(full, manifest), settings.scheduler, observe),
      dispose: () => full.dispose(),
    });
  }
  // The engine `pcee run` uses: each plan's fused model is built and loaded once, and kept.
  const runner = new FusedRunner(nodeRuntime, modelPackage, settings.load);
  const allExits = planOfLiveExits(Array.from({ length: exits }, (_, exit) => exit));
  const scheduler = new PlannedScheduler<CarriedBatch>(
    async (plan) => stagedPipeline(await runner.model(plan), plan),
    allExits,
    (batch) => Object.values(batch)[0]!.shape[0]!,
    settings.scheduler,
    observe,
  );
  const fuse = settings.fuse !== false;
  try {
    // Loaded now, so a load error (or a bad scheduler option) stops the server at startup.
    await scheduler.prepare(allExits);
    if (fuse) await scheduler.prepare(withLiveExit(planFusion(compiled), 0));
  } catch (error) {
    await runner.dispose();
    throw error;
  }
  return new ServedModel({
    ...common,
    scheduler,
    fuse,
    dispose: () => runner.dispose(),
  });
}

/**
 * The monitor's target and risk: the options where given, else the profile's tuned guarantee
 * (`pcee tune --target-accuracy`), else none (no monitor).
 */
function resolveMonitor(
  profile: CalibrationProfile,
  options: { readonly targetAccuracy?: number; readonly risk?: number },
): FeedbackSettings['monitor'] {
  const guarantee = profile.tuned?.guarantee;
  const targetAccuracy = options.targetAccuracy ?? guarantee?.targetAccuracy;
  if (targetAccuracy === undefined) return undefined;
  return { targetAccuracy, risk: options.risk ?? guarantee?.risk ?? 0.05 };
}

async function readReference(
  source: ModelSource,
  exits: number,
  classes: number,
  settings: ModelServeSettings,
): Promise<Traces | undefined> {
  if (source.referenceTraces === false) return undefined;
  const path = source.referenceTraces ?? join(source.dir, 'val.npz');
  if (source.referenceTraces === undefined && !existsSync(path)) {
    settings.log(
      'info',
      { dir: source.dir },
      'no val.npz in the package: the drift monitor compares first-exit confidence only',
    );
    return undefined;
  }
  const traces = readTraces(new Uint8Array(await readFile(path)), path);
  if (traces.exits !== exits || traces.classes !== classes) {
    throw new InvalidArgumentError(
      `drift reference ${path} has ${traces.exits} exits × ${traces.classes} classes but the model has ${exits} × ${classes}; give traces of this model`,
    );
  }
  return traces;
}

function describeSignal(signal: Parameters<NonNullable<DriftOptions['onDrift']>>[0]): string {
  switch (signal.kind) {
    case 'first-confidence':
      return `confidence at exit ${signal.exit}`;
    case 'exit-share':
      return 'share of samples per exit';
    case 'exit-confidence':
      return `confidence of samples leaving at exit ${signal.exit}`;
  }
}
