import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type ModelPackage,
  preprocessInput,
  readNpz,
  readTraces,
  type StageTensor,
  type Tensor,
  type Traces,
} from '@pcee/core';
import { modelDir, testInputsPath } from '@pcee/models';
import { openModelPackage } from '@pcee/runtime-node';

/** A bundled reference model with its first test inputs (preprocessed) and its traces. */
export interface ReferenceModel {
  readonly model: ModelPackage;
  readonly inputs: StageTensor;
  readonly testTraces: Traces;
  readonly validationTraces: Traces;
}

/** Opens reference model `id` with its first `samples` preprocessed test inputs and its traces. */
export async function loadReferenceModel(id: string, samples = 128): Promise<ReferenceModel> {
  const folder = modelDir(id);
  const model = await openModelPackage(folder);
  const inputs = preprocessInput(model.manifest.inputs[0]!, referenceInputs(samples));
  const traces = async (name: string) => readTraces(new Uint8Array(await readFile(join(folder, name))), name);
  return { model, inputs, testTraces: await traces('test.npz'), validationTraces: await traces('val.npz') };
}

/** The first `samples` raw Fashion-MNIST test images (`x`, uint8 [samples, 28, 28]). */
export function referenceInputs(samples: number): Tensor {
  const raw = readNpz(new Uint8Array(readFileSync(testInputsPath()))).get('x')!;
  const perSample = raw.data.length / raw.shape[0]!;
  return {
    ...raw,
    shape: [samples, ...raw.shape.slice(1)],
    data: raw.data.subarray(0, samples * perSample),
  } as Tensor;
}
