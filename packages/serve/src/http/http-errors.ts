import { PceeError, type PceeErrorCode } from '@pcee/core';

/**
 * An error the server answers with an HTTP status and `{"error": message}`. Every message
 * is one line naming the offending value and the fix, as for the CLI.
 */
export class HttpError extends PceeError {
  /** HTTP status code, 4xx for the client's mistakes and overload, 5xx for the server's. */
  readonly status: number;
  /** Seconds a client should wait before retrying (sent as `Retry-After`), for 429 and 503. */
  readonly retryAfterSeconds?: number;

  constructor(
    status: number,
    code: PceeErrorCode,
    message: string,
    options: { retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(code, message, { cause: options.cause });
    this.status = status;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** 400: the request is malformed (JSON, names, shapes, datatypes, values, parameters). */
export class BadRequestError extends HttpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(400, 'INVALID_INPUT', message, options);
  }
}

/** 404: no model (or version) of that name is served here. */
export class NotFoundError extends HttpError {
  constructor(message: string) {
    super(404, 'INVALID_ARGUMENT', message);
  }
}

/** 413: the body or the number of samples in one request is over the server's limit. */
export class PayloadTooLargeError extends HttpError {
  constructor(message: string) {
    super(413, 'INVALID_INPUT', message);
  }
}

/** 429: the queue is full; the client should back off for `retryAfterSeconds`. */
export class OverloadedError extends HttpError {
  constructor(message: string, retryAfterSeconds: number) {
    super(429, 'RUNTIME_FAILURE', message, { retryAfterSeconds });
  }
}

/** 503: the server is draining for shutdown, not ready, or the request timed out waiting for compute. */
export class UnavailableError extends HttpError {
  constructor(message: string, retryAfterSeconds: number) {
    super(503, 'RUNTIME_FAILURE', message, { retryAfterSeconds });
  }
}

/** 409: the request conflicts with what the server already holds (feedback sent twice for one request). */
export class ConflictError extends HttpError {
  constructor(message: string) {
    super(409, 'INVALID_ARGUMENT', message);
  }
}
