// The Krylov product's heap binding on wasm (src/structured/accel/krylovSimd.ts: the SIMD loops
// working on the backend's heap, rows written into the output tensor and read back in place by
// the backward) against the copying binding (bit for bit, every operator kind, with corners) and
// the forward against the float64 dense reference of test/structured/reference.ts; and
// that it allocates nothing it does not free and leaves the heap around its tensors intact.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend';
import { krylovProductKernels, setKrylovHeapBinding } from '../../src/structured/accel/krylovKernelOp';
import { heapKernelsServe, type HeapMemory } from '../../src/structured/accel/krylovSimd';
import {
  diagonalOperator, shiftOperator, subdiagonalOperator, tridiagonalOperator, type DisplacementOperator,
} from '../../src/structured/operators';
import { Rng } from '../../src/util/random';
import { krylovProduct } from '../structured/reference';

beforeAll(async () => {
  const info = await initBackend('wasm');
  expect(info.name).toBe('wasm');
});
afterAll(() => setKrylovHeapBinding(true));

function operatorsOf(n: number, rng: Rng): Record<string, DisplacementOperator> {
  const ops: Record<string, DisplacementOperator> = {
    'shift f=-1': shiftOperator(n, -1),
    'subdiagonal+corner': subdiagonalOperator(n, { corner: true }),
    'tridiagonal+corners': tridiagonalOperator(n, { corners: true }),
    diagonal: diagonalOperator(n, rng),
  };
  for (const op of Object.values(ops)) {
    for (const v of Object.values(op.variables)) v.assign(tf.tensor(rng.uniformArray(v.size, -0.6, 0.6), v.shape));
  }
  return ops;
}

const heapMemory = (): HeapMemory | undefined =>
  (tf.backend() as unknown as { wasm: { asm?: { memory?: HeapMemory } } }).wasm.asm?.memory;

describe('Krylov product: heap binding on wasm', () => {
  it('serves n a multiple of 4 and leaves other n to the copying binding', () => {
    expect(heapKernelsServe(heapMemory(), 8)).toBe(true);
    expect(heapKernelsServe(heapMemory(), 1024)).toBe(true);
    expect(heapKernelsServe(heapMemory(), 6)).toBe(false);
    expect(heapKernelsServe(undefined, 8)).toBe(false);
  });

  it('gives the copying binding’s value and gradients bit for bit, and the dense forward', () => {
    for (const [n, r, b] of [[8, 2, 3], [12, 1, 2], [6, 2, 2]] as const) {
      const rng = new Rng(7 * n + r);
      const ops = operatorsOf(n, rng);
      const xs = Float32Array.from(rng.normalArray(b * n));
      const gs = Float32Array.from(rng.normalArray(r * n, 0.5));
      const hs = Float32Array.from(rng.normalArray(r * n, 0.5));
      const x = tf.tensor2d(xs, [b, n]);
      const G = tf.variable(tf.tensor2d(gs, [r, n]));
      const H = tf.variable(tf.tensor2d(hs, [r, n]));
      const c = tf.tensor2d(rng.normalArray(b * n), [b, n]);
      for (const [an, A] of Object.entries(ops)) {
        for (const [bn, B] of Object.entries(ops)) {
          const tag = `${an} × ${bn}, n=${n} r=${r}`;
          const vars = [G, H, ...Object.values(A.variables), ...Object.values(B.variables)];
          const run = (heap: boolean) => {
            setKrylovHeapBinding(heap);
            const before = tf.memory().numTensors;
            const y = tf.tidy(() => krylovProductKernels('simd', x, G, H, A, B));
            const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(krylovProductKernels('simd', x, G, H, A, B), c)), vars);
            const out = [y.dataSync().slice(), value.dataSync().slice(), ...vars.map((v) => grads[v.name].dataSync().slice())];
            tf.dispose([y, value, ...Object.values(grads)]);
            expect(tf.memory().numTensors, `${tag}: tensors`).toBe(before);
            return out;
          };
          const heap = run(true);
          const copying = run(false);
          expect(heap.length).toBe(copying.length);
          heap.forEach((h, i) => expect(Buffer.from(h.buffer).equals(Buffer.from(copying[i].buffer)), `${tag}: output ${i}`).toBe(true));
          // Y = X·Mᵀ with M from the float64 reference (test/structured/reference.ts).
          const rows = (v: Float32Array) => Array.from({ length: r }, (_, i) => Array.from(v.subarray(i * n, (i + 1) * n)));
          const M = krylovProduct(A.toJson(), B.toJson(), rows(gs), rows(hs));
          const want = Array.from({ length: b * n }, (_, k) => M[k % n].reduce((acc, m, q) => acc + m * xs[Math.floor(k / n) * n + q], 0));
          const scale = Math.max(1, ...want.map(Math.abs));
          want.forEach((w, i) => expect(Math.abs(heap[0][i] - w) / scale, `${tag}: y[${i}]`).toBeLessThan(1e-4));
        }
      }
      tf.dispose([x, G, H, c]);
      for (const op of Object.values(ops)) for (const v of Object.values(op.variables)) v.dispose();
    }
  });

  it('leaves the heap around its tensors intact (a neighbour tensor, later allocations)', () => {
    setKrylovHeapBinding(true);
    const n = 16;
    const rng = new Rng(3);
    const A = tridiagonalOperator(n, { corners: true });
    const B = subdiagonalOperator(n, { corner: true });
    const x = tf.tensor2d(rng.normalArray(4 * n), [4, n]);
    const G = tf.variable(tf.tensor2d(rng.normalArray(n), [1, n]));
    const H = tf.variable(tf.tensor2d(rng.normalArray(n), [1, n]));
    const vars = [G, H, ...Object.values(A.variables), ...Object.values(B.variables)];
    const sentinel = tf.tensor1d(Float32Array.from({ length: 1000 }, (_, i) => i + 0.5));
    let first: Float32Array | null = null;
    for (let k = 0; k < 20; k++) {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(krylovProductKernels('simd', x, G, H, A, B))), vars);
      const g = grads[G.name].dataSync().slice() as Float32Array;
      if (first) expect(Buffer.from(g.buffer).equals(Buffer.from(first.buffer))).toBe(true);
      first ??= g;
      tf.dispose([value, ...Object.values(grads)]);
      // Allocate and free around the op's tensors: a damaged allocator word would show here.
      tf.tidy(() => tf.add(tf.ones([1000 + k]), 1).dataSync());
    }
    expect(Array.from(sentinel.dataSync()).every((v, i) => v === i + 0.5)).toBe(true);
    tf.dispose([x, G, H, sentinel]);
    for (const v of vars.slice(2)) v.dispose();
  });
});
