import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { costsFromStages, type ExitCosts } from './compute-cost.js';
import { InvalidManifestError } from './errors.js';
import type { ModelManifest } from './model-manifest-types.js';
import { describeSchemaIssues, tryParseJson } from './schema-errors.js';

export type { FullModelSpec, ModelInputSpec, ModelManifest, StageSpec } from './model-manifest-types.js';

/** Current version of the `pcee-model` manifest format. */
export const MANIFEST_VERSION = 1;

const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lower-case hex sha256');
const positive = z.number().positive().refine(Number.isFinite, 'must be finite');
const fileName = z
  .string()
  .min(1)
  .refine(
    (name) => !name.includes('/') && !name.includes('\\') && name !== '..',
    'must be a file name in the package folder',
  );

const manifestSchema = z.object({
  format: z.literal('pcee-model'),
  version: z.literal(MANIFEST_VERSION),
  id: z.string().min(1),
  description: z.string().optional(),
  input: z.object({
    name: z.string().min(1),
    shape: z.array(z.number().int()).min(1),
    dtype: z.literal('float32'),
    rawDtype: z.string(),
    preprocessing: z.object({ scale: positive, mean: z.array(z.number()), std: z.array(positive) }),
  }),
  classes: z.array(z.string()).min(2),
  stages: z
    .array(
      z.object({
        index: z.number().int().nonnegative(),
        file: fileName,
        sha256: sha256Schema,
        input: z.string().min(1),
        outputs: z.object({ features: z.string().min(1).optional(), logits: z.string().min(1) }),
        flops: z.object({ backbone: z.number().nonnegative(), head: z.number().nonnegative() }),
        parameters: z.number().int().nonnegative(),
      }),
    )
    .min(1),
  exitCosts: z.array(positive),
  fullModelCost: positive,
  costUnit: z.literal('flops'),
  full: z
    .object({
      file: fileName,
      sha256: sha256Schema,
      input: z.string().min(1),
      output: z.string().min(1),
      parameters: z.number().int().nonnegative(),
    })
    .optional(),
  parameters: z.number().int().nonnegative(),
  training: z.record(z.string(), z.unknown()).optional(),
});

/**
 * Parses and validates a `model.json`.
 *
 * @param source where the text came from, for messages.
 * @throws InvalidManifestError naming the field and what is wrong with it.
 */
export function parseManifest(text: string, source = 'model.json'): ModelManifest {
  const parsed = tryParseJson(text);
  if (!parsed.ok) throw new InvalidManifestError(`${source} is not valid JSON (${parsed.message})`);
  const value = parsed.value as Record<string, unknown> | null;
  if (typeof value !== 'object' || value === null || value.format !== 'pcee-model') {
    throw new InvalidManifestError(
      `${source} is not a PCEE model manifest (expected "format": "pcee-model"); see "Bring your own model" in the README`,
    );
  }
  if (value.version !== MANIFEST_VERSION) {
    throw new InvalidManifestError(
      `${source} has manifest version ${JSON.stringify(value.version)}; this version of PCEE reads version ${MANIFEST_VERSION}`,
    );
  }
  const result = manifestSchema.safeParse(value);
  if (!result.success) {
    throw new InvalidManifestError(`${source} is malformed: ${describeSchemaIssues(result.error)}`);
  }
  const manifest = result.data as ModelManifest;
  checkConsistency(manifest, source);
  return manifest;
}

function checkConsistency(manifest: ModelManifest, source: string): void {
  const stages = manifest.stages.length;
  manifest.stages.forEach((stage, index) => {
    if (stage.index !== index) {
      throw new InvalidManifestError(
        `${source}: stages[${index}] has index ${stage.index}; list stages in order`,
      );
    }
    if (index < stages - 1 && !stage.outputs.features) {
      throw new InvalidManifestError(
        `${source}: stage ${index} has no "features" output, but stage ${index + 1} needs it as input`,
      );
    }
  });
  if (manifest.exitCosts.length !== stages) {
    throw new InvalidManifestError(
      `${source}: exitCosts has ${manifest.exitCosts.length} entries for ${stages} stages; give one cumulative cost per exit`,
    );
  }
  const costs = manifestCosts(manifest);
  const disagrees = (a: number, b: number) => Math.abs(a - b) > 1e-9 * Math.max(a, b);
  const exit = costs.exits.findIndex((cost, index) => disagrees(cost, manifest.exitCosts[index]!));
  if (exit >= 0) {
    throw new InvalidManifestError(
      `${source}: exitCosts[${exit}] is ${manifest.exitCosts[exit]} but the stage FLOPs add up to ${costs.exits[exit]}; exit costs are cumulative (every backbone part and head up to that exit)`,
    );
  }
  if (disagrees(costs.fullModel, manifest.fullModelCost)) {
    throw new InvalidManifestError(
      `${source}: fullModelCost is ${manifest.fullModelCost} but the backbone FLOPs plus the final head add up to ${costs.fullModel}`,
    );
  }
  const channels = manifest.input.preprocessing.mean.length;
  if (channels !== manifest.input.preprocessing.std.length) {
    throw new InvalidManifestError(`${source}: preprocessing mean and std need one entry per channel each`);
  }
}

/** The manifest's costs as `ExitCosts` (FLOPs), recomputed from the per-stage FLOPs. */
export function manifestCosts(manifest: ModelManifest): ExitCosts {
  return costsFromStages(
    manifest.stages.map((stage) => stage.flops),
    'flops',
  );
}

/** Lower-case hex sha256 of bytes (pure JS: runs in Node and browsers). */
export function sha256Hex(bytes: Uint8Array): string {
  return bytesToHex(sha256(bytes));
}

/**
 * A fingerprint of the model's weights: sha256 over the stage files' sha256 values in
 * order. Profiles record it, so running a profile against retrained weights is caught.
 */
export function modelFingerprint(manifest: ModelManifest): string {
  const text = manifest.stages.map((stage) => stage.sha256).join('\n');
  return sha256Hex(utf8ToBytes(text));
}

/**
 * Checks a file's bytes against the sha256 the manifest records.
 *
 * @param digest the file's lower-case hex sha256 (computed by the caller with the fastest
 *   hash of its platform, or `sha256Hex`).
 * @throws InvalidManifestError when they differ.
 */
export function assertDigestMatches(
  manifest: ModelManifest,
  file: string,
  digest: string,
  expected: string,
): void {
  if (digest !== expected) {
    throw new InvalidManifestError(
      `${file} of model "${manifest.id}" has sha256 ${digest.slice(0, 12)}… but model.json expects ${expected.slice(0, 12)}…; the file is corrupt or was replaced — re-export the model or restore the file`,
    );
  }
}
