// The fused SGD-with-momentum kernel (src/backend/kernels/sgdMomentum.ts) and wasm's shared
// Identity (kernels/sharedIdentity.ts). The fused update must be bit-identical to the op-by-op
// update it replaces (v ← v·μ + g; p ← p − lr·v as separate float32 kernels), on wasm (SIMD loop
// plus JS tail) and on cpu, must not modify its inputs, and must leave checkpoint state unchanged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend, registerSgdMomentumKernels, setFusedOptimizer, SGD_MOMENTUM_KERNEL } from '../../src/backend';
import { installSharedIdentity, removeSharedIdentity } from '../../src/backend/kernels/sharedIdentity';
import { sgdSimdFor } from '../../src/backend/kernels/sgdMomentumSimd';
import { createOptimizer } from '../../src/train/optimizer';
import { Rng } from '../../src/util/random';

/** Bit patterns, so that -0/+0 and every last ulp count. */
const bits = (a: ArrayLike<number>): Uint32Array => new Uint32Array(Float32Array.from(a).buffer);

/** The update written out as the separate tensor ops (what the optimizer did before fusing). */
function opByOp(p: tf.Tensor, v: tf.Tensor, g: tf.Tensor, lr: number, mu: number): [Float32Array, Float32Array] {
  return tf.tidy(() => {
    const v1 = tf.add(tf.mul(v, mu), g);
    const p1 = tf.sub(p, tf.mul(tf.scalar(lr), v1));
    return [p1.dataSync() as Float32Array, v1.dataSync() as Float32Array];
  });
}

