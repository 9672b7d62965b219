import { PceeError, type PceeErrorCode } from '@pcee/core';
import {
  BadRequestError,
  ConflictError,
  InternalServeError,
  NotFoundError,
  OverloadedError,
  PayloadTooLargeError,
  ServeError,
  type ServeErrorHint,
  type ServeErrorReason,
  UnavailableError,
} from '../errors/serve-error.js';

/**
 * An error as it crosses from a worker thread: structured clone keeps only `message` (and
 * `name`) of an Error, so the class, the domain reason and the code travel as fields and
 * `reviveError` rebuilds the same class. Status codes and messages therefore do not depend on
 * whether a body was decoded inline or in a worker.
 */
export type SerializedError =
  | {
      readonly kind: 'serve';
      readonly reason: ServeErrorReason;
      readonly code: PceeErrorCode;
      readonly message: string;
      readonly retryAfterSeconds?: number;
      readonly hint?: ServeErrorHint;
    }
  | { readonly kind: 'pcee'; readonly code: PceeErrorCode; readonly message: string }
  | { readonly kind: 'syntax'; readonly message: string }
  | { readonly kind: 'other'; readonly name: string; readonly message: string };

/** An error thrown in a worker, as plain data. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof ServeError) {
    return {
      kind: 'serve',
      reason: error.reason,
      code: error.code,
      message: error.message,
      ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
      ...(error.settingsHint === undefined ? {} : { hint: error.settingsHint }),
    };
  }
  if (error instanceof PceeError) return { kind: 'pcee', code: error.code, message: error.message };
  if (error instanceof SyntaxError) return { kind: 'syntax', message: error.message };
  const name = error instanceof Error ? error.name : 'Error';
  return { kind: 'other', name, message: error instanceof Error ? error.message : String(error) };
}

/** The error `serializeError` described, as the same class with the same message. */
export function reviveError(error: SerializedError): Error {
  switch (error.kind) {
    case 'serve':
      return reviveServeError(error);
    case 'pcee':
      return new PceeError(error.code, error.message);
    case 'syntax':
      return new SyntaxError(error.message);
    default: {
      const revived = new Error(error.message);
      revived.name = error.name;
      return revived;
    }
  }
}

function reviveServeError(error: Extract<SerializedError, { kind: 'serve' }>): ServeError {
  const { message, retryAfterSeconds = 1, hint } = error;
  switch (error.reason) {
    case 'bad-request':
      return new BadRequestError(message);
    case 'not-found':
      return new NotFoundError(message);
    case 'conflict':
      return new ConflictError(message);
    case 'too-large':
      return new PayloadTooLargeError(message, hint);
    case 'overloaded':
      return new OverloadedError(message, retryAfterSeconds, hint);
    case 'unavailable':
      return new UnavailableError(message, retryAfterSeconds, hint);
    default:
      return new InternalServeError(message);
  }
}
