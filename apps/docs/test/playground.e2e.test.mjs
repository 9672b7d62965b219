// End-to-end test of the built docs site: serves .vitepress/dist on 127.0.0.1 (COOP/COEP),
// drives the playground in real headless Chromium, and checks that the model loads in the
// page, that δ moves the totals, that the page's predictions equal early-exit inference by
// @pcee/core's runner on onnxruntime-node for the same images and δ, that the in-page runner
// agrees, that @pcee/report draws its trade-off chart in the page and the pages' figures, and
// that nothing is logged as an error. Takes a screenshot of the playground: into the
// system temp folder, or over the README's docs/images/playground.png with
// PCEE_UPDATE_SCREENSHOTS=1 (`npm run screenshot -w docs`), so a test run leaves the tree clean.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  compilePolicy,
  createTensor,
  manifestCosts,
  parseProfile,
  preprocessInput,
  readNpz,
  runEarlyExit,
} from '@pcee/core';
import { modelDir } from '@pcee/models';
import { nodeRuntime, openModelPackage } from '@pcee/runtime-node';
import { launchChromium } from 'pcee-test-chromium';
import { serveStatic } from './static-server.mjs';

const site = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repo = resolve(site, '../..');
const dist = join(site, '.vitepress/dist');
const screenshot =
  process.env.PCEE_UPDATE_SCREENSHOTS === '1'
    ? join(repo, 'docs/images/playground.png')
    : join(tmpdir(), 'pcee-docs-playground.png');
const expectedModel = process.env.PCEE_DOCS_ALLOW_MISSING_MODELS === '1' ? null : 'fmnist-cnn-large';

let server;
let browser;
let page;
const problems = [];

