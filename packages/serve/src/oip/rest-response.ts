import { type InferAnswer, jsonOutputData } from './infer-response.js';
import type { OipInferResponse, OipResponseOutput } from './oip-types.js';
import { encodeTensorBytes } from './tensor-bytes.js';

/** A REST response body: plain JSON, or a JSON header followed by the binary section. */
export type RestResponseBody =
  | { readonly kind: 'json'; readonly json: OipInferResponse }
  | { readonly kind: 'binary'; readonly headerLength: number; readonly body: Buffer };

/**
 * Encodes an answer for REST. Outputs `binary` names are sent per the binary tensor data
 * extension: in the JSON header with `parameters.binary_data_size` and no `data`, their bytes
 * after the header in output order; the caller sends `Inference-Header-Content-Length`.
 * Without binary outputs the body is the plain JSON response.
 */
export function encodeRestResponse(answer: InferAnswer, binary: (name: string) => boolean): RestResponseBody {
  const chunks: Uint8Array[] = [];
  const outputs = answer.outputs.map((output): OipResponseOutput => {
    const base = { name: output.name, datatype: output.datatype, shape: output.shape };
    if (!binary(output.name)) return { ...base, data: jsonOutputData(output) };
    const bytes = encodeTensorBytes(output.datatype, output.values);
    chunks.push(bytes);
    return { ...base, parameters: { binary_data_size: bytes.byteLength } };
  });
  const json: OipInferResponse = { ...answer, outputs };
  if (chunks.length === 0) return { kind: 'json', json };
  const header = Buffer.from(JSON.stringify(json), 'utf8');
  return { kind: 'binary', headerLength: header.byteLength, body: Buffer.concat([header, ...chunks]) };
}
