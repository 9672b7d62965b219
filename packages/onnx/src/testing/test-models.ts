import type { ModelProto } from '../onnx-proto.js';
import { floatTensor, GraphBuilder } from './graph-builder.js';

/** Classes of every test model's exits. */
export const CLASSES = 3;

/** A mean-pooled linear exit head on a [batch, tokens, d] tensor (or [batch, d] when `pool` is false). */
function head(builder: GraphBuilder, x: string, d: number, name: string, pool = true): string {
  const pooled = pool ? builder.op('ReduceMean', [x], { axes: [1], keepdims: 0 }) : x;
  builder.output(name, 'float32', ['batch', CLASSES]);
  return builder.linear(pooled, d, CLASSES, name);
}

/** Three exits on a plain MLP chain: each stage carries one tensor. */
export function mlpChain(): ModelProto {
  const b = new GraphBuilder(1);
  let h = b.input('x', 'float32', ['batch', 8]);
  for (let exit = 0; exit < 3; exit++) {
    h = b.op('Relu', [b.linear(h, 8, 8)], {}, `h${exit + 1}`);
    head(b, h, 8, `exit_${exit}`, false);
  }
  return b.build('mlp_chain');
}

/** A residual connection that crosses exit 0: stage 1 reads `a` (from before exit 0's trunk end) and `b`. */
export function skipAcrossExit(): ModelProto {
  const g = new GraphBuilder(2);
  const x = g.input('x', 'float32', ['batch', 8]);
  const a = g.op('Relu', [g.linear(x, 8, 8)], {}, 'a');
  const bTensor = g.op('Relu', [g.linear(a, 8, 8)], {}, 'b');
  head(g, bTensor, 8, 'exit_0', false);
  const c = g.op('Add', [g.linear(bTensor, 8, 8), a], {}, 'c');
  head(g, g.op('Relu', [c]), 8, 'exit_1', false);
  return g.build('skip_across_exit');
}

/** Two feature maps at two scales carried across exit 0 (MSDNet-style). */
export function multiScale(): ModelProto {
  const g = new GraphBuilder(3);
  const image = g.input('image', 'float32', ['batch', 1, 8, 8]);
  const conv = (x: string, cin: number, cout: number, stride: number, name?: string) =>
    g.op(
      'Relu',
      [
        g.op('Conv', [x, g.weight([cout, cin, 3, 3]), g.weight([cout])], {
          pads: [1, 1, 1, 1],
          strides: [stride, stride],
        }),
      ],
      {},
      name,
    );
  const fine = conv(image, 1, 4, 1, 'fine');
  const coarse = conv(fine, 4, 8, 2, 'coarse');
  const pooled = g.op('Flatten', [g.op('GlobalAveragePool', [coarse])]);
  g.output('exit_0', 'float32', ['batch', CLASSES]);
  g.op('Gemm', [pooled, g.weight([CLASSES, 8]), g.weight([CLASSES])], { transB: 1 }, 'exit_0');
  const fine2 = conv(fine, 4, 4, 1);
  const coarse2 = g.op('Add', [conv(coarse, 8, 8, 1), conv(fine2, 4, 8, 2)]);
  g.output('exit_1', 'float32', ['batch', CLASSES]);
  g.op(
    'Gemm',
    [g.op('Flatten', [g.op('GlobalAveragePool', [coarse2])]), g.weight([CLASSES, 8]), g.weight([CLASSES])],
    { transB: 1 },
    'exit_1',
  );
  return g.build('multi_scale');
}

/**
 * A BERT-style classifier: int64 `input_ids` and `attention_mask` [batch, sequence], token and
 * position embeddings, one attention layer per exit. The additive mask is computed once and
 * carried; a reshape target computed from `Shape(input_ids)` in stage 0 is read in stage 1
 * (a tensor without a batch axis, so stage 1 must recompute it).
 */
