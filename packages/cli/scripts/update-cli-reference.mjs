// Regenerates the CLI reference block in the repository README from the CLI's own help.
// Usage: npm run cli-reference -w @pcee/cli (after a build).
import { readFileSync, writeFileSync } from 'node:fs';
import { replaceCliReference } from '../dist/cli-reference.js';

const readme = new URL('../../../README.md', import.meta.url);
const before = readFileSync(readme, 'utf8');
const after = replaceCliReference(before);
writeFileSync(readme, after);
console.log(before === after ? 'README CLI reference already up to date' : 'README CLI reference updated');
