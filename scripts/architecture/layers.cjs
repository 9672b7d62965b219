/**
 * The layers of the code base, lowest first. `.dependency-cruiser.cjs` turns them into import
 * rules and `scripts/architecture/check-architecture-page.mjs` checks the contributors' architecture
 * page against them, so neither can drift from the code.
 */

/** Core's folders, lowest first: a folder may import only folders listed before it. */
const CORE_LAYERS = [
  ['errors', 'math', 'timing'],
  ['traces'],
  ['io'],
  ['cost'],
  ['model'],
  ['calibration', 'runtime'],
  ['policy'],
  ['fusion'],
  ['guarantee'],
  ['runner'],
  ['testing', 'test-support'],
];

/** Workspace packages, lowest first: a package may import only packages listed before it. */
const PACKAGE_LAYERS = [
  ['core', 'test-chromium'],
  ['models', 'onnx', 'report'],
  ['runtime-node', 'runtime-web'],
  ['engine', 'attach'],
  ['serve'],
  ['cli'],
];

module.exports = { CORE_LAYERS, PACKAGE_LAYERS };
