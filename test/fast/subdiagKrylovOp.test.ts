import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createMatrix } from '../../src/structured/create';
import { chooseComputePath } from '../../src/structured/computePath';
import { planSubdiagCornerGrad, planSubdiagGrad } from '../../src/structured/accel/subdiagGrad';
import { planSubdiagGradWasm } from '../../src/structured/accel/subdiagGradWasm';
import type { ComputePath, StructuredMatrix } from '../../src/structured/types';
import { Rng } from '../../src/util/random';
import { richardsonGradCheck } from '../structured/fdcheck';


/** F(w, g, z) = wᵀ K(A, g) z by its definition, A = subdiagonal(s) (+ corner c), in float64. */
function trilinear(s: number[], c: number, w: number[], g: number[], z: number[]): number {
  const n = g.length;
  let v = g.slice();
  let f = 0;
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < n; j++) f += w[j] * z[k] * v[j];
    v = v.map((_, j) => (j === 0 ? c * v[n - 1] : s[j - 1] * v[j - 1]));
  }
  return f;
}

describe('subdiagonal Krylov gradients (divide and conquer)', () => {
  const engines = {
    js: planSubdiagGrad,
    'wasm-simd': (s: ArrayLike<number>, g: ArrayLike<number>[], support?: number) => planSubdiagGradWasm(s, g, support)!,
  };
  for (const n of [2, 7, 33, 100, 130]) {
    for (const corner of [false, true]) for (const [engine, plain] of Object.entries(engines)) {
      it(`match float64 finite differences of wᵀK(A,g)z (n=${n}, corner=${corner}, ${engine})`, () => {
        const rng = new Rng(n * 7 + (corner ? 1 : 0));
        const s = Array.from(rng.normalArray(n - 1, 0.05)).map((v) => 1 + v);
        const c = corner ? 0.7 : 0;
        const w = Array.from(rng.normalArray(n));
        const g = Array.from(rng.normalArray(n));
        const z = Array.from(rng.normalArray(n));
        const plan = corner ? planSubdiagCornerGrad(s, c, [g], plain) : plain(s, [g]);
        // Two rows whose sum is the single row's (the form is linear in z): checks the row sums too.
        plan.accumulate(w, [z.map((v) => 0.25 * v)]);
        plan.accumulate(w, [z.map((v) => 0.75 * v)]);
        const { dG, dS, dCorner } = plan.take();
        const h = 1e-5;
        const fd = (f: (d: number) => number) => (f(h) - f(-h)) / (2 * h);
        const scale = Math.abs(trilinear(s, c, w, g, z)) + 1;
        for (let i = 0; i < n; i += Math.max(1, Math.floor(n / 12))) {
          const num = fd((d) => trilinear(s, c, w, g.map((v, j) => (j === i ? v + d : v)), z));
          expect(Math.abs(dG[0][i] - num) / scale, `dg[${i}]`).toBeLessThan(1e-7);
        }
        for (let l = 0; l < n - 1; l += Math.max(1, Math.floor(n / 12))) {
          const num = fd((d) => trilinear(s.map((v, j) => (j === l ? v + d : v)), c, w, g, z));
          expect(Math.abs(dS[l] - num) / scale, `ds[${l}]`).toBeLessThan(1e-7);
        }
        // take() starts a new sum.
        plan.accumulate(w, [z]);
        const again = plan.take();
        for (let l = 0; l < n - 1; l++) expect(Math.abs(again.dS[l] - dS[l]) / scale).toBeLessThan(1e-9);
        if (corner) expect(Math.abs(dCorner - fd((d) => trilinear(s, c + d, w, g, z))) / scale).toBeLessThan(1e-7);
        plan.dispose?.();
      });
    }
  }
});

/** Output, loss and gradients of Σ W ∘ (X Mᵀ) on one path. */
function outputAndGrads(m: StructuredMatrix, x: tf.Variable, w: tf.Tensor2D) {
  const vars = { x, ...m.variables };
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(m.apply(x), w)) as tf.Scalar, Object.values(vars));
  const y = tf.tidy(() => m.apply(x).arraySync() as number[][]);
  const out = { y, loss: value.dataSync()[0], grads: Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, Array.from(grads[v.name].dataSync())])) };
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

/** Parameters moved off their init (s = 1, corner 0) so every entry matters. */
function perturb(m: StructuredMatrix, rng: Rng): void {
  for (const [k, v] of Object.entries(m.variables)) {
    if (k.endsWith('subdiag')) tf.tidy(() => v.assign(tf.add(v, tf.tensor(rng.normalArray(v.size, 0.1), v.shape))));
    if (k.endsWith('corner')) tf.tidy(() => v.assign(tf.scalar(rng.normalArray(1, 0.5)[0])));
  }
}

function maxRelDiff(a: number[], b: number[]): number {
  const scale = Math.max(1e-6, ...b.map(Math.abs));
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]))) / scale;
}

