// Runs an ONNX model in onnxruntime's CPU execution provider (npm
// onnxruntime-node, default session options) on N input tensors: the third
// reference of the tests (gen/tests/test_onnxruntime.cpp).
//
//   node scripts/ort/run.js MODEL.onnx INPUT.bin OUTPUT.bin
//
// INPUT.bin: N tensors back to back, each the model's one input in full
// (its static shape, e.g. [1, C, H, W], row-major) in the input's element type,
// little-endian: float32 for a float input, one byte per value for uint8/int8.
// N is the file size divided by one tensor's size.
//
// OUTPUT.bin: for each of the N inputs in order, every graph output in the
// order of the graph (session.outputNames), each as its raw elements,
// little-endian, in its own element type (float32, uint8, int8, int32, ...).
//
// stdout: one JSON line describing both files,
//   {"onnxruntime": "1.30.0", "images": N,
//    "input": {"name": ..., "type": "float32", "dims": [1, 1, 28, 28]},
//    "outputs": [{"name": ..., "type": "float32", "dims": [1, 10]}, ...]}
//
// Exit codes: 0 done; 3 onnxruntime refuses the model (e.g. no kernel for an
// op's type combination), with its first line on stderr; 1 anything else
// (usage, files, a failing run), one line on stderr.
'use strict';

const fs = require('fs');
const path = require('path');

function fail(code, msg) {
  process.stderr.write(`run.js: ${msg}\n`);
  process.exit(code);
}

let ort;
try {
  ort = require(path.join(__dirname, 'node_modules', 'onnxruntime-node'));
} catch (e) {
  fail(1, `onnxruntime-node is not installed in ${__dirname} (run scripts/setup.sh): ${e.message.split('\n')[0]}`);
}

const TYPED = {
  float32: Float32Array, float64: Float64Array, uint8: Uint8Array, int8: Int8Array,
  int32: Int32Array, int64: BigInt64Array, uint16: Uint16Array, int16: Int16Array, bool: Uint8Array,
};

async function main() {
  const [model, inputFile, outputFile] = process.argv.slice(2);
  if (!model || !inputFile || !outputFile || process.argv.length !== 5)
    fail(1, 'usage: node scripts/ort/run.js MODEL.onnx INPUT.bin OUTPUT.bin');

  let session;
  try {
    session = await ort.InferenceSession.create(model);
  } catch (e) {
    fail(fs.existsSync(model) ? 3 : 1, `${model}: ${e.message.split('\n')[0]}`);
  }
  if (session.inputNames.length !== 1) fail(1, `${model}: ${session.inputNames.length} inputs, expected one`);
  const meta = session.inputMetadata[0];
  const dims = meta.shape;
  if (!dims.every((d) => Number.isInteger(d) && d > 0))
    fail(1, `${model}: input ${meta.name} has a symbolic shape [${dims}]`);
  const Typed = TYPED[meta.type];
  if (!Typed) fail(1, `${model}: input element type ${meta.type} is not handled`);
  const count = dims.reduce((a, b) => a * b, 1);
  const bytes = count * Typed.BYTES_PER_ELEMENT;

  const raw = fs.readFileSync(inputFile);
  if (raw.length === 0 || raw.length % bytes !== 0)
    fail(1, `${inputFile}: ${raw.length} bytes is not a whole number of ${meta.type} [${dims}] tensors (${bytes} bytes each)`);
  const n = raw.length / bytes;

  const chunks = [];
  let outputs = null;
  for (let i = 0; i < n; ++i) {
    // A copy, so the typed array is aligned whatever the Buffer's offset.
    const data = new Typed(count);
    Buffer.from(data.buffer).set(raw.subarray(i * bytes, (i + 1) * bytes));
    let result;
    try {
      result = await session.run({ [meta.name]: new ort.Tensor(meta.type, data, dims) });
    } catch (e) {
      fail(1, `${model}: input ${i}: ${e.message.split('\n')[0]}`);
    }
    if (!outputs)
      outputs = session.outputNames.map((name) => ({ name, type: result[name].type, dims: result[name].dims }));
    for (const name of session.outputNames) {
      const t = result[name].data;
      chunks.push(Buffer.from(t.buffer, t.byteOffset, t.byteLength));
    }
  }
  fs.writeFileSync(outputFile, Buffer.concat(chunks));
  const version = require(path.join(__dirname, 'node_modules', 'onnxruntime-node', 'package.json')).version;
  process.stdout.write(JSON.stringify({
    onnxruntime: version, images: n, input: { name: meta.name, type: meta.type, dims }, outputs,
  }) + '\n');
}

main().catch((e) => fail(1, e.message.split('\n')[0]));
