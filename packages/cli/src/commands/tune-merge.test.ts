import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTraces, readTraces, type Traces } from '@pcee/core';
import { modelDir } from '@pcee/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeReferenceInputs } from '../../test-support/reference-model.js';
import { expectOneLineError, runCli, temporaryFolder, writeTracesFile } from '../../test-support/run-cli.js';
import { bundledManifest } from '../../test-support/split-models.js';

// Real traces of the bundled models: calibrate on one part of val.npz, tune on another.
const small = modelDir('fmnist-cnn-small');
const large = modelDir('fmnist-cnn-large');
const folder = temporaryFolder();
const validation = readTraces(new Uint8Array(readFileSync(join(small, 'val.npz'))), 'val.npz');
const largeValidation = readTraces(new Uint8Array(readFileSync(join(large, 'val.npz'))), 'val.npz');
const smallManifest = bundledManifest('fmnist-cnn-small');
/** The small model's full cost in FLOPs: the budget of the large one. */
const smallFullCost = smallManifest.fullModelCost;
/** The small model's first exit as a fraction of its full cost. */
const smallFirstExit = smallManifest.exitCosts[0]! / smallFullCost;

function slice(traces: Traces, from: number, to: number): Traces {
  const width = traces.exits * traces.classes;
  return createTraces(traces.logits.slice(from * width, to * width), traces.labels.slice(from, to), {
    samples: to - from,
    exits: traces.exits,
    classes: traces.classes,
  });
}

/** Accuracy of the last exit's argmax on `traces`. */
function finalExitAccuracy(traces: Traces): number {
  const { exits, classes } = traces;
  let correct = 0;
  for (let n = 0; n < traces.samples; n++) {
    const offset = (n * exits + exits - 1) * classes;
    let best = 0;
    for (let c = 1; c < classes; c++)
      if (traces.logits[offset + c]! > traces.logits[offset + best]!) best = c;
    if (best === Number(traces.labels[n])) correct++;
  }
  return correct / traces.samples;
}

const calibration = writeTracesFile(folder, 'calibration.npz', slice(validation, 0, 5000));
const holdout = writeTracesFile(folder, 'holdout.npz', slice(validation, 5000, 10000));
const smallHoldout = writeTracesFile(folder, 'small-holdout.npz', slice(validation, 5000, 5400));
const largeCalibration = writeTracesFile(folder, 'large-calibration.npz', slice(largeValidation, 0, 5000));
const largeHoldout = writeTracesFile(folder, 'large-holdout.npz', slice(largeValidation, 5000, 10000));
const profile = join(folder, 'profile.json');
const largeProfile = join(folder, 'large-profile.json');
const tuned = join(folder, 'tuned.json');
const inputs = writeReferenceInputs(folder, 'inputs.npz', 64);

beforeAll(async () => {
  expect((await runCli('calibrate', calibration, '--model', small, '--out', profile)).code).toBe(0);
  expect((await runCli('calibrate', largeCalibration, '--model', large, '--out', largeProfile)).code).toBe(0);
  expect((await runCli('tune', profile, holdout, '--target-accuracy', '0.9', '--out', tuned)).code).toBe(0);
});

describe('pcee calibrate records the calibration data', () => {
  it('writes calibrationData {contentHash, samples}', () => {
    const json = JSON.parse(readFileSync(profile, 'utf8'));
    expect(json.calibrationData).toEqual({
      contentHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      samples: 5000,
    });
  });
});

