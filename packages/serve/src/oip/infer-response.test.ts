import { describe, expect, it } from 'vitest';
import type { ServedModelInfo } from '../models/served-model-info.js';
import { buildInferAnswer, buildInferResponse } from './infer-response.js';
import { encodeRestResponse } from './rest-response.js';

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

  it.each([
    ['every output as JSON', () => false, 'json'],
    ['binary outputs after the JSON header', (name: string) => name !== 'exit', 'binary'],
  ])('encodes %s for REST', (_name, binary, kind) => {
    const answer = buildInferAnswer(
      MODEL,
      'r',
      ['prediction', 'exit', 'confidence', 'abstained', 'logits'],
      OUTCOME,
    );
    const encoded = encodeRestResponse(answer, binary);
    expect(encoded.kind).toBe(kind);
    if (encoded.kind === 'json') {
      expect(encoded.json).toEqual(
        buildInferResponse(MODEL, 'r', ['prediction', 'exit', 'confidence', 'abstained', 'logits'], OUTCOME),
      );
      return;
    }
    const header = JSON.parse(encoded.body.subarray(0, encoded.headerLength).toString('utf8'));
    const sizes = header.outputs.map(
      (output: { parameters?: { binary_data_size: number } }) => output.parameters?.binary_data_size,
    );
    expect(sizes).toEqual([16, undefined, 8, 2, 16]);
    expect(header.outputs[1].data).toEqual([0, 2]);
    const section = encoded.body.subarray(encoded.headerLength);
    expect(section.byteLength).toBe(16 + 8 + 2 + 16);
    const copy = (from: number, to: number) => new Uint8Array(section.subarray(from, to)).buffer;
    expect(Array.from(new BigInt64Array(copy(0, 16)))).toEqual([1n, 0n]);
    expect(Array.from(new Float32Array(copy(16, 24)))).toEqual([Math.fround(0.99), Math.fround(0.6)]);
    expect(Array.from(section.subarray(24, 26))).toEqual([0, 1]);
    expect(Array.from(new Float32Array(copy(26, 42)))).toEqual([1, 2, 3, 4]);
  });
});
