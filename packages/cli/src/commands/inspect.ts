import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describeModelPackage } from '@pcee/engine/node';
import { describeOnnxModel, type TensorType } from '@pcee/onnx';
import { ortProbeRunner } from '@pcee/runtime-node';
import type { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { readInputText } from '../files.js';
import { loadOnnxModel } from '../inputs.js';
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
  const model = await loadOnnxModel(path);
  const {
    description: json,
    nodes,
    probedOutputTypes,
  } = await describeOnnxModel(model, ortProbeRunner, basename(path));
  const { exits, cutPoints } = json;
  const text = [
    `${json.file}: opset ${json.opset}, ${nodes} nodes, ${json.parameters.toLocaleString('en-US')} parameters`,
    '',
    renderTable(
      ['input', 'dtype', 'shape'],
      json.inputs.map((input) => [input.name, input.dtype, `[${input.shape.join(', ')}]`]),
    ),
    renderTable(
      ['output', 'type', 'exit candidate'],
      json.outputs.map((output, k) => [
        output.name,
        shapeText(probedOutputTypes[k]),
        output.exit ? 'yes' : '-',
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
    json.fullModelCost !== undefined
      ? `full model (no intermediate heads): ${formatCost(json.fullModelCost)} FLOPs per sample\n`
      : '',
    cutPoints.length > 0
      ? `cut points before ${exits.at(-1)!.name} (where pcee attach can put exit heads: --at <tensor>):\n${renderTable(
          ['tensor', 'shape', 'FLOPs', 'share'],
          cutPoints.map((point) => [
            point.name,
            `[${point.shape?.join(', ') ?? '?'}]`,
            formatCost(point.flops),
            `${(100 * point.share).toFixed(1)}%`,
          ]),
        )}`
      : '',
    json.splitError ? `cannot split at these exits: ${json.splitError}\n` : '',
  ]
    .filter(Boolean)
    .join('\n');
  return { json, text };
}

async function inspectPackage(folder: string): Promise<Report> {
  const manifestPath = join(folder, 'model.json');
  const text = await readInputText(manifestPath, 'model manifest (model.json)');
  const json = await describeModelPackage(folder, text, manifestPath);
  const { stages } = json;
  const output = [
    `${json.id ?? basename(folder)}: pcee-model v${json.version}, ${json.classes ?? '?'} classes, ${stages.length} exits, ${(json.parameters ?? 0).toLocaleString('en-US')} parameters`,
    '',
    renderTable(
      ['input', 'dtype', 'shape'],
      json.inputs.map((input) => [input.name, input.dtype, `[${input.shape.join(', ')}]`]),
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
    json.fullModelCost !== undefined
      ? `full model: ${formatCost(json.fullModelCost)} FLOPs per sample${json.full ? ` (${json.full.file}: sha256 ${json.full.sha256})` : ''}\n`
      : '',
  ]
    .filter(Boolean)
    .join('\n');
  return { json, text: output };
}
