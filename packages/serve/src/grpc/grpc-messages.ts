/**
 * `grpc_predict_v2.proto` messages as `@grpc/proto-loader` presents them with
 * `OIP_GRPC_LOADER_OPTIONS` (every field present, int64 as numbers, bytes as Buffers).
 */

/** `InferParameter`: one of its fields is set, named by `parameter_choice`. */
export interface GrpcInferParameter {
  readonly parameter_choice?: 'bool_param' | 'int64_param' | 'string_param' | 'double_param' | 'uint64_param';
  readonly bool_param?: boolean;
  readonly int64_param?: number;
  readonly string_param?: string;
  readonly double_param?: number;
  readonly uint64_param?: number;
}

/** `InferTensorContents`: typed values, one repeated field per datatype family. */
export interface GrpcTensorContents {
  readonly bool_contents?: readonly boolean[];
  readonly int_contents?: readonly number[];
  readonly int64_contents?: readonly number[];
  readonly uint_contents?: readonly number[];
  readonly uint64_contents?: readonly number[];
  readonly fp32_contents?: readonly number[];
  readonly fp64_contents?: readonly number[];
  readonly bytes_contents?: readonly Uint8Array[];
}

/** `ModelInferRequest`. */
export interface GrpcInferRequest {
  readonly model_name: string;
  readonly model_version: string;
  readonly id: string;
  readonly parameters: Readonly<Record<string, GrpcInferParameter>>;
  readonly inputs: readonly {
    readonly name: string;
    readonly datatype: string;
    readonly shape: readonly number[];
    readonly parameters: Readonly<Record<string, GrpcInferParameter>>;
    readonly contents: GrpcTensorContents | null;
  }[];
  readonly outputs: readonly {
    readonly name: string;
    readonly parameters: Readonly<Record<string, GrpcInferParameter>>;
  }[];
  readonly raw_input_contents: readonly Uint8Array[];
}

/** `ModelInferResponse`, as the server writes it (every output in `raw_output_contents`). */
export interface GrpcInferResponse {
  readonly model_name: string;
  readonly model_version: string;
  readonly id: string;
  readonly parameters: Record<string, GrpcInferParameter>;
  readonly outputs: { readonly name: string; readonly datatype: string; readonly shape: number[] }[];
  readonly raw_output_contents: Uint8Array[];
}
