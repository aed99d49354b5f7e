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
import { type HalfSpectrum, irfft, mulAddSpectra, mulSpectra, nextPowerOfTwo, rfft } from './fft';

/** Below this block length the direct sum beats FFT convolutions (measured: 32–128 all close). */
const DIRECT_BLOCK = 64;

interface Block {
  lo: number;
  mid: number;
  hi: number;
  /** Circular convolution size: a power of two ≥ hi − lo. */
  N: number;
  /** Forward product: spectrum of a[i−lo] = g[i]·P(i, mid), i ∈ [lo, mid). */
  aSpec: HalfSpectrum;
  /** Transposed product: spectrum of a reversed, ar[mid−1−i] = g[i]·P(i, mid). */
  arSpec: HalfSpectrum;
  /** P(mid, j) for j ∈ [mid, hi). */
  q: Float64Array;
}

export interface KrylovPlan {
  /** y = K(A, g) z */
  mul(z: ArrayLike<number>): Float64Array;
  /** u = K(A, g)ᵀ x */
  mulT(x: ArrayLike<number>): Float64Array;
}

/** Plan for K(A, g) with A = subdiagonal(s), s of length n − 1, no corner. */
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
    const la = mid - lo;
    const a = new Float64Array(la);
    const ar = new Float64Array(la);
    let p = 1;
    for (let i = mid - 1; i >= lo; i--) {
      p *= s[i];
      a[i - lo] = g[i] * p;
      ar[mid - 1 - i] = g[i] * p;
    }
    const q = new Float64Array(hi - mid);
    let c = 1;
    for (let j = mid; j < hi; j++) {
      q[j - mid] = c;
      if (j < hi - 1) c *= s[j];
    }
    const N = Math.max(2, nextPowerOfTwo(len));
    blocks.push({ lo, mid, hi, N, aSpec: rfft(a, N), arSpec: rfft(ar, N), q });
  };
  build(0, n);

  const mul = (z: ArrayLike<number>): Float64Array => {
    const y = new Float64Array(n);
    for (const [lo, hi] of leaves) {
      for (let i = lo; i < hi; i++) {
        let p = g[i];
        for (let j = i; j < hi; j++) {
          y[j] += p * z[j - i];
          if (j + 1 < hi) p *= s[j];
        }
      }
    }
    // Spectra of the prefixes z[0 .. len) are shared by every block of the same length.
    const zSpec = new Map<number, HalfSpectrum>();
    for (const b of blocks) {
      const len = b.hi - b.lo;
      let zs = zSpec.get(len);
      if (!zs) zSpec.set(len, (zs = rfft(prefix(z, len), b.N)));
      const w = irfft(mulSpectra(b.aSpec, zs), b.N);
      for (let j = b.mid; j < b.hi; j++) y[j] += b.q[j - b.mid] * w[j - b.lo];
    }
    return y;
  };

  const mulT = (x: ArrayLike<number>): Float64Array => {
    const u = new Float64Array(n);
    for (const [lo, hi] of leaves) {
      for (let i = lo; i < hi; i++) {
        let p = g[i];
        for (let j = i; j < hi; j++) {
          u[j - i] += p * x[j];
          if (j + 1 < hi) p *= s[j];
        }
      }
    }
    // Every cross term lands on u[1 …] at offsets independent of the block's position, so the
    // blocks of one FFT size are summed in the frequency domain and inverted once.
    const acc = new Map<number, HalfSpectrum>();
    for (const b of blocks) {
      const bx = new Float64Array(b.hi - b.mid);
      for (let j = b.mid; j < b.hi; j++) bx[j - b.mid] = b.q[j - b.mid] * x[j];
      let sum = acc.get(b.N);
      if (!sum) acc.set(b.N, (sum = { re: new Float64Array(b.N / 2 + 1), im: new Float64Array(b.N / 2 + 1) }));
      mulAddSpectra(sum, b.arSpec, rfft(bx, b.N));
    }
    for (const [N, sum] of acc) {
      const w = irfft(sum, N);
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
