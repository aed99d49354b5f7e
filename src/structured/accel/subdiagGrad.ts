// Gradients of subdiagonal Krylov products w.r.t. the generators and the operator entries, in
// O(n log² n) by the same divide and conquer as subdiagKrylov.ts (transposition principle).
//
// Everything is a derivative of the trilinear form (A v)[j] = s[j−1] v[j−1], P(p, q) = s[p]…s[q−1]:
//   F(w, g, z) = wᵀ K(A, g) z = Σ_{p≤q} w[q] g[p] z[q−p] P(p, q),
//   ∂F/∂g[p] = Σ_q w[q] z[q−p] P(p, q),
//   ∂F/∂s[l] = Σ_{p≤l<q} w[q] g[p] z[q−p] P(p, l)·P(l+1, q)   (no division by s).
// Block [lo, hi) split at mid; pairs p < mid ≤ q factor through P(p, q) = P(p, mid)·P(mid, q):
//   R(p) = Σ_{q∈[mid,hi)} w[q] P(mid, q) z[q−p]   (one correlation),
//   L(q) = Σ_{p∈[lo,mid)} g[p] P(p, mid) z[q−p]   (one convolution; the g side's spectrum is fixed),
//   ∂g[p] += P(p, mid)·R(p);
//   l < mid:  ∂s[l] += P(l+1, mid)·S(l),  S(l) = s[l−1]·S(l−1) + g[l]·R(l);
//   l ≥ mid:  ∂s[l] += P(mid, l)·Z(l),    Z(l) = w[l+1]·L(l+1) + s[l+1]·Z(l+1).
// Pairs inside a half recurse; small blocks use direct O(len²) sums over Σ_rows w[q]·z[q−p].
// The corner variant is the plain form on the doubled chain (s, c, s) with w' = (w, w),
// g' = (g, 0), z' = (z, 0): ∂c is the chain's gradient at its middle, ∂s the sum of both copies.
import { halfSpectrumVec as halfSpectrum, irfftInto, mulAddSpec, mulSpec, nextPowerOfTwo, rfftInto, rfftVecInto, type Spectrum, zeros } from './fft';

export interface GradBlock {
  lo: number;
  mid: number;
  hi: number;
  N: number;
  /** pm[p−lo] = P(p, mid), p ∈ [lo, mid]. */
  pm: Float64Array;
  /** q[t] = P(mid, mid+t), t ∈ [0, hi−mid). */
  q: Float64Array;
  /** g_i[p]·P(p, mid), p ∈ [lo, mid), per generator. */
  a: Float64Array[];
  /** Their spectra (size N); empty when the layout was built without them. */
  aSpec: Spectrum[];
}

export interface SubdiagGrads {
  dG: Float64Array[];
  dS: Float64Array;
  /** ∂/∂corner; 0 without a corner. */
  dCorner: number;
}

export interface SubdiagGradPlan {
  /** Adds one row's F = Σ_i wᵀ K(A, g_i) z_i to the gradients being summed. */
  accumulate(w: ArrayLike<number>, zs: ArrayLike<number>[]): void;
  /** ∂/∂(g_i, s, c) of the sum over the rows accumulated so far; starts a new sum. */
  take(): SubdiagGrads;
  /** Gives module memory back (WebAssembly plans); the plan must not be used afterwards. */
  dispose?(): void;
}

/** Below this block length the direct sums win (measured at n = 1024: 8–32 close, 64 slower). */
export const DIRECT_BLOCK = 16;

/** The blocks and leaves of a gradient plan (shared with the WebAssembly plan, subdiagGradWasm.ts). */
export interface SubdiagGradLayout {
  n: number;
  r: number;
  sv: Float64Array;
  gv: Float64Array[];
  blocks: GradBlock[];
  leaves: [number, number][];
  /** leafLo[q] = start of q's leaf, for q < pairEnd. */
  leafLo: Int32Array;
  /** The kept leaves are a prefix [0, pairEnd). */
  pairEnd: number;
}

