import type { Tensor } from '@pcee/core';
import { BadRequestError, PayloadTooLargeError } from '../errors/serve-error.js';
import type { ServedModelInfo } from '../models/served-model-info.js';
import { isOipDatatype, OIP_DATATYPES, oipOfDtype } from './datatypes.js';
import { NO_RAW_INPUTS, type RawInputs } from './raw-inputs.js';
import { readTensorBytes } from './tensor-bytes.js';
import { readTensorData } from './tensor-data.js';

/** Policies a request may ask for (the oracle needs labels, so it cannot serve). */
export type ServePolicyName = 'pcee' | 'pcee-ws' | 'confidence';

/** Outputs a response can carry, in response order. */
export const OUTPUT_NAMES = [
  'prediction',
  'exit',
  'confidence',
  'estimated_accuracy',
  'abstained',
  'logits',
] as const;

/** One output name. */
export type OutputName = (typeof OUTPUT_NAMES)[number];

/** Outputs sent when a request names none: everything but the logits (and `abstained` only when abstaining). */
export function defaultOutputs(abstain: boolean): readonly OutputName[] {
  return [
    'prediction',
    'exit',
    'confidence',
    'estimated_accuracy',
    ...(abstain ? ['abstained' as const] : []),
  ];
}

/** What requests may change, set by the operator. */
export interface RequestLimits {
  /** Most samples (first dimension) in one request. */
  readonly maxSamples: number;
  /** Policies a request may choose with the `policy` parameter. */
  readonly policies: readonly ServePolicyName[];
  /** Closed range `[low, high]` a request's `delta` parameter must fall in, within [0, 1]. */
  readonly deltaRange: readonly [number, number];
}

/** A validated inference request. */
export interface InferRequest {
  /** The client's request id, echoed in the response. */
  readonly id?: string;
  /** Number of samples (the shared first dimension of every input), ≥ 1. */
  readonly samples: number;
  /** Every model input, as sent (not yet preprocessed), by name. */
  readonly inputs: Readonly<Record<string, Tensor>>;
  /** `parameters.delta`, when given: target accuracy in the allowed range. */
  readonly delta?: number;
  /** `parameters.policy`, when given. */
  readonly policy?: ServePolicyName;
  /** `parameters.abstain`, when given. */
  readonly abstain?: boolean;
  /** The outputs asked for, in response order; undefined for the defaults (`defaultOutputs`). */
  readonly outputs?: readonly OutputName[];
  /** `parameters.binary_data_output` (binary extension): every output as binary unless it says otherwise. */
  readonly binaryOutput?: boolean;
  /** Each requested output's own `binary_data` parameter, where given; it overrides `binaryOutput`. */
  readonly outputBinary?: Readonly<Partial<Record<OutputName, boolean>>>;
}

/** Whether output `name` is sent in the binary section (REST binary extension) rather than as JSON data. */
export function isBinaryOutput(request: InferRequest, name: OutputName): boolean {
  return request.outputBinary?.[name] ?? request.binaryOutput ?? false;
}

const REQUEST_KEYS = ['id', 'parameters', 'inputs', 'outputs'];
const INPUT_KEYS = ['name', 'shape', 'datatype', 'data', 'parameters'];
/** Input parameters clients send as codec hints (MLServer, KServe); they change nothing here. */
const IGNORED_INPUT_PARAMETERS = ['content_type'];
const REQUEST_PARAMETERS = ['delta', 'policy', 'abstain', 'binary_data_output'];

/**
 * Validates an OIP v2 inference request body against a model: names, datatypes, shapes,
 * values, parameters and requested outputs. Data are read into typed arrays here; the model
 * adapter preprocesses them. Every transport decodes through here: a JSON body, the REST
 * binary extension (inputs with `binary_data_size` read from the binary section) and gRPC
 * (`raw_input_contents`), so they are validated alike.
 *
 * @param raw where inputs sent as raw bytes come from; none for a plain JSON body.
 * @throws BadRequestError (400) naming what is wrong and the fix.
 * @throws PayloadTooLargeError (413) for more samples than `limits.maxSamples`.
 */
