// Krylov products with a learned subdiagonal operator in O(n log² n), by divide and conquer
// over convolutions (P1; De Sa et al., SODA 2018).
//
// With (A v)[j] = s[j−1] v[j−1] and P(i, j) = s[i]·…·s[j−1] (P(i, i) = 1):
//   (A^k g)[j] = P(j−k, j) g[j−k], so y = K(A, g) z has y[j] = Σ_{i≤j} g[i] P(i, j) z[j−i],
//   and u = K(A, g)ᵀ x has u[k] = Σ_i g[i] P(i, i+k) x[i+k].
// Split an index block [lo, hi) at mid: pairs (i, j) on one side recurse; pairs across factor as
// P(i, j) = P(i, mid)·P(mid, j), which makes the cross term one convolution of length-(hi−lo)
// sequences — a circular one of the next power of two suffices (the wrapped-around terms fall
// outside the entries we keep). The generator side of every convolution (g·P(·, mid)) is fixed
// for a given matrix, so a plan keeps its spectra; a product then costs one forward and one
// inverse real FFT per block, O(n log² n) in all. Small blocks use the direct O(len²) sum.
//
// The corner variant (A v)[0] = c·v[n−1] wraps at most once for k < n: it is the plain
// recursion on the doubled chain s' = (s, c, s) with g' = (g, 0), folded back.
import { type HalfSpectrum, halfSpectrum, irfftInto, mulAddSpectra, mulSpectra, nextPowerOfTwo, rfftInto } from './fft';

/** Below this block length the direct sum beats FFT convolutions (measured: 16–64 all close). */
const DIRECT_BLOCK = 32;

interface Block {
  lo: number;
  mid: number;
  hi: number;
  /** Circular convolution size: a power of two ≥ hi − lo. */
  N: number;
  /** a[i−lo] = g[i]·P(i, mid), i ∈ [lo, mid). */
  a: Float64Array;
  /** P(mid, j) for j ∈ [mid, hi). */
  q: Float64Array;
}

export interface KrylovPlan {
  /** y = K(A, g) z */
  mul(z: ArrayLike<number>): Float64Array;
  /** u = K(A, g)ᵀ x */
  mulT(x: ArrayLike<number>): Float64Array;
}

/**
 * Plan for K(A, g) with A = subdiagonal(s), s of length n − 1, no corner. What each direction
 * needs (spectra, direct-sum coefficients) is built on its first use: a product Σ K(A, g)K(B, h)ᵀ
 * only ever multiplies by one of the two.
 */
