// The fast products of subdiagKrylov.ts (divide and conquer) and shiftKrylov.ts (f-circulant
// FFTs) with every per-product loop in WebAssembly SIMD (fftWasmModule.ts), on data kept in the
// module's memory. Plans are built as the JS code builds them (same layout, coefficients and
// generator spectra, written straight into module memory); the products do the same operations in the same order as the JS ones, so they
// return the same bits (test/fast/productsWasm.test.ts checks both that and the dense matrix).
import { hasFoldedConv } from './foldedConv';
import { foldedConvWasm } from './foldedConvWasm';
import { Arena, fftWasmExports, mem, memI32, pairBytes, putDoubles, releaseWith, slotBytes, spectrumIn, type WSpectrum } from './fftWasm';
import { irfft, rfft } from './realFftWasm';
import { type KrylovSumPlan, planSubdiagCornerKrylovSum, planSubdiagKrylovSum, subdiagLayout } from './subdiagKrylov';
import { subdiagCoefsWasm } from './subdiagCoefsWasm';

/**
 * n doubles at ptr, into `out` when given. A fresh large Float64Array costs more than the whole
 * product at n ≥ 2^13 (V8 allocates it outside the heap: ~130 µs for 16384 doubles here), so
 * callers that multiply repeatedly pass their own output.
 */
export function readOut(ptr: number, n: number, out?: Float64Array): Float64Array {
  const src = mem().subarray(ptr / 8, ptr / 8 + n);
  if (out) {
    out.set(src);
    return out;
  }
  const y = new Float64Array(n);
  y.set(src);
  return y;
}

/** A KrylovSumPlan whose products can also stay in module memory (pointers valid until the plan's next call). */
export interface WasmKrylovSumPlan extends KrylovSumPlan {
  /** Byte offsets of u_i = K(A, g_i)ᵀ x, every i. */
  mulTAllPtrs(x: ArrayLike<number>): number[];
  /** mulTAllPtrs with x already in module memory at byte offset xPtr (length ≥ n, with slack). */
  mulTAllFrom(xPtr: number): number[];
  /**
   * Byte offset of y = Σ_i K(A, g_i) z_i, z_i at byte offsets zs[i] (in module memory, length ≥ n).
   * With `keep` (a byte offset of `cache.rowBytes` bytes), it also leaves there what a gradient
   * plan of the same z needs again (subdiagGradWasm.ts accumulateFrom): the spectra of the z_i and
   * each block's inverse transform.
   */
  mulSumPtrs(zs: number[], keep?: number): number;
  /** Where mulSumPtrs(zs, keep) puts things, relative to keep. */
  readonly cache: ProductCache;
  /** Gives the plan's module memory back; the plan must not be used afterwards. */
  dispose(): void;
}

/** A product's per-row leftovers that a gradient plan with the same z reuses (same bits). */
export interface ProductCache {
  rowBytes: number;
  /** Per block of the plan (their order): its span, its z spectra and its inverse transform. */
  blocks: {
    lo: number;
    mid: number;
    hi: number;
    N: number;
    /** Per generator, byte offsets of the spectrum's re and im parts (N/2 + 1 bins each). */
    specRe: number[];
    specIm: number[];
    /** Byte offset of w[mid − lo … hi − lo), w = the block's inverse transform (L in subdiagGrad.ts). */
    w: number;
  }[];
}

/** Doubles an Arena gives `doubles`. */
const slot = (doubles: number) => slotBytes(doubles) / 8;

/**
 * The plan of Σ_i K(A, g_i)·z_i for a subdiagonal A (with a corner when `corner` is not null): its
 * products in WebAssembly SIMD when `wasm` (the same bits as the JS plan), else the JS plan.
 */
export function planSubdiagSum(s: ArrayLike<number>, corner: number | null, gens: ArrayLike<number>[], wasm: boolean): KrylovSumPlan {
  const plain = wasm ? (c: ArrayLike<number>, g: ArrayLike<number>[]) => planSubdiagKrylovSumWasm(c, g)! : planSubdiagKrylovSum;
  return corner !== null ? planSubdiagCornerKrylovSum(s, corner, gens, plain) : plain(s, gens);
}

