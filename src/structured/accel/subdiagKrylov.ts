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
// inverse real FFT per block, O(n log² n) in all. Small blocks use the direct O(len²) sum, with
// precomputed coefficients (no running product in the inner loop).
//
// The corner variant (A v)[0] = c·v[n−1] wraps at most once for k < n: it is the plain
// recursion on the doubled chain s' = (s, c, s) with g' = (g, 0), folded back.
import { halfSpectrumVec as halfSpectrum, irfftInto, mulAddSpec, mulSpec, nextPowerOfTwo, rfftInto, rfftVecInto, type Spectrum, type Vec, zeros } from './fft';

/** Below this block length the direct sum beats FFT convolutions (measured: 16–64 all close). */
const DIRECT_BLOCK = 32;

export interface Block {
  lo: number;
  mid: number;
  hi: number;
  /** Circular convolution size: a power of two ≥ hi − lo. */
  N: number;
  /** a_g[i−lo] = g[i]·P(i, mid), i ∈ [lo, mid), per generator g. */
  a: Float64Array[];
  /** P(mid, j) for j ∈ [mid, hi). */
  q: Vec;
}

/** K(A, g_i) for generators g_0 … g_{r−1} sharing one subdiagonal operator A. */
export interface KrylovSumPlan {
  /** y = Σ_i K(A, g_i) z_i */
  mulSum(zs: ArrayLike<number>[]): Float64Array;
  /** u_i = K(A, g_i)ᵀ x, every i */
  mulTAll(x: ArrayLike<number>): Float64Array[];
  /** Plans holding memory outside the JS heap (productsWasm.ts) give it back. */
  dispose?(): void;
}

/**
 * Plan for K(A, g_i), A = subdiagonal(s) without corner, for several generators at once. P(mid, j)
 * does not depend on the generator, so per block the rank sum of the forward cross terms is taken
 * in the frequency domain before one inverse FFT, and the transposed products share one forward
 * FFT of the block's input. What each direction needs (spectra, direct-sum coefficients) is built
 * on its first use: a product Σ K(A, g)K(B, h)ᵀ only ever multiplies by one of the two.
 */
/** The divide-and-conquer layout of K(A, g_i) for one subdiagonal chain s: blocks and leaves. */
export interface SubdiagLayout {
  n: number;
  blocks: Block[];
  /** Leaves [lo, hi), summed directly. */
  leaves: [number, number][];
  /** Coefficients per generator in all leaves. */
  leafSize: number;
}

/** `withA`: also the blocks' a_g and q (the WebAssembly plans compute them in module memory instead). */
export function subdiagLayout(s: ArrayLike<number>, gens: ArrayLike<number>[], withA = true): SubdiagLayout {
  const n = gens[0].length;
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
    const a = (withA ? gens : []).map((g) => {
      const ag = new Float64Array(mid - lo);
      let p = 1;
      for (let i = mid - 1; i >= lo; i--) {
        p *= s[i];
        ag[i - lo] = g[i] * p;
      }
      return ag;
    });
    const q = zeros(withA ? hi - mid : 0);
    let c = 1;
    for (let j = mid; j < mid + q.length; j++) {
      q[j - mid] = c;
      if (j < hi - 1) c *= s[j];
    }
    blocks.push({ lo, mid, hi, N: Math.max(2, nextPowerOfTwo(len)), a, q });
  };
  build(0, n);
  const leafSize = leaves.reduce((t, [lo, hi]) => t + ((hi - lo) * (hi - lo + 1)) / 2, 0);
  return { n, blocks, leaves, leafSize };
}

/** Forward: spectra of a_g per block [block][generator]. */
function forwardSpectra(L: SubdiagLayout): Spectrum[][] {
  return L.blocks.map((b) =>
    b.a.map((a) => {
      const sp = halfSpectrum(b.N);
      rfftInto(a, b.N, sp);
      return sp;
    }),
  );
}

/** Forward leaf coefficients, j-major per generator: c_j[d] = g[j−d]·P(j−d, j), d ≤ j − lo. */
export function forwardLeafCoefs(L: SubdiagLayout, s: ArrayLike<number>, gens: ArrayLike<number>[]): Vec[] {
  return gens.map((g) => {
    const c = zeros(L.leafSize);
    let idx = 0;
    for (const [lo, hi] of L.leaves) {
      for (let j = lo; j < hi; j++) {
        let p = 1;
        for (let i = j; i >= lo; i--) {
          c[idx++] = g[i] * p;
          if (i > lo) p *= s[i - 1];
        }
      }
    }
    return c;
  });
}

