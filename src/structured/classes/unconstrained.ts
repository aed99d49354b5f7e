// unconstrained (u): a dense weight, M = W (m×n), W ~ N(0, 1/n); m·n parameters (docs/method.md §2).
// Natively rectangular. The variable stores W itself and the training path is
// Y = X·Wᵀ (matMul with transposeB): on wasm, src/backend's matmul fix runs it as (W·Xᵀ)ᵀ, which
// packs the small Xᵀ instead of re-packing the freshly updated n×n weight every step, and never
// transposes W (measured at n = 1024, batch 50, CPU ms: forward+backward 9.2 → 5.9; the SHL step,
// which needs no input gradient, about the same, 10.5–11.6).
import * as tf from '@tensorflow/tfjs';
import type { ClassSpec, ComputePath, MatrixInit, StructuredMatrix } from '../types';
import { unflatten, variableFrom } from './arrays';

class Unconstrained implements StructuredMatrix {
  readonly className = 'unconstrained' as const;
  readonly rank = null;
  readonly variables: { W: tf.Variable };

  constructor(
    readonly m: number,
    readonly n: number,
    init: MatrixInit,
  ) {
    this.variables = { W: variableFrom(init.rng.normalArray(m * n, 1 / Math.sqrt(n)), [m, n]) };
  }

  paramCount(): number {
    return this.variables.W.size;
  }

  computePath(): ComputePath {
    return 'dense';
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.matMul(x, this.variables.W as tf.Tensor2D, false, true);
  }

  toDense(): tf.Tensor2D {
    return tf.clone(this.variables.W) as tf.Tensor2D;
  }

  audit(): object {
    return {};
  }

  paramArrays(): Record<string, unknown> {
    return { W: unflatten(this.variables.W.dataSync(), this.m, this.n) };
  }

  dispose(): void {
    this.variables.W.dispose();
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