/** planSubdiagKrylovSum (subdiagKrylov.ts) with its products in WebAssembly SIMD; null without SIMD. */
export function planSubdiagKrylovSumWasm(s: ArrayLike<number>, gens: ArrayLike<number>[]): WasmKrylovSumPlan | null {
  const e = fftWasmExports();
  const co = subdiagCoefsWasm();
  if (!e || !co) return null;
  const layout = subdiagLayout(s, gens, false);
  const { n, blocks, leaves } = layout;
  const r = gens.length;
  // The row cache mirrors mulSumPtrs: a new spectrum slot wherever it transforms the z_i anew.
  const cache: ProductCache = { rowBytes: 0, blocks: [] };
  {
    let used = 0;
    const take = (doubles: number) => ((used += 8 * slot(doubles)), used - 8 * slot(doubles));
    const last = new Map<number, { len: number; specRe: number[]; specIm: number[] }>();
    for (const b of blocks) {
      const len = b.hi - b.lo;
      const bins = b.N / 2 + 1;
      let at = last.get(b.N);
      if (at?.len !== len) {
        at = { len, specRe: gens.map(() => take(bins)), specIm: gens.map(() => take(bins)) };
        last.set(b.N, at);
      }
      cache.blocks.push({ lo: b.lo, mid: b.mid, hi: b.hi, N: b.N, specRe: at.specRe, specIm: at.specIm, w: take(b.hi - b.mid) });
    }
    cache.rowBytes = used;
  }
  const arena = new Arena();
  let leavesPtr = 0;
  arena.take(leaves.length, (p) => (leavesPtr = p)); // i32 pairs: 8 bytes per leaf
  const qPtr = blocks.map(() => 0);
  blocks.forEach((b, k) => arena.take(b.hi - b.mid, (p) => (qPtr[k] = p)));
  const sizes = [...new Set(blocks.map((b) => b.N))];
  const scratch = new Map(
    sizes.map((N) => {
      const bins = N / 2 + 1;
      const sc = {
        specs: Array.from({ length: r }, () => spectrumIn(arena, bins)),
        accs: Array.from({ length: r }, () => spectrumIn(arena, bins)),
        tmp: spectrumIn(arena, bins),
        w: 0,
        len: -1,
      };
      arena.take(N, (p) => (sc.w = p));
      return [N, sc] as const;
    }),
  );
  const scratchOf = blocks.map((b) => scratch.get(b.N)!);
  let bx = 0;
  arena.take(n, (p) => (bx = p));
  // s and the generators as doubles, and a leaf's row: the coefficients are computed from them.
  let sPtr = 0;
  let leafRow = 0;
  arena.take(s.length, (p) => (sPtr = p));
  arena.take(Math.max(1, ...leaves.map(([lo, hi]) => hi - lo)), (p) => (leafRow = p));
  const gPtr = gens.map(() => 0);
  gens.forEach((_, g) => arena.take(n, (p) => (gPtr[g] = p)));
  const inputs = gens.map(() => 0);
  const outputs = gens.map(() => 0);
  gens.forEach((_, g) => {
    arena.take(n, (p) => (inputs[g] = p));
    arena.take(n, (p) => (outputs[g] = p));
  });
  const region = arena.commit();
  const i32 = memI32();
  leaves.forEach(([lo, hi], l) => {
    i32[leavesPtr / 4 + 2 * l] = lo;
    i32[leavesPtr / 4 + 2 * l + 1] = hi;
  });
  const leavesEnd = leavesPtr + 8 * leaves.length;
  putDoubles(sPtr, s);
  gens.forEach((g, i) => putDoubles(gPtr[i], g));
  blocks.forEach((b, k) => co.blockQ(sPtr, b.mid, b.hi, qPtr[k])); // subdiagLayout's q

  // Per direction, on first use: generator spectra and leaf coefficients, in their own region,
  // computed there (rfftW is fft.ts's rfftInto in SIMD: the same spectra as the JS plan's).
  type Direction = { spectra: WSpectrum[][]; coef: number[] };
  const upload = (transposed: boolean): Direction => {
    const a = new Arena();
    const d: Direction = {
      spectra: blocks.map((b) => gens.map(() => spectrumIn(a, b.N / 2 + 1))),
      coef: gens.map(() => 0),
    };
    gens.forEach((_, g) => a.take(layout.leafSize, (p) => (d.coef[g] = p)));
    frees.push(releaseWith(outputs, a.commit()));
    blocks.forEach((b, k) => {
      const len = b.mid - b.lo;
      for (let g = 0; g < r; g++) {
        co.blockA(gPtr[g], sPtr, b.lo, b.mid, bx); // subdiagLayout's a_g
        if (transposed) rfft(bx + 8 * (len - 1), -8, len, b.N, d.spectra[k][g]);
        else rfft(bx, 8, len, b.N, d.spectra[k][g]);
      }
    });
    for (let g = 0; g < r; g++) {
      if (transposed) co.leafCoefsT(leavesPtr, leavesEnd, gPtr[g], sPtr, d.coef[g], leafRow);
      else co.leafCoefsF(leavesPtr, leavesEnd, gPtr[g], sPtr, d.coef[g]);
    }
    return d;
  };
  let fwd: Direction | null = null;
  let bwd: Direction | null = null;
  const frees: (() => void)[] = [];
  let disposed = false;
  const live = () => {
    if (disposed) throw new Error('subdiagonal Krylov plan used after dispose()');
  };

  const mulSumPtrs = (zv: number[], keep?: number): number => {
    live();
    const { spectra, coef } = (fwd ??= upload(false));
    const y = outputs[0];
    mem().fill(0, y / 8, y / 8 + n);
    for (let g = 0; g < r; g++) e.leavesFwd(leavesPtr, leavesEnd, coef[g], zv[g], y);
    for (const sc of scratch.values()) sc.len = -1;
    for (let k = 0; k < blocks.length; k++) {
      const b = blocks[k];
      const len = b.hi - b.lo;
      const sc = scratchOf[k];
      const kept = keep === undefined ? null : cache.blocks[k];
      if (sc.len !== len) {
        for (let g = 0; g < r; g++) rfft(zv[g], 8, len, b.N, sc.specs[g]);
        sc.len = len;
        if (kept) {
          const v = mem();
          const bins = b.N / 2 + 1;
          for (let g = 0; g < r; g++) {
            v.copyWithin((keep! + kept.specRe[g]) / 8, sc.specs[g].re / 8, sc.specs[g].re / 8 + bins);
            v.copyWithin((keep! + kept.specIm[g]) / 8, sc.specs[g].im / 8, sc.specs[g].im / 8 + bins);
          }
        }
      }
      const bins = pairBytes(b.N / 2 + 1);
      const t = sc.tmp;
      e.cmul(spectra[k][0].re, spectra[k][0].im, sc.specs[0].re, sc.specs[0].im, t.re, t.im, bins);
      for (let g = 1; g < r; g++) e.cmuladd(t.re, t.im, spectra[k][g].re, spectra[k][g].im, sc.specs[g].re, sc.specs[g].im, bins);
      irfft(t, b.N, sc.w);
      const m = b.hi - b.mid;
      if (kept) {
        const from = (sc.w + 8 * (b.mid - b.lo)) / 8;
        mem().copyWithin((keep! + kept.w) / 8, from, from + m);
      }
      if (m & 1) {
        // Odd length (n not a power of two): the pair loop would touch y[hi]; the last one by hand.
        if (m > 1) e.muladd(y + 8 * b.mid, qPtr[k], sc.w + 8 * (b.mid - b.lo), 16 * (m >> 1));
        const v = mem();
        v[y / 8 + b.hi - 1] += v[qPtr[k] / 8 + m - 1] * v[sc.w / 8 + b.hi - 1 - b.lo];
      } else {
        e.muladd(y + 8 * b.mid, qPtr[k], sc.w + 8 * (b.mid - b.lo), 8 * m);
      }
    }
    return y;
  };
  const mulSum = (zs: ArrayLike<number>[]): Float64Array => {
    zs.forEach((z, g) => putDoubles(inputs[g], z));
    return readOut(mulSumPtrs(inputs), n);
  };

  const mulTAllPtrs = (x: ArrayLike<number>): number[] => {
    live();
    putDoubles(inputs[0], x);
    return mulTAllFrom(inputs[0]);
  };
  const mulTAllFrom = (xv: number): number[] => {
    live();
    const { spectra, coef } = (bwd ??= upload(true));
    const v = mem();
    for (let g = 0; g < r; g++) {
      v.fill(0, outputs[g] / 8, outputs[g] / 8 + n + 2);
      e.leavesT(leavesPtr, leavesEnd, coef[g], xv, outputs[g]);
    }
    for (const sc of scratch.values()) {
      for (const acc of sc.accs) {
        v.fill(0, acc.re / 8, acc.re / 8 + acc.len + 1);
        v.fill(0, acc.im / 8, acc.im / 8 + acc.len + 1);
      }
    }
    for (let k = 0; k < blocks.length; k++) {
      const b = blocks[k];
      const sc = scratchOf[k];
      const m = b.hi - b.mid;
      e.mul(bx, qPtr[k], xv + 8 * b.mid, pairBytes(m));
      rfft(bx, 8, m, b.N, sc.tmp);
      const bins = pairBytes(b.N / 2 + 1);
      for (let g = 0; g < r; g++) e.cmuladd(sc.accs[g].re, sc.accs[g].im, spectra[k][g].re, spectra[k][g].im, sc.tmp.re, sc.tmp.im, bins);
    }
    for (const [N, sc] of scratch) {
      const count = Math.min(n - 1, N);
      for (let g = 0; g < r; g++) {
        irfft(sc.accs[g], N, sc.w);
        // u[t + 1] += w[t]; an odd count runs one past into u's slack (never read).
        if (count > 0) e.add(outputs[g] + 8, sc.w, 0, pairBytes(count));
      }
    }
    return outputs;
  };
  const mulTAll = (x: ArrayLike<number>): Float64Array[] => mulTAllPtrs(x).map((u) => readOut(u, n));
  // The region lives as long as either product can run (both close over `outputs`).
  frees.push(releaseWith(outputs, region));
  const dispose = () => {
    disposed = true;
    frees.forEach((f) => f());
  };
  return { mulSum, mulTAll, mulSumPtrs, mulTAllPtrs, mulTAllFrom, cache, dispose };
}

