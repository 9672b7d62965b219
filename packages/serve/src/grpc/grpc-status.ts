import { Metadata, status } from '@grpc/grpc-js';
import { describeError } from '../http/error-reply.js';

/** An error as gRPC sends it: a status code, one line of details, and `retry-after` where it helps. */
export interface GrpcError {
  readonly code: status;
  readonly details: string;
  readonly metadata: Metadata;
}

/** gRPC codes of the HTTP statuses the server answers with (the REST API's meaning, kept). */
const CODE_OF_STATUS: Readonly<Record<number, status>> = {
  400: status.INVALID_ARGUMENT,
  404: status.NOT_FOUND,
  409: status.ALREADY_EXISTS,
  // Too many samples in one request: invalid whatever the server's load, unlike 429.
  413: status.INVALID_ARGUMENT,
  429: status.RESOURCE_EXHAUSTED,
  503: status.UNAVAILABLE,
  500: status.INTERNAL,
};

/**
 * Maps any error a handler raised to gRPC, through the same `describeError` as REST, so both
 * transports send the same message: 400 → INVALID_ARGUMENT, 404 → NOT_FOUND,
 * 409 → ALREADY_EXISTS, 413 → INVALID_ARGUMENT, 429 → RESOURCE_EXHAUSTED, 503 → UNAVAILABLE,
 * anything else → INTERNAL. 429 and 503 carry `retry-after` (seconds) in the trailers.
 *
 * @param bodyLimitBytes the largest message accepted, for messages about it.
 */
export function grpcErrorOf(error: unknown, bodyLimitBytes: number): GrpcError & { httpStatus: number } {
  const { status: httpStatus, message, retryAfterSeconds } = describeError(error, bodyLimitBytes);
  const metadata = new Metadata();
  if (retryAfterSeconds !== undefined) metadata.set('retry-after', String(retryAfterSeconds));
  return { code: CODE_OF_STATUS[httpStatus] ?? status.INTERNAL, details: message, metadata, httpStatus };
}
