// The shift-fft training op (Toeplitz-like / Hankel-like) on its two engines: the WebAssembly SIMD
// loops (shiftKrylovOpWasm.ts) must give the JS loops' bits, forward and every gradient; and the
// op's module memory must come back after each step.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { shiftKrylovProductFft } from '../../src/structured/accel/shiftKrylovOp';
import { shiftFftHeldBytes, shiftFftWasm } from '../../src/structured/accel/shiftKrylovOpWasm';
import { fftWasmAvailable, fftWasmExports } from '../../src/structured/accel/fftWasm';
import { setFastProductEngine, type FastProductEngine } from '../../src/structured/accel/policy';

/** Seeded uniform numbers in [lo, hi) (a local LCG). */
function uniform(seed: number, n: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((hi - lo) * s) / 2 ** 32;
  });
}

/** The float32 bit patterns (so −0 ≠ +0 and NaNs compare by payload). */
const bits = (a: Float32Array | number[]): number[] => Array.from(new Uint32Array(Float32Array.from(a).buffer));
/** The float64 bit patterns. */
const bits64 = (a: number[]): string[] => Array.from(new BigUint64Array(Float64Array.from(a).buffer), (b) => b.toString(16));

interface Case {
  label: string;
  fA: number;
  fB: number;
  reverseOutput: boolean;
}

const CASES: Case[] = [
  { label: 'toeplitz-like', fA: 1, fB: -1, reverseOutput: false },
  { label: 'hankel-like', fA: 1, fB: -1, reverseOutput: true },
  { label: 'f = (−1, 1)', fA: -1, fB: 1, reverseOutput: false },
  { label: 'f = (1, 1) hankel', fA: 1, fB: 1, reverseOutput: true },
  { label: 'f = (−1, −1)', fA: -1, fB: -1, reverseOutput: false },
  { label: 'f = (0.5, 2)', fA: 0.5, fB: 2, reverseOutput: false },
  { label: 'f = (0, 0) hankel', fA: 0, fB: 0, reverseOutput: true },
];

/** Forward and the gradients of Σ W∘Y (all three inputs, or only G and H: no dX). */
function runOp(engine: FastProductEngine, c: Case, n: number, r: number, rows: number, withX: boolean): number[][] {
  const x = tf.tensor2d(uniform(1 + n, rows * n), [rows, n]);
  const G = tf.tensor2d(uniform(2 + r, r * n), [r, n]);
  const H = tf.tensor2d(uniform(3 + r, r * n), [r, n]);
  const W = tf.tensor2d(uniform(4, rows * n), [rows, n]);
  const cfg = { fA: c.fA, fB: c.fB, reverseOutput: c.reverseOutput };
  try {
    setFastProductEngine(engine);
    const y = tf.tidy(() => Array.from(shiftKrylovProductFft(x, G, H, cfg).dataSync()));
    const grads = withX
      ? tf.grads((a: tf.Tensor, g: tf.Tensor, h: tf.Tensor) => tf.sum(tf.mul(shiftKrylovProductFft(a as tf.Tensor2D, g as tf.Tensor2D, h as tf.Tensor2D, cfg), W)))([x, G, H])
      : tf.grads((g: tf.Tensor, h: tf.Tensor) => tf.sum(tf.mul(shiftKrylovProductFft(x, g as tf.Tensor2D, h as tf.Tensor2D, cfg), W)))([G, H]);
    const out = [y, ...grads.map((t) => Array.from(t.dataSync()))];
    tf.dispose(grads);
    return out;
  } finally {
    setFastProductEngine(null);
    tf.dispose([x, G, H, W]);
  }
}

