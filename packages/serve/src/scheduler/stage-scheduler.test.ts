import {
  type CompiledPolicy,
  compilePolicy,
  manifestCosts,
  type RunResult,
  runEarlyExit,
  type StagedModel,
  sliceTensorMap,
  type TensorMap,
  traceModel,
} from '@pcee/core';
import { modelDir } from '@pcee/models';
import { nodeRuntime, openModelPackage } from '@pcee/runtime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OverloadedError, UnavailableError } from '../errors/serve-error.js';
import { type CarriedBatch, stagedPipeline } from '../models/model-pipeline.js';
import { bundledProfile, preprocessedImages, testImages } from '../test-support/bundled-models.js';
import type { ScheduledResult } from './pending-request.js';
import { type SchedulerOptions, StageScheduler } from './stage-scheduler.js';

const IMAGES = 192;
const DELTAS = [0.8, 0.95];

/** Request sizes that cover single samples, odd sizes and sizes over the max batch. */
const REQUEST_SIZES = [1, 5, 16, 2, 9, 1, 31, 3, 12, 7, 1, 24, 4, 19, 8, 11, 6, 13];

describe.each(['fmnist-cnn-large', 'fmnist-vit-large'])('%s: scheduled results equal runEarlyExit', (id) => {
  let model: StagedModel;
  let images: TensorMap;
  let policies: CompiledPolicy[];
  const reference: RunResult[] = [];
  let traces: Awaited<ReturnType<typeof traceModel>>;
  const profile = bundledProfile(id);

  beforeAll(async () => {
    const modelPackage = await openModelPackage(modelDir(id));
    model = await nodeRuntime.load(modelPackage, { device: 'cpu' });
    const { pixels } = testImages(IMAGES);
    images = preprocessedImages(modelPackage.manifest, pixels, IMAGES);
    policies = DELTAS.map((delta) => compilePolicy(profile, 'pcee', delta));
    for (const policy of policies) {
      reference.push(
        await runEarlyExit(model, images, {
          policy,
          confidence: profile.confidence,
          costs: manifestCosts(modelPackage.manifest),
          abstain: true,
        }),
      );
    }
    traces = await traceModel(model, images);
  });
  afterAll(() => model?.dispose());

  it.each<[string, Partial<SchedulerOptions>, 'together' | 'staggered']>([
    ['per-stage, batch 1, no delay', { maxBatch: 1, maxDelayMs: 0, batching: 'per-stage' }, 'together'],
    ['per-stage, batch 7, 1 ms delay', { maxBatch: 7, maxDelayMs: 1, batching: 'per-stage' }, 'together'],
    ['per-stage, batch 64, 5 ms delay', { maxBatch: 64, maxDelayMs: 5, batching: 'per-stage' }, 'together'],
    [
      'per-stage, batch 64, 5 ms delay, staggered arrivals',
      { maxBatch: 64, maxDelayMs: 5, batching: 'per-stage' },
      'staggered',
    ],
    ['first-stage, batch 16', { maxBatch: 16, maxDelayMs: 2, batching: 'first-stage' }, 'together'],
    [
      'first-stage, batch 64, 5 ms delay, staggered arrivals',
      { maxBatch: 64, maxDelayMs: 5, batching: 'first-stage' },
      'staggered',
    ],
    ['the default batching, batch 7', { maxBatch: 7, maxDelayMs: 1 }, 'together'],
  ])('%s', async (_name, settings, arrival) => {
    const scheduler = new StageScheduler<CarriedBatch>(stagedPipeline(model), {
      maxBatch: 64,
      maxDelayMs: 2,
      maxQueue: 4096,
      timeoutMs: 60_000,
      ...settings,
    });
    const pending: {
      start: number;
      size: number;
      policy: number;
      abstain: boolean;
      result: Promise<ScheduledResult>;
    }[] = [];
    let start = 0;
    for (let index = 0; start < IMAGES; index++) {
      const size = Math.min(REQUEST_SIZES[index % REQUEST_SIZES.length]!, IMAGES - start);
      // Alternate δ (and abstention) between requests, so one batch mixes samples decided
      // at different δ.
      const policy = index % 2;
      const abstain = index % 4 < 2;
      // Every third sample of every other request is traced (audited): it runs to the final
      // exit but must be answered exactly as if it were not.
      const trace =
        index % 2 === 0 ? Uint8Array.from({ length: size }, (_, row) => (row % 3 === 0 ? 1 : 0)) : undefined;
      const result = scheduler.submit(sliceTensorMap(images, start, start + size), {
        policy: policies[policy]!,
        measure: profile.confidence,
        wantLogits: index % 3 === 0,
        abstain,
        ...(trace ? { trace } : {}),
      });
      pending.push({ start, size, policy, abstain, result });
      start += size;
      if (arrival === 'staggered' && index % 4 === 3) await new Promise((resolve) => setTimeout(resolve, 3));
    }
    for (const { start: first, size, policy, abstain, result } of pending) {
      const got = await result;
      const want = reference[policy]!;
      expect(Array.from(got.exit)).toEqual(Array.from(want.exit.subarray(first, first + size)));
      expect(Array.from(got.prediction)).toEqual(Array.from(want.prediction.subarray(first, first + size)));
      expect(Array.from(got.confidence)).toEqual(Array.from(want.confidence.subarray(first, first + size)));
      expect(Array.from(got.estimatedAccuracy)).toEqual(
        Array.from(want.estimatedAccuracy.subarray(first, first + size)),
      );
      const abstained = abstain
        ? Array.from(want.abstained.subarray(first, first + size))
        : new Array(size).fill(0);
      expect(Array.from(got.abstained)).toEqual(abstained);
      // A traced sample's logits at every exit are the ones core's trace mode records.
      const { exits, classes } = traces;
      got.traced?.forEach((flag, row) => {
        const rowValues = exits * classes;
        const want =
          flag === 1 ? traces.logits.subarray((first + row) * rowValues, (first + row + 1) * rowValues) : [];
        const have = flag === 1 ? got.trace!.subarray(row * rowValues, (row + 1) * rowValues) : [];
        expect(Array.from(have)).toEqual(Array.from(want));
      });
    }
    expect(scheduler.inFlight).toBe(0);
    // The policies exit at several depths and abstain on some samples, or the test would not
    // exercise the later queues and the abstention table.
    expect(new Set(reference[0]!.exit).size).toBeGreaterThan(2);
    expect(reference[1]!.abstained.some((flag) => flag === 1)).toBe(true);
  });
});

