// Top-1 accuracy of a model in onnxruntime's CPU execution provider (npm
// onnxruntime-node, default session options) on an IDX image file with its
// IDX label file: each 8-bit pixel p becomes x = float32(p / 255) (SPEC §2),
// NCHW [1, C, H, W], one image at a time; the prediction is the first index
// of the largest value of the first graph output.
//
//   node scripts/ort/accuracy.js MODEL.onnx IMAGES-idx3-ubyte LABELS-idx1-ubyte [COUNT]
//
// stdout: one line, "MODEL (onnxruntime V): N images, accuracy A% (k/N)".
// Exit codes: 0 done; 1 anything else (usage, files, a failing run), one line on stderr.
'use strict';

const fs = require('fs');
const path = require('path');

function fail(msg) {
  process.stderr.write(`accuracy.js: ${msg}\n`);
  process.exit(1);
}

let ort;
try {
  ort = require(path.join(__dirname, 'node_modules', 'onnxruntime-node'));
} catch (e) {
  fail(`onnxruntime-node is not installed in ${__dirname} (run scripts/setup.sh): ${e.message.split('\n')[0]}`);
}

// An unsigned-byte IDX file: {dims, data}.
function readIdx(file) {
  let raw;
  try {
    raw = fs.readFileSync(file);
  } catch (e) {
    fail(`${file}: ${e.message}`);
  }
  if (raw.length < 4 || raw[0] !== 0 || raw[1] !== 0 || raw[2] !== 0x08) fail(`${file}: not an unsigned-byte IDX file`);
  const ndim = raw[3];
  if (raw.length < 4 + 4 * ndim) fail(`${file}: truncated header`);
  const dims = [];
  for (let i = 0; i < ndim; ++i) dims.push(raw.readUInt32BE(4 + 4 * i));
  const data = raw.subarray(4 + 4 * ndim);
  if (data.length !== dims.reduce((a, b) => a * b, 1)) fail(`${file}: ${data.length} bytes of data, header says [${dims}]`);
  return { dims, data };
}

async function main() {
  const [model, imageFile, labelFile, countArg] = process.argv.slice(2);
  if (!model || !imageFile || !labelFile || process.argv.length > 6)
    fail('usage: node scripts/ort/accuracy.js MODEL.onnx IMAGES-idx3-ubyte LABELS-idx1-ubyte [COUNT]');
  const images = readIdx(imageFile), labels = readIdx(labelFile);
  if (images.dims.length !== 3) fail(`${imageFile}: dims [${images.dims}], expected [N, H, W]`);
  if (labels.dims.length !== 1 || labels.dims[0] !== images.dims[0])
    fail(`${labelFile}: dims [${labels.dims}] do not match ${images.dims[0]} images`);
  let n = images.dims[0];
  if (countArg !== undefined) {
    const c = Number(countArg);
    if (!Number.isInteger(c) || c < 0) fail(`COUNT '${countArg}' is not a whole number`);
    if (c > 0) n = Math.min(n, c);
  }

  let session;
  try {
    session = await ort.InferenceSession.create(model);
  } catch (e) {
    fail(`${model}: ${e.message.split('\n')[0]}`);
  }
  const meta = session.inputMetadata[0];
  const dims = meta.shape;
  const [, C, H, W] = dims;
  if (dims.length !== 4 || meta.type !== 'float32' || C !== 1 || H !== images.dims[1] || W !== images.dims[2])
    fail(`${model}: input ${meta.name} ${meta.type} [${dims}] does not take ${images.dims[1]}x${images.dims[2]} grey images`);
  const pixels = H * W;
  let correct = 0;
  for (let i = 0; i < n; ++i) {
    const x = new Float32Array(pixels);
    for (let k = 0; k < pixels; ++k) x[k] = images.data[i * pixels + k] / 255;
    let result;
    try {
      result = await session.run({ [meta.name]: new ort.Tensor('float32', x, dims) });
    } catch (e) {
      fail(`${model}: image ${i}: ${e.message.split('\n')[0]}`);
    }
    const out = result[session.outputNames[0]].data;
    let best = 0;
    for (let k = 1; k < out.length; ++k) if (out[k] > out[best]) best = k;
    if (best === labels.data[i]) ++correct;
  }
  const version = require(path.join(__dirname, 'node_modules', 'onnxruntime-node', 'package.json')).version;
  process.stdout.write(`${model} (onnxruntime ${version}): ${n} images, accuracy ` +
                       `${(100 * correct / n).toFixed(2)}% (${correct}/${n})\n`);
}

main().catch((e) => fail(e.message.split('\n')[0]));
