import { readFileSync } from 'node:fs';
import { readNpz, type Tensor } from '@pcee/core';
import { describe, expect, it } from 'vitest';
import {
  type CutPoint,
  exitShareTargets,
  featureModel,
  type GraftedExit,
  graftExitHeads,
  listCutPoints,
  type ModelProto,
  pooledWidth,
  poolingFor,
  probeModel,
  pruneToOutput,
  readModel,
  spreadCutPoints,
} from './index.js';
import { ortProbeRunner, runModel } from './test-support/ort.js';

const folder = new URL('../fixtures/', import.meta.url);
const fixture = (name: string) => ({
  model: readModel(new Uint8Array(readFileSync(new URL(`${name}.onnx`, folder))), `${name}.onnx`),
  samples: readNpz(new Uint8Array(readFileSync(new URL(`${name}.npz`, folder)))),
});

/** A fixture pruned to its last exit: a plain model without intermediate heads. */
async function plain(name: string, last: string) {
  const { model, samples } = fixture(name);
  const full = pruneToOutput(model, last).model;
  const probe = await probeModel(full, ortProbeRunner, name);
  return { model: full, samples, probe };
}

/** A head with deterministic weights, so outputs can be checked against a reference. */
function linearHead(width: number, classes: number, seed: number): GraftedExit['head'] {
  const weight = Float32Array.from({ length: width * classes }, (_, k) => Math.sin(seed + k) * 0.1);
  const bias = Float32Array.from({ length: classes }, (_, k) => Math.cos(seed + k) * 0.1);
  return { kind: 'linear', weight, bias };
}

function mlpHead(width: number, hidden: number, classes: number): GraftedExit['head'] {
  const values = (count: number, seed: number) =>
    Float32Array.from({ length: count }, (_, k) => Math.sin(seed + 3 * k) * 0.2);
  return {
    kind: 'mlp',
    weight1: values(width * hidden, 1),
    bias1: values(hidden, 2),
    weight2: values(hidden * classes, 3),
    bias2: values(classes, 4),
  };
}

describe('listCutPoints', () => {
  it('finds block outputs of a ResNet-style CNN but nothing a skip connection crosses', async () => {
    const { model, probe } = await plain('skip-cnn', 'exit_2');
    const points = listCutPoints(model, 'exit_2', probe.types, probe.shapes);
    const names = points.map((point) => point.name);
    // The stem output is read again after block 1 (its 1x1 projection joins there), so blocks 0
    // and 1 are crossed by it: no cut inside, the next one is where the skip joins.
    expect(names).toContain('/stem/stem.2/Relu_output_0');
    expect(names).not.toContain('/blocks.0/Relu_output_0');
    expect(names).not.toContain('/blocks.1/Relu_output_0');
    expect(names).toContain('/Relu_output_0');
    for (const [a, b] of points.slice(1).map((point, k) => [points[k]!, point] as const)) {
      expect(b.share).toBeGreaterThanOrEqual(a.share);
    }
    expect(points.every((point) => point.share > 0 && point.share <= 1)).toBe(true);
  });

  it('treats the attention mask as a side tensor in a text transformer', async () => {
    const { model, probe } = await plain('tiny-bert', 'exit_3');
    const names = listCutPoints(model, 'exit_3', probe.types, probe.shapes).map((point) => point.name);
    for (const layer of [0, 1, 2])
      expect(names).toContain(`/layers.${layer}/norm2/LayerNormalization_output_0`);
  });

  it('rejects an output the graph does not compute', async () => {
    const { model, probe } = await plain('skip-cnn', 'exit_2');
    expect(() => listCutPoints(model, 'nope', probe.types, probe.shapes)).toThrow(/no node computes "nope"/);
  });
});

describe('spreadCutPoints', () => {
  const point = (share: number): CutPoint => ({
    name: `t${share}`,
    type: { dtype: 'float32' },
    flops: share,
    share,
  });
  const points = [0.05, 0.12, 0.2, 0.3, 0.4, 0.5, 0.66, 0.8, 0.95].map(point);

  it.each([
    [4, [0.12, 0.3, 0.5, 0.66]],
    [2, [0.12, 0.66]],
    [1, [0.4]],
  ])('spreads %i exits over the cost', (count, shares) => {
    expect(spreadCutPoints(points, count).map((p) => p.share)).toEqual(shares);
  });

  it('names the fix when there are too few points', () => {
    expect(() => spreadCutPoints(points.slice(0, 2), 4)).toThrow(/--exits 2/);
  });

  it('targets 10/25/45/70 % for four exits', () => {
    expect(exitShareTargets(4)).toEqual([0.1, 0.25, 0.45, 0.7]);
  });
});

