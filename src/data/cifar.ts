// CIFAR-10 binary batches (`cifar-10-batches-bin/*.bin`): records of 1 label byte then 3,072 bytes,
// the R, G and B planes of a 32×32 image. ldr uses grayscale = mean of R, G and B, scaled to [0, 1].
import * as fs from 'fs';
import { UserError } from '../util/errors';
import type { Split } from './types';

const PIXELS = 32 * 32;
const RECORD = 1 + 3 * PIXELS;

/** Reads whole batches into one Split (records in file order, files in the given order). */
export function readCifarBatches(files: readonly string[]): Split {
  const sizes = files.map((file) => {
    const size = fs.statSync(file).size;
    if (size === 0 || size % RECORD !== 0) {
      throw new UserError(`${file}: ${size} bytes is not a whole number of ${RECORD}-byte CIFAR-10 records (truncated or not a CIFAR-10 binary batch)`);
    }
    return size / RECORD;
  });
  const count = sizes.reduce((a, b) => a + b, 0);
  const x = new Float32Array(count * PIXELS);
  const y = new Int32Array(count);
  let row = 0;
  files.forEach((file, f) => {
    const bytes = fs.readFileSync(file);
    for (let r = 0; r < sizes[f]; r++, row++) {
      const base = r * RECORD;
      const label = bytes[base];
      if (label > 9) throw new UserError(`${file}: record ${r + 1} has label ${label}, expected 0..9 (not a CIFAR-10 binary batch?)`);
      y[row] = label;
      const out = row * PIXELS;
      for (let p = 0; p < PIXELS; p++) {
        const sum = bytes[base + 1 + p] + bytes[base + 1 + PIXELS + p] + bytes[base + 1 + 2 * PIXELS + p];
        x[out + p] = sum / (3 * 255);
      }
    }
  });
  return { x, y, count };
}
