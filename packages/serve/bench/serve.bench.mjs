// Measures: `pcee serve` throughput and latency, early exit vs full.onnx, over JSON, binary REST and gRPC.
// `pcee serve` under load: early exit vs the same server on full.onnx (--baseline), each over
// JSON REST, binary REST (the binary tensor extension) and gRPC (OIP v2 grpc_predict_v2.proto),
// for fmnist-vit-large and fmnist-cnn-large, in one run; then a 30 s overload at 4× capacity.
// Run: npm run bench -w @pcee/serve (after building the CLI: npx turbo run build --filter=@pcee/cli...).
//
// - The server is the real CLI in a child process (REST and --grpc-port); autocannon drives REST
//   on loopback at a fixed number of connections, a closed loop of as many outstanding
//   @grpc/grpc-js calls drives gRPC; each request carries PCEE_BENCH_SAMPLES_PER_REQUEST test
//   images. PCEE_BENCH_PROTOCOLS (json,binary,grpc) picks protocols; PCEE_BENCH_PER_STAGE=1 adds
//   early exit with --batching per-stage.
// - δ is chosen on validation traces only: the profile is calibrated on the first half of
//   val.npz, and δ is the cheapest (over every δ where the policy can change: the profile's bin
//   accuracies) whose accuracy on the second half is within 0.25 pt of the final exit's there
//   (half of the 0.5 pt budget, the rest left for validation→test). PCEE_BENCH_DELTA fixes it.
// - Requests carry every model input by name (model.json, version 2), sliced from the test
//   .npz (the array named after the input, or `x` for a one-input model), in its own dtype.
// - Accuracy is measured afterwards, untimed, by sending the labelled test images (all 10,000,
//   or the first PCEE_BENCH_ACCURACY_SAMPLES).
// - Configurations are interleaved round by round (the protocols within each server, their order
//   rotated every round) and the median round counts: other processes share this machine, and
//   interleaving lets their load hit every configuration alike.
// - Accuracy is measured over every protocol; the answers are identical (the transport tests pin
//   it), so one accuracy per configuration is reported, checked equal across protocols.
// - `--workers 0,default` (or PCEE_BENCH_WORKERS) runs every configuration once per protocol
//   worker setting, interleaved: 0 decodes on the main thread, `default` is pcee serve's default
//   (one per 4 cores, 1 to 4, with onnxruntime's intra-op threads balanced against them), a number
//   is passed as --workers. Ratios are taken against the baseline with the same setting.
// - PCEE_BENCH_SWEEP=early-exit (or baseline) instead sweeps --max-batch × --max-delay-ms, which
//   is how the defaults were chosen. Batching settings change no prediction, only speed.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import {
  calibrate,
  candidateDeltas,
  createTraces,
  evaluateFullModel,
  manifestCosts,
  modelFingerprint,
  parseManifest,
  readNpz,
  readTraces,
  scoreExits,
  serializeProfile,
  sweepDeltas,
} from '@pcee/core';
import { modelDir, testInputsPath } from '@pcee/models';
import { encodeTensorBytes, loadOipGrpcService } from '@pcee/serve';
import autocannon from 'autocannon';
import { median, printJson, printTable } from '../../../scripts/bench/bench-kit.mjs';
import { requireBuiltCli, startServer as startCliServer, stopServer } from './cli-server.mjs';

/** The server with gRPC beside REST: every protocol is measured against the same process. */
const startServer = (args) => startCliServer(args, { grpc: true });

