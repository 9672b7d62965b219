import { create } from '@bufbuild/protobuf';
import { InvalidArgumentError, UnsupportedModelError } from '@pcee/core';
import {
  type GraphProto,
  GraphProtoSchema,
  type ModelProto,
  type NodeProto,
  type OperatorSetIdProto,
  type TensorProto,
  type ValueInfoProto,
} from './onnx-proto.js';
import { withChanges } from './proto-copy.js';
import { pruneToOutputs } from './prune.js';

/** One stage graph to fuse, with how its inputs and outputs connect. */
export interface FuseStage {
  readonly model: ModelProto;
  /** Stage graph input name → tensor name in the fused graph (default: the same name). */
  readonly inputs?: Readonly<Record<string, string>>;
  /** Stage graph output name → tensor name in the fused graph (default: the same name). */
  readonly outputs?: Readonly<Record<string, string>>;
}

/** Options of `fuseStages`. */
export interface FuseOptions {
  /** Outputs of the fused graph (fused names), in order. Default: every stage's outputs. */
  readonly outputs?: readonly string[];
  /** Graph name of the fused model (default: the first stage's). */
  readonly name?: string;
}

/**
 * Fuses stage graphs into one model, the inverse of `partitionGraph`: a stage input whose
 * (mapped) name an earlier stage outputs is connected to it; any other stage input becomes
 * an input of the fused model. Internal tensor, weight and node names that clash between
 * stages (two exports of the same head module both have `head.linear.weight`) are renamed
 * `stage<k>/<name>`; a weight identical in two stages (as `partitionGraph` stores a shared
 * weight) is kept once. Nodes no requested output needs are dropped.
 *
 * Use it to build one multi-exit ONNX from separately exported stages, or to run several
 * consecutive stages as one session.
 *
 * @throws InvalidArgumentError when two stages output the same fused name or a requested
 *   output is not produced.
 * @throws UnsupportedModelError when stages import different versions of one opset.
 */
export function fuseStages(stages: readonly FuseStage[], options: FuseOptions = {}): ModelProto {
  if (stages.length === 0) throw new InvalidArgumentError('fuseStages needs at least one stage');
  const opsets = mergeOpsets(stages);
  const reserved = new Set<string>();
  for (const stage of stages) {
    const graph = stage.model.graph!;
    for (const input of graph.input) reserved.add(stage.inputs?.[input.name] ?? input.name);
    for (const output of graph.output) reserved.add(stage.outputs?.[output.name] ?? output.name);
  }
  const used = new Set<string>(); // tensor names defined so far in the fused graph
  const usedNodeNames = new Set<string>();
  const fusedInitializers = new Map<string, TensorProto>();
  const inputs: ValueInfoProto[] = [];
  const outputInfo = new Map<string, ValueInfoProto>();
  const outputOwner = new Map<string, number>();
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  const valueInfo: ValueInfoProto[] = [];

  stages.forEach((stage, k) => {
    const graph = stage.model.graph!;
    const rename = new Map<string, string>();
    const unique = (name: string) => {
      if (!used.has(name) && !reserved.has(name)) return name;
      let candidate = `stage${k}/${name}`;
      for (let n = 1; used.has(candidate) || reserved.has(candidate); n++)
        candidate = `stage${k}/${name}_${n}`;
      return candidate;
    };
    const initializerNames = new Set(graph.initializer.map((tensor) => tensor.name));
    for (const input of graph.input) {
      if (initializerNames.has(input.name)) continue;
      const name = stage.inputs?.[input.name] ?? input.name;
      rename.set(input.name, name);
      if (!used.has(name)) {
        used.add(name);
        inputs.push(withChanges(input, { name }));
      }
    }
    for (const output of graph.output) {
      const name = stage.outputs?.[output.name] ?? output.name;
      if (outputOwner.has(name)) {
        throw new InvalidArgumentError(
          `stages ${outputOwner.get(name)} and ${k} both output "${name}"; map one of them to another name (FuseStage.outputs)`,
        );
      }
      outputOwner.set(name, k);
      rename.set(output.name, name);
      outputInfo.set(name, withChanges(output, { name }));
    }
    for (const tensor of graph.initializer) {
      if (rename.has(tensor.name)) continue;
      const existing = fusedInitializers.get(tensor.name);
      if (existing && sameTensor(existing, tensor)) {
        rename.set(tensor.name, tensor.name);
        continue;
      }
      const name = unique(tensor.name);
      rename.set(tensor.name, name);
      used.add(name);
      const renamed = name === tensor.name ? tensor : withChanges(tensor, { name });
      fusedInitializers.set(name, renamed);
      initializers.push(renamed);
    }
    for (const node of graph.node) {
      for (const output of node.output) {
        if (output === '' || rename.has(output)) continue;
        rename.set(output, unique(output));
      }
    }
    for (const name of rename.values()) used.add(name);
    const mapName = (name: string) => (name === '' ? '' : (rename.get(name) ?? name));
    for (const node of graph.node) {
      let nodeName = node.name;
      if (nodeName !== '' && usedNodeNames.has(nodeName)) {
        nodeName = `stage${k}/${node.name}`;
        for (let n = 1; usedNodeNames.has(nodeName); n++) nodeName = `stage${k}/${node.name}_${n}`;
      }
      if (nodeName !== '') usedNodeNames.add(nodeName);
      nodes.push(
        withChanges(node, {
          name: nodeName,
          input: node.input.map(mapName),
          output: node.output.map(mapName),
          attribute: node.attribute.map((attribute) =>
            attribute.g || attribute.graphs.length > 0
              ? withChanges(attribute, {
                  g: attribute.g && renameOuterReads(attribute.g, mapName),
                  graphs: attribute.graphs.map((subgraph) => renameOuterReads(subgraph, mapName)),
                })
              : attribute,
          ),
        }),
      );
    }
    for (const info of graph.valueInfo) {
      const name = mapName(info.name);
      if (!outputInfo.has(name)) valueInfo.push(withChanges(info, { name }));
    }
  });

  const outputs = options.outputs ?? [...outputInfo.keys()];
  for (const output of outputs) {
    if (!outputInfo.has(output)) {
      throw new InvalidArgumentError(
        `no stage outputs "${output}"; the stages output: ${[...outputInfo.keys()].join(', ')}`,
      );
    }
  }
  const first = stages[0]!.model;
  const fused = withChanges(first, {
    irVersion: highestIrVersion(stages),
    opsetImport: opsets,
    functions: uniqueFunctions(stages),
    trainingInfo: [],
    graph: create(GraphProtoSchema, {
      name: options.name ?? first.graph?.name ?? 'fused',
      node: nodes,
      initializer: initializers,
      input: inputs,
      output: outputs.map((name) => outputInfo.get(name)!),
      valueInfo: [
        ...valueInfo,
        ...[...outputInfo].filter(([name]) => !outputs.includes(name)).map(([, info]) => info),
      ],
    }),
  });
  return pruneToOutputs(fused, outputs).model;
}

