import { create } from '@bufbuild/protobuf';
import {
  elementTypeOfDtype,
  GraphProtoSchema,
  intAttribute,
  type ModelProto,
  ModelProtoSchema,
  type NodeProto,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  TensorProtoSchema,
  valueInfo,
  writeModel,
} from '@pcee/onnx';

/** The kinds of exit head `attach` trains. */
export type HeadKind = 'linear' | 'mlp';

/** The parameters of a head, in the order the gradient model takes and returns them. */
export interface HeadParameterShapes {
  readonly names: readonly string[];
  readonly shapes: readonly (readonly number[])[];
}

/** Parameter names and shapes of a head on D features into C classes (H hidden units for `mlp`). */
export function headParameterShapes(
  kind: HeadKind,
  features: number,
  classes: number,
  hidden: number,
): HeadParameterShapes {
  if (kind === 'linear') return { names: ['weight', 'bias'], shapes: [[features, classes], [classes]] };
  return {
    names: ['weight1', 'bias1', 'weight2', 'bias2'],
    shapes: [[features, hidden], [hidden], [hidden, classes], [classes]],
  };
}

/**
 * An ONNX model that computes, for a batch `x` [N, D] with one-hot targets `y` [N, C] and
 * `scale` [1] (= 1/N), the mean cross-entropy `loss` [1], its gradient with respect to every
 * head parameter (`grad_<name>`) and the `logits` [N, C]. The backward pass is written out by
 * hand (softmax − target, then the chain rule through Gemm and ReLU), so onnxruntime's matrix
 * kernels do the heavy work of training in one `run` per step; the L2 term is added outside.
 */
export function headGradientModel(
  kind: HeadKind,
  features: number,
  classes: number,
  hidden: number,
): Uint8Array {
  const nodes: NodeProto[] = [];
  const add = (
    opType: string,
    inputs: string[],
    output: string,
    attributes: Record<string, number | number[]> = {},
  ) => {
    nodes.push(
      create(NodeProtoSchema, {
        name: output,
        opType,
        input: inputs,
        output: [output],
        attribute: Object.entries(attributes).map(([name, value]) => intAttribute(name, value)),
      }),
    );
    return output;
  };
  const parameters = headParameterShapes(kind, features, classes, hidden);
  let logits: string;
  let hiddenPre = '';
  let activated = '';
  if (kind === 'linear') {
    logits = add('Gemm', ['x', 'weight', 'bias'], 'logits');
  } else {
    hiddenPre = add('Gemm', ['x', 'weight1', 'bias1'], 'hidden');
    activated = add('Relu', [hiddenPre], 'activated');
    logits = add('Gemm', [activated, 'weight2', 'bias2'], 'logits');
  }
  const logProbabilities = add('LogSoftmax', [logits], 'log_probabilities', { axis: 1 });
  const total = add('ReduceSum', [add('Mul', ['y', logProbabilities], 'target_log_probabilities')], 'total', {
    keepdims: 0,
  });
  add('Mul', [add('Neg', [total], 'negative_total'), 'scale'], 'loss');
  // d loss / d logits = (softmax − y) / N.
  const delta = add(
    'Mul',
    [add('Sub', [add('Exp', [logProbabilities], 'probabilities'), 'y'], 'residual'), 'scale'],
    'delta',
  );
  if (kind === 'linear') {
    add('Gemm', ['x', delta], 'grad_weight', { transA: 1 });
    add('ReduceSum', [delta, 'axis0'], 'grad_bias', { keepdims: 0 });
  } else {
    add('Gemm', [activated, delta], 'grad_weight2', { transA: 1 });
    add('ReduceSum', [delta, 'axis0'], 'grad_bias2', { keepdims: 0 });
    const back = add('Gemm', [delta, 'weight2'], 'back', { transB: 1 });
    const open = add('Cast', [add('Greater', [hiddenPre, 'zero'], 'open_bool')], 'open', { to: 1 });
    const hiddenDelta = add('Mul', [back, open], 'hidden_delta');
    add('Gemm', ['x', hiddenDelta], 'grad_weight1', { transA: 1 });
    add('ReduceSum', [hiddenDelta, 'axis0'], 'grad_bias1', { keepdims: 0 });
  }
  const inputs = [
    valueInfo('x', { dtype: 'float32', shape: ['batch', features] }),
    valueInfo('y', { dtype: 'float32', shape: ['batch', classes] }),
    valueInfo('scale', { dtype: 'float32', shape: [1] }),
    ...parameters.names.map((name, k) =>
      valueInfo(name, { dtype: 'float32', shape: [...parameters.shapes[k]!] }),
    ),
  ];
  const outputs = [
    valueInfo('loss', { dtype: 'float32', shape: [1] }),
    valueInfo('logits', { dtype: 'float32', shape: ['batch', classes] }),
    ...parameters.names.map((name, k) =>
      valueInfo(`grad_${name}`, { dtype: 'float32', shape: [...parameters.shapes[k]!] }),
    ),
  ];
  const model: ModelProto = create(ModelProtoSchema, {
    irVersion: 8n,
    producerName: 'pcee-attach',
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: 17n })],
    graph: create(GraphProtoSchema, {
      name: `${kind}-head-gradient`,
      node: nodes,
      initializer: [int64Initializer('axis0', [0]), ...(kind === 'mlp' ? [floatInitializer('zero', 0)] : [])],
      input: inputs,
      output: outputs,
    }),
  });
  return writeModel(model, 'head gradient model');
}

function int64Initializer(name: string, values: number[]) {
  return create(TensorProtoSchema, {
    name,
    dims: [BigInt(values.length)],
    dataType: elementTypeOfDtype('int64'),
    int64Data: values.map(BigInt),
  });
}

function floatInitializer(name: string, value: number) {
  return create(TensorProtoSchema, {
    name,
    dims: [],
    dataType: elementTypeOfDtype('float32'),
    floatData: [value],
  });
}
