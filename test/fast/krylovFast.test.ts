import { describe, expect, it } from 'vitest';
import { fft, halfSpectrumVec, irfftInto, zeros } from '../../src/structured/accel/fft';
import { planSubdiagCornerKrylovSum, planSubdiagKrylovSum } from '../../src/structured/accel/subdiagKrylov';
import { naiveDft, shiftKrylovMul, shiftKrylovMulT, subdiagCornerKrylovMul, subdiagCornerKrylovMulT, subdiagKrylovMul, subdiagKrylovMulT } from './helpers';
import { Rng } from '../../src/util/random';

/** Columns A^k g, k < n, by repeated application: the definition of K(A, g). */
function explicitKrylov(apply: (v: Float64Array) => Float64Array, g: Float64Array): Float64Array[] {
  const cols: Float64Array[] = [g.slice()];
  for (let k = 1; k < g.length; k++) cols.push(apply(cols[k - 1]));
  return cols;
}
function mulExplicit(cols: Float64Array[], z: ArrayLike<number>): Float64Array {
  const n = cols.length;
  const y = new Float64Array(n);
  for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) y[j] += cols[k][j] * z[k];
  return y;
}
function mulTExplicit(cols: Float64Array[], x: ArrayLike<number>): Float64Array {
  return Float64Array.from(cols, (c) => c.reduce((s, v, j) => s + v * x[j], 0));
}
function shiftOp(f: number) {
  return (v: Float64Array) => {
    const n = v.length;
    const out = new Float64Array(n);
    out[0] = f * v[n - 1];
    for (let j = 1; j < n; j++) out[j] = v[j - 1];
    return out;
  };
}
function subdiagOp(s: Float64Array, c: number) {
  return (v: Float64Array) => {
    const n = v.length;
    const out = new Float64Array(n);
    out[0] = c * v[n - 1];
    for (let j = 1; j < n; j++) out[j] = s[j - 1] * v[j - 1];
    return out;
  };
}
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-9) {
  expect(a.length).toBe(b.length);
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(tol * Math.max(1, scale));
}
const rand = (rng: Rng, n: number, lo = -1, hi = 1) => Float64Array.from(rng.uniformArray(n, lo, hi));

describe('FFT', () => {
  it('matches the naive DFT, forward and inverse, for every power of two up to 512', () => {
    const rng = new Rng(3);
    for (let n = 1; n <= 512; n *= 2) {
      const re = rand(rng, n);
      const im = rand(rng, n);
      const [nr, ni] = naiveDft(re, im);
      const fr = re.slice();
      const fi = im.slice();
      fft(fr, fi);
      expectClose(fr, nr, 1e-10);
      expectClose(fi, ni, 1e-10);
      fft(fr, fi, true);
      expectClose(fr, re, 1e-12);
      expectClose(fi, im, 1e-12);
    }
  });
});

describe('fast Krylov products', () => {
  const sizes = [2, 7, 16, 100, 257, 1024];
  it('shift Z_f: K(Z_f, g) z and K(Z_f, g)ᵀ x match the explicit Krylov matrix', () => {
    const rng = new Rng(5);
    for (const n of sizes) {
      for (const f of [0, 1, -1, 0.37]) {
        const g = rand(rng, n);
        const z = rand(rng, n);
        const cols = explicitKrylov(shiftOp(f), g);
        expectClose(shiftKrylovMul(f, g, z), mulExplicit(cols, z));
        expectClose(shiftKrylovMulT(f, g, z), mulTExplicit(cols, z));
      }
    }
  });
  it('subdiagonal: divide and conquer matches the explicit Krylov matrix', () => {
    const rng = new Rng(6);
    for (const n of sizes) {
      // Entries near 1 keep the products P(i, j) in a range where errors are visible.
      const s = rand(rng, n - 1, 0.8, 1.2);
      const g = rand(rng, n);
      const z = rand(rng, n);
      const cols = explicitKrylov(subdiagOp(s, 0), g);
      expectClose(subdiagKrylovMul(s, g, z), mulExplicit(cols, z));
      expectClose(subdiagKrylovMulT(s, g, z), mulTExplicit(cols, z));
    }
  });
  it('subdiagonal with a corner: the doubled chain matches the explicit Krylov matrix', () => {
    const rng = new Rng(7);
    for (const n of sizes) {
      const s = rand(rng, n - 1, 0.8, 1.2);
      const c = rng.uniform(-1, 1);
      const g = rand(rng, n);
      const z = rand(rng, n);
      const cols = explicitKrylov(subdiagOp(s, c), g);
      expectClose(subdiagCornerKrylovMul(s, c, g, z), mulExplicit(cols, z));
      expectClose(subdiagCornerKrylovMulT(s, c, g, z), mulTExplicit(cols, z));
    }
  });
});

describe('subdiagonal plans for several generators', () => {
  it('mulSum = Σ_i K(A, g_i) z_i and mulTAll = [K(A, g_i)ᵀ x], with and without a corner', () => {
    const rng = new Rng(9);
    for (const n of [5, 64, 300]) {
      for (const corner of [0, 0.7]) {
        const s = rand(rng, n - 1, 0.8, 1.2);
        const gens = [rand(rng, n), rand(rng, n), rand(rng, n)];
        const zs = gens.map(() => rand(rng, n));
        const x = rand(rng, n);
        const plan = corner === 0 ? planSubdiagKrylovSum(s, gens) : planSubdiagCornerKrylovSum(s, corner, gens);
        const cols = gens.map((g) => explicitKrylov(subdiagOp(s, corner), g));
        const sum = new Float64Array(n);
        cols.forEach((c, i) => mulExplicit(c, zs[i]).forEach((v, j) => (sum[j] += v)));
        expectClose(plan.mulSum(zs), sum);
        const us = plan.mulTAll(x);
        cols.forEach((c, i) => expectClose(us[i], mulTExplicit(c, x)));
        // Plans keep scratch between calls: a second product must not see the first.
        expectClose(plan.mulSum(zs), sum);
      }
    }
  });
});

describe('real FFT', () => {
  it('rfftInto matches the complex DFT and irfftInto inverts it', async () => {
    const { rfftInto } = await import('../../src/structured/accel/fft');
    const rng = new Rng(8);
    for (let N = 2; N <= 1024; N *= 2) {
      const x = rand(rng, N - (N > 4 ? 3 : 0));
      const padded = new Float64Array(N);
      padded.set(x);
      const [nr, ni] = naiveDft(padded, new Float64Array(N));
      const X = halfSpectrumVec(N);
      rfftInto(x, N, X);
      expectClose(X.re, nr.subarray(0, N / 2 + 1), 1e-10);
      expectClose(X.im, ni.subarray(0, N / 2 + 1), 1e-10);
      const back = zeros(N);
      irfftInto(X, N, back);
      expectClose(back, padded, 1e-12);
    }
  });
});
