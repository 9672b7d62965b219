import { type BytesResponse, postBytes } from './http-client.js';

/** A binary-extension body: the JSON header, then the tensor bytes; and the header's length. */
export interface BinaryBody {
  readonly body: Buffer;
  readonly headerLength: number;
}

/**
 * An OIP request for images `[from, to)` of `pixels` as UINT8 `[n, 28, 28]` in the binary
 * tensor extension, asking every output back as binary (`binary_data_output`) unless `extra`
 * says otherwise.
 */
export function binaryInferBody(
  pixels: Uint8Array,
  from: number,
  to: number,
  extra: Record<string, unknown> = {},
): BinaryBody {
  const bytes = pixels.subarray(from * 784, to * 784);
  const header = Buffer.from(
    JSON.stringify({
      inputs: [
        {
          name: 'image',
          shape: [to - from, 28, 28],
          datatype: 'UINT8',
          parameters: { binary_data_size: bytes.byteLength },
        },
      ],
      parameters: { binary_data_output: true },
      ...extra,
    }),
  );
  return { body: Buffer.concat([header, bytes]), headerLength: header.byteLength };
}

/** POSTs bytes with `Inference-Header-Content-Length` (node:http, keep-alive). */
export function postBinary(
  url: string,
  body: Buffer,
  headerLength: number | string,
  timeoutMs = 30_000,
): Promise<BytesResponse> {
  return postBytes(
    url,
    body,
    { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(headerLength) },
    timeoutMs,
  );
}

/**
 * A REST response, JSON or binary-extension, as JSON with every output's `data` filled in
 * (binary outputs decoded as numbers, BOOL as booleans), so answers compare across encodings.
 */
export function decodeRestResponse(response: BytesResponse): Record<string, unknown> {
  const length = response.headers['inference-header-content-length'];
  if (length === undefined) return JSON.parse(response.body.toString('utf8'));
  const headerLength = Number(length);
  const json = JSON.parse(response.body.subarray(0, headerLength).toString('utf8')) as {
    outputs: { datatype: string; data?: unknown[]; parameters?: { binary_data_size?: number } }[];
  };
  let offset = headerLength;
  for (const output of json.outputs) {
    const size = output.parameters?.binary_data_size;
    if (size === undefined) continue;
    const bytes = new Uint8Array(response.body.subarray(offset, offset + size));
    offset += size;
    output.data = decodeValues(output.datatype, bytes);
    delete output.parameters;
  }
  return json as unknown as Record<string, unknown>;
}

/** Raw little-endian output bytes as JSON values (the datatypes the server answers with). */
export function decodeValues(datatype: string, bytes: Uint8Array): (number | boolean)[] {
  const buffer = new Uint8Array(bytes).buffer;
  switch (datatype) {
    case 'INT64':
      return Array.from(new BigInt64Array(buffer), Number);
    case 'INT32':
      return Array.from(new Int32Array(buffer));
    case 'FP32':
      return Array.from(new Float32Array(buffer));
    case 'BOOL':
      return Array.from(bytes, (byte) => byte === 1);
    default:
      throw new Error(`no decoder for ${datatype}`);
  }
}
