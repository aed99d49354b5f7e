// NORB jittered-cluttered v1.0 (NYU) in its "binary matrix" format: little-endian int32 magic
// (0x1E3D4C55 = bytes, 0x1E3D4C54 = int32), int32 ndim, then max(3, ndim) int32 dims, then the
// data. `-dat.mat`: N × 2 × 108 × 108 bytes (a stereo pair); `-cat.mat`: N int32 labels 0..5.
// ldr keeps the left image (index 0) and downsamples 108 → 32 by nearest neighbour (the source
// pixel nearest each target pixel's centre), scaled to [0, 1].
import * as fs from 'fs';
import { UserError } from '../util/errors';
import type { Split } from './types';

export const NORB_MAGIC_UBYTE = 0x1e3d4c55;
export const NORB_MAGIC_INT32 = 0x1e3d4c54;
const SRC = 108;
const DST = 32;
const OUT_PIXELS = DST * DST;

interface MatHeader {
  magic: number;
  dims: number[];
  /** Byte offset of the data. */
  dataOffset: number;
}

function readHeader(file: string, fd: number): MatHeader {
  const head = Buffer.alloc(8 + 4 * 8);
  const got = fs.readSync(fd, head, 0, head.length, 0);
  if (got < 20) throw new UserError(`${file}: ${got} bytes is too short for a NORB binary matrix header (truncated?)`);
  const magic = head.readInt32LE(0) >>> 0;
  const ndim = head.readInt32LE(4);
  if (magic !== NORB_MAGIC_UBYTE && magic !== NORB_MAGIC_INT32) {
    throw new UserError(`${file}: magic number 0x${magic.toString(16)} is not a NORB binary matrix (expected 0x1e3d4c55 or 0x1e3d4c54)`);
  }
  if (ndim < 1 || ndim > 8) throw new UserError(`${file}: ${ndim} dimensions in the header, expected 1..8 (corrupt file?)`);
  const stored = Math.max(3, ndim);
  if (got < 8 + 4 * stored) throw new UserError(`${file}: header cut short (truncated?)`);
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(head.readInt32LE(8 + 4 * i));
  return { magic, dims, dataOffset: 8 + 4 * stored };
}

function expectSize(file: string, fd: number, header: MatHeader, elementBytes: number): void {
  const want = header.dataOffset + header.dims.reduce((a, b) => a * b, 1) * elementBytes;
  const size = fs.fstatSync(fd).size;
  if (size !== want) {
    throw new UserError(`${file}: ${size} bytes, but its header (${header.dims.join('×')}) needs ${want} (truncated or corrupt; fetch it again)`);
  }
}

/** Number of examples in a `-dat.mat` file (checks its header and size). */
function datCount(file: string): number {
  const fd = fs.openSync(file, 'r');
  try {
    const h = readHeader(file, fd);
    if (h.magic !== NORB_MAGIC_UBYTE || h.dims.length !== 4 || h.dims[1] !== 2 || h.dims[2] !== SRC || h.dims[3] !== SRC) {
      throw new UserError(`${file}: expected a byte matrix N×2×${SRC}×${SRC} (NORB -dat.mat), found ${h.dims.join('×')}`);
    }
    expectSize(file, fd, h, 1);
    return h.dims[0];
  } finally {
    fs.closeSync(fd);
  }
}

function readLabels(file: string, count: number, into: Int32Array, at: number): void {
  const fd = fs.openSync(file, 'r');
  try {
    const h = readHeader(file, fd);
    if (h.magic !== NORB_MAGIC_INT32 || h.dims[0] !== count || h.dims.slice(1).some((d) => d !== 1)) {
      throw new UserError(`${file}: expected an int32 matrix of ${count} labels (NORB -cat.mat), found ${h.dims.join('×')}`);
    }
    expectSize(file, fd, h, 4);
    const buf = Buffer.alloc(count * 4);
    fs.readSync(fd, buf, 0, buf.length, h.dataOffset);
    for (let i = 0; i < count; i++) {
      const label = buf.readInt32LE(4 * i);
      if (label < 0 || label > 5) throw new UserError(`${file}: label ${i + 1} is ${label}, expected 0..5`);
      into[at + i] = label;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Source index for each target index: the pixel nearest the target pixel's centre. */
const NEAREST = Int32Array.from({ length: DST }, (_, i) => Math.floor(((i + 0.5) * SRC) / DST));

/** Reads (dat, cat) file pairs into one Split of 32×32 left images. */
export function readNorbPairs(pairs: readonly { dat: string; cat: string }[]): Split {
  const counts = pairs.map((p) => datCount(p.dat));
  const count = counts.reduce((a, b) => a + b, 0);
  const x = new Float32Array(count * OUT_PIXELS);
  const y = new Int32Array(count);
  const example = 2 * SRC * SRC;
  const perChunk = 512;
  let row = 0;
  pairs.forEach((p, f) => {
    readLabels(p.cat, counts[f], y, row);
    const fd = fs.openSync(p.dat, 'r');
    try {
      const dataOffset = readHeader(p.dat, fd).dataOffset;
      const buf = Buffer.alloc(perChunk * example);
      for (let done = 0; done < counts[f]; ) {
        const n = Math.min(perChunk, counts[f] - done);
        fs.readSync(fd, buf, 0, n * example, dataOffset + done * example);
        for (let e = 0; e < n; e++, row++) {
          const left = e * example; // image 0 of the stereo pair
          const out = row * OUT_PIXELS;
          for (let i = 0; i < DST; i++) {
            const src = left + NEAREST[i] * SRC;
            for (let j = 0; j < DST; j++) x[out + i * DST + j] = buf[src + NEAREST[j]] / 255;
          }
        }
        done += n;
      }
    } finally {
      fs.closeSync(fd);
    }
  });
  return { x, y, count };
}
