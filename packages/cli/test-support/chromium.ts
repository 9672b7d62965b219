import { pathToFileURL } from 'node:url';
import { launchChromium } from 'pcee-test-chromium';

/** What a page showed in real headless Chromium. */
export interface RenderedPage {
  /** Console errors and uncaught page errors, in order. */
  readonly errors: readonly string[];
  /** Requests the page made beyond its own file (a self-contained page makes none). */
  readonly externalRequests: readonly string[];
  /** Width and height of each `[data-chart]` element as laid out, px. */
  readonly charts: readonly { chart: string; width: number; height: number }[];
}

/**
 * Opens an HTML file in Debian's Chromium (playwright-core, the flags the design charter
 * lists, a fresh profile folder) and reports errors, requests and chart sizes.
 */
export async function renderInChromium(htmlPath: string): Promise<RenderedPage> {
  const { context, close } = await launchChromium();
  try {
    const page = await context.newPage();
    const errors: string[] = [];
    const externalRequests: string[] = [];
    const url = pathToFileURL(htmlPath).href;
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('request', (request) => {
      if (request.url() !== url) externalRequests.push(request.url());
    });
    await page.goto(url, { waitUntil: 'load' });
    const charts = await page.$$eval('[data-chart]', (elements) =>
      elements.map((element) => {
        const box = element.getBoundingClientRect();
        return { chart: element.getAttribute('data-chart') ?? '', width: box.width, height: box.height };
      }),
    );
    return { errors, externalRequests, charts };
  } finally {
    await close();
  }
}
