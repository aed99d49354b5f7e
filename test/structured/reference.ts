// Float64 references straight from the definitions (docs/method.md: operators, Krylov product,
// classes), independent of the classes' own code paths: this file imports nothing from src/.
import * as tf from '@tensorflow/tfjs';

/** A row-major dense matrix (what `ldr layer --json` prints). */
export type Dense = number[][];

/** An operator as `ldr layer --json` prints it (the audit's JSON, written out here on purpose). */
export type OperatorJson =
  | { kind: 'shift'; f: number }
  | { kind: 'subdiagonal'; subdiag: number[]; corner: number }
  | { kind: 'tridiagonal'; subdiag: number[]; diag: number[]; superdiag: number[]; upperRight: number; lowerLeft: number }
  | { kind: 'diagonal'; diag: number[] };

/** A v for one operator, entry by entry from its definition (no matrix is built). */
export function applyOperator(op: OperatorJson, v: number[]): number[] {
  const n = v.length;
  const out = new Array<number>(n).fill(0);
  for (let j = 0; j < n; j++) {
    switch (op.kind) {
      case 'shift': // (Z_f v)[0] = f·v[n−1], (Z_f v)[j] = v[j−1]
        out[j] = j === 0 ? op.f * v[n - 1] : v[j - 1];
        break;
      case 'subdiagonal': // (A v)[0] = c·v[n−1], (A v)[j] = s[j−1]·v[j−1]
        out[j] = j === 0 ? op.corner * v[n - 1] : op.subdiag[j - 1] * v[j - 1];
        break;
      case 'tridiagonal': {
        let s = op.diag[j] * v[j];
        if (j > 0) s += op.subdiag[j - 1] * v[j - 1];
        if (j < n - 1) s += op.superdiag[j] * v[j + 1];
        if (j === 0) s += op.upperRight * v[n - 1];
        if (j === n - 1) s += op.lowerLeft * v[0];
        out[j] = s;
        break;
      }
      case 'diagonal':
        out[j] = op.diag[j] * v[j];
        break;
    }
  }
  return out;
}

/** The n×n matrix of an operator: column k is A e_k. */
export function operatorMatrix(op: OperatorJson, n: number): Dense {
  const cols: number[][] = [];
  for (let k = 0; k < n; k++) {
    const e = new Array<number>(n).fill(0);
    e[k] = 1;
    cols.push(applyOperator(op, e));
  }
  return transpose(cols);
}

export function transpose(a: Dense): Dense {
  return a[0].map((_, j) => a.map((row) => row[j]));
}

/** The plain triple loop. */
export function matMul(a: Dense, b: Dense): Dense {
  return a.map((row) =>
    b[0].map((_, j) => {
      let s = 0;
      for (let k = 0; k < row.length; k++) s += row[k] * b[k][j];
      return s;
    }),
  );
}

/** a + sign·b entrywise. */
export function add(a: Dense, b: Dense, sign = 1): Dense {
  return a.map((row, i) => row.map((x, j) => x + sign * b[i][j]));
}

/** A^k v by k matrix–vector products. */
export function applyPower(a: Dense, v: number[], k: number): number[] {
  let x = v.slice();
  for (let t = 0; t < k; t++) x = a.map((row) => row.reduce((s, aij, j) => s + aij * x[j], 0));
  return x;
}

/** The Stein residual M − A M Bᵀ. */
export function steinResidual(m: Dense, a: Dense, b: Dense): Dense {
  return add(m, matMul(matMul(a, m), transpose(b)), -1);
}

/** J·M: the rows in reverse order. */
export function reverseRows(a: Dense): Dense {
  return a.slice().reverse();
}

/** Largest absolute entry. */
export function maxAbs(a: Dense): number {
  return a.reduce((m, row) => row.reduce((mm, x) => Math.max(mm, Math.abs(x)), m), 0);
}

export function toDense(t: tf.Tensor): Dense {
  return t.arraySync() as Dense;
}

/** Read a temporary tensor (an op's result) and dispose it. */
export function take(t: tf.Tensor): Dense {
  const a = t.arraySync() as Dense;
  t.dispose();
  return a;
}

/** K(A, v) = [v | A v | … | A^{n−1} v] (column k is Aᵏ v). */
export function krylov(a: Dense, v: number[]): Dense {
  const n = v.length;
  const cols: number[][] = [];
  let x = v.slice();
  for (let k = 0; k < n; k++) {
    cols.push(x);
    x = applyPower(a, x, 1);
  }
  return transpose(cols);
}

/** Σ_i K(A, g_i) K(B, h_i)ᵀ. */
export function krylovProduct(opA: OperatorJson, opB: OperatorJson, G: Dense, H: Dense): Dense {
  const n = G[0].length;
  const a = operatorMatrix(opA, n);
  const b = operatorMatrix(opB, n);
  let m: Dense = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  G.forEach((g, i) => {
    const term = matMul(krylov(a, g), transpose(krylov(b, H[i])));
    m = m.map((row, p) => row.map((x, q) => x + term[p][q]));
  });
  return m;
}

/** Sylvester-order unnormalised Walsh–Hadamard matrix of size N (a power of two). */
export function hadamard(N: number): Dense {
  let h: Dense = [[1]];
  while (h.length < N) {
    const k = h.length;
    const next: Dense = Array.from({ length: 2 * k }, () => new Array<number>(2 * k).fill(0));
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        next[i][j] = h[i][j];
        next[i][j + k] = h[i][j];
        next[i + k][j] = h[i][j];
        next[i + k][j + k] = -h[i][j];
      }
    }
    h = next;
  }
  return h;
}

/** diag(S)·H·diag(G)·Π·H·diag(B), (Πv)[i] = v[P[i]], cut to its top-left n×n block. */
export function fastfoodDense(S: number[], G: number[], B: number[], P: number[], n: number): Dense {
  const N = S.length;
  const h = hadamard(N);
  const diag = (d: number[]) => d.map((x, i) => d.map((_, j) => (i === j ? x : 0)));
  const pi: Dense = P.map((p) => P.map((_, j) => (j === p ? 1 : 0)));
  const full = [diag(S), h, diag(G), pi, h, diag(B)].reduce((acc, f) => matMul(acc, f));
  return full.slice(0, n).map((row) => row.slice(0, n));
}

/** Largest |a − b| and a scale for relative comparisons. */
export function maxDiff(a: Dense, b: Dense): number {
  let d = 0;
  a.forEach((row, i) => row.forEach((x, j) => (d = Math.max(d, Math.abs(x - b[i][j])))));
  return d;
}

/** Y = X Mᵀ in float64, and the per-entry bound Σ_j |x_ij||m_kj| (float32 error scale). */
export function forwardReference(x: Dense, m: Dense): { y: Dense; scale: number } {
  let scale = 0;
  const y = x.map((xi) =>
    m.map((mk) => {
      let s = 0;
      let a = 0;
      for (let j = 0; j < xi.length; j++) {
        s += xi[j] * mk[j];
        a += Math.abs(xi[j] * mk[j]);
      }
      scale = Math.max(scale, a);
      return s;
    }),
  );
  return { y, scale };
}
