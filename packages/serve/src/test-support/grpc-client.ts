import { type Client, credentials, type Metadata, type ServiceError } from '@grpc/grpc-js';
import type { GrpcInferParameter } from '../grpc/grpc-messages.js';
import { loadOipGrpcService } from '../grpc/oip-grpc-package.js';
import { decodeValues } from './binary-client.js';

/** One unary call's outcome: the response, or the gRPC error (code, details, trailers). */
export type GrpcOutcome<Response> =
  | { readonly ok: true; readonly response: Response }
  | { readonly ok: false; readonly code: number; readonly details: string; readonly metadata: Metadata };

/** A client of the OIP v2 gRPC service whose calls resolve to outcomes (never reject). */
export interface OipGrpcClient {
  call<Response = Record<string, unknown>>(method: string, request: unknown): Promise<GrpcOutcome<Response>>;
  close(): void;
}

/** Connects to `address` (`host:port`) with the vendored proto, as any @grpc/grpc-js client would. */
export function oipGrpcClient(address: string): OipGrpcClient {
  const Service = loadOipGrpcService();
  const client = new Service(address, credentials.createInsecure()) as Client &
    Record<
      string,
      (request: unknown, callback: (error: ServiceError | null, response: unknown) => void) => void
    >;
  return {
    call: (method, request) =>
      new Promise((resolve) => {
        client[method]!(request, (error, response) => {
          if (error)
            resolve({ ok: false, code: error.code, details: error.details, metadata: error.metadata });
          else resolve({ ok: true, response: response as never });
        });
      }),
    close: () => client.close(),
  };
}

/**
 * A ModelInferRequest for images `[from, to)` of `pixels` as UINT8 `[n, 28, 28]` in
 * `raw_input_contents`; `parameters` are request parameters as plain values.
 */
export function grpcInferRequest(
  model: string,
  pixels: Uint8Array,
  from: number,
  to: number,
  extra: { id?: string; parameters?: Record<string, number | string | boolean>; outputs?: string[] } = {},
): Record<string, unknown> {
  return {
    model_name: model,
    id: extra.id ?? '',
    parameters: Object.fromEntries(
      Object.entries(extra.parameters ?? {}).map(([key, value]): [string, GrpcInferParameter] => [
        key,
        typeof value === 'boolean'
          ? { bool_param: value }
          : typeof value === 'number'
            ? { double_param: value }
            : { string_param: value },
      ]),
    ),
    inputs: [{ name: 'image', datatype: 'UINT8', shape: [to - from, 28, 28] }],
    outputs: (extra.outputs ?? []).map((name) => ({ name })),
    raw_input_contents: [Buffer.from(pixels.subarray(from * 784, to * 784))],
  };
}

/** A ModelInferResponse as the REST JSON response (outputs' raw bytes decoded into `data`), to compare answers. */
export function grpcResponseAsJson(response: Record<string, unknown>): Record<string, unknown> {
  const outputs = response.outputs as { name: string; datatype: string; shape: number[] }[];
  const raw = response.raw_output_contents as Uint8Array[];
  const parameters = Object.fromEntries(
    Object.entries(response.parameters as Record<string, GrpcInferParameter>).map(([key, parameter]) => [
      key,
      parameter[parameter.parameter_choice!],
    ]),
  );
  return {
    model_name: response.model_name,
    model_version: response.model_version,
    id: response.id,
    parameters,
    outputs: outputs.map((output, index) => ({
      name: output.name,
      datatype: output.datatype,
      shape: output.shape,
      data: decodeValues(output.datatype, raw[index]!),
    })),
  };
}
