// The wasm kernel replacements (src/backend/wasmMatmul.ts, wasmTranspose.ts) against math:
// products and their gradients agree with a float64 reference and with the cpu backend to
// float32 rounding, for both transpose flags and batch dims; transposes are bit-identical;
// nothing leaks on the wasm heap.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend, installMatmulFix, removeMatmulFix } from '../src/backend';
import { chooseRoute, planProduct, setRouteOverride } from '../src/backend/wasmMatmul';
import { transposeMatrix, swapsLastTwo } from '../src/backend/wasmTranspose';
import { Rng } from '../src/util/random';

const EPS32 = 2 ** -23;

interface Case {
  a: number[];
  b: number[];
  tA: boolean;
  tB: boolean;
}

// 2-D, folded batch (b without batch), both batched (above and below the loop threshold),
// only b batched, vectors, odd sizes. (Two-sided broadcasting, [2,1]·[1,3], is wrong in TF.js's
// own cpu kernel; the replacement leaves it to the original kernel.)
const CASES: Case[] = [];
for (const tA of [false, true]) {
  for (const tB of [false, true]) {
    const shape = (batch: number[], rows: number, cols: number, t: boolean) => [...batch, ...(t ? [cols, rows] : [rows, cols])];
    const add = (ba: number[], bb: number[], m: number, k: number, n: number) =>
      CASES.push({ a: shape(ba, m, k, tA), b: shape(bb, k, n, tB), tA, tB });
    add([], [], 7, 13, 5);
    add([], [], 50, 64, 33);
    add([], [], 1, 17, 9);
    add([], [], 9, 1, 6);
    add([3], [], 6, 11, 7);
    add([2, 3], [], 5, 8, 4);
    add([3], [3], 4, 5, 6);
    add([4], [4], 20, 40, 30);
    add([], [3], 20, 40, 30);
    add([2, 3], [3], 24, 30, 28);
  }
}

/** Float64 reference of matMul(a, b, tA, tB) and the per-entry rounding bound k·eps·Σ|a||b|. */
function reference(c: Case, a: Float32Array, b: Float32Array): { value: Float64Array; bound: Float64Array } {
  const ra = c.a.length, rb = c.b.length;
  const m = c.tA ? c.a[ra - 1] : c.a[ra - 2];
  const k = c.tA ? c.a[ra - 2] : c.a[ra - 1];
  const n = c.tB ? c.b[rb - 2] : c.b[rb - 1];
  const outerA = c.a.slice(0, -2), outerB = c.b.slice(0, -2);
  const rank = Math.max(outerA.length, outerB.length);
  const pa = [...Array(rank - outerA.length).fill(1), ...outerA];
  const pb = [...Array(rank - outerB.length).fill(1), ...outerB];
  const outer = pa.map((d, i) => Math.max(d, pb[i]));
  const batch = outer.reduce((s, d) => s * d, 1);
  const value = new Float64Array(batch * m * n);
  const bound = new Float64Array(batch * m * n);
  for (let idx = 0; idx < batch; idx++) {
    // Broadcast batch index → flat batch index of a and of b.
    let rem = idx, ia = 0, ib = 0, sa = 1, sb = 1;
    for (let d = rank - 1; d >= 0; d--) {
      const coord = rem % outer[d];
      rem = Math.floor(rem / outer[d]);
      ia += (pa[d] === 1 ? 0 : coord) * sa;
      ib += (pb[d] === 1 ? 0 : coord) * sb;
      sa *= pa[d];
      sb *= pb[d];
    }
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0, abs = 0;
        for (let p = 0; p < k; p++) {
          const av = a[ia * m * k + (c.tA ? p * m + i : i * k + p)];
          const bv = b[ib * k * n + (c.tB ? j * k + p : p * n + j)];
          s += av * bv;
          abs += Math.abs(av * bv);
        }
        value[idx * m * n + i * n + j] = s;
        bound[idx * m * n + i * n + j] = 2 * k * EPS32 * abs + 1e-30;
      }
    }
  }
  return { value, bound };
}

