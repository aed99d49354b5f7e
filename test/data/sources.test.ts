// Each loader on small files written in the original formats: .amat, CIFAR-10 batches, NORB .mat.
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { parseAmat } from '../../src/data/amat';
import { readCifarBatches } from '../../src/data/cifar';
import { loadRaw } from '../../src/data/load';
import { readNorbPairs } from '../../src/data/norb';
import { UserError } from '../../src/util/errors';
import { amatText, cifarBatch, norbCat, norbDat, norbMatrix, pixelRows, smallEntry, tempDir, writeFile } from './fixtures';

const F = 784;

describe('.amat (Larochelle et al.)', () => {
  it('parses features and labels exactly, across chunk boundaries', async () => {
    const dir = tempDir();
    const rows = pixelRows(6, F, 1);
    const labels = [3, 0, 9, 9, 1, 4];
    const file = writeFile(path.join(dir, 'a.amat'), amatText(rows, labels, F));
    // 997-byte chunks: every line (~19 KB) straddles several.
    const parsed = (await parseAmat(file, { features: F, classes: 10, chunkBytes: 997 })).split();
    expect(parsed.count).toBe(6);
    expect(Array.from(parsed.y)).toEqual(labels);
    expect(parsed.x).toEqual(Float32Array.from(rows));
  });

  it('accepts a last line without newline, and skips blank lines', async () => {
    const dir = tempDir();
    const rows = pixelRows(2, F, 2);
    const text = amatText(rows, [1, 2], F).replace('\n', '\n\n').trimEnd();
    const file = writeFile(path.join(dir, 'a.amat'), text);
    const parsed = (await parseAmat(file, { features: F, classes: 10 })).split();
    expect(Array.from(parsed.y)).toEqual([1, 2]);
  });

  it('a truncated last line names the file and line', async () => {
    const dir = tempDir();
    const text = amatText(pixelRows(3, F, 3), [1, 2, 3], F);
    const cut = text.slice(0, text.length - 5000);
    const file = writeFile(path.join(dir, 'cut.amat'), cut);
    const found = cut.split('\n')[2].trim().split(/\s+/).length;
    expect(found).toBeLessThan(785);
    await expect(parseAmat(file, { features: F, classes: 10 })).rejects.toThrow(
      new UserError(`${file}:3: expected 785 numbers (784 pixels and a label), found ${found} (truncated or malformed file)`),
    );
  });

  it('a non-numeric field or a bad label names the file and line', async () => {
    const dir = tempDir();
    const lines = amatText(pixelRows(2, F, 4), [1, 2], F).split('\n');
    const bad = lines[1].trim().split(' ');
    bad[6] = 'x1.5';
    const file = writeFile(path.join(dir, 'bad.amat'), [lines[0], bad.join(' ')].join('\n'));
    await expect(parseAmat(file, { features: F, classes: 10 })).rejects.toThrow(`${file}:2: number 7 is "x1.5", expected a finite number`);
    const label = writeFile(path.join(dir, 'label.amat'), amatText(pixelRows(1, F, 5), [7], F));
    await expect(parseAmat(label, { features: F, classes: 2 })).rejects.toThrow(
      `${label}:1: expected a label in 0..1 as the last number, found "7.00000000000000000e+0"`,
    );
  });

  it('mnist-noise: the last testCount rows are the test set', async () => {
    const root = tempDir();
    const rows = pixelRows(5, F, 6);
    writeFile(path.join(root, 'mnist-noise', 'mnist_noise_variations_all_1.amat'), amatText(rows, [0, 1, 2, 3, 4], F));
    const raw = await loadRaw({ name: 'mnist-noise', path: root }, { entry: smallEntry('mnist-noise', 3, 2) });
    expect(Array.from(raw.train.y)).toEqual([0, 1, 2]);
    expect(Array.from(raw.test.y)).toEqual([3, 4]);
    expect(raw.test.x).toEqual(Float32Array.from(rows.subarray(3 * F)));
  });

  it('a file with fewer rows than the paper split is an error', async () => {
    const root = tempDir();
    const file = writeFile(path.join(root, 'rectangles', 'rectangles_train.amat'), amatText(pixelRows(2, F, 7), [0, 1], F));
    writeFile(path.join(root, 'rectangles', 'rectangles_test.amat'), amatText(pixelRows(1, F, 8), [1], F));
    await expect(loadRaw({ name: 'rectangles', path: root })).rejects.toThrow(
      `${file}: 2 examples, expected 1200 (truncated or wrong file; fetch it again)`,
    );
  });

  it('a missing file names the expected path and the fetch command', async () => {
    const root = tempDir();
    const expected = path.join(root, 'mnist-bg-rot', 'mnist_all_background_images_rotation_normalized_train_valid.amat');
    await expect(loadRaw({ name: 'mnist-bg-rot', path: root })).rejects.toThrow(
      `dataset mnist-bg-rot: missing file ${expected} and 1 more (run \`ldr data fetch mnist-bg-rot\` to download it, or set dataset.path)`,
    );
  });
});

