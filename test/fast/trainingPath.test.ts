import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { runBenchSpeed } from '../../src/cli/bench';
import { createMatrix } from '../../src/structured/create';
import { chooseComputePath } from '../../src/structured/computePath';
import { setFastProductEngine } from '../../src/structured/accel/policy';
import type { ComputePath } from '../../src/structured/types';
import { Rng } from '../../src/util/random';

function outputAndGrads(className: string, n: number, rank: number, operators: 'z1' | 'z0', path: ComputePath) {
  const rng = new Rng(n + rank);
  const m = createMatrix(className, { n, rank, rng, options: { operators }, compute: { path } });
  expect(m.computePath(4)).toBe(path);
  const x = tf.tensor2d(rng.normalArray(4 * n), [4, n]);
  const w = tf.tensor2d(rng.normalArray(4 * n), [4, n]);
  const vars = Object.values(m.variables);
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(m.apply(x), w)) as tf.Scalar, vars);
  const out = { y: m.apply(x).arraySync(), loss: value.dataSync()[0], grads: vars.map((v) => grads[v.name].arraySync()) };
  tf.dispose([x, w, value, ...Object.values(grads)]);
  m.dispose();
  return out;
}

describe('training path choice for shift-operator classes', () => {
  for (const className of ['toeplitz-like', 'hankel-like']) {
    for (const operators of ['z1', 'z0'] as const) {
      it(`${className} (${operators}): the FFT path gives the explicit path's output and gradients`, () => {
        for (const [n, r] of [[9, 2], [64, 3]]) {
          const explicit = outputAndGrads(className, n, r, operators, 'krylov-simd');
          const fft = outputAndGrads(className, n, r, operators, 'shift-fft');
          expect(fft.loss).toBeCloseTo(explicit.loss, 3);
          const flat = (a: unknown): number[] => (Array.isArray(a) ? a.flatMap(flat) : [a as number]);
          const pairs: [unknown, unknown][] = [[fft.y, explicit.y], ...fft.grads.map((g, i) => [g, explicit.grads[i]] as [unknown, unknown])];
          for (const [a, b] of pairs) {
            const fa = flat(a);
            const fb = flat(b);
            const scale = Math.max(1, ...fb.map(Math.abs));
            fa.forEach((v, i) => expect(Math.abs(v - fb[i])).toBeLessThan(1e-4 * scale));
          }
        }
      });
    }
  }
  it('uses the FFT path only past the measured crossover, and never off the typed-array backends', () => {
    const shift = { kind: 'shift' as const };
    const useShiftFft = (backend: string, n: number, rank: number) =>
      chooseComputePath({ className: 'toeplitz-like', n, rank, batch: 50, backend, operators: { A: shift, B: shift } }) === 'shift-fft';
    try {
      // The JS transforms: from 256 (powers of two) or 384.
      setFastProductEngine('js');
      expect(useShiftFft('wasm', 128, 4)).toBe(false);
      expect(useShiftFft('wasm', 256, 1)).toBe(true);
      expect(useShiftFft('wasm', 300, 4)).toBe(false);
      expect(useShiftFft('wasm', 384, 1)).toBe(true);
      expect(useShiftFft('wasm', 784, 1)).toBe(true);
      expect(useShiftFft('cpu', 2048, 1)).toBe(true);
      expect(useShiftFft('tensorflow', 4096, 4)).toBe(false);
      expect(useShiftFft('webgpu', 4096, 4)).toBe(false);
      // The WebAssembly SIMD op (Node ≥ 20 has it; setFastProductEngine throws otherwise): from 64.
      setFastProductEngine('wasm-simd');
      expect(useShiftFft('wasm', 48, 1)).toBe(false);
      expect(useShiftFft('wasm', 64, 4)).toBe(true);
      expect(useShiftFft('wasm', 100, 1)).toBe(true);
      expect(useShiftFft('cpu', 128, 4)).toBe(true);
      expect(useShiftFft('tensorflow', 4096, 4)).toBe(false);
    } finally {
      setFastProductEngine(null);
    }
  });
});

describe('ldr bench speed', () => {
  it('prints one JSON line per (class, n, r) with speed-ups computed from the times, and a plot', async () => {
    const lines: string[] = [];
    const err: string[] = [];
    const plot = `${require('os').tmpdir()}/ldr-speed-${process.pid}.svg`;
    await runBenchSpeed(
      { backend: 'cpu', n: '64,128', rank: '1,2', batch: '1', classes: 'toeplitz-like,circulant,ldr-sd,ldr-td,unconstrained', repeats: '1', seed: '0', json: true, plot },
      { stdout: (s) => lines.push(...s.trim().split('\n')), stderr: (s) => err.push(s) },
    );
    const rows = lines.map((l) => JSON.parse(l));
    // per n: t×2 ranks, c, sd×2, td×2, u
    expect(rows).toHaveLength(2 * 8);
    for (const r of rows) {
      expect(r.backend).toBe('cpu');
      expect(r.structuredMs).toBeGreaterThan(0);
      expect(r.speedup).toBeCloseTo(r.denseMs / r.structuredMs, 6);
    }
    expect(rows.filter((r) => r.className === 'ldr-sd').every((r) => r.path === 'fast')).toBe(true);
    expect(rows.filter((r) => r.className === 'ldr-td').every((r) => r.path === 'training')).toBe(true);
    const svg = require('fs').readFileSync(plot, 'utf8') as string;
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('toeplitz-like r=2');
    require('fs').unlinkSync(plot);
  });
});
