#!/usr/bin/env node
// Measures: `pcee attach` on the plain models end to end: accuracy and FLOPs per δ, speed at batch 64.
/**
 * The figures of `pcee attach` on the plain Fashion-MNIST models (packages/models/plain), end to
 * end through the CLI, as a user runs it: attach → split → trace (validation and test) →
 * calibrate (validation) → δ chosen on VALIDATION traces only → evaluate on the test traces →
 * bench at batch 64. Prints one table and writes JSON.
 *
 *   npx turbo run build --filter=@pcee/cli...
 *   cd packages/models && /usr/bin/python3 -m training.plain   # writes /tmp/pcee-plain-data/{train,val,test}.npz
 *   node packages/attach/bench/attach-results.bench.mjs [--data /tmp/pcee-plain-data] [--work /tmp/pcee-attach-results]
 *        [--models fmnist-resnet-plain,fmnist-vit-plain] [--out packages/models/plain/attach-results.json]
 *        [--docs apps/docs/guides/pretrained-to-early-exit.md]   # regenerate the guide's measured section
 *   node packages/attach/bench/attach-results.bench.mjs --render <attach-results.json> --docs <guide.md>   # docs only
 *
 * δ rule (validation only): the cheapest δ on a grid whose validation accuracy is within 0.5 pt
 * of the plain model's validation accuracy; for the headline pair, the most accurate δ whose
 * validation mean cost is ≤ the small plain model's FLOPs.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const pcee = join(root, 'packages/cli/dist/bin.js');
const plain = join(root, 'packages/models/plain');
const argument = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const data = argument('data', '/tmp/pcee-plain-data');
const work = argument('work', '/tmp/pcee-attach-results');
const out = argument('out', join(plain, 'attach-results.json'));
const models = argument('models', 'fmnist-resnet-plain,fmnist-vit-plain').split(',');
const small = 'fmnist-resnet-plain-small';
const TOLERANCE = 0.005;
const GRID = '0.5:0.995:0.005';
/** How each model's heads are trained (what worked on validation, see the guide). */
const ATTACH_FLAGS = {
  'fmnist-resnet-plain': ['--head', 'mlp', '--max-pool'],
  'fmnist-vit-plain': ['--head', 'mlp', '--max-pool'],
};

mkdirSync(work, { recursive: true });

function run(args, { json = false } = {}) {
  const started = performance.now();
  const stdout = execFileSync('node', [pcee, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1 << 26,
  });
  return {
    stdout,
    seconds: (performance.now() - started) / 1000,
    ...(json ? { value: JSON.parse(stdout) } : {}),
  };
}