/** Transposed: spectra of a_g reversed per block [block][generator]. */
function transposedSpectra(L: SubdiagLayout): Spectrum[][] {
  return L.blocks.map((b) =>
    b.a.map((a) => {
      const sp = halfSpectrum(b.N);
      rfftInto(a.slice().reverse(), b.N, sp);
      return sp;
    }),
  );
}

/** Transposed leaf coefficients, d-major per generator: c_d[i−lo] = g[i]·P(i, i+d). */
export function transposedLeafCoefs(L: SubdiagLayout, s: ArrayLike<number>, gens: ArrayLike<number>[]): Vec[] {
  const row = new Float64Array(L.leaves.reduce((m, [lo, hi]) => Math.max(m, hi - lo), 0));
  return gens.map((g) => {
    const c = zeros(L.leafSize);
    let idx = 0;
    for (const [lo, hi] of L.leaves) {
      for (let i = lo; i < hi; i++) row[i - lo] = g[i];
      for (let d = 0; d < hi - lo; d++) {
        if (d > 0) for (let i = lo; i + d < hi; i++) row[i - lo] *= s[i + d - 1];
        for (let i = lo; i + d < hi; i++) c[idx++] = row[i - lo];
      }
    }
    return c;
  });
}

/**
 * Plan for K(A, g_i), A = subdiagonal(s) without corner, for several generators at once. P(mid, j)
 * does not depend on the generator, so per block the rank sum of the forward cross terms is taken
 * in the frequency domain before one inverse FFT, and the transposed products share one forward
 * FFT of the block's input. What each direction needs (spectra, direct-sum coefficients) is built
 * on its first use: a product Σ K(A, g)K(B, h)ᵀ only ever multiplies by one of the two.
 */
