// Runs core's conformance suite inside a browser page against one entry point of the
// adapter, and reports plain JSON back to the Node driver (run-browser-tests.mjs).
import {
  DeviceUnavailableError,
  preprocessModelInputs,
  readNpz,
  readTraces,
  tracesFromTensors,
} from '@pcee/core';
import { conformanceCases } from '@pcee/core/testing';
import type { WebRuntime } from '../src/web-runtime.js';

type ModelPackageOpener = (baseUrl: string) => Promise<Parameters<WebRuntime['load']>[0]>;

/** What the driver asks for. */
export interface PageConfig {
  /** A bundled model id (under `/models/`), or a fixture package name when `fixture` is set. */
  readonly model: string;
  /** Run a split test-model package (`/fixtures/<model>/`) against its reference.npz. */
  readonly fixture?: boolean;
  readonly device: string;
  readonly samples: number;
  readonly deltas?: readonly number[];
  readonly batchSizes?: readonly number[];
  readonly tolerance?: number;
}

/** One case's outcome. */
export interface CaseResult {
  readonly name: string;
  readonly passed: boolean;
  readonly error?: string;
  readonly milliseconds: number;
}

/** What the page reports. */
export interface PageReport {
  readonly capabilities: unknown;
  readonly crossOriginIsolated: boolean;
  readonly results: readonly CaseResult[];
}

/** Registers `window.runConformance(config)` for the driver to call. */
export function exposeConformance(runtime: WebRuntime, openPackage: ModelPackageOpener): void {
  (globalThis as unknown as { runConformance: (config: PageConfig) => Promise<PageReport> }).runConformance =
    (config) => runConformance(runtime, openPackage, config);
}

async function runConformance(
  runtime: WebRuntime,
  openPackage: ModelPackageOpener,
  config: PageConfig,
): Promise<PageReport> {
  const capabilities = await runtime.capabilities();
  const bytes = async (url: string) => new Uint8Array(await (await fetch(url)).arrayBuffer());
  const subject = config.fixture
    ? await fixtureSubject(openPackage, config, bytes)
    : await bundledSubject(openPackage, config, bytes);
  const { model } = subject;
  const cases = conformanceCases({
    runtime,
    loadOptions: { device: config.device },
    ...subject,
    samples: config.samples,
    ...(config.deltas ? { deltas: config.deltas } : {}),
    ...(config.batchSizes ? { batchSizes: config.batchSizes } : {}),
    ...(config.tolerance ? { tolerance: config.tolerance } : {}),
  });
  // Adapter-specific: a device this page lacks (webgpu on the wasm-only build) is refused
  // with an error naming the available ones, and never silently replaced.
  const missing = capabilities.devices.find((device) => !device.available);
  if (missing) {
    cases.push({
      name: `a missing device (${missing.name}) is a DeviceUnavailableError naming the available ones`,
      async run() {
        const error = await runtime.load(model, { device: missing.name }).then(
          () => undefined,
          (reason: unknown) => reason,
        );
        if (!(error instanceof DeviceUnavailableError) || !/available: \w/.test(error.message)) {
          throw new Error(`load on ${missing.name} gave ${String(error)}`);
        }
      },
    });
  }
  const results: CaseResult[] = [];
  for (const testCase of cases) {
    const start = performance.now();
    try {
      await testCase.run();
      results.push({ name: testCase.name, passed: true, milliseconds: performance.now() - start });
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      results.push({
        name: testCase.name,
        passed: false,
        error: message,
        milliseconds: performance.now() - start,
      });
    }
  }
  return { capabilities, crossOriginIsolated: globalThis.crossOriginIsolated === true, results };
}

type Fetcher = (url: string) => Promise<Uint8Array>;

/** A bundled Fashion-MNIST model: the first test images, its shipped test and validation traces. */
async function bundledSubject(openPackage: ModelPackageOpener, config: PageConfig, bytes: Fetcher) {
  const model = await openPackage(`/models/${config.model}/`);
  const raw = readNpz(await bytes('/data/fashion-mnist-test.npz')).get('x')!;
  const perSample = raw.data.length / raw.shape[0]!;
  const first = {
    ...raw,
    shape: [config.samples, ...raw.shape.slice(1)],
    data: raw.data.subarray(0, config.samples * perSample),
  };
  return {
    model,
    inputs: preprocessModelInputs(model.manifest, new Map([['x', first as typeof raw]])),
    referenceTraces: readTraces(await bytes(`/models/${config.model}/test.npz`), 'test.npz'),
    calibrationTraces: readTraces(await bytes(`/models/${config.model}/val.npz`), 'val.npz'),
  };
}

/** A split test model: inputs and the unsplit model's logits from its reference.npz. */
async function fixtureSubject(openPackage: ModelPackageOpener, config: PageConfig, bytes: Fetcher) {
  const model = await openPackage(`/fixtures/${config.model}/`);
  const reference = readNpz(await bytes(`/fixtures/${config.model}/reference.npz`));
  return {
    model,
    inputs: preprocessModelInputs(model.manifest, reference),
    referenceTraces: tracesFromTensors(reference),
  };
}
