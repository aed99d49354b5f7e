// Float64 references straight from docs/method.md §1–2, independent of the classes' own code paths.
import * as tf from '@tensorflow/tfjs';
import { applyPower, matMul, operatorMatrix, transpose, type Dense } from '../../src/structured/residual';
import type { OperatorJson } from '../../src/structured/types';

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
