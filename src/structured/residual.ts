// Dense float64 linear algebra for audits and tests: an operator (docs/method.md §1 table) as a
// dense matrix, the Stein residual M − A M Bᵀ, and the numerical rank of a matrix.
// Matrices are row-major number[][] (what `ldr layer --json` prints).
import { asTridiagonal, type OperatorJson } from './operators';

export type Dense = number[][];

export function zeros(rows: number, cols: number): Dense {
  return Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
}

/** The n×n matrix of an operator (every kind as a tridiagonal with corners, operators.ts). */
export function operatorMatrix(op: OperatorJson, n: number): Dense {
  const { s, d, t, ur, ll } = asTridiagonal(op, n);
  const a = zeros(n, n);
  for (let j = 0; j < n; j++) {
    a[j][j] = d[j];
    if (j >= 1) a[j][j - 1] = s[j - 1];
    if (j + 1 < n) a[j][j + 1] = t[j];
  }
  a[0][n - 1] += ur;
  a[n - 1][0] += ll;
  return a;
}

export function matMul(a: Dense, b: Dense): Dense {
  const p = a.length;
  const q = b.length;
  const s = b[0].length;
  const c = zeros(p, s);
  for (let i = 0; i < p; i++) {
    for (let k = 0; k < q; k++) {
      const aik = a[i][k];
      if (aik === 0) continue;
      const bk = b[k];
      const ci = c[i];
      for (let j = 0; j < s; j++) ci[j] += aik * bk[j];
    }
  }
  return c;
}

export function transpose(a: Dense): Dense {
  return a[0].map((_, j) => a.map((row) => row[j]));
}

export function subtract(a: Dense, b: Dense): Dense {
  return a.map((row, i) => row.map((x, j) => x - b[i][j]));
}

/** Reverse the rows (J·M): hankel-like's M = J · M_toeplitz-like. */
export function reverseRows(a: Dense): Dense {
  return a.slice().reverse();
}

/** The Stein residual M − A M Bᵀ, as (B (A M)ᵀ)ᵀ so that sparse A and B keep it O(n²). */
export function steinResidual(m: Dense, a: Dense, b: Dense): Dense {
  return subtract(m, transpose(matMul(b, transpose(matMul(a, m)))));
}

/** Aᵏ v for a row vector v (length n). */
export function applyPower(a: Dense, v: number[], k: number): number[] {
  let x = v.slice();
  for (let t = 0; t < k; t++) x = a.map((row) => row.reduce((s, aij, j) => s + aij * x[j], 0));
  return x;
}

/** Largest absolute entry. */
export function maxAbs(a: Dense): number {
  let s = 0;
  for (const row of a) for (const x of row) s = Math.max(s, Math.abs(x));
  return s;
}

/**
 * Numerical rank by Gram–Schmidt with column pivoting (rank-revealing QR): the number of
 * pivots whose remaining column norm exceeds `relTol` × the largest column norm of `a`.
 * Stops at the first small pivot, so a rank-r residual costs O(r·rows·cols).
 */
export function numericalRank(a: Dense, relTol = 1e-4): number {
  const rows = a.length;
  if (rows === 0) return 0;
  const cols = a[0].length;
  const c = transpose(a).map((col) => Float64Array.from(col)); // working columns
  const norms = c.map((col) => col.reduce((s, x) => s + x * x, 0));
  const first = Math.sqrt(Math.max(0, ...norms));
  if (first === 0) return 0;
  const used = new Array<boolean>(cols).fill(false);
  let rank = 0;
  for (; rank < Math.min(rows, cols); rank++) {
    let p = -1;
    let best = -1;
    for (let j = 0; j < cols; j++) {
      if (used[j]) continue;
      // recompute the norm: the downdated one loses accuracy after cancellation
      const nj = c[j].reduce((s, x) => s + x * x, 0);
      if (nj > best) {
        best = nj;
        p = j;
      }
    }
    if (p < 0 || Math.sqrt(best) <= relTol * first) break;
    used[p] = true;
    const q = c[p].map((x) => x / Math.sqrt(best));
    for (let j = 0; j < cols; j++) {
      if (used[j]) continue;
      const cj = c[j];
      let dot = 0;
      for (let i = 0; i < rows; i++) dot += q[i] * cj[i];
      for (let i = 0; i < rows; i++) cj[i] -= dot * q[i];
    }
  }
  return rank;
}
