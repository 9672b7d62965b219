import { describe, expect, it } from 'vitest';
import type { ViolationAction } from '../feedback/violation-response.js';
import type { RunningServer } from '../serve-server.js';
import { bundledProfile, inferBody, testImages } from '../test-support/bundled-models.js';
import { outputData, postInfer, startTestServer } from '../test-support/test-server.js';

const ID = 'fmnist-cnn-small';
const BATCH = 64;
const LAST_EXIT = bundledProfile(ID).model.exits - 1;
const { pixels, labels: truth } = testImages(6400);

interface Guard {
  mode: string;
  recalibrations: number;
  samples: number;
  unreachable: boolean;
  reason: string | null;
  auditRate: number;
}

/** A server whose monitor fires on the true labels of the first test images (the small CNN at δ 0.9 answers ~90% right). */
function guarded(onViolation: ViolationAction, targetAccuracy = 0.95, extra = {}): Promise<RunningServer> {
  return startTestServer(ID, {
    targetAccuracy,
    risk: 0.05,
    onViolation,
    recalibrationSamples: 1000,
    seed: 7,
    ...extra,
  });
}

const calibration = async (server: RunningServer) =>
  (await (await fetch(`${server.url}/v2/models/${ID}/calibration`)).json()) as {
    operatingPoint: {
      guard: Guard;
      epoch: number;
      profileSource: string;
      monitor: { state: string };
      delta: number;
      abstain: boolean;
    };
    consistency: { samples: number; exits: { count: number[]; correct: number[] }[] };
  };

/** Infers images [from, from + BATCH) and sends labels back; returns the response. */
async function serveAndLabel(
  server: RunningServer,
  batch: number,
  labelsOf: (json: Record<string, unknown>, from: number) => number[],
): Promise<Record<string, unknown>> {
  const from = (batch * BATCH) % 6400;
  const id = `batch-${batch}`;
  const { status, json } = await postInfer(server, ID, inferBody(pixels, from, from + BATCH, { id }));
  expect(status).toBe(200);
  const response = await fetch(`${server.url}/v2/models/${ID}/feedback`, {
    method: 'POST',
    body: JSON.stringify({ id, labels: labelsOf(json, from) }),
    headers: { 'content-type': 'application/json' },
  });
  expect(response.status).toBe(200);
  return json;
}

const trueLabels = (_json: Record<string, unknown>, from: number) =>
  Array.from(truth.subarray(from, from + BATCH));
// Labels that make every answer of the final exit right: the test controls what "true" is.
const servedPredictions = (json: Record<string, unknown>) => outputData(json, 'prediction');

/** Sends truly labelled batches until the monitor moves the model off its policy; returns the next batch index. */
async function untilViolated(server: RunningServer): Promise<number> {
  for (let batch = 0; batch < 60; batch++) {
    await serveAndLabel(server, batch, trueLabels);
    if ((await calibration(server)).operatingPoint.guard.mode !== 'policy') return batch + 1;
  }
  throw new Error('the monitor did not fire on 3,840 truly labelled samples');
}

const parameters = (json: Record<string, unknown>) => json.parameters as Record<string, unknown>;

describe('--on-violation recalibrate', () => {
  it('answers from the final exit once the monitor fires, then re-certifies δ on the labelled traces and swaps it in without failing a request', async () => {
    const server = await guarded('recalibrate');
    try {
      let batch = await untilViolated(server);
      const fallback = await calibration(server);
      expect(fallback.operatingPoint.guard).toMatchObject({ mode: 'final-exit', recalibrations: 0 });
      expect(fallback.operatingPoint.epoch).toBe(1);
      // Every sample now runs to the final exit and is answered there.
      const safe = await serveAndLabel(server, batch++, servedPredictions);
      expect(parameters(safe).serving_mode).toBe('final-exit');
      expect(new Set(outputData(safe, 'exit'))).toEqual(new Set([LAST_EXIT]));
      expect(parameters(safe).relative_cost).toBeGreaterThanOrEqual(1);
      // 1,000 labelled traces after the violation; requests stay in flight across the swap.
      const inFlight: Promise<{ status: number }>[] = [];
      while ((await calibration(server)).operatingPoint.guard.recalibrations === 0) {
        inFlight.push(postInfer(server, ID, inferBody(pixels, 0, 8)));
        await serveAndLabel(server, batch++, servedPredictions);
        expect(batch).toBeLessThan(60);
      }
      expect((await Promise.all(inFlight)).map((answer) => answer.status)).toEqual(inFlight.map(() => 200));
      const after = await calibration(server);
      expect(after.operatingPoint).toMatchObject({ profileSource: 'recalibrated', epoch: 2, abstain: false });
      expect(after.operatingPoint.guard).toMatchObject({
        mode: 'policy',
        recalibrations: 1,
        unreachable: false,
      });
      expect(after.operatingPoint.monitor.state).toBe('ok');
      const metadata = (await (await fetch(`${server.url}/v2/models/${ID}`)).json()) as {
        parameters: Record<string, unknown>;
      };
      expect(metadata.parameters).toMatchObject({
        delta: after.operatingPoint.delta,
        delta_source: 'recalibrated',
        serving_mode: 'policy',
        target_unreachable: false,
      });
      // Back on a policy: early exits again, no safe-mode flag.
      const recalibrated = await serveAndLabel(server, batch, servedPredictions);
      expect(parameters(recalibrated).serving_mode).toBeUndefined();
      expect(Math.min(...outputData(recalibrated, 'exit'))).toBe(0);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toContain(`pcee_recalibrations{model="${ID}"} 1`);
      expect(metrics).toContain(`pcee_serving_mode{model="${ID}"} 0`);
    } finally {
      await server.close();
    }
  });

  it('says the target is out of reach when even the final exit answers below it', async () => {
    const server = await guarded('recalibrate', 0.99);
    try {
      let batch = await untilViolated(server);
      let guard = (await calibration(server)).operatingPoint.guard;
      while (!guard.unreachable && batch < 40) {
        await serveAndLabel(server, batch++, trueLabels);
        guard = (await calibration(server)).operatingPoint.guard;
      }
      expect(guard).toMatchObject({ mode: 'final-exit', unreachable: true, recalibrations: 0 });
      expect(guard.reason).toMatch(/^(even the final exit|cannot certify)/);
      const metadata = (await (await fetch(`${server.url}/v2/models/${ID}`)).json()) as {
        parameters: Record<string, unknown>;
      };
      expect(metadata.parameters).toMatchObject({ serving_mode: 'final-exit', target_unreachable: true });
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toContain(`pcee_target_unreachable{model="${ID}"} 1`);
      expect(metrics).toContain(`pcee_serving_mode{model="${ID}"} 1`);
    } finally {
      await server.close();
    }
  });
});

