// The LDR-SD gradient plan in WebAssembly SIMD (accel/subdiagGradWasm.ts) against the JS plan
// (subdiagGrad.ts), which it must reproduce bit for bit; the maths of both is checked against
// finite differences of the trilinear form in subdiagKrylovOp.test.ts, and the training op's
// gradients against the explicit path there.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { fftWasmAvailable, fftWasmExports, mem } from '../../src/structured/accel/fftWasm';
import { planSubdiagKrylovSumWasm } from '../../src/structured/accel/productsWasm';
import { planSubdiagCornerGrad, planSubdiagGrad } from '../../src/structured/accel/subdiagGrad';
import { planSubdiagGradWasm } from '../../src/structured/accel/subdiagGradWasm';
import { setFastProductEngine } from '../../src/structured/accel/policy';
import { subdiagKrylovProductFast } from '../../src/structured/accel/subdiagKrylovOp';

/** Seeded uniform numbers in [lo, hi) (a local LCG). */
function uniform(seed: number, n: number, lo = -1, hi = 1): Float64Array {
  let s = seed >>> 0;
  return Float64Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((hi - lo) * s) / 2 ** 32;
  });
}

const wasmPlan = (s: ArrayLike<number>, g: ArrayLike<number>[], support?: number) => planSubdiagGradWasm(s, g, support)!;

