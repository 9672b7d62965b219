import { NotFoundError } from '../errors/serve-error.js';
import type { ServedModel } from './served-model.js';

/**
 * The served model of that name (and version, when given), for every transport.
 *
 * @throws NotFoundError (404, gRPC NOT_FOUND) naming the models and the version served.
 */
export function lookUpModel(
  models: ReadonlyMap<string, ServedModel>,
  name: string,
  version?: string,
): ServedModel {
  const model = models.get(name);
  if (!model) {
    throw new NotFoundError(
      `no model named "${name.slice(0, 100)}" is served here; the models are: ${[...models.keys()].join(', ')}`,
    );
  }
  if (version !== undefined && version !== model.info.version) {
    throw new NotFoundError(
      `model "${name}" has no version "${version.slice(0, 40)}"; the version served is ${model.info.version}`,
    );
  }
  return model;
}
