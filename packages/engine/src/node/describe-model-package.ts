import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidManifestError } from '@pcee/core';

/** A file's sha256 against the manifest's: it matches, differs, or the file is not there. */
export type FileCheck = 'ok' | 'differs' | 'missing';

/** One stage of a described model package, format version 1 or 2 alike. */
export interface DescribedStage {
  readonly index: number;
  readonly file: string;
  /** Tensors it takes (version 1: its one input). */
  readonly consumes: readonly string[];
  /** Tensors it passes on (version 1: `features`, when it has them). */
  readonly produces: readonly string[];
  /** Its exit's logits output. */
  readonly logits: string | undefined;
  /** Backbone and head FLOPs per sample, as the manifest records them. */
  readonly flops: { readonly backbone: number; readonly head: number } | undefined;
  /** Cumulative FLOPs per sample of stopping at this stage's exit. */
  readonly cumulative: number | undefined;
  readonly parameters: number | undefined;
  readonly sha256: FileCheck | undefined;
}

/** A model package as `pcee inspect --json` prints it: what model.json says, files checked. */
export interface ModelPackageDescription {
  readonly id: string | undefined;
  readonly version: number | undefined;
  readonly inputs: readonly {
    readonly name: string;
    readonly dtype: string;
    readonly shape: readonly unknown[];
  }[];
  /** How many classes. */
  readonly classes: number | undefined;
  readonly stages: readonly DescribedStage[];
  /** FLOPs per sample of the full model (no intermediate heads). */
  readonly fullModelCost: number | undefined;
  /** The optional full.onnx, with its file checked. */
  readonly full: { readonly file: string; readonly sha256: FileCheck | undefined } | undefined;
  readonly parameters: number | undefined;
}

/** A stage entry as written by either format version (names or `{ name }` objects). */
interface ManifestStage {
  index: number;
  file: string;
  sha256: string;
  consumes?: (string | { name: string })[];
  produces?: (string | { name: string })[];
  logits?: string;
  input?: string;
  outputs?: { features?: string; logits: string };
  flops?: { backbone: number; head: number };
  parameters?: number;
}

/** The fields of model.json a description reads; nothing else is assumed. */
interface LooseManifest {
  id?: string;
  version?: number;
  inputs?: { name: string; dtype: string; shape: unknown[] }[];
  input?: { name: string; dtype: string; shape: unknown[] };
  classes?: string[];
  stages?: ManifestStage[];
  exitCosts?: number[];
  fullModelCost?: number;
  full?: { file: string; sha256: string };
  parameters?: number;
}

/**
 * Describes a model package from its model.json text, checking each stage file (and full.onnx)
 * against its recorded sha256. The manifest is read loosely, not validated, so that a package
 * a loader refuses (a hash that differs, a file missing) can still be inspected.
 *
 * @param manifestPath where `manifestText` was read, named in errors.
 * @throws InvalidManifestError when the text is not JSON or has no stages.
 */
export async function describeModelPackage(
  folder: string,
  manifestText: string,
  manifestPath = join(folder, 'model.json'),
): Promise<ModelPackageDescription> {
  let manifest: LooseManifest;
  try {
    manifest = JSON.parse(manifestText);
  } catch (error) {
    throw new InvalidManifestError(`${manifestPath} is not valid JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(manifest.stages)) {
    throw new InvalidManifestError(
      `${manifestPath} has no stages; is it a PCEE model package (format pcee-model)?`,
    );
  }
  const names = (list: ManifestStage['consumes']) =>
    (list ?? []).map((entry) => (typeof entry === 'string' ? entry : entry.name));
  const files = [
    ...manifest.stages.map((stage) => ({ file: stage.file, sha256: stage.sha256 })),
    ...(manifest.full ? [manifest.full] : []),
  ];
  const hashes = await Promise.all(
    files.map(async ({ file, sha256 }): Promise<FileCheck> => {
      const bytes = await readFile(join(folder, file)).catch(() => undefined);
      if (!bytes) return 'missing';
      return createHash('sha256').update(bytes).digest('hex') === sha256 ? 'ok' : 'differs';
    }),
  );
  const stages = manifest.stages.map((stage, k) => ({
    index: stage.index,
    file: stage.file,
    consumes: stage.consumes ? names(stage.consumes) : [stage.input ?? '?'],
    produces: stage.produces ? names(stage.produces) : stage.outputs?.features ? ['features'] : [],
    logits: stage.logits ?? stage.outputs?.logits,
    flops: stage.flops,
    cumulative: manifest.exitCosts?.[k],
    parameters: stage.parameters,
    sha256: hashes[k],
  }));
  return {
    id: manifest.id,
    version: manifest.version,
    inputs: manifest.inputs ?? (manifest.input ? [manifest.input] : []),
    classes: manifest.classes?.length,
    stages,
    fullModelCost: manifest.fullModelCost,
    full: manifest.full ? { file: manifest.full.file, sha256: hashes.at(-1) } : undefined,
    parameters: manifest.parameters,
  };
}
