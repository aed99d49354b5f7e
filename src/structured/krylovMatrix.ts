// One StructuredMatrix for every Krylov-product class (docs/method.md §1–2):
//   M = Σ_i K(A, g_i)·K(B, h_i)ᵀ  (optionally with the output reversed: M ← J·M),
// with generators G, H ∈ ℝ^{r×n} ~ N(0, 1/(r·n)) and the class's two operators.
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../util/random';
import { krylovProduct, krylovRowsTensor } from './krylov';
import { useShiftFft, useSubdiagFast } from './fast/policy';
import { shiftKrylovProductFft } from './fast/shiftKrylovOp';
import { subdiagKrylovProductFast } from './fast/subdiagKrylovOp';
import type { DisplacementOperator } from './operators';
import type { ClassName, StructuredMatrix } from './types';

export interface KrylovMatrixInit {
  className: ClassName;
  n: number;
  rank: number;
  /** Draws G then H. */
  rng: Rng;
  A: DisplacementOperator;
  B: DisplacementOperator;
  /** Hankel-like: M = J·M_toeplitz, i.e. the output order is reversed. */
  reverseOutput?: boolean;
}

export class KrylovMatrix implements StructuredMatrix {
  readonly className: ClassName;
  readonly n: number;
  readonly m: number;
  readonly rank: number;
  readonly G: tf.Variable;
  readonly H: tf.Variable;
  readonly A: DisplacementOperator;
  readonly B: DisplacementOperator;
  readonly reverseOutput: boolean;
  /** G, H, then A.*, B.* (e.g. A.subdiag, A.corner, B.diag). */
  readonly variables: Record<string, tf.Variable>;

  constructor(init: KrylovMatrixInit) {
    const { n, rank: r, rng } = init;
    if (!Number.isInteger(n) || n < 2) throw new Error(`${init.className}: n must be an integer ≥ 2, got ${n}`);
    if (!Number.isInteger(r) || r < 1) throw new Error(`${init.className}: rank must be an integer ≥ 1, got ${r}`);
    if (init.A.n !== n || init.B.n !== n) throw new Error(`${init.className}: operator size differs from n = ${n}`);
    this.className = init.className;
    this.n = n;
    this.m = n;
    this.rank = r;
    this.A = init.A;
    this.B = init.B;
    this.reverseOutput = init.reverseOutput ?? false;
    const std = 1 / Math.sqrt(r * n);
    const g = rng.normalArray(r * n, std);
    const h = rng.normalArray(r * n, std);
    this.G = tf.tidy(() => tf.variable(tf.tensor2d(g, [r, n]), true));
    this.H = tf.tidy(() => tf.variable(tf.tensor2d(h, [r, n]), true));
    this.variables = { G: this.G, H: this.H };
    for (const [k, v] of Object.entries(this.A.variables)) this.variables[`A.${k}`] = v;
    for (const [k, v] of Object.entries(this.B.variables)) this.variables[`B.${k}`] = v;
  }

  paramCount(): number {
    return Object.values(this.variables).reduce((s, v) => s + v.size, 0);
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const { A, B } = this;
      if (A.kind === 'shift' && B.kind === 'shift' && useShiftFft(tf.getBackend(), this.n, this.G.shape[0])) {
        const fA = (A.toJson() as { f: number }).f;
        const fB = (B.toJson() as { f: number }).f;
        return shiftKrylovProductFft(x, this.G as tf.Tensor2D, this.H as tf.Tensor2D, { fA, fB, reverseOutput: this.reverseOutput });
      }
      if (A.kind === 'subdiagonal' && B.kind === 'subdiagonal' && useSubdiagFast(tf.getBackend(), this.n, this.G.shape[0], x.shape[0], 'corner' in A.variables)) {
        const y = subdiagKrylovProductFast(
          x,
          this.G as tf.Tensor2D,
          this.H as tf.Tensor2D,
          { subdiag: A.variables.subdiag, corner: A.variables.corner },
          { subdiag: B.variables.subdiag, corner: B.variables.corner },
        );
        return (this.reverseOutput ? tf.reverse(y, 1) : y) as tf.Tensor2D;
      }
      const y = krylovProduct(x, this.G as tf.Tensor2D, this.H as tf.Tensor2D, A, B);
      return (this.reverseOutput ? tf.reverse(y, 1) : y) as tf.Tensor2D;
    });
  }

  toDense(): tf.Tensor2D {
    return tf.tidy(() => {
      const rowsA = krylovRowsTensor(this.A, this.G as tf.Tensor2D); // row (i,k) = A^k g_i
      const rowsB = krylovRowsTensor(this.B, this.H as tf.Tensor2D);
      const M = tf.matMul(rowsA, rowsB, true, false); // Σ_(i,k) (A^k g_i)(B^k h_i)ᵀ
      return (this.reverseOutput ? tf.reverse(M, 0) : M) as tf.Tensor2D;
    });
  }

  audit(): Record<string, unknown> {
    return {
      operators: { A: this.A.toJson(), B: this.B.toJson() },
      G: this.G.arraySync(),
      H: this.H.arraySync(),
      ...(this.reverseOutput ? { reverseOutput: true } : {}),
    };
  }

  dispose(): void {
    for (const v of Object.values(this.variables)) v.dispose();
  }
}
