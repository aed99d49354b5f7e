// One StructuredMatrix for every Krylov-product class (docs/method.md §1–2):
//   M = Σ_i K(A, g_i)·K(B, h_i)ᵀ  (optionally with the output reversed: M ← J·M),
// with generators G, H ∈ ℝ^{r×n} ~ N(0, 1/(r·n)) and the class's two operators.
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../util/random';
import { chooseComputePath, krylovRowsPath } from './computePath';
import { krylovProductDoubling, krylovRowsDoubling } from './krylovDoubling';
import { krylovProductKernels, krylovRowsKernels } from './accel/krylovKernelOp';
import { shiftKrylovProductFft } from './accel/shiftKrylovOp';
import { subdiagKrylovProductFast } from './accel/subdiagKrylovOp';
import type { DisplacementOperator } from './operators';
import type { ClassName, ComputeOptions, ComputePath, KrylovAudit, StructuredMatrix } from './types';

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
  compute?: ComputeOptions;
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
  private readonly compute: ComputeOptions;
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
    this.compute = init.compute ?? {};
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

  computePath(batch: number): ComputePath {
    const { className, n, rank, A, B } = this;
    return chooseComputePath({ className, n, rank, operators: { A, B }, backend: tf.getBackend(), batch }, this.compute);
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    const path = this.computePath(x.shape[0]);
    const G = this.G as tf.Tensor2D;
    const H = this.H as tf.Tensor2D;
    const { A, B } = this;
    return tf.tidy(() => {
      let y: tf.Tensor2D;
      switch (path) {
        case 'shift-fft':
          if (A.kind !== 'shift' || B.kind !== 'shift') throw new Error('shift-fft needs shift operators');
          // The op reverses the output itself (Hankel-like).
          return shiftKrylovProductFft(x, G, H, { fA: A.f, fB: B.f, reverseOutput: this.reverseOutput });
        case 'subdiag-dc':
          if (A.kind !== 'subdiagonal' || B.kind !== 'subdiagonal') throw new Error('subdiag-dc needs subdiagonal operators');
          y = subdiagKrylovProductFast(x, G, H, A.variables, B.variables);
          break;
        case 'krylov-simd':
        case 'krylov-js':
          y = krylovProductKernels(path === 'krylov-simd' ? 'simd' : 'js', x, G, H, A, B);
          break;
        case 'krylov-doubling':
          y = krylovProductDoubling(x, G, H, A, B);
          break;
        default:
          throw new Error(`${this.className}: no compute path ${path}`);
      }
      return (this.reverseOutput ? tf.reverse(y, 1) : y) as tf.Tensor2D;
    });
  }

  /** (r·n)×n Krylov rows of an operator by the explicit builder of this backend (or the forced one). */
  private krylovRows(op: DisplacementOperator, V: tf.Tensor2D): tf.Tensor2D {
    const forced = this.compute.path;
    const build = forced === 'krylov-simd' || forced === 'krylov-js' || forced === 'krylov-doubling' ? forced : krylovRowsPath(tf.getBackend());
    if (build === 'krylov-doubling') return tf.tidy(() => krylovRowsDoubling(op.dense(), V));
    return krylovRowsKernels(build === 'krylov-simd' ? 'simd' : 'js', op, V);
  }

  toDense(): tf.Tensor2D {
    return tf.tidy(() => {
      const rowsA = this.krylovRows(this.A, this.G as tf.Tensor2D); // row (i,k) = A^k g_i
      const rowsB = this.krylovRows(this.B, this.H as tf.Tensor2D);
      const M = tf.matMul(rowsA, rowsB, true, false); // Σ_(i,k) (A^k g_i)(B^k h_i)ᵀ
      return (this.reverseOutput ? tf.reverse(M, 0) : M) as tf.Tensor2D;
    });
  }

  audit(): KrylovAudit {
    return {
      operators: { A: this.A.toJson(), B: this.B.toJson() },
      G: this.G.arraySync() as number[][],
      H: this.H.arraySync() as number[][],
      ...(this.reverseOutput ? { reverseOutput: true as const } : {}),
    };
  }

  dispose(): void {
    for (const v of Object.values(this.variables)) v.dispose();
  }
}