describe('admission and deadlines', () => {
  let model: StagedModel;
  let images: TensorMap;
  const id = 'fmnist-cnn-small';
  const profile = bundledProfile(id);
  const policy = compilePolicy(profile, 'pcee', 0.9);

  beforeAll(async () => {
    const modelPackage = await openModelPackage(modelDir(id));
    model = await nodeRuntime.load(modelPackage, { device: 'cpu' });
    const { pixels } = testImages(64);
    images = preprocessedImages(modelPackage.manifest, pixels, 64);
  });
  afterAll(() => model?.dispose());

  const options = { maxBatch: 8, maxDelayMs: 1, maxQueue: 16, timeoutMs: 60_000 };
  const decision = () => ({ policy, measure: profile.confidence, wantLogits: false });

  it('answers 429 beyond --max-queue samples held, and admits again once they are answered', async () => {
    const scheduler = new StageScheduler<CarriedBatch>(stagedPipeline(model), options);
    const first = scheduler.submit(sliceTensorMap(images, 0, 12), decision());
    expect(() => scheduler.submit(sliceTensorMap(images, 12, 17), decision())).toThrow(OverloadedError);
    expect(scheduler.inFlight).toBe(12);
    await first;
    expect(scheduler.inFlight).toBe(0);
    await expect(scheduler.submit(sliceTensorMap(images, 12, 28), decision())).resolves.toBeDefined();
  });

  it('refuses new requests with 503 once draining, while admitted ones complete', async () => {
    const scheduler = new StageScheduler<CarriedBatch>(stagedPipeline(model), options);
    const admitted = scheduler.submit(sliceTensorMap(images, 0, 10), decision());
    scheduler.stopAccepting();
    expect(() => scheduler.submit(sliceTensorMap(images, 10, 11), decision())).toThrow(UnavailableError);
    await expect(admitted).resolves.toHaveProperty('exit');
    await scheduler.idle();
    expect(scheduler.inFlight).toBe(0);
  });

  it('fails a request with 503 at its deadline and drops its queued samples', async () => {
    // A delay far beyond the deadline: the batch never fills, so the request times out queued.
    const scheduler = new StageScheduler<CarriedBatch>(stagedPipeline(model), {
      ...options,
      maxDelayMs: 60_000,
      timeoutMs: 20,
    });
    await expect(scheduler.submit(sliceTensorMap(images, 0, 3), decision())).rejects.toThrow(/timed out/);
    await scheduler.idle();
    expect(scheduler.inFlight).toBe(0);
    scheduler.abort(new UnavailableError('stop', 1));
  });

  it.each([
    ['max batch 0', { maxBatch: 0 }, /max batch/],
    ['negative delay', { maxDelayMs: -1 }, /max delay/],
    ['queue below batch', { maxQueue: 4 }, /max queue/],
    ['zero timeout', { timeoutMs: 0 }, /timeout/],
  ])('rejects %s', (_name, override, message) => {
    expect(() => new StageScheduler(stagedPipeline(model), { ...options, ...override })).toThrow(message);
  });
});
