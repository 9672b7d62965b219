import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

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
  const profile = mkdtempSync(join(tmpdir(), 'pcee-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
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
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