export function bertLike(layers = 3, vocabulary = 50): ModelProto {
  const g = new GraphBuilder(4);
  const d = 16;
  const ids = g.input('input_ids', 'int64', ['batch', 'sequence']);
  const mask = g.input('attention_mask', 'int64', ['batch', 'sequence']);
  const shape = g.op('Shape', [ids]);
  const length = g.op('Gather', [shape, g.ints([1], [])], { axis: 0 });
  const positions = g.op('Range', [g.ints([0], []), length, g.ints([1], [])]);
  const tokens = g.op('Gather', [g.weight([vocabulary, d], 1, undefined, 'token_embedding'), ids]);
  let h = g.op('Add', [tokens, g.op('Gather', [g.weight([32, d], 1), positions])], {}, 'embeddings');
  const maskFloat = g.op('Cast', [g.op('Unsqueeze', [mask, g.ints([1])])], { to: 1 });
  const additive = g.op(
    'Mul',
    [g.op('Sub', [g.weight([1], 0, [1]), maskFloat]), g.weight([1], 0, [-10000])],
    {},
    'mask_additive',
  );
  // [batch, sequence, 2, 8]: a per-head view, built from Shape(input_ids) once, here.
  const headsShape = g.op('Concat', [g.op('Slice', [shape, g.ints([0]), g.ints([2])]), g.ints([2, 8])], {
    axis: 0,
  });
  for (let layer = 0; layer < layers; layer++) {
    const q = g.linear(h, d, d);
    const k = g.linear(h, d, d);
    const v = g.linear(h, d, d);
    const scores = g.op('Add', [
      g.op('Mul', [
        g.op('MatMul', [q, g.op('Transpose', [k], { perm: [0, 2, 1] })]),
        g.weight([1], 0, [0.25]),
      ]),
      additive,
    ]);
    const attended = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), v]);
    // A reshape round trip through the per-head view (as multi-head code does).
    const perHead = g.op('Reshape', [attended, headsShape]);
    const merged = g.op('Reshape', [perHead, g.op('Shape', [attended])]);
    h = g.op('Add', [h, g.linear(merged, d, d)], {}, `hidden_${layer + 1}`);
    head(g, h, d, `exit_${layer}`);
  }
  return g.build('bert_like');
}

/** Hidden states carried sequence-first, `[sequence, batch, d]` (PyTorch's nn.MultiheadAttention default). */
export function sequenceFirst(): ModelProto {
  const g = new GraphBuilder(5);
  const x = g.input('x', 'float32', ['batch', 'sequence', 4]);
  const t = g.op('Transpose', [g.linear(x, 4, 4)], { perm: [1, 0, 2] }, 'sequence_first');
  const headOn = (tensor: string, name: string) => {
    g.output(name, 'float32', ['batch', CLASSES]);
    return g.linear(g.op('ReduceMean', [tensor], { axes: [0], keepdims: 0 }), 4, CLASSES, name);
  };
  headOn(t, 'exit_0');
  headOn(g.op('Relu', [g.linear(t, 4, 4)]), 'exit_1');
  return g.build('sequence_first');
}

/** A `[batch*sequence, d]` tensor computed by a MatMul crosses exit 0: it has no batch axis. */
export function flattenedAcrossExit(): ModelProto {
  const g = new GraphBuilder(6);
  const x = g.input('x', 'float32', ['batch', 'sequence', 4]);
  const rows = g.op('MatMul', [g.op('Reshape', [x, g.ints([-1, 4])]), g.weight([4, 4])], {}, 'rows');
  const back = (tensor: string) => g.op('Reshape', [tensor, g.op('Shape', [x])]);
  head(g, back(rows), 4, 'exit_0');
  head(g, back(g.op('MatMul', [rows, g.weight([4, 4])])), 4, 'exit_1');
  return g.build('flattened_across_exit');
}

/** An If node inside stage 1 (its branches read a tensor of the outer graph). */
export function controlFlow(): ModelProto {
  const g = new GraphBuilder(8);
  const x = g.input('x', 'float32', ['batch', 4]);
  const h = g.op('Relu', [g.linear(x, 4, 4)], {}, 'h');
  head(g, h, 4, 'exit_0', false);
  const branch = (op: string) => {
    const sub = new GraphBuilder(9);
    sub.output(`${op.toLowerCase()}_out`, 'float32', ['batch', 4]);
    sub.op(op, [h], {}, `${op.toLowerCase()}_out`);
    return { graph: sub.graph(op) };
  };
  const positive = g.op('ReduceSum', [g.op('ReduceSum', [h], { keepdims: 0 })], { keepdims: 0 });
  const condition = g.op('Greater', [positive, g.weight([], 0, [0])]);
  const chosen = g.op('If', [condition], { then_branch: branch('Relu'), else_branch: branch('Neg') });
  head(g, chosen, 4, 'exit_1', false);
  return g.build('control_flow');
}

/** One weight read by both exits' stages (a tied embedding), and a Constant read by both. */
export function sharedWeight(): ModelProto {
  const g = new GraphBuilder(10);
  const x = g.input('x', 'float32', ['batch', 4]);
  const shared = g.weight([4, 4], 0.5, undefined, 'shared');
  const scale = g.op(
    'Constant',
    [],
    { value: { tensor: floatTensor('scale_value', [], new Float32Array([0.5])) } },
    'scale',
  );
  const a = g.op('Relu', [g.op('Mul', [g.op('MatMul', [x, shared]), scale])], {}, 'a');
  head(g, a, 4, 'exit_0', false);
  const b = g.op('Relu', [g.op('Mul', [g.op('MatMul', [a, shared]), scale])], {}, 'b');
  head(g, b, 4, 'exit_1', false);
  return g.build('shared_weight');
}
