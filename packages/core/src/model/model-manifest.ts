import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { costsFromStages, type ExitCosts } from '../cost/index.js';
import { describeSchemaIssues, InvalidManifestError, tryParseJson } from '../errors/index.js';
import {
  fileNameSchema,
  manifestCommonSchema,
  positiveNumber,
  sha256Schema,
  stageCommonSchema,
} from './manifest-schema-parts.js';
import { manifestFromV1, manifestV1Schema } from './manifest-v1.js';
import { MODEL_TENSOR_DTYPES, type ModelManifest, type TensorBinding } from './model-manifest-types.js';

export type {
  Dimension,
  FullModelSpec,
  ModelInputSpec,
  ModelManifest,
  ModelTensorDtype,
  RawInputSpec,
  StageSpec,
  TensorBinding,
  TensorSpec,
} from './model-manifest-types.js';
export { MODEL_TENSOR_DTYPES } from './model-manifest-types.js';

/** Newest version of the `pcee-model` manifest format (version 1 is still read). */
export const MANIFEST_VERSION = 2;

/** Manifest versions this release reads. */
export const READABLE_MANIFEST_VERSIONS: readonly number[] = [1, 2];

const tensorName = z.string().min(1);
const dimension = z.union([z.number().int(), z.string().min(1)]);
const dtype = z.enum(MODEL_TENSOR_DTYPES as [string, ...string[]]);
/** `"name"` or `{ "name", "onnxName" }`, normalised to a binding. */
const binding = z
  .union([tensorName, z.object({ name: tensorName, onnxName: tensorName })])
  .transform(
    (entry): TensorBinding => (typeof entry === 'string' ? { name: entry, onnxName: entry } : entry),
  );
const tensorSpec = z.object({ name: tensorName, dtype, shape: z.array(dimension).min(1) });

const manifestV2Schema = manifestCommonSchema.extend({
  version: z.literal(2),
  inputs: z
    .array(
      tensorSpec.extend({
        raw: z
          .object({
            dtype: z.string().min(1),
            preprocessing: z.object({
              scale: positiveNumber,
              mean: z.array(z.number()).min(1),
              std: z.array(positiveNumber).min(1),
            }),
          })
          .optional(),
      }),
    )
    .min(1),
  stages: z
    .array(
      stageCommonSchema.extend({
        consumes: z.array(binding).min(1),
        produces: z.array(binding).default([]),
        logits: tensorName,
      }),
    )
    .min(1),
  tensors: z.array(tensorSpec).optional(),
  full: z
    .object({
      file: fileNameSchema,
      sha256: sha256Schema,
      inputs: z.array(binding).min(1).optional(),
      output: tensorName,
      parameters: z.number().int().nonnegative(),
    })
    .optional(),
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
  if (!READABLE_MANIFEST_VERSIONS.includes(value.version as number)) {
    throw new InvalidManifestError(
      `${source} has manifest version ${JSON.stringify(value.version)}; this version of PCEE reads versions ${READABLE_MANIFEST_VERSIONS.join(' and ')} (upgrade @pcee/core for newer packages)`,
    );
  }
  const manifest = value.version === 1 ? parseV1(value, source) : parseV2(value, source);
  checkConsistency(manifest, source);
  return manifest;
}

function parseV1(value: unknown, source: string): ModelManifest {
  const result = manifestV1Schema.safeParse(value);
  if (!result.success) {
    throw new InvalidManifestError(`${source} is malformed: ${describeSchemaIssues(result.error)}`);
  }
  return manifestFromV1(result.data);
}

function parseV2(value: unknown, source: string): ModelManifest {
  const result = manifestV2Schema.safeParse(value);
  if (!result.success) {
    throw new InvalidManifestError(`${source} is malformed: ${describeSchemaIssues(result.error)}`);
  }
  const { full, ...rest } = result.data;
  // A full model that names no inputs takes every model input under its own name.
  const inputs = rest.inputs.map(({ name }) => ({ name, onnxName: name }));
  return { ...rest, ...(full ? { full: { ...full, inputs: full.inputs ?? inputs } } : {}) } as ModelManifest;
}

function checkConsistency(manifest: ModelManifest, source: string): void {
  const stages = manifest.stages.length;
  checkTensorFlow(manifest, source);
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
  for (const input of manifest.inputs) {
    const preprocessing = input.raw?.preprocessing;
    if (preprocessing && preprocessing.mean.length !== preprocessing.std.length) {
      throw new InvalidManifestError(
        `${source}: preprocessing of input "${input.name}" has ${preprocessing.mean.length} means and ${preprocessing.std.length} stds; give one of each per channel`,
      );
    }
  }
}

/**
 * Stages in order, each consuming only model inputs and tensors of earlier stages, with
 * unique names: otherwise the runner could not know what to carry.
 */
function checkTensorFlow(manifest: ModelManifest, source: string): void {
  const available = new Map<string, string>(manifest.inputs.map((input) => [input.name, 'a model input']));
  if (available.size !== manifest.inputs.length) {
    throw new InvalidManifestError(`${source}: two model inputs share a name; give each input its own name`);
  }
  manifest.stages.forEach((stage, index) => {
    if (stage.index !== index) {
      throw new InvalidManifestError(
        `${source}: stages[${index}] has index ${stage.index}; list stages in order`,
      );
    }
    for (const { name } of stage.consumes) {
      if (available.has(name)) continue;
      const later = manifest.stages.findIndex((other) =>
        other.produces.some((tensor) => tensor.name === name),
      );
      throw new InvalidManifestError(
        later >= index
          ? `${source}: stage ${index} consumes "${name}", which stage ${later} produces only later; a stage can only use model inputs and tensors of earlier stages`
          : `${source}: stage ${index} consumes "${name}", which is neither a model input nor produced by an earlier stage (model inputs: ${manifest.inputs.map((input) => input.name).join(', ')})`,
      );
    }
    for (const { name } of stage.produces) {
      const earlier = available.get(name);
      if (earlier) {
        throw new InvalidManifestError(
          `${source}: stage ${index} produces "${name}", already ${earlier}; give every tensor one producer`,
        );
      }
      available.set(name, `produced by stage ${index}`);
    }
  });
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
