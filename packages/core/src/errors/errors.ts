/**
 * Every error a user can cause carries a stable `code` and a message that names the
 * offending value and the fix. Callers (the CLI) print `error: <message>` and exit 1
 * for any `PceeError`; anything else is a bug and keeps its stack trace. Where the fix is
 * something a front end words in its own syntax (a flag, a request parameter), the error
 * carries it as a `hint` and its `problem` apart, and the message joins the two in words.
 */
import type { ErrorHint } from './error-hint.js';

/** What every PCEE error's constructor takes besides its message. */
export interface PceeErrorOptions {
  readonly cause?: unknown;
  /** The way out, for front ends to word; the message ends with its `text`. */
  readonly hint?: ErrorHint;
}

/** Stable machine-readable error codes. */
export type PceeErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_TRACES'
  | 'INVALID_FILE'
  | 'INVALID_PROFILE'
  | 'INVALID_MANIFEST'
  | 'PROFILE_MISMATCH'
  | 'MODEL_MISMATCH'
  | 'DEVICE_UNAVAILABLE'
  | 'RUNTIME_FAILURE'
  | 'INVALID_INPUT'
  | 'UNSUPPORTED_MODEL';

/** Base class of every error PCEE raises for a user mistake or bad input. */
export class PceeError extends Error {
  /** Stable code for programmatic handling. */
  readonly code: PceeErrorCode;
  /** What went wrong, without the way out (the message is `problem; hint.text`). */
  readonly problem: string;
  /** The way out, named so a front end can word it as its flags or parameters. */
  readonly hint: ErrorHint | undefined;

  constructor(code: PceeErrorCode, problem: string, options?: PceeErrorOptions) {
    super(options?.hint ? `${problem}; ${options.hint.text}` : problem, options);
    this.name = new.target.name;
    this.code = code;
    this.problem = problem;
    this.hint = options?.hint;
  }
}

/** A parameter is out of range or of the wrong kind (δ outside [0, 1], bins < 1, …). */
export class InvalidArgumentError extends PceeError {
  constructor(message: string, options?: PceeErrorOptions) {
    super('INVALID_ARGUMENT', message, options);
  }
}

/** Traces are inconsistent: wrong rank, N mismatch, NaN/Inf logits, labels out of range. */
export class InvalidTracesError extends PceeError {
  constructor(message: string, options?: PceeErrorOptions) {
    super('INVALID_TRACES', message, options);
  }
}

/** Bytes that are not a readable container: truncated zip, bad .npy header, junk safetensors. */
export class InvalidFileError extends PceeError {
  constructor(message: string, options?: PceeErrorOptions) {
    super('INVALID_FILE', message, options);
  }
}

/** A calibration profile that cannot be read: wrong format, unknown version, malformed JSON. */
export class InvalidProfileError extends PceeError {
  constructor(message: string, options?: PceeErrorOptions) {
    super('INVALID_PROFILE', message, options);
  }
}

/** A profile that does not belong to these traces or this model (exits, classes, model id). */
export class ProfileMismatchError extends PceeError {
  constructor(message: string, options?: PceeErrorOptions) {
    super('PROFILE_MISMATCH', message, options);
  }
}

/** A model package manifest that is malformed, or files that do not match it (sha256). */
export class InvalidManifestError extends PceeError {
  constructor(message: string, options?: PceeErrorOptions) {
    super('INVALID_MANIFEST', message, options);
  }
}

/** A requested device is not available on this machine/backend. */
export class DeviceUnavailableError extends PceeError {
  constructor(message: string, options?: PceeErrorOptions) {
    super('DEVICE_UNAVAILABLE', message, options);
  }
}

/** Input data of the wrong shape or dtype for the model. */
export class InvalidInputError extends PceeError {
  constructor(message: string, options?: PceeErrorOptions) {
    super('INVALID_INPUT', message, options);
  }
}

/** The backend failed while running a model (corrupt ONNX, backend error). */
export class RuntimeFailureError extends PceeError {
  constructor(message: string, options?: PceeErrorOptions) {
    super('RUNTIME_FAILURE', message, options);
  }
}

/**
 * A model graph PCEE cannot split or carry as given: control flow (`If`, `Loop`, `Scan`)
 * inside a stage, a static batch dimension, a tensor of a dtype stages cannot carry, or a
 * split whose stages do not reproduce the model's logits.
 */
export class UnsupportedModelError extends PceeError {
  constructor(message: string, options?: PceeErrorOptions) {
    super('UNSUPPORTED_MODEL', message, options);
  }
}