describe('pcee tune --target-accuracy', () => {
  // 0.9 is above the first exit's accuracy, so the certified δ must send some samples deeper (δ > 0).
  it('--json prints {policy, delta, abstain, holdout: {accuracy, meanCost, relativeCost, …}, guarantee}', async () => {
    const result = await runCli('tune', profile, holdout, '--target-accuracy', '0.9', '--json');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(Object.keys(json)).toEqual(['policy', 'delta', 'abstain', 'holdout', 'guarantee']);
    expect(Object.keys(json.holdout)).toEqual([
      'accuracy',
      'meanCost',
      'relativeCost',
      'samples',
      'contentHash',
    ]);
    expect(json.guarantee).toEqual({
      targetAccuracy: 0.9,
      risk: 0.05,
      method: 'learn-then-test, fixed sequence, exact binomial (Clopper-Pearson)',
    });
    expect(json.holdout.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(json.holdout.relativeCost).toBeLessThan(1);
    expect(json.delta).toBeGreaterThan(0);
    // --out wrote the same point into the profile.
    expect(JSON.parse(readFileSync(tuned, 'utf8')).tuned).toEqual(json);
  });

  it('prints δ, the holdout accuracy and cost, and the guarantee in one sentence', async () => {
    const result = await runCli('tune', profile, holdout, '--target-accuracy', '0.85', '--risk', '0.1');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/policy\s+δ\s+holdout accuracy\s+mean cost \(flops\)\s+relative cost/);
    expect(result.stdout).toMatch(
      /With probability ≥ 90% over the draw of the 5,000 holdout samples, accuracy on new data from the same distribution is ≥ 85\.00%/,
    );
    expect(result.stderr).toMatch(/tested \d+ of \d+ δ from strict to loose on 5000 holdout samples/);
  });

  it('--abstain guarantees the selective accuracy above the full model and reports coverage', async () => {
    const result = await runCli('tune', profile, holdout, '--target-accuracy', '0.95', '--abstain', '--json');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.abstain).toBe(true);
    expect(json.holdout.selectiveAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(json.holdout.coverage).toBeGreaterThan(0.3);
    expect(json.holdout.coverage).toBeLessThan(1);
  });

  it('a target no δ reaches names the best accuracy and says more data will not help', async () => {
    expectOneLineError(
      await runCli('tune', profile, holdout, '--target-accuracy', '0.95'),
      /no δ of policy pcee certifies accuracy ≥ 0\.95 .* the best holdout accuracy is 0\.\d{4} .*more holdout data will not help.*--abstain/,
    );
  });

  it('a target just out of reach of a small holdout says how many more samples would help', async () => {
    // Just below what the final exit reaches on these 400 samples: met on them, but 400 are
    // too few to certify it.
    const target = Math.floor((finalExitAccuracy(slice(validation, 5000, 5400)) - 0.005) * 1000) / 1000;
    expectOneLineError(
      await runCli('tune', profile, smallHoldout, '--target-accuracy', String(target)),
      /on 400 holdout samples: .* about [\d,]+ more holdout samples \([\d,]+ in all\) at the same error rate/,
    );
  });

  it.each([
    ['a target of 0', ['--target-accuracy', '0'], /target accuracy must be a number in \(0, 1\], got 0/],
    [
      'a target above 1',
      ['--target-accuracy', '1.2'],
      /target accuracy must be a number in \(0, 1\], got 1\.2/,
    ],
    ['a target that is no number', ['--target-accuracy', 'high'], /--target-accuracy "high" is not a number/],
    [
      'a risk of 0',
      ['--target-accuracy', '0.85', '--risk', '0'],
      /risk α must be a number in \(0, 1\), got 0/,
    ],
    [
      'a risk of 1',
      ['--target-accuracy', '0.85', '--risk', '1'],
      /risk α must be a number in \(0, 1\), got 1/,
    ],
    ['no goal', [], /give --target-accuracy <a> .* or --budget <cost>/],
    ['two goals', ['--target-accuracy', '0.85', '--budget', '0.5'], /either --target-accuracy or --budget/],
    [
      '--per-exit without a budget',
      ['--target-accuracy', '0.85', '--per-exit'],
      /--per-exit works with --budget/,
    ],
    ['the oracle', ['--target-accuracy', '0.85', '--policy', 'oracle'], /unknown policy "oracle"/],
  ])('refuses %s in one line', async (_, flags, message) => {
    expectOneLineError(await runCli('tune', profile, holdout, ...flags), message);
  });

  it('refuses the profile’s own calibration data as holdout, in any sample order', async () => {
    const reversed = slice(validation, 0, 5000);
    const order = Array.from({ length: 5000 }, (_, n) => 4999 - n);
    const width = reversed.exits * reversed.classes;
    const logits = new Float32Array(reversed.logits.length);
    order.forEach((from, to) => {
      logits.set(reversed.logits.subarray(from * width, (from + 1) * width), to * width);
    });
    const shuffled = writeTracesFile(
      folder,
      'calibration-reversed.safetensors',
      createTraces(
        logits,
        Int32Array.from(order, (from) => reversed.labels[from]!),
        {
          samples: 5000,
          exits: reversed.exits,
          classes: reversed.classes,
        },
      ),
    );
    for (const same of [calibration, shuffled]) {
      expectOneLineError(
        await runCli('tune', profile, same, '--target-accuracy', '0.85'),
        /is the data profile\.json was calibrated on \(same content hash\).*calibrate on one part and tune on the other/,
      );
    }
  });

  it('refuses a holdout of another model', async () => {
    expectOneLineError(
      await runCli('tune', profile, largeHoldout, '--target-accuracy', '0.85'),
      new RegExp(
        `holdout large-holdout\\.npz has ${largeValidation.exits} exits and 10 classes but profile\\.json \\(model "fmnist-cnn-small"\\) has ${validation.exits} exits`,
      ),
    );
  });

  it('warns when the profile records no calibration data', async () => {
    const bare = join(folder, 'bare.json');
    const json = JSON.parse(readFileSync(profile, 'utf8'));
    delete json.calibrationData;
    writeFileSync(bare, JSON.stringify(json));
    const result = await runCli('tune', bare, holdout, '--target-accuracy', '0.85');
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/warning: bare\.json records no hash of its calibration data/);
  });
});

