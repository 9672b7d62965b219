import { PceeError } from '@pcee/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ServeError } from '../errors/serve-error.js';
import { HTTP_STATUS_OF_REASON } from './http-status.js';

/** Status and one-line message for any error a request handler or fastify raised. */
export function describeError(
  error: unknown,
  bodyLimitBytes: number,
): { status: number; message: string; retryAfterSeconds?: number } {
  if (error instanceof ServeError) {
    return {
      status: HTTP_STATUS_OF_REASON[error.reason],
      message: error.message,
      retryAfterSeconds: error.retryAfterSeconds,
    };
  }
  // Core's own checks (preprocessing, shapes): the request's data did not fit the model.
  if (error instanceof PceeError && (error.code === 'INVALID_INPUT' || error.code === 'INVALID_ARGUMENT')) {
    return { status: 400, message: error.message };
  }
  const fastifyError = error as FastifyError;
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        message: `the request body is over this server's limit of ${formatBytes(bodyLimitBytes)} (its bodyLimitBytes setting); send fewer samples per request`,
      };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, message: 'the request body is empty; send an inference request as JSON' };
  }
  if (
    fastifyError.statusCode === 400 &&
    (error instanceof SyntaxError || /JSON/i.test(fastifyError.message))
  ) {
    return {
      status: 400,
      message: `the request body is not valid JSON (${fastifyError.message.slice(0, 120)}); note that NaN and Infinity are not JSON: send finite numbers`,
    };
  }
  if (
    typeof fastifyError.statusCode === 'number' &&
    fastifyError.statusCode >= 400 &&
    fastifyError.statusCode < 500
  ) {
    return { status: fastifyError.statusCode, message: fastifyError.message };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    status: 500,
    message: `inference failed inside the server: ${message}; this is a bug or a broken model file`,
  };
}

/** Sends `{"error": message}` with the status (and `Retry-After` for 429/503); logs server faults. */
export function sendError(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  bodyLimitBytes: number,
): FastifyReply {
  const { status, message, retryAfterSeconds } = describeError(error, bodyLimitBytes);
  if (status >= 500 && status !== 503) request.log.error({ err: error }, message);
  if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds));
  return reply.code(status).send({ error: message });
}

function formatBytes(bytes: number): string {
  return bytes >= 1 << 20
    ? `${(bytes / (1 << 20)).toFixed(bytes % (1 << 20) === 0 ? 0 : 1)} MiB`
    : `${bytes} bytes`;
}
