/** Error classes every layer throws, their hints, and schema-error formatting. */
export { type ErrorHint, HINT_ACTIONS, type HintAction, hint } from './error-hint.js';
export {
  DeviceUnavailableError,
  InvalidArgumentError,
  InvalidFileError,
  InvalidInputError,
  InvalidManifestError,
  InvalidProfileError,
  InvalidTracesError,
  PceeError,
  type PceeErrorCode,
  type PceeErrorOptions,
  ProfileMismatchError,
  RuntimeFailureError,
  UnsupportedModelError,
} from './errors.js';
export { describeSchemaIssues, tryParseJson } from './schema-errors.js';
