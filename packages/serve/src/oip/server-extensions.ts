/**
 * Protocol extensions the server reports in its metadata (`GET /v2`, gRPC ServerMetadata):
 * `binary_tensor_data` is the name Triton clients look for before sending binary bodies.
 */
export const SERVER_EXTENSIONS: readonly string[] = ['binary_tensor_data'];
