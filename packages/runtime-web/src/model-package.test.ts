import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidManifestError } from '@pcee/core';
import { modelDir } from '@pcee/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webRuntime } from './index.js';
import { modelPackageFromFiles } from './model-package-bytes.js';
import { openModelPackageFromUrl } from './model-package-url.js';
import { readPackageFiles } from './test-support/reference-models.js';

let files: Map<string, Uint8Array>;
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  files = await readPackageFiles(modelDir('fmnist-cnn-small'));
  // A real HTTP server over the in-memory files; `/broken/` serves a stage with one byte flipped.
  server = createServer((request, response) => {
    const [, folder, name] = (request.url ?? '').split('/');
    let body = files.get(name ?? '');
    if (body && folder === 'broken' && name === 'stage-1.onnx') {
      body = body.slice();
      body[100] = body[100]! ^ 0xff;
    }
    if (!body) return response.writeHead(404).end();
    response.writeHead(200).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('model packages from bytes', () => {
  it('accepts ArrayBuffers and views and checks sha256', async () => {
    const buffers = Object.fromEntries(
      [...files].map(([name, bytes]) => [
        name,
        bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      ]),
    );
    const modelPackage = modelPackageFromFiles(buffers);
    expect(modelPackage.manifest.id).toBe('fmnist-cnn-small');
    expect((await modelPackage.readFile('stage-0.onnx')).byteLength).toBe(
      files.get('stage-0.onnx')!.byteLength,
    );
  });

  it('names the missing model.json and the files it got', () => {
    expect(() => modelPackageFromFiles({ 'stage-0.onnx': new Uint8Array(4) })).toThrow(
      /no model\.json \(files: stage-0\.onnx\)/,
    );
  });

  it('rejects a corrupted stage with the sha256 mismatch', async () => {
    const corrupted = new Map(files);
    const stage = files.get('stage-2.onnx')!.slice();
    stage[7] = stage[7]! ^ 1;
    corrupted.set('stage-2.onnx', stage);
    await expect(modelPackageFromFiles(corrupted).readFile('stage-2.onnx')).rejects.toThrow(
      /stage-2\.onnx of model "fmnist-cnn-small" has sha256 .* but model\.json expects/,
    );
  });

  it('names a file listed in model.json but not given', async () => {
    const partial = new Map(files);
    partial.delete('stage-3.onnx');
    await expect(webRuntime.load(modelPackageFromFiles(partial, 'upload'))).rejects.toThrow(
      /upload lacks stage-3\.onnx/,
    );
  });
});

describe('model packages from URLs (real HTTP)', () => {
  it('loads and runs a package from a base URL without a trailing slash', async () => {
    const modelPackage = await openModelPackageFromUrl(`${baseUrl}/good`);
    expect(modelPackage.location).toBe(`${baseUrl}/good/`);
    const model = await webRuntime.load(modelPackage, { device: 'wasm' });
    expect(model.stages).toBe(modelPackage.manifest.stages.length);
    expect(model.stages).toBeGreaterThan(1);
    await model.dispose();
  });

  it('rejects a stage whose bytes do not match the manifest', async () => {
    const modelPackage = await openModelPackageFromUrl(`${baseUrl}/broken/`);
    await expect(webRuntime.load(modelPackage)).rejects.toThrow(/broken\/stage-1\.onnx .* has sha256/);
  });

  it('says which URL answered what when model.json is missing', async () => {
    const opening = openModelPackageFromUrl(`${baseUrl}/`.replace(/\/$/, '/nothing/here/'));
    await expect(opening).rejects.toBeInstanceOf(InvalidManifestError);
  });

  it('refuses a relative URL outside a page', async () => {
    await expect(openModelPackageFromUrl('models/fmnist-cnn-small/')).rejects.toThrow(/absolute URL/);
  });
});