const env = (name, fallback) => Number(process.env[name] ?? fallback);
const SECONDS = env('PCEE_BENCH_SECONDS', 10);
const ROUNDS = env('PCEE_BENCH_ROUNDS', 3);
const CONNECTIONS = env('PCEE_BENCH_CONNECTIONS', 64);
const SAMPLES_PER_REQUEST = env('PCEE_BENCH_SAMPLES_PER_REQUEST', 1);
const OVERLOAD_SECONDS = env('PCEE_BENCH_OVERLOAD_SECONDS', 30);
// Overload requests carry several images, so 4× capacity in samples is a request rate one
// Node thread can still parse and refuse (refusing costs reading the body).
const OVERLOAD_SAMPLES_PER_REQUEST = env('PCEE_BENCH_OVERLOAD_SAMPLES_PER_REQUEST', 16);
const MODELS = (process.env.PCEE_BENCH_MODELS ?? 'fmnist-vit-large,fmnist-cnn-large').split(',');
const ACCURACY_SLACK_ON_VALIDATION = env('PCEE_BENCH_ACCURACY_SLACK', 0.0025);
const FIXED_DELTA = process.env.PCEE_BENCH_DELTA ? Number(process.env.PCEE_BENCH_DELTA) : undefined;
const PROTOCOLS = (process.env.PCEE_BENCH_PROTOCOLS ?? 'json,binary,grpc').split(',');
const GRPC_CHANNELS = env('PCEE_BENCH_GRPC_CHANNELS', 4);
const workersArgument = process.argv.indexOf('--workers');
/** Protocol worker settings to compare: `default` (pcee serve's own) or a count. */
const WORKERS = (
  (workersArgument >= 0 ? process.argv[workersArgument + 1] : undefined) ??
  process.env.PCEE_BENCH_WORKERS ??
  'default'
).split(',');
const GrpcService = loadOipGrpcService();

requireBuiltCli();
const work = mkdtempSync(join(tmpdir(), 'pcee-serve-bench-'));
const test = readNpz(new Uint8Array(readFileSync(testInputsPath())));
const allLabels = Int32Array.from(test.get('labels').data, Number);
const labels = allLabels.subarray(
  0,
  Math.min(allLabels.length, env('PCEE_BENCH_ACCURACY_SAMPLES', Infinity)),
);

/** Open Inference Protocol datatype of an .npz dtype. */
const OIP_DATATYPES = {
  bool: 'BOOL',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  int16: 'INT16',
  int8: 'INT8',
  int32: 'INT32',
  int64: 'INT64',
  float16: 'FP16',
  float32: 'FP32',
  float64: 'FP64',
};

/**
 * The OIP request inputs for test samples [start, end): every model input by name, from the
 * test .npz array of that name (or `x` for a one-input model), raw, in the array's dtype (the
 * server applies the input's preprocessing).
 */
function requestInputs(manifest, start, end) {
  return manifest.inputs.map((input) => {
    const array = test.get(input.name) ?? (manifest.inputs.length === 1 ? test.get('x') : undefined);
    if (!array) throw new Error(`the test .npz has no array "${input.name}" for model "${manifest.id}"`);
    const perSample = array.data.length / array.shape[0];
    const datatype = OIP_DATATYPES[array.dtype];
    if (!datatype) throw new Error(`test array "${input.name}" is ${array.dtype}, which OIP cannot carry`);
    return {
      name: input.name,
      shape: [end - start, ...array.shape.slice(1)],
      datatype,
      data: Array.from(array.data.subarray(start * perSample, end * perSample), Number),
    };
  });
}

/**
 * Request bodies of `samplesPerRequest` samples each from the first 512 test samples (autocannon
 * keeps an encoded copy of every body per connection, so the set stays small).
 */
function bodies(manifest, samplesPerRequest) {
  const out = [];
  for (let start = 0; start + samplesPerRequest <= 512; start += samplesPerRequest) {
    out.push(JSON.stringify({ inputs: requestInputs(manifest, start, start + samplesPerRequest) }));
  }
  return out;
}

/** The inputs of samples [start, end) as raw little-endian bytes (binary REST and gRPC). */
function rawInputs(manifest, start, end) {
  return requestInputs(manifest, start, end).map(({ data, ...input }) => ({
    ...input,
    bytes: Buffer.from(encodeTensorBytes(input.datatype, data)),
  }));
}