describe('shift-fft op: WebAssembly SIMD against the JS loops', () => {
  it('has WebAssembly SIMD to compare (Node ≥ 20)', () => expect(fftWasmAvailable()).toBe(true));

  for (const c of CASES) {
    // Powers of two take the size-n transforms for f = ±1; the rest are zero-padded.
    for (const n of [2, 4, 5, 8, 12, 16, 100, 256]) {
      for (const r of [1, 2, 4]) {
        it(`${c.label}, n = ${n}, r = ${r}: forward and dX, dG, dH bit for bit`, () => {
          const rows = 3;
          const js = runOp('js', c, n, r, rows, true);
          const wasm = runOp('wasm-simd', c, n, r, rows, true);
          expect(wasm.length).toBe(4);
          for (let k = 0; k < js.length; k++) {
            expect(js[k].some((v) => v !== 0), `output ${k} is not all zero`).toBe(true);
            expect(bits(wasm[k]), `output ${k}`).toEqual(bits(js[k]));
          }
        });
      }
    }
  }

  it('toeplitz-like and hankel-like at n = 1024, r = 4, without dX (a first layer): bit for bit', () => {
    for (const c of CASES.slice(0, 2)) {
      const js = runOp('js', c, 1024, 4, 5, false);
      const wasm = runOp('wasm-simd', c, 1024, 4, 5, false);
      expect(wasm.length).toBe(3);
      for (let k = 0; k < js.length; k++) expect(bits(wasm[k]), `${c.label} output ${k}`).toEqual(bits(js[k]));
    }
  });

  it('a backward whose saved spectra were given back recomputes them from the inputs: the same bits', () => {
    const [rows, n, r] = [4, 100, 3];
    const X = uniform(21, rows * n);
    const G = uniform(22, r * n);
    const H = uniform(23, r * n);
    const dY = uniform(24, rows * n);
    const cfg = { fA: 1, fB: -1, reverseOutput: true };
    const pass = (dropFirst: boolean) => {
      const op = shiftFftWasm(rows, n, r, cfg)!;
      const y = op.forward(() => [X, G, H], (v) => Array.from(v));
      if (dropFirst) op.release();
      const g = op.backward(dY, true, (v) => Array.from(v));
      op.release();
      return [y, g.dX!, Array.from(g.dG), Array.from(g.dH)];
    };
    const held = shiftFftHeldBytes();
    const kept = pass(false);
    const recomputed = pass(true);
    expect(shiftFftHeldBytes()).toBe(held);
    for (let k = 0; k < kept.length; k++) expect(bits64(recomputed[k]), `output ${k}`).toEqual(bits64(kept[k]));
  });

  it('training steps give their module memory back; a forward without a tape keeps none', () => {
    const n = 256;
    const r = 4;
    const rows = 8;
    const x = tf.tensor2d(uniform(11, rows * n), [rows, n]);
    const G = tf.tensor2d(uniform(12, r * n), [r, n]);
    const H = tf.tensor2d(uniform(13, r * n), [r, n]);
    const cfg = { fA: 1, fB: -1, reverseOutput: false };
    const step = () => {
      const gs = tf.grads((a: tf.Tensor, g: tf.Tensor, h: tf.Tensor) =>
        tf.sum(shiftKrylovProductFft(a as tf.Tensor2D, g as tf.Tensor2D, h as tf.Tensor2D, cfg)))([x, G, H]);
      gs.forEach((g) => g.dataSync());
      tf.dispose(gs);
    };
    try {
      setFastProductEngine('wasm-simd');
      const heldBefore = shiftFftHeldBytes();
      step();
      const bytes = fftWasmExports()!.memory.buffer.byteLength;
      for (let i = 0; i < 5; i++) step();
      expect(shiftFftHeldBytes()).toBe(heldBefore);
      for (let i = 0; i < 5; i++) tf.tidy(() => shiftKrylovProductFft(x, G, H, cfg).dataSync());
      expect(shiftFftHeldBytes()).toBe(heldBefore);
      expect(fftWasmExports()!.memory.buffer.byteLength).toBe(bytes);
    } finally {
      setFastProductEngine(null);
      tf.dispose([x, G, H]);
    }
  });
});
