// The fused bias + ReLU (src/models/biasRelu.ts over src/backend/kernels/biasRelu.ts and, on
// wasm, the SIMD loops of biasReluSimd.ts): value and both gradients bit-identical to
// tf.relu(tf.add(x, b)) and its autodiff on wasm and cpu (special values included: ±0, NaN, ±∞),
// equal to a plain float64 reference of the maths, the SIMD loops equal to the JS loops, nothing
// leaks, and the SHL model's step is unchanged bit for bit with the fused op on or off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend';
import { setBiasReluSimd, setFusedBiasRelu } from '../../src/backend/kernels/biasRelu';
import { biasReluSimdFor } from '../../src/backend/kernels/biasReluSimd';
import { biasRelu } from '../../src/models/biasRelu';
import { ShlModel } from '../../src/models/shl';
import { createOptimizer, gradsByName } from '../../src/train/optimizer';
import { Rng } from '../../src/util/random';

const bits = (a: ArrayLike<number>): Uint32Array => new Uint32Array(Float32Array.from(a).buffer);
/** Equal as float32 values, NaN equal to NaN (payloads may differ between kernels). */
function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function inputs(rows: number, n: number, seed: number, special: boolean) {
  const rng = new Rng(seed);
  const xs = Float32Array.from(rng.normalArray(rows * n));
  const bs = Float32Array.from(rng.normalArray(n));
  const cs = Float32Array.from(rng.normalArray(rows * n));
  if (special) {
    xs[0] = -0; bs[0] = -0; // relu(−0 + −0) = relu(−0)
    xs[1] = NaN;
    xs[2] = Infinity;
    xs[3] = -Infinity;
    bs[4] = -xs[4]; // exactly 0
    cs[5] = Infinity; // ∞·0 in the gradient where x + b ≤ 0
    xs[5] = -100;
  }
  return { xs, bs, cs };
}

/** y, ∂/∂x and ∂/∂b of sum(biasRelu(x, b) ⊙ c) on the current backend. */
function run(xs: Float32Array, bs: Float32Array, cs: Float32Array, rows: number, n: number, fused: boolean): Float32Array[] {
  setFusedBiasRelu(fused);
  return tf.tidy(() => {
    const x = tf.tensor2d(xs, [rows, n]);
    const b = tf.tensor1d(bs);
    const c = tf.tensor2d(cs, [rows, n]);
    const y = biasRelu(x, b);
    const [dx, db] = tf.grads((xx: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(biasRelu(xx as tf.Tensor2D, bb as tf.Tensor1D), c)))([x, b]);
    return [y, dx, db].map((t) => t.dataSync() as Float32Array);
  });
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`fused bias + ReLU on ${backend}`, () => {
    beforeAll(async () => {
      const info = await initBackend(backend);
      expect(info.name).toBe(backend);
    });
    afterAll(() => {
      setFusedBiasRelu(true);
      setBiasReluSimd(true);
    });

    for (const [rows, n] of [[50, 1024], [3, 7], [5, 12], [1, 4]] as const) {
      it(`is bit-identical to tf.relu(tf.add(x, b)) and its gradient (${rows}×${n}, special values)`, () => {
        const { xs, bs, cs } = inputs(rows, n, rows * n, true);
        const before = tf.memory().numTensors;
        const fused = run(xs, bs, cs, rows, n, true);
        const ops = run(xs, bs, cs, rows, n, false);
        expect(tf.memory().numTensors).toBe(before);
        ['y', 'dx', 'db'].forEach((what, i) => expect(sameValues(fused[i], ops[i]), what).toBe(true));
      });
    }

    it('equals the float64 reference of relu(x + b), its mask and its column sums', () => {
      const [rows, n] = [6, 20];
      const { xs, bs, cs } = inputs(rows, n, 11, false);
      const [y, dx, db] = run(xs, bs, cs, rows, n, true);
      const dbWant = new Float64Array(n);
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < n; j++) {
          const z = xs[i * n + j] + bs[j];
          expect(y[i * n + j]).toBeCloseTo(Math.max(0, z), 6);
          expect(Math.abs(dx[i * n + j] - (z > 0 ? cs[i * n + j] : 0))).toBe(0); // ±0 alike
          dbWant[j] += z > 0 ? cs[i * n + j] : 0;
        }
      }
      for (let j = 0; j < n; j++) expect(db[j]).toBeCloseTo(dbWant[j], 5);
    });

    if (backend === 'wasm') {
      it('SIMD loops give the JS loops’ bits', () => {
        // The SIMD loops must really be there (else both runs below take the JS loops).
        const memory = (tf.backend() as unknown as { wasm: { asm?: { memory?: object } } }).wasm.asm?.memory;
        expect(memory && biasReluSimdFor(memory)).toBeTruthy();
        const [rows, n] = [9, 64];
        const { xs, bs, cs } = inputs(rows, n, 5, true);
        setBiasReluSimd(true);
        const simd = run(xs, bs, cs, rows, n, true);
        setBiasReluSimd(false);
        const js = run(xs, bs, cs, rows, n, true);
        setBiasReluSimd(true);
        ['y', 'dx', 'db'].forEach((what, i) => expect(sameValues(simd[i], js[i]), what).toBe(true));
      });
    }

    it('leaves SHL training unchanged bit for bit (three SGD steps, fused on and off)', () => {
      const train = (fused: boolean) => {
        setFusedBiasRelu(fused);
        const model = new ShlModel({ n: 16, classes: 4, className: 'unconstrained', rank: 1, rng: new Rng(3) });
        const vars = model.variables();
        const opt = createOptimizer({ name: 'sgd', lr: 0.05, momentum: 0.9 }, vars);
        const rng = new Rng(4);
        const x = tf.tensor2d(rng.normalArray(8 * 16), [8, 16]);
        const labels = tf.tensor1d(Int32Array.from({ length: 8 }, (_, i) => i % 4), 'int32');
        for (let s = 0; s < 3; s++) {
          const { value, grads } = tf.variableGrads(
            () => tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 4), model.logits(x)) as tf.Scalar),
            Object.values(vars),
          );
          opt.step(gradsByName(vars, grads));
          tf.dispose([value, ...Object.values(grads)]);
        }
        const out = Object.values(vars).map((v) => bits(v.dataSync()));
        opt.dispose();
        model.dispose();
        tf.dispose([x, labels]);
        return out;
      };
      expect(train(true)).toEqual(train(false));
    });
  });
}