/**
 * Binary-extension requests for samples [start, end): the JSON header with binary_data_size per
 * input, then the bytes; every output asked back as binary.
 */
function binaryRequest(manifest, start, end, outputs) {
  const inputs = rawInputs(manifest, start, end);
  const header = Buffer.from(
    JSON.stringify({
      inputs: inputs.map(({ bytes, ...input }) => ({
        ...input,
        parameters: { binary_data_size: bytes.byteLength },
      })),
      parameters: { binary_data_output: true },
      ...(outputs ? { outputs: outputs.map((name) => ({ name })) } : {}),
    }),
  );
  return {
    body: Buffer.concat([header, ...inputs.map((input) => input.bytes)]),
    headerLength: header.byteLength,
  };
}

/** A gRPC ModelInferRequest for samples [start, end), inputs in raw_input_contents. */
function grpcRequest(manifest, start, end, outputs) {
  const inputs = rawInputs(manifest, start, end);
  return {
    model_name: manifest.id,
    inputs: inputs.map(({ name, datatype, shape }) => ({ name, datatype, shape })),
    outputs: (outputs ?? []).map((name) => ({ name })),
    raw_input_contents: inputs.map((input) => input.bytes),
  };
}

/** The requests of one protocol for the load runs (the same samples as `bodies`). */
function protocolRequests(protocol, manifest, samplesPerRequest) {
  const out = [];
  for (let start = 0; start + samplesPerRequest <= 512; start += samplesPerRequest) {
    const end = start + samplesPerRequest;
    if (protocol === 'json')
      out.push({ method: 'POST', body: JSON.stringify({ inputs: requestInputs(manifest, start, end) }) });
    else if (protocol === 'binary') {
      const { body, headerLength } = binaryRequest(manifest, start, end);
      out.push({
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/octet-stream',
          'inference-header-content-length': String(headerLength),
        },
      });
    } else out.push(grpcRequest(manifest, start, end));
  }
  return out;
}

/** Profile on val[0, N/2), δ chosen on val[N/2, N): validation data only. */
function calibrateOnValidation(id) {
  const folder = modelDir(id);
  const manifest = parseManifest(readFileSync(join(folder, 'model.json'), 'utf8'));
  const costs = manifestCosts(manifest);
  const traces = readTraces(new Uint8Array(readFileSync(join(folder, 'val.npz'))), 'val.npz');
  const half = traces.samples >> 1;
  const part = (from, to) => {
    const row = traces.exits * traces.classes;
    return createTraces(traces.logits.slice(from * row, to * row), traces.labels.slice(from, to), {
      samples: to - from,
      exits: traces.exits,
      classes: traces.classes,
    });
  };
  const profile = calibrate(part(0, half), {
    costs,
    model: { id: manifest.id, fingerprint: modelFingerprint(manifest) },
  });
  const holdout = scoreExits(part(half, traces.samples), profile.confidence);
  const final = evaluateFullModel(holdout, costs).accuracy;
  const deltas = FIXED_DELTA === undefined ? candidateDeltas(profile, 'pcee') : [FIXED_DELTA];
  const swept = sweepDeltas(holdout, profile, 'pcee', deltas, costs);
  const rows = swept
    .filter((row) => FIXED_DELTA !== undefined || row.accuracy >= final - ACCURACY_SLACK_ON_VALIDATION)
    .sort((a, b) => a.meanCost - b.meanCost || b.accuracy - a.accuracy || b.delta - a.delta);
  // The profile comes from the other half, so no δ may qualify on this one: then the most
  // accurate δ (the cheapest among equals), said on stderr.
  let chosen = rows[0];
  if (!chosen) {
    chosen = [...swept].sort((a, b) => b.accuracy - a.accuracy || a.meanCost - b.meanCost)[0];
    console.error(
      `${id}: no δ is within ${ACCURACY_SLACK_ON_VALIDATION} of the final exit (${final.toFixed(4)}) on the validation holdout; using the most accurate, δ ${chosen.delta} (${chosen.accuracy.toFixed(4)})`,
    );
  }
  const path = join(work, `${id}.json`);
  writeFileSync(path, serializeProfile(profile));
  return { folder, manifest, profilePath: path, delta: chosen.delta, validation: { final, chosen } };
}

