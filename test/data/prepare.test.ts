// Validation hold-out, train_frac, 32×32 padding and standardisation.
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { findDataset } from '../../src/data/catalog';
import { loadDataset } from '../../src/data/load';
import { featureStats, holdOut, pad32, prepare, standardize, STD_FLOOR } from '../../src/data/prepare';
import type { RawDataset } from '../../src/data/raw';
import { amatText, pixelRows, smallEntry, tempDir, writeFile } from './fixtures';

describe('holdOut', () => {
  it('splits into disjoint ascending sets covering everything, val = round(val_frac · N)', () => {
    const { trainIndex, valIndex } = holdOut(1000, 0.15, 1);
    expect(valIndex.length).toBe(150);
    expect(trainIndex.length).toBe(850);
    const all = [...trainIndex, ...valIndex].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    for (const idx of [trainIndex, valIndex]) for (let i = 1; i < idx.length; i++) expect(idx[i]).toBeGreaterThan(idx[i - 1]);
    // Random, not the last rows.
    expect(valIndex[0]).toBeLessThan(850);
  });

  it('is fixed (no seed argument: the same for every run) and val does not depend on train_frac', () => {
    const a = holdOut(500, 0.2, 1);
    const b = holdOut(500, 0.2, 0.3);
    expect(holdOut(500, 0.2, 1)).toEqual(a);
    expect(b.valIndex).toEqual(a.valIndex);
    expect(b.trainIndex.length).toBe(Math.round(400 * 0.3));
    // Nested fractions: the 0.3 subset lies inside the 0.6 one.
    const c = holdOut(500, 0.2, 0.6);
    const inC = new Set(c.trainIndex);
    expect([...b.trainIndex].every((i) => inC.has(i))).toBe(true);
  });

  it('a val_frac that leaves no validation or no training example is a UserError', () => {
    expect(() => holdOut(3, 0.1, 1)).toThrow('dataset.val_frac: 0.1 of 3 training examples leaves no validation examples');
  });
});

describe('pad32', () => {
  it('centres 28×28 in 32×32 with 2 zero pixels on every side', () => {
    const x = Float32Array.from({ length: 2 * 784 }, (_, i) => 1 + i);
    const p = pad32({ x, y: new Int32Array(2), count: 2 }, [28, 28, 1]);
    expect(p.x.length).toBe(2 * 1024);
    for (let r = 0; r < 2; r++) {
      for (let i = 0; i < 32; i++) {
        for (let j = 0; j < 32; j++) {
          const inside = i >= 2 && i < 30 && j >= 2 && j < 30;
          expect(p.x[r * 1024 + i * 32 + j]).toBe(inside ? x[r * 784 + (i - 2) * 28 + (j - 2)] : 0);
        }
      }
    }
  });
});

describe('standardisation', () => {
  it('matches a direct mean / population std; constant features are only centred', () => {
    const rows = [
      [1, 5, 2],
      [3, 5, 4],
      [8, 5, 0],
    ];
    const s = { x: Float32Array.from(rows.flat()), y: new Int32Array(3), count: 3 };
    const { mean, std } = featureStats(s, 3);
    expect(Array.from(mean)).toEqual([4, 5, 2].map(Math.fround));
    const sd0 = Math.sqrt(((1 - 4) ** 2 + (3 - 4) ** 2 + (8 - 4) ** 2) / 3);
    expect(std[0]).toBeCloseTo(sd0, 6);
    expect(std[1]).toBe(1); // constant: below STD_FLOOR
    expect(STD_FLOOR).toBeLessThan(1e-3);
    const other = Float32Array.from([4, 6, 2 + 2 * std[2]]);
    standardize(other, mean, std);
    expect(other[0]).toBeCloseTo(0, 6);
    expect(other[1]).toBeCloseTo(1, 6);
    expect(other[2]).toBeCloseTo(2, 5);
  });

  it('prepare: train has mean 0 / std 1 per feature, val and test use the train statistics', () => {
    const n = 40;
    const features = 784;
    const x = Float32Array.from({ length: n * features }, (_, i) => ((i * 7919) % 101) / 100 + (i % features) * 0.01);
    const raw: RawDataset = { name: 'rectangles', features, train: { x, y: new Int32Array(n), count: n }, test: { x: x.slice(0, 5 * features), y: new Int32Array(5), count: 5 } };
    const entry = findDataset('rectangles')!;
    const d = prepare(raw, entry, { pad32: true, val_frac: 0.25, train_frac: 1 });
    expect([d.features, d.train.count, d.val.count, d.test.count]).toEqual([1024, 30, 10, 5]);
    expect(d.imageShape).toEqual([32, 32, 1]);
    for (const f of [2 * 32 + 2, 15 * 32 + 17, 29 * 32 + 29]) {
      let m = 0;
      let v = 0;
      for (let r = 0; r < 30; r++) m += d.train.x[r * 1024 + f] / 30;
      for (let r = 0; r < 30; r++) v += (d.train.x[r * 1024 + f] - m) ** 2 / 30;
      expect(m).toBeCloseTo(0, 5);
      expect(Math.sqrt(v)).toBeCloseTo(1, 4);
    }
    // A padding pixel is constant 0: it stays 0 in every split.
    expect(d.train.x[0]).toBe(0);
    expect(d.test.x[1023]).toBe(0);
    // Val row k is raw row valIndex[k], standardised with the train statistics.
    const k = 3;
    const rawRow = d.valIndex[k];
    const f = 10 * 32 + 10;
    const rawValue = x[rawRow * 784 + 8 * 28 + 8];
    expect(d.val.x[k * 1024 + f]).toBeCloseTo((rawValue - d.mean[f]) / d.std[f], 5);
  });

  it('loadDataset end to end on a small .amat fixture', async () => {
    const root = tempDir();
    writeFile(path.join(root, 'rectangles', 'rectangles_train.amat'), amatText(pixelRows(20, 784, 9), Array.from({ length: 20 }, (_, i) => i % 2), 784));
    writeFile(path.join(root, 'rectangles', 'rectangles_test.amat'), amatText(pixelRows(4, 784, 10), [0, 1, 1, 0], 784));
    const cfg = { name: 'rectangles', path: root, pad32: false, val_frac: 0.15, train_frac: 1 };
    const d = await loadDataset(cfg, { entry: smallEntry('rectangles', 20, 4) });
    expect([d.train.count, d.val.count, d.test.count, d.features, d.classes]).toEqual([17, 3, 4, 784, 2]);
    expect(Array.from(d.test.y)).toEqual([0, 1, 1, 0]);
  });
});