describe('CIFAR-10 binary batches', () => {
  const pixel = (r: number, c: number, p: number) => (r * 31 + c * 50 + p * 7) % 256;

  it('reads labels and grayscale = mean of R, G, B in [0, 1]', () => {
    const dir = tempDir();
    const a = writeFile(path.join(dir, 'data_batch_1.bin'), cifarBatch([6, 9], pixel));
    const b = writeFile(path.join(dir, 'data_batch_2.bin'), cifarBatch([0], (r, c, p) => pixel(r + 2, c, p)));
    const s = readCifarBatches([a, b]);
    expect(s.count).toBe(3);
    expect(Array.from(s.y)).toEqual([6, 9, 0]);
    for (const [r, p] of [[0, 0], [1, 513], [2, 1023]]) {
      const mean = (pixel(r, 0, p) + pixel(r, 1, p) + pixel(r, 2, p)) / 3 / 255;
      expect(s.x[r * 1024 + p]).toBe(Math.fround(mean));
    }
  });

  it('loads through the catalog: five training batches then test_batch', async () => {
    const root = tempDir();
    for (let i = 1; i <= 5; i++) writeFile(path.join(root, 'cifar10', 'cifar-10-batches-bin', `data_batch_${i}.bin`), cifarBatch([i], pixel));
    writeFile(path.join(root, 'cifar10', 'cifar-10-batches-bin', 'test_batch.bin'), cifarBatch([7, 8], pixel));
    const raw = await loadRaw({ name: 'cifar10', path: root }, { entry: smallEntry('cifar10', 5, 2) });
    expect(Array.from(raw.train.y)).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from(raw.test.y)).toEqual([7, 8]);
    expect(raw.features).toBe(1024);
  });

  it('a truncated batch or a bad label is an error naming the file', () => {
    const dir = tempDir();
    const cut = writeFile(path.join(dir, 'data_batch_1.bin'), cifarBatch([1, 2], pixel).subarray(0, 5000));
    expect(() => readCifarBatches([cut])).toThrow(`${cut}: 5000 bytes is not a whole number of 3073-byte CIFAR-10 records`);
    const bad = writeFile(path.join(dir, 'data_batch_2.bin'), cifarBatch([1, 12], pixel));
    expect(() => readCifarBatches([bad])).toThrow(`${bad}: record 2 has label 12, expected 0..9`);
  });
});

