// The contract every structured class implements. A class is one file exporting a
// `ClassSpec`; `registry.ts` lists them. See docs/method.md §1–2.
import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '../util/random';
import type { OperatorJson } from './operators';

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
  /** Overrides of the compute path (computePath.ts); absent = automatic. */
  compute?: ComputeOptions;
}

export type { OperatorJson };

/**
 * How a layer computes Y = X·Mᵀ (chosen by computePath.ts; printed by `ldr layer` and
 * `ldr bench layers`, recorded in a run's env.json and summary.json):
 *   dense            unconstrained: one matMul
 *   low-rank         two thin matMuls
 *   circulant-fft    circulant: real FFTs over typed arrays, one custom op (cpu, wasm)
 *   circulant-dense  circulant: the n×n matrix gathered from c with tensor ops (any backend)
 *   fastfood-fwht    fastfood: fast Walsh–Hadamard transforms over typed arrays (cpu, wasm)
 *   fastfood-tensor  fastfood: the same transforms as tensor ops (any backend)
 *   shift-fft        Krylov classes with shift operators: folded convolutions by FFT (cpu, wasm)
 *   subdiag-dc       LDR-SD (± corners): divide and conquer over convolutions (cpu, wasm)
 *   krylov-simd      explicit Krylov rows by the WebAssembly SIMD loops (cpu, wasm)
 *   krylov-js        explicit Krylov rows by the same loops in JS (cpu, wasm without SIMD)
 *   krylov-doubling  explicit Krylov rows by ⌈log₂ n⌉ tensor-op doubling steps (any backend)
 */
export type ComputePath =
  | 'dense'
  | 'low-rank'
  | 'circulant-fft'
  | 'circulant-dense'
  | 'fastfood-fwht'
  | 'fastfood-tensor'
  | 'shift-fft'
  | 'subdiag-dc'
  | 'krylov-simd'
  | 'krylov-js'
  | 'krylov-doubling';

/** Overrides of the automatic choice (tests, benchmarks); none = choose by backend, size and batch. */
export interface ComputeOptions {
  /** Force this path; an error when it does not apply to the class (e.g. shift-fft for ldr-td). */
  path?: ComputePath;
}

type AuditField = 'operators' | 'G' | 'H' | 'reverseOutput' | 'permutation' | 'paddedN' | 'blocks';
/** T, with every other audit field absent (so that `audit.operators` etc. narrow the union). */
type Only<T> = T & { [K in Exclude<AuditField, keyof T>]?: never };

/** The Krylov-product classes' audit. */
export interface KrylovAudit {
  operators: { A: OperatorJson; B: OperatorJson };
  G: number[][];
  H: number[][];
  /** Hankel-like: M = J · (Krylov product). */
  reverseOutput?: true;
}

/** Class-specific fields of the `ldr layer --json` audit (parameters excluded), by class family. */
export type MatrixAudit =
  | Only<object> // unconstrained, circulant
  | Only<{ G: number[][]; H: number[][] }> // low-rank
  | Only<KrylovAudit>
  | Only<{ permutation: number[]; paddedN: number }> // fastfood
  | Only<{ blocks: MatrixAudit[] }>; // rectangular matrices stacked from square blocks

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
  audit(): MatrixAudit;
  /** The path `apply` takes for a batch of this many rows on the current backend. */
  computePath(batch: number): ComputePath;
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
