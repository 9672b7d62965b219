/**
 * A minimal ONNX model, `y = x + x` with `x: float32[1, 4]` (opset 17, 81 bytes), used to
 * check that an execution provider really initialises and runs here: on this platform
 * asking for CUDA or WebGPU that is missing fails at session creation (no adapter, no
 * provider library), not at `listSupportedBackends()`.
 */
export const PROBE_MODEL = Uint8Array.from(
  atob(
    'CAgSBHBjZWU6QQoOCgF4CgF4EgF5IgNBZGQSBXByb2JlWhMKAXgSDgoMCAESCAoCCAEKAggEYhMKAXkSDgoMCAESCAoCCAEKAggEQgQKABAR',
  ),
  (character) => character.charCodeAt(0),
);

/** Input name, shape and expected output of `PROBE_MODEL`. */
export const PROBE_INPUT = { name: 'x', output: 'y', dims: [1, 4], values: [1, 2, 3, 4] } as const;
