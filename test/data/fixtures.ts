// Writers for small files in the datasets' exact original formats, for the loader tests.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll } from 'vitest';
import { findDataset, type CatalogEntry } from '../../src/data/catalog';
import { NORB_MAGIC_INT32, NORB_MAGIC_UBYTE } from '../../src/data/norb';

const made: string[] = [];
// Registered while the importing test file is collected: its temp folders go when it ends.
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-data-'));
  made.push(dir);
  return dir;
}

/** The catalog entry with small split sizes, for fixtures of a few rows. */
export function smallEntry(name: string, trainCount: number, testCount: number): CatalogEntry {
  const entry = findDataset(name);
  if (!entry) throw new Error(name);
  return { ...entry, trainCount, testCount };
}

/** Deterministic pixel values in [0, 1) with a few digits, like the originals' mix of 0s and fractions. */
export function pixelRows(count: number, features: number, seed: number): Float64Array {
  const out = new Float64Array(count * features);
  let s = seed;
  for (let i = 0; i < out.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = s % 3 === 0 ? 0 : (s % 100000) / 100000;
  }
  return out;
}

/** Larochelle's .amat: per line, the features then the label, as %e floats separated by spaces. */
export function amatText(rows: Float64Array, labels: number[], features: number): string {
  const lines: string[] = [];
  for (let r = 0; r < labels.length; r++) {
    const vals = Array.from(rows.subarray(r * features, (r + 1) * features), (v) => v.toExponential(17));
    lines.push(' ' + [...vals, labels[r].toExponential(17)].join(' ') + ' ');
  }
  return lines.join('\n') + '\n';
}

export function writeFile(file: string, data: string | Uint8Array): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
  return file;
}

/** A CIFAR-10 binary batch: per record, 1 label byte then the R, G, B planes (1,024 bytes each). */
export function cifarBatch(labels: number[], pixel: (record: number, channel: number, p: number) => number): Uint8Array {
  const out = new Uint8Array(labels.length * 3073);
  labels.forEach((label, r) => {
    out[r * 3073] = label;
    for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) out[r * 3073 + 1 + c * 1024 + p] = pixel(r, c, p);
  });
  return out;
}

/** A NORB binary matrix: int32 magic, ndim, max(3, ndim) dims, then the data (little-endian). */
export function norbMatrix(magic: number, dims: number[], data: Uint8Array): Uint8Array {
  const stored = Math.max(3, dims.length);
  const head = Buffer.alloc(8 + 4 * stored);
  head.writeUInt32LE(magic, 0);
  head.writeInt32LE(dims.length, 4);
  for (let i = 0; i < stored; i++) head.writeInt32LE(dims[i] ?? 1, 8 + 4 * i);
  return Buffer.concat([head, data]);
}

/** A -dat.mat of N stereo pairs 2×108×108 from a pixel function. */
export function norbDat(count: number, pixel: (e: number, image: number, r: number, c: number) => number): Uint8Array {
  const data = new Uint8Array(count * 2 * 108 * 108);
  for (let e = 0; e < count; e++)
    for (let im = 0; im < 2; im++)
      for (let r = 0; r < 108; r++) for (let c = 0; c < 108; c++) data[((e * 2 + im) * 108 + r) * 108 + c] = pixel(e, im, r, c);
  return norbMatrix(NORB_MAGIC_UBYTE, [count, 2, 108, 108], data);
}

export function norbCat(labels: number[]): Uint8Array {
  const data = Buffer.alloc(labels.length * 4);
  labels.forEach((l, i) => data.writeInt32LE(l, 4 * i));
  return norbMatrix(NORB_MAGIC_INT32, [labels.length], data);
}