function expectWithin(actual: ArrayLike<number>, ref: { value: Float64Array; bound: Float64Array }, what: string) {
  expect(actual.length, what).toBe(ref.value.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - ref.value[i]) / ref.bound[i]);
  expect(worst, `${what}: worst error / rounding bound`).toBeLessThanOrEqual(1);
}

function wasmDataIds(): number {
  return (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
}

beforeAll(async () => {
  const info = await initBackend('wasm');
  expect(info.matmulFix).toBe(true);
  // The replacements, not the package's kernels, are what the engine runs.
  const fixed = ['BatchMatMul', 'Transpose', '_FusedMatMul'].map((k) => tf.getKernel(k, 'wasm').kernelFunc);
  removeMatmulFix();
  const stock = ['BatchMatMul', 'Transpose', '_FusedMatMul'].map((k) => tf.getKernel(k, 'wasm').kernelFunc);
  installMatmulFix();
  fixed.forEach((f, i) => expect(f).not.toBe(stock[i]));
});
afterEach(() => setRouteOverride(null));
afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('wasm BatchMatMul replacement', () => {
  it.each([null, 'direct', 'swapped'] as const)('matches the float64 product and the cpu backend for every flag and batch layout (route %s)', async (route) => {
    const rng = new Rng(7);
    setRouteOverride(route);
    for (const c of CASES) {
      const what = `a${JSON.stringify(c.a)} b${JSON.stringify(c.b)} tA=${c.tA} tB=${c.tB} route=${route}`;
      const a = rng.normalArray(c.a.reduce((s, d) => s * d, 1));
      const b = rng.normalArray(c.b.reduce((s, d) => s * d, 1));
      const ref = reference(c, a, b);

      await tf.setBackend('cpu');
      const onCpu = tf.tidy(() => tf.matMul(tf.tensor(a, c.a), tf.tensor(b, c.b), c.tA, c.tB));
      expectWithin(onCpu.dataSync(), ref, `cpu ${what}`);
      const cpuShape = onCpu.shape;
      onCpu.dispose();

      await tf.setBackend('wasm');
      const before = wasmDataIds();
      const onWasm = tf.tidy(() => tf.matMul(tf.tensor(a, c.a), tf.tensor(b, c.b), c.tA, c.tB));
      expectWithin(onWasm.dataSync(), ref, `wasm ${what}`);
      expect(onWasm.shape, what).toEqual(cpuShape);
      onWasm.dispose();
      expect(wasmDataIds(), `wasm heap tensors after ${what}`).toBe(before);
    }
  });

  it('gives the same gradients as the cpu backend', async () => {
    const rng = new Rng(11);
    // TF.js's matMul gradient does not reduce broadcast batch dims: only equal batch shapes.
    const sameBatch = (c: Case) => JSON.stringify(c.a.slice(0, -2)) === JSON.stringify(c.b.slice(0, -2));
    for (const c of CASES.filter(sameBatch)) {
      const a = rng.normalArray(c.a.reduce((s, d) => s * d, 1));
      const b = rng.normalArray(c.b.reduce((s, d) => s * d, 1));
      const wSeed = rng.int(1 << 30); // loss = Σ w ⊙ y with the same fixed w on both backends
      const grads = () =>
        tf.tidy(() => {
          const ta = tf.tensor(a, c.a), tb = tf.tensor(b, c.b);
          const y0 = tf.matMul(ta, tb, c.tA, c.tB);
          const w = tf.tensor(new Rng(wSeed).normalArray(y0.size), y0.shape);
          const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(w, tf.matMul(x, y, c.tA, c.tB))))([ta, tb]);
          return [ga.dataSync(), gb.dataSync()];
        });
      await tf.setBackend('cpu');
      const [ca, cb] = grads();
      await tf.setBackend('wasm');
      const [wa, wb] = grads();
      const close = (x: ArrayLike<number>, y: ArrayLike<number>) => {
        let worst = 0, scale = 1;
        for (let i = 0; i < x.length; i++) {
          worst = Math.max(worst, Math.abs(x[i] - y[i]));
          scale = Math.max(scale, Math.abs(x[i]));
        }
        return worst / scale;
      };
      expect(close(ca, wa), `dA ${JSON.stringify(c)}`).toBeLessThan(1e-5);
      expect(close(cb, wb), `dB ${JSON.stringify(c)}`).toBeLessThan(1e-5);
    }
  });

  it('fused matMul with transposes, bias and relu matches the cpu backend', async () => {
    const rng = new Rng(3);
    const a = rng.normalArray(6 * 10), b = rng.normalArray(10 * 4), bias = rng.normalArray(4);
    const run = () =>
      tf.tidy(() =>
        tf.fused
          .matMul({ a: tf.tensor(a, [10, 6]), b: tf.tensor(b, [4, 10]), transposeA: true, transposeB: true, bias: tf.tensor(bias), activation: 'relu' })
          .dataSync(),
      );
    await tf.setBackend('cpu');
    const ref = run();
    await tf.setBackend('wasm');
    const got = run();
    for (let i = 0; i < ref.length; i++) expect(got[i]).toBeCloseTo(ref[i], 5);
  });
});

