import { InvalidInputError, PceeError } from '@pcee/core';
import { describe, expect, it } from 'vitest';
import {
  BadRequestError,
  ConflictError,
  InternalServeError,
  NotFoundError,
  OverloadedError,
  PayloadTooLargeError,
  ServeError,
  UnavailableError,
} from '../errors/serve-error.js';
import { reviveError, serializeError } from './serialized-error.js';

/** Through structured clone, as between threads. */
const roundTrip = (error: unknown) => reviveError(structuredClone(serializeError(error)));

describe('errors cross from a worker as the same class, message and retry delay', () => {
  it.each<[string, Error]>([
    ['bad request', new BadRequestError('input "image" has shape [1]')],
    ['not found', new NotFoundError('no model named "x"')],
    ['conflict', new ConflictError('labelled twice')],
    ['too large', new PayloadTooLargeError('300 samples', { settings: ['maxRequestSamples'] })],
    ['overloaded', new OverloadedError('at capacity', 1, { settings: ['maxQueue'] })],
    ['unavailable', new UnavailableError('shutting down', 5)],
    ['internal', new InternalServeError('worker died')],
    ['a JSON syntax error', new SyntaxError('Unexpected token } in JSON at position 3')],
    ['a core error', new InvalidInputError('pixels out of range')],
  ])('%s', (_name, error) => {
    const revived = roundTrip(error);
    expect(revived.constructor).toBe(error instanceof InvalidInputError ? PceeError : error.constructor);
    expect(revived.message).toBe(error.message);
    expect(revived).toMatchObject({
      ...(error instanceof ServeError
        ? {
            reason: error.reason,
            retryAfterSeconds: error.retryAfterSeconds,
            settingsHint: error.settingsHint,
          }
        : {}),
      ...('code' in error ? { code: error.code } : {}),
    });
  });

  it('keeps the name of any other error', () => {
    const revived = roundTrip(new RangeError('out of range'));
    expect([revived.name, revived.message]).toEqual(['RangeError', 'out of range']);
  });
});
