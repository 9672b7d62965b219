/**
 * The import rules `npm test` checks (dependency-cruiser): no import circle anywhere; inside
 * @pcee/core, folders import each other only through their `index.ts` and only downward,
 * in the order of scripts/architecture/layers.cjs (the data flow of shared/DESIGN.md);
 * packages import only the workspace packages they declare, and only downward.
 */

const { CORE_LAYERS, PACKAGE_LAYERS } = require('./scripts/architecture/layers.cjs');

/** Tests may reach up (a test of traces may calibrate them) and into test helpers. */
const TESTS = ['\\.test\\.ts$', '\\.test-helper\\.ts$'];

const alternation = (names) => `(${names.join('|')})`;

function layerRules(layers, pathOf, what) {
  return layers.slice(0, -1).map((layer, index) => ({
    name: `${what}-imports-downward-${layer.join('-')}`,
    comment: `${layer.join(', ')} may import only ${what}s listed before it`,
    severity: 'error',
    from: { path: pathOf(alternation(layer)), pathNot: TESTS },
    to: { path: pathOf(alternation(layers.slice(index + 1).flat())) },
  }));
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment:
        'an import circle makes load order and layering fragile; break it by moving the shared piece down',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-folders-through-index',
      comment: "a core folder's index.ts is its public face: import another folder through it",
      severity: 'error',
      from: { path: '^packages/core/src/([^/]+)/', pathNot: TESTS },
      to: {
        path: '^packages/core/src/[^/]+/',
        pathNot: ['^packages/core/src/$1/', '^packages/core/src/[^/]+/index\\.ts$'],
      },
    },
    ...layerRules(CORE_LAYERS, (folders) => `^packages/core/src/${folders}/`, 'core folder'),
    ...layerRules(PACKAGE_LAYERS, (packages) => `^packages/${packages}/`, 'package'),
    {
      name: 'platform-free',
      comment:
        'core, onnx, engine and report run in Node and the browser: no Node built-ins outside their node/ entry points and test helpers',
      severity: 'error',
      from: {
        path: '^packages/(core|onnx|engine|report)/src/',
        pathNot: [...TESTS, '/test-support/', '^packages/[^/]+/src/node/', '^packages/onnx/src/testing/'],
      },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'declared-dependencies-only',
      comment: "import only packages the importing package's package.json declares",
      severity: 'error',
      from: { path: '^packages/[^/]+/src/', pathNot: [...TESTS, '/test-support/'] },
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['/dist/', '/fixtures/', '/gen/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