export function parseInferRequest(
  body: unknown,
  model: ServedModelInfo,
  limits: RequestLimits,
  raw: RawInputs = NO_RAW_INPUTS,
): InferRequest {
  const request = asObject(body, 'the request body');
  rejectUnknownKeys(request, REQUEST_KEYS, 'request field');
  const id = request.id;
  if (id !== undefined && typeof id !== 'string') {
    throw new BadRequestError(`"id" is ${JSON.stringify(id)}; send the request id as a string`);
  }
  const { delta, policy, abstain, binaryOutput } = readParameters(request.parameters, limits);
  const { outputs, outputBinary } = readRequestedOutputs(request.outputs);
  if (!Array.isArray(request.inputs) || request.inputs.length === 0) {
    throw new BadRequestError(
      `the request has no "inputs" array; send [{"name": "${model.inputs[0]?.name}", "shape": […], "datatype": "…", "data": […]}]`,
    );
  }
  const inputs: Record<string, Tensor> = {};
  let samples = -1;
  for (const [position, entry] of request.inputs.entries()) {
    const input = asObject(entry, `inputs[${position}]`);
    rejectUnknownKeys(input, INPUT_KEYS, `field of inputs[${position}]`);
    const name = input.name;
    const spec = model.inputs.find((candidate) => candidate.name === name);
    if (typeof name !== 'string' || !spec) {
      throw new BadRequestError(
        `inputs[${position}] is named ${JSON.stringify(name)}, which model "${model.name}" does not take; its inputs: ${model.inputs.map((known) => known.name).join(', ')}`,
      );
    }
    if (Object.hasOwn(inputs, name)) throw new BadRequestError(`input "${name}" is sent twice; send it once`);
    const declaredBytes = readInputParameters(input.parameters, name);
    const accepted = [spec.rawDtype, spec.dtype].filter((dtype) => dtype !== undefined).map(oipOfDtype);
    if (!isOipDatatype(input.datatype) || !accepted.includes(input.datatype)) {
      const known = isOipDatatype(input.datatype)
        ? ''
        : ` (datatypes are upper case: ${OIP_DATATYPES.join(', ')})`;
      throw new BadRequestError(
        `input "${name}" has datatype ${JSON.stringify(input.datatype)}${known}; model "${model.name}" takes ${accepted.join(' (raw, preprocessed by the server) or ')}${accepted.length > 1 ? ' (already preprocessed)' : ''}`,
      );
    }
    const shape = readShape(input.shape, name);
    const sampleShape = spec.shape.slice(1);
    const perSample = shape.slice(1).reduce((product, dimension) => product * dimension, 1);
    if (sampleShape.every((dimension) => dimension >= 0)) {
      const expected = sampleShape.reduce((product, dimension) => product * dimension, 1);
      if (perSample !== expected) {
        throw new BadRequestError(
          `input "${name}" has shape [${shape.join(', ')}], ${perSample} values per sample, but model "${model.name}" takes [N, ${sampleShape.join(', ')}] (${expected} per sample); put the batch first, e.g. [1, ${sampleShape.join(', ')}]`,
        );
      }
    }
    if (samples >= 0 && shape[0] !== samples) {
      throw new BadRequestError(
        `input "${name}" has ${shape[0]} samples but an earlier input has ${samples}; every input needs the same first dimension`,
      );
    }
    samples = shape[0]!;
    if (samples > limits.maxSamples) {
      throw new PayloadTooLargeError(
        `the request has ${samples} samples, over this server's limit of ${limits.maxSamples} per request (its maxRequestSamples setting); split it into smaller requests`,
        { settings: ['maxRequestSamples'] },
      );
    }
    const bytes = raw.take(position, name, declaredBytes);
    if (bytes !== undefined && input.data !== undefined) {
      throw new BadRequestError(`input "${name}" has both "data" and binary data; send its values one way`);
    }
    inputs[name] =
      bytes === undefined
        ? readTensorData(name, input.datatype, shape, input.data)
        : readTensorBytes(name, input.datatype, shape, bytes);
  }
  raw.finish(request.inputs.length);
  const missing = model.inputs.filter((spec) => !Object.hasOwn(inputs, spec.name));
  if (missing.length > 0) {
    throw new BadRequestError(
      `the request lacks input ${missing.map((spec) => `"${spec.name}"`).join(', ')} of model "${model.name}"; send every input`,
    );
  }
  return {
    ...(id === undefined ? {} : { id }),
    samples,
    inputs,
    delta,
    policy,
    abstain,
    outputs,
    ...(binaryOutput === undefined ? {} : { binaryOutput }),
    ...(outputBinary === undefined ? {} : { outputBinary }),
  };
}

type RequestParameters = {
  delta?: number;
  policy?: ServePolicyName;
  abstain?: boolean;
  binaryOutput?: boolean;
};