export function planSubdiagKrylov(s: ArrayLike<number>, g: ArrayLike<number>): KrylovPlan {
  const n = g.length;
  const blocks: Block[] = [];
  const leaves: [number, number][] = [];
  const build = (lo: number, hi: number): void => {
    const len = hi - lo;
    if (len <= DIRECT_BLOCK) {
      leaves.push([lo, hi]);
      return;
    }
    const mid = lo + (len >> 1);
    build(lo, mid);
    build(mid, hi);
    const a = new Float64Array(mid - lo);
    let p = 1;
    for (let i = mid - 1; i >= lo; i--) {
      p *= s[i];
      a[i - lo] = g[i] * p;
    }
    const q = new Float64Array(hi - mid);
    let c = 1;
    for (let j = mid; j < hi; j++) {
      q[j - mid] = c;
      if (j < hi - 1) c *= s[j];
    }
    blocks.push({ lo, mid, hi, N: Math.max(2, nextPowerOfTwo(len)), a, q });
  };
  build(0, n);

  // Scratch per FFT size, reused by every product (single-threaded, not re-entrant).
  const sizes = [...new Set(blocks.map((b) => b.N))];
  const scratch = new Map(sizes.map((N) => [N, { spec: halfSpectrum(N), tmp: halfSpectrum(N), acc: halfSpectrum(N), w: new Float64Array(N), len: -1 }]));
  const bx = new Float64Array(n);

  // Forward: spectra of a per block; leaf coefficients j-major, c_j[d] = g[j−d]·P(j−d, j), d ≤ j − lo.
  let fwd: { spectra: HalfSpectrum[]; coef: Float64Array } | null = null;
  const forwardData = () => {
    if (fwd) return fwd;
    const spectra = blocks.map((b) => {
      const sp = halfSpectrum(b.N);
      rfftInto(b.a, b.N, sp);
      return sp;
    });
    const coef = new Float64Array(leaves.reduce((t, [lo, hi]) => t + ((hi - lo) * (hi - lo + 1)) / 2, 0));
    let idx = 0;
    for (const [lo, hi] of leaves) {
      for (let j = lo; j < hi; j++) {
        let p = 1;
        for (let i = j; i >= lo; i--) {
          coef[idx++] = g[i] * p;
          if (i > lo) p *= s[i - 1];
        }
      }
    }
    return (fwd = { spectra, coef });
  };

  // Transposed: spectra of a reversed per block; leaf coefficients d-major, c_d[i−lo] = g[i]·P(i, i+d).
  let bwd: { spectra: HalfSpectrum[]; coef: Float64Array } | null = null;
  const transposedData = () => {
    if (bwd) return bwd;
    const spectra = blocks.map((b) => {
      const ar = b.a.slice().reverse();
      const sp = halfSpectrum(b.N);
      rfftInto(ar, b.N, sp);
      return sp;
    });
    const coef = new Float64Array(leaves.reduce((t, [lo, hi]) => t + ((hi - lo) * (hi - lo + 1)) / 2, 0));
    let idx = 0;
    for (const [lo, hi] of leaves) {
      const row = new Float64Array(hi - lo);
      for (let i = lo; i < hi; i++) row[i - lo] = g[i];
      for (let d = 0; d < hi - lo; d++) {
        if (d > 0) for (let i = lo; i + d < hi; i++) row[i - lo] *= s[i + d - 1];
        for (let i = lo; i + d < hi; i++) coef[idx++] = row[i - lo];
      }
    }
    return (bwd = { spectra, coef });
  };

  const mul = (z: ArrayLike<number>): Float64Array => {
    const { spectra, coef } = forwardData();
    const y = new Float64Array(n);
    // Direct sums: y[j] = Σ_{d ≤ j−lo} c_j[d]·z[d], two accumulators to keep the adds pipelined.
    let idx = 0;
    for (let l = 0; l < leaves.length; l++) {
      const lo = leaves[l][0];
      const hi = leaves[l][1];
      for (let j = lo; j < hi; j++) {
        const m = j - lo + 1;
        let s0 = 0;
        let s1 = 0;
        let d = 0;
        for (; d + 1 < m; d += 2) {
          s0 += coef[idx + d] * z[d];
          s1 += coef[idx + d + 1] * z[d + 1];
        }
        if (d < m) s0 += coef[idx + d] * z[d];
        idx += m;
        y[j] = s0 + s1;
      }
    }
    // Spectra of the prefixes z[0 .. len) are shared by every block of the same length.
    for (const sc of scratch.values()) sc.len = -1;
    for (let k = 0; k < blocks.length; k++) {
      const b = blocks[k];
      const len = b.hi - b.lo;
      const sc = scratch.get(b.N)!;
      if (sc.len !== len) {
        rfftInto(prefix(z, len), b.N, sc.spec);
        sc.len = len;
      }
      const w = sc.w;
      irfftInto(mulSpectra(spectra[k], sc.spec, sc.tmp), b.N, w);
      const q = b.q;
      const shift = b.mid - b.lo;
      for (let t = 0; t < q.length; t++) y[b.mid + t] += q[t] * w[shift + t];
    }
    return y;
  };

  const mulT = (x: ArrayLike<number>): Float64Array => {
    const { spectra, coef } = transposedData();
    const u = new Float64Array(n);
    // Direct sums: u[d] += Σ_i c_d[i−lo]·x[i+d].
    let idx = 0;
    for (let l = 0; l < leaves.length; l++) {
      const lo = leaves[l][0];
      const hi = leaves[l][1];
      for (let d = 0; d < hi - lo; d++) {
        const m = hi - lo - d;
        const xo = lo + d;
        let s0 = 0;
        let s1 = 0;
        let t = 0;
        for (; t + 1 < m; t += 2) {
          s0 += coef[idx + t] * x[xo + t];
          s1 += coef[idx + t + 1] * x[xo + t + 1];
        }
        if (t < m) s0 += coef[idx + t] * x[xo + t];
        idx += m;
        u[d] += s0 + s1;
      }
    }
    // Every cross term lands on u[1 …] at offsets independent of the block's position, so the
    // blocks of one FFT size are summed in the frequency domain and inverted once.
    for (const sc of scratch.values()) {
      sc.acc.re.fill(0);
      sc.acc.im.fill(0);
    }
    for (let k = 0; k < blocks.length; k++) {
      const b = blocks[k];
      const sc = scratch.get(b.N)!;
      const m = b.hi - b.mid;
      const q = b.q;
      for (let t = 0; t < m; t++) bx[t] = q[t] * x[b.mid + t];
      rfftInto(bx.subarray(0, m), b.N, sc.tmp);
      mulAddSpectra(sc.acc, spectra[k], sc.tmp);
    }
    for (const [N, sc] of scratch) {
      const w = sc.w;
      irfftInto(sc.acc, N, w);
      // w[t] gathers pairs with j − i − 1 = t.
      for (let t = 0; t + 1 < n && t < N; t++) u[t + 1] += w[t];
    }
    return u;
  };
  return { mul, mulT };
}

