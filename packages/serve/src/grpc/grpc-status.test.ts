import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import {
  BadRequestError,
  ConflictError,
  NotFoundError,
  OverloadedError,
  PayloadTooLargeError,
  UnavailableError,
} from '../errors/serve-error.js';
import { grpcErrorOf } from './grpc-status.js';

describe('grpcErrorOf', () => {
  it.each<[string, unknown, status, string | undefined]>([
    ['400', new BadRequestError('bad shape'), status.INVALID_ARGUMENT, undefined],
    ['404', new NotFoundError('no model'), status.NOT_FOUND, undefined],
    ['409', new ConflictError('labels sent twice'), status.ALREADY_EXISTS, undefined],
    ['413 (samples)', new PayloadTooLargeError('300 samples'), status.INVALID_ARGUMENT, undefined],
    ['429', new OverloadedError('queue full', 1), status.RESOURCE_EXHAUSTED, '1'],
    ['503', new UnavailableError('shutting down', 5), status.UNAVAILABLE, '5'],
    ['a bug', new TypeError('x is undefined'), status.INTERNAL, undefined],
  ])('maps %s to its gRPC code, with the REST message and retry-after', (_name, error, code, retryAfter) => {
    const mapped = grpcErrorOf(error, 1024);
    expect(status[mapped.code]).toBe(status[code]);
    expect(mapped.details).toContain((error as Error).message);
    expect(mapped.metadata.get('retry-after')[0]).toBe(retryAfter);
  });
});
