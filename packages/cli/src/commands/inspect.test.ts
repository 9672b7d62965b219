import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bertLike, controlFlow } from '@pcee/onnx/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, temporaryFolder } from '../../test-support/run-cli.js';
import {
  bundledManifest,
  fusedBundledModel,
  V1_FIXTURE,
  writeOnnx,
} from '../../test-support/split-models.js';
import { formatCost } from '../table.js';

const folder = temporaryFolder();
const cnn = writeOnnx(folder, 'cnn-large.onnx', fusedBundledModel('fmnist-cnn-large'));
// What inspect must report, from the shipped manifest of the same model.
const shipped = bundledManifest('fmnist-cnn-large');
const last = shipped.stages.length - 1;
const parameters = shipped.parameters.toLocaleString('en-US');
/** A table row of these cells, as a RegExp (cells separated by spaces). */
const row = (...cells: string[]) =>
  new RegExp(`^${cells.map((cell) => cell.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\s+')}$`, 'm');

describe('pcee inspect <model.onnx>', () => {
  it('lists inputs, outputs, candidate exits and FLOPs per exit', async () => {
    const result = await runCli('inspect', cnn);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(`^cnn-large\\.onnx: opset 17, \\d+ nodes, ${parameters} parameters$`, 'm'),
    );
    expect(result.stdout).toMatch(/^image\s+float32\s+\[batch, 1, 28, 28\]$/m);
    expect(result.stdout).toMatch(row(`exit_${last}`, 'float32 [batch, 10]', 'yes'));
    const { backbone, head } = shipped.stages[0]!.flops;
    const first = formatCost(shipped.exitCosts[0]!);
    expect(result.stdout).toMatch(row('exit_0', '10', formatCost(backbone), formatCost(head), first, first));
    expect(result.stdout).toMatch(
      row(`full model (no intermediate heads): ${formatCost(shipped.fullModelCost)} FLOPs per sample`),
    );
  });

  it('--json gives the same facts as data', async () => {
    const result = await runCli('inspect', writeOnnx(folder, 'bert.onnx', bertLike()), '--json');
    const json = JSON.parse(result.stdout);
    expect(json.inputs).toEqual([
      { name: 'input_ids', dtype: 'int64', shape: ['batch', 'sequence'] },
      { name: 'attention_mask', dtype: 'int64', shape: ['batch', 'sequence'] },
    ]);
    expect(json.exits.map((exit: { name: string }) => exit.name)).toEqual(['exit_0', 'exit_1', 'exit_2']);
    expect(json.exits[1].cumulative).toBeGreaterThan(json.exits[0].cumulative);
    expect(json.exits[0].flops.head).toBe(2 * 16 * 3);
  });

  it('still lists the exits, with FLOPs of each alone, when the model cannot be split at them', async () => {
    const result = await runCli('inspect', writeOnnx(folder, 'if.onnx', controlFlow()), '--json');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.splitError).toMatch(/contains control flow: If node/);
    expect(json.exits.map((exit: { flopsAlone: number }) => exit.flopsAlone)).toEqual([
      2 * 4 * 4 + 2 * 4 * 3,
      2 * 4 * 4 + 2 * 4 * 3,
    ]);
  });
});

describe('pcee inspect <model-dir>', () => {
  const split = join(folder, 'split');
  beforeAll(async () => {
    expect((await runCli('split', cnn, '--out', split)).code).toBe(0);
  });

  it('shows a v2 package: stages with carried tensors, costs and file hashes', async () => {
    const result = await runCli('inspect', split);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      row(`cnn-large: pcee-model v2, 10 classes, ${shipped.stages.length} exits, ${parameters} parameters`),
    );
    const stage = shipped.stages[1]!;
    const names = (bindings: readonly { name: string }[]) =>
      bindings.map((binding) => binding.name).join(', ');
    expect(result.stdout).toMatch(
      row(
        '1',
        'stage-1.onnx',
        names(stage.consumes),
        names(stage.produces),
        formatCost(stage.flops.backbone),
        formatCost(stage.flops.head),
        formatCost(shipped.exitCosts[1]!),
        stage.parameters.toLocaleString('en-US'),
        'ok',
      ),
    );
    expect(result.stdout).toMatch(/full\.onnx: sha256 ok/);
  });

  it('shows a version 1 package (the v1 fixture)', async () => {
    const result = await runCli('inspect', V1_FIXTURE, '--json');
    const json = JSON.parse(result.stdout);
    expect(json.version).toBe(1);
    expect(json.stages[1]).toMatchObject({
      consumes: ['features'],
      produces: ['features'],
      logits: 'logits',
      sha256: 'ok',
    });
  });

  it('flags a stage file that changed after the manifest was written', async () => {
    const damaged = join(folder, 'damaged');
    mkdirSync(damaged);
    for (const name of readdirSync(split)) copyFileSync(join(split, name), join(damaged, name));
    writeFileSync(join(damaged, 'stage-2.onnx'), 'changed');
    const json = JSON.parse((await runCli('inspect', damaged, '--json')).stdout);
    expect(json.stages.map((stage: { sha256: string }) => stage.sha256)).toEqual(
      shipped.stages.map((_, k) => (k === 2 ? 'differs' : 'ok')),
    );
  });

  it.each([
    ['a missing path', () => join(folder, 'nothing'), /^error: model not found: .*nothing$/],
    [
      'a folder without model.json',
      () => folder,
      /^error: model manifest \(model\.json\) not found: .*model\.json$/,
    ],
  ])('rejects %s in one line', async (_, path, message) => {
    const result = await runCli('inspect', path());
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(message);
  });
});
