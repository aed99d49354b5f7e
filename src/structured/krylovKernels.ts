// Typed-array loops behind the Krylov product on the cpu and wasm backends (PAPER.md §1).
// A Krylov matrix is stored by rows: row k of block i is A^k g_i, so each step reads one
// contiguous row and writes the next. Forward and backward are O(r n²) each.
//
// Backward (adjoint recursion) for u_k = A^k v, k = 0..n−1, given dK_k = ∂L/∂u_k:
//   λ_{n−1} = dK_{n−1},  λ_k = dK_k + Aᵀ λ_{k+1},  ∂L/∂v = λ_0,
//   ∂L/∂θ = Σ_k ∂(A u_k)/∂θ · λ_{k+1}.

/** An operator's current coefficients, as plain arrays (mirrors OperatorJson). */
export type OperatorCoeffs =
  | { kind: 'shift'; n: number; f: number }
  | { kind: 'subdiagonal'; n: number; subdiag: Float32Array; corner: number }
  | {
      kind: 'tridiagonal';
      n: number;
      subdiag: Float32Array;
      diag: Float32Array;
      superdiag: Float32Array;
      upperRight: number;
      lowerLeft: number;
    }
  | { kind: 'diagonal'; n: number; diag: Float32Array };

/**
 * Accumulated ∂L/∂θ. `upperRight` is the (0, n−1) entry: the corner of a subdiagonal
 * operator, the upper-right corner of a tridiagonal one. Unused fields stay zero.
 */
export interface OperatorGrads {
  subdiag: Float64Array;
  diag: Float64Array;
  superdiag: Float64Array;
  upperRight: number;
  lowerLeft: number;
}

export function zeroGrads(n: number): OperatorGrads {
  return {
    subdiag: new Float64Array(n - 1),
    diag: new Float64Array(n),
    superdiag: new Float64Array(n - 1),
    upperRight: 0,
    lowerLeft: 0,
  };
}

/** dst[dOff + j] = (A · src[sOff .. sOff + n))[j]. src and dst may be the same array (disjoint rows). */
export function applyOperator(
  op: OperatorCoeffs,
  src: ArrayLike<number>,
  sOff: number,
  dst: Float32Array | Float64Array,
  dOff: number,
): void {
  const n = op.n;
  switch (op.kind) {
    case 'shift':
      dst[dOff] = op.f * src[sOff + n - 1];
      for (let j = 1; j < n; j++) dst[dOff + j] = src[sOff + j - 1];
      return;
    case 'subdiagonal': {
      const s = op.subdiag;
      dst[dOff] = op.corner * src[sOff + n - 1];
      for (let j = 1; j < n; j++) dst[dOff + j] = s[j - 1] * src[sOff + j - 1];
      return;
    }
    case 'tridiagonal': {
      const { subdiag: s, diag: d, superdiag: u } = op;
      dst[dOff] = d[0] * src[sOff] + u[0] * src[sOff + 1] + op.upperRight * src[sOff + n - 1];
      for (let j = 1; j < n - 1; j++) {
        dst[dOff + j] = s[j - 1] * src[sOff + j - 1] + d[j] * src[sOff + j] + u[j] * src[sOff + j + 1];
      }
      dst[dOff + n - 1] =
        s[n - 2] * src[sOff + n - 2] + d[n - 1] * src[sOff + n - 1] + op.lowerLeft * src[sOff];
      return;
    }
    case 'diagonal': {
      const d = op.diag;
      for (let j = 0; j < n; j++) dst[dOff + j] = d[j] * src[sOff + j];
      return;
    }
  }
}

