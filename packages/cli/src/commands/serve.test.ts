import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTraces, readNpz, readTraces, writeTraces } from '@pcee/core';
import { modelDir, testInputsPath } from '@pcee/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, temporaryFolder } from '../../test-support/run-cli.js';

const folder = temporaryFolder();
const cnnLarge = modelDir('fmnist-cnn-large');
const cnnSmall = modelDir('fmnist-cnn-small');
let largeProfile: string;
let smallProfile: string;
let tunedProfile: string;
let tunedDelta: number;

beforeAll(async () => {
  largeProfile = join(folder, 'large.json');
  smallProfile = join(folder, 'small.json');
  for (const [dir, out] of [
    [cnnLarge, largeProfile],
    [cnnSmall, smallProfile],
  ] as const) {
    const calibrated = await runCli('calibrate', join(dir, 'val.npz'), '--model', dir, '--out', out);
    expect(calibrated.code, calibrated.stderr).toBe(0);
  }
  // A tuned profile, made as a user would: calibrate on one half of the validation traces,
  // tune on the other (pcee tune --out records the operating point, used when no --delta is given).
  const validation = readTraces(new Uint8Array(readFileSync(join(cnnLarge, 'val.npz'))), 'val.npz');
  const half = validation.samples >> 1;
  const row = validation.exits * validation.classes;
  const part = (from: number, to: number) =>
    writeTraces(
      createTraces(validation.logits.slice(from * row, to * row), validation.labels.slice(from, to), {
        samples: to - from,
        exits: validation.exits,
        classes: validation.classes,
      }),
      'npz',
    );
  writeFileSync(join(folder, 'val-a.npz'), part(0, half));
  writeFileSync(join(folder, 'val-b.npz'), part(half, validation.samples));
  const calibration = join(folder, 'val-a.json');
  tunedProfile = join(folder, 'tuned.json');
  for (const argv of [
    ['calibrate', join(folder, 'val-a.npz'), '--model', cnnLarge, '--out', calibration],
    ['tune', calibration, join(folder, 'val-b.npz'), '--target-accuracy', '0.9', '--out', tunedProfile],
  ]) {
    const result = await runCli(...argv);
    expect(result.code, result.stderr).toBe(0);
  }
  tunedDelta = JSON.parse(readFileSync(tunedProfile, 'utf8')).tuned.delta;
});