/** Resident memory of a process, MiB (Linux). */
function rssMiB(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** Busy and total clock ticks of every core so far (Linux /proc/stat), for per-core use. */
function coreTicks() {
  return readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .filter((line) => /^cpu\d+ /.test(line))
    .map((line) => {
      const [user, nice, system, idle, iowait, irq, softirq, steal] = line.split(/\s+/).slice(1).map(Number);
      const busy = user + nice + system + irq + softirq + steal;
      return { busy, total: busy + idle + iowait };
    });
}

/** Share of time each core was busy between two `coreTicks` readings (every process, load generator included). */
function coreUse(before, after) {
  return after.map(
    (core, index) => (core.busy - before[index].busy) / Math.max(1, core.total - before[index].total),
  );
}

/** CPU seconds a process has used, user + system (Linux /proc; clock ticks of 1/100 s). */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function load(
  url,
  model,
  requestBodies,
  seconds,
  options = {},
  samplesPerRequest = SAMPLES_PER_REQUEST,
) {
  const started = performance.now();
  const result = await autocannon({
    url: `${url}/v2/models/${model}/infer`,
    connections: CONNECTIONS,
    duration: seconds,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: requestBodies?.map((body) => ({ method: 'POST', body })),
    timeout: 30,
    ...options,
  });
  const wallSeconds = (performance.now() - started) / 1000;
  if (result.errors > 0 && (result.statusCodeStats?.['200']?.count ?? 0) === 0) {
    throw new Error(`every request failed (${result.errors} errors): is the server up at ${url}?`);
  }
  const statuses = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, Number(count)]),
  );
  // Only answered inferences count: under overload most responses are 429s.
  const okPerSecond = (statuses['200'] ?? 0) / seconds;
  return {
    requestsPerSecond: result.requests.average,
    samplesPerSecond: okPerSecond * samplesPerRequest,
    p50: result.latency.p50,
    p99: result.latency.p99,
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
    wallSeconds,
  };
}

/**
 * A closed loop of CONNECTIONS outstanding gRPC ModelInfer calls over GRPC_CHANNELS channels
 * for `seconds`: samples/s of OK calls, latency percentiles (ms), statuses by gRPC code.
 */
async function grpcLoad(address, requests, seconds, samplesPerRequest = SAMPLES_PER_REQUEST) {
  const clients = Array.from(
    { length: GRPC_CHANNELS },
    // A channel option that differs per client keeps each on its own HTTP/2 connection.
    (_, index) => new GrpcService(address, credentials.createInsecure(), { 'pcee.bench.channel': index }),
  );
  const latencies = [];
  const statuses = {};
  let next = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async (index) => {
    const client = clients[index % clients.length];
    while (performance.now() < deadline) {
      const request = requests[next++ % requests.length];
      const sent = performance.now();
      const code = await new Promise((resolve) =>
        client.ModelInfer(request, { deadline: Date.now() + 30_000 }, (error) =>
          resolve(error ? error.code : 0),
        ),
      );
      latencies.push(performance.now() - sent);
      const key = code === 0 ? '200' : `grpc-${code}`;
      statuses[key] = (statuses[key] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, index) => worker(index)));
  for (const client of clients) client.close();
  const wallSeconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const percentile = (p) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]);
  return {
    requestsPerSecond: latencies.length / wallSeconds,
    samplesPerSecond: ((statuses['200'] ?? 0) / wallSeconds) * samplesPerRequest,
    p50: percentile(0.5),
    p99: percentile(0.99),
    statuses,
    errors: 0,
    timeouts: 0,
    wallSeconds,
  };
}