describe('pcee tune --budget', () => {
  it('a fraction: the most accurate δ whose holdout cost fits, with no guarantee', async () => {
    const result = await runCli('tune', profile, holdout, '--budget', '0.5', '--json');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.holdout.relativeCost).toBeLessThanOrEqual(0.5);
    expect(json.guarantee).toBeNull();
    expect(json.budget.maxRelativeCost).toBe(0.5);
  });

  it('--per-exit at the small model’s cost: one threshold per exit, never worse than one δ on the holdout', async () => {
    const single = JSON.parse(
      (await runCli('tune', largeProfile, largeHoldout, '--budget', `${smallFullCost}flops`, '--json'))
        .stdout,
    );
    const perExit = JSON.parse(
      (
        await runCli(
          'tune',
          largeProfile,
          largeHoldout,
          '--budget',
          `${smallFullCost / 1e6}mflops`,
          '--per-exit',
          '--json',
        )
      ).stdout,
    );
    expect(perExit.delta).toBeNull();
    expect(perExit.exitDeltas).toHaveLength(largeValidation.exits);
    expect(perExit.holdout.meanCost).toBeLessThanOrEqual(smallFullCost * (1 + 1e-12));
    expect(perExit.holdout.accuracy).toBeGreaterThanOrEqual(single.holdout.accuracy);
    const text = await runCli(
      'tune',
      largeProfile,
      largeHoldout,
      '--budget',
      `${smallFullCost}flops`,
      '--per-exit',
    );
    expect(text.stdout).toMatch(/pcee \(single δ\)[\s\S]*pcee \(per exit\)/);
    expect(text.stdout).toMatch(/Budget mode: .* not a guarantee/);
  });

  it.each([
    [
      'a budget below the cheapest exit',
      ['--budget', String(smallFirstExit / 2)],
      /below the cheapest exit: exit 0 costs/,
    ],
    ['a budget in another unit', ['--budget', '3ms'], /in "ms" but the profile's costs are in "flops"/],
    [
      '--abstain with a budget',
      ['--budget', '0.5', '--abstain'],
      /--abstain works with --target-accuracy only/,
    ],
  ])('refuses %s in one line', async (_, flags, message) => {
    expectOneLineError(await runCli('tune', profile, holdout, ...flags), message);
  });
});

