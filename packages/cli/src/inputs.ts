import { basename } from 'node:path';
import {
  type CalibrationProfile,
  parseProfile,
  readNpz,
  readTraces,
  type Tensor,
  type Traces,
} from '@pcee/core';
import { inputsFromArrays, type RawModelInputs, rawModelInputs } from '@pcee/engine';
import { readOnnxModel } from '@pcee/engine/node';
import type { ModelInput, ModelProto } from '@pcee/onnx';
import { readInputFile, readInputText } from './files.js';
import { nativeCrc32 } from './native-hashes.js';

/**
 * Reads and validates a traces file (.npz or .safetensors with `logits` and `labels`), read once;
 * the logits of a stored .npz stay a view of the file's bytes (no copy). Every command scores
 * the traces right after (`scoreExits`), which checks that the logits are finite in the same
 * pass, so reading skips its own pass over them.
 */
export async function loadTraces(path: string): Promise<Traces> {
  return readTraces(await readInputFile(path, 'traces file'), basename(path), {
    crc32: nativeCrc32,
    checkFinite: false,
  });
}

/** Reads and validates a calibration profile JSON file. */
export async function loadProfile(path: string): Promise<CalibrationProfile> {
  return parseProfile(await readInputText(path, 'profile'), path);
}

/**
 * Reads an inputs .npz: arrays named after the model's inputs (`x` for a one-input model)
 * and optionally `labels`; `limit` keeps the first N samples (see the engine's `rawModelInputs`).
 */
export async function loadInputs(path: string, limit?: number): Promise<RawModelInputs> {
  const tensors = readNpz(await readInputFile(path, 'inputs file'), { crc32: nativeCrc32 });
  return rawModelInputs(tensors, basename(path), limit);
}

/**
 * Sample inputs for verifying a split, from an .npz whose arrays are named after the model's
 * inputs (see the engine's `inputsFromArrays`).
 */
export async function loadSplitInputs(
  path: string,
  inputs: readonly ModelInput[],
): Promise<Map<string, Tensor>> {
  return inputsFromArrays(readNpz(await readInputFile(path, 'inputs file')), inputs, basename(path));
}

/** Reads an ONNX model file, its external-data weights included (see the engine's `readOnnxModel`). */
export async function loadOnnxModel(path: string): Promise<ModelProto> {
  return readOnnxModel(await readInputFile(path, 'ONNX model'), path);
}
