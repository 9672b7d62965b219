import type { Float32StageTensor, ModelManifest, TensorMap } from '../model/index.js';

/**
 * The adapter boundary. `@pcee/core` owns this spec; each backend (onnxruntime-node,
 * onnxruntime-web, …) implements it. The early-exit runner only talks to these types, so
 * every backend exits, compacts and accounts identically.
 */

/** A device name: `cpu`, `cuda`, `webgpu`, `wasm`, or a backend's own. */
export type DeviceName = string;

/** One device as a backend sees it *here*, as plain data. */
export interface DeviceInfo {
  readonly name: DeviceName;
  /** Whether `load` can use it on this machine now. */
  readonly available: boolean;
  /** Why not, when unavailable (e.g. "onnxruntime-node was installed without CUDA"). */
  readonly reason?: string;
}

/** What a runtime can do on this machine. JSON-serialisable. */
export interface RuntimeCapabilities {
  /** Runtime name, e.g. `"onnxruntime-node"`. */
  readonly runtime: string;
  /** Backend library version, e.g. `"1.30.0"`. */
  readonly version: string;
  /** Every device the runtime knows, available or not, preferred first. */
  readonly devices: readonly DeviceInfo[];
}

/** Options of `Runtime.load`. */
export interface LoadOptions {
  /**
   * One device (an error if it is unavailable, naming those that are), or a preference
   * list (the first available one is used: the only case where a fallback happens).
   * Default: the runtime's first device.
   */
  readonly device?: DeviceName | readonly DeviceName[];
  /** Intra-op threads (CPU backends); default: the backend's choice. */
  readonly threads?: number;
  /** Graph optimisation level; default `all`. */
  readonly graphOptimization?: 'disabled' | 'basic' | 'extended' | 'all';
}

/**
 * A model package as bytes: the validated manifest and a way to read its files.
 * Node reads a folder; a browser fetches URLs or takes ArrayBuffers.
 */
export interface ModelPackage {
  readonly manifest: ModelManifest;
  /** Where it came from, for messages (a folder path or a URL). */
  readonly location: string;
  /** Reads a file of the package by its name in the manifest. */
  readFile(name: string): Promise<Uint8Array>;
}

/** The outputs of one stage on a batch. */
export interface StageOutput {
  /** Logits `[batch, classes]` of this stage's exit head, float32 (adapters widen float16). */
  readonly logits: Float32StageTensor;
  /** The tensors this stage produces for later stages, by package tensor name. */
  readonly tensors: TensorMap;
}

/** A loaded multi-exit model, one stage at a time. Safe to call concurrently. */
export interface StagedModel {
  /** The manifest it was loaded from. */
  readonly manifest: ModelManifest;
  /** Number of stages (= exits). */
  readonly stages: number;
  /** The device in use (after any fallback). */
  readonly device: DeviceName;
  /**
   * Runs stage `index` on a batch. `inputs` holds (at least) every tensor the stage
   * consumes, by package tensor name, all with the same batch size; extra entries are
   * ignored, so a caller may pass everything it carries.
   */
  runStage(index: number, inputs: TensorMap): Promise<StageOutput>;
  /** Releases backend resources; later `runStage` calls reject. Idempotent. */
  dispose(): Promise<void>;
}

/** One backend. Availability is detected in `capabilities`/`load`, never at import. */
export interface Runtime {
  readonly name: string;
  capabilities(): Promise<RuntimeCapabilities>;
  load(model: ModelPackage, options?: LoadOptions): Promise<StagedModel>;
}
