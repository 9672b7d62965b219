import { describe, expect, it } from 'vitest';
import type { ServedModelInfo } from '../models/served-model-info.js';
import { buildInferResponse } from './infer-response.js';

const MODEL: ServedModelInfo = {
  name: 'm',
  version: 'v1',
  inputs: [],
  classes: ['a', 'b'],
  exits: 3,
  baseline: false,
};
const OUTCOME = {
  policy: 'pcee' as const,
  delta: 0.9,
  abstain: false,
  mode: 'policy' as const,
  epoch: 0,
  relativeCost: 0.5,
  result: {
    prediction: Int32Array.from([1, 0]),
    exit: Int32Array.from([0, 2]),
    confidence: Float64Array.from([0.99, 0.6]),
    estimatedAccuracy: Float64Array.from([0.98, Number.NaN]),
    abstained: Uint8Array.from([0, 1]),
    firstConfidence: Float64Array.from([0.99, 0.5]),
    logits: Float32Array.from([1, 2, 3, 4]),
  },
};

describe('buildInferResponse', () => {
  it('writes −1 where the calibration bin was empty (JSON has no NaN)', () => {
    const response = buildInferResponse(MODEL, 'r', ['estimated_accuracy'], OUTCOME);
    expect(response.outputs).toEqual([
      { name: 'estimated_accuracy', datatype: 'FP32', shape: [2], data: [0.98, -1] },
    ]);
    expect(JSON.stringify(response)).not.toContain('null');
  });

  it('sends the asked outputs with protocol datatypes and shapes', () => {
    const response = buildInferResponse(MODEL, 'r', ['prediction', 'exit', 'abstained', 'logits'], OUTCOME);
    expect(response).toMatchObject({
      model_name: 'm',
      model_version: 'v1',
      id: 'r',
      parameters: { policy: 'pcee', delta: 0.9, abstain: false, relative_cost: 0.5 },
    });
    expect(
      response.outputs.map((output) => [output.name, output.datatype, output.shape, output.data]),
    ).toEqual([
      ['prediction', 'INT64', [2], [1, 0]],
      ['exit', 'INT32', [2], [0, 2]],
      ['abstained', 'BOOL', [2], [false, true]],
      ['logits', 'FP32', [2, 2], [1, 2, 3, 4]],
    ]);
  });

  it('names no policy for the full-model baseline', () => {
    const response = buildInferResponse({ ...MODEL, baseline: true }, 'r', ['exit'], OUTCOME);
    expect(response.parameters.policy).toBe('none');
  });
});
