// The kernels ldr registers for wasm (src/backend/kernels) against the cpu backend's own kernels and a
// float64 reference: the CNN's filter gradient (several shapes, paddings, strides: stride 1 runs
// as an XNNPACK convolution, other strides as a loop) and the
// embedding-lookup gradient (tf.gather → UnsortedSegmentSum), and that nothing leaks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend';
import { conv2dFilterGradient } from '../../src/backend/kernels/conv2dBackpropFilter';
import { Rng } from '../../src/util/random';

type Pad = 'same' | 'valid' | number;
interface ConvCase { x: [number, number, number, number]; f: [number, number, number, number]; stride: number; pad: Pad }
const CONV_CASES: ConvCase[] = [
  { x: [3, 12, 12, 1], f: [5, 5, 1, 6], stride: 1, pad: 2 }, // the CNN's first layer
  { x: [2, 6, 6, 6], f: [5, 5, 6, 16], stride: 1, pad: 2 }, // its second
  { x: [2, 9, 7, 3], f: [3, 2, 3, 4], stride: 2, pad: 'same' },
  { x: [1, 8, 8, 2], f: [3, 3, 2, 5], stride: 1, pad: 'valid' },
];

/** Value and gradients of sum(conv2d(x, w) ⊙ c) with respect to x and w, on the current backend. */
function convGrads(c: ConvCase, xs: Float32Array, ws: Float32Array, cs: Float32Array): { dx: Float32Array; dw: Float32Array } {
  return tf.tidy(() => {
    const x = tf.tensor4d(xs, c.x);
    const w = tf.tensor4d(ws, c.f);
    const out = tf.conv2d(x, w, c.stride, c.pad);
    const cT = tf.tensor(cs.subarray(0, out.size), out.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad), cT)))([x, w]);
    return { dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array };
  });
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1e-6;
  let worst = 0;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst / scale;
}

describe('wasm kernels registered by ldr', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('Conv2DBackpropFilter is now registered for wasm, as is UnsortedSegmentSum', () => {
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeDefined();
  });

  for (const c of CONV_CASES) {
    it(`conv2d gradients agree with cpu: x ${c.x}, filter ${c.f}, stride ${c.stride}, pad ${c.pad}`, async () => {
      const rng = new Rng(c.x[1] * 31 + c.f[3]);
      const xs = rng.normalArray(c.x.reduce((a, b) => a * b));
      const ws = rng.normalArray(c.f.reduce((a, b) => a * b));
      const cs = rng.normalArray(c.x[0] * c.x[1] * c.x[2] * c.f[3]);
      await tf.setBackend('wasm');
      const before = tf.memory().numTensors;
      const buffersBefore = tf.backend().numDataIds(); // the kernel's own temporaries included
      const onWasm = convGrads(c, xs, ws, cs);
      expect(tf.memory().numTensors).toBe(before);
      expect(tf.backend().numDataIds()).toBe(buffersBefore);
      await tf.setBackend('cpu');
      const onCpu = convGrads(c, xs, ws, cs);
      await tf.setBackend('wasm');
      expect(maxRelDiff(onWasm.dw, onCpu.dw)).toBeLessThan(1e-5);
      expect(maxRelDiff(onWasm.dx, onCpu.dx)).toBeLessThan(1e-5);
    });
  }

  it('conv2dFilterGradient matches a float64 sum written out by definition', () => {
    const g = { batch: 2, inHeight: 5, inWidth: 4, inChannels: 2, outHeight: 5, outWidth: 4, outChannels: 3, filterHeight: 3, filterWidth: 3, strideHeight: 1, strideWidth: 1, padTop: 1, padLeft: 1 };
    const rng = new Rng(7);
    const x = rng.normalArray(2 * 5 * 4 * 2);
    const dy = rng.normalArray(2 * 5 * 4 * 3);
    const dW = new Float32Array(3 * 3 * 2 * 3);
    conv2dFilterGradient(x, dy, g, dW);
    for (let fh = 0; fh < 3; fh++) for (let fw = 0; fw < 3; fw++) for (let ci = 0; ci < 2; ci++) for (let co = 0; co < 3; co++) {
      let s = 0;
      for (let b = 0; b < 2; b++) for (let oy = 0; oy < 5; oy++) for (let ox = 0; ox < 4; ox++) {
        const iy = oy + fh - 1;
        const ix = ox + fw - 1;
        if (iy < 0 || iy >= 5 || ix < 0 || ix >= 4) continue;
        s += x[((b * 5 + iy) * 4 + ix) * 2 + ci] * dy[((b * 5 + oy) * 4 + ox) * 3 + co];
      }
      expect(dW[((fh * 3 + fw) * 2 + ci) * 3 + co]).toBeCloseTo(s, 4);
    }
  });

  it('the gradient of tf.gather (embedding lookup) agrees with cpu, repeated and unused ids included', async () => {
    const rng = new Rng(3);
    const vocab = 11;
    const dim = 5;
    const table = rng.normalArray(vocab * dim);
    const ids = Int32Array.from([3, 0, 3, 10, 7, 3, 0, 2]); // ids 1, 4, 5, 6, 8, 9 unused
    const weights = rng.normalArray(ids.length * dim);
    const gradOf = (): Float32Array =>
      tf.tidy(() => {
        const e = tf.tensor2d(table, [vocab, dim]);
        const w = tf.tensor2d(weights, [ids.length, dim]);
        const idT = tf.tensor1d(ids, 'int32');
        return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, idT), w)))(e).dataSync() as Float32Array;
      });
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const onWasm = gradOf();
    expect(tf.memory().numTensors).toBe(before);
    await tf.setBackend('cpu');
    const onCpu = gradOf();
    await tf.setBackend('wasm');
    // By definition: row v of the gradient = Σ of the weight rows whose id is v.
    for (let v = 0; v < vocab; v++) {
      for (let k = 0; k < dim; k++) {
        let s = 0;
        ids.forEach((id, i) => (s += id === v ? weights[i * dim + k] : 0));
        expect(onWasm[v * dim + k]).toBeCloseTo(s, 5);
      }
    }
    expect(maxRelDiff(onWasm, onCpu)).toBeLessThan(1e-6);
  });

  it('unsortedSegmentSum of a 3-D tensor sums whole trailing blocks; empty segments are zero', async () => {
    await tf.setBackend('wasm');
    const out = tf.tidy(() => tf.unsortedSegmentSum(tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]), tf.tensor1d([1, 1], 'int32'), 3));
    expect(Array.from(out.dataSync())).toEqual([0, 0, 0, 0, 6, 8, 10, 12, 0, 0, 0, 0]);
    out.dispose();
  });
});