/** `spectra`: also the a_i's spectra in JS arrays (the WebAssembly plan computes them itself). */
export function subdiagGradLayout(s: ArrayLike<number>, gens: ArrayLike<number>[], support = gens[0].length, spectra = true): SubdiagGradLayout {
  const n = gens[0].length;
  const r = gens.length;
  const sv = Float64Array.from(s);
  const gv = gens.map((g) => Float64Array.from(g));
  const spans: [number, number, number][] = [];
  const leaves: [number, number][] = [];
  const split = (lo: number, hi: number): void => {
    const len = hi - lo;
    if (lo >= support) return;
    if (len <= DIRECT_BLOCK) {
      leaves.push([lo, hi]);
      return;
    }
    const mid = lo + (len >> 1);
    split(lo, mid);
    split(mid, hi);
    spans.push([lo, mid, hi]);
  };
  split(0, n);
  // Every block's pm, q and a_i are views of one array: a few hundred small typed arrays per
  // plan (one plan per operator per step) cost more than the loops that fill them.
  const store = new Float64Array(spans.reduce((t, [lo, mid, hi]) => t + (mid - lo + 1) + (hi - mid) + r * (mid - lo), 0));
  let used = 0;
  const view = (len: number) => store.subarray(used, (used += len));
  const blocks: GradBlock[] = spans.map(([lo, mid, hi]) => {
    const N = Math.max(2, nextPowerOfTwo(hi - lo));
    const pm = view(mid - lo + 1);
    pm[mid - lo] = 1;
    for (let p = mid - 1; p >= lo; p--) pm[p - lo] = pm[p + 1 - lo] * sv[p];
    const q = view(hi - mid);
    q[0] = 1;
    for (let t = 1; t < hi - mid; t++) q[t] = q[t - 1] * sv[mid + t - 1];
    const a = gv.map((g) => {
      const ag = view(mid - lo);
      for (let p = lo; p < mid; p++) ag[p - lo] = g[p] * pm[p - lo];
      return ag;
    });
    const aSpec = spectra
      ? a.map((ag) => {
          const sp = halfSpectrum(N);
          rfftInto(ag, N, sp);
          return sp;
        })
      : [];
    return { lo, mid, hi, N, pm, q, a, aSpec };
  });
  const leafLo = new Int32Array(n);
  for (const [lo, hi] of leaves) leafLo.fill(lo, lo, hi);
  const pairEnd = leaves[leaves.length - 1][1];
  return { n, r, sv, gv, blocks, leaves, leafLo, pairEnd };
}

/**
 * The leaves' share of take(): for each q, S_q(l) = Σ_{p≤l} g[p] M[q, q−p] P(p, l) forward, then
 * back down with P(l+1, q). pairs(gi) gives M for generator gi (row q at q·DIRECT_BLOCK).
 */
export function leafGrads(layout: SubdiagGradLayout, pairs: (gi: number) => Float64Array, dG: Float64Array[], dS: Float64Array): void {
  const { leaves, r, gv, sv } = layout;
  const S = new Float64Array(DIRECT_BLOCK + 1);
  for (const [lo, hi] of leaves) {
    for (let gi = 0; gi < r; gi++) {
      const g = gv[gi];
      const M = pairs(gi);
      const dg = dG[gi];
      for (let q = lo; q < hi; q++) {
        const o = q * DIRECT_BLOCK + q; // M[q, q−l] = M[o − l]
        let acc = 0;
        for (let l = lo; l < q; l++) {
          acc = (l > lo ? sv[l - 1] * acc : 0) + g[l] * M[o - l];
          S[l - lo] = acc;
        }
        dg[q] += M[o - q];
        let P = 1; // P(l+1, q)
        for (let l = q - 1; l >= lo; l--) {
          dS[l] += S[l - lo] * P;
          P *= sv[l]; // now P(l, q)
          dg[l] += M[o - l] * P;
        }
      }
    }
  }
}

