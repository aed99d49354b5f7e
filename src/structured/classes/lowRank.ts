// low-rank (lr): M = Gᵀ H with G (r×m), H (r×n), both ~ N(0, 1/(r n)); r(m+n) parameters
// (2rn when square, docs/method.md §2). Natively rectangular.
// Forward Y = (X Hᵀ) G: two thin plain products; the only explicit transpose is of H (r×n, cheap).
import * as tf from '@tensorflow/tfjs';
import type { ClassSpec, ComputePath, MatrixInit, StructuredMatrix } from '../types';
import { totalSize, variableFrom } from './arrays';

class LowRank implements StructuredMatrix {
  readonly className = 'low-rank' as const;
  readonly rank: number;
  readonly variables: { G: tf.Variable; H: tf.Variable };

  constructor(
    readonly m: number,
    readonly n: number,
    init: MatrixInit,
  ) {
    const r = init.rank;
    this.rank = r;
    const std = 1 / Math.sqrt(r * n);
    this.variables = {
      G: variableFrom(init.rng.normalArray(r * m, std), [r, m]),
      H: variableFrom(init.rng.normalArray(r * n, std), [r, n]),
    };
  }

  paramCount(): number {
    return totalSize(this.variables);
  }

  computePath(): ComputePath {
    return 'low-rank';
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const { G, H } = this.variables;
      const xh = tf.matMul(x, tf.transpose(H as tf.Tensor2D));
      return tf.matMul(xh, G as tf.Tensor2D);
    });
  }

  toDense(): tf.Tensor2D {
    return tf.tidy(() => tf.matMul(this.variables.G as tf.Tensor2D, this.variables.H as tf.Tensor2D, true, false));
  }

  audit(): { G: number[][]; H: number[][] } {
    return { G: this.variables.G.arraySync() as number[][], H: this.variables.H.arraySync() as number[][] };
  }

  dispose(): void {
    this.variables.G.dispose();
    this.variables.H.dispose();
  }
}

export const lowRank: ClassSpec = {
  name: 'low-rank',
  aliases: ['lr'],
  hasRank: true,
  paramCount: (n, r) => 2 * r * n,
  create: (init) => new LowRank(init.n, init.n, init),
  createRectangular: (init) => new LowRank(init.m, init.n, init),
  paramCountRectangular: (m, n, r) => r * (m + n),
};
