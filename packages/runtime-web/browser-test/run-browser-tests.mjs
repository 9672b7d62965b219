// `npm run test:browser`: core's conformance suite in real headless Chromium, once per
// device through the entry point that serves it (`/wasm` for wasm, `/webgpu` for webgpu).
// Prints which devices ran and how many cases passed; exits 1 on any failed case, console
// error, failed request, or a device that could not run (unless PCEE_ALLOW_MISSING_WEBGPU=1).
import { fileURLToPath } from 'node:url';
import { FIXTURE_PACKAGES } from '@pcee/onnx/testing';
import { bundlePages, launchChromium, openPage, servePages } from './browser-harness.mjs';

const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const model = process.env.PCEE_BROWSER_MODEL ?? 'fmnist-cnn-small';

// SwiftShader runs WebGPU ~100× slower than wasm: fewer samples, δ and batch sizes there.
// The split test models (several carried tensors, int64 inputs) run on wasm against the
// unsplit model's logits.
const RUNS = [
  { page: 'page-wasm', device: 'wasm', samples: 128 },
  { page: 'page-webgpu', device: 'webgpu', samples: 16, deltas: [0.8, 0.95], batchSizes: [1, 16] },
  ...FIXTURE_PACKAGES.map((fixture) => ({ page: 'page-wasm', device: 'wasm', samples: 96, fixture })),
];

const started = performance.now();
const pages = await bundlePages({ 'page-wasm': here('page-wasm.ts'), 'page-webgpu': here('page-webgpu.ts') });
const server = await servePages(pages);
const chromium = await launchChromium({ webgpu: true });
let failed = false;
const summary = [];
try {
  for (const run of RUNS) {
    const problems = [];
    const page = await openPage(chromium.context, `${server.origin}/${run.page}.html`, problems);
    const config = {
      model: run.fixture ?? model,
      fixture: run.fixture !== undefined,
      device: run.device,
      samples: run.samples,
      deltas: run.deltas,
      batchSizes: run.batchSizes,
    };
    const report = await page.evaluate((config) => globalThis.runConformance(config), config);
    await page.close();
    const device = report.capabilities.devices.find((entry) => entry.name === run.device);
    if (!device?.available) {
      const allowed = run.device === 'webgpu' && process.env.PCEE_ALLOW_MISSING_WEBGPU === '1';
      console.log(
        `${run.device}: NOT RUN (${device?.reason ?? 'unknown device'})${allowed ? ' [allowed]' : ''}`,
      );
      summary.push({ device: run.device, ran: false, reason: device?.reason });
      failed ||= !allowed;
      continue;
    }
    console.log(
      `\n${run.device} (${run.page}, ${config.model}, ${run.samples} samples, crossOriginIsolated=${report.crossOriginIsolated})`,
    );
    for (const result of report.results) {
      const mark = result.passed ? 'ok  ' : 'FAIL';
      console.log(`  ${mark} ${result.name} (${Math.round(result.milliseconds)} ms)`);
      if (!result.passed) console.log(`       ${result.error}`);
    }
    for (const problem of problems) console.log(`  FAIL ${problem}`);
    const passed = report.results.filter((result) => result.passed).length;
    summary.push({
      device: run.fixture ? `${run.device} ${run.fixture}` : run.device,
      ran: true,
      passed,
      total: report.results.length,
      problems: problems.length,
    });
    failed ||= passed !== report.results.length || problems.length > 0 || !report.crossOriginIsolated;
  }
} finally {
  await chromium.close();
  await server.close();
}
console.log('\nbrowser conformance (headless Chromium):');
for (const entry of summary) {
  console.log(
    entry.ran
      ? `  ${entry.device.padEnd(20)} ${entry.passed}/${entry.total} cases passed${entry.problems ? `, ${entry.problems} console/page problems` : ''}`
      : `  ${entry.device.padEnd(20)} not run: ${entry.reason}`,
  );
}
console.log(`  (${((performance.now() - started) / 1000).toFixed(1)} s)`);
process.exit(failed ? 1 : 0);