describe('wasm Transpose replacement', () => {
  it('is bit-identical to the cpu backend, batched and odd-sized', async () => {
    const rng = new Rng(5);
    const cases: [number[], number[]][] = [
      [[7, 13], [1, 0]],
      [[64, 64], [1, 0]],
      [[3, 9, 5], [0, 2, 1]],
      [[2, 3, 4, 6], [0, 1, 3, 2]],
      [[1, 8], [1, 0]],
      [[3, 4, 5], [2, 0, 1]], // not a last-two swap: the original kernel
    ];
    for (const [shape, perm] of cases) {
      const x = rng.normalArray(shape.reduce((s, d) => s * d, 1));
      await tf.setBackend('cpu');
      const ref = tf.tidy(() => tf.transpose(tf.tensor(x, shape), perm).dataSync());
      await tf.setBackend('wasm');
      const before = wasmDataIds();
      const got = tf.tidy(() => tf.transpose(tf.tensor(x, shape), perm).dataSync());
      expect(Array.from(got), JSON.stringify(shape)).toEqual(Array.from(ref));
      expect(wasmDataIds()).toBe(before);
    }
  });

  it('transposeMatrix and swapsLastTwo', () => {
    const src = Float32Array.from({ length: 6 * 9 }, (_, i) => i);
    const dst = new Float32Array(src.length);
    transposeMatrix(src, dst, 6, 9);
    for (let i = 0; i < 6; i++) for (let j = 0; j < 9; j++) expect(dst[j * 6 + i]).toBe(src[i * 9 + j]);
    expect(swapsLastTwo([1, 0])).toBe(true);
    expect(swapsLastTwo([0, 2, 1])).toBe(true);
    expect(swapsLastTwo([1, 0, 2])).toBe(false);
    expect(swapsLastTwo([2, 1, 0])).toBe(false);
  });
});

describe('chooseRoute', () => {
  it('streams a fresh weight matrix and packs the small batch, but reuses a packed one', () => {
    expect(chooseRoute(50, 1024, 1024, false, false, false)).toBe('swapped'); // forward, new weights
    expect(chooseRoute(50, 1024, 1024, false, false, true)).toBe('direct'); // same weights again
    expect(chooseRoute(50, 1024, 1024, false, true, false)).toBe('swapped'); // X·Wᵀ
    expect(chooseRoute(1024, 50, 1024, true, false, false)).toBe('direct'); // dW = Xᵀ·dY
  });
});

describe('planProduct', () => {
  it('folds, loops or declines by batch layout', () => {
    expect(planProduct([3, 4, 5], [5, 6], false, false)).toMatchObject({ batchA: 3, batchB: 1, m: 4, k: 5, n: 6, outShape: [3, 4, 6] });
    expect(planProduct([4, 5], [2, 6, 4], true, true)).toMatchObject({ batchA: 1, batchB: 2, m: 5, k: 4, n: 6, outShape: [2, 5, 6] });
    expect(planProduct([2, 1, 4, 5], [1, 3, 5, 6], false, false)).toBeNull(); // two-sided broadcast
    expect(planProduct([4, 5], [4, 6], false, false)).toBeNull(); // inner sizes differ
  });
});
