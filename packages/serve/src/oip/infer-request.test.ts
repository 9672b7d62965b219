import { describe, expect, it } from 'vitest';
import { BadRequestError, PayloadTooLargeError } from '../errors/serve-error.js';
import type { ServedModelInfo } from '../models/served-model-info.js';
import { isBinaryOutput, parseInferRequest, type RequestLimits } from './infer-request.js';
import { binarySectionInputs, rawContentsInputs } from './raw-inputs.js';

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
      'binary_data as a string',
      { inputs: [image()], outputs: [{ name: 'exit', parameters: { binary_data: 'yes' } }] },
      /binary_data: true or false/,
    ],
    [
      'binary_data_output as a number',
      { inputs: [image()], parameters: { binary_data_output: 1 } },
      /"binary_data_output" is 1; send true or false/,
    ],
    [
      'binary_data_size in a body without a binary section',
      { inputs: [image({ data: undefined, parameters: { binary_data_size: 4 } })] },
      /declares binary_data_size but the body has no binary section/,
    ],
    [
      'a negative binary_data_size',
      { inputs: [image({ parameters: { binary_data_size: -4 } })] },
      /binary_data_size -4; send its byte count as an integer ≥ 0/,
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

  it('reads the binary extension: inputs with binary_data_size from the section, in order, and the binary outputs asked', () => {
    const model: ServedModelInfo = {
      ...MODEL,
      inputs: [
        { name: 'ids', dtype: 'int64', shape: [-1, -1] },
        { name: 'mask', dtype: 'bool', shape: [-1, -1] },
      ],
    };
    const ids = new BigInt64Array([1n, -2n, 2n ** 40n]);
    const section = new Uint8Array([...new Uint8Array(ids.buffer), 1, 0, 1]);
    const request = parseInferRequest(
      {
        parameters: { binary_data_output: true },
        inputs: [
          { name: 'ids', shape: [1, 3], datatype: 'INT64', parameters: { binary_data_size: 24 } },
          { name: 'mask', shape: [1, 3], datatype: 'BOOL', parameters: { binary_data_size: 3 } },
        ],
        outputs: [{ name: 'exit', parameters: { binary_data: false } }, { name: 'prediction' }],
      },
      model,
      LIMITS,
      binarySectionInputs(section),
    );
    expect(Array.from(request.inputs.ids!.data as BigInt64Array)).toEqual([1n, -2n, 2n ** 40n]);
    expect(Array.from(request.inputs.mask!.data as Uint8Array)).toEqual([1, 0, 1]);
    expect(isBinaryOutput(request, 'prediction')).toBe(true);
    expect(isBinaryOutput(request, 'exit')).toBe(false);
  });

  const binaryImage = (bytes: number) =>
    image({ data: undefined, shape: [1, 2, 2], parameters: { binary_data_size: bytes } });
  it.each<[string, Record<string, unknown>, Uint8Array, RegExp]>([
    [
      'a truncated binary section',
      { inputs: [binaryImage(4)] },
      new Uint8Array(3),
      /binary_data_size 4 at byte 0 of the binary section, but the section has only 3 bytes/,
    ],
    [
      'bytes left after the last input',
      { inputs: [binaryImage(4)] },
      new Uint8Array(6),
      /2 bytes after the last input's data/,
    ],
    [
      'a size that does not fit the shape',
      { inputs: [binaryImage(3)] },
      new Uint8Array(3),
      /has 3 bytes of binary data, but shape \[1, 2, 2\] of UINT8 needs 4/,
    ],
    [
      'data and binary data both',
      { inputs: [image({ parameters: { binary_data_size: 4 } })] },
      new Uint8Array(4),
      /has both "data" and binary data/,
    ],
    [
      'an unknown datatype',
      { inputs: [binaryImage(4)].map((input) => ({ ...input, datatype: 'FP8' })) },
      new Uint8Array(4),
      /datatype "FP8" \(datatypes are upper case/,
    ],
    [
      'a NaN in FP32 bytes',
      { inputs: [{ ...binaryImage(16), datatype: 'FP32' }] },
      new Uint8Array(new Float32Array([0, Number.NaN, 0, 0]).buffer),
      /value 1 of input "image" is NaN, not a finite number/,
    ],
  ])('answers 400 for %s', (_name, body, section, message) => {
    const parse = () => parseInferRequest(body, MODEL, LIMITS, binarySectionInputs(section));
    expect(parse).toThrow(BadRequestError);
    expect(parse).toThrow(message);
  });

  it('reads gRPC raw_input_contents by position, and refuses a count that does not match the inputs', () => {
    const body = { inputs: [image({ data: undefined })] };
    const request = parseInferRequest(
      body,
      MODEL,
      LIMITS,
      rawContentsInputs([Uint8Array.from([9, 8, 7, 6])]),
    );
    expect(Array.from(request.inputs.image!.data as Uint8Array)).toEqual([9, 8, 7, 6]);
    expect(() =>
      parseInferRequest(body, MODEL, LIMITS, rawContentsInputs([new Uint8Array(4), new Uint8Array(4)])),
    ).toThrow(/raw_input_contents has 2 entries for 1 inputs/);
  });
});
