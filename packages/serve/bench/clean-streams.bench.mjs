// Measures: false alarms of the server's accuracy monitor on clean test streams.
// False alarms of the accuracy monitor on clean data: for each model, the operating point of
// the shift benchmark (target and δ certified on validation data), then 20 streams of 50,000
// test samples drawn with replacement, each answered by PCEE at δ (simulated on the model's
// test traces: the decisions the server makes, bit for bit) and fed to the server's monitor
// (core's AccuracyMonitor, target and risk of the tuned profile). The monitor may fire in at
// most a share α of such streams when the accuracy on them is at least the target.
//
// Run: npm run bench:clean-streams -w @pcee/serve. Environment: PCEE_CLEAN_MODELS,
// PCEE_CLEAN_STREAMS (20), PCEE_CLEAN_SAMPLES (50000).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AccuracyMonitor,
  compileTunedPolicy,
  readTraces,
  scoreExits,
  seededRandom,
  simulateExits,
} from '@pcee/core';
import { modelDir } from '@pcee/models';
import { printJson } from '../../../scripts/bench/bench-kit.mjs';
import { tuneOnValidation } from './tune-on-validation.mjs';

const MODELS = (process.env.PCEE_CLEAN_MODELS ?? 'fmnist-cnn-large,fmnist-vit-large').split(',');
const STREAMS = Number(process.env.PCEE_CLEAN_STREAMS ?? 20);
const SAMPLES = Number(process.env.PCEE_CLEAN_SAMPLES ?? 50_000);
const RISK = 0.05;
const work = mkdtempSync(join(tmpdir(), 'pcee-clean-streams-'));

const rows = [];
for (const id of MODELS) {
  const { profile, target, delta } = tuneOnValidation(id, RISK, work);
  const test = readTraces(new Uint8Array(readFileSync(join(modelDir(id), 'test.npz'))), 'test.npz');
  const scores = scoreExits(test, profile.confidence);
  const exits = simulateExits(scores, compileTunedPolicy(profile));
  const correct = Uint8Array.from(exits, (exit, sample) => scores.correct[sample * scores.exits + exit]);
  const testAccuracy = correct.reduce((sum, flag) => sum + flag, 0) / correct.length;
  let fired = 0;
  const firedAt = [];
  for (let stream = 0; stream < STREAMS; stream++) {
    const random = seededRandom(1000 + stream);
    const monitor = new AccuracyMonitor({ targetAccuracy: target, risk: RISK });
    for (let sample = 0; sample < SAMPLES && !monitor.violated; sample++) {
      monitor.observe(correct[Math.floor(random() * correct.length)] === 1);
    }
    const state = monitor.state();
    if (state.violated) {
      fired++;
      firedAt.push(state.firedAt);
    }
  }
  rows.push({
    model: id,
    target,
    delta,
    testAccuracy,
    streams: STREAMS,
    samplesPerStream: SAMPLES,
    fired,
    firedShare: fired / STREAMS,
    firedAt,
  });
  console.error(
    `${id}: target ${target}, δ ${delta}, test accuracy at δ ${testAccuracy.toFixed(4)}: fired in ${fired} of ${STREAMS} streams`,
  );
}
console.log(
  '| model | target | δ | test accuracy at δ | streams × samples | fired | share (≤ α = 0.05 expected when accuracy ≥ target) |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const row of rows) {
  console.log(
    `| ${row.model} | ${row.target} | ${row.delta.toFixed(4)} | ${row.testAccuracy.toFixed(4)} | ${row.streams} × ${row.samplesPerStream} | ${row.fired} | ${row.firedShare.toFixed(2)} |`,
  );
}
printJson('clean-streams', rows);