describe('LDR-SD fast training op', () => {
  for (const className of ['ldr-sd', 'ldr-sd-corner']) {
    for (const [n, r] of [[2, 2], [7, 1], [7, 3], [16, 1], [16, 3], [100, 1], [100, 3], [1024, 1]]) {
      it(`${className} n=${n} r=${r}: output and every gradient equal the explicit path`, () => {
        // The same matrix twice (same seed), once per path.
        const make = (path: ComputePath) => {
          const rng = new Rng(n * 10 + r);
          const m = createMatrix(className, { n, rank: r, rng, compute: { path } });
          perturb(m, rng);
          return { m, rng };
        };
        const { m: mExplicit, rng } = make('krylov-simd');
        const { m } = make('subdiag-dc');
        expect([mExplicit.computePath(3), m.computePath(3)]).toEqual(['krylov-simd', 'subdiag-dc']);
        const x = tf.variable(tf.tensor2d(rng.normalArray(3 * n), [3, n]));
        const w = tf.tensor2d(rng.normalArray(3 * n), [3, n]);
        const before = tf.memory().numTensors;
        const explicit = outputAndGrads(mExplicit, x, w);
        const fast = outputAndGrads(m, x, w);
        expect(tf.memory().numTensors).toBe(before);
        mExplicit.dispose();
        expect(maxRelDiff(fast.y.flat(), explicit.y.flat())).toBeLessThan(1e-4);
        expect(Object.keys(fast.grads).sort()).toEqual(Object.keys(explicit.grads).sort());
        for (const k of Object.keys(explicit.grads)) expect(maxRelDiff(fast.grads[k], explicit.grads[k]), k).toBeLessThan(2e-4);
        tf.dispose([x, w]);
        m.dispose();
      });
    }
    for (const [n, r] of [[7, 3], [16, 1], [100, 3]]) {
      it(`${className} n=${n} r=${r}: fast-path gradients match finite differences`, () => {
        const rng = new Rng(n + r + 5);
        const m = createMatrix(className, { n, rank: r, rng, compute: { path: 'subdiag-dc' } });
        perturb(m, rng);
        const x = tf.variable(tf.tensor2d(rng.normalArray(2 * n), [2, n]));
        const w = tf.tensor2d(rng.normalArray(2 * n), [2, n]);
        const results = richardsonGradCheck(() => tf.sum(tf.mul(m.apply(x), w)) as tf.Scalar, { x, ...m.variables }, { h: 1e-2 });
        for (const res of results) expect(res.maxRelError, res.name).toBeLessThan(1e-2);
        tf.dispose([x, w]);
        m.dispose();
      });
    }
  }

  /** Whether LDR-SD (corner: LDR-SD-corner) takes subdiag-dc; `path` forces one. */
  const takesDc = (backend: string, n: number, rank: number, batch: number, corner = false, path?: ComputePath) => {
    const op = { kind: 'subdiagonal' as const, hasCorner: corner };
    const query = { className: corner ? ('ldr-sd-corner' as const) : ('ldr-sd' as const), n, rank, batch, backend, operators: { A: op, B: op } };
    return chooseComputePath(query, { path }) === 'subdiag-dc';
  };

  it('the chooser keeps explicit Krylov rows off the typed-array backends and honours overrides', () => {
    expect(takesDc('tensorflow', 4096, 1, 1)).toBe(false);
    expect(takesDc('wasm', 8, 1, 50, false, 'subdiag-dc')).toBe(true);
    expect(takesDc('wasm', 1 << 15, 1, 1, false, 'krylov-js')).toBe(false);
    expect(() => takesDc('tensorflow', 4096, 1, 1, false, 'subdiag-dc')).toThrow(/does not apply to ldr-sd on backend tensorflow/);
  });

  it('the measured rule: without corners fast from n = 512 (r = 4 from 256), with corners from 1024 but at r = 1 only up to batch 16 (policy.ts)', () => {
    expect(takesDc('wasm', 512, 4, 1)).toBe(true);
    expect(takesDc('wasm', 784, 1, 50)).toBe(true);
    expect(takesDc('wasm', 384, 1, 50)).toBe(false);
    expect(takesDc('wasm', 384, 2, 16)).toBe(true);
    expect(takesDc('wasm', 384, 2, 50)).toBe(false);
    expect(takesDc('wasm', 384, 4, 100)).toBe(true);
    expect(takesDc('wasm', 256, 4, 50)).toBe(true);
    expect(takesDc('wasm', 256, 4, 100)).toBe(false);
    expect(takesDc('wasm', 256, 2, 16)).toBe(false);
    expect(takesDc('wasm', 784, 4, 50, true)).toBe(false);
    expect(takesDc('wasm', 1024, 4, 50)).toBe(true);
    expect(takesDc('wasm', 1024, 1, 50)).toBe(true);
    expect(takesDc('wasm', 1024, 1, 8)).toBe(true);
    expect(takesDc('wasm', 1024, 1, 1000)).toBe(true);
    expect(takesDc('wasm', 1024, 2, 50)).toBe(true);
    expect(takesDc('wasm', 1024, 1, 16, true)).toBe(true);
    expect(takesDc('wasm', 1024, 1, 50, true)).toBe(false);
    expect(takesDc('wasm', 1024, 2, 50, true)).toBe(true);
    expect(takesDc('wasm', 1024, 4, 50, true)).toBe(true);
    expect(takesDc('wasm', 2048, 1, 50, true)).toBe(true);
    expect(takesDc('wasm', 2048, 1, 50)).toBe(true);
    expect(takesDc('cpu', 4096, 4, 50, true)).toBe(true);
  });
});
