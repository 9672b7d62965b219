// Shared by the browser test and the browser benchmark: bundles page scripts with esbuild,
// serves them with onnxruntime-web's wasm files and the reference models on 127.0.0.1 with
// the COOP/COEP headers WebAssembly threads need, and drives Debian's Chromium through
// playwright-core (no browser download).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);

/** Folder of onnxruntime-web's `.wasm` / `.mjs` files. */
export const ortDistFolder = dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));

/** @pcee/onnx's test models split into packages, each with reference.npz (see @pcee/onnx/testing). */
export function fixturePackagesFolder() {
  return join(dirname(require.resolve('@pcee/onnx/package.json')), 'fixtures', 'packages');
}

/** The `@pcee/models` package folder (model folders and `data/`), or `PCEE_MODELS_DIR` laid out alike. */
export function modelsFolder() {
  return process.env.PCEE_MODELS_DIR ?? dirname(require.resolve('@pcee/models/package.json'));
}

/** Folder holding `fashion-mnist-test.npz`. */
export function dataFolder() {
  return join(modelsFolder(), 'data');
}

/** Bundles `{ name: entryFile }` into one ES module per name; returns `{ name: javascript }`. */
export async function bundlePages(entries) {
  const result = await build({
    entryPoints: entries,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    outdir: 'out',
    logLevel: 'warning',
  });
  return Object.fromEntries(
    result.outputFiles.map((file) => [file.path.split(sep).pop().replace(/\.js$/, ''), file.text]),
  );
}

const TYPES = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

/**
 * Serves `/<name>.html` + `/<name>.js` for each bundled page, `/ort/*` from onnxruntime-web's
 * dist, `/models/*` from the models folder, `/data/*` from the data folder and `/fixtures/*`
 * from @pcee/onnx's split test-model packages.
 * Resolves to `{ origin, close }`.
 */
export async function servePages(pages) {
  const folders = {
    ort: ortDistFolder,
    models: modelsFolder(),
    data: dataFolder(),
    fixtures: fixturePackagesFolder(),
  };
  const server = createServer(async (request, response) => {
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    };
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    const [, top, ...rest] = path.split('/');
    const send = (status, body, type) =>
      response.writeHead(status, { ...headers, 'Content-Type': type ?? 'text/plain' }).end(body);
    const page = top?.replace(/\.(html|js)$/, '');
    if (rest.length === 0 && page && pages[page] !== undefined) {
      if (top.endsWith('.js')) return send(200, pages[page], TYPES['.js']);
      const html = `<!doctype html><meta charset="utf-8"><title>${page}</title><link rel="icon" href="data:,"><script type="module" src="/${page}.js"></script>`;
      return send(200, html, TYPES['.html']);
    }
    const folder = Object.hasOwn(folders, top) ? folders[top] : undefined;
    const file = folder ? normalize(join(folder, ...rest)) : '';
    // normalize() folds `..`; anything that lands outside the served folder is not found.
    if (!folder || !file.startsWith(folder) || !existsSync(file)) return send(404, `not found: ${path}`);
    try {
      send(200, await readFile(file), TYPES[extname(file)] ?? 'application/octet-stream');
    } catch {
      send(404, `not readable: ${path}`);
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

export { launchChromium } from 'pcee-test-chromium';

/**
 * Opens `url` in a new page and collects console errors and uncaught page errors into
 * `problems` (a test fails on any of them).
 */
export async function openPage(context, url, problems) {
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  await page.goto(url);
  await page.waitForFunction(
    () => typeof globalThis.runConformance === 'function' || typeof globalThis.runBenchmark === 'function',
  );
  return page;
}
