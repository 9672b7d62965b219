#!/usr/bin/env node
// Packages the PyTorch test models of @pcee/onnx (packages/onnx/fixtures/*.onnx, each one
// multi-exit ONNX file) with `pcee split`, and writes beside each package a reference.npz:
// 96 inputs named after the model's inputs, the UNSPLIT model's logits of every exit for
// them ([N, L, C], from onnxruntime-node) and labels (the last exit's argmax). The runtimes'
// conformance suites run these packages against that reference, so a split or runtime bug
// that changes any exit's logits fails there. Deterministic: rerunning rewrites the same bytes.
//
//   npm run build && node packages/cli/scripts/split-fixtures.mjs
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTensor, readNpz, seededRandom, writeNpz } from '@pcee/core';
import { testInputsPath } from '@pcee/models';
import ort from 'onnxruntime-node';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, '../../onnx/fixtures');
const bin = join(here, '../dist/bin.js');
const SAMPLES = 96;

/** Real Fashion-MNIST test images, normalised as the bundled models are: [N, 1, 28, 28] float32. */
function images() {
  const x = readNpz(new Uint8Array(readFileSync(testInputsPath()))).get('x');
  const data = Float32Array.from(x.data.subarray(0, SAMPLES * 784), (pixel) => (pixel / 255 - 0.286) / 0.353);
  return { image: createTensor('float32', [SAMPLES, 1, 28, 28], data) };
}

/** Token ids below the embedding size, with a padded tail of random length (mask 0, id 0). */
function tokens(vocabulary, sequence = 12) {
  const next = seededRandom(13);
  const ids = new BigInt64Array(SAMPLES * sequence);
  const mask = new BigInt64Array(SAMPLES * sequence);
  for (let n = 0; n < SAMPLES; n++) {
    const length = 2 + Math.floor(next() * (sequence - 1));
    for (let t = 0; t < length; t++) {
      ids[n * sequence + t] = BigInt(t === 0 ? 1 : 2 + Math.floor(next() * (vocabulary - 2)));
      mask[n * sequence + t] = 1n;
    }
  }
  return {
    input_ids: createTensor('int64', [SAMPLES, sequence], ids),
    attention_mask: createTensor('int64', [SAMPLES, sequence], mask),
  };
}

const FIXTURES = {
  'skip-cnn': images,
  'multiscale-cnn': images,
  'tiny-vit': images,
  'tiny-bert': () => tokens(100),
};

for (const [name, makeInputs] of Object.entries(FIXTURES)) {
  const out = join(fixtures, 'packages', name);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(dirname(out), { recursive: true });
  const inputs = makeInputs();
  const inputsFile = join(fixtures, 'packages', `${name}.inputs.npz`);
  writeFileSync(inputsFile, writeNpz(inputs));
  execFileSync(
    process.execPath,
    [bin, 'split', join(fixtures, `${name}.onnx`), '--out', out, '--inputs', inputsFile],
    {
      stdio: 'inherit',
    },
  );
  rmSync(inputsFile);
  // The reference: the unsplit model's logits of every exit.
  const session = await ort.InferenceSession.create(join(fixtures, `${name}.onnx`));
  const feeds = Object.fromEntries(
    Object.entries(inputs).map(([key, tensor]) => [
      key,
      new ort.Tensor(tensor.dtype, tensor.data, tensor.shape),
    ]),
  );
  const outputs = await session.run(feeds);
  const exits = session.outputNames.filter((output) => /^exit_\d+$/.test(output));
  const classes = outputs[exits[0]].dims[1];
  const logits = new Float32Array(SAMPLES * exits.length * classes);
  exits.forEach((exit, l) => {
    const data = outputs[exit].data;
    for (let n = 0; n < SAMPLES; n++)
      logits.set(data.subarray(n * classes, (n + 1) * classes), (n * exits.length + l) * classes);
  });
  const labels = Int32Array.from({ length: SAMPLES }, (_, n) => {
    const row = logits.subarray(
      (n * exits.length + exits.length - 1) * classes,
      (n * exits.length + exits.length) * classes,
    );
    return row.indexOf(Math.max(...row));
  });
  writeFileSync(
    join(out, 'reference.npz'),
    writeNpz({
      ...inputs,
      logits: createTensor('float32', [SAMPLES, exits.length, classes], logits),
      labels: createTensor('int32', [SAMPLES], labels),
    }),
  );
  await session.release();
  console.log(`${name}: reference.npz with ${SAMPLES} samples × ${exits.length} exits × ${classes} classes`);
}