function mergeOpsets(stages: readonly FuseStage[]): OperatorSetIdProto[] {
  const byDomain = new Map<string, { opset: OperatorSetIdProto; stage: number }>();
  stages.forEach((stage, k) => {
    for (const opset of stage.model.opsetImport) {
      const seen = byDomain.get(opset.domain);
      if (!seen) byDomain.set(opset.domain, { opset, stage: k });
      else if (seen.opset.version !== opset.version) {
        throw new UnsupportedModelError(
          `stage ${k} imports opset ${opset.version} of domain "${opset.domain || 'ai.onnx'}" but stage ${seen.stage} imports ${seen.opset.version}; export every stage with the same opset_version`,
        );
      }
    }
  });
  return [...byDomain.values()].map(({ opset }) => opset);
}

function uniqueFunctions(stages: readonly FuseStage[]) {
  const seen = new Map<string, ModelProto['functions'][number]>();
  for (const stage of stages) {
    for (const fn of stage.model.functions) {
      const key = `${fn.domain}\u0000${fn.name}\u0000${fn.overload}`;
      if (!seen.has(key)) seen.set(key, fn);
    }
  }
  return [...seen.values()];
}

/** A subgraph whose reads of enclosing-scope names are renamed (its own names stay). */
function renameOuterReads(graph: GraphProto, mapName: (name: string) => string): GraphProto {
  const local = new Set<string>([...graph.input.map((i) => i.name), ...graph.initializer.map((t) => t.name)]);
  for (const node of graph.node) for (const output of node.output) local.add(output);
  const inner = (name: string) => (name === '' || local.has(name) ? name : mapName(name));
  return withChanges(graph, {
    node: graph.node.map((node) =>
      withChanges(node, {
        input: node.input.map(inner),
        attribute: node.attribute.map((attribute) =>
          attribute.g || attribute.graphs.length > 0
            ? withChanges(attribute, {
                g: attribute.g && renameOuterReads(attribute.g, inner),
                graphs: attribute.graphs.map((subgraph) => renameOuterReads(subgraph, inner)),
              })
            : attribute,
        ),
      }),
    ),
  });
}

/** Same dtype, dims and stored values (compared field by field, raw bytes byte by byte). */
function sameTensor(a: TensorProto, b: TensorProto): boolean {
  return (
    a.dataType === b.dataType &&
    a.dataLocation === b.dataLocation &&
    sameArray(a.dims, b.dims) &&
    sameArray(a.rawData, b.rawData) &&
    sameArray(a.floatData, b.floatData) &&
    sameArray(a.int32Data, b.int32Data) &&
    sameArray(a.int64Data, b.int64Data) &&
    sameArray(a.doubleData, b.doubleData) &&
    sameArray(a.uint64Data, b.uint64Data) &&
    a.stringData.length === b.stringData.length &&
    a.stringData.every((value, k) => sameArray(value, b.stringData[k]!)) &&
    a.externalData.length === 0 &&
    b.externalData.length === 0
  );
}

function sameArray<T>(a: ArrayLike<T>, b: ArrayLike<T>): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (!Object.is(a[k], b[k])) return false;
  return true;
}

function highestIrVersion(stages: readonly FuseStage[]): bigint {
  let highest = 0n;
  for (const stage of stages) if (stage.model.irVersion > highest) highest = stage.model.irVersion;
  return highest;
}
