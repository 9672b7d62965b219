import { PceeError, type PceeErrorCode } from '@pcee/core';

/**
 * Why the server refused or failed a request, independent of the transport: `http/` maps each
 * reason to an HTTP status and `grpc/` to a gRPC code, so the scheduler, the models and the
 * protocol decoding never import a transport.
 */
export type ServeErrorReason =
  | 'bad-request'
  | 'not-found'
  | 'conflict'
  | 'too-large'
  | 'overloaded'
  | 'unavailable'
  | 'internal';

/**
 * What an operator can change to avoid an error: the `ServeOptions` settings it is about. A
 * front end renders them in its own terms (the CLI as flags: `maxQueue` → `--max-queue`), so
 * library messages name settings, never CLI flags.
 */
export interface ServeErrorHint {
  readonly settings: readonly string[];
}

/**
 * An error the server answers a request with. Every message is one line naming the offending
 * value and the fix, as for the CLI.
 */
export class ServeError extends PceeError {
  /** What went wrong, for the transport to map to its status. */
  readonly reason: ServeErrorReason;
  /** Seconds a client should wait before retrying (`Retry-After`), for overload and unavailability. */
  readonly retryAfterSeconds?: number;
  /** The settings an operator can change, when any (core's `hint` names a generic way out). */
  readonly settingsHint?: ServeErrorHint;

  constructor(
    reason: ServeErrorReason,
    code: PceeErrorCode,
    message: string,
    options: { retryAfterSeconds?: number; hint?: ServeErrorHint; cause?: unknown } = {},
  ) {
    super(code, message, { cause: options.cause });
    this.reason = reason;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.settingsHint = options.hint;
  }
}

/** The request is malformed (JSON, names, shapes, datatypes, values, parameters): HTTP 400. */
export class BadRequestError extends ServeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('bad-request', 'INVALID_INPUT', message, options);
  }
}

/** No model (or version) of that name is served here: HTTP 404. */
export class NotFoundError extends ServeError {
  constructor(message: string) {
    super('not-found', 'INVALID_ARGUMENT', message);
  }
}

/** The body or the number of samples in one request is over the server's limit: HTTP 413. */
export class PayloadTooLargeError extends ServeError {
  constructor(message: string, hint?: ServeErrorHint) {
    super('too-large', 'INVALID_INPUT', message, { hint });
  }
}

/** The queue is full; the client should back off for `retryAfterSeconds`: HTTP 429. */
export class OverloadedError extends ServeError {
  constructor(message: string, retryAfterSeconds: number, hint?: ServeErrorHint) {
    super('overloaded', 'RUNTIME_FAILURE', message, { retryAfterSeconds, hint });
  }
}

/** The server is draining for shutdown, not ready, or the request timed out waiting for compute: HTTP 503. */
export class UnavailableError extends ServeError {
  constructor(message: string, retryAfterSeconds: number, hint?: ServeErrorHint) {
    super('unavailable', 'RUNTIME_FAILURE', message, { retryAfterSeconds, hint });
  }
}

/** The request conflicts with what the server already holds (feedback sent twice for one request): HTTP 409. */
export class ConflictError extends ServeError {
  constructor(message: string) {
    super('conflict', 'INVALID_ARGUMENT', message);
  }
}

/** The server failed on its own side (a protocol worker died while decoding): HTTP 500. */
export class InternalServeError extends ServeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('internal', 'RUNTIME_FAILURE', message, options);
  }
}

/** The overload answer of every queue: `held` samples already admitted of `maxQueue`. */
export function atCapacity(held: number, maxQueue: number): OverloadedError {
  return new OverloadedError(
    `the server is at capacity (${held} of ${maxQueue} samples queued, its maxQueue); retry after the Retry-After delay`,
    1,
    { settings: ['maxQueue'] },
  );
}

/** The answer of every queue while the server drains for shutdown. */
export function shuttingDown(): UnavailableError {
  return new UnavailableError('the server is shutting down; retry on another replica', 5);
}