/** One load run of `protocol` against a server started by `startServer`. */
function protocolLoad(protocol, server, model, requests, seconds) {
  return protocol === 'grpc'
    ? grpcLoad(server.grpcAddress, requests, seconds)
    : load(server.url, model, undefined, seconds, { requests });
}

/** One gRPC call as a promise of the response. */
function grpcCall(client, request) {
  return new Promise((resolve, reject) =>
    client.ModelInfer(request, (error, response) => (error ? reject(error) : resolve(response))),
  );
}

/** Decodes raw little-endian output bytes of the datatypes the server answers with. */
function decodeRaw(datatype, bytes) {
  const buffer = new Uint8Array(bytes).buffer;
  if (datatype === 'INT64') return Array.from(new BigInt64Array(buffer), Number);
  if (datatype === 'INT32') return Array.from(new Int32Array(buffer));
  throw new Error(`no decoder for ${datatype}`);
}

/**
 * Sends every labelled test image (untimed) over `protocol`; accuracy, mean relative cost,
 * exits per head, and the predictions (to check every protocol answers alike).
 */
async function accuracy(server, model, manifest, protocol = 'json') {
  let correct = 0;
  let cost = 0;
  const exits = [];
  const predictions = new Int32Array(labels.length);
  const grpc =
    protocol === 'grpc' ? new GrpcService(server.grpcAddress, credentials.createInsecure()) : undefined;
  const outputs = ['prediction', 'exit'];
  for (let start = 0; start < labels.length; start += 200) {
    const end = Math.min(labels.length, start + 200);
    let prediction;
    let exit;
    let relativeCost;
    if (protocol === 'grpc') {
      const response = await grpcCall(grpc, grpcRequest(manifest, start, end, outputs));
      [prediction, exit] = response.outputs.map((output, index) =>
        decodeRaw(output.datatype, response.raw_output_contents[index]),
      );
      relativeCost = response.parameters.relative_cost.double_param;
    } else {
      const binary = protocol === 'binary' ? binaryRequest(manifest, start, end, outputs) : undefined;
      const response = await fetch(`${server.url}/v2/models/${model}/infer`, {
        method: 'POST',
        headers: binary
          ? {
              'content-type': 'application/octet-stream',
              'inference-header-content-length': String(binary.headerLength),
            }
          : { 'content-type': 'application/json' },
        body: binary
          ? binary.body
          : JSON.stringify({
              inputs: requestInputs(manifest, start, end),
              outputs: outputs.map((name) => ({ name })),
            }),
      });
      const body = Buffer.from(await response.arrayBuffer());
      if (response.status !== 200) throw new Error(`accuracy pass failed: ${body.toString().slice(0, 300)}`);
      const headerLength = Number(response.headers.get('inference-header-content-length') ?? body.byteLength);
      const json = JSON.parse(body.subarray(0, headerLength).toString());
      let offset = headerLength;
      [prediction, exit] = json.outputs.map((output) => {
        const size = output.parameters?.binary_data_size;
        if (size === undefined) return output.data;
        offset += size;
        return decodeRaw(output.datatype, body.subarray(offset - size, offset));
      });
      relativeCost = json.parameters.relative_cost;
    }
    prediction.forEach((value, index) => {
      predictions[start + index] = value;
      if (value === labels[start + index]) correct++;
      exits[exit[index]] = (exits[exit[index]] ?? 0) + 1;
    });
    cost += relativeCost * (end - start);
  }
  grpc?.close();
  return { accuracy: correct / labels.length, relativeCost: cost / labels.length, exits, predictions };
}