function readParameters(value: unknown, limits: RequestLimits): RequestParameters {
  if (value === undefined) return {};
  const parameters = asObject(value, '"parameters"');
  for (const key of Object.keys(parameters)) {
    if (!REQUEST_PARAMETERS.includes(key)) {
      throw new BadRequestError(
        `unknown request parameter "${key}"; this server takes: ${REQUEST_PARAMETERS.join(', ')}`,
      );
    }
  }
  const result: RequestParameters = {};
  if (parameters.binary_data_output !== undefined) {
    if (typeof parameters.binary_data_output !== 'boolean') {
      throw new BadRequestError(
        `parameter "binary_data_output" is ${JSON.stringify(parameters.binary_data_output)}; send true or false`,
      );
    }
    result.binaryOutput = parameters.binary_data_output;
  }
  if (parameters.abstain !== undefined) {
    if (typeof parameters.abstain !== 'boolean') {
      throw new BadRequestError(
        `parameter "abstain" is ${JSON.stringify(parameters.abstain)}; send true or false`,
      );
    }
    result.abstain = parameters.abstain;
  }
  if (parameters.delta !== undefined) {
    const delta = parameters.delta;
    const [low, high] = limits.deltaRange;
    if (typeof delta !== 'number' || !(delta >= low && delta <= high)) {
      throw new BadRequestError(
        `parameter "delta" is ${JSON.stringify(delta)}; send a number in [${low}, ${high}] (the target accuracy this server allows)`,
      );
    }
    result.delta = delta;
  }
  if (parameters.policy !== undefined) {
    const policy = parameters.policy;
    if (typeof policy !== 'string' || !(limits.policies as readonly string[]).includes(policy)) {
      throw new BadRequestError(
        `parameter "policy" is ${JSON.stringify(policy)}; this server allows: ${limits.policies.join(', ')}`,
      );
    }
    result.policy = policy as ServePolicyName;
  }
  return result;
}

/** Checks an input's parameters; returns its `binary_data_size` (bytes), when given. */
function readInputParameters(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const parameters = asObject(value, `the parameters of input "${name}"`);
  let declaredBytes: number | undefined;
  for (const [key, setting] of Object.entries(parameters)) {
    if (key === 'binary_data_size') {
      if (!Number.isSafeInteger(setting) || (setting as number) < 0) {
        throw new BadRequestError(
          `input "${name}" has binary_data_size ${JSON.stringify(setting)?.slice(0, 40)}; send its byte count as an integer ≥ 0`,
        );
      }
      declaredBytes = setting as number;
    } else if (!IGNORED_INPUT_PARAMETERS.includes(key)) {
      throw new BadRequestError(
        `unknown parameter "${key}" on input "${name}"; inputs take binary_data_size (binary extension) or none (content_type is ignored)`,
      );
    }
  }
  return declaredBytes;
}

function readRequestedOutputs(value: unknown): {
  outputs?: readonly OutputName[];
  outputBinary?: Partial<Record<OutputName, boolean>>;
} {
  if (value === undefined) return {};
  if (!Array.isArray(value) || value.length === 0) {
    throw new BadRequestError(
      `"outputs" must be a non-empty array such as [{"name": "prediction"}, {"name": "logits"}], or left out for the defaults`,
    );
  }
  const wanted = new Set<OutputName>();
  let outputBinary: Partial<Record<OutputName, boolean>> | undefined;
  for (const [position, entry] of value.entries()) {
    const output = asObject(entry, `outputs[${position}]`);
    rejectUnknownKeys(output, ['name', 'parameters'], `field of outputs[${position}]`);
    if (!(OUTPUT_NAMES as readonly unknown[]).includes(output.name)) {
      throw new BadRequestError(
        `outputs[${position}] asks for ${JSON.stringify(output.name)}; the outputs are: ${OUTPUT_NAMES.join(', ')}`,
      );
    }
    if (output.parameters !== undefined) {
      const parameters = asObject(output.parameters, `the parameters of output "${output.name}"`);
      for (const [key, setting] of Object.entries(parameters)) {
        if (key !== 'binary_data' || typeof setting !== 'boolean') {
          throw new BadRequestError(
            `output parameter "${key}": ${JSON.stringify(setting)?.slice(0, 40)} is not supported; outputs take only binary_data: true or false`,
          );
        }
        outputBinary ??= {};
        outputBinary[output.name as OutputName] = setting;
      }
    }
    wanted.add(output.name as OutputName);
  }
  return {
    outputs: OUTPUT_NAMES.filter((name) => wanted.has(name)),
    ...(outputBinary ? { outputBinary } : {}),
  };
}

function readShape(value: unknown, name: string): number[] {
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.length > 8 ||
    !value.every((dimension) => Number.isInteger(dimension) && dimension >= 1)
  ) {
    throw new BadRequestError(
      `input "${name}" has shape ${JSON.stringify(value)?.slice(0, 60)}; send its dimensions as positive integers, batch first, e.g. [1, 28, 28]`,
    );
  }
  return value as number[];
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BadRequestError(`${what} must be a JSON object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

function rejectUnknownKeys(object: Record<string, unknown>, known: readonly string[], what: string): void {
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) {
      throw new BadRequestError(
        `unknown ${what} "${key.slice(0, 40)}"; the protocol's fields are: ${known.join(', ')}`,
      );
    }
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