function randomArrays(size: number, seed: number): Float32Array[] {
  const rng = new Rng(seed);
  // Mixed magnitudes (incl. values whose products round differently in float32 and float64).
  return [0, 1, 2].map((k) => Float32Array.from(rng.normalArray(size, 10 ** (k - 1)), (x, i) => (i % 97 === 0 ? x * 1e-30 : x)));
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`fused SGD momentum on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend(backend);
      registerSgdMomentumKernels();
    });
    afterAll(() => setFusedOptimizer(true));

    if (backend === 'wasm') {
      it('the SIMD loop binds to the backend heap (Node 20 has WebAssembly SIMD)', () => {
        const memory = (tf.backend() as unknown as { wasm: { asm: { memory: object } } }).wasm.asm.memory;
        expect(sgdSimdFor(memory)).toBeTypeOf('function');
      });
    }

    for (const size of [1, 7, 1024, 4099]) {
      it(`kernel is bit-identical to the tensor ops (size ${size}) and leaves its inputs alone`, () => {
        const [ps, vs, gs] = randomArrays(size, size);
        const p = tf.tensor1d(ps);
        const v = tf.tensor1d(vs);
        const g = tf.tensor1d(gs);
        for (const [lr, mu] of [[0.01, 0.9], [0.1, 0.5], [3e-4, 0.99]]) {
          const [pWant, vWant] = opByOp(p, v, g, lr, mu);
          const [p1, v1] = tf.engine().runKernel(SGD_MOMENTUM_KERNEL, { p, v, g }, { lr, momentum: mu }) as unknown as tf.Tensor[];
          expect(bits(p1.dataSync())).toEqual(bits(pWant));
          expect(bits(v1.dataSync())).toEqual(bits(vWant));
          tf.dispose([p1, v1]);
        }
        expect(bits(p.dataSync())).toEqual(bits(ps));
        expect(bits(v.dataSync())).toEqual(bits(vs));
        tf.dispose([p, v, g]);
      });

      it(`velocityInPlace updates an unshared velocity buffer in place, a shared one never (size ${size})`, () => {
        const [ps, vs, gs] = randomArrays(size, size + 1);
        const p = tf.tensor1d(ps);
        const v = tf.tensor1d(vs);
        const g = tf.tensor1d(gs);
        const [pWant, vWant] = opByOp(p, v, g, 0.01, 0.9);
        const shared = tf.clone(v); // a second holder of v's buffer (wasm and cpu share clones)
        let [p1, v1] = tf.engine().runKernel(SGD_MOMENTUM_KERNEL, { p, v, g }, { lr: 0.01, momentum: 0.9, velocityInPlace: true }) as unknown as tf.Tensor[];
        expect(bits(v1.dataSync())).toEqual(bits(vWant));
        expect(bits(v.dataSync())).toEqual(bits(vs));
        tf.dispose([p1, v1, shared]);
        [p1, v1] = tf.engine().runKernel(SGD_MOMENTUM_KERNEL, { p, v, g }, { lr: 0.01, momentum: 0.9, velocityInPlace: true }) as unknown as tf.Tensor[];
        expect(bits(p1.dataSync())).toEqual(bits(pWant));
        expect(bits(v1.dataSync())).toEqual(bits(vWant));
        expect(v1.dataId).toBe(v.dataId);
        expect(bits(v.dataSync())).toEqual(bits(vWant)); // updated in place
        expect(bits(p.dataSync())).toEqual(bits(ps)); // the weight never
        const before = tf.memory().numTensors;
        tf.dispose([p1, v1]);
        expect(tf.memory().numTensors).toBe(before - 2);
        expect(bits(v.dataSync())).toEqual(bits(vWant)); // v outlives its alias
        tf.dispose([p, v, g]);
      });
    }

    it('the optimizer gives the same bits fused and unfused, state included, and leaks nothing', () => {
      const run = (fused: boolean) => {
        setFusedOptimizer(fused);
        const [w0] = randomArrays(1030, 5);
        const vars = { W: tf.variable(tf.tensor2d(w0, [10, 103])), b: tf.variable(tf.tensor1d([1, -2, 3])) };
        const opt = createOptimizer({ name: 'sgd', lr: 0.05, momentum: 0.9 }, vars);
        const rng = new Rng(9);
        const before = tf.memory().numTensors;
        for (let s = 0; s < 4; s++) {
          tf.tidy(() => opt.step({ W: tf.tensor2d(rng.normalArray(1030), [10, 103]), b: tf.tensor1d(rng.normalArray(3)) }));
        }
        expect(tf.memory().numTensors).toBe(before);
        const out = { W: bits(vars.W.dataSync()), b: bits(vars.b.dataSync()), state: opt.getState() };
        opt.dispose();
        tf.dispose(Object.values(vars));
        return out;
      };
      const fused = run(true);
      const plain = run(false);
      expect(fused.W).toEqual(plain.W);
      expect(fused.b).toEqual(plain.b);
      expect(fused.state.step).toBe(plain.state.step);
      for (const k of Object.keys(plain.state.slots)) expect(bits(fused.state.slots[k])).toEqual(bits(plain.state.slots[k]));
    });
  });
}

describe('wasm Identity shares data instead of copying', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterAll(() => installSharedIdentity());

  const dataIds = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();

  it('a clone adds no buffer, reads the same values, and outlives its source', () => {
    const x = tf.tensor1d([1, 2, 3, 4]);
    const before = dataIds();
    const y = tf.clone(x);
    expect(dataIds()).toBe(before);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4]);
    y.dispose();
  });

  it('the stock kernel copies (what the replacement saves), and gradients agree with it', () => {
    const grad = () =>
      tf.tidy(() => {
        const w = tf.tensor2d([[0.5, -1], [2, 0.25]]);
        const x = tf.tensor2d([[1, 2], [3, -4]]);
        const g = tf.grad((ww: tf.Tensor) => tf.sum(tf.relu(tf.matMul(x, ww as tf.Tensor2D))))(w);
        return Array.from(g.dataSync());
      });
    const shared = grad();
    removeSharedIdentity();
    const x = tf.tensor1d([1, 2]);
    const before = dataIds();
    const y = tf.clone(x);
    expect(dataIds()).toBe(before + 1);
    tf.dispose([x, y]);
    expect(grad()).toEqual(shared);
    installSharedIdentity();
  });
});
