// Typed-array loops behind the Krylov product on the cpu and wasm backends (docs/method.md §1):
// the reference the WebAssembly SIMD version (krylovSimd.ts) is tested against, and the
// fallback where WebAssembly SIMD is missing.
// A Krylov matrix is stored by rows: row k of block i is A^k g_i, so each step reads one
// contiguous row and writes the next. Forward and backward are O(r n²) each.
//
// Backward (adjoint recursion) for u_k = A^k v, k = 0..n−1, given dK_k = ∂L/∂u_k:
//   λ_{n−1} = dK_{n−1},  λ_k = dK_k + Aᵀ λ_{k+1},  ∂L/∂v = λ_0,
//   ∂L/∂θ = Σ_k ∂(A u_k)/∂θ · λ_{k+1}.
//
// Each operator kind has its own loops, written to load every array element once per pass
// (neighbours slide through locals).

import type { OperatorCoeffs, OperatorGrads } from '../operators';

interface Kernel {
  /** K[dst .. dst+n) = A · K[src .. src+n). */
  step(K: Float32Array, src: number, dst: number): void;
  /**
   * One adjoint step with u = K[off .. off+n) and λ = λ_{k+1}: grads += ∂(A u)/∂θ · λ and
   * next = Aᵀ λ + dK[off .. off+n). λ and next have n + 1 entries, the last one 0.
   */
  adjoint(K: Float32Array, dK: Float32Array, off: number, lam: Float64Array, next: Float64Array): void;
  grads(): OperatorGrads;
}

function shiftKernel(n: number, f: number): Kernel {
  return {
    step(K, src, dst) {
      K.copyWithin(dst + 1, src, src + n - 1); // (Zv)[j] = v[j−1]: a memmove
      K[dst] = f * K[src + n - 1];
    },
    adjoint(_K, dK, off, lam, next) {
      for (let j = 0; j < n - 1; j++) next[j] = lam[j + 1] + dK[off + j];
      next[n - 1] = f * lam[0] + dK[off + n - 1];
    },
    grads: () => emptyGrads(n),
  };
}

function subdiagonalKernel(n: number, s: Float32Array, corner: number): Kernel {
  const gs = new Float64Array(n - 1);
  let gCorner = 0;
  return {
    step(K, src, dst) {
      // (Av)[0] = c·v[n−1], (Av)[j] = s[j−1]·v[j−1]
      K[dst] = corner * K[src + n - 1];
      for (let j = 1; j < n; j++) K[dst + j] = s[j - 1] * K[src + j - 1];
    },
    adjoint(K, dK, off, lam, next) {
      for (let j = 0; j < n - 1; j++) {
        const l = lam[j + 1];
        gs[j] += K[off + j] * l;
        next[j] = s[j] * l + dK[off + j];
      }
      gCorner += K[off + n - 1] * lam[0];
      next[n - 1] = corner * lam[0] + dK[off + n - 1];
    },
    grads: () => ({ ...emptyGrads(n), subdiag: gs, upperRight: gCorner }),
  };
}

function tridiagonalKernel(n: number, c: Extract<OperatorCoeffs, { kind: 'tridiagonal' }>): Kernel {
  const { subdiag: s, diag: d, superdiag: t, upperRight: ur, lowerLeft: ll } = c;
  // Padded copies so the adjoint loop runs j = 0..n−1 without edge cases.
  const sPad = new Float64Array(n); // sPad[j] = s[j], 0 at n−1
  const tPad = new Float64Array(n); // tPad[j] = t[j−1], 0 at 0
  for (let j = 0; j < n - 1; j++) {
    sPad[j] = s[j];
    tPad[j + 1] = t[j];
  }
  // Interleaved accumulators: g3[3j] = ∂s[j], g3[3j+1] = ∂d[j], g3[3j+2] = ∂t[j].
  const g3 = new Float64Array(3 * n);
  let gUr = 0;
  let gLl = 0;
  return {
    step(K, src, dst) {
      // (Av)[j] = s[j−1]·v[j−1] + d[j]·v[j] + t[j]·v[j+1], + ur·v[n−1] at 0, + ll·v[0] at n−1
      const first = K[src];
      let a = first;
      let b = K[src + 1];
      K[dst] = d[0] * a + t[0] * b + ur * K[src + n - 1];
      for (let j = 1; j < n - 1; j++) {
        const next = K[src + j + 1];
        K[dst + j] = s[j - 1] * a + d[j] * b + t[j] * next;
        a = b;
        b = next;
      }
      K[dst + n - 1] = s[n - 2] * a + d[n - 1] * b + ll * first;
    },
    adjoint(K, dK, off, lam, next) {
      let lPrev = 0; // λ[j−1]
      let l = lam[0]; // λ[j]
      let u = K[off]; // u[j]
      for (let j = 0; j < n; j++) {
        const lNext = lam[j + 1]; // 0 at j = n−1 (padding)
        const uNext = K[off + j + 1]; // at j = n−1 the next row's first entry; only feeds unused g3[3n−1]
        g3[3 * j] += u * lNext;
        g3[3 * j + 1] += u * l;
        g3[3 * j + 2] += uNext * l;
        next[j] = dK[off + j] + d[j] * l + sPad[j] * lNext + tPad[j] * lPrev;
        lPrev = l;
        l = lNext;
        u = uNext;
      }
      next[n - 1] += ur * lam[0]; // Aᵀ[n−1][0] = ur
      next[0] += ll * lam[n - 1]; // Aᵀ[0][n−1] = ll
      gUr += K[off + n - 1] * lam[0];
      gLl += K[off] * lam[n - 1];
    },
    grads() {
      const g = emptyGrads(n);
      for (let j = 0; j < n; j++) g.diag[j] = g3[3 * j + 1];
      for (let j = 0; j < n - 1; j++) {
        g.subdiag[j] = g3[3 * j];
        g.superdiag[j] = g3[3 * j + 2];
      }
      return { ...g, upperRight: gUr, lowerLeft: gLl };
    },
  };
}

