// `ldr data export`: the arrays training uses, as .npy files, so other tools can train on exactly
// the same data. X_train / y_train hold the whole training set in source order (train + val,
// before the hold-out); val_idx lists the rows ldr holds out for validation. Every split is
// standardised with the statistics training uses (those of the training split after the hold-out).
import * as path from 'path';
import { writeFileAtomic } from '../util/atomic';
import type { DatasetConfig } from './schema';
import { datasetEntry, loadRaw, type LoadDatasetOptions } from './load';
import { npyBytes } from './npy';
import { pad32, prepare, standardize } from './prepare';

export interface ExportResult {
  files: string[];
  features: number;
  trainCount: number;
  valCount: number;
  testCount: number;
}

export async function exportDataset(cfg: DatasetConfig, outDir: string, opts: LoadDatasetOptions = {}): Promise<ExportResult> {
  const entry = opts.entry ?? datasetEntry(cfg.name);
  const raw = await loadRaw(cfg, { ...opts, entry });
  const prepared = prepare(raw, entry, cfg);
  // The full training set, shaped and standardised exactly as prepare() does its train/val rows.
  const padded = prepared.features !== raw.features;
  const train = padded ? pad32(raw.train, entry.imageShape) : { ...raw.train, x: raw.train.x.slice() };
  standardize(train.x, prepared.mean, prepared.std);
  const test = prepared.test;
  const n = prepared.features;
  const arrays: [string, Float32Array | Int32Array, number[]][] = [
    ['X_train.npy', train.x, [train.count, n]],
    ['y_train.npy', train.y, [train.count]],
    ['X_test.npy', test.x, [test.count, n]],
    ['y_test.npy', test.y, [test.count]],
    ['val_idx.npy', prepared.valIndex, [prepared.valIndex.length]],
  ];
  const files = arrays.map(([name, data, shape]) => {
    const file = path.join(outDir, name);
    writeFileAtomic(file, npyBytes(data, shape));
    return file;
  });
  return { files, features: n, trainCount: train.count, valCount: prepared.val.count, testCount: test.count };
}
