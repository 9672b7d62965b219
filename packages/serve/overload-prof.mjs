import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { calibrate, manifestCosts, modelFingerprint, parseManifest, readNpz, readTraces } from '@pcee/core';
import { modelDir, testInputsPath } from '@pcee/models';
import { startServer } from '@pcee/serve';
import http from 'node:http';
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
function post(url, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const id = 'fmnist-cnn-large';
const folder = modelDir(id);
const manifest = parseManifest(readFileSync(join(folder, 'model.json'), 'utf8'));
const profile = calibrate(readTraces(new Uint8Array(readFileSync(join(folder, 'val.npz')))), { costs: manifestCosts(manifest), model: { id, fingerprint: modelFingerprint(manifest) } });
const server = await startServer({ models: [{ dir: folder, profile }], delta: 0.9, port: 0, maxQueue: 128, maxRequestSamples: 64, maxBatch: 32 });
const x = readNpz(new Uint8Array(readFileSync(testInputsPath()))).get('x');
const body = JSON.stringify({ inputs: [{ name: 'image', shape: [16, 28, 28], datatype: 'UINT8', data: Array.from(x.data.subarray(0, 16 * 784)) }] });
const counts = {};
const t0 = performance.now();
await Promise.all(Array.from({ length: Number(process.argv[2] ?? 32) }, async () => {
  while (performance.now() - t0 < 5000) {
    const r = await post(`${server.url}/v2/models/${id}/infer`, body);
    counts[r.status] = (counts[r.status] ?? 0) + 1;
  }
}));
console.log(counts, ((counts[200] ?? 0) * 16 / 5).toFixed(0), 'samples/s');
const m = await (await fetch(`${server.url}/metrics`)).text();
const get = (re) => [...m.matchAll(re)].map((x) => Number(x[2]).toFixed(3)).join(' ');
console.log('batch sum', get(/pcee_stage_batch_size_sum\{model="[^"]+",stage="(\d)"\} (\S+)/g));
console.log('batch cnt', get(/pcee_stage_batch_size_count\{model="[^"]+",stage="(\d)"\} (\S+)/g));
console.log('run s    ', get(/pcee_stage_run_seconds_sum\{model="[^"]+",stage="(\d)"\} (\S+)/g));
await server.close();
