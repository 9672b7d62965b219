import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, temporaryFolder } from '../../test-support/run-cli.js';

describe('pcee demo', () => {
  // The limit is the promise ("under a minute"), not a benchmark.
  it('calibrates, evaluates, runs real early exit against full.onnx, and writes the report', {
    timeout: 60_000,
  }, async () => {
    const out = join(temporaryFolder(), 'report.html');
    const result = await runCli('demo', '--out', out);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    const header = lines.findIndex((line) => line.startsWith('δ'));
    expect(lines[header]).toMatch(
      /^δ\s+accuracy\s+relative cost\s+measured accuracy\s+speedup vs full\.onnx$/,
    );
    expect(lines[header + 1]).toMatch(/^full model\s+0\.\d{4}\s+1\.000\s+0\.\d{4}\s+1\.00×$/);
    const deltas = lines.slice(header + 2, header + 7);
    expect(deltas.map((line) => line.split(/\s+/)[0])).toEqual(['0.8', '0.85', '0.9', '0.95', '0.99']);
    for (const line of deltas) expect(line).toMatch(/^[\d.]+\s+0\.\d{4}\s+0\.\d{3}\s+0\.\d{4}\s+\d+\.\d\d×$/);
    expect(result.stdout).toContain('exits taken at run time match the exits simulated from the traces');
    expect(result.stdout).toMatch(
      /At the full cost of fmnist-cnn-small \(\d+\.\d\d MFLOPs\), fmnist-cnn-large with PCEE early exit \(δ = [\d.]+, chosen on validation data\) reaches \d+\.\d% test accuracy/,
    );
    expect(result.stderr).toMatch(/calibrating fmnist-cnn-large and fmnist-cnn-small/);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<title>PCEE report · fmnist-cnn-large</title>');
    expect(html).toContain('data-chart="comparison"');
  });
});