describe('pcee serve: every user mistake is one error line', () => {
  it.each<[string, () => string[], number, RegExp]>([
    [
      'a profile of another model',
      () => [cnnLarge, '--profile', smallProfile, '--delta', '0.9'],
      1,
      /no profile for model "fmnist-cnn-large".*unmatched: .*small\.json \(for fmnist-cnn-small\)/,
    ],
    [
      '--policy against the tuned one',
      () => [cnnLarge, '--profile', tunedProfile, '--policy', 'confidence'],
      1,
      /was tuned for policy pcee, not confidence; give --delta <x> to serve confidence/,
    ],
    [
      'no δ and an untuned profile',
      () => [cnnLarge, '--profile', largeProfile],
      1,
      /no δ for model "fmnist-cnn-large": give --delta <x>, or a profile tuned with pcee tune --out/,
    ],
    [
      'a missing profile',
      () => [cnnLarge, '--profile', join(folder, 'nope.json'), '--delta', '0.9'],
      1,
      /profile not found: .*nope\.json/,
    ],
    [
      'a folder that is not a package',
      () => [folder, '--profile', largeProfile, '--delta', '0.9'],
      1,
      /is not a model package \(no readable model.json\)/,
    ],
    [
      'two δ',
      () => [cnnLarge, '--profile', largeProfile, '--delta', '0.9,0.95'],
      1,
      /--delta takes one value for serve/,
    ],
    [
      'the oracle as default policy',
      () => [cnnLarge, '--profile', largeProfile, '--delta', '0.9', '--policy', 'oracle'],
      1,
      /unknown policy "oracle"/,
    ],
    [
      'a reversed δ range',
      () => [cnnLarge, '--profile', largeProfile, '--delta', '0.9', '--delta-range', '0.9,0.5'],
      1,
      /--delta-range must be two numbers low,high with 0 ≤ low ≤ high ≤ 1/,
    ],
    [
      'requests larger than the queue',
      () => [
        cnnLarge,
        '--profile',
        largeProfile,
        '--delta',
        '0.9',
        '--max-queue',
        '64',
        '--max-request-samples',
        '128',
      ],
      1,
      /--max-request-samples \(128\) is over --max-queue \(64\)/,
    ],
    [
      'a port out of range',
      () => [cnnLarge, '--profile', largeProfile, '--port', '70000'],
      2,
      /--port must be an integer in \[0, 65535\]/,
    ],
    [
      'a gRPC port out of range',
      () => [cnnLarge, '--profile', largeProfile, '--grpc-port', '-1'],
      2,
      /--grpc-port must be an integer in \[0, 65535\]/,
    ],
    [
      'an unknown batching mode',
      () => [cnnLarge, '--profile', largeProfile, '--batching', 'none'],
      2,
      /Allowed choices are per-stage, first-stage/,
    ],
    [
      'an audit rate over 1',
      () => [cnnLarge, '--profile', largeProfile, '--audit-rate', '1.5'],
      2,
      /--audit-rate must be a number in \[0, 1\], got "1.5"/,
    ],
    [
      'an unknown violation action',
      () => [cnnLarge, '--profile', largeProfile, '--on-violation', 'panic'],
      2,
      /Allowed choices are recalibrate, abstain, full, alert/,
    ],
    [
      'a recalibration window too small to split',
      () => [cnnLarge, '--profile', largeProfile, '--delta', '0.9', '--recalibration-samples', '10'],
      1,
      /--recalibration-samples must be an integer ≥ 100 .*got 10; e.g. 2000/,
    ],
  ])('%s', async (_name, argv, code, message) => {
    const result = await runCli('serve', ...argv());
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    if (code === 1) expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('pcee serve as a process: SIGTERM mid-load', () => {
  const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

  it('completes the requests in flight, refuses new ones, and exits 0', async () => {
    expect(existsSync(bin), `build the CLI first: npm run build -w @pcee/cli (missing ${bin})`).toBe(true);
    const child = spawn(
      process.execPath,
      // With gRPC on too: SIGTERM closes both listeners after the drain.
      // Batches wait up to 50 ms to fill, so at the signal some requests are admitted and
      // queued, not only in transit: the test sees both a completed drain and refusals.
      [
        bin,
        'serve',
        cnnLarge,
        '--profile',
        tunedProfile,
        '--port',
        '0',
        '--grpc-port',
        '0',
        '--max-delay-ms',
        '50',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      const { url, logs } = await listening(child);
      const metadata = (await (await fetch(`${url}/v2/models/fmnist-cnn-large`)).json()) as {
        parameters: { delta: number };
      };
      expect(metadata.parameters.delta).toBe(tunedDelta);
      const tensors = readNpz(new Uint8Array(readFileSync(testInputsPath())));
      const pixels = (tensors.get('x')!.data as Uint8Array).subarray(0, 16 * 784);
      const body = JSON.stringify({
        inputs: [{ name: 'image', shape: [16, 28, 28], datatype: 'UINT8', data: Array.from(pixels) }],
      });
      let signalledAt = Number.POSITIVE_INFINITY;
      let ok = 0;
      const outcomes: {
        sentBeforeSignal: boolean;
        answeredAfterSignal: boolean;
        status: number | 'error';
        error?: string;
      }[] = [];
      const client = async () => {
        for (;;) {
          const sentBeforeSignal = performance.now() < signalledAt;
          let status: number | 'error';
          let error: string | undefined;
          try {
            const response = await fetch(`${url}/v2/models/fmnist-cnn-large/infer`, {
              method: 'POST',
              body,
              headers: { 'content-type': 'application/json' },
              signal: AbortSignal.timeout(30_000),
            });
            const json = (await response.json()) as { error?: string };
            status = response.status;
            error = json.error;
          } catch (failure) {
            // A connection refused or closed once the listener is gone; a TimeoutError is a hang.
            status = 'error';
            error = (failure as Error).name;
          }
          outcomes.push({
            sentBeforeSignal,
            answeredAfterSignal: performance.now() > signalledAt,
            status,
            error,
          });
          if (status === 200) ok++;
          if (status !== 200) return;
        }
      };
      const clients = Array.from({ length: 8 }, client);
      while (ok < 24) await new Promise((resolve) => setTimeout(resolve, 5));
      signalledAt = performance.now();
      child.kill('SIGTERM');
      await Promise.all(clients);
      const { code, signal } = await withTimeout(
        exited,
        30_000,
        'the server did not exit within 30 s of SIGTERM',
      );
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      // Requests in flight at the signal (sent before, answered after) were either admitted
      // and completed (200) or, having reached the server after the drain began, refused with
      // the shutdown 503; none was dropped, failed after admission, or hung.
      const inFlight = outcomes.filter((outcome) => outcome.sentBeforeSignal && outcome.answeredAfterSignal);
      expect(inFlight.filter((outcome) => outcome.status === 200).length).toBeGreaterThan(0);
      for (const outcome of inFlight) {
        if (outcome.status !== 200) {
          expect(outcome).toMatchObject({
            status: 503,
            error: expect.stringMatching(/^the server is shutting down/),
          });
        }
      }
      // Requests sent after the signal: admitted if they beat the signal's handling (200),
      // else refused with the shutdown 503, or they find the listener closed; none hangs.
      for (const outcome of outcomes.filter((entry) => !entry.sentBeforeSignal)) {
        expect([200, 503, 'error']).toContain(outcome.status);
        if (outcome.status === 503) expect(outcome.error).toMatch(/^the server is shutting down/);
      }
      expect(outcomes.filter((outcome) => outcome.error === 'TimeoutError')).toEqual([]);
      const log = logs.join('');
      expect(log).toContain('"msg":"shutting down: draining admitted requests"');
      expect(log).toContain('"msg":"gRPC (OIP v2) listening"');
      expect(log).toContain('"msg":"shut down"');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});

/** Resolves with the server's URL once its log says it listens; collects its stdout lines. */
function listening(child: ChildProcess): Promise<{ url: string; logs: string[] }> {
  const logs: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  return withTimeout(
    new Promise((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        logs.push(chunk.toString());
        const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(logs.join(''));
        if (match) resolve({ url: match[1]!, logs });
      });
      child.on('exit', (code) =>
        reject(new Error(`pcee serve exited with ${code} before listening: ${stderr}`)),
      );
    }),
    60_000,
    'pcee serve did not listen within 60 s',
  );
}

function withTimeout<T>(promise: Promise<T>, milliseconds: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), milliseconds);
    }),
  ]);
}