function diagonalKernel(n: number, d: Float32Array): Kernel {
  const gd = new Float64Array(n);
  return {
    step(K, src, dst) {
      for (let j = 0; j < n; j++) K[dst + j] = d[j] * K[src + j];
    },
    adjoint(K, dK, off, lam, next) {
      for (let j = 0; j < n; j++) {
        const l = lam[j];
        gd[j] += K[off + j] * l;
        next[j] = d[j] * l + dK[off + j];
      }
    },
    grads: () => ({ ...emptyGrads(n), diag: gd }),
  };
}

function emptyGrads(n: number): OperatorGrads {
  return {
    subdiag: new Float64Array(n - 1),
    diag: new Float64Array(n),
    superdiag: new Float64Array(n - 1),
    upperRight: 0,
    lowerLeft: 0,
  };
}

function kernelFor(op: OperatorCoeffs): Kernel {
  switch (op.kind) {
    case 'shift':
      return shiftKernel(op.n, op.f);
    case 'subdiagonal':
      return subdiagonalKernel(op.n, op.subdiag, op.corner);
    case 'tridiagonal':
      return tridiagonalKernel(op.n, op);
    case 'diagonal':
      return diagonalKernel(op.n, op.diag);
  }
}

/**
 * Krylov rows of r vectors: V is r×n (row i = v_i); returns K, (r·n)×n, with
 * row i·n + k = A^k v_i. (K(A, v_i) is the transpose of block i.)
 */
export function krylovRows(op: OperatorCoeffs, V: ArrayLike<number>, r: number): Float32Array {
  const n = op.n;
  const kernel = kernelFor(op);
  const K = new Float32Array(r * n * n);
  for (let i = 0; i < r; i++) {
    const base = i * n * n;
    for (let j = 0; j < n; j++) K[base + j] = V[i * n + j];
    for (let k = 1; k < n; k++) kernel.step(K, base + (k - 1) * n, base + k * n);
  }
  return K;
}

/**
 * Backward of krylovRows: given K (from the forward) and dK = ∂L/∂K (same layout),
 * returns ∂L/∂V (r×n) and ∂L/∂θ of the operator.
 */
export function krylovRowsBackward(
  op: OperatorCoeffs,
  K: Float32Array,
  dK: Float32Array,
  r: number,
): { dV: Float32Array; grads: OperatorGrads } {
  const n = op.n;
  const kernel = kernelFor(op);
  const dV = new Float32Array(r * n);
  let lam = new Float64Array(n + 1);
  let next = new Float64Array(n + 1);
  for (let i = 0; i < r; i++) {
    const base = i * n * n;
    for (let j = 0; j < n; j++) lam[j] = dK[base + (n - 1) * n + j];
    for (let k = n - 2; k >= 0; k--) {
      kernel.adjoint(K, dK, base + k * n, lam, next);
      const t = lam;
      lam = next;
      next = t;
    }
    for (let j = 0; j < n; j++) dV[i * n + j] = lam[j];
  }
  return { dV, grads: kernel.grads() };
}