describe('NORB jittered-cluttered binary matrices', () => {
  // The left image encodes its own coordinates; the right one is all 255 so any leak shows.
  const pixel = (e: number, im: number, r: number, c: number) => (im === 1 ? 255 : (e * 40 + r + 2 * c) % 250);

  it('keeps the left image and downsamples 108 → 32 by nearest (pixel centres)', () => {
    const dir = tempDir();
    const dat = writeFile(path.join(dir, 'x-training-01-dat.mat'), norbDat(3, pixel));
    const cat = writeFile(path.join(dir, 'x-training-01-cat.mat'), norbCat([4, 0, 5]));
    const s = readNorbPairs([{ dat, cat }]);
    expect(s.count).toBe(3);
    expect(Array.from(s.y)).toEqual([4, 0, 5]);
    // Target i samples source floor((i + 0.5) · 108 / 32): 0 → 1, 1 → 5, 31 → 106.
    const src = (i: number) => Math.floor(((i + 0.5) * 108) / 32);
    expect([src(0), src(1), src(31)]).toEqual([1, 5, 106]);
    for (let e = 0; e < 3; e++) {
      for (const [i, j] of [[0, 0], [0, 31], [17, 5], [31, 31]]) {
        expect(s.x[e * 1024 + i * 32 + j]).toBe(Math.fround(pixel(e, 0, src(i), src(j)) / 255));
      }
    }
    expect(Math.max(...s.x)).toBeLessThan(1);
  });

  it('header dims: at least 3 are stored, even for 1-d label files', () => {
    const bytes = norbCat([1, 2]);
    expect(bytes.length).toBe(8 + 12 + 8);
  });

  it('a truncated dat file, a wrong magic, and label/count mismatches are errors', () => {
    const dir = tempDir();
    const full = norbDat(2, pixel);
    const dat = writeFile(path.join(dir, 'x-training-01-dat.mat'), full.subarray(0, full.length - 100));
    const cat = writeFile(path.join(dir, 'x-training-01-cat.mat'), norbCat([1, 2]));
    expect(() => readNorbPairs([{ dat, cat }])).toThrow(`${dat}: ${full.length - 100} bytes, but its header (2×2×108×108) needs ${full.length}`);
    const wrong = writeFile(path.join(dir, 'y-training-01-dat.mat'), norbMatrix(0x12345678, [1], new Uint8Array(1)));
    expect(() => readNorbPairs([{ dat: wrong, cat }])).toThrow(`${wrong}: magic number 0x12345678 is not a NORB binary matrix`);
    const dat2 = writeFile(path.join(dir, 'z-training-01-dat.mat'), full);
    const cat3 = writeFile(path.join(dir, 'z-training-01-cat.mat'), norbCat([1, 2, 3]));
    expect(() => readNorbPairs([{ dat: dat2, cat: cat3 }])).toThrow(`${cat3}: expected an int32 matrix of 2 labels (NORB -cat.mat), found 3`);
    const cat6 = writeFile(path.join(dir, 'w-training-01-cat.mat'), norbCat([1, 6]));
    expect(() => readNorbPairs([{ dat: dat2, cat: cat6 }])).toThrow(`${cat6}: label 2 is 6, expected 0..5`);
  });

  it('loads through the catalog: training-NN pairs into train, testing-NN into test', async () => {
    const root = tempDir();
    const name = (kind: string, i: number, what: string) => `norb-5x${kind === 'training' ? '46789' : '01235'}x9x18x6x2x108x108-${kind}-${String(i).padStart(2, '0')}-${what}.mat`;
    for (let i = 1; i <= 10; i++) {
      writeFile(path.join(root, 'norb', name('training', i, 'dat')), norbDat(1, (e, im, r, c) => pixel(i, im, r, c)));
      writeFile(path.join(root, 'norb', name('training', i, 'cat')), norbCat([i % 6]));
    }
    for (let i = 1; i <= 2; i++) {
      writeFile(path.join(root, 'norb', name('testing', i, 'dat')), norbDat(1, pixel));
      writeFile(path.join(root, 'norb', name('testing', i, 'cat')), norbCat([i]));
    }
    const raw = await loadRaw({ name: 'norb', path: root }, { entry: smallEntry('norb', 10, 2) });
    expect(Array.from(raw.train.y)).toEqual([1, 2, 3, 4, 5, 0, 1, 2, 3, 4]);
    expect(Array.from(raw.test.y)).toEqual([1, 2]);
    expect(fs.existsSync(path.join(root, '.cache', 'norb', 'manifest.json'))).toBe(true);
  });
});