describe('--on-violation abstain', () => {
  it('abstains on every sample until a policy with abstention is certified, then answers by it', async () => {
    const server = await guarded('abstain');
    try {
      let batch = await untilViolated(server);
      const safe = await serveAndLabel(server, batch++, servedPredictions);
      expect(parameters(safe).serving_mode).toBe('abstain');
      expect(new Set(outputData(safe, 'abstained'))).toEqual(new Set([true]));
      while ((await calibration(server)).operatingPoint.guard.recalibrations === 0) {
        await serveAndLabel(server, batch++, servedPredictions);
        expect(batch).toBeLessThan(60);
      }
      const after = await calibration(server);
      expect(after.operatingPoint).toMatchObject({ abstain: true, profileSource: 'recalibrated' });
      expect(after.operatingPoint.guard.mode).toBe('policy');
      const answered = await serveAndLabel(server, batch, servedPredictions);
      expect(parameters(answered)).toMatchObject({ abstain: true });
      expect(outputData(answered, 'abstained')).toContain(false);
    } finally {
      await server.close();
    }
  });
});

describe('--on-violation full', () => {
  it('answers from the final exit from then on, and never recalibrates', async () => {
    const server = await guarded('full');
    try {
      let batch = await untilViolated(server);
      for (let more = 0; more < 20; more++) await serveAndLabel(server, batch++, servedPredictions);
      const guard = (await calibration(server)).operatingPoint.guard;
      expect(guard).toMatchObject({ mode: 'final-exit', recalibrations: 0, samples: 0 });
      const json = await serveAndLabel(server, batch, servedPredictions);
      expect(new Set(outputData(json, 'exit'))).toEqual(new Set([LAST_EXIT]));
    } finally {
      await server.close();
    }
  });
});

describe('--audit-rate', () => {
  it('changes no answer, and fills the consistency diagrams with the audited samples', async () => {
    const audited = await startTestServer(ID, { auditRate: 0.5, seed: 3 });
    const plain = await startTestServer(ID);
    try {
      const body = inferBody(pixels, 0, 256);
      const [withAudit, without] = await Promise.all([
        postInfer(audited, ID, body),
        postInfer(plain, ID, body),
      ]);
      for (const output of ['prediction', 'exit', 'confidence', 'estimated_accuracy']) {
        expect(outputData(withAudit.json, output)).toEqual(outputData(without.json, output));
      }
      // Audited samples ran every stage: the request costs more than the same answers unaudited.
      expect(parameters(withAudit.json).relative_cost).toBeGreaterThan(
        parameters(without.json).relative_cost as number,
      );
      const { consistency, operatingPoint } = await calibration(audited);
      expect(operatingPoint.guard.auditRate).toBe(0.5);
      const perExit = consistency.exits.map((diagram) =>
        diagram.count.reduce((sum, count) => sum + count, 0),
      );
      // Every audited sample adds one observation at each exit before the last, none at the last.
      expect(perExit[0]).toBeGreaterThan(90);
      expect(perExit[0]).toBeLessThan(166);
      for (let exit = 1; exit < LAST_EXIT; exit++) expect(perExit[exit]).toBe(perExit[0]);
      expect(perExit[LAST_EXIT]).toBe(0);
      expect(consistency.samples).toBe(perExit[0]);
      const agreeing = consistency.exits[LAST_EXIT - 1]!.correct.reduce((sum, count) => sum + count, 0);
      expect(agreeing / perExit[LAST_EXIT - 1]!).toBeGreaterThan(0.8);
      expect((await calibration(plain)).consistency.samples).toBe(0);
    } finally {
      await Promise.all([audited.close(), plain.close()]);
    }
  });
});
