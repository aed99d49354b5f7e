// The WebAssembly SIMD fast products (accel/fftWasm.ts, productsWasm.ts) against the maths:
// a naive DFT, and dense Krylov matrices built here from their definition (columns A^k g);
// then against the JS products, which they must reproduce bit for bit.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { alloc, cfft, fftWasmAvailable, fftWasmExports, irfftW, mem, release, rfftW } from '../../src/structured/accel/fftWasm';
import { planSubdiagKrylovSumWasm, prepareShiftKrylovProductWasm } from '../../src/structured/accel/productsWasm';
import { fastMatvec } from '../../src/structured/accel/products';
import { fastProductEngine } from '../../src/structured/accel/policy';
import { createMatrix } from '../../src/structured/create';
import { describeMatrix } from '../../src/structured/accel/describe';
import { Rng } from '../../src/util/random';

/** Seeded uniform numbers in [lo, hi) (a local LCG: the references use nothing from src/). */
function uniform(seed: number, n: number, lo = -1, hi = 1): Float64Array {
  let s = seed >>> 0;
  return Float64Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((hi - lo) * s) / 2 ** 32;
  });
}

function naiveDft(re: ArrayLike<number>, im: ArrayLike<number>, sign: number): [Float64Array, Float64Array] {
  const n = re.length;
  const or = new Float64Array(n);
  const oi = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < n; j++) {
      const a = (sign * 2 * Math.PI * ((j * k) % n)) / n;
      or[k] += re[j] * Math.cos(a) - im[j] * Math.sin(a);
      oi[k] += re[j] * Math.sin(a) + im[j] * Math.cos(a);
    }
  }
  return [or, oi];
}

/** Dense K(A, g) (n×n, column k = A^k g) for A given by its action. */
function krylovDense(apply: (v: Float64Array) => Float64Array, g: Float64Array): Float64Array[] {
  const cols: Float64Array[] = [g];
  for (let k = 1; k < g.length; k++) cols.push(apply(cols[k - 1]));
  return cols; // cols[k][i] = K[i][k]
}

/** y = Σ_i K(A, g_i) K(B, h_i)ᵀ x with dense Krylov matrices. */
function denseProduct(applyA: (v: Float64Array) => Float64Array, applyB: (v: Float64Array) => Float64Array, G: Float64Array[], H: Float64Array[], x: Float64Array): Float64Array {
  const n = x.length;
  const y = new Float64Array(n);
  for (let i = 0; i < G.length; i++) {
    const KA = krylovDense(applyA, G[i]);
    const KB = krylovDense(applyB, H[i]);
    const u = KB.map((col) => col.reduce((t, c, j) => t + c * x[j], 0)); // K(B, h)ᵀ x
    for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) y[j] += KA[k][j] * u[k];
  }
  return y;
}

/** Z_f: (Z v)[0] = f·v[n−1], (Z v)[j] = v[j−1]. */
const shift = (f: number) => (v: Float64Array) => Float64Array.from(v, (_, j) => (j === 0 ? f * v[v.length - 1] : v[j - 1]));
/** Subdiagonal s with corner c: (A v)[0] = c·v[n−1], (A v)[j] = s[j−1]·v[j−1]. */
const subdiag = (s: Float64Array, c = 0) => (v: Float64Array) => Float64Array.from(v, (_, j) => (j === 0 ? c * v[v.length - 1] : s[j - 1] * v[j - 1]));

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void {
  expect(a.length).toBe(b.length);
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let err = 0;
  for (let i = 0; i < a.length; i++) err = Math.max(err, Math.abs(a[i] - b[i]));
  expect(err).toBeLessThanOrEqual(tol * scale);
}

