// circulant (c): M[i][j] = c[(i − j) mod n], c ~ N(0, 1/n); n parameters (PAPER.md §2).
// Training path: a custom op builds Mᵀ from c in JS (Mᵀ[j][i] = c[(i − j) mod n]), so that
// Y = X·Mᵀ is one plain product; its backward folds dMᵀ back into c (dc[k] sums the k-th
// wrapped diagonal). TF.js's gather would do the same but its gradient needs
// UnsortedSegmentSum, which the wasm backend lacks.
import * as tf from '@tensorflow/tfjs';
import type { ClassSpec, MatrixInit, StructuredMatrix } from '../types';
import { variableFrom } from './arrays';

/** Mᵀ (n×n) from c, differentiable w.r.t. c. */
const circulantTransposed = tf.customGrad((...inputs: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const c = inputs[0] as tf.Tensor;
  const n = c.size;
  const cv = c.dataSync() as Float32Array;
  const t = new Float32Array(n * n);
  for (let j = 0; j < n; j++) {
    // row j of Mᵀ is c rotated right by j: t[j][i] = c[(i − j) mod n] (two block copies)
    t.set(cv.subarray(0, n - j), j * n + j);
    t.set(cv.subarray(n - j), j * n);
  }
  return {
    value: tf.tensor2d(t, [n, n]),
    gradFunc: (dy: tf.Tensor) => {
      const d = dy.dataSync();
      const dc = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        const row = j * n;
        for (let i = j; i < n; i++) dc[i - j] += d[row + i];
        for (let i = 0; i < j; i++) dc[i - j + n] += d[row + i];
      }
      return tf.tensor1d(Float32Array.from(dc));
    },
  };
});

class Circulant implements StructuredMatrix {
  readonly className = 'circulant' as const;
  readonly rank = null;
  readonly m: number;
  readonly variables: { c: tf.Variable };

  constructor(
    readonly n: number,
    init: MatrixInit,
  ) {
    this.m = n;
    this.variables = { c: variableFrom(init.rng.normalArray(n, 1 / Math.sqrt(n)), [n]) };
  }

  paramCount(): number {
    return this.variables.c.size;
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.matMul(x, circulantTransposed(this.variables.c) as tf.Tensor2D));
  }

  /** Straight from the definition (not via the training op, so tests compare two paths). */
  toDense(): tf.Tensor2D {
    const n = this.n;
    const c = this.variables.c.dataSync();
    const m = new Float32Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m[i * n + j] = c[(((i - j) % n) + n) % n];
    return tf.tensor2d(m, [n, n]);
  }

  audit(): Record<string, unknown> {
    return {};
  }

  dispose(): void {
    this.variables.c.dispose();
  }
}

export const circulant: ClassSpec = {
  name: 'circulant',
  aliases: ['c'],
  hasRank: false,
  paramCount: (n) => n,
  create: (init) => new Circulant(init.n, init),
};
