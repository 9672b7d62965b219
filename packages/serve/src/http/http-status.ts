import type { ServeErrorReason } from '../errors/serve-error.js';

/** The HTTP status the REST API answers each domain error reason with. */
export const HTTP_STATUS_OF_REASON: Readonly<Record<ServeErrorReason, number>> = {
  'bad-request': 400,
  'not-found': 404,
  conflict: 409,
  'too-large': 413,
  overloaded: 429,
  unavailable: 503,
  internal: 500,
};
