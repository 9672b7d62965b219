/** Error classes every layer throws, and schema-error formatting. */
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
  ProfileMismatchError,
  RuntimeFailureError,
  UnsupportedModelError,
} from './errors.js';
export { describeSchemaIssues, tryParseJson } from './schema-errors.js';
