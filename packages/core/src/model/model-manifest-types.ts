/**
 * The model package manifest (`model.json`), format `pcee-model`, as PCEE holds it in
 * memory: the version 2 shape. Version 1 files (one float32 input, one float32 `features`
 * tensor between stages) are converted to it when read (see `parseManifest`).
 *
 * A model package is a folder holding this manifest, one ONNX file per stage
 * (`stage-<i>.onnx`), optionally `full.onnx` (the network without intermediate heads: the
 * baseline a user deploys without early exit), and optionally traces.
 *
 * Tensors have names in the package's namespace. Stage `i` consumes model inputs and
 * tensors produced by earlier stages, and produces the tensors later stages need plus its
 * exit's logits. Every tensor has a batch dimension first.
 *
 * Cost unit: FLOPs, counting one multiply-add as 2 FLOPs (convolutions, linear layers,
 * attention matmuls; normalisation, activations and softmax are ignored as negligible).
 */
export interface ModelManifest {
  /** Always `"pcee-model"`. */
  readonly format: 'pcee-model';
  /** In-memory shape version: always 2 (version 1 files are converted when read). */
  readonly version: 2;
  /** Model identity, e.g. `"fmnist-cnn-large"`; profiles record it. */
  readonly id: string;
  /** One line for humans. */
  readonly description?: string;
  /** The model's inputs, in order. */
  readonly inputs: readonly ModelInputSpec[];
  /** Class names, index = class id. Their count is the logits width C. */
  readonly classes: readonly string[];
  /** The stages in order; stage `i` carries exit `i`. */
  readonly stages: readonly StageSpec[];
  /** Dtype and shape of the tensors carried between stages, when known (`pcee split` writes them). */
  readonly tensors?: readonly TensorSpec[];
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

/** Element types a model input or carried tensor may have. */
export type ModelTensorDtype =
  | 'float32'
  | 'float16'
  | 'float64'
  | 'int64'
  | 'int32'
  | 'int8'
  | 'uint8'
  | 'bool';

/** Every {@link ModelTensorDtype}, for validation and messages. */
export const MODEL_TENSOR_DTYPES: readonly ModelTensorDtype[] = [
  'float32',
  'float16',
  'float64',
  'int64',
  'int32',
  'int8',
  'uint8',
  'bool',
];

/**
 * A dimension: a fixed size, or a symbolic name shared by every tensor of one batch (e.g.
 * `"batch"`, `"sequence"`). `-1` (version 1) means a free dimension.
 */
export type Dimension = number | string;

/** A named tensor's element type and shape (batch first). */
export interface TensorSpec {
  readonly name: string;
  readonly dtype: ModelTensorDtype;
  readonly shape: readonly Dimension[];
}

/** A model input, optionally with the preprocessing that turns raw data into it. */
export interface ModelInputSpec extends TensorSpec {
  /** Raw data accepted instead of the model dtype, and how to convert it (e.g. uint8 pixels). */
  readonly raw?: RawInputSpec;
}

/**
 * Raw input and its conversion: `model_input = (raw · scale − mean[c]) / std[c]`, with `c`
 * the channel (dimension 1); `mean` and `std` have one entry per channel.
 */
export interface RawInputSpec {
  /** Raw element type, e.g. `"uint8"` pixels. */
  readonly dtype: string;
  readonly preprocessing: {
    readonly scale: number;
    readonly mean: readonly number[];
    readonly std: readonly number[];
  };
}

/** A tensor as a stage graph names it: the package's tensor name and the ONNX input/output name. */
export interface TensorBinding {
  /** Name in the package namespace (model input name, or a carried tensor's name). */
  readonly name: string;
  /** Name of the graph input or output; equal to `name` unless the export named it otherwise. */
  readonly onnxName: string;
}

/** One stage: a backbone block followed by its exit head. */
export interface StageSpec {
  /** Stage index, 0-based, equal to its position. */
  readonly index: number;
  /** File name inside the package folder, e.g. `"stage-0.onnx"`. */
  readonly file: string;
  /** Lower-case hex sha256 of the file. */
  readonly sha256: string;
  /** Tensors the stage's graph takes: model inputs or tensors produced by earlier stages. */
  readonly consumes: readonly TensorBinding[];
  /** Tensors the stage produces for later stages (empty on the last stage). */
  readonly produces: readonly TensorBinding[];
  /** ONNX output name of this exit's logits `[batch, classes]`. */
  readonly logits: string;
  /** FLOPs of this stage's backbone part and of its exit head, per sample. */
  readonly flops: { readonly backbone: number; readonly head: number };
  /** Trainable parameters of this stage (backbone part + head). */
  readonly parameters: number;
}

/** The single-exit baseline model file. */
export interface FullModelSpec {
  readonly file: string;
  readonly sha256: string;
  /** Model inputs the graph takes. */
  readonly inputs: readonly TensorBinding[];
  /** ONNX output name of the logits. */
  readonly output: string;
  readonly parameters: number;
}
