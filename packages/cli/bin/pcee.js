#!/usr/bin/env node
// The `pcee` bin, committed on purpose: npm links a workspace's bin into node_modules/.bin only
// if the file exists at install time, and dist/ does not exist on a fresh clone before
// `npm run build`. This launcher always exists, so `npm ci && npm run build && npx pcee` works.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = new URL('../dist/bin.js', import.meta.url);
if (existsSync(fileURLToPath(built))) {
  await import(built.href);
} else {
  process.stderr.write(
    `error: pcee is not built yet (${fileURLToPath(built)} is missing); build it with: npm run build\n`,
  );
  process.exitCode = 1;
}
