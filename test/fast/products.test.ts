import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createMatrix } from '../../src/structured/create';
import { describeMatrix } from '../../src/structured/accel/describe';
import { fastMatvec } from '../../src/structured/accel/products';
import { Rng } from '../../src/util/random';

const FAST = ['toeplitz-like', 'hankel-like', 'circulant', 'fastfood', 'low-rank', 'ldr-sd', 'ldr-sd-corner'];

function randomise(matrix: ReturnType<typeof createMatrix>, rng: Rng, lo: number, hi: number) {
  for (const [name, v] of Object.entries(matrix.variables)) {
    // Subdiagonals near 1 keep long products of them well scaled at n = 1024.
    const [a, b] = name.includes('subdiag') ? [lo, hi] : [-1, 1];
    tf.tidy(() => v.assign(tf.tensor(rng.uniformArray(v.size, a, b), v.shape)));
  }
}

describe('fast products agree with the training path', () => {
  for (const className of FAST) {
    for (const n of [7, 16, 100, 1024]) {
      for (const rank of [1, 4]) {
        if (rank > 1 && ['circulant', 'fastfood'].includes(className)) continue;
        it(`${className} n=${n} r=${rank}`, () => {
          const rng = new Rng(n * 10 + rank);
          const matrix = createMatrix(className, { n, rank, rng, options: { operators: n % 2 ? 'z0' : 'z1' } });
          randomise(matrix, rng, 0.9, 1.1);
          const mv = fastMatvec(describeMatrix(matrix));
          expect(mv).not.toBeNull();
          const x = Float64Array.from(rng.normalArray(n));
          const y = mv!(x);
          // The training path (y = x Mᵀ), itself checked against toDense() by the class tests.
          const expected = tf.tidy(() => matrix.apply(tf.tensor2d(Float32Array.from(x), [1, n])).dataSync());
          let scale = 0;
          for (const v of expected) scale = Math.max(scale, Math.abs(v));
          for (let i = 0; i < n; i++) expect(Math.abs(y[i] - expected[i])).toBeLessThan(1e-4 * Math.max(1, scale));
          matrix.dispose();
        });
      }
    }
  }
  it('has no fast path for classes without one', () => {
    for (const className of ['unconstrained', 'vandermonde-like', 'ldr-td']) {
      const matrix = createMatrix(className, { n: 8, rank: 1, rng: new Rng(1) });
      expect(fastMatvec(describeMatrix(matrix))).toBeNull();
      matrix.dispose();
    }
  });
});