/** out = Aᵀ λ (out and λ distinct). */
export function applyTransposed(op: OperatorCoeffs, lam: Float64Array, out: Float64Array): void {
  const n = op.n;
  switch (op.kind) {
    case 'shift':
      for (let j = 0; j < n - 1; j++) out[j] = lam[j + 1];
      out[n - 1] = op.f * lam[0];
      return;
    case 'subdiagonal': {
      const s = op.subdiag;
      for (let j = 0; j < n - 1; j++) out[j] = s[j] * lam[j + 1];
      out[n - 1] = op.corner * lam[0];
      return;
    }
    case 'tridiagonal': {
      const { subdiag: s, diag: d, superdiag: u } = op;
      out[0] = d[0] * lam[0] + s[0] * lam[1] + op.lowerLeft * lam[n - 1];
      for (let j = 1; j < n - 1; j++) out[j] = u[j - 1] * lam[j - 1] + d[j] * lam[j] + s[j] * lam[j + 1];
      out[n - 1] = u[n - 2] * lam[n - 2] + d[n - 1] * lam[n - 1] + op.upperRight * lam[0];
      return;
    }
    case 'diagonal': {
      const d = op.diag;
      for (let j = 0; j < n; j++) out[j] = d[j] * lam[j];
      return;
    }
  }
}

/** grads += ∂(A u)/∂θ · λ for u = K[uOff .. uOff + n). */
export function accumulateOperatorGrads(
  op: OperatorCoeffs,
  K: Float32Array,
  uOff: number,
  lam: Float64Array,
  g: OperatorGrads,
): void {
  const n = op.n;
  switch (op.kind) {
    case 'shift':
      return;
    case 'subdiagonal': {
      const gs = g.subdiag;
      for (let j = 1; j < n; j++) gs[j - 1] += K[uOff + j - 1] * lam[j];
      g.upperRight += K[uOff + n - 1] * lam[0];
      return;
    }
    case 'tridiagonal': {
      const { subdiag: gs, diag: gd, superdiag: gu } = g;
      for (let j = 0; j < n - 1; j++) {
        const uj = K[uOff + j];
        gs[j] += uj * lam[j + 1];
        gd[j] += uj * lam[j];
        gu[j] += K[uOff + j + 1] * lam[j];
      }
      gd[n - 1] += K[uOff + n - 1] * lam[n - 1];
      g.upperRight += K[uOff + n - 1] * lam[0];
      g.lowerLeft += K[uOff] * lam[n - 1];
      return;
    }
    case 'diagonal': {
      const gd = g.diag;
      for (let j = 0; j < n; j++) gd[j] += K[uOff + j] * lam[j];
      return;
    }
  }
}

/**
 * Krylov rows of r vectors: V is r×n (row i = v_i); returns K, (r·n)×n, with
 * row i·n + k = A^k v_i. (K(A, v_i) is the transpose of block i.)
 */
export function krylovRows(op: OperatorCoeffs, V: ArrayLike<number>, r: number): Float32Array {
  const n = op.n;
  const K = new Float32Array(r * n * n);
  for (let i = 0; i < r; i++) {
    const base = i * n * n;
    for (let j = 0; j < n; j++) K[base + j] = V[i * n + j];
    for (let k = 1; k < n; k++) applyOperator(op, K, base + (k - 1) * n, K, base + k * n);
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
  dK: ArrayLike<number>,
  r: number,
): { dV: Float32Array; grads: OperatorGrads } {
  const n = op.n;
  const grads = zeroGrads(n);
  const dV = new Float32Array(r * n);
  let lam = new Float64Array(n);
  let next = new Float64Array(n);
  for (let i = 0; i < r; i++) {
    const base = i * n * n;
    for (let j = 0; j < n; j++) lam[j] = dK[base + (n - 1) * n + j];
    for (let k = n - 2; k >= 0; k--) {
      const off = base + k * n;
      accumulateOperatorGrads(op, K, off, lam, grads);
      applyTransposed(op, lam, next);
      for (let j = 0; j < n; j++) next[j] += dK[off + j];
      const t = lam;
      lam = next;
      next = t;
    }
    for (let j = 0; j < n; j++) dV[i * n + j] = lam[j];
  }
  return { dV, grads };
}
