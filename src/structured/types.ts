// The contract every structured class implements. A class is one file exporting a
// `ClassSpec`; `registry.ts` lists them. See docs/method.md §1–2.
import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '../util/random';

/** Canonical class names (docs/method.md §2). */
export type ClassName =
  | 'unconstrained'
  | 'low-rank'
  | 'toeplitz-like'
  | 'hankel-like'
  | 'vandermonde-like'
  | 'circulant'
  | 'fastfood'
  | 'ldr-sd'
  | 'ldr-sd-corner'
  | 'ldr-td'
  | 'ldr-td-corner';

/** Class-specific options (all optional; defaults follow docs/method.md). */
export interface ClassOptions {
  /** toeplitz-like / hankel-like: 'z1' = (Z_1, Z_-1) as in P2 (default), 'z0' = (Z_0, Z_0) as the reference's `t`. */
  operators?: 'z1' | 'z0';
}

export interface MatrixInit {
  /** Input size n (the matrix is m×n). */
  n: number;
  /** Output size m; defaults to n. m ≠ n stacks ⌈m/n⌉ square blocks and truncates (see stack.ts). */
  m?: number;
  /** Displacement rank r (ignored by classes without a rank). */
  rank: number;
  /** Drives every random draw of the initialisation. */
  rng: Rng;
  options?: ClassOptions;
}

/** An operator as `ldr layer --json` prints it (docs/method.md §1 table). */
export type OperatorJson =
  | { kind: 'shift'; f: number }
  | { kind: 'subdiagonal'; subdiag: number[]; corner: number }
  | {
      kind: 'tridiagonal';
      subdiag: number[];
      diag: number[];
      superdiag: number[];
      upperRight: number;
      lowerLeft: number;
    }
  | { kind: 'diagonal'; diag: number[] };

/** A trainable m×n structured matrix M; the bias lives in the layer that owns it. */
export interface StructuredMatrix {
  readonly className: ClassName;
  readonly n: number;
  readonly m: number;
  /** Displacement rank, or null for classes without one. */
  readonly rank: number | null;
  /** Every trainable tensor by name (bias excluded). Order is stable. */
  readonly variables: Record<string, tf.Variable>;
  /** Exact number of trainable scalars (bias excluded) = sum of variable sizes. */
  paramCount(): number;
  /** Y = X Mᵀ for X ∈ ℝ^{b×n} → ℝ^{b×m}; differentiable w.r.t. `variables` (and x). */
  apply(x: tf.Tensor2D): tf.Tensor2D;
  /** M as a dense m×n tensor. */
  toDense(): tf.Tensor2D;
  /** Class-specific fields of the `ldr layer --json` audit (operators, G, H, permutation, …), params excluded. */
  audit(): Record<string, unknown>;
  /**
   * Optional: every trainable tensor by name as nested number arrays in the paper's layout,
   * for classes whose `variables` store one transposed for speed (unconstrained keeps Wᵀ
   * but prints W, m×n). When absent, `variables` are already in the paper's layout.
   */
  paramArrays?(): Record<string, unknown>;
  dispose(): void;
}

export interface ClassSpec {
  name: ClassName;
  /** Short names accepted everywhere (docs/method.md §2), e.g. ['sd']. */
  aliases: string[];
  /** Whether `rank` means anything for this class (sweeps ignore rank otherwise). */
  hasRank: boolean;
  /** Parameter count of one square n×n block at rank r, bias excluded (docs/method.md §2 formula). */
  paramCount(n: number, rank: number): number;
  /** Build one square n×n matrix. Rectangular shapes are handled by stack.ts. */
  create(init: MatrixInit & { m?: undefined }): StructuredMatrix;
  /**
   * Optional native m×n form (unconstrained: m·n parameters; low-rank: r(m+n)). Classes
   * without one are stacked from ⌈m/n⌉ square blocks by stack.ts.
   */
  createRectangular?(init: MatrixInit & { m: number }): StructuredMatrix;
  /** Parameter count of the native m×n form; required with `createRectangular`. */
  paramCountRectangular?(m: number, n: number, rank: number): number;
}