describe('a tuned profile drives run, evaluate, bench and report without --delta', () => {
  const tunedPoint = () => JSON.parse(readFileSync(tuned, 'utf8')).tuned;

  it('evaluate prints the tuned operating point only', async () => {
    const result = await runCli('evaluate', tuned, join(small, 'test.npz'), '--json');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.rows).toHaveLength(1);
    expect(json.rows[0]).toMatchObject({ policy: 'pcee', delta: tunedPoint().delta });
    expect(result.stderr).toMatch(/evaluating the profile's tuned operating point/);
  });

  it('run takes the tuned δ; --delta still overrides it', async () => {
    const fromProfile = JSON.parse((await runCli('run', small, inputs, '--profile', tuned, '--json')).stdout);
    const explicit = JSON.parse(
      (
        await runCli(
          'run',
          small,
          inputs,
          '--profile',
          tuned,
          '--delta',
          String(tunedPoint().delta),
          '--json',
        )
      ).stdout,
    );
    expect(fromProfile.summary).toEqual(explicit.summary);
    const other = JSON.parse(
      (await runCli('run', small, inputs, '--profile', tuned, '--delta', '1', '--json')).stdout,
    );
    expect(other.summary.meanCost).toBeGreaterThan(fromProfile.summary.meanCost);
  });

  it('bench takes the tuned δ', async () => {
    const result = await runCli(
      'bench',
      small,
      inputs,
      '--profile',
      tuned,
      '--batch',
      '32',
      '--repeat',
      '1',
      '--threads',
      '1',
      '--json',
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).rows.map((row: { delta: number }) => row.delta)).toEqual([
      tunedPoint().delta,
    ]);
  });

  it('report shows the tuned operating point and its guarantee', async () => {
    const out = join(folder, 'tuned-report.html');
    expect(
      (await runCli('report', tuned, join(small, 'test.npz'), '--model', small, '--out', out)).code,
    ).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('data-section="tuned"');
    expect(html).toMatch(/With probability ≥ 95% over the draw of the 5,000 holdout samples, accuracy/);
    expect(html).toMatch(/<tr><td>test \(this report\)<\/td><td>\d+\.\d\d%<\/td>/);
  });

  it('an untuned profile without --delta says how to get one', async () => {
    expectOneLineError(
      await runCli('run', small, inputs, '--profile', profile),
      /give --delta: this profile has no tuned operating point \(tune one with: pcee tune/,
    );
  });

  it('a --policy other than the tuned one needs --delta', async () => {
    expectOneLineError(
      await runCli('run', small, inputs, '--profile', tuned, '--policy', 'confidence'),
      /--policy confidence differs from the profile's tuned policy pcee; give --delta too/,
    );
  });
});

describe('--abstain on evaluate and run', () => {
  it('evaluate --abstain adds coverage and selective accuracy', async () => {
    const result = await runCli(
      'evaluate',
      profile,
      join(small, 'test.npz'),
      '--policy',
      'pcee',
      '--delta',
      '0.8,0.95',
      '--abstain',
      '--json',
    );
    const rows = JSON.parse(result.stdout).rows;
    expect(Object.keys(rows[0])).toEqual([
      'policy',
      'delta',
      'accuracy',
      'meanCost',
      'relativeCost',
      'exitCounts',
      'coverage',
      'selectiveAccuracy',
    ]);
    expect(rows[1].coverage).toBeLessThan(rows[0].coverage);
    expect(rows[1].selectiveAccuracy).toBeGreaterThan(rows[1].accuracy);
  });

  it('run --abstain marks abstained predictions and reports coverage', async () => {
    const json = JSON.parse(
      (await runCli('run', small, inputs, '--profile', profile, '--delta', '0.97', '--abstain', '--json'))
        .stdout,
    );
    const abstained = json.predictions.filter((prediction: { abstained: boolean }) => prediction.abstained);
    expect(abstained.length).toBeGreaterThan(0);
    expect(json.summary.coverage).toBeCloseTo(1 - abstained.length / 64, 12);
    expect(abstained.every((prediction: { exit: number }) => prediction.exit === 3)).toBe(true);
  });
});