describe('WebAssembly SIMD fast products', () => {
  it('are available on this runtime, and chosen by the policy', () => {
    // Node ≥ 16.4 has WebAssembly SIMD; without it the JS products run (policy.ts).
    expect(fftWasmAvailable()).toBe(true);
    expect(fastProductEngine()).toBe('wasm-simd');
  });

  it('complex FFT matches the naive DFT, forward and inverse (radix-2 and radix-4 passes)', () => {
    for (const m of [1, 2, 4, 8, 32, 128, 512]) {
      const re = uniform(m, m);
      const im = uniform(m + 7, m);
      const pr = alloc(8 * m);
      const pi = alloc(8 * m);
      for (const sign of [-1, 1]) {
        mem().set(re, pr / 8);
        mem().set(im, pi / 8);
        cfft(pr, pi, m, sign === 1);
        const [nr, ni] = naiveDft(re, im, sign);
        expectClose(mem().slice(pr / 8, pr / 8 + m), nr, 1e-12 * m);
        expectClose(mem().slice(pi / 8, pi / 8 + m), ni, 1e-12 * m);
      }
      release(pr);
      release(pi);
    }
  });

  it('real FFT of a zero-padded sequence matches the naive DFT, and the inverse gives it back', () => {
    for (const [N, len] of [[2, 1], [4, 4], [8, 5], [64, 64], [256, 100], [1024, 1023]]) {
      const x = uniform(N + len, len);
      const px = alloc(8 * N);
      mem().set(x, px / 8);
      const out = { re: alloc(8 * (N / 2 + 1)), im: alloc(8 * (N / 2 + 1)), len: N / 2 + 1 };
      rfftW(px, 8, len, N, out);
      const padded = new Float64Array(N);
      padded.set(x);
      const [nr, ni] = naiveDft(padded, new Float64Array(N), -1);
      expectClose(mem().slice(out.re / 8, out.re / 8 + N / 2 + 1), nr.slice(0, N / 2 + 1), 1e-12 * N);
      expectClose(mem().slice(out.im / 8, out.im / 8 + N / 2 + 1), ni.slice(0, N / 2 + 1), 1e-12 * N);
      const back = alloc(8 * N);
      irfftW(out, N, back);
      expectClose(mem().slice(back / 8, back / 8 + N), padded, 1e-12 * N);
      // Read backwards (stride −8): the spectrum of the reversed sequence.
      rfftW(px + 8 * (len - 1), -8, len, N, out);
      const rev = new Float64Array(N);
      rev.set(x.slice().reverse());
      const [rr] = naiveDft(rev, new Float64Array(N), -1);
      expectClose(mem().slice(out.re / 8, out.re / 8 + N / 2 + 1), rr.slice(0, N / 2 + 1), 1e-12 * N);
      for (const p of [px, out.re, out.im, back]) release(p);
    }
  });

  it('shift Krylov products Σ K(Z_fA, g) K(Z_fB, h)ᵀ x match the dense matrices', () => {
    for (const n of [2, 4, 16, 64]) {
      for (const [fA, fB] of [[1, -1], [-1, 1], [1, 1], [-1, -1]]) {
        const G = [uniform(n, n), uniform(n + 1, n)];
        const H = [uniform(n + 2, n), uniform(n + 3, n)];
        const x = uniform(n + 4, n);
        const product = prepareShiftKrylovProductWasm(fA, fB, G, H)!;
        expectClose(product(x), denseProduct(shift(fA), shift(fB), G, H, x), 1e-12 * n);
        // Into a caller's buffer.
        const out = new Float64Array(n);
        expect(product(x, out)).toBe(out);
        expectClose(out, denseProduct(shift(fA), shift(fB), G, H, x), 1e-12 * n);
      }
    }
    // Sizes without a size-n transform are left to the JS products.
    expect(prepareShiftKrylovProductWasm(1, -1, [uniform(1, 6)], [uniform(2, 6)])).toBeNull();
    expect(prepareShiftKrylovProductWasm(2, -1, [uniform(1, 8)], [uniform(2, 8)])).toBeNull();
  });

  it('subdiagonal Krylov products (divide and conquer) match the dense matrices, odd and even n', () => {
    for (const n of [7, 33, 64, 100, 257]) {
      for (const r of [1, 3]) {
        const s = uniform(n, n - 1, 0.9, 1.1);
        const G = Array.from({ length: r }, (_, i) => uniform(10 * n + i, n));
        const Z = Array.from({ length: r }, (_, i) => uniform(20 * n + i, n));
        const x = uniform(30 * n, n);
        const plan = planSubdiagKrylovSumWasm(s, G)!;
        // Σ K(A, g_i) z_i
        const expectedSum = new Float64Array(n);
        G.forEach((g, i) => {
          const K = krylovDense(subdiag(s), g);
          for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) expectedSum[j] += K[k][j] * Z[i][k];
        });
        expectClose(plan.mulSum(Z), expectedSum, 1e-11);
        // K(A, g_i)ᵀ x
        const us = plan.mulTAll(x);
        G.forEach((g, i) => {
          const K = krylovDense(subdiag(s), g);
          expectClose(us[i], K.map((col) => col.reduce((t, c, j) => t + c * x[j], 0)), 1e-11);
        });
      }
    }
  });

  it('reproduce the JS products bit for bit (every class with a WebAssembly product)', () => {
    const tensors = tf.memory().numTensors;
    // The shift classes have a wasm product for power-of-two n and f = ±1 only (else fastMatvec
    // takes the JS one, which would compare JS with JS): checked below.
    const cases: [string, number[]][] = [['toeplitz-like', [8, 64, 1024]], ['hankel-like', [8, 64, 1024]], ['ldr-sd', [8, 100, 1024]], ['ldr-sd-corner', [8, 100, 1024]]];
    for (const [className, ns] of cases) {
      for (const n of ns) {
        const rng = new Rng(n + className.length);
        const matrix = createMatrix(className, { n, rank: 2, rng, options: { operators: 'z1' } });
        const desc = describeMatrix(matrix);
        const ops = desc.operators!;
        if (ops.A.kind === 'shift' && ops.B.kind === 'shift') {
          const toF64 = (rows: number[][]) => rows.map((g) => Float64Array.from(g));
          const plan = prepareShiftKrylovProductWasm(ops.A.f, ops.B.f, toF64(desc.G), toF64(desc.H));
          expect(plan, `${className} n=${n}: a WebAssembly product`).not.toBeNull();
          plan!.dispose();
        }
        const js = fastMatvec(desc, 'js')!;
        const wasm = fastMatvec(desc, 'wasm-simd')!;
        const out = new Float64Array(n);
        for (let t = 0; t < 2; t++) {
          const x = Float64Array.from(rng.normalArray(n));
          const a = js(x);
          expect(Array.from(wasm(x))).toEqual(Array.from(a));
          expect(Array.from(wasm(x, out))).toEqual(Array.from(a));
        }
        matrix.dispose();
      }
    }
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('products give their memory back on dispose: a synchronous loop of them stays flat', () => {
    const memBytes = () => fftWasmExports()!.memory.buffer.byteLength;
    const x = uniform(9, 1024);
    for (const className of ['ldr-sd', 'ldr-sd-corner', 'toeplitz-like']) {
      const make = () => {
        const matrix = createMatrix(className, { n: 1024, rank: 4, rng: new Rng(5) });
        const mv = fastMatvec(describeMatrix(matrix), 'wasm-simd')!;
        matrix.dispose();
        return mv;
      };
      const first = make();
      first(x);
      first.dispose();
      expect(() => first(x)).toThrow(/after dispose/);
      const before = memBytes();
      for (let i = 0; i < 20; i++) {
        const mv = make();
        mv(x);
        mv.dispose();
      }
      expect(memBytes()).toBe(before);
    }
  });

  it('gives memory back: a released region is reused, neighbours coalesce', () => {
    const a = alloc(1000);
    const b = alloc(1000);
    release(a);
    release(b);
    const c = alloc(2000);
    expect(c).toBe(a);
    release(c);
  });
});
