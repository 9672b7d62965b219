/**
 * The parts of a version 2 `model.json` the tests read, and how to read one. Not part of the
 * public API: `@pcee/core` owns the full type and its validation (`parseManifest`); this
 * package stays free of it so the data package has no build dependency.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelDir } from '../index';

/** A stage's tensor: its package name, or `{ name, onnxName }` when the graph's name differs. */
export type TensorBinding = string | { readonly name: string; readonly onnxName: string };

/** A version 2 manifest, as far as the tests read it. */
export interface ManifestV2 {
  readonly format: string;
  readonly version: number;
  readonly id: string;
  readonly description: string;
  readonly inputs: readonly {
    readonly name: string;
    readonly dtype: string;
    readonly shape: readonly (number | string)[];
    readonly raw?: {
      readonly dtype: string;
      readonly preprocessing: { readonly scale: number; readonly mean: number[]; readonly std: number[] };
    };
  }[];
  readonly classes: readonly string[];
  readonly stages: readonly {
    readonly index: number;
    readonly file: string;
    readonly sha256: string;
    readonly consumes: readonly TensorBinding[];
    readonly produces: readonly TensorBinding[];
    readonly logits: string;
    readonly flops: { readonly backbone: number; readonly head: number };
    readonly parameters: number;
  }[];
  readonly tensors?: readonly {
    readonly name: string;
    readonly dtype: string;
    readonly shape: readonly (number | string)[];
  }[];
  readonly exitCosts: readonly number[];
  readonly fullModelCost: number;
  readonly costUnit: string;
  readonly full: {
    readonly file: string;
    readonly sha256: string;
    readonly inputs: readonly string[];
    readonly output: string;
    readonly parameters: number;
  };
  readonly parameters: number;
  readonly training: Record<string, unknown>;
}

/** Model `id`'s `model.json`, parsed but not validated (the tests do that). */
export function readManifest(id: string): ManifestV2 {
  return JSON.parse(readFileSync(join(modelDir(id), 'model.json'), 'utf8')) as ManifestV2;
}

/** The package name of a binding (a plain string is both names). */
export function tensorName(binding: TensorBinding): string {
  return typeof binding === 'string' ? binding : binding.name;
}

/** The ONNX graph name of a binding (a plain string is both names). */
export function onnxName(binding: TensorBinding): string {
  return typeof binding === 'string' ? binding : binding.onnxName;
}
