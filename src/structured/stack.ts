// Rectangular m×n matrices for classes without a native rectangular form: stack
// k = ⌈m/n⌉ square n×n blocks vertically, each with its own parameters, and keep the
// first m rows:  M = [M_0; M_1; …; M_{k−1}][0:m, :].
// Parameter count = ⌈m/n⌉ × (the square n×n count at the same rank), bias excluded, e.g.
// the LSTM's 4h×4h input matrix is square, a 10×16 circulant is one block (16 params),
// a 40×16 one is three (48). Block k's variables are named `block{k}.<name>`.
import * as tf from '@tensorflow/tfjs';
import type { ClassName, ClassSpec, ComputePath, MatrixAudit, MatrixInit, StructuredMatrix } from './types';

export function stackedBlockCount(m: number, n: number): number {
  return Math.ceil(m / n);
}

class StackedMatrix implements StructuredMatrix {
  readonly className: ClassName;
  readonly rank: number | null;
  readonly variables: Record<string, tf.Variable> = {};

  constructor(
    readonly blocks: StructuredMatrix[],
    readonly m: number,
    readonly n: number,
  ) {
    this.className = blocks[0].className;
    this.rank = blocks[0].rank;
    blocks.forEach((b, k) => {
      for (const [name, v] of Object.entries(b.variables)) this.variables[`block${k}.${name}`] = v;
    });
  }

  paramCount(): number {
    return this.blocks.reduce((s, b) => s + b.paramCount(), 0);
  }

  /** Every block has the same class, shape and options, so the same path. */
  computePath(batch: number): ComputePath {
    return this.blocks[0].computePath(batch);
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const y = tf.concat(this.blocks.map((b) => b.apply(x)), 1);
      return y.shape[1] === this.m ? y : tf.slice(y, [0, 0], [-1, this.m]);
    });
  }

  toDense(): tf.Tensor2D {
    return tf.tidy(() => {
      const d = tf.concat(this.blocks.map((b) => b.toDense()), 0);
      return d.shape[0] === this.m ? d : tf.slice(d, [0, 0], [this.m, -1]);
    });
  }

  /** Each block's own audit fields, in block order. */
  audit(): { blocks: MatrixAudit[] } {
    return { blocks: this.blocks.map((b) => b.audit()) };
  }

  paramArrays(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.blocks.forEach((b, k) => {
      const arrays = b.paramArrays ? b.paramArrays() : arraysOf(b.variables);
      for (const [name, a] of Object.entries(arrays)) out[`block${k}.${name}`] = a;
    });
    return out;
  }

  dispose(): void {
    for (const b of this.blocks) b.dispose();
  }
}

function arraysOf(vars: Record<string, tf.Variable>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, v.arraySync()]));
}

/** An m×n matrix of `spec` built from ⌈m/n⌉ square blocks (independent parameters each). */
export function stackBlocks(spec: ClassSpec, init: MatrixInit & { m: number }): StructuredMatrix {
  const { m, n } = init;
  const blocks: StructuredMatrix[] = [];
  for (let k = 0; k < stackedBlockCount(m, n); k++) {
    blocks.push(spec.create({ ...init, m: undefined, rng: init.rng.fork() }));
  }
  return new StackedMatrix(blocks, m, n);
}
