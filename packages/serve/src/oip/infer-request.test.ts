import { describe, expect, it } from 'vitest';
import { BadRequestError, PayloadTooLargeError } from '../http/http-errors.js';
import type { ServedModelInfo } from '../models/served-model-info.js';
import { parseInferRequest, type RequestLimits } from './infer-request.js';

const MODEL: ServedModelInfo = {
  name: 'm',
  version: 'abc',
  inputs: [{ name: 'image', dtype: 'float32', rawDtype: 'uint8', shape: [-1, 1, 2, 2] }],
  classes: ['a', 'b'],
  exits: 3,
  baseline: false,
};
const LIMITS: RequestLimits = { maxSamples: 4, policies: ['pcee', 'confidence'], deltaRange: [0.5, 1] };

const image = (overrides: Record<string, unknown> = {}) => ({
  name: 'image',
  shape: [1, 2, 2],
  datatype: 'UINT8',
  data: [0, 1, 2, 3],
  ...overrides,
});

describe('parseInferRequest', () => {
  it('reads a minimal request with default outputs', () => {
    const request = parseInferRequest({ inputs: [image()] }, MODEL, LIMITS);
    expect(request.samples).toBe(1);
    expect(request.outputs).toBeUndefined();
    expect(request.inputs.image!.dtype).toBe('uint8');
    expect(request.delta).toBeUndefined();
  });

  it('reads id, parameters and requested outputs (in response order)', () => {
    const request = parseInferRequest(
      {
        id: 'r-1',
        parameters: { delta: 0.9, policy: 'confidence' },
        inputs: [
          image({
            shape: [2, 1, 2, 2],
            data: [
              [0, 1, 2, 3],
              [4, 5, 6, 7],
            ],
          }),
        ],
        outputs: [{ name: 'logits' }, { name: 'prediction', parameters: { binary_data: false } }],
      },
      MODEL,
      LIMITS,
    );
    expect(request).toMatchObject({ id: 'r-1', samples: 2, delta: 0.9, policy: 'confidence' });
    expect(request.outputs).toEqual(['prediction', 'logits']);
  });

  it.each([
    ['a flat shape [n, 4]', { shape: [1, 4] }],
    ['FP32 already preprocessed', { datatype: 'FP32', data: [0.1, -0.2, 0.3, 1.5] }],
    ['a content_type hint', { parameters: { content_type: 'np' } }],
  ])('accepts %s', (_name, overrides) => {
    expect(parseInferRequest({ inputs: [image(overrides)] }, MODEL, LIMITS).samples).toBe(1);
  });

  it.each<[string, unknown, RegExp]>([
    ['a body that is not an object', [1, 2], /request body must be a JSON object, got an array/],
    ['no inputs', { inputs: [] }, /no "inputs" array/],
    ['an unknown top-level field', { inputs: [image()], input: [] }, /unknown request field "input"/],
    [
      'a wrong input name',
      { inputs: [image({ name: 'pixels' })] },
      /named "pixels", which model "m" does not take; its inputs: image/,
    ],
    ['an input sent twice', { inputs: [image(), image()] }, /sent twice/],
    ['a lower-case datatype', { inputs: [image({ datatype: 'uint8' })] }, /datatypes are upper case/],
    ['an unaccepted datatype', { inputs: [image({ datatype: 'INT32' })] }, /takes UINT8 .* or FP32/],
    ['a shape with a zero', { inputs: [image({ shape: [0, 2, 2] })] }, /positive integers, batch first/],
    ['a string shape', { inputs: [image({ shape: '1,2,2' })] }, /positive integers/],
    [
      'a shape without the batch',
      { inputs: [image({ shape: [2, 2] })] },
      /2 values per sample, but model "m" takes \[N, 1, 2, 2\]/,
    ],
    ['data and shape that disagree', { inputs: [image({ data: [0, 1, 2] })] }, /has 3 values but its shape/],
    [
      'an unknown parameter',
      { inputs: [image()], parameters: { temperature: 1 } },
      /unknown request parameter "temperature"; this server takes: delta, policy/,
    ],
    [
      'δ out of range',
      { inputs: [image()], parameters: { delta: 0.2 } },
      /"delta" is 0.2; send a number in \[0.5, 1\]/,
    ],
    ['δ as a string', { inputs: [image()], parameters: { delta: '0.9' } }, /"delta" is "0.9"/],
    [
      'a policy not allowed',
      { inputs: [image()], parameters: { policy: 'pcee-ws' } },
      /this server allows: pcee, confidence/,
    ],
    [
      'abstain as a string',
      { inputs: [image()], parameters: { abstain: 'yes' } },
      /"abstain" is "yes"; send true or false/,
    ],
    ['the oracle', { inputs: [image()], parameters: { policy: 'oracle' } }, /allows: pcee, confidence/],
    [
      'an unknown output',
      { inputs: [image()], outputs: [{ name: 'probabilities' }] },
      /the outputs are: prediction, exit/,
    ],
    [
      'binary outputs',
      { inputs: [image()], outputs: [{ name: 'exit', parameters: { binary_data: true } }] },
      /binary_data: false/,
    ],
    [
      'binary inputs',
      { inputs: [image({ parameters: { binary_data_size: 16 } })] },
      /binary tensor extension/,
    ],
    ['a numeric id', { id: 7, inputs: [image()] }, /send the request id as a string/],
  ])('answers 400 for %s', (_name, body, message) => {
    const parse = () => parseInferRequest(body, MODEL, LIMITS);
    expect(parse).toThrow(BadRequestError);
    expect(parse).toThrow(message);
  });

  it('answers 413 for more samples than allowed per request', () => {
    const body = { inputs: [image({ shape: [5, 2, 2], data: new Array(20).fill(0) })] };
    expect(() => parseInferRequest(body, MODEL, LIMITS)).toThrow(PayloadTooLargeError);
    expect(() => parseInferRequest(body, MODEL, LIMITS)).toThrow(/5 samples, over this server's limit of 4/);
  });

  it('names a missing input of a two-input model', () => {
    const model: ServedModelInfo = {
      ...MODEL,
      inputs: [
        { name: 'ids', dtype: 'int64', shape: [-1, -1] },
        { name: 'mask', dtype: 'int64', shape: [-1, -1] },
      ],
    };
    const body = { inputs: [{ name: 'ids', shape: [1, 3], datatype: 'INT64', data: [1, 2, 3] }] };
    expect(() => parseInferRequest(body, model, LIMITS)).toThrow(/lacks input "mask"/);
  });
});
