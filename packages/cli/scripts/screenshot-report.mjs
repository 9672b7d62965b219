// Renders a pcee HTML report in headless Chromium (Debian's /usr/bin/chromium via
// playwright-core) and saves a PNG screenshot, e.g. for the README.
// Usage: node packages/cli/scripts/screenshot-report.mjs [report.html] [out.png] [--height 1700]
//   defaults: ./report.html → <repo>/docs/images/report.png, clipped to the first 1700 px
//   (pass --height 0 for the whole page).
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchChromium } from 'pcee-test-chromium';

const args = process.argv.slice(2);
const heightFlag = args.indexOf('--height');
const height = heightFlag >= 0 ? Number(args.splice(heightFlag, 2)[1]) : 1700;
const [reportArg = 'report.html', outArg] = args;
const repoRoot = resolve(dirname(new URL(import.meta.url).pathname), '../../..');
const reportPath = resolve(reportArg);
const outPath = resolve(outArg ?? join(repoRoot, 'docs/images/report.png'));

const { context, close } = await launchChromium({
  viewport: { width: 1240, height: 900 },
  deviceScaleFactor: 1.5,
});
try {
  const page = await context.newPage();
  const errors = [];
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(pathToFileURL(reportPath).href, { waitUntil: 'load' });
  const pageHeight = await page.evaluate(() => document.documentElement.scrollHeight);
  mkdirSync(dirname(outPath), { recursive: true });
  await page.screenshot({
    path: outPath,
    fullPage: true,
    ...(height > 0 ? { clip: { x: 0, y: 0, width: 1240, height: Math.min(height, pageHeight) } } : {}),
  });
  if (errors.length > 0) {
    console.error(`console errors while rendering:\n${errors.join('\n')}`);
    process.exitCode = 1;
  }
  console.log(`${reportPath} → ${outPath}`);
} finally {
  await close();
}
