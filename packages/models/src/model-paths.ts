import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A reference model: its id (the folder name and `model.json` `id`) and one line for humans. */
export interface ModelInfo {
  /** Model id, e.g. `"fmnist-cnn-large"`. */
  readonly id: string;
  /** One-line description, equal to `model.json` `description`. */
  readonly description: string;
}

const MODELS: readonly ModelInfo[] = [
  {
    id: 'fmnist-cnn-small',
    description: 'Small MSDNet-style CNN (3 scales, dense layers), 4 exits (Fashion-MNIST)',
  },
  {
    id: 'fmnist-cnn-large',
    description: 'Large MSDNet-style CNN (3 scales, dense layers), 9 exits (Fashion-MNIST)',
  },
  {
    id: 'fmnist-vit-small',
    description: 'Small ViT, light patch embedding (49 tokens), 6 blocks / 6 exits (Fashion-MNIST)',
  },
  {
    id: 'fmnist-vit-large',
    description: 'Large ViT, light patch embedding (49 tokens), 13 blocks / 13 exits (Fashion-MNIST)',
  },
];

/** The id of the model a tool uses when the user names none. */
export const defaultModelId = 'fmnist-cnn-large';

/**
 * The package root. Both `src/index.ts` (under vitest) and the bundled `dist/index.js`
 * sit one folder below it, so one `..` works from either.
 */
const packageRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * Where the models are read from: the environment variable `PCEE_MODELS_DIR`, when set, names
 * a folder laid out like this package (`<id>/` folders and `data/fashion-mnist-test.npz`),
 * so tests, benchmarks and the demo run unchanged against another export of the models.
 * Otherwise the bundled models.
 */
function modelsRoot(): string {
  return process.env.PCEE_MODELS_DIR ?? packageRoot;
}

/** Every shipped model with its one-line description, in a stable order (small before large, CNNs first). */
export function listModels(): readonly ModelInfo[] {
  return MODELS;
}

/**
 * Absolute path of the folder holding model `id` (its `model.json`, stage files and traces),
 * under `PCEE_MODELS_DIR` when that is set.
 * @throws Error naming the unknown id and listing the known ones.
 */
export function modelDir(id: string): string {
  if (!MODELS.some((model) => model.id === id)) {
    const known = MODELS.map((model) => model.id).join(', ');
    throw new Error(`unknown model "${id}"; known models: ${known}`);
  }
  return join(modelsRoot(), id);
}

/**
 * Absolute path of `data/fashion-mnist-test.npz`: the official Fashion-MNIST test set,
 * `x` uint8 [10000, 28, 28] raw pixels and `labels` int64 [10000]. Preprocess with the
 * model's input `raw.preprocessing` (`model.json` `inputs[0]`) before stage 0.
 */
export function testInputsPath(): string {
  return join(modelsRoot(), 'data', 'fashion-mnist-test.npz');
}

/**
 * The plain classifiers without exits (`plain/<id>.onnx`, trained by `training/plain.py`): the
 * input `pcee attach` is made for. Input `image` float32 [batch, 1, 28, 28] (preprocessed as
 * the zoo's models), output `logits` [batch, 10].
 */
export const PLAIN_MODELS = ['fmnist-resnet-plain', 'fmnist-resnet-plain-small', 'fmnist-vit-plain'] as const;

/** Id of a plain model. */
export type PlainModelId = (typeof PLAIN_MODELS)[number];

/** Absolute path of a plain model's ONNX file (its results are in `plain/results.json`). */
export function plainModelPath(id: PlainModelId): string {
  return join(packageRoot, 'plain', `${id}.onnx`);
}