describe('pcee merge', () => {
  const shards = [
    [0, 2500],
    [2500, 2600],
    [2600, 10000],
  ].map(([from, to], index) => writeTracesFile(folder, `shard-${index}.npz`, slice(validation, from!, to!)));

  it('merging k shard profiles is byte-identical to calibrating on the whole set', async () => {
    const profiles = shards.map((_, index) => join(folder, `shard-${index}.json`));
    for (const [index, shard] of shards.entries()) {
      expect((await runCli('calibrate', shard, '--model', small, '--out', profiles[index]!)).code).toBe(0);
    }
    const whole = join(folder, 'whole.json');
    expect((await runCli('calibrate', join(small, 'val.npz'), '--model', small, '--out', whole)).code).toBe(
      0,
    );
    const merged = join(folder, 'merged.json');
    const result = await runCli('merge', ...profiles, '--out', merged);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(`merged 3 profiles (10000 samples) → ${merged}\n`);
    expect(readFileSync(merged, 'utf8')).toBe(readFileSync(whole, 'utf8'));
  });

  it('drops tuned operating points and says so', async () => {
    const result = await runCli('merge', tuned, profile, '--out', join(folder, 'merged-tuned.json'));
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/dropped their tuned operating points/);
    expect(JSON.parse(readFileSync(join(folder, 'merged-tuned.json'), 'utf8')).tuned).toBeUndefined();
  });

  it.each([
    [
      'another model',
      () => largeProfile,
      /cannot merge profile\.json and large-profile\.json: model id differs/,
    ],
    ['other bins', async () => calibrateWith('bins.json', '--bins', '10'), /binning differs/],
    [
      'another confidence measure',
      async () => calibrateWith('margin.json', '--confidence', 'margin'),
      /confidence measure differs \(max-softmax vs margin\)/,
    ],
    ['other costs', async () => calibrateWith('costs.json', '--costs', '1,2,3,4'), /costs differs/],
  ])('refuses %s in one line naming both files', async (_, second, message) => {
    expectOneLineError(
      await runCli('merge', profile, await second(), '--out', join(folder, 'never.json')),
      message,
    );
  });

  it('refuses equal-mass shards (their bin edges differ) and another profile version', async () => {
    const first = await calibrateWith('mass-0.json', '--binning', 'mass');
    const second = join(folder, 'mass-1.json');
    await runCli('calibrate', holdout, '--model', small, '--binning', 'mass', '--out', second);
    expectOneLineError(
      await runCli('merge', first, second, '--out', join(folder, 'never.json')),
      /cannot merge mass-0\.json and mass-1\.json: cannot merge diagrams with different bin edges/,
    );
    const future = join(folder, 'future.json');
    writeFileSync(future, JSON.stringify({ ...JSON.parse(readFileSync(profile, 'utf8')), version: 2 }));
    expectOneLineError(
      await runCli('merge', profile, future, '--out', join(folder, 'never.json')),
      /future\.json has profile version 2/,
    );
  });

  it('needs two profiles', async () => {
    expectOneLineError(
      await runCli('merge', profile, '--out', join(folder, 'never.json')),
      /at least two profiles/,
    );
  });
});

async function calibrateWith(name: string, ...flags: string[]): Promise<string> {
  const out = join(folder, name);
  expect((await runCli('calibrate', calibration, '--model', small, ...flags, '--out', out)).code).toBe(0);
  return out;
}
