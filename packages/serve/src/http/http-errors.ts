/**
 * The domain errors under their former home. The server's errors now live in
 * `errors/serve-error.ts` (transport-free; `http-status.ts` maps them to statuses); this module
 * stays for the modules and users that import them from here.
 */
export {
  BadRequestError,
  ConflictError,
  NotFoundError,
  OverloadedError,
  PayloadTooLargeError,
  /** @deprecated renamed `ServeError`; its HTTP status is `HTTP_STATUS_OF_REASON[error.reason]`. */
  ServeError as HttpError,
  UnavailableError,
} from '../errors/serve-error.js';