describe('LDR-SD gradients in WebAssembly SIMD', () => {
  it('SIMD is available on this runtime (Node ≥ 20)', () => {
    expect(fftWasmAvailable()).toBe(true);
  });

  for (const n of [5, 16, 17, 33, 100, 256, 1024]) {
    for (const r of [1, 4]) {
      for (const corner of [false, true]) {
        it(`same bits as the JS plan (n=${n}, r=${r}, corner=${corner}), over rows and two takes`, () => {
          const s = Array.from(uniform(n, n - 1, 0.8, 1.2));
          const gens = Array.from({ length: r }, (_, i) => uniform(100 + i, n));
          const c = 0.6;
          const js = corner ? planSubdiagCornerGrad(s, c, gens) : planSubdiagGrad(s, gens);
          const wa = corner ? planSubdiagCornerGrad(s, c, gens, wasmPlan) : wasmPlan(s, gens);
          for (let take = 0; take < 2; take++) {
            for (let row = 0; row < 3; row++) {
              const w = uniform(1000 * take + row, n);
              const zs = Array.from({ length: r }, (_, i) => uniform(50 + 7 * row + i + take, n));
              js.accumulate(w, zs);
              wa.accumulate(w, zs);
            }
            const a = js.take();
            const b = wa.take();
            expect(Array.from(b.dS)).toEqual(Array.from(a.dS));
            for (let i = 0; i < r; i++) expect(Array.from(b.dG[i])).toEqual(Array.from(a.dG[i]));
            expect(b.dCorner).toBe(a.dCorner);
            expect(a.dS.some((v) => v !== 0)).toBe(true);
          }
          wa.dispose?.();
          expect(() => wa.accumulate(uniform(1, n), gens)).toThrow(/dispose/);
        });
      }
    }
  }

  it('accumulatePtrs reads z from module memory (the products’ outputs) with the same bits', () => {
    const n = 300;
    const r = 2;
    const s = uniform(3, n - 1, 0.9, 1.1);
    const gens = [uniform(4, n), uniform(5, n)];
    const hs = [uniform(6, n), uniform(7, n)];
    const product = planSubdiagKrylovSumWasm(s, hs)!;
    const js = planSubdiagGrad(s, gens);
    const wa = wasmPlan(s, gens);
    for (let row = 0; row < 2; row++) {
      const x = uniform(20 + row, n);
      const w = uniform(30 + row, n);
      const ptrs = product.mulTAllPtrs(x);
      const zs = ptrs.map((p) => mem().slice(p / 8, p / 8 + n));
      js.accumulate(w, zs);
      wa.accumulatePtrs(w, ptrs);
    }
    const a = js.take();
    const b = wa.take();
    expect(Array.from(b.dS)).toEqual(Array.from(a.dS));
    for (let i = 0; i < r; i++) expect(Array.from(b.dG[i])).toEqual(Array.from(a.dG[i]));
    product.dispose();
    wa.dispose();
  });

  for (const corner of [false, true]) {
    it(`the training op gives the same bits on both engines (corner=${corner})`, () => {
      const n = 64;
      const r = 2;
      const rows = 3;
      const x = tf.tensor2d(Float32Array.from(uniform(1, rows * n)), [rows, n]);
      const G = tf.tensor2d(Float32Array.from(uniform(2, r * n)), [r, n]);
      const H = tf.tensor2d(Float32Array.from(uniform(3, r * n)), [r, n]);
      const op = (seed: number) => ({
        subdiag: tf.tensor1d(Float32Array.from(uniform(seed, n - 1, 0.8, 1.2))),
        ...(corner ? { corner: tf.scalar(0.5) } : {}),
      });
      const A = op(4);
      const B = op(5);
      const wts = tf.tensor2d(Float32Array.from(uniform(6, rows * n)), [rows, n]);
      const run = () => {
        const inputs = [x, G, H, A.subdiag, B.subdiag, ...(corner ? [A.corner!, B.corner!] : [])];
        const f = (...ts: tf.Tensor[]) =>
          tf.sum(tf.mul(subdiagKrylovProductFast(ts[0] as tf.Tensor2D, ts[1] as tf.Tensor2D, ts[2] as tf.Tensor2D,
            { subdiag: ts[3], corner: corner ? ts[5] : undefined }, { subdiag: ts[4], corner: corner ? ts[6] : undefined }), wts)) as tf.Scalar;
        const gs = tf.grads(f)(inputs);
        const out = gs.map((g) => Array.from(g.dataSync()));
        tf.dispose(gs);
        return out;
      };
      try {
        setFastProductEngine('js');
        const a = run();
        setFastProductEngine('wasm-simd');
        const b = run();
        expect(b).toEqual(a);
        expect(a[0].some((v) => v !== 0)).toBe(true);
      } finally {
        setFastProductEngine(null);
        tf.dispose([x, G, H, wts, A.subdiag, B.subdiag, ...(corner ? [A.corner!, B.corner!] : [])]);
      }
    });
  }

  it('training steps give their module memory back (no growth after the first step)', () => {
    const n = 512;
    const r = 4;
    const rows = 8;
    const x = tf.tensor2d(Float32Array.from(uniform(11, rows * n)), [rows, n]);
    const G = tf.tensor2d(Float32Array.from(uniform(12, r * n)), [r, n]);
    const H = tf.tensor2d(Float32Array.from(uniform(13, r * n)), [r, n]);
    const sA = tf.tensor1d(Float32Array.from(uniform(14, n - 1, 0.8, 1.2)));
    const sB = tf.tensor1d(Float32Array.from(uniform(15, n - 1, 0.8, 1.2)));
    const step = () => {
      const gs = tf.grads((a: tf.Tensor, g: tf.Tensor, h: tf.Tensor, s1: tf.Tensor, s2: tf.Tensor) =>
        tf.sum(subdiagKrylovProductFast(a as tf.Tensor2D, g as tf.Tensor2D, h as tf.Tensor2D, { subdiag: s1 }, { subdiag: s2 })))([x, G, H, sA, sB]);
      gs.forEach((g) => g.dataSync());
      tf.dispose(gs);
    };
    step();
    const bytes = fftWasmExports()!.memory.buffer.byteLength;
    for (let i = 0; i < 5; i++) step();
    expect(fftWasmExports()!.memory.buffer.byteLength).toBe(bytes);
    tf.dispose([x, G, H, sA, sB]);
  });
});
