import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type GrpcObject, loadPackageDefinition, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';

/**
 * How messages map to JS objects, on the server and in our clients: field names as in the
 * proto (`raw_input_contents`, as KServe documents them), int64 as numbers (shapes, sizes),
 * every field present with its default (so a missing repeated field is `[]`), the oneof's
 * chosen field named in `parameter_choice`, bytes as Buffers.
 */
export const OIP_GRPC_LOADER_OPTIONS: Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

/**
 * Path of the vendored `grpc_predict_v2.proto` (KServe's Open Inference Protocol v2, see
 * `proto/NOTICE.md`), found from this module whether it runs from `src/` or the bundled `dist/`.
 */
export function oipGrpcProtoPath(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level < 4; level++) {
    const candidate = join(folder, 'proto', 'grpc_predict_v2.proto');
    if (existsSync(candidate)) return candidate;
    folder = dirname(folder);
  }
  throw new Error(
    'grpc_predict_v2.proto is missing from the @pcee/serve package (proto/ folder); reinstall @pcee/serve',
  );
}

/**
 * The `inference.GRPCInferenceService` of the Open Inference Protocol v2: its `service`
 * definition serves, and the constructor itself is a client (`new Service(address, credentials)`).
 */
export function loadOipGrpcService(): ServiceClientConstructor {
  const definition = loadSync(oipGrpcProtoPath(), OIP_GRPC_LOADER_OPTIONS);
  const inference = loadPackageDefinition(definition).inference as GrpcObject;
  return inference.GRPCInferenceService as ServiceClientConstructor;
}