/** The attach run with stderr kept (its summary line has the timings and peak memory). */
function attach(model, target, packageDir) {
  const started = performance.now();
  const result = execFileSync(
    'bash',
    [
      '-c',
      `node ${pcee} attach ${join(plain, `${model}.onnx`)} ${join(data, 'train.npz')} --out ${target} --package ${packageDir} ${(ATTACH_FLAGS[model] ?? []).join(' ')} 2>&1`,
    ],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  const summary = /features ([\d.]+) s, heads ([\d.]+) s, peak memory (\d+) MiB/.exec(result);
  return {
    log: result,
    seconds: (performance.now() - started) / 1000,
    featureSeconds: Number(summary?.[1]),
    headSeconds: Number(summary?.[2]),
    peakMiB: Number(summary?.[3]),
  };
}

const results = JSON.parse(readFileSync(join(plain, 'results.json'), 'utf8'));
const smallCost = (() => {
  const text = run(['inspect', join(plain, `${small}.onnx`), '--json'], { json: true }).value;
  return text.exits.at(-1).flopsAlone;
})();

/** Jointly trained exits of the bundled zoo: their best validation-chosen δ within a FLOPs budget, on test. */
const ZOO = { 'fmnist-resnet-plain': 'fmnist-cnn-large', 'fmnist-vit-plain': 'fmnist-vit-large' };
const zooProfiles = new Map();
function zooAtCost(id, budget) {
  const dir = join(root, 'packages/models', id);
  if (!zooProfiles.has(id)) {
    const profile = join(work, `${id}-profile.json`);
    run(['calibrate', join(dir, 'val.npz'), '--model', dir, '--out', profile]);
    const evaluate = (split) =>
      run(['evaluate', profile, join(dir, `${split}.npz`), '--policy', 'pcee', '--delta', GRID, '--json'], {
        json: true,
      }).value;
    zooProfiles.set(id, { validation: evaluate('val'), test: evaluate('test') });
  }
  const { validation, test } = zooProfiles.get(id);
  const affordable = validation.rows.filter((row) => row.meanCost <= budget);
  const best = affordable.reduce((top, row) => (!top || row.accuracy > top.accuracy ? row : top), undefined);
  const testRow = best && test.rows.find((row) => row.delta === best.delta);
  return {
    id,
    budget,
    delta: best?.delta ?? null,
    test: testRow ?? null,
    zooFullTestAccuracy: test.fullModel.accuracy,
  };
}

const previous = (() => {
  try {
    return JSON.parse(readFileSync(out, 'utf8')).models ?? {};
  } catch {
    return {};
  }
})();
const report = {
  // Say what else ran: timings on a busy shared machine are pessimistic.
  hardware: process.env.PCEE_ATTACH_HARDWARE ?? '2-core CPU, onnxruntime-node 1.30 CPU',
  tolerance: TOLERANCE,
  // Models not run this time keep their last figures.
  models: { ...previous },
};
const renderOnly = argument('render', undefined);
for (const model of renderOnly ? [] : models) {
  const folder = join(work, model);
  mkdirSync(folder, { recursive: true });
  const grafted = join(folder, `${model}-exits.onnx`);
  const packageDir = join(folder, 'package');
  const attached = attach(model, grafted, packageDir);
  const table = attached.log.split('\n').filter((line) => /^(exit_\d|logits|exit {2})/.test(line));
  for (const split of ['val', 'test'])
    run(['trace', packageDir, join(data, `${split}.npz`), '--out', join(folder, `${split}-traces.npz`)]);
  const profile = join(folder, 'profile.json');
  run(['calibrate', join(folder, 'val-traces.npz'), '--model', packageDir, '--out', profile]);
  const evaluate = (split) =>
    run(
      [
        'evaluate',
        profile,
        join(folder, `${split}-traces.npz`),
        '--policy',
        'pcee',
        '--delta',
        GRID,
        '--json',
      ],
      { json: true },
    ).value;
  const validation = evaluate('val');
  const test = evaluate('test');
  // δ for "within 0.5 pt of the plain model", chosen on validation.
  const goal = validation.fullModel.accuracy - TOLERANCE;
  const passing = validation.rows.filter((row) => row.accuracy >= goal);
  const chosen = passing.reduce(
    (best, row) => (!best || row.meanCost < best.meanCost ? row : best),
    undefined,
  );
  const testRow = chosen && test.rows.find((row) => row.delta === chosen.delta);
  // The paper's headline: the large plain model + exits at ≤ the small plain model's FLOPs.
  const affordable = validation.rows.filter((row) => row.meanCost <= smallCost);
  const headline = affordable.reduce(
    (best, row) => (!best || row.accuracy > best.accuracy ? row : best),
    undefined,
  );
  const headlineTest = headline && test.rows.find((row) => row.delta === headline.delta);
  let bench;
  let benchDropped;
  if (chosen) {
    const benchRow = (...extra) =>
      run(
        [
          'bench',
          packageDir,
          join(data, 'test.npz'),
          '--profile',
          profile,
          '--delta',
          String(chosen.delta),
          '--batch',
          '64',
          '--limit',
          '2000',
          ...extra,
          '--json',
        ],
        { json: true },
      ).value.rows?.[0];
    bench = benchRow();
    // The same δ with the exits whose saving is below their measured overhead dropped (chosen
    // on the validation traces, never the test set).
    benchDropped = benchRow('--drop-slow-exits', join(folder, 'val-traces.npz'));
  }
  report.models[model] = {
    plain: results[model],
    attach: {
      seconds: attached.seconds,
      featureSeconds: attached.featureSeconds,
      headSeconds: attached.headSeconds,
      peakMiB: attached.peakMiB,
      flags: ATTACH_FLAGS[model] ?? [],
      table,
    },
    plainValidationAccuracy: validation.fullModel.accuracy,
    plainTestAccuracy: test.fullModel.accuracy,
    fullCost: test.fullModel.cost,
    withinHalfPoint: chosen
      ? {
          delta: chosen.delta,
          validation: chosen,
          test: testRow,
          testAccuracyDrop: test.fullModel.accuracy - testRow.accuracy,
        }
      : null,
    headline: headline
      ? {
          smallModel: small,
          smallCost,
          smallTestAccuracy: results[small]?.testAccuracy,
          delta: headline.delta,
          validation: headline,
          test: headlineTest,
        }
      : {
          smallModel: small,
          smallCost,
          smallTestAccuracy: results[small]?.testAccuracy,
          note: 'no δ reaches the small model’s cost on validation: the cheapest δ of the grid instead',
          delta: validation.rows[0].delta,
          test: test.rows[0],
        },
    bench: bench ?? null,
    benchDroppingSlowExits: benchDropped ?? null,
    zoo: chosen && ZOO[model] ? zooAtCost(ZOO[model], testRow.meanCost) : null,
  };
  console.log(`\n## ${model}\n${table.join('\n')}`);
  console.log(
    `attach: features ${attached.featureSeconds} s, heads ${attached.headSeconds} s, peak ${attached.peakMiB} MiB (50k images)\n` +
      `plain: val ${validation.fullModel.accuracy.toFixed(4)}, test ${test.fullModel.accuracy.toFixed(4)}, ${(test.fullModel.cost / 1e6).toFixed(2)} MFLOPs\n` +
      (chosen
        ? `δ=${chosen.delta} (val acc ${chosen.accuracy.toFixed(4)}, cost ${(100 * chosen.relativeCost).toFixed(1)}%): test acc ${testRow.accuracy.toFixed(4)} (${(100 * (testRow.accuracy - test.fullModel.accuracy)).toFixed(2)} pt), cost ${(100 * testRow.relativeCost).toFixed(1)}%\n`
        : 'no δ within 0.5 pt on validation\n') +
      (bench ? `bench batch 64: ${JSON.stringify(bench)}\n` : '') +
      (benchDropped ? `bench batch 64, --drop-slow-exits: ${JSON.stringify(benchDropped)}\n` : '') +
      `headline vs ${small} (${(smallCost / 1e6).toFixed(2)} MFLOPs, test ${results[small]?.testAccuracy}): ${headline ? '' : 'NOT reached, cheapest '}δ=${report.models[model].headline.delta}, test acc ${report.models[model].headline.test.accuracy.toFixed(4)} at ${(report.models[model].headline.test.meanCost / 1e6).toFixed(2)} MFLOPs\n` +
      (report.models[model].zoo?.test
        ? `zoo ${report.models[model].zoo.id} (jointly trained exits) at ≤ ${(testRow.meanCost / 1e6).toFixed(2)} MFLOPs: test acc ${report.models[model].zoo.test.accuracy.toFixed(4)} at ${(report.models[model].zoo.test.meanCost / 1e6).toFixed(2)} MFLOPs\n`
        : ''),
  );
}
if (renderOnly) Object.assign(report, JSON.parse(readFileSync(renderOnly, 'utf8')));
else {
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  // The repository's formatter has the last word on committed JSON.
  execFileSync('npx', ['biome', 'format', '--write', out], { cwd: root, stdio: 'ignore' });
  console.log(`wrote ${out}`);
}

/** The guide's measured section, generated from the report (never typed by hand). */
function markdown(report) {
  const pct = (value) => `${(100 * value).toFixed(1)} %`;
  const lines = [
    `Measured by \`node packages/attach/bench/attach-results.bench.mjs\` on ${report.hardware}.`,
    'δ is chosen on the validation traces only (the cheapest δ whose validation accuracy is within 0.5 pt of the plain model), then measured once on the test set.',
    '',
  ];
  for (const [id, model] of Object.entries(report.models)) {
    lines.push(
      `### \`${id}\``,
      '',
      `\`pcee attach ${id}.onnx train.npz ${model.attach.flags.join(' ')}\` on 50,000 training images: features ${model.attach.featureSeconds} s, heads ${model.attach.headSeconds} s, peak memory ${model.attach.peakMiB} MiB.`,
      '',
      '```',
      ...model.attach.table,
      '```',
      '',
    );
    const within = model.withinHalfPoint;
    lines.push('| | test accuracy | mean FLOPs | share of plain |', '| --- | ---: | ---: | ---: |');
    lines.push(
      `| plain model | ${model.plainTestAccuracy.toFixed(4)} | ${(model.fullCost / 1e6).toFixed(2)} M | 100 % |`,
    );
    if (within)
      lines.push(
        `| + attached exits, PCEE δ = ${within.delta} | ${within.test.accuracy.toFixed(4)} | ${(within.test.meanCost / 1e6).toFixed(2)} M | ${pct(within.test.relativeCost)} |`,
      );
    if (model.headline?.test)
      lines.push(
        `| + attached exits, ${model.headline.note ? 'cheapest δ' : 'best δ at ≤ the small model’s FLOPs'} (δ = ${model.headline.delta}) | ${model.headline.test.accuracy.toFixed(4)} | ${(model.headline.test.meanCost / 1e6).toFixed(2)} M | ${pct(model.headline.test.relativeCost)} |`,
      );
    lines.push(
      `| \`${model.headline.smallModel}\` (small plain model) | ${model.headline.smallTestAccuracy?.toFixed(4) ?? '-'} | ${(model.headline.smallCost / 1e6).toFixed(2)} M | ${pct(model.headline.smallCost / model.fullCost)} |`,
    );
    if (model.zoo?.test)
      lines.push(
        `| \`${model.zoo.id}\` (zoo, exits trained jointly), best δ at ≤ the same FLOPs | ${model.zoo.test.accuracy.toFixed(4)} | ${(model.zoo.test.meanCost / 1e6).toFixed(2)} M | — |`,
      );
    lines.push('');
    for (const [label, bench] of [
      ['', model.bench],
      [' (dropping exits slower than they save)', model.benchDroppingSlowExits],
    ]) {
      if (bench)
        lines.push(
          `\`pcee bench\` at batch 64${label}: measured speedup ${bench.speedup.toFixed(2)}× (predicted from FLOPs ${bench.predictedSpeedup.toFixed(2)}×).`,
          '',
        );
    }
  }
  return lines.join('\n');
}

const guide = argument('docs', undefined);
if (guide) {
  const text = readFileSync(guide, 'utf8');
  const [start, end] = ['<!-- attach-results:start -->', '<!-- attach-results:end -->'];
  const updated = `${text.slice(0, text.indexOf(start) + start.length)}\n\n${markdown(report)}\n${text.slice(text.indexOf(end))}`;
  writeFileSync(guide, updated);
  console.log(`updated ${guide}`);
}
