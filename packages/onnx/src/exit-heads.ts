import { create } from '@bufbuild/protobuf';
import { InvalidArgumentError } from '@pcee/core';
import { elementTypeOfDtype } from './dtypes.js';
import { indexGraph } from './graph-index.js';
import { intAttribute } from './node-attributes.js';
import {
  type ModelProto,
  type NodeProto,
  NodeProtoSchema,
  type TensorProto,
  TensorProtoSchema,
} from './onnx-proto.js';
import { withChanges } from './proto-copy.js';
import { pruneToOutputs } from './prune.js';
import { type TensorType, type TensorTypes, valueInfo } from './tensor-types.js';

/**
 * How a head turns the tensor it reads into one feature vector per sample, without storing
 * the tensor: `flatten` keeps a `[batch, D]` tensor as it is; `average` is global average
 * pooling of a `[batch, C, H, W]` map (`average-max` appends global max pooling: 2C
 * features); `class-token` takes token 0 of a `[batch, T, D]` sequence, `mean` averages the
 * tokens (`mean-max` appends their maximum: 2D features) and `masked-mean` averages only the
 * tokens whose `mask` input is non-zero.
 */
export type Pooling =
  | 'flatten'
  | 'average'
  | 'average-max'
  | 'class-token'
  | 'mean'
  | 'mean-max'
  | 'masked-mean';

/** Where an exit reads and how it pools. */
export interface ExitFeatures {
  /** The tensor the head reads (a cut point, see `listCutPoints`). */
  readonly tensor: string;
  readonly pooling: Pooling;
  /** The `[batch, T]` integer mask input for `masked-mean` (e.g. `attention_mask`). */
  readonly mask?: string;
}

/**
 * An exit head on pooled features of width D into C classes, float32 row-major:
 * `linear`: `logits = x · weight + bias` (weight `[D, C]`); `mlp`: one hidden ReLU layer,
 * `logits = relu(x · weight1 + bias1) · weight2 + bias2` (weight1 `[D, H]`, weight2 `[H, C]`).
 */
export type ExitHead =
  | { readonly kind: 'linear'; readonly weight: Float32Array; readonly bias: Float32Array }
  | {
      readonly kind: 'mlp';
      readonly weight1: Float32Array;
      readonly bias1: Float32Array;
      readonly weight2: Float32Array;
      readonly bias2: Float32Array;
    };

/** An exit to graft: its features and its trained head. */
export interface GraftedExit extends ExitFeatures {
  readonly head: ExitHead;
}

/**
 * The pooling that fits a tensor's rank: `[batch, C, H, W]` → `average` (or `average-max`
 * with `maxPool`), `[batch, T, D]` → `tokens` (default `mean`, `masked-mean` when a mask is
 * given), `[batch, D]` → `flatten`.
 *
 * @throws InvalidArgumentError for another rank.
 */
export function poolingFor(
  tensor: string,
  type: TensorType,
  options: { maxPool?: boolean; tokens?: 'class-token' | 'mean'; mask?: string } = {},
): Pooling {
  switch (type.shape?.length) {
    case 4:
      return options.maxPool ? 'average-max' : 'average';
    case 3:
      if (options.tokens === 'class-token') return 'class-token';
      if (options.mask) return 'masked-mean';
      return options.maxPool ? 'mean-max' : 'mean';
    case 2:
      return 'flatten';
    default:
      throw new InvalidArgumentError(
        `tensor "${tensor}" has shape [${type.shape?.join(', ') ?? '?'}]; a head reads [batch, D], [batch, T, D] or [batch, C, H, W]: choose another tensor with --at`,
      );
  }
}

/**
 * Width D of the pooled features of a tensor of `type`.
 *
 * @throws InvalidArgumentError when the feature axis is not a static size.
 */
export function pooledWidth(tensor: string, type: TensorType, pooling: Pooling): number {
  const shape = type.shape ?? [];
  const axis = shape.length === 4 ? 1 : shape.length - 1;
  const size = shape[axis];
  if (typeof size !== 'number') {
    throw new InvalidArgumentError(
      `tensor "${tensor}" has a symbolic feature axis (${String(size)}); a head needs a fixed width: choose another tensor with --at`,
    );
  }
  return pooling === 'average-max' || pooling === 'mean-max' ? 2 * size : size;
}

/**
 * The model with the pooled features of every exit as its only outputs, `features_<k>`
 * float32 `[batch, D_k]`, and nothing else computed: what feature extraction runs. The
 * pooling nodes are exactly the ones `graftExitHeads` adds, so heads see the same numbers.
 */