async function compare(id) {
  const { folder, manifest, profilePath, delta, validation } = calibrateOnValidation(id);
  const common = [folder, '--profile', profilePath, '--delta', String(delta)];
  const modes = {
    baseline: [...common, '--baseline'],
    'early exit': [...common, '--batching', 'first-stage'],
    ...(process.env.PCEE_BENCH_PER_STAGE === '1'
      ? { 'early exit, per-stage batching': [...common, '--batching', 'per-stage'] }
      : {}),
  };
  const configurations = {};
  for (const workers of WORKERS) {
    for (const [mode, args] of Object.entries(modes)) {
      const name = WORKERS.length > 1 ? `${mode}, workers ${workers}` : mode;
      configurations[name] = workers === 'default' ? args : [...args, '--workers', workers];
    }
  }
  const requestsOf = Object.fromEntries(
    PROTOCOLS.map((protocol) => [protocol, protocolRequests(protocol, manifest, SAMPLES_PER_REQUEST)]),
  );
  const keys = Object.keys(configurations).flatMap((name) =>
    PROTOCOLS.map((protocol) => `${name}|${protocol}`),
  );
  const runs = Object.fromEntries(keys.map((key) => [key, []]));
  const accuracyOf = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, args] of Object.entries(configurations)) {
      const server = await startServer(args);
      try {
        // Every protocol on the same server, in an order rotated each round.
        const order = PROTOCOLS.map((_, index) => PROTOCOLS[(index + round) % PROTOCOLS.length]);
        for (const protocol of order) {
          await protocolLoad(protocol, server, id, requestsOf[protocol], 2); // warm-up: sessions, JIT, allocator
          const cpuBefore = cpuSeconds(server.child.pid);
          const ticksBefore = coreTicks();
          const run = await protocolLoad(protocol, server, id, requestsOf[protocol], SECONDS);
          run.coreUse = coreUse(ticksBefore, coreTicks());
          // The server's own CPU: what a protocol costs it, apart from the load generator's share of the machine.
          const serverCpu = cpuSeconds(server.child.pid) - cpuBefore;
          run.serverCores = serverCpu / run.wallSeconds;
          run.serverCpuMsPerSample = (serverCpu * 1000) / (run.samplesPerSecond * run.wallSeconds);
          runs[`${name}|${protocol}`].push(run);
          const last = runs[`${name}|${protocol}`].at(-1);
          console.error(
            `${id} round ${round + 1}/${ROUNDS} ${name} over ${protocol}: ${last.samplesPerSecond.toFixed(0)} samples/s, p50 ${last.p50} ms, p99 ${last.p99} ms, server ${last.serverCores.toFixed(2)} cores, ${last.serverCpuMsPerSample.toFixed(3)} CPU ms/sample`,
          );
        }
        if (round === 0) {
          for (const protocol of PROTOCOLS) {
            const measured = await accuracy(server, id, manifest, protocol);
            const first = accuracyOf[name];
            if (first && !first.predictions.every((value, index) => value === measured.predictions[index])) {
              throw new Error(`${id} ${name}: ${protocol} answers differ from ${PROTOCOLS[0]}'s`);
            }
            accuracyOf[name] ??= measured;
          }
        }
      } finally {
        await stopServer(server);
      }
    }
  }
  const rows = keys.map((key) => {
    const [name, protocol] = key.split('|');
    const pick = (field) => median(runs[key].map((run) => run[field]));
    const { predictions: _predictions, ...measured } = accuracyOf[name];
    return {
      model: id,
      configuration: name,
      protocol,
      samplesPerSecond: pick('samplesPerSecond'),
      p50: pick('p50'),
      p99: pick('p99'),
      serverCores: pick('serverCores'),
      serverCpuMsPerSample: pick('serverCpuMsPerSample'),
      // Per core, the median over rounds of its busy share (all processes on the machine).
      coreUse: runs[key][0].coreUse.map((_, core) => median(runs[key].map((run) => run.coreUse[core]))),
      ...measured,
      rounds: runs[key].map((run) => Math.round(run.samplesPerSecond)),
      non200: runs[key].reduce(
        (sum, run) =>
          sum +
          run.errors +
          run.timeouts +
          Object.entries(run.statuses)
            .filter(([code]) => code !== '200')
            .reduce((s, [, n]) => s + n, 0),
        0,
      ),
    };
  });
  for (const row of rows) {
    // Against full.onnx on the same server over the same protocol, and over JSON.
    // The baseline with the same protocol worker setting (the configuration's suffix).
    const suffix = row.configuration.includes(', workers ')
      ? `, workers ${row.configuration.split(', workers ')[1]}`
      : '';
    const baseline = rows.find(
      (other) => other.configuration === `baseline${suffix}` && other.protocol === row.protocol,
    );
    const jsonBaseline = rows.find(
      (other) => other.configuration === `baseline${suffix}` && other.protocol === 'json',
    );
    row.speedup = row.samplesPerSecond / baseline.samplesPerSecond;
    row.speedupVsJsonBaseline = jsonBaseline ? row.samplesPerSecond / jsonBaseline.samplesPerSecond : null;
    row.accuracyLossPoints = (baseline.accuracy - row.accuracy) * 100;
  }
  return { model: id, delta, validation, rows };
}

