// The LDR-SD training op's WebAssembly step (accel/subdiagStepWasm.ts: plans and rows kept from
// the forward to the backward, the A gradient reusing the forward's spectra) against the JS
// engine, bit for bit: forward, every gradient, with and without dX, and the ways a held step
// ends (its backward, a forward without a tape, too many held steps).
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { fftWasmExports } from '../../src/structured/accel/fftWasm';
import { setFastProductEngine } from '../../src/structured/accel/policy';
import { subdiagKrylovProductFast } from '../../src/structured/accel/subdiagKrylovOp';

/** Seeded uniform numbers in [lo, hi) (a local LCG). */
function uniform(seed: number, n: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((hi - lo) * s) / 2 ** 32;
  });
}

function problem(n: number, r: number, rows: number, corner: boolean, seed: number) {
  const op = (k: number) => ({
    subdiag: tf.tensor1d(uniform(seed + k, n - 1, 0.8, 1.2)),
    ...(corner ? { corner: tf.scalar(0.5 + 0.1 * k) } : {}),
  });
  return {
    x: tf.tensor2d(uniform(seed + 1, rows * n), [rows, n]),
    G: tf.tensor2d(uniform(seed + 2, r * n), [r, n]),
    H: tf.tensor2d(uniform(seed + 3, r * n), [r, n]),
    A: op(4),
    B: op(5),
    w: tf.tensor2d(uniform(seed + 6, rows * n), [rows, n]),
  };
}
type Problem = ReturnType<typeof problem>;
const tensorsOf = (p: Problem) => [p.x, p.G, p.H, p.w, p.A.subdiag, p.B.subdiag, ...(p.A.corner ? [p.A.corner, p.B.corner!] : [])];

/** Output and the gradients of Σ w ∘ Y w.r.t. every input (x too when withX). */
function run(p: Problem, withX: boolean): number[][] {
  const ins = [p.x, p.G, p.H, p.A.subdiag, p.B.subdiag, ...(p.A.corner ? [p.A.corner, p.B.corner!] : [])];
  const y = tf.tidy(() => Array.from(subdiagKrylovProductFast(p.x, p.G, p.H, p.A, p.B).dataSync()));
  const f = (...ts: tf.Tensor[]) => {
    const [x, G, H, sA, sB, cA, cB] = withX ? ts : [p.x, ...ts];
    return tf.sum(tf.mul(subdiagKrylovProductFast(x as tf.Tensor2D, G as tf.Tensor2D, H as tf.Tensor2D, { subdiag: sA, corner: cA }, { subdiag: sB, corner: cB }), p.w)) as tf.Scalar;
  };
  const gs = tf.grads(f)(withX ? ins : ins.slice(1));
  const out = [y, ...gs.map((g) => Array.from(g.dataSync()))];
  tf.dispose(gs);
  return out;
}

function onEngines<T>(f: () => T): { js: T; wasm: T } {
  try {
    setFastProductEngine('js');
    const js = f();
    setFastProductEngine('wasm-simd');
    const wasm = f();
    return { js, wasm };
  } finally {
    setFastProductEngine(null);
  }
}

describe('LDR-SD training op: the WebAssembly step', () => {
  for (const [n, r, rows] of [[1024, 4, 3], [1024, 1, 2], [300, 2, 3], [37, 3, 2]]) {
    for (const corner of [false, true]) {
      for (const withX of [true, false]) {
        it(`same bits as the JS engine (n=${n}, r=${r}, corner=${corner}, dX ${withX ? 'wanted' : 'not wanted'})`, () => {
          const p = problem(n, r, rows, corner, n + r);
          const before = tf.memory().numTensors;
          const { js, wasm } = onEngines(() => run(p, withX));
          expect(tf.memory().numTensors).toBe(before);
          expect(wasm).toEqual(js);
          expect(js.length).toBe(withX ? 6 + (corner ? 2 : 0) : 5 + (corner ? 2 : 0));
          for (const g of js) expect(g.some((v) => v !== 0)).toBe(true);
          tf.dispose(tensorsOf(p));
        });
      }
    }
  }

  it('a backward after more held forwards than the bound rebuilds its step (same bits)', () => {
    const n = 256;
    const p = problem(n, 2, 3, false, 9);
    const { js, wasm } = onEngines(() => {
      // Twelve products on one tape: their forwards all run before any backward.
      const f = (G: tf.Tensor, sA: tf.Tensor) => {
        let acc = tf.scalar(0);
        for (let k = 0; k < 12; k++) {
          const y = subdiagKrylovProductFast(p.x, G as tf.Tensor2D, p.H, { subdiag: sA }, p.B);
          acc = tf.add(acc, tf.mul(tf.scalar(k + 1), tf.sum(tf.mul(y, p.w))));
        }
        return acc as tf.Scalar;
      };
      const gs = tf.grads(f)([p.G, p.A.subdiag]);
      const out = gs.map((g) => Array.from(g.dataSync()));
      tf.dispose(gs);
      return out;
    });
    expect(wasm).toEqual(js);
    tf.dispose(tensorsOf(p));
  });

  it('forwards without a tape, and steps, give their module memory back', () => {
    const n = 1024;
    const p = problem(n, 4, 8, false, 3);
    setFastProductEngine('wasm-simd');
    try {
      const step = () => {
        const gs = tf.grads((G: tf.Tensor) => tf.sum(tf.mul(subdiagKrylovProductFast(p.x, G as tf.Tensor2D, p.H, p.A, p.B), p.w)))([p.G]);
        gs.forEach((g) => g.dataSync());
        tf.dispose(gs);
      };
      const evaluate = () => tf.tidy(() => subdiagKrylovProductFast(p.x, p.G, p.H, p.A, p.B).dataSync());
      step();
      evaluate();
      const bytes = fftWasmExports()!.memory.buffer.byteLength;
      for (let i = 0; i < 20; i++) evaluate();
      for (let i = 0; i < 3; i++) step();
      expect(fftWasmExports()!.memory.buffer.byteLength).toBe(bytes);
    } finally {
      setFastProductEngine(null);
      tf.dispose(tensorsOf(p));
    }
  });
});
