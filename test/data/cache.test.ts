// The binary cache: reused while the sources are unchanged, rebuilt when they change, never half-written.
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { loadRaw } from '../../src/data/load';
import { amatText, pixelRows, smallEntry, tempDir, writeFile } from './fixtures';

const entry = smallEntry('rectangles', 4, 2);

function writeRectangles(root: string, seed: number): void {
  writeFile(path.join(root, 'rectangles', 'rectangles_train.amat'), amatText(pixelRows(4, 784, seed), [0, 1, 0, 1], 784));
  writeFile(path.join(root, 'rectangles', 'rectangles_test.amat'), amatText(pixelRows(2, 784, seed + 1), [1, 0], 784));
}

describe('dataset cache', () => {
  it('is written on first load and read (not re-parsed) afterwards', async () => {
    const root = tempDir();
    writeRectangles(root, 1);
    // Whole-second mtimes, so that they can be restored exactly below.
    const stamps = ['rectangles_train.amat', 'rectangles_test.amat'].map((f) => path.join(root, 'rectangles', f));
    const mtime = new Date(Math.floor(Date.now() / 1000) * 1000 - 10_000);
    for (const f of stamps) fs.utimesSync(f, mtime, mtime);
    const first = await loadRaw({ name: 'rectangles', path: root }, { entry });
    const dir = path.join(root, '.cache', 'rectangles');
    expect(fs.readdirSync(dir).sort()).toEqual(['manifest.json', 'test-x.f32', 'test-y.i32', 'train-x.f32', 'train-y.i32']);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.sources.map((s: { size: number }) => s.size)).toEqual([
      fs.statSync(path.join(root, 'rectangles', 'rectangles_train.amat')).size,
      fs.statSync(path.join(root, 'rectangles', 'rectangles_test.amat')).size,
    ]);
    // Make the sources unreadable without changing their stamps: a second load that re-parsed
    // them would fail; one that reads the cache does not.
    for (const f of stamps) {
      fs.writeFileSync(f, 'x'.repeat(fs.statSync(f).size));
      fs.utimesSync(f, mtime, mtime);
    }
    const second = await loadRaw({ name: 'rectangles', path: root }, { entry });
    expect(second.train).toEqual(first.train);
    expect(second.test).toEqual(first.test);
  });

  it('is rebuilt when a source file changes', async () => {
    const root = tempDir();
    writeRectangles(root, 1);
    const first = await loadRaw({ name: 'rectangles', path: root }, { entry });
    writeRectangles(root, 5);
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(path.join(root, 'rectangles', 'rectangles_train.amat'), later, later);
    const second = await loadRaw({ name: 'rectangles', path: root }, { entry });
    expect(second.train.x).toEqual(Float32Array.from(pixelRows(4, 784, 5)));
    expect(second.train.x).not.toEqual(first.train.x);
  });

  it('is rebuilt when the manifest is missing (a build that crashed before its last write)', async () => {
    const root = tempDir();
    writeRectangles(root, 1);
    const first = await loadRaw({ name: 'rectangles', path: root }, { entry });
    const dir = path.join(root, '.cache', 'rectangles');
    fs.writeFileSync(path.join(dir, 'train-x.f32'), Buffer.alloc(4 * 784 * 4)); // garbage of the right size
    fs.rmSync(path.join(dir, 'manifest.json'));
    const second = await loadRaw({ name: 'rectangles', path: root }, { entry });
    expect(second.train.x).toEqual(first.train.x);
    expect(fs.existsSync(path.join(dir, 'manifest.json'))).toBe(true);
  });

  it('a malformed source writes no cache at all', async () => {
    const root = tempDir();
    writeRectangles(root, 1);
    const file = path.join(root, 'rectangles', 'rectangles_test.amat');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/ \S+ *\n$/, ' oops\n'));
    await expect(loadRaw({ name: 'rectangles', path: root }, { entry })).rejects.toThrow(`${file}:2: expected a label in 0..1 as the last number, found "oops"`);
    expect(fs.existsSync(path.join(root, '.cache'))).toBe(false);
  });

  it('built-in datasets are cached too, with identical bytes', async () => {
    const root = tempDir();
    const t0 = performance.now();
    const built = await loadRaw({ name: 'digits-noise', path: root });
    const t1 = performance.now();
    const cached = await loadRaw({ name: 'digits-noise', path: root });
    const t2 = performance.now();
    expect(fs.existsSync(path.join(root, '.cache', 'digits-noise', 'manifest.json'))).toBe(true);
    expect(Buffer.from(cached.train.x.buffer).equals(Buffer.from(built.train.x.buffer))).toBe(true);
    expect(Array.from(cached.test.y)).toEqual(Array.from(built.test.y));
    expect(t2 - t1).toBeLessThan(t1 - t0);
  });
});
