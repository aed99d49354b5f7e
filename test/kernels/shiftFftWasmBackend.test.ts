// The shift-fft op on the wasm backend, where its WebAssembly SIMD engine reads its inputs from
// views of the backend's heap and writes its output into a tensor made on that heap
// (accel/hostOutput.ts): the same bits as the JS engine there, forward and gradients, with no
// tensor left behind.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend';
import { shiftKrylovProductFft } from '../../src/structured/accel/shiftKrylovOp';
import { fftWasmAvailable } from '../../src/structured/accel/fftWasm';
import { setFastProductEngine, type FastProductEngine } from '../../src/structured/accel/policy';

beforeAll(async () => {
  const info = await initBackend('wasm');
  expect(info.name).toBe('wasm');
});

/** Seeded uniform numbers in [−1, 1) (a local LCG). */
function uniform(seed: number, n: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return -1 + (2 * s) / 2 ** 32;
  });
}

const bits = (a: ArrayLike<number>): number[] => Array.from(new Uint32Array(Float32Array.from(a).buffer));

function forwardAndGrads(engine: FastProductEngine, n: number, r: number, rows: number, reverseOutput: boolean, withX: boolean): number[][] {
  const x = tf.tensor2d(uniform(1, rows * n), [rows, n]);
  const G = tf.tensor2d(uniform(2, r * n), [r, n]);
  const H = tf.tensor2d(uniform(3, r * n), [r, n]);
  const W = tf.tensor2d(uniform(4, rows * n), [rows, n]);
  const cfg = { fA: 1, fB: -1, reverseOutput };
  const before = tf.memory().numTensors;
  try {
    setFastProductEngine(engine);
    const y = tf.tidy(() => Array.from(shiftKrylovProductFft(x, G, H, cfg).dataSync()));
    const loss = (a: tf.Tensor, g: tf.Tensor, h: tf.Tensor) => tf.sum(tf.mul(shiftKrylovProductFft(a as tf.Tensor2D, g as tf.Tensor2D, h as tf.Tensor2D, cfg), W));
    const grads = withX ? tf.grads(loss)([x, G, H]) : tf.grads((g: tf.Tensor, h: tf.Tensor) => loss(x, g, h))([G, H]);
    const out = [y, ...grads.map((t) => Array.from(t.dataSync()))];
    tf.dispose(grads);
    expect(tf.memory().numTensors).toBe(before);
    return out;
  } finally {
    setFastProductEngine(null);
    tf.dispose([x, G, H, W]);
  }
}

describe('shift-fft op on the wasm backend: WebAssembly SIMD engine against the JS engine', () => {
  it('has WebAssembly SIMD to compare (Node ≥ 20)', () => expect(fftWasmAvailable()).toBe(true));

  for (const reverseOutput of [false, true]) {
    for (const [n, r] of [[16, 1], [100, 3], [256, 4]]) {
      for (const withX of [true, false]) {
        it(`${reverseOutput ? 'hankel' : 'toeplitz'}-like, n = ${n}, r = ${r}, ${withX ? 'dX, ' : ''}dG, dH: bit for bit`, () => {
          const js = forwardAndGrads('js', n, r, 5, reverseOutput, withX);
          const wasm = forwardAndGrads('wasm-simd', n, r, 5, reverseOutput, withX);
          expect(wasm.length).toBe(withX ? 4 : 3);
          for (let k = 0; k < js.length; k++) {
            expect(js[k].some((v) => v !== 0)).toBe(true);
            expect(bits(wasm[k]), `output ${k}`).toEqual(bits(js[k]));
          }
        });
      }
    }
  }
});
