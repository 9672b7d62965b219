// The playground's engine: loads a model package, the test images and the calibration
// profile from the built site, traces every exit once in the browser through
// @pcee/runtime-web, and re-decides per δ with @pcee/core's compiled policy.
//
// Why trace once: a policy's decision for a sample depends only on the logits of the exits
// it passes, and a stage's logits for a sample do not depend on which other samples share
// its batch. So the exits and predictions of `runEarlyExit` at any δ are exactly those of
// the compiled policy applied to traced logits (`simulateExits`, the same tables, the same
// confidence code). `verifyWithRunner` checks that claim live by running the real runner.
import {
  type CalibrationProfile,
  type CompiledPolicy,
  compilePolicy,
  createTensor,
  createTraces,
  type ExitCosts,
  type ExitScores,
  evaluateExits,
  evaluateFullModel,
  type ModelManifest,
  manifestCosts,
  type PolicyEvaluation,
  parseProfile,
  preprocessInput,
  readNpz,
  runEarlyExit,
  type StagedModel,
  type StageTensor,
  scoreExits,
  simulateExits,
  type ThresholdPolicyName,
  traceModel,
} from '@pcee/core';

export type PlaygroundDevice = 'wasm' | 'webgpu';

/** The test images shipped with the site. */
export interface ImageSet {
  readonly count: number;
  /** Raw uint8 pixels `[count, 28, 28]`. */
  readonly pixels: Uint8Array;
  readonly labels: Int32Array;
  readonly width: number;
  readonly height: number;
}

/** One model traced on every image: what δ changes are computed from. */
export interface TracedModel {
  readonly id: string;
  readonly device: string;
  readonly manifest: ModelManifest;
  readonly profile: CalibrationProfile;
  readonly costs: ExitCosts;
  readonly staged: StagedModel;
  readonly inputs: StageTensor;
  readonly scores: ExitScores;
  /** Wall time of tracing all exits on all images, ms. */
  readonly traceMs: number;
}

/** The decisions of one policy at one δ, per image, and their totals. */
export interface Decisions {
  readonly policy: ThresholdPolicyName;
  readonly delta: number;
  readonly compiled: CompiledPolicy;
  readonly exit: Int32Array;
  readonly prediction: Int32Array;
  readonly confidence: Float64Array;
  readonly estimatedAccuracy: Float64Array;
  readonly evaluation: PolicyEvaluation;
  readonly full: { readonly accuracy: number; readonly cost: number };
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok)
    throw new Error(
      `${url} answered HTTP ${response.status}; was the site built with scripts/prepare-site.mjs?`,
    );
  return new Uint8Array(await response.arrayBuffer());
}

/** Reads the site's test images (`x` uint8 [N, 28, 28], `labels` int32 [N]). */
export async function loadImages(url: string): Promise<ImageSet> {
  const tensors = readNpz(await fetchBytes(url));
  const x = tensors.get('x');
  const labels = tensors.get('labels');
  if (!x || !labels || x.dtype !== 'uint8') throw new Error(`${url} must hold x (uint8) and labels`);
  return {
    count: x.shape[0]!,
    pixels: x.data as Uint8Array,
    labels: Int32Array.from(labels.data as ArrayLike<number>, Number),
    height: x.shape[1]!,
    width: x.shape[2]!,
  };
}

/** Every flavour of @pcee/runtime-web exports the same API. */
type RuntimeWebModule = typeof import('@pcee/runtime-web/wasm');

const runtimes = new Map<PlaygroundDevice, Promise<RuntimeWebModule>>();

/** The runtime-web flavour for a device, imported on first use (so a page bundles and loads one). */
function flavour(device: PlaygroundDevice) {
  let module = runtimes.get(device);
  if (!module) {
    module = device === 'webgpu' ? import('@pcee/runtime-web/webgpu') : import('@pcee/runtime-web/wasm');
    runtimes.set(device, module);
  }
  return module;
}

/**
 * Loads a model package from the site and traces every exit on every image (one pass, the
 * cost of running the full multi-exit network once).
 */
export async function loadAndTrace(options: {
  id: string;
  device: PlaygroundDevice;
  modelUrl: string;
  profileUrl: string;
  wasmPaths: string;
  images: ImageSet;
  onProgress?: (done: number, total: number) => void;
}): Promise<TracedModel> {
  const { createWebRuntime, openModelPackageFromUrl } = await flavour(options.device);
  const runtime = createWebRuntime({ wasmPaths: options.wasmPaths });
  const modelPackage = await openModelPackageFromUrl(options.modelUrl);
  const manifest: ModelManifest = modelPackage.manifest;
  const profileText = await (await fetch(options.profileUrl)).text();
  const profile = parseProfile(profileText, options.profileUrl);
  const staged: StagedModel = await runtime.load(modelPackage, { device: options.device });
  const { images } = options;
  const inputs = preprocessInput(
    manifest.inputs[0]!,
    createTensor('uint8', [images.count, images.height, images.width], images.pixels),
  );
  const started = performance.now();
  const traced = await traceModel(staged, inputs, { batchSize: 100, onProgress: options.onProgress });
  const traceMs = performance.now() - started;
  const traces = createTraces(traced.logits, images.labels, {
    samples: traced.samples,
    exits: traced.exits,
    classes: traced.classes,
  });
  const scores = scoreExits(traces, profile.confidence);
  return {
    id: options.id,
    device: staged.device,
    manifest,
    profile,
    costs: manifestCosts(manifest),
    staged,
    inputs,
    scores,
    traceMs,
  };
}

/** Every image's exit, prediction, confidence and estimated accuracy under `policy` at δ. */
export function decide(model: TracedModel, policy: ThresholdPolicyName, delta: number): Decisions {
  const compiled = compilePolicy(model.profile, policy, delta);
  const { scores } = model;
  const exits = scores.exits;
  const exit = simulateExits(scores, compiled);
  const prediction = new Int32Array(scores.samples);
  const confidence = new Float64Array(scores.samples);
  const estimatedAccuracy = new Float64Array(scores.samples);
  for (let n = 0; n < scores.samples; n++) {
    const row = n * exits + exit[n]!;
    const table = compiled.tables[exit[n]!]!;
    prediction[n] = scores.prediction[row]!;
    confidence[n] = scores.confidence[row]!;
    estimatedAccuracy[n] = table.estimatedAccuracy[table.lookup(confidence[n]!)]!;
  }
  return {
    policy,
    delta,
    compiled,
    exit,
    prediction,
    confidence,
    estimatedAccuracy,
    evaluation: evaluateExits(scores, exit, model.costs, policy, delta),
    full: evaluateFullModel(scores, model.costs),
  };
}

/** Runs the real early-exit runner (stage by stage, batch compaction) and compares. */
export async function verifyWithRunner(model: TracedModel, decisions: Decisions) {
  const started = performance.now();
  const result = await runEarlyExit(model.staged, model.inputs, {
    policy: decisions.compiled,
    confidence: model.profile.confidence,
    costs: model.costs,
    batchSize: 100,
  });
  const runMs = performance.now() - started;
  let agree = 0;
  for (let n = 0; n < result.exit.length; n++) {
    if (result.exit[n] === decisions.exit[n] && result.prediction[n] === decisions.prediction[n]) agree++;
  }
  return {
    agree,
    total: result.exit.length,
    runMs,
    prediction: Array.from(result.prediction),
    exit: Array.from(result.exit),
  };
}
