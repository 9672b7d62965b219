import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Tensor, type Traces, writeNpz, writeTraces } from '@pcee/core';
import { expect } from 'vitest';
import { main } from '../src/main.js';

/** What one in-process `pcee` invocation printed and returned. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `pcee …argv` in-process, capturing output. */
export async function runCli(...argv: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    stderrIsTTY: false,
  });
  return { code, stdout, stderr };
}

/**
 * Asserts a failed run that a user mistake caused: exit 1, nothing on stdout, and exactly one
 * `error: …` line on stderr matching `message` (no stack trace).
 */
export function expectOneLineError(result: CliResult, message: RegExp): void {
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(message);
}

/** A fresh temporary folder for one test file. */
export function temporaryFolder(): string {
  return mkdtempSync(join(tmpdir(), 'pcee-cli-'));
}

/** Deterministic synthetic traces where later exits are more accurate (core's test helper). */
export { syntheticTraces } from '@pcee/core/testing';

/** Writes traces to `folder/name` (.npz or .safetensors by extension) and returns the path. */
export function writeTracesFile(folder: string, name: string, traces: Traces): string {
  const path = join(folder, name);
  writeFileSync(path, writeTraces(traces, name.endsWith('.safetensors') ? 'safetensors' : 'npz'));
  return path;
}

/** Writes arbitrary tensors as an .npz and returns the path. */
export function writeTensorsFile(folder: string, name: string, tensors: Record<string, Tensor>): string {
  const path = join(folder, name);
  writeFileSync(path, writeNpz(tensors));
  return path;
}
