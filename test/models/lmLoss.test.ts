// The fused next-word cross-entropy (src/train/lmLoss.ts) equals the generic one (evaluate.ts) in
// value and gradient, on wasm and cpu, and its gradient matches the closed form (softmax − onehot)/N.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend';
import { crossEntropy } from '../../src/train/evaluate';
import { sparseCrossEntropy } from '../../src/train/lmLoss';
import { Rng } from '../../src/util/random';

describe('sparseCrossEntropy', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });
  for (const backend of ['cpu', 'wasm']) {
    it(`value and gradient equal the generic cross-entropy's (${backend})`, async () => {
      if (backend === 'wasm') await initBackend('wasm');
      else await tf.setBackend('cpu');
      const N = 13, V = 37;
      const z = tf.tensor2d(new Rng(4).normalArray(N * V, 3), [N, V]);
      const t = tf.tensor1d(Array.from({ length: N }, (_, i) => (i * 11) % V), 'int32');
      const before = tf.memory().numTensors;
      const [a, ga] = tf.tidy(() => {
        const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => sparseCrossEntropy(x as tf.Tensor2D, t))(z);
        return [value, grad];
      });
      const [b, gb] = tf.tidy(() => {
        const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => crossEntropy(x as tf.Tensor2D, t))(z);
        return [value, grad];
      });
      expect(a.dataSync()[0]).toBeCloseTo(b.dataSync()[0], 5);
      const d = tf.tidy(() => tf.max(tf.abs(tf.sub(ga, gb))).dataSync()[0]);
      expect(d).toBeLessThan(1e-6);
      // Closed form, float64: (softmax(z_i) − e_{t_i}) / N.
      const zs = z.arraySync();
      const g = ga.arraySync() as number[][];
      const ts = t.arraySync();
      for (let i = 0; i < N; i++) {
        const m = Math.max(...zs[i]);
        const s = zs[i].reduce((acc, x) => acc + Math.exp(x - m), 0);
        for (let j = 0; j < V; j++) expect(g[i][j]).toBeCloseTo((Math.exp(zs[i][j] - m) / s - (j === ts[i] ? 1 : 0)) / N, 6);
      }
      for (const x of [a, ga, b, gb]) x.dispose();
      expect(tf.memory().numTensors).toBe(before);
      z.dispose();
      t.dispose();
    });
  }
});
