/**
 * JSON shapes of the Open Inference Protocol v2 REST API (KServe, Triton, Seldon), as far as
 * this server reads and writes them.
 */

/** `$parameters`: free-form, values are strings, numbers or booleans. */
export type OipParameters = Record<string, string | number | boolean>;

/** One tensor of a model's metadata. */
export interface OipMetadataTensor {
  readonly name: string;
  readonly datatype: string;
  /** Shape, -1 for variable dimensions (the batch). */
  readonly shape: readonly number[];
  readonly parameters?: OipParameters;
}

/** `GET /v2/models/{name}`. */
export interface OipModelMetadata {
  readonly name: string;
  readonly versions: readonly string[];
  readonly platform: string;
  readonly inputs: readonly OipMetadataTensor[];
  readonly outputs: readonly OipMetadataTensor[];
  /** PCEE extension: exits, classes, policy and δ in force, allowed ranges. */
  readonly parameters: Record<string, unknown>;
}

/** `GET /v2`. */
export interface OipServerMetadata {
  readonly name: string;
  readonly version: string;
  readonly extensions: readonly string[];
}

/** One output of an inference response. */
export interface OipResponseOutput {
  readonly name: string;
  readonly shape: readonly number[];
  readonly datatype: string;
  /** The values as JSON; absent when they are sent in the binary section. */
  readonly data?: readonly (number | boolean)[];
  /** `binary_data_size` (bytes in the binary section) for a binary output. */
  readonly parameters?: OipParameters;
}

/** `POST /v2/models/{name}/infer` response. */
export interface OipInferResponse {
  readonly model_name: string;
  readonly model_version: string;
  readonly id: string;
  readonly parameters: OipParameters;
  readonly outputs: readonly OipResponseOutput[];
}
