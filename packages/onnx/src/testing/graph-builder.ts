import { create } from '@bufbuild/protobuf';
import { type Dimension, elementTypeOfDtype, type OnnxDtype, valueInfo } from '../index.js';
import {
  type AttributeProto,
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  type GraphProto,
  GraphProtoSchema,
  type ModelProto,
  ModelProtoSchema,
  type NodeProto,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  type TensorProto,
  TensorProtoSchema,
  type ValueInfoProto,
} from '../onnx-proto.js';

/** An attribute value: integer(s) (as numbers), a float, a tensor or a subgraph. */
export type AttributeValue =
  | number
  | number[]
  | { float: number }
  | { tensor: TensorProto }
  | { graph: GraphProto };

/**
 * Builds small ONNX graphs for tests, with seeded random weights, so each test states the
 * exact structure it checks (a skip connection across an exit, a sequence-first tensor, an
 * If node) without PyTorch.
 */
export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private counter = 0;
  private state: number;

  constructor(seed = 7) {
    this.state = seed;
  }

  /** Declares a graph input. */
  input(name: string, dtype: OnnxDtype, shape: readonly Dimension[]): string {
    this.inputs.push(valueInfo(name, { dtype, shape }));
    return name;
  }

  /** Declares a graph output. */
  output(name: string, dtype: OnnxDtype, shape: readonly Dimension[]): string {
    this.outputs.push(valueInfo(name, { dtype, shape }));
    return name;
  }

  /** A float32 weight with values uniform in [-scale, scale] (or the given values). */
  weight(dims: readonly number[], scale = 0.5, values?: readonly number[], name?: string): string {
    const count = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(count);
    for (let k = 0; k < count; k++) data[k] = values ? values[k]! : (this.random() * 2 - 1) * scale;
    const tensorName = name ?? `w${this.counter++}`;
    this.initializers.push(floatTensor(tensorName, dims, data));
    return tensorName;
  }

  /** An int64 initializer (shapes, axes, indices). */
  ints(values: readonly number[], dims: readonly number[] = [values.length], name?: string): string {
    const tensorName = name ?? `i${this.counter++}`;
    this.initializers.push(int64Tensor(tensorName, dims, values));
    return tensorName;
  }

  /** Adds a node; returns its outputs (one generated name per `outputs` count when not named). */
  node(
    opType: string,
    inputs: readonly string[],
    attributes: Record<string, AttributeValue> = {},
    outputs: number | readonly string[] = 1,
  ): string[] {
    const names =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, () => `${opType.toLowerCase()}_${this.counter++}`)
        : [...outputs];
    this.nodes.push(
      create(NodeProtoSchema, {
        name: `${opType}_${this.counter++}`,
        opType,
        input: [...inputs],
        output: names,
        attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
      }),
    );
    return names;
  }

  /** `node` for a single output. */
  op(
    opType: string,
    inputs: readonly string[],
    attributes: Record<string, AttributeValue> = {},
    output?: string,
  ): string {
    return this.node(opType, inputs, attributes, output ? [output] : 1)[0]!;
  }

  /** A Linear layer on the last axis: MatMul by a [in, out] weight plus a bias. */
  linear(x: string, inFeatures: number, outFeatures: number, output?: string): string {
    const product = this.op('MatMul', [x, this.weight([inFeatures, outFeatures])]);
    return this.op('Add', [product, this.weight([outFeatures])], {}, output);
  }

  /** The graph alone (for subgraph attributes). */
  graph(name = 'test'): GraphProto {
    return create(GraphProtoSchema, {
      name,
      node: this.nodes,
      initializer: this.initializers,
      input: this.inputs,
      output: this.outputs,
    });
  }

  /** The model, at opset 17 and IR version 8 (what torch.onnx.export writes at opset 17). */
  build(name = 'test', opset = 17): ModelProto {
    return create(ModelProtoSchema, {
      irVersion: 8n,
      producerName: 'pcee-test',
      opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(opset) })],
      graph: this.graph(name),
    });
  }

  private random(): number {
    this.state = (this.state * 1103515245 + 12345) % 2147483648;
    return this.state / 2147483648;
  }
}

/** A float32 tensor stored as raw little-endian bytes. */
export function floatTensor(name: string, dims: readonly number[], data: Float32Array): TensorProto {
  return create(TensorProtoSchema, {
    name,
    dims: dims.map(BigInt),
    dataType: elementTypeOfDtype('float32'),
    rawData: new Uint8Array(data.buffer.slice(0)),
  });
}

/** An int64 tensor stored in `int64_data`. */
export function int64Tensor(name: string, dims: readonly number[], values: readonly number[]): TensorProto {
  return create(TensorProtoSchema, {
    name,
    dims: dims.map(BigInt),
    dataType: elementTypeOfDtype('int64'),
    int64Data: values.map(BigInt),
  });
}

function attribute(name: string, value: AttributeValue): AttributeProto {
  if (typeof value === 'number') {
    return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INT, i: BigInt(value) });
  }
  if (Array.isArray(value)) {
    return create(AttributeProtoSchema, {
      name,
      type: AttributeProto_AttributeType.INTS,
      ints: value.map(BigInt),
    });
  }
  if ('float' in value)
    return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOAT, f: value.float });
  if ('tensor' in value) {
    return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.TENSOR, t: value.tensor });
  }
  return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.GRAPH, g: value.graph });
}
