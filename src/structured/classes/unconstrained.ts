// unconstrained (u): a dense weight, M = W (m×n), W ~ N(0, 1/n); m·n parameters (PAPER.md §2).
// Natively rectangular. The variable `Wt` stores Wᵀ (n×m) so that the training path
// Y = X·Wᵀ is one plain product with no n×n transpose (on wasm a transposed operand costs
// 10x a plain product; the gradients' transposes are src/backend's matmul fix);
// toDense(), paramArrays() and `ldr layer` show W itself.
import * as tf from '@tensorflow/tfjs';
import type { ClassSpec, MatrixInit, StructuredMatrix } from '../types';
import { transposeArray, unflatten, variableFrom } from './arrays';

class Unconstrained implements StructuredMatrix {
  readonly className = 'unconstrained' as const;
  readonly rank = null;
  readonly variables: { Wt: tf.Variable };

  constructor(
    readonly m: number,
    readonly n: number,
    init: MatrixInit,
  ) {
    // Draw W row by row (m×n) so a seed means the same W whatever the storage layout.
    const w = init.rng.normalArray(m * n, 1 / Math.sqrt(n));
    this.variables = { Wt: variableFrom(transposeArray(w, m, n), [n, m]) };
  }

  paramCount(): number {
    return this.variables.Wt.size;
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.matMul(x, this.variables.Wt as tf.Tensor2D);
  }

  toDense(): tf.Tensor2D {
    return tf.tidy(() => tf.transpose(this.variables.Wt as tf.Tensor2D));
  }

  audit(): Record<string, unknown> {
    return {};
  }

  paramArrays(): Record<string, unknown> {
    const wt = this.variables.Wt.dataSync();
    return { W: unflatten(transposeArray(wt, this.n, this.m), this.m, this.n) };
  }

  dispose(): void {
    this.variables.Wt.dispose();
  }
}

export const unconstrained: ClassSpec = {
  name: 'unconstrained',
  aliases: ['u'],
  hasRank: false,
  paramCount: (n) => n * n,
  create: (init) => new Unconstrained(init.n, init.n, init),
  createRectangular: (init) => new Unconstrained(init.m, init.n, init),
  paramCountRectangular: (m, n) => m * n,
};