export function planSubdiagKrylovSum(s: ArrayLike<number>, gens: ArrayLike<number>[]): KrylovSumPlan {
  const layout = subdiagLayout(s, gens);
  const { n, blocks, leaves } = layout;
  const r = gens.length;

  // Scratch per FFT size, reused by every product (single-threaded, not re-entrant).
  const sizes = [...new Set(blocks.map((b) => b.N))];
  const scratch = new Map(
    sizes.map((N) => [
      N,
      {
        specs: Array.from({ length: r }, () => halfSpectrum(N)),
        accs: Array.from({ length: r }, () => halfSpectrum(N)),
        tmp: halfSpectrum(N),
        w: zeros(N),
        len: -1,
      },
    ]),
  );
  // Vec copies of the inputs and the outputs being summed (fft.ts: why not typed arrays).
  const bx = zeros(n);
  const inputs = gens.map(() => zeros(n));
  const outputs = gens.map(() => zeros(n));

  let fwd: { spectra: Spectrum[][]; coef: Vec[] } | null = null;
  const forwardData = () => fwd ?? (fwd = { spectra: forwardSpectra(layout), coef: forwardLeafCoefs(layout, s, gens) });
  let bwd: { spectra: Spectrum[][]; coef: Vec[] } | null = null;
  const transposedData = () => bwd ?? (bwd = { spectra: transposedSpectra(layout), coef: transposedLeafCoefs(layout, s, gens) });

  const mulSum = (zs: ArrayLike<number>[]): Float64Array => {
    const { spectra, coef } = forwardData();
    const y = outputs[0];
    y.fill(0);
    const zv = inputs;
    for (let g = 0; g < r; g++) {
      const z = zs[g];
      const v = zv[g];
      for (let i = 0; i < n; i++) v[i] = z[i];
      leavesForward(leaves, coef[g], v, y);
    }
    // Spectra of the prefixes z_g[0 .. len) are shared by every block of the same length.
    for (const sc of scratch.values()) sc.len = -1;
    for (let k = 0; k < blocks.length; k++) {
      const b = blocks[k];
      const len = b.hi - b.lo;
      const sc = scratch.get(b.N)!;
      if (sc.len !== len) {
        for (let g = 0; g < r; g++) rfftVecInto(zv[g], len, b.N, sc.specs[g]);
        sc.len = len;
      }
      mulSpec(spectra[k][0], sc.specs[0], sc.tmp);
      for (let g = 1; g < r; g++) mulAddSpec(sc.tmp, spectra[k][g], sc.specs[g]);
      const w = sc.w;
      irfftInto(sc.tmp, b.N, w);
      const q = b.q;
      const shift = b.mid - b.lo;
      for (let t = 0; t < q.length; t++) y[b.mid + t] += q[t] * w[shift + t];
    }
    return Float64Array.from(y);
  };

  const mulTAll = (x: ArrayLike<number>): Float64Array[] => {
    const { spectra, coef } = transposedData();
    const xv = inputs[0];
    for (let i = 0; i < n; i++) xv[i] = x[i];
    const us = outputs;
    for (let g = 0; g < r; g++) {
      us[g].fill(0);
      leavesTransposed(leaves, coef[g], xv, us[g]);
    }
    // Every cross term lands on u[1 …] at offsets independent of the block's position, so the
    // blocks of one FFT size are summed in the frequency domain and inverted once.
    for (const sc of scratch.values()) {
      for (const acc of sc.accs) {
        acc.re.fill(0);
        acc.im.fill(0);
      }
    }
    for (let k = 0; k < blocks.length; k++) {
      const b = blocks[k];
      const sc = scratch.get(b.N)!;
      const m = b.hi - b.mid;
      const q = b.q;
      for (let t = 0; t < m; t++) bx[t] = q[t] * xv[b.mid + t];
      rfftVecInto(bx, m, b.N, sc.tmp);
      for (let g = 0; g < r; g++) mulAddSpec(sc.accs[g], spectra[k][g], sc.tmp);
    }
    for (const [N, sc] of scratch) {
      const w = sc.w;
      for (let g = 0; g < r; g++) {
        irfftInto(sc.accs[g], N, w);
        // w[t] gathers pairs with j − i − 1 = t.
        const u = us[g];
        for (let t = 0; t + 1 < n && t < N; t++) u[t + 1] += w[t];
      }
    }
    return us.map((u) => Float64Array.from(u));
  };
  return { mulSum, mulTAll };
}

/** y[j] += Σ_{d ≤ j−lo} c_j[d]·z[d] per leaf (two accumulators keep the adds pipelined). */
function leavesForward(leaves: [number, number][], coef: Vec, z: Vec, y: Vec): void {
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
      y[j] += s0 + s1;
    }
  }
}

/** u[d] += Σ_i c_d[i−lo]·x[i+d] per leaf. */
function leavesTransposed(leaves: [number, number][], coef: Vec, x: Vec, u: Vec): void {
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
}

/** planSubdiagKrylovSum with a corner c at (0, n−1): the doubled chain (s, c, s), folded back. */
export function planSubdiagCornerKrylovSum(
  s: ArrayLike<number>, corner: number, gens: ArrayLike<number>[], planPlain = planSubdiagKrylovSum,
): KrylovSumPlan {
  const n = gens[0].length;
  const chain = new Float64Array(2 * n - 1);
  for (let i = 0; i < n - 1; i++) {
    chain[i] = s[i];
    chain[n + i] = s[i];
  }
  chain[n - 1] = corner;
  const plan = planPlain(
    chain,
    gens.map((g) => {
      const g2 = new Float64Array(2 * n);
      for (let i = 0; i < n; i++) g2[i] = g[i];
      return g2;
    }),
  );
  return {
    mulSum: (zs) => {
      const y2 = plan.mulSum(
        zs.map((z) => {
          const z2 = new Float64Array(2 * n);
          for (let i = 0; i < n; i++) z2[i] = z[i];
          return z2;
        }),
      );
      const y = new Float64Array(n);
      for (let j = 0; j < n; j++) y[j] = y2[j] + y2[j + n];
      return y;
    },
    mulTAll: (x) => {
      const x2 = new Float64Array(2 * n);
      for (let i = 0; i < n; i++) x2[i] = x2[i + n] = x[i];
      return plan.mulTAll(x2).map((u) => u.slice(0, n));
    },
    dispose: () => plan.dispose?.(),
  };
}