/** A block's left half in take(), from R = the inverse transform of Σ_rows R's spectrum: R(p) = R[m − 1 + mid − p]. */
export function leftHalfGrads(layout: SubdiagGradLayout, b: GradBlock, gi: number, R: ArrayLike<number>, dG: Float64Array[], dS: Float64Array): void {
  const { lo, mid, hi, pm } = b;
  const { sv } = layout;
  const g = layout.gv[gi];
  const dg = dG[gi];
  const m = hi - mid;
  let acc = 0;
  for (let l = lo; l < mid; l++) {
    const Rl = R[m - 1 + mid - l];
    dg[l] += pm[l - lo] * Rl;
    acc = (l > lo ? sv[l - 1] * acc : 0) + g[l] * Rl;
    dS[l] += pm[l + 1 - lo] * acc;
  }
}

/**
 * The right half's ∂s for one row: Z(l) = w[l+1]·L(l+1) + s[l+1]·Z(l+1), ∂s[l] += P(mid, l)·Z(l),
 * L(q) = L[q − lo].
 */
function rightHalfGrads(sv: Float64Array, b: GradBlock, w: ArrayLike<number>, L: ArrayLike<number>, dS: Float64Array): void {
  const { lo, mid, hi, q } = b;
  let Z = 0;
  for (let l = hi - 2; l >= mid; l--) {
    Z = (l + 1 < hi - 1 ? sv[l + 1] * Z : 0) + w[l + 1] * L[l + 1 - lo];
    dS[l] += q[l - mid] * Z;
  }
}

/**
 * Plan for the gradients of Σ_i wᵀ K(A, g_i) z_i, A = subdiagonal(s) without corner. When the
 * generators vanish from index `support` on, ∂g is only wanted below it: blocks starting there
 * contribute nothing else (every term carries g[p], p ≥ lo) and are skipped.
 */
