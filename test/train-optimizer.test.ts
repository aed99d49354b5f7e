// The optimizer against the update rules written out in float64 (PyTorch semantics).
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { ADAM_BETA1, ADAM_BETA2, ADAM_EPS, createOptimizer } from '../src/train/optimizer';

const base = { lr: 0.1, momentum: 0.9, lr_decay: 1, clip: null };
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5): void => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(tol * (1 + Math.abs(b[i])));
};
const gradSeq = [
  [0.5, -1, 2],
  [-0.25, 0.75, 1],
  [1.5, 0.5, -2],
];

describe('createOptimizer', () => {
  const made: { dispose(): void }[] = [];
  afterEach(() => made.splice(0).forEach((t) => t.dispose()));
  const variable = (v: number[]): tf.Variable => {
    const t = tf.variable(tf.tensor1d(v), true);
    made.push(t);
    return t;
  };
  const run = (opt: ReturnType<typeof createOptimizer>, grads: number[][]): void => {
    for (const g of grads) tf.tidy(() => opt.step({ p: tf.tensor1d(g) }));
  };

  it('sgd with momentum: v = μv + g, p -= lr·v', () => {
    const p = variable([1, 2, 3]);
    const opt = createOptimizer({ ...base, name: 'sgd' }, { p });
    made.push(opt);
    run(opt, gradSeq);
    const want = [1, 2, 3];
    const v = [0, 0, 0];
    for (const g of gradSeq) for (let i = 0; i < 3; i++) (v[i] = 0.9 * v[i] + g[i]), (want[i] -= 0.1 * v[i]);
    close(p.dataSync(), want);
    expect(opt.steps).toBe(3);
  });

  it('sgd without momentum keeps no state', () => {
    const p = variable([1, 2, 3]);
    const opt = createOptimizer({ ...base, momentum: 0, name: 'sgd' }, { p });
    made.push(opt);
    run(opt, gradSeq.slice(0, 1));
    close(p.dataSync(), [0.95, 2.1, 2.8]);
    expect(Object.keys(opt.getState().slots)).toEqual([]);
  });

  it('adam with bias correction', () => {
    const p = variable([1, 2, 3]);
    const opt = createOptimizer({ ...base, lr: 0.01, name: 'adam' }, { p });
    made.push(opt);
    run(opt, gradSeq);
    const want = [1, 2, 3];
    const m = [0, 0, 0];
    const v = [0, 0, 0];
    gradSeq.forEach((g, s) => {
      const t = s + 1;
      for (let i = 0; i < 3; i++) {
        m[i] = ADAM_BETA1 * m[i] + (1 - ADAM_BETA1) * g[i];
        v[i] = ADAM_BETA2 * v[i] + (1 - ADAM_BETA2) * g[i] * g[i];
        const mh = m[i] / (1 - ADAM_BETA1 ** t);
        const vh = v[i] / (1 - ADAM_BETA2 ** t);
        want[i] -= (0.01 * mh) / (Math.sqrt(vh) + ADAM_EPS);
      }
    });
    close(p.dataSync(), want);
  });

  it('clips the global gradient norm across variables, and leaves small gradients alone', () => {
    const a = variable([0, 0]);
    const b = variable([0]);
    const opt = createOptimizer({ ...base, momentum: 0, lr: 1, clip: 1, name: 'sgd' }, { a, b });
    made.push(opt);
    tf.tidy(() => opt.step({ a: tf.tensor1d([3, 0]), b: tf.tensor1d([4]) })); // norm 5 → scaled by 1/5
    close(a.dataSync(), [-0.6, 0]);
    close(b.dataSync(), [-0.8]);
    tf.tidy(() => opt.step({ a: tf.tensor1d([0.3, 0]), b: tf.tensor1d([0.4]) })); // norm 0.5: unchanged
    close(a.dataSync(), [-0.9, 0]);
    close(b.dataSync(), [-1.2]);
  });

  it('getState/setState continue exactly where the first optimizer was', () => {
    for (const name of ['sgd', 'adam'] as const) {
      const p1 = variable([1, 2, 3]);
      const o1 = createOptimizer({ ...base, name }, { p: p1 });
      made.push(o1);
      run(o1, gradSeq.slice(0, 2));
      const p2 = variable(Array.from(p1.dataSync()));
      const o2 = createOptimizer({ ...base, name }, { p: p2 });
      made.push(o2);
      o2.setState(o1.getState());
      run(o1, gradSeq.slice(2));
      run(o2, gradSeq.slice(2));
      expect(Array.from(p2.dataSync())).toEqual(Array.from(p1.dataSync()));
      expect(o2.steps).toBe(3);
    }
  });

  it('rejects a state or gradients that do not match its variables', () => {
    const p = variable([1]);
    const opt = createOptimizer({ ...base, name: 'sgd' }, { p });
    made.push(opt);
    expect(() => opt.setState({ step: 1, slots: { 'momentum/q': new Float32Array(1) } })).toThrow(/missing: momentum\/p/);
    expect(() => opt.setState({ step: 1, slots: { 'momentum/p': new Float32Array(2) } })).toThrow(/2 values, expected 1/);
    expect(() => tf.tidy(() => opt.step({}))).toThrow(/no gradient for variable "p"/);
  });

  it('does not leak tensors', () => {
    const p = variable([1, 2, 3]);
    const opt = createOptimizer({ ...base, clip: 0.5, name: 'adam' }, { p });
    const before = tf.memory().numTensors;
    run(opt, gradSeq);
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    expect(tf.memory().numTensors).toBe(before - 2);
  });
});
