import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PceeError } from '@pcee/core';
import { modelDir } from '@pcee/models';
import { afterAll, describe, expect, it } from 'vitest';
import { describeModelPackage } from './describe-model-package.js';

const source = modelDir('fmnist-cnn-small');
const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

describe('describeModelPackage', () => {
  it('lists every stage of a bundled package with its files checked', async () => {
    const text = readFileSync(join(source, 'model.json'), 'utf8');
    const described = await describeModelPackage(source, text);
    const manifest = JSON.parse(text);
    expect(described.id).toBe(manifest.id);
    expect(described.stages).toHaveLength(manifest.stages.length);
    expect(described.stages.every((stage) => stage.sha256 === 'ok')).toBe(true);
    expect(described.full?.sha256).toBe(manifest.full ? 'ok' : undefined);
  });

  it('says which file differs and which is missing, instead of refusing the package', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'pcee-describe-'));
    folders.push(folder);
    cpSync(source, folder, { recursive: true });
    const text = readFileSync(join(folder, 'model.json'), 'utf8');
    const [first, second] = JSON.parse(text).stages;
    writeFileSync(join(folder, first.file), 'not the stage');
    rmSync(join(folder, second.file));
    const { stages } = await describeModelPackage(folder, text);
    expect(stages.slice(0, 2).map((stage) => stage.sha256)).toEqual(['differs', 'missing']);
  });

  it.each([
    ['{', /model\.json is not valid JSON/],
    ['{"id": "x"}', /model\.json has no stages; is it a PCEE model package/],
  ])('refuses %s with an error naming the manifest', async (text, message) => {
    await expect(describeModelPackage(source, text)).rejects.toThrow(PceeError);
    await expect(describeModelPackage(source, text)).rejects.toThrow(message);
  });
});
