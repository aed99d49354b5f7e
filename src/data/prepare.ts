// From raw examples to what a model trains on: hold out the validation split, optionally keep a
// fraction of the training split, zero-pad 28×28 → 32×32, and standardise every split with the
// training split's per-feature mean and standard deviation.
//
// The hold-out is a random `val_frac` of the training set drawn with a FIXED seed (VAL_SEED),
// independent of `training.seed`: every run, whatever its seed or model, validates on the same
// examples. `train_frac` then keeps a random fraction (fixed seed too) of what remains; the
// fractions are nested (the 0.5 subset lies inside the 0.8 one) and the validation split does not
// change with `train_frac`.
import { UserError } from '../util/errors';
import { Rng } from '../util/random';
import type { CatalogEntry } from './catalog';
import type { RawDataset } from './raw';
import { paddedShape } from './shape';
import type { Dataset, Split } from './types';

export const VAL_SEED = 0x5eed_0001;
export const TRAIN_FRAC_SEED = 0x5eed_0002;
/** A feature whose training std is below this is constant: it is only centred (divided by 1). */
export const STD_FLOOR = 1e-6;

export interface PrepareOptions {
  pad32: boolean;
  val_frac: number;
  train_frac: number;
}

export interface PreparedDataset extends Dataset {
  /** Rows of the raw training set (ascending) that form `train` and `val`. */
  trainIndex: Int32Array;
  valIndex: Int32Array;
  /** Per-feature standardisation, computed on `train` (after padding). */
  mean: Float32Array;
  std: Float32Array;
}

/** Splits the raw training set into (train, val) row indices, both ascending. */
export function holdOut(count: number, valFrac: number, trainFrac: number): { trainIndex: Int32Array; valIndex: Int32Array } {
  const nVal = Math.round(count * valFrac);
  if (nVal < 1 || nVal >= count) {
    throw new UserError(`dataset.val_frac: ${valFrac} of ${count} training examples leaves ${nVal < 1 ? 'no validation' : 'no training'} examples`);
  }
  const perm = new Rng(VAL_SEED).permutation(count);
  const valIndex = perm.slice(0, nVal).sort();
  const rest = perm.slice(nVal).sort();
  const nKeep = Math.max(1, Math.round(rest.length * trainFrac));
  const keep = new Rng(TRAIN_FRAC_SEED).permutation(rest.length).slice(0, nKeep).sort();
  const trainIndex = keep.map((i) => rest[i]);
  return { trainIndex, valIndex };
}

export function prepare(raw: RawDataset, entry: CatalogEntry, opts: PrepareOptions): PreparedDataset {
  const imageShape = paddedShape(entry, opts.pad32);
  const pad = imageShape[0] !== entry.imageShape[0];
  const { trainIndex, valIndex } = holdOut(raw.train.count, opts.val_frac, opts.train_frac);
  const shape = (s: Split): Split => (pad ? pad32(s, entry.imageShape) : s);
  const train = shape(gather(raw.train, raw.features, trainIndex));
  const val = shape(gather(raw.train, raw.features, valIndex));
  const test = shape(copySplit(raw.test));
  const features = imageShape[0] * imageShape[1] * imageShape[2];
  const { mean, std } = featureStats(train, features);
  for (const s of [train, val, test]) standardize(s.x, mean, std);
  return { name: raw.name, features, classes: entry.classes, imageShape, train, val, test, trainIndex, valIndex, mean, std };
}

function gather(src: Split, features: number, rows: Int32Array): Split {
  const x = new Float32Array(rows.length * features);
  const y = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    x.set(src.x.subarray(r * features, (r + 1) * features), i * features);
    y[i] = src.y[r];
  });
  return { x, y, count: rows.length };
}

function copySplit(s: Split): Split {
  return { x: s.x.slice(), y: s.y.slice(), count: s.count };
}

/** Zero-pads each h×w×c image to 32×32×c, centred (2 pixels each side for 28×28). */
export function pad32(s: Split, [h, w, c]: [number, number, number]): Split {
  const top = Math.floor((32 - h) / 2);
  const left = Math.floor((32 - w) / 2);
  const inF = h * w * c;
  const outF = 32 * 32 * c;
  const x = new Float32Array(s.count * outF);
  for (let r = 0; r < s.count; r++) {
    for (let i = 0; i < h; i++) {
      const src = r * inF + i * w * c;
      x.set(s.x.subarray(src, src + w * c), r * outF + ((top + i) * 32 + left) * c);
    }
  }
  return { x, y: s.y, count: s.count };
}

/** Per-feature mean and population std (float64 sums); std below STD_FLOOR becomes 1. */
export function featureStats(s: Split, features: number): { mean: Float32Array; std: Float32Array } {
  const sum = new Float64Array(features);
  for (let r = 0; r < s.count; r++) for (let f = 0, o = r * features; f < features; f++) sum[f] += s.x[o + f];
  const mean = sum.map((v) => v / s.count);
  const sq = new Float64Array(features);
  for (let r = 0; r < s.count; r++) {
    for (let f = 0, o = r * features; f < features; f++) {
      const d = s.x[o + f] - mean[f];
      sq[f] += d * d;
    }
  }
  const std = sq.map((v) => {
    const sd = Math.sqrt(v / s.count);
    return sd < STD_FLOOR ? 1 : sd;
  });
  return { mean: Float32Array.from(mean), std: Float32Array.from(std) };
}

/** x ← (x − mean) / std, in place, row by row. */
export function standardize(x: Float32Array, mean: Float32Array, std: Float32Array): void {
  const f = mean.length;
  for (let o = 0; o < x.length; o += f) for (let j = 0; j < f; j++) x[o + j] = (x[o + j] - mean[j]) / std[j];
}