export function featureModel(
  model: ModelProto,
  exits: readonly ExitFeatures[],
  types: TensorTypes,
): ModelProto {
  const builder = new NodeWriter(model);
  const outputs = exits.map((exit, k) => builder.pool(exit, `pcee_exit_${k}`, `features_${k}`));
  const withPools = builder.model([], new Map());
  const allTypes = new Map(types);
  exits.forEach((exit, k) => {
    const type = types.get(exit.tensor)!;
    allTypes.set(outputs[k]!, {
      dtype: 'float32',
      shape: [type.shape![0]!, pooledWidth(exit.tensor, type, exit.pooling)],
    });
  });
  return pruneToOutputs(withPools, outputs, allTypes).model;
}

/**
 * The model with exit heads grafted on: its outputs are `exit_0 … exit_{k-1}` (float32
 * `[batch, C]`, one per head, in the order given) followed by the original outputs, whose
 * nodes are untouched, so the original logits stay bit-identical. Head weights are stored as
 * initializers named `pcee_exit_<k>/…`.
 *
 * @throws InvalidArgumentError when a name `exit_<k>` is taken, a head's weights do not fit
 *   the features, or a tensor has no type.
 */
export function graftExitHeads(
  model: ModelProto,
  exits: readonly GraftedExit[],
  types: TensorTypes,
  classes: number,
): ModelProto {
  const index = indexGraph(model);
  const builder = new NodeWriter(model);
  const added = new Map<string, TensorType>();
  exits.forEach((exit, k) => {
    const name = `exit_${k}`;
    if (index.producer.has(name) || index.inputNames.has(name)) {
      throw new InvalidArgumentError(
        `the model already has a tensor named "${name}"; attach to the model without exits (or rename its outputs)`,
      );
    }
    const type = types.get(exit.tensor);
    if (!type)
      throw new InvalidArgumentError(`the type of tensor "${exit.tensor}" is unknown; probe the model first`);
    const width = pooledWidth(exit.tensor, type, exit.pooling);
    const prefix = `pcee_exit_${k}`;
    const features = builder.pool(exit, prefix, `${prefix}/features`);
    builder.head(exit.head, features, width, classes, prefix, name);
    added.set(name, { dtype: 'float32', shape: [type.shape![0]!, classes] });
  });
  return builder.model(
    exits.map((_, k) => `exit_${k}`),
    added,
  );
}

/** Appends nodes and initializers to a copy of a model's graph. */
class NodeWriter {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly opset: number;

  constructor(private readonly source: ModelProto) {
    const version = source.opsetImport.find(
      (opset) => opset.domain === '' || opset.domain === 'ai.onnx',
    )?.version;
    this.opset = Number(version ?? 17n);
  }

  /** Pooling nodes from `exit.tensor` to `output` ([batch, D]); returns `output`. */
  pool(exit: ExitFeatures, prefix: string, output: string): string {
    const x = exit.tensor;
    switch (exit.pooling) {
      case 'flatten':
        return this.add('Identity', [x], output);
      case 'average':
        return this.add('Flatten', [this.add('GlobalAveragePool', [x], `${prefix}/gap`)], output, {
          axis: 1,
        });
      case 'average-max': {
        const average = this.add(
          'Flatten',
          [this.add('GlobalAveragePool', [x], `${prefix}/gap`)],
          `${prefix}/avg`,
          {
            axis: 1,
          },
        );
        const maximum = this.add(
          'Flatten',
          [this.add('GlobalMaxPool', [x], `${prefix}/gmp`)],
          `${prefix}/max`,
          {
            axis: 1,
          },
        );
        return this.add('Concat', [average, maximum], output, { axis: 1 });
      }
      case 'class-token':
        return this.add('Gather', [x, this.int64(`${prefix}/token`, [], [0])], output, { axis: 1 });
      case 'mean':
        return this.reduce('ReduceMean', x, 1, output);
      case 'mean-max': {
        const mean = this.reduce('ReduceMean', x, 1, `${prefix}/mean`);
        const maximum = this.reduce('ReduceMax', x, 1, `${prefix}/max`);
        return this.add('Concat', [mean, maximum], output, { axis: 1 });
      }
      case 'masked-mean': {
        if (!exit.mask) throw new InvalidArgumentError(`masked-mean pooling of "${x}" needs a mask input`);
        const mask = this.add('Cast', [exit.mask], `${prefix}/mask`, { to: 1 });
        const weights = this.unsqueeze(mask, 2, `${prefix}/mask3`);
        const sum = this.reduceSum(this.add('Mul', [x, weights], `${prefix}/masked`), 1, `${prefix}/sum`);
        // A row of zeros in the mask would divide by zero: count at least one token.
        const count = this.add(
          'Max',
          [this.reduceSum(mask, 1, `${prefix}/tokens`, true), this.float(`${prefix}/one`, [1])],
          `${prefix}/count`,
        );
        return this.add('Div', [sum, count], output);
      }
    }
  }