describe('poolingFor', () => {
  it.each([
    [['batch', 8, 4, 4], {}, 'average'],
    [['batch', 8, 4, 4], { maxPool: true }, 'average-max'],
    [['batch', 'sequence', 32], {}, 'mean'],
    [['batch', 'sequence', 32], { maxPool: true }, 'mean-max'],
    [['batch', 'sequence', 32], { mask: 'attention_mask' }, 'masked-mean'],
    [['batch', 'sequence', 32], { tokens: 'class-token' as const }, 'class-token'],
    [['batch', 32], {}, 'flatten'],
  ])('pools %j with %j as %s', (shape, options, pooling) => {
    expect(poolingFor('t', { dtype: 'float32', shape }, options)).toBe(pooling);
  });

  it('rejects a tensor of rank 5', () => {
    expect(() => poolingFor('t', { dtype: 'float32', shape: ['batch', 1, 2, 3, 4] })).toThrow(
      /choose another tensor with --at/,
    );
  });
});

describe.each([
  ['skip-cnn', 'exit_2', 10, { maxPool: true }],
  ['tiny-vit', 'exit_3', 10, {}],
  ['tiny-vit', 'exit_3', 10, { maxPool: true }],
  ['tiny-bert', 'exit_3', 3, { mask: 'attention_mask' }],
] as const)('graftExitHeads on %s', (name, last, classes, options) => {
  async function grafted(kind: 'linear' | 'mlp') {
    const { model, samples, probe } = await plain(name, last);
    const points = spreadCutPoints(listCutPoints(model, last, probe.types, probe.shapes), 2);
    const exits: GraftedExit[] = points.map((point, k) => {
      const pooling = poolingFor(point.name, point.type, options);
      const width = pooledWidth(point.name, point.type, pooling);
      return {
        tensor: point.name,
        pooling,
        mask: 'mask' in options ? options.mask : undefined,
        head: kind === 'linear' ? linearHead(width, classes, k) : mlpHead(width, 5, classes),
      };
    });
    const feeds = new Map<string, Tensor>([...samples].filter(([key]) => key !== 'logits'));
    return { model, exits, feeds, out: graftExitHeads(model, exits, probe.types, classes), probe };
  }

  it.each(['linear', 'mlp'] as const)(
    'adds %s exits before the original output, which stays bit-identical',
    async (kind) => {
      const { model, out, feeds, exits } = await grafted(kind);
      expect(out.graph!.output.map((output) => output.name)).toEqual([
        ...exits.map((_, k) => `exit_${k}`),
        last,
      ]);
      const before = await runModel(model, feeds);
      const after = await runModel(out, feeds);
      expect(after.get(last)!.data).toEqual(before.get(last)!.data);
      for (const k of exits.keys())
        expect(after.get(`exit_${k}`)!.shape).toEqual([feeds.values().next().value!.shape[0], classes]);
    },
  );

  it('computes heads on exactly the features featureModel extracts', async () => {
    const { model, out, feeds, exits, probe } = await grafted('linear');
    const features = await runModel(featureModel(model, exits, probe.types), feeds);
    const logits = await runModel(out, feeds);
    for (const [k, exit] of exits.entries()) {
      const x = features.get(`features_${k}`)!;
      const [n, width] = x.shape as [number, number];
      const head = exit.head as { weight: Float32Array; bias: Float32Array };
      const got = logits.get(`exit_${k}`)!.data as Float32Array;
      for (let i = 0; i < n; i++) {
        for (let c = 0; c < classes; c++) {
          let sum = head.bias[c]!;
          for (let d = 0; d < width; d++)
            sum += (x.data as Float32Array)[i * width + d]! * head.weight[d * classes + c]!;
          expect(got[i * classes + c]).toBeCloseTo(sum, 4);
        }
      }
    }
  });
});

it('graftExitHeads refuses a model that already has exit_0', async () => {
  const { model: source } = fixture('skip-cnn');
  const model: ModelProto = source;
  const probe = await probeModel(model, ortProbeRunner, 'skip-cnn');
  const tensor = '/blocks.0/Relu_output_0';
  const exits: GraftedExit[] = [{ tensor, pooling: 'average', head: linearHead(16, 10, 0) }];
  expect(() => graftExitHeads(model, exits, probe.types, 10)).toThrow(/already has a tensor named "exit_0"/);
});
