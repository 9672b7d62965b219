/**
 * The model package manifest (`model.json`), format `pcee-model` version 1.
 *
 * A model package is a folder holding this manifest, one ONNX file per stage
 * (`stage-<i>.onnx`), optionally `full.onnx` (the backbone plus the final head only:
 * the baseline a user deploys without early exit), and optionally traces.
 *
 * Stage `i` takes the preprocessed input (stage 0) or the previous stage's `features`
 * output and returns `features` and `logits` (the last stage may omit `features`).
 * Every tensor has a dynamic batch dimension first.
 *
 * Cost unit: FLOPs, counting one multiply-add as 2 FLOPs, counted analytically from
 * layer shapes (convolutions, linear layers, attention matmuls; normalisation,
 * activations and softmax are ignored as they are negligible and hardware-dependent).
 */
export interface ModelManifest {
  /** Always `"pcee-model"`. */
  readonly format: 'pcee-model';
  /** Format version; readers reject unknown versions. Currently `1`. */
  readonly version: 1;
  /** Model identity, e.g. `"fmnist-cnn-large"`; profiles record it. */
  readonly id: string;
  /** One line for humans. */
  readonly description?: string;
  /** What stage 0 expects and how to get there from raw data. */
  readonly input: ModelInputSpec;
  /** Class names, index = class id. Their count is the logits width C. */
  readonly classes: readonly string[];
  /** The stages in order; stage `i` carries exit `i`. */
  readonly stages: readonly StageSpec[];
  /**
   * Cumulative cost of stopping at exit `l`, in FLOPs: the backbone up to stage `l` plus
   * every head evaluated on the way (heads are not free). Length = number of stages.
   */
  readonly exitCosts: readonly number[];
  /** Cost of the full model without intermediate heads (all backbone parts + the final head), in FLOPs. */
  readonly fullModelCost: number;
  /** Cost unit of `exitCosts` and `fullModelCost`. */
  readonly costUnit: 'flops';
  /** The baseline model without intermediate heads, if shipped. */
  readonly full?: FullModelSpec;
  /** Total trainable parameters of the multi-exit model (all stages, all heads). */
  readonly parameters: number;
  /** Free-form training metadata: seed, epochs, wall time, data split, final accuracies. */
  readonly training?: Record<string, unknown>;
}

/** The input of stage 0 and its preprocessing from raw values. */
export interface ModelInputSpec {
  /** ONNX input name of stage 0 and of `full.onnx`, e.g. `"image"`. */
  readonly name: string;
  /** Shape with `-1` for the dynamic batch dimension, e.g. `[-1, 1, 28, 28]`. */
  readonly shape: readonly number[];
  /** Element type the ONNX input expects. */
  readonly dtype: 'float32';
  /** Raw data element type before preprocessing, e.g. `"uint8"` pixels. */
  readonly rawDtype: string;
  /**
   * `model_input = (raw * scale - mean[c]) / std[c]`, with `c` the channel (dimension 1).
   * `mean` and `std` have one entry per channel.
   */
  readonly preprocessing: {
    readonly scale: number;
    readonly mean: readonly number[];
    readonly std: readonly number[];
  };
}

/** One stage: a backbone block followed by its exit head. */
export interface StageSpec {
  /** Stage index, 0-based, equal to its position. */
  readonly index: number;
  /** File name inside the package folder, e.g. `"stage-0.onnx"`. */
  readonly file: string;
  /** Lower-case hex sha256 of the file. */
  readonly sha256: string;
  /** ONNX input name (`"image"` for stage 0, `"features"` after). */
  readonly input: string;
  /** ONNX output names: `features` (absent on the last stage if it has none) and `logits`. */
  readonly outputs: { readonly features?: string; readonly logits: string };
  /** FLOPs of this stage's backbone part and of its exit head, per sample. */
  readonly flops: { readonly backbone: number; readonly head: number };
  /** Trainable parameters of this stage (backbone part + head). */
  readonly parameters: number;
}

/** The single-exit baseline model file. */
export interface FullModelSpec {
  readonly file: string;
  readonly sha256: string;
  /** ONNX input name (same as `input.name`). */
  readonly input: string;
  /** ONNX output name of the logits. */
  readonly output: string;
  readonly parameters: number;
}
