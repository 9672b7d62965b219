import { InvalidInputError, seededRandom, type Tensor } from '@pcee/core';

/** Fewest samples of each class `attach` accepts: enough for a training and a validation part. */
export const MIN_SAMPLES_PER_CLASS = 4;

/**
 * Class labels in [0, classes) as an Int32Array, from an integer tensor `[N]` (e.g. numpy's
 * int64). `source` names the file in errors.
 *
 * @throws InvalidInputError for a label out of range, a non-integer label, or a class with
 *   fewer than `MIN_SAMPLES_PER_CLASS` samples.
 */
export function checkLabels(tensor: Tensor, classes: number, source = 'the labels'): Int32Array {
  if (tensor.shape.length !== 1) {
    throw new InvalidInputError(
      `${source}: "labels" has shape [${tensor.shape.join(', ')}]; save one integer class index per sample, shape [N]`,
    );
  }
  const labels = new Int32Array(tensor.shape[0]!);
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const value = Number(tensor.data[i]!);
    if (!Number.isInteger(value) || value < 0 || value >= classes) {
      throw new InvalidInputError(
        `${source}: labels[${i}] is ${value} but the model has ${classes} classes (0–${classes - 1}); save class indices in that range`,
      );
    }
    labels[i] = value;
    counts[value]!++;
  }
  const fewest = counts.reduce((worst, count, k) => (count < counts[worst]! ? k : worst), 0);
  if (counts[fewest]! < MIN_SAMPLES_PER_CLASS) {
    throw new InvalidInputError(
      `${source}: class ${fewest} has ${counts[fewest]} sample${counts[fewest] === 1 ? '' : 's'}; each class needs at least ${MIN_SAMPLES_PER_CLASS} (some to train its heads, some to validate them): add samples of it`,
    );
  }
  return labels;
}

/** Sample indices of the training and the validation part. */
export interface ValidationSplit {
  readonly train: Int32Array;
  readonly validation: Int32Array;
}

/**
 * A stratified split: `fraction` of every class (at least one sample) goes to validation,
 * chosen by a seeded shuffle, so the split is the same on every run. Indices ascend.
 */
export function validationSplit(
  labels: Int32Array,
  classes: number,
  fraction: number,
  seed: number,
): ValidationSplit {
  const random = seededRandom(seed);
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  for (const [index, label] of labels.entries()) byClass[label]!.push(index);
  const validation: number[] = [];
  const train: number[] = [];
  for (const members of byClass) {
    for (let k = members.length - 1; k > 0; k--) {
      const j = Math.floor(random() * (k + 1));
      [members[k], members[j]] = [members[j]!, members[k]!];
    }
    const count = Math.min(members.length - 1, Math.max(1, Math.round(members.length * fraction)));
    validation.push(...members.slice(0, count));
    train.push(...members.slice(count));
  }
  return {
    train: Int32Array.from(train.sort((a, b) => a - b)),
    validation: Int32Array.from(validation.sort((a, b) => a - b)),
  };
}