async function overload(id, capacitySamplesPerSecond) {
  const { folder, manifest, profilePath, delta } = calibrateOnValidation(id);
  const server = await startServer([
    folder,
    '--profile',
    profilePath,
    '--delta',
    String(delta),
    '--max-queue',
    '256',
  ]);
  const rss = [];
  const sampler = setInterval(() => rss.push(rssMiB(server.child.pid)), 500);
  try {
    rss.push(rssMiB(server.child.pid));
    const rate = Math.ceil((4 * capacitySamplesPerSecond) / OVERLOAD_SAMPLES_PER_REQUEST);
    const result = await load(
      server.url,
      id,
      bodies(manifest, OVERLOAD_SAMPLES_PER_REQUEST),
      OVERLOAD_SECONDS,
      { connections: 256, overallRate: rate },
      OVERLOAD_SAMPLES_PER_REQUEST,
    );
    clearInterval(sampler);
    const code = await stopServer(server);
    return {
      model: id,
      samplesPerRequest: OVERLOAD_SAMPLES_PER_REQUEST,
      offeredRequestsPerSecond: rate,
      offeredSamplesPerSecond: rate * OVERLOAD_SAMPLES_PER_REQUEST,
      ...result,
      rssMiB: { start: rss[0], max: Math.max(...rss) },
      exitCode: code,
    };
  } finally {
    clearInterval(sampler);
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
  }
}

/**
 * Throughput and latency over --max-batch × --max-delay-ms. `baseline` sweeps full.onnx (its
 * compute does not depend on the images); `early-exit` sweeps per-stage batching. Batching
 * settings change no prediction (results are identical whatever the batching), only speed.
 */
async function sweep(id, mode) {
  const { folder, manifest, profilePath, delta } = calibrateOnValidation(id);
  const requestBodies = bodies(manifest, SAMPLES_PER_REQUEST);
  const grid = [];
  for (const maxBatch of [16, 32, 64, 128])
    for (const maxDelay of [0, 2, 5]) grid.push({ maxBatch, maxDelay });
  const runs = grid.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [index, { maxBatch, maxDelay }] of grid.entries()) {
      const server = await startServer([
        folder,
        '--profile',
        profilePath,
        '--delta',
        String(delta),
        ...(mode === 'baseline' ? ['--baseline'] : ['--batching', 'per-stage']),
        '--max-batch',
        String(maxBatch),
        '--max-delay-ms',
        String(maxDelay),
      ]);
      try {
        await load(server.url, id, requestBodies, 2);
        const run = await load(server.url, id, requestBodies, SECONDS);
        runs[index].push(run);
        console.error(
          `sweep ${mode} ${id} batch ${maxBatch} delay ${maxDelay} round ${round + 1}: ${run.samplesPerSecond.toFixed(0)}/s p50 ${run.p50} p99 ${run.p99}`,
        );
      } finally {
        await stopServer(server);
      }
    }
  }
  return grid.map((point, index) => ({
    ...point,
    samplesPerSecond: median(runs[index].map((run) => run.samplesPerSecond)),
    p50: median(runs[index].map((run) => run.p50)),
    p99: median(runs[index].map((run) => run.p99)),
  }));
}

