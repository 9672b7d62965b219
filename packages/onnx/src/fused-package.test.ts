import {
  type FusionPlan,
  InvalidArgumentError,
  type ModelManifest,
  type ModelPackage,
  parseManifest,
  type StageTensor,
  sha256Hex,
  type TensorMap,
  traceModel,
} from '@pcee/core';
import { describe, expect, it } from 'vitest';
import { fuseModelPackage } from './index.js';
import { bundledPackage, folderPackage, testImages, V1_FIXTURE } from './test-support/bundled-models.js';
import { ortRuntime } from './test-support/ort-runtime.js';
import { splitPackage } from './test-support/split-package.js';
import { bertLike, mlpChain, multiScale, skipAcrossExit } from './testing/test-models.js';

/** A plan from groups of stages (each group's last stage is its live exit). */
function plan(groups: number[][]): FusionPlan {
  return { liveExits: groups.map((group) => group.at(-1)!), groups };
}

/** Every exit's logits on `inputs`: `[exit][sample·class]`. */
async function exitLogits(
  modelPackage: ModelPackage,
  inputs: TensorMap | StageTensor,
): Promise<Float32Array[]> {
  const model = await ortRuntime.load(modelPackage);
  try {
    const { logits, samples, exits, classes } = await traceModel(model, inputs);
    return Array.from({ length: exits }, (_, exit) => {
      const out = new Float32Array(samples * classes);
      for (let n = 0; n < samples; n++)
        out.set(logits.subarray((n * exits + exit) * classes, (n * exits + exit + 1) * classes), n * classes);
      return out;
    });
  } finally {
    await model.dispose();
  }
}

function maxRelativeError(reference: Float32Array, value: Float32Array): number {
  let difference = 0;
  let scale = 0;
  for (let k = 0; k < reference.length; k++) {
    difference = Math.max(difference, Math.abs(reference[k]! - value[k]!));
    scale = Math.max(scale, Math.abs(reference[k]!));
  }
  return difference / scale;
}

/** Fuses, checks the manifest round-trips through parseManifest and the live exits' logits match. */
async function checkFused(modelPackage: ModelPackage, groups: number[][], inputs: TensorMap | StageTensor) {
  const fused = await fuseModelPackage(modelPackage, plan(groups));
  const { manifest } = fused.modelPackage;
  expect(parseManifest(JSON.stringify(manifest))).toEqual(manifest);
  for (const stage of manifest.stages) {
    expect(sha256Hex(await fused.modelPackage.readFile(stage.file))).toBe(stage.sha256);
  }
  const original = await exitLogits(modelPackage, inputs);
  const logits = await exitLogits(fused.modelPackage, inputs);
  expect(logits).toHaveLength(groups.length);
  fused.exitMap.forEach((exit, g) => {
    expect(maxRelativeError(original[exit]!, logits[g]!)).toBeLessThanOrEqual(1e-5);
  });
  return fused;
}

/** What a (fused) stage carries is exactly what later stages read. */
function expectCarriesWhatLaterStagesRead(manifest: ModelManifest): void {
  manifest.stages.forEach((stage, g) => {
    const later = manifest.stages.slice(g + 1).flatMap((next) => next.consumes.map((tensor) => tensor.name));
    for (const { name } of stage.produces) expect(later).toContain(name);
  });
}

/** The first `count` test images as the single model input of `modelPackage`. */
function imageInputs(modelPackage: ModelPackage, count: number): StageTensor {
  const images = testImages(modelPackage.manifest, count);
  return { dtype: 'float32', data: images.data as Float32Array, shape: images.shape };
}

