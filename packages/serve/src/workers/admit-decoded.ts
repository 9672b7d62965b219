import { InternalServeError } from '../errors/serve-error.js';
import type { ServedModel } from '../models/served-model.js';
import type { InferRequest } from '../oip/infer-request.js';
import type { DecodedRequest } from './protocol-decode.js';
import { reviveError } from './serialized-error.js';

/**
 * Turns a decoded body into an admitted request, raising its errors in the order the inline
 * transports do: a body that did not parse, then an unknown model (`resolve` throws its 404),
 * then a drain or full queue (for one sample, then for the samples the body declares), then a
 * conversion or validation error.
 *
 * @param resolve the served model for the decoded name and version (throws when there is none).
 * @param onParseError adjusts a parse error before it is thrown (REST marks JSON syntax errors 400).
 */
export function admitDecoded(
  decoded: DecodedRequest,
  resolve: (model: string, version: string | undefined) => ServedModel,
  onParseError: (error: Error) => Error = (error) => error,
): { model: ServedModel; request: InferRequest } {
  if (decoded.step === 'parse') throw onParseError(reviveError(decoded.error));
  const model = resolve(decoded.model, decoded.version);
  if (decoded.step === 'lookup') {
    throw new InternalServeError(`model "${decoded.model}" is served but unknown to the protocol workers`);
  }
  model.scheduler.assertAccepting();
  if (decoded.step === 'convert') throw reviveError(decoded.error);
  model.scheduler.assertAccepting(decoded.declaredSamples);
  if (decoded.step !== 'done') throw reviveError(decoded.error);
  return { model, request: decoded.request };
}