  /** Head nodes from `features` to `output`. */
  head(
    head: ExitHead,
    features: string,
    width: number,
    classes: number,
    prefix: string,
    output: string,
  ): void {
    if (head.kind === 'linear') {
      this.expectSize(head.weight, width * classes, prefix);
      this.expectSize(head.bias, classes, prefix);
      this.add(
        'Gemm',
        [
          features,
          this.weight(`${prefix}/weight`, [width, classes], head.weight),
          this.weight(`${prefix}/bias`, [classes], head.bias),
        ],
        output,
      );
      return;
    }
    const hidden = head.bias1.length;
    this.expectSize(head.weight1, width * hidden, prefix);
    this.expectSize(head.weight2, hidden * classes, prefix);
    this.expectSize(head.bias2, classes, prefix);
    const first = this.add(
      'Gemm',
      [
        features,
        this.weight(`${prefix}/weight1`, [width, hidden], head.weight1),
        this.weight(`${prefix}/bias1`, [hidden], head.bias1),
      ],
      `${prefix}/hidden`,
    );
    const activated = this.add('Relu', [first], `${prefix}/relu`);
    this.add(
      'Gemm',
      [
        activated,
        this.weight(`${prefix}/weight2`, [hidden, classes], head.weight2),
        this.weight(`${prefix}/bias2`, [classes], head.bias2),
      ],
      output,
    );
  }

  /** The source model with the added nodes; outputs `first` (typed by `types`), then the original ones. */
  model(first: readonly string[], types: ReadonlyMap<string, TensorType>): ModelProto {
    const graph = this.source.graph!;
    return withChanges(this.source, {
      graph: withChanges(graph, {
        node: [...graph.node, ...this.nodes],
        initializer: [...graph.initializer, ...this.initializers],
        output: [...first.map((name) => valueInfo(name, types.get(name)!)), ...graph.output],
      }),
    });
  }

  private reduceSum(x: string, axis: number, output: string, keepDims = false): string {
    const keepdims = keepDims ? 1 : 0;
    if (this.opset >= 13)
      return this.add('ReduceSum', [x, this.int64(`${output}/axes`, [1], [axis])], output, { keepdims });
    return this.add('ReduceSum', [x], output, { axes: [axis], keepdims });
  }

  /** ReduceMean or ReduceMax over one axis, dropped: axes are an input from opset 18 on. */
  private reduce(opType: 'ReduceMean' | 'ReduceMax', x: string, axis: number, output: string): string {
    if (this.opset >= 18)
      return this.add(opType, [x, this.int64(`${output}/axes`, [1], [axis])], output, { keepdims: 0 });
    return this.add(opType, [x], output, { axes: [axis], keepdims: 0 });
  }

  private unsqueeze(x: string, axis: number, output: string): string {
    if (this.opset >= 13)
      return this.add('Unsqueeze', [x, this.int64(`${output}/axes`, [1], [axis])], output);
    return this.add('Unsqueeze', [x], output, { axes: [axis] });
  }

  private expectSize(values: Float32Array, size: number, prefix: string): void {
    if (values.length !== size) {
      throw new InvalidArgumentError(
        `${prefix}: a head weight has ${values.length} values where the features need ${size}`,
      );
    }
  }

  private add(
    opType: string,
    inputs: readonly string[],
    output: string,
    attributes: Record<string, number | number[]> = {},
  ): string {
    this.nodes.push(
      create(NodeProtoSchema, {
        name: output,
        opType,
        input: [...inputs],
        output: [output],
        attribute: Object.entries(attributes).map(([name, value]) => intAttribute(name, value)),
      }),
    );
    return output;
  }

  private weight(name: string, dims: readonly number[], values: Float32Array): string {
    this.initializers.push(
      create(TensorProtoSchema, {
        name,
        dims: dims.map(BigInt),
        dataType: elementTypeOfDtype('float32'),
        rawData: new Uint8Array(
          values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength),
        ),
      }),
    );
    return name;
  }

  private float(name: string, values: readonly number[]): string {
    return this.weight(name, [values.length], Float32Array.from(values));
  }

  private int64(name: string, dims: readonly number[], values: readonly number[]): string {
    this.initializers.push(
      create(TensorProtoSchema, {
        name,
        dims: dims.map(BigInt),
        dataType: elementTypeOfDtype('int64'),
        int64Data: values.map(BigInt),
      }),
    );
    return name;
  }
}
