/**
 * Model packages split by `pcee split` from the PyTorch test models in `fixtures/` (see
 * `fixtures/README.md`), each with `reference.npz`: 96 inputs named after the model's inputs,
 * the unsplit model's logits of every exit (`logits [N, L, C]`) and `labels` (the last exit's
 * argmax). Rebuilt by `node packages/cli/scripts/split-fixtures.mjs`.
 */
export const FIXTURE_PACKAGES = ['skip-cnn', 'multiscale-cnn', 'tiny-vit', 'tiny-bert'] as const;

/** Name of a fixture package. */
export type FixturePackage = (typeof FIXTURE_PACKAGES)[number];

/**
 * What each fixture exercises, for test names: carried tensors and input types the bundled
 * Fashion-MNIST models never have.
 */
export const FIXTURE_FEATURES: Readonly<Record<FixturePackage, string>> = {
  'skip-cnn': 'a skip connection carried across an exit (two tensors)',
  'multiscale-cnn': 'two feature maps at two scales',
  'tiny-vit': 'a ViT with an exit after every block',
  'tiny-bert': 'int64 input_ids and attention_mask, a mask carried to every stage',
};

/**
 * Where the fixture packages sit, relative to the `@pcee/onnx` package folder (resolve it
 * from `@pcee/onnx/package.json`; this module stays free of platform path APIs).
 */
export const FIXTURE_PACKAGES_FOLDER = 'fixtures/packages';