function prefix(z: ArrayLike<number>, len: number): ArrayLike<number> {
  return z instanceof Float64Array || z instanceof Float32Array ? z.subarray(0, len) : Array.from({ length: len }, (_, i) => z[i]);
}

/** Plan for K(A, g) with A = subdiagonal(s) plus corner c at (0, n−1). */
export function planSubdiagCornerKrylov(s: ArrayLike<number>, corner: number, g: ArrayLike<number>): KrylovPlan {
  const n = g.length;
  const chain = new Float64Array(2 * n - 1);
  for (let i = 0; i < n - 1; i++) {
    chain[i] = s[i];
    chain[n + i] = s[i];
  }
  chain[n - 1] = corner;
  const g2 = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) g2[i] = g[i];
  const plan = planSubdiagKrylov(chain, g2);
  return {
    mul: (z) => {
      const z2 = new Float64Array(2 * n);
      for (let i = 0; i < n; i++) z2[i] = z[i];
      const y2 = plan.mul(z2);
      const y = new Float64Array(n);
      for (let j = 0; j < n; j++) y[j] = y2[j] + y2[j + n];
      return y;
    },
    mulT: (x) => {
      const x2 = new Float64Array(2 * n);
      for (let i = 0; i < n; i++) x2[i] = x2[i + n] = x[i];
      return plan.mulT(x2).slice(0, n);
    },
  };
}

// One-shot forms (tests, and callers that multiply by a matrix once).
export const subdiagKrylovMul = (s: ArrayLike<number>, g: ArrayLike<number>, z: ArrayLike<number>) => planSubdiagKrylov(s, g).mul(z);
export const subdiagKrylovMulT = (s: ArrayLike<number>, g: ArrayLike<number>, x: ArrayLike<number>) => planSubdiagKrylov(s, g).mulT(x);
export const subdiagCornerKrylovMul = (s: ArrayLike<number>, c: number, g: ArrayLike<number>, z: ArrayLike<number>) => planSubdiagCornerKrylov(s, c, g).mul(z);
export const subdiagCornerKrylovMulT = (s: ArrayLike<number>, c: number, g: ArrayLike<number>, x: ArrayLike<number>) => planSubdiagCornerKrylov(s, c, g).mulT(x);
