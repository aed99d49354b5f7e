// `ldr data export`: standard .npy files holding exactly the arrays training uses.
import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerDataExport } from '../../src/cli/dataExport';
import { exportDataset } from '../../src/data/export';
import { loadDataset } from '../../src/data/load';
import { npyBytes } from '../../src/data/npy';
import { amatText, pixelRows, smallEntry, tempDir, writeFile } from './fixtures';

/** A minimal .npy v1.0 reader, written from the format description (not from npy.ts). */
function readNpy(file: string): { descr: string; shape: number[]; fortran: boolean; data: Float32Array | Int32Array; headerBytes: number } {
  const buf = fs.readFileSync(file);
  expect([...buf.subarray(0, 8)]).toEqual([0x93, ...Buffer.from('NUMPY'), 1, 0]);
  const headerLen = buf.readUInt16LE(8);
  const header = buf.subarray(10, 10 + headerLen).toString('latin1');
  expect(header.endsWith('\n')).toBe(true);
  const descr = /'descr': '([^']+)'/.exec(header)![1];
  const fortran = /'fortran_order': (True|False)/.exec(header)![1] === 'True';
  const shape = /'shape': \(([^)]*)\)/.exec(header)![1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const body = buf.subarray(10 + headerLen);
  const ab = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength);
  const data = descr === '<f4' ? new Float32Array(ab) : new Int32Array(ab);
  return { descr, shape, fortran, data, headerBytes: 10 + headerLen };
}

function fixture(): string {
  const root = tempDir();
  writeFile(path.join(root, 'rectangles', 'rectangles_train.amat'), amatText(pixelRows(20, 784, 3), Array.from({ length: 20 }, (_, i) => (i * 7) % 2), 784));
  writeFile(path.join(root, 'rectangles', 'rectangles_test.amat'), amatText(pixelRows(3, 784, 4), [1, 1, 0], 784));
  return root;
}

describe('npy', () => {
  it('writes a v1.0 header padded to 64 bytes, 1-d shapes with a trailing comma', () => {
    const bytes = npyBytes(Int32Array.from([1, 2, 3]), [3]);
    const header = Buffer.from(bytes.subarray(10, 10 + Buffer.from(bytes).readUInt16LE(8))).toString('latin1');
    expect(header.trim()).toBe("{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }");
    expect((10 + header.length) % 64).toBe(0);
    expect(() => npyBytes(new Float32Array(5), [2, 3])).toThrow('does not match');
  });
});

describe('data export', () => {
  it('writes the full training set (train + val) and the test set, standardised as training does', async () => {
    const root = fixture();
    const out = path.join(tempDir(), 'arrays');
    const cfg = { name: 'rectangles', path: root, pad32: true, val_frac: 0.15, train_frac: 1 };
    const entry = smallEntry('rectangles', 20, 3);
    const result = await exportDataset(cfg, out, { entry });
    expect(fs.readdirSync(out).sort()).toEqual(['X_test.npy', 'X_train.npy', 'val_idx.npy', 'y_test.npy', 'y_train.npy']);
    expect(result).toMatchObject({ features: 1024, trainCount: 20, valCount: 3, testCount: 3 });

    const X = readNpy(path.join(out, 'X_train.npy'));
    const y = readNpy(path.join(out, 'y_train.npy'));
    const Xt = readNpy(path.join(out, 'X_test.npy'));
    const yt = readNpy(path.join(out, 'y_test.npy'));
    const vi = readNpy(path.join(out, 'val_idx.npy'));
    expect([X.descr, y.descr, Xt.descr, yt.descr, vi.descr]).toEqual(['<f4', '<i4', '<f4', '<i4', '<i4']);
    expect([X.shape, y.shape, Xt.shape, yt.shape]).toEqual([[20, 1024], [20], [3, 1024], [3]]);
    expect(X.fortran).toBe(false);
    expect(X.headerBytes % 64).toBe(0);

    // The same rows training sees: train rows and val rows are rows of X_train, test is X_test.
    const d = await loadDataset(cfg, { entry });
    expect(Array.from(vi.data)).toEqual(Array.from(d.valIndex));
    d.trainIndex.forEach((row, k) => {
      expect(X.data.subarray(row * 1024, (row + 1) * 1024)).toEqual(d.train.x.subarray(k * 1024, (k + 1) * 1024));
      expect(y.data[row]).toBe(d.train.y[k]);
    });
    d.valIndex.forEach((row, k) => expect(X.data.subarray(row * 1024, (row + 1) * 1024)).toEqual(d.val.x.subarray(k * 1024, (k + 1) * 1024)));
    expect(Xt.data).toEqual(d.test.x);
    expect(Array.from(yt.data)).toEqual([1, 1, 0]);
  });

  it('the CLI command: unknown names fail with the list of datasets; built-ins export without files', async () => {
    const program = new Command('ldr').exitOverride();
    registerDataExport(program.command('data'));
    await expect(program.parseAsync(['node', 'ldr', 'data', 'export', 'mnistt', '--out', tempDir()])).rejects.toThrow(
      'unknown dataset "mnistt"; expected one of digits-bg-rot, digits-noise, mnist-bg-rot, mnist-noise, rectangles, cifar10, norb',
    );
    const out = tempDir();
    const writes: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((s: string) => writes.push(s)) as typeof process.stdout.write;
    try {
      await program.parseAsync(['node', 'ldr', 'data', 'export', 'digits-noise', '--out', out, '--path', tempDir()]);
    } finally {
      process.stdout.write = write;
    }
    expect(writes[0]).toBe('digits-noise: 8000 training rows (1200 of them held out for validation, see val_idx.npy), 2000 test rows, 784 features\n');
    expect(readNpy(path.join(out, 'X_train.npy')).shape).toEqual([8000, 784]);
    expect(readNpy(path.join(out, 'y_test.npy')).shape).toEqual([2000]);
  });
});