export function planSubdiagGrad(s: ArrayLike<number>, gens: ArrayLike<number>[], support = gens[0].length): SubdiagGradPlan {
  const layout = subdiagGradLayout(s, gens, support);
  const { n, r, sv, blocks, leafLo, pairEnd } = layout;
  // Σ_rows of R's spectrum per block and generator: R is linear in the rows and everything it feeds is linear in R.
  const rAcc = blocks.map((b) => Array.from({ length: r }, () => halfSpectrum(b.N)));

  const sizes = [...new Set(blocks.map((b) => b.N))];
  const scratch = new Map(
    sizes.map((N) => [N, { zSpec: Array.from({ length: r }, () => halfSpectrum(N)), wSpec: halfSpectrum(N), tmp: halfSpectrum(N), R: zeros(N), L: zeros(N), len: -1 }]),
  );
  const wv = zeros(n);
  const zv = Array.from({ length: r }, () => zeros(n));
  const wbuf = zeros(n);
  // Leaf pair sums: pairs[i][q·DIRECT_BLOCK + d] = Σ_rows w[q]·z_i[d], d ≤ q − (q's leaf start).
  const pairs = Array.from({ length: r }, () => new Float64Array(n * DIRECT_BLOCK));

  let dG = Array.from({ length: r }, () => new Float64Array(n));
  let dS = new Float64Array(n - 1);
  const accumulate = (w: ArrayLike<number>, zs: ArrayLike<number>[]): void => {
    for (let i = 0; i < n; i++) wv[i] = w[i];
    for (let g = 0; g < r; g++) for (let i = 0; i < n; i++) zv[g][i] = zs[g][i];

    // Leaves need only Σ_rows w[q]·z_i[q−p] for pairs inside a leaf (q − p < DIRECT_BLOCK).
    for (let gi = 0; gi < r; gi++) {
      const z = zv[gi];
      const M = pairs[gi];
      for (let q = 0; q < pairEnd; q++) {
        const wq = wv[q];
        const o = q * DIRECT_BLOCK;
        const dMax = q - leafLo[q];
        for (let d = 0; d <= dMax; d++) M[o + d] += wq * z[d];
      }
    }

    for (const sc of scratch.values()) sc.len = -1;
    for (let k = 0; k < blocks.length; k++) {
      const b = blocks[k];
      const { lo, mid, hi, N, q } = b;
      const len = hi - lo;
      const m = hi - mid;
      const sc = scratch.get(N)!;
      if (sc.len !== len) {
        for (let g = 0; g < r; g++) rfftVecInto(zv[g], len, N, sc.zSpec[g]);
        sc.len = len;
      }
      // Reversed w[q]·P(mid, q): the correlation R becomes a convolution read at m−1+(mid−p).
      for (let t = 0; t < m; t++) wbuf[m - 1 - t] = wv[mid + t] * q[t];
      rfftVecInto(wbuf, m, N, sc.wSpec);
      for (let gi = 0; gi < r; gi++) mulAddSpec(rAcc[k][gi], sc.wSpec, sc.zSpec[gi]);
      // Right half: ∂s sums over generators and w is shared by them, so only Σ_i L_i is needed.
      mulSpec(b.aSpec[0], sc.zSpec[0], sc.tmp);
      for (let gi = 1; gi < r; gi++) mulAddSpec(sc.tmp, b.aSpec[gi], sc.zSpec[gi]);
      irfftInto(sc.tmp, N, sc.L);
      rightHalfGrads(sv, b, wv, sc.L, dS);
    }
  };

  const take = (): SubdiagGrads => {
    leafGrads(layout, (gi) => pairs[gi], dG, dS);
    for (const M of pairs) M.fill(0);
    for (let k = 0; k < blocks.length; k++) {
      const b = blocks[k];
      const R = scratch.get(b.N)!.R;
      for (let gi = 0; gi < r; gi++) {
        irfftInto(rAcc[k][gi], b.N, R);
        rAcc[k][gi].re.fill(0);
        rAcc[k][gi].im.fill(0);
        leftHalfGrads(layout, b, gi, R, dG, dS);
      }
    }
    const out = { dG, dS, dCorner: 0 };
    dG = Array.from({ length: r }, () => new Float64Array(n));
    dS = new Float64Array(n - 1);
    return out;
  };
  return { accumulate, take };
}

/** planSubdiagGrad with a corner c at (0, n−1): the doubled chain (s, c, s), folded back. */
export function planSubdiagCornerGrad(
  s: ArrayLike<number>, corner: number, gens: ArrayLike<number>[], plain: typeof planSubdiagGrad = planSubdiagGrad,
): SubdiagGradPlan {
  const n = gens[0].length;
  const r = gens.length;
  const chain = new Float64Array(2 * n - 1);
  for (let i = 0; i < n - 1; i++) chain[i] = chain[n + i] = s[i];
  chain[n - 1] = corner;
  const plan = plain(
    chain,
    gens.map((g) => {
      const g2 = new Float64Array(2 * n);
      for (let i = 0; i < n; i++) g2[i] = g[i];
      return g2;
    }),
    n,
  );
  const w2 = new Float64Array(2 * n);
  const z2 = gens.map(() => new Float64Array(2 * n));
  return {
    accumulate: (w, zs) => {
      for (let i = 0; i < n; i++) w2[i] = w2[i + n] = w[i];
      for (let g = 0; g < r; g++) for (let i = 0; i < n; i++) z2[g][i] = zs[g][i];
      plan.accumulate(w2, z2);
    },
    take: () => {
      const { dG, dS } = plan.take();
      const ds = new Float64Array(n - 1);
      for (let i = 0; i < n - 1; i++) ds[i] = dS[i] + dS[n + i];
      return { dG: dG.map((d) => d.slice(0, n)), dS: ds, dCorner: dS[n - 1] };
    },
    dispose: () => plan.dispose?.(),
  };
}
