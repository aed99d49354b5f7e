// Damaged dataset caches (docs/reliability.md): checksums checked on every load, labels and
// shapes range-checked; a damaged cache is rebuilt from its source, never used.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { loadRaw, rawProblem } from '../../src/data/load';
import { amatText, pixelRows, smallEntry, tempDir, writeFile } from '../data/fixtures';

const entry = smallEntry('rectangles', 4, 2);

function writeRectangles(root: string): void {
  writeFile(path.join(root, 'rectangles', 'rectangles_train.amat'), amatText(pixelRows(4, 784, 1), [0, 1, 0, 1], 784));
  writeFile(path.join(root, 'rectangles', 'rectangles_test.amat'), amatText(pixelRows(2, 784, 2), [1, 0], 784));
}

describe('dataset cache integrity', () => {
  it('garbled labels of the same size: reported, rebuilt from the source, the right labels used', async () => {
    const root = tempDir();
    writeRectangles(root);
    const first = await loadRaw({ name: 'rectangles', path: root }, { entry });
    const labels = path.join(root, '.cache', 'rectangles', 'train-y.i32');
    fs.writeFileSync(labels, Buffer.from(new Int32Array([1, 0, 1, 0]).buffer));
    const log: string[] = [];
    const second = await loadRaw({ name: 'rectangles', path: root }, { entry, log: (l) => log.push(l) });
    expect(Array.from(second.train.y)).toEqual(Array.from(first.train.y));
    expect(log).toContainEqual(expect.stringMatching(/^the cache of rectangles is damaged \(.*train-y\.i32 does not match its SHA-256 in manifest\.json\); rebuilding it from its source$/));
    // Rebuilt: the third load uses the cache silently.
    const log3: string[] = [];
    await loadRaw({ name: 'rectangles', path: root }, { entry, log: (l) => log3.push(l) });
    expect(log3).toEqual([]);
  });

  it('labels out of range with a matching checksum (a bad writer) are caught by the range check and rebuilt', async () => {
    const root = tempDir();
    writeRectangles(root);
    await loadRaw({ name: 'rectangles', path: root }, { entry });
    const dir = path.join(root, '.cache', 'rectangles');
    const bad = Buffer.from(new Int32Array([0, 7, 0, 1]).buffer);
    fs.writeFileSync(path.join(dir, 'train-y.i32'), bad);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    manifest.sha256['train-y.i32'] = crypto.createHash('sha256').update(bad).digest('hex');
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    const log: string[] = [];
    const raw = await loadRaw({ name: 'rectangles', path: root }, { entry, log: (l) => log.push(l) });
    expect(Array.from(raw.train.y)).toEqual([0, 1, 0, 1]);
    expect(log.join('\n')).toMatch(/damaged \(train example 2 has label 7, expected 0\.\.1\); rebuilding/);
  });

  it('range checks: labels, features per example, counts, non-finite values', () => {
    const ok = { name: 'rectangles', features: 784, train: { x: new Float32Array(784), y: new Int32Array([1]), count: 1 }, test: { x: new Float32Array(784), y: new Int32Array([0]), count: 1 } };
    expect(rawProblem(ok, entry)).toBeNull();
    expect(rawProblem({ ...ok, test: { ...ok.test, y: new Int32Array([-1]) } }, entry)).toBe('test example 1 has label -1, expected 0..1');
    expect(rawProblem({ ...ok, features: 783 }, entry)).toBe('783 features per example, expected 784');
    expect(rawProblem({ ...ok, train: { ...ok.train, count: 2 } }, entry)).toMatch(/^the train split holds 1 labels and 784 values for 2 examples/);
    const x = new Float32Array(784);
    x[5] = NaN;
    expect(rawProblem({ ...ok, train: { ...ok.train, x } }, entry)).toBe('train example 1 has a non-finite feature (NaN)');
  });
});
