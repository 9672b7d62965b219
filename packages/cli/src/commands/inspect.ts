import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { InvalidManifestError } from '@pcee/core';
import {
  ancestorNodes,
  countDistinctParameters,
  countFlops,
  indexGraph,
  listCutPoints,
  listExitCandidates,
  partitionCosts,
  partitionGraph,
  probeModel,
  type TensorType,
  typeOfValueInfo,
} from '@pcee/onnx';
import { ortProbeRunner } from '@pcee/runtime-node';
import type { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { readInputText } from '../files.js';
import { readOnnxFile } from '../split/onnx-file.js';
import { formatCost, renderTable } from '../table.js';
import { UserError } from '../user-error.js';

interface InspectFlags {
  json?: boolean;
}

/** `pcee inspect <model.onnx | model-dir>`: inputs, outputs, exits and FLOPs, or a package's stages. */
export function registerInspect(program: Command, io: CliIo): Command {
  return program
    .command('inspect')
    .description(
      'describe an ONNX model (inputs, outputs, candidate exits and FLOPs per exit) or a model package (stages, carried tensors, costs, file hashes)',
    )
    .argument('<model>', 'an .onnx file or a model package folder (model.json + stage files)')
    .option('--json', 'print JSON instead of tables')
    .action(async (path: string, flags: InspectFlags) => {
      const info = await stat(path).catch(() => undefined);
      if (!info) throw new UserError(`model not found: ${path}`);
      const report = info.isDirectory() ? await inspectPackage(path) : await inspectOnnx(path);
      io.stdout(flags.json ? `${JSON.stringify(report.json, null, 2)}\n` : report.text);
    });
}

interface Report {
  readonly json: unknown;
  readonly text: string;
}

const shapeText = (type: TensorType | undefined) =>
  type ? `${type.dtype} [${type.shape?.join(', ') ?? '?'}]` : '?';

async function inspectOnnx(path: string): Promise<Report> {
  const name = basename(path);
  const { model } = await readOnnxFile(path);
  const probe = await probeModel(model, ortProbeRunner, name);
  const index = indexGraph(model, name);
  const candidates = listExitCandidates(model, probe.types);
  const alone = (exit: string) =>
    countFlops(
      index,
      [...ancestorNodes(index, [exit])].filter((node) => !index.constant[node]),
      probe.shapes,
    );
  let costs: ReturnType<typeof partitionCosts> | undefined;
  let problem: string | undefined;
  if (candidates.length > 0) {
    try {
      costs = partitionCosts(
        partitionGraph(
          model,
          candidates.map((candidate) => candidate.name),
          { types: probe.types, source: name },
        ),
        probe.shapes,
      );
    } catch (error) {
      problem = (error as Error).message;
    }
  }
  const inputs = probe.inputs.map((input) => ({ name: input.name, dtype: input.dtype, shape: input.shape }));
  const outputs = model.graph!.output.map((output) => {
    const type = probe.types.get(output.name) ?? typeOfValueInfo(output);
    return {
      name: output.name,
      dtype: type?.dtype,
      shape: type?.shape,
      exit: candidates.some((c) => c.name === output.name),
    };
  });
  const exits = candidates.map((candidate, k) => ({
    name: candidate.name,
    classes: candidate.classes,
    flopsAlone: alone(candidate.name),
    ...(costs
      ? {
          flops: { backbone: costs.stages[k]!.backbone, head: costs.stages[k]!.head },
          cumulative: costs.exitCosts[k],
        }
      : {}),
  }));
  // Where `pcee attach` can put heads: the cut points before the last output, if it is logits.
  const last = candidates.at(-1)?.name;
  let cutPoints: {
    name: string;
    shape: readonly (number | string)[] | undefined;
    flops: number;
    share: number;
  }[] = [];
  if (last) {
    try {
      cutPoints = listCutPoints(model, last, probe.types, probe.shapes)
        .filter((point) => point.share < 1)
        .map((point) => ({
          name: point.name,
          shape: point.type.shape,
          flops: point.flops,
          share: point.share,
        }));
    } catch {
      cutPoints = [];
    }
  }
  const parameters = countDistinctParameters([model]);
  const json = {
    file: name,
    opset: Number(model.opsetImport.find((opset) => opset.domain === '')?.version ?? 0),
    inputs,
    outputs,
    exits,
    cutPoints,
    parameters,
    ...(costs ? { fullModelCost: costs.fullModelCost, fullGraphCost: costs.fullGraphCost } : {}),
    ...(problem ? { splitError: problem } : {}),
  };
  const text = [
    `${name}: opset ${json.opset}, ${model.graph!.node.length} nodes, ${parameters.toLocaleString('en-US')} parameters`,
    '',
    renderTable(
      ['input', 'dtype', 'shape'],
      inputs.map((input) => [input.name, input.dtype, `[${input.shape.join(', ')}]`]),
    ),
    renderTable(
      ['output', 'type', 'exit candidate'],
      model.graph!.output.map((output, k) => [
        output.name,
        shapeText(probe.types.get(output.name)),
        outputs[k]!.exit ? 'yes' : '-',
      ]),
    ),
    exits.length === 0
      ? 'no output is a [batch, classes] float tensor: pcee split needs one output per exit\n'
      : renderTable(
          ['exit', 'classes', 'backbone FLOPs', 'head FLOPs', 'cumulative', 'FLOPs alone'],
          exits.map((exit) => [
            exit.name,
            exit.classes,
            exit.flops ? formatCost(exit.flops.backbone) : '-',
            exit.flops ? formatCost(exit.flops.head) : '-',
            exit.cumulative !== undefined ? formatCost(exit.cumulative) : '-',
            formatCost(exit.flopsAlone),
          ]),
        ),
    costs ? `full model (no intermediate heads): ${formatCost(costs.fullModelCost)} FLOPs per sample\n` : '',
    cutPoints.length > 0
      ? `cut points before ${last} (where pcee attach can put exit heads: --at <tensor>):\n${renderTable(
          ['tensor', 'shape', 'FLOPs', 'share'],
          cutPoints.map((point) => [
            point.name,
            `[${point.shape?.join(', ') ?? '?'}]`,
            formatCost(point.flops),
            `${(100 * point.share).toFixed(1)}%`,
          ]),
        )}`
      : '',
    problem ? `cannot split at these exits: ${problem}\n` : '',
  ]
    .filter(Boolean)
    .join('\n');
  return { json, text };
}

interface PackageStage {
  index: number;
  file: string;
  sha256: string;
  consumes?: (string | { name: string })[];
  produces?: (string | { name: string })[];
  logits?: string;
  input?: string;
  outputs?: { features?: string; logits: string };
  flops?: { backbone: number; head: number };
  parameters?: number;
}

async function inspectPackage(folder: string): Promise<Report> {
  const manifestPath = join(folder, 'model.json');
  const text = await readInputText(manifestPath, 'model manifest (model.json)');
  let manifest: {
    id?: string;
    version?: number;
    inputs?: { name: string; dtype: string; shape: unknown[] }[];
    input?: { name: string; dtype: string; shape: unknown[] };
    classes?: string[];
    stages?: PackageStage[];
    exitCosts?: number[];
    fullModelCost?: number;
    full?: { file: string; sha256: string };
    parameters?: number;
  };
  try {
    manifest = JSON.parse(text);
  } catch (error) {
    throw new InvalidManifestError(`${manifestPath} is not valid JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(manifest.stages)) {
    throw new InvalidManifestError(
      `${manifestPath} has no stages; is it a PCEE model package (format pcee-model)?`,
    );
  }
  const names = (list: PackageStage['consumes']) =>
    (list ?? []).map((entry) => (typeof entry === 'string' ? entry : entry.name));
  const files = [
    ...manifest.stages.map((stage) => ({ file: stage.file, sha256: stage.sha256 })),
    ...(manifest.full ? [manifest.full] : []),
  ];
  const hashes = await Promise.all(
    files.map(async ({ file, sha256 }) => {
      const bytes = await readFile(join(folder, file)).catch(() => undefined);
      if (!bytes) return 'missing';
      return createHash('sha256').update(bytes).digest('hex') === sha256 ? 'ok' : 'differs';
    }),
  );
  const stages = manifest.stages.map((stage, k) => ({
    index: stage.index,
    file: stage.file,
    consumes: stage.consumes ? names(stage.consumes) : [stage.input ?? '?'],
    produces: stage.produces ? names(stage.produces) : stage.outputs?.features ? ['features'] : [],
    logits: stage.logits ?? stage.outputs?.logits,
    flops: stage.flops,
    cumulative: manifest.exitCosts?.[k],
    parameters: stage.parameters,
    sha256: hashes[k],
  }));
  const inputs = manifest.inputs ?? (manifest.input ? [manifest.input] : []);
  const json = {
    id: manifest.id,
    version: manifest.version,
    inputs,
    classes: manifest.classes?.length,
    stages,
    fullModelCost: manifest.fullModelCost,
    full: manifest.full ? { file: manifest.full.file, sha256: hashes.at(-1) } : undefined,
    parameters: manifest.parameters,
  };
  const output = [
    `${manifest.id ?? basename(folder)}: pcee-model v${manifest.version}, ${manifest.classes?.length ?? '?'} classes, ${stages.length} exits, ${(manifest.parameters ?? 0).toLocaleString('en-US')} parameters`,
    '',
    renderTable(
      ['input', 'dtype', 'shape'],
      inputs.map((input) => [input.name, input.dtype, `[${input.shape.join(', ')}]`]),
    ),
    renderTable(
      [
        'stage',
        'file',
        'consumes',
        'produces',
        'backbone FLOPs',
        'head FLOPs',
        'cumulative',
        'parameters',
        'sha256',
      ],
      stages.map((stage) => [
        stage.index,
        stage.file,
        stage.consumes.join(', '),
        stage.produces.join(', ') || '-',
        stage.flops ? formatCost(stage.flops.backbone) : '-',
        stage.flops ? formatCost(stage.flops.head) : '-',
        stage.cumulative !== undefined ? formatCost(stage.cumulative) : '-',
        stage.parameters?.toLocaleString('en-US') ?? '-',
        stage.sha256 ?? '-',
      ]),
    ),
    manifest.fullModelCost !== undefined
      ? `full model: ${formatCost(manifest.fullModelCost)} FLOPs per sample${manifest.full ? ` (${manifest.full.file}: sha256 ${hashes.at(-1)})` : ''}\n`
      : '',
  ]
    .filter(Boolean)
    .join('\n');
  return { json, text: output };
}