/** The comparison as a table: header and one line per configuration and protocol. */
function table(rows) {
  const header = [
    'model',
    'configuration',
    'protocol',
    'samples/s',
    'speedup',
    'vs JSON full',
    'p50 ms',
    'p99 ms',
    'server cores',
    'CPU ms/sample',
    'core busy %',
    'test acc',
    'loss pt',
    'rel. cost',
    'non-200',
  ];
  const lines = rows.map((row) => [
    row.model,
    row.configuration,
    row.protocol,
    row.samplesPerSecond.toFixed(0),
    `${row.speedup.toFixed(2)}×`,
    row.speedupVsJsonBaseline === null ? '-' : `${row.speedupVsJsonBaseline.toFixed(2)}×`,
    String(row.p50),
    String(row.p99),
    row.serverCores === undefined ? '-' : row.serverCores.toFixed(2),
    row.serverCpuMsPerSample === undefined ? '-' : row.serverCpuMsPerSample.toFixed(3),
    row.coreUse ? row.coreUse.map((share) => Math.round(share * 100)).join('/') : '-',
    row.accuracy.toFixed(4),
    row.accuracyLossPoints.toFixed(2),
    row.relativeCost.toFixed(3),
    String(row.non200),
  ]);
  return { header, lines };
}

try {
  console.error(
    `pcee serve bench: ${CONNECTIONS} connections, ${SAMPLES_PER_REQUEST} image(s) per request, ${SECONDS} s per run, ${ROUNDS} interleaved rounds (median)`,
  );
  if (process.env.PCEE_BENCH_SWEEP) {
    const rows = await sweep(
      MODELS[0],
      process.env.PCEE_BENCH_SWEEP === 'baseline' ? 'baseline' : 'early-exit',
    );
    printJson('serve-sweep', { sweep: rows });
  } else {
    const results = [];
    for (const id of MODELS) results.push(await compare(id));
    const rows = results.flatMap((result) => result.rows);
    const { header, lines } = table(rows);
    printTable('served throughput and latency, early exit vs full.onnx', header, lines);
    const cnn = results.find((result) => result.model === 'fmnist-cnn-large') ?? results[0];
    const earlyExit =
      cnn.rows.find((row) => row.configuration.startsWith('early exit') && row.protocol === 'json') ??
      cnn.rows[1];
    const overloadResult =
      OVERLOAD_SECONDS > 0 ? await overload(cnn.model, earlyExit.samplesPerSecond) : null;
    if (overloadResult) {
      console.log(
        `\noverload ${OVERLOAD_SECONDS} s (${overloadResult.wallSeconds.toFixed(1)} s wall) on ${overloadResult.model}: ${overloadResult.offeredRequestsPerSecond} req/s × ${OVERLOAD_SAMPLES_PER_REQUEST} images offered (4× capacity), served ${overloadResult.samplesPerSecond.toFixed(0)} samples/s: statuses ${JSON.stringify(overloadResult.statuses)}, errors ${overloadResult.errors}, timeouts ${overloadResult.timeouts}, RSS ${overloadResult.rssMiB.start.toFixed(0)} → max ${overloadResult.rssMiB.max.toFixed(0)} MiB, exit ${overloadResult.exitCode}`,
      );
    }
    printJson('serve', {
      settings: {
        connections: CONNECTIONS,
        samplesPerRequest: SAMPLES_PER_REQUEST,
        seconds: SECONDS,
        rounds: ROUNDS,
        protocols: PROTOCOLS,
        workers: WORKERS,
        grpcChannels: GRPC_CHANNELS,
      },
      results,
      overload: overloadResult,
    });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