describe('fuseModelPackage on a version 1 package (the v1 fixture)', () => {
  const modelPackage = folderPackage(V1_FIXTURE);
  const inputs = imageInputs(modelPackage, 16);

  it.each([
    ['one group fused in the middle', [[0], [1, 2], [3]]],
    [
      'two fused groups',
      [
        [0, 1],
        [2, 3],
      ],
    ],
    ['everything into one stage', [[0, 1, 2, 3]]],
    ['nothing', [[0], [1], [2], [3]]],
  ])('fuses %s, giving the live exits the same logits', async (_, groups) => {
    await checkFused(modelPackage, groups, inputs);
  });

  it('pays only the live heads: FLOPs, exit costs, parameters', async () => {
    const original = modelPackage.manifest;
    const fused = await fuseModelPackage(modelPackage, plan([[0], [1, 2], [3]]));
    const { manifest } = fused.modelPackage;
    const [s0, s1, s2, s3] = original.stages;
    expect(manifest.stages.map((stage) => stage.flops)).toEqual([
      s0!.flops,
      { backbone: s1!.flops.backbone + s2!.flops.backbone, head: s2!.flops.head },
      s3!.flops,
    ]);
    expect(manifest.exitCosts).toEqual([
      original.exitCosts[0],
      original.exitCosts[2]! - s1!.flops.head,
      original.exitCosts[3]! - s1!.flops.head,
    ]);
    expect(manifest.fullModelCost).toBe(original.fullModelCost);
    // Exit 1's head (pooling, then a Linear to the 10 classes) is gone with its weights.
    const headParameters = original.parameters - manifest.parameters;
    expect(headParameters).toBeGreaterThan(10);
    expect(manifest.stages[1]!.parameters).toBe(s1!.parameters + s2!.parameters - headParameters);
    expect(manifest.id).toBe(original.id);
    expect(manifest.description).toMatch(/fused: live exits 0, 2, 3/);
    expect(fused.exitMap).toEqual([0, 2, 3]);
  });

  it('reuses the original files of unfused stages and names the fused graph in package names', async () => {
    const fused = await fuseModelPackage(modelPackage, plan([[0], [1, 2], [3]]));
    const [first, middle, last] = fused.modelPackage.manifest.stages;
    expect(first).toEqual({ ...modelPackage.manifest.stages[0], index: 0 });
    expect(last).toEqual({ ...modelPackage.manifest.stages[3], index: 2 });
    expect(await fused.modelPackage.readFile('stage-3.onnx')).toEqual(
      await modelPackage.readFile('stage-3.onnx'),
    );
    // v1 graphs read `features` and write `features_out`; the fused stage takes the package names.
    expect(middle).toMatchObject({
      file: 'fused-1-2.onnx',
      consumes: [{ name: 'features@1', onnxName: 'features@1' }],
      produces: [{ name: 'features@3', onnxName: 'features@3' }],
      logits: 'exit_2',
    });
  });
});

describe.each(['fmnist-cnn-small', 'fmnist-vit-small'])(
  'fuseModelPackage on bundled version 2 package %s',
  (id) => {
    const modelPackage = bundledPackage(id);
    const inputs = imageInputs(modelPackage, 16);
    const stages = modelPackage.manifest.stages.map((stage) => stage.index);
    const last = stages.length - 1;

    it.each([
      ['the middle stages into one', [[0], stages.slice(1, last), [last]]],
      ['everything into one stage', [stages]],
    ])(
      'fuses %s, giving the live exits the same logits and carrying what later stages read',
      async (_, groups) => {
        const fused = await checkFused(modelPackage, groups, inputs);
        expectCarriesWhatLaterStagesRead(fused.modelPackage.manifest);
      },
    );
  },
);

describe.each([
  ['a plain chain', mlpChain, [[[0, 1], [2]], [[0], [1, 2]], [[0, 1, 2]]]],
  ['a residual across an exit', skipAcrossExit, [[[0, 1]]]],
  ['two scales carried', multiScale, [[[0, 1]]]],
  [
    'a BERT-style model (int64 inputs, a carried mask)',
    bertLike,
    [[[0, 1], [2]], [[0], [1, 2]], [[0, 1, 2]]],
  ],
])('fuseModelPackage on a version 2 split package: %s', (_, make, plans) => {
  it.each(plans.map((groups) => [JSON.stringify(groups), groups] as const))(
    'fuses %s with the same logits at the live exits',
    async (__, groups) => {
      const { modelPackage, inputs } = await splitPackage(make());
      const fused = await checkFused(modelPackage, groups, inputs);
      expectCarriesWhatLaterStagesRead(fused.modelPackage.manifest);
    },
  );
});

describe('fuseModelPackage refuses a plan of another model', () => {
  const modelPackage = folderPackage(V1_FIXTURE);
  it.each([
    ['too few stages', plan([[0, 1, 2]])],
    [
      'stages out of order',
      plan([
        [1, 0],
        [2, 3],
      ]),
    ],
    ['a group that does not end at its exit', { liveExits: [1, 3], groups: [[0, 1, 2], [3]] }],
  ])('%s', async (_, bad) => {
    const run = fuseModelPackage(modelPackage, bad);
    await expect(run).rejects.toThrow(InvalidArgumentError);
    await expect(fuseModelPackage(modelPackage, bad)).rejects.toThrow(
      /does not fit model "fmnist-cnn-small" with 4 stages; plan it with planFusion/,
    );
  });
});