before(async () => {
  if (!existsSync(join(dist, 'playground.html'))) {
    console.log('# the site is not built yet: building it (npm run build -w docs)');
    const built = spawnSync('npm', ['run', 'build'], { cwd: site, stdio: 'inherit' });
    assert.equal(built.status, 0, 'npm run build -w docs failed');
  }
  server = await serveStatic(dist);
  browser = await launchChromium({ viewport: { width: 1280, height: 1100 } });
  page = browser.context.pages()[0] ?? (await browser.context.newPage());
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => {
    // Navigations abort VitePress's prefetches of linked pages: not a problem of the page.
    if (request.failure()?.errorText !== 'net::ERR_ABORTED')
      problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function waitReady() {
  await page.waitForSelector('.pg[data-ready="true"]', { timeout: 300_000 });
}

async function snapshot() {
  return page.evaluate(() => window.__pceePlayground.snapshot());
}

async function setDelta(value) {
  await page.evaluate((delta) => {
    const input = document.querySelector('[data-testid="delta"]');
    input.value = String(delta);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, value);
  await page.waitForFunction((delta) => window.__pceePlayground.snapshot()?.delta === delta, value);
}

/** Early exit through @pcee/core's runner on onnxruntime-node: what `pcee run` computes. */
async function nodeEarlyExit(modelId, policy, delta, count) {
  const modelPackage = await openModelPackage(modelDir(modelId));
  // The profile the page uses (calibrated at build time from val.npz, like `pcee calibrate`).
  const profile = parseProfile(
    readFileSync(join(dist, 'playground/models', modelId, 'profile.json'), 'utf8'),
  );
  const tensors = readNpz(readFileSync(join(dist, 'playground/fashion-mnist-test-1000.npz')));
  const x = tensors.get('x');
  const raw = createTensor('uint8', [count, ...x.shape.slice(1)], x.data.subarray(0, count * 28 * 28));
  const inputs = preprocessInput(modelPackage.manifest.inputs[0], raw);
  const model = await nodeRuntime.load(modelPackage, { device: 'cpu', threads: 1 });
  try {
    return await runEarlyExit(model, inputs, {
      policy: compilePolicy(profile, policy, delta),
      confidence: profile.confidence,
      costs: manifestCosts(modelPackage.manifest),
    });
  } finally {
    await model.dispose();
  }
}

test('the playground loads the model, follows δ, matches the runner on onnxruntime-node, logs no errors', {
  timeout: 900_000,
}, async (t) => {
  const started = Date.now();
  await page.goto(`${server.url}/playground.html`, { waitUntil: 'load' });
  await waitReady();
  const first = await snapshot();
  t.diagnostic(
    `model ${first.model} on ${first.device} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  if (expectedModel) assert.equal(first.model, expectedModel);
  assert.equal(first.prediction.length, 1000);
  assert.equal(first.policy, 'pcee');

  // @pcee/report draws the trade-off chart of `pcee report` in the page, for the loaded model.
  const chart = await page.$eval('[data-testid="report-chart"] .chart', (element) => {
    // The largest <svg> is the plot; a legend adds one small <svg> per swatch.
    const area = (svg) => svg.getBoundingClientRect().width * svg.getBoundingClientRect().height;
    const svg = [...element.querySelectorAll('svg')].sort((a, b) => area(b) - area(a))[0];
    const box = svg?.getBoundingClientRect();
    return {
      name: element.getAttribute('data-chart'),
      curves: svg?.querySelectorAll('path').length ?? 0,
      dots: svg?.querySelectorAll('circle').length ?? 0,
      text: svg?.textContent ?? '',
      width: box?.width ?? 0,
      height: box?.height ?? 0,
    };
  });
  t.diagnostic(
    `trade-off chart: ${chart.curves} paths, ${chart.dots} dots, ${Math.round(chart.width)}×${Math.round(chart.height)} px`,
  );
  assert.equal(chart.name, 'tradeoff');
  assert.ok(
    chart.curves >= 4,
    `the trade-off chart has ${chart.curves} paths; expected the policies' curves`,
  );
  assert.ok(chart.dots >= first.exitCounts.length, 'the trade-off chart lacks a dot per single head');
  assert.match(chart.text, /relative cost/);
  assert.match(chart.text, /test accuracy/);
  assert.ok(chart.width > 200 && chart.height > 200, 'the trade-off chart is not laid out');

  // Moving δ changes the totals.
  await setDelta(0.7);
  const low = await snapshot();
  const lowText = await page.textContent('[data-testid="totals"]');
  await setDelta(0.98);
  const high = await snapshot();
  const highText = await page.textContent('[data-testid="totals"]');
  assert.notEqual(lowText, highText, 'the totals did not change with δ');
  assert.ok(
    high.relativeCost > low.relativeCost,
    `relative cost should grow with δ (${low.relativeCost} → ${high.relativeCost})`,
  );
  assert.ok(
    high.accuracy >= low.accuracy - 0.01,
    `accuracy should not drop much as δ grows (${low.accuracy} → ${high.accuracy})`,
  );
  t.diagnostic(
    `δ 0.7: accuracy ${low.accuracy}, relative cost ${low.relativeCost.toFixed(3)}; δ 0.98: accuracy ${high.accuracy}, relative cost ${high.relativeCost.toFixed(3)}`,
  );

  // The page's predictions equal early-exit inference on onnxruntime-node for the same images and δ.
  for (const [policy, delta] of [
    ['pcee', 0.9],
    ['pcee-ws', 0.95],
    ['confidence', 0.8],
  ]) {
    await page.click(`[data-testid="policy-${policy}"]`);
    await setDelta(delta);
    const inPage = await snapshot();
    assert.equal(inPage.policy, policy);
    const reference = await nodeEarlyExit(inPage.model, policy, delta, inPage.prediction.length);
    const mismatches = inPage.prediction.filter(
      (p, n) => p !== reference.prediction[n] || inPage.exit[n] !== reference.exit[n],
    ).length;
    t.diagnostic(
      `${policy} δ=${delta}: ${inPage.prediction.length - mismatches}/${inPage.prediction.length} exits and predictions equal onnxruntime-node's runEarlyExit`,
    );
    assert.equal(
      mismatches,
      0,
      `${mismatches} images differ from runEarlyExit on onnxruntime-node at ${policy} δ=${delta}`,
    );
  }

  // The in-page runner (real stage-by-stage early exit on onnxruntime-web) agrees with the page.
  await page.click('[data-testid="policy-pcee"]');
  await setDelta(0.9);
  await page.click('[data-testid="verify"]');
  await page.waitForSelector('[data-testid="verification"]', { timeout: 300_000 });
  const verification = await page.textContent('[data-testid="verification"]');
  t.diagnostic(verification.replace(/\s+/g, ' ').trim());
  assert.match(verification, /1000 \/ 1000/);

  // Screenshot with an image under the cursor (its exit's reliability diagram shown).
  await page.addStyleTag({ content: '.VPNav, .VPLocalNav { display: none !important; }' });
  // An image that left at exit 1: its diagram shows bins that exit and bins that continue.
  await page.hover('[data-testid="grid"] .pg-cell[data-exit="1"]');
  mkdirSync(dirname(screenshot), { recursive: true });
  await page.locator('.pg').screenshot({ path: screenshot });
  t.diagnostic(`screenshot: ${screenshot}`);

  // The small/large switch loads the other model.
  const other = (
    await page.$$eval('[data-testid="model"] option', (options) => options.map((o) => o.value))
  ).find((id) => id !== first.model);
  if (other) {
    await page.selectOption('[data-testid="model"]', other);
    await page.waitForFunction((id) => window.__pceePlayground.snapshot()?.model === id, other, {
      timeout: 300_000,
    });
    const switched = await snapshot();
    t.diagnostic(
      `switched to ${other}: accuracy ${switched.accuracy}, relative cost ${switched.relativeCost.toFixed(3)}`,
    );
    assert.equal(switched.prediction.length, 1000);
  }

  assert.deepEqual(problems, [], `the page logged problems:\n${problems.join('\n')}`);
});

test('the content pages render without errors', { timeout: 120_000 }, async () => {
  const before = problems.length;
  for (const path of [
    '/',
    '/introduction.html',
    '/getting-started.html',
    '/concepts/pcee-rule.html',
    '/reference/cli.html',
    '/reference/api/',
    '/benchmarks.html',
  ]) {
    const response = await page.goto(`${server.url}${path}`, { waitUntil: 'load' });
    assert.equal(response.status(), 200, path);
    assert.ok((await page.textContent('#VPContent')).length > 100, `${path} has no content`);
  }
  // The figures are @pcee/report's charts, inlined at build time.
  await page.goto(`${server.url}/introduction.html`, { waitUntil: 'load' });
  const figures = await page.$$eval('.report-figure', (elements) =>
    elements.map((element) => ({
      name: element.getAttribute('data-figure'),
      charts: [...element.querySelectorAll('.chart')].map((chart) => chart.getAttribute('data-chart')),
      svgs: element.querySelectorAll('svg').length,
    })),
  );
  assert.deepEqual(
    figures.map(({ name, charts }) => [name, [...new Set(charts)]]),
    [
      ['reliability', ['reliability']],
      ['controllability', ['controllability']],
      ['accuracy-cost', ['comparison']],
    ],
  );
  for (const figure of figures) assert.ok(figure.svgs > 0, `figure ${figure.name} has no <svg>`);
  assert.deepEqual(problems.slice(before), []);
});
