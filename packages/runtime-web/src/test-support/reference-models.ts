import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type ModelPackage,
  preprocessInput,
  readNpz,
  readTraces,
  type StageTensor,
  type Traces,
} from '@pcee/core';
import { modelDir, testInputsPath } from '@pcee/models';
import { modelPackageFromFiles } from '../model-package-bytes.js';

/** A reference model with the data the conformance suite needs. */
export interface ReferenceModel {
  readonly model: ModelPackage;
  /** Preprocessed first `samples` test images. */
  readonly inputs: StageTensor;
  /** The package's test traces (same order as the test inputs). */
  readonly testTraces: Traces;
  /** The package's validation traces, for calibration. */
  readonly validationTraces: Traces;
}

/** Every file of a package folder, read into memory (how a browser app would hold it after download). */
export async function readPackageFiles(folder: string): Promise<Map<string, Uint8Array>> {
  const names = await readdir(folder);
  const entries = await Promise.all(
    names.map(async (name) => [name, new Uint8Array(await readFile(join(folder, name)))] as const),
  );
  return new Map(entries);
}

/** Opens reference model `id` from in-memory files with its first `samples` preprocessed test inputs. */
export async function loadReferenceModel(id: string, samples = 128): Promise<ReferenceModel> {
  const folder = modelDir(id);
  const files = await readPackageFiles(folder);
  const model = modelPackageFromFiles(files, folder);
  const raw = readNpz(new Uint8Array(await readFile(testInputsPath()))).get('x')!;
  const perSample = raw.data.length / raw.shape[0]!;
  const first = {
    ...raw,
    shape: [samples, ...raw.shape.slice(1)],
    data: raw.data.subarray(0, samples * perSample),
  };
  const inputs = preprocessInput(model.manifest.inputs[0]!, first as typeof raw);
  return {
    model,
    inputs,
    testTraces: readTraces(files.get('test.npz')!, 'test.npz'),
    validationTraces: readTraces(files.get('val.npz')!, 'val.npz'),
  };
}