export interface ShiftProductWasm {
  (x: ArrayLike<number>, out?: Float64Array): Float64Array;
  /** Gives the product's module memory back; it must not be called afterwards. */
  dispose(): void;
}

/**
 * prepareShiftKrylovProduct (shiftKrylov.ts) in WebAssembly SIMD, for n a power of two ≥ 2 and
 * f = ±1 (the transforms of size n); null otherwise or without SIMD.
 */
export function prepareShiftKrylovProductWasm(
  fA: number, fB: number, G: ArrayLike<number>[], H: ArrayLike<number>[],
): ShiftProductWasm | null {
  const e = fftWasmExports();
  const n = G[0].length;
  if (!e || !hasFoldedConv(n, fA) || !hasFoldedConv(n, fB)) return null;
  // The transform pairs (tables, scratch) are foldedConvWasm.ts's, shared per (n, f); the
  // spectra and vectors of this product live in its own region.
  const ca = foldedConvWasm(n, fA)!;
  const cb = foldedConvWasm(n, fB)!;
  const arena = new Arena();
  const gs = G.map(() => spectrumIn(arena, ca.bins));
  const hs = H.map(() => spectrumIn(arena, cb.bins));
  const xs = spectrumIn(arena, cb.bins);
  const tb = spectrumIn(arena, cb.bins);
  const ta = spectrumIn(arena, ca.bins);
  const acc = spectrumIn(arena, ca.bins);
  let xv = 0;
  let u = 0;
  arena.take(n, (p) => (xv = p));
  arena.take(n, (p) => (u = p));
  const region = arena.commit();
  G.forEach((g, i) => {
    putDoubles(u, g);
    ca.forward(u, gs[i]);
  });
  H.forEach((h, i) => {
    putDoubles(u, h);
    cb.forward(u, hs[i]);
  });
  let disposed = false;
  const product = (x: ArrayLike<number>, out?: Float64Array): Float64Array => {
    if (disposed) throw new Error('shift Krylov product used after dispose()');
    putDoubles(xv, x);
    cb.forward(xv, xs, true);
    const v = mem();
    v.fill(0, acc.re / 8, acc.re / 8 + acc.len + 1);
    v.fill(0, acc.im / 8, acc.im / 8 + acc.len + 1);
    const bb = pairBytes(xs.len);
    const ba = pairBytes(acc.len);
    for (let i = 0; i < gs.length; i++) {
      e.cmul(xs.re, xs.im, hs[i].re, hs[i].im, tb.re, tb.im, bb);
      cb.inverse(tb, u, true);
      ca.forward(u, ta);
      e.cmuladd(acc.re, acc.im, gs[i].re, gs[i].im, ta.re, ta.im, ba);
    }
    ca.inverse(acc, u);
    return readOut(u, n, out);
  };
  const free = releaseWith(gs, region); // `product` closes over gs
  return Object.assign(product, {
    dispose: () => {
      disposed = true;
      free();
    },
  });
}

