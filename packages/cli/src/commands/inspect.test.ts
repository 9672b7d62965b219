import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelDir } from '@pcee/models';
import { bertLike, controlFlow } from '@pcee/onnx/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, temporaryFolder } from '../test-support/run-cli.js';
import { fusedBundledModel, writeOnnx } from '../test-support/split-models.js';

const folder = temporaryFolder();
const cnn = writeOnnx(folder, 'cnn-large.onnx', fusedBundledModel('fmnist-cnn-large'));

describe('pcee inspect <model.onnx>', () => {
  it('lists inputs, outputs, candidate exits and FLOPs per exit', async () => {
    const result = await runCli('inspect', cnn);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^cnn-large\.onnx: opset 17, \d+ nodes, 384,748 parameters$/m);
    expect(result.stdout).toMatch(/^image\s+float32\s+\[batch, 1, 28, 28\]$/m);
    expect(result.stdout).toMatch(/^exit_5\s+float32 \[batch, 10\]\s+yes$/m);
    expect(result.stdout).toMatch(/^exit_0\s+10\s+4\.06M\s+2\.56k\s+4\.07M\s+4\.07M$/m);
    expect(result.stdout).toMatch(/^full model \(no intermediate heads\): 42\.91M FLOPs per sample$/m);
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
    expect(result.stdout).toMatch(/^cnn-large: pcee-model v2, 10 classes, 6 exits, 384,748 parameters$/m);
    expect(result.stdout).toMatch(
      /^1\s+stage-1\.onnx\s+features_1\s+features_2\s+5\.42M\s+3\.84k\s+9\.49M\s+15,802\s+ok$/m,
    );
    expect(result.stdout).toMatch(/full\.onnx: sha256 ok/);
  });

  it('shows a bundled v1 package', async () => {
    const result = await runCli('inspect', modelDir('fmnist-vit-small'), '--json');
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
    expect(json.stages.map((stage: { sha256: string }) => stage.sha256)).toEqual([
      'ok',
      'ok',
      'differs',
      'ok',
      'ok',
      'ok',
    ]);
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
