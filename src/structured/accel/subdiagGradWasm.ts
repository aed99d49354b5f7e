// planSubdiagGrad (subdiagGrad.ts) with its per-row work in WebAssembly SIMD (fftWasmModule.ts):
// the leaf pair sums, the block transforms and spectral products run on module memory; the short
// scalar recurrences stay in JS over the module's memory. Same operations in the same order as
// the JS plan, so the gradients are the same bits (test/fast/subdiagGradWasm.test.ts).
//
// Per row the JS plan spends its time in the O(n log² n) transforms and spectral products and
// the O(16 n) pair sums; take() runs once per step and is shared with the JS plan.
import type { ProductCache } from './productsWasm';
import { Arena, fftWasmExports, mem, memI32, pairBytes, putDoubles, releaseWith, spectrumIn } from './fftWasm';
import { irfft, rfft } from './realFftWasm';
import {
  DIRECT_BLOCK, leafGrads, leftHalfGrads, subdiagGradLayout, type SubdiagGradPlan, type SubdiagGrads,
} from './subdiagGrad';

export interface WasmSubdiagGradPlan extends SubdiagGradPlan {
  /** accumulate() with z_i already in module memory at byte offsets zs[i] (length ≥ n each). */
  accumulatePtrs(w: ArrayLike<number>, zs: number[]): void;
  /**
   * accumulatePtrs with w in module memory too (byte offset wPtr). With `kept`: a row cache that a
   * product plan filled with the same z_i (productsWasm.ts mulSumPtrs(zs, kept)), whose layout
   * was given to linkProduct: the blocks it covers take their z spectra and L from there instead
   * of computing them again (the same operations on the same data, so the same bits).
   */
  accumulateFrom(wPtr: number, zs: number[], kept?: number): void;
  /** Says where a product plan of the same generators and operator keeps its per-row results. */
  linkProduct(cache: ProductCache): void;
  dispose(): void;
}

/** planSubdiagGrad in WebAssembly SIMD; null without SIMD. */
export function planSubdiagGradWasm(s: ArrayLike<number>, gens: ArrayLike<number>[], support = gens[0].length): WasmSubdiagGradPlan | null {
  const e = fftWasmExports();
  if (!e) return null;
  const layout = subdiagGradLayout(s, gens, support, false);
  const { n, r, sv, blocks, leafLo, pairEnd } = layout;
  const arena = new Arena();
  const aSpec = blocks.map((b) => b.a.map(() => spectrumIn(arena, b.N / 2 + 1)));
  const rAcc = blocks.map((b) => b.a.map(() => spectrumIn(arena, b.N / 2 + 1)));
  const qPtr = blocks.map(() => 0);
  blocks.forEach((b, k) => arena.take(b.hi - b.mid, (p) => (qPtr[k] = p)));
  const sizes = [...new Set(blocks.map((b) => b.N))];
  const scratch = new Map(
    sizes.map((N) => {
      const bins = N / 2 + 1;
      const sc = {
        zSpec: Array.from({ length: r }, () => spectrumIn(arena, bins)),
        wSpec: spectrumIn(arena, bins),
        tmp: spectrumIn(arena, bins),
        L: 0,
        len: -1,
      };
      arena.take(N, (p) => (sc.L = p));
      return [N, sc] as const;
    }),
  );
  const scratchOf = blocks.map((b) => scratch.get(b.N)!);
  let wPtr = 0;
  let wbuf = 0;
  let sPtr = 0;
  let dSPtr = 0;
  arena.take(sv.length, (p) => (sPtr = p));
  arena.take(n - 1, (p) => (dSPtr = p)); // the right halves' share of ∂s, summed over rows
  let leafLoPtr = 0;
  arena.take(n, (p) => (wPtr = p));
  arena.take(n, (p) => (wbuf = p));
  arena.take(n / 2 + 1, (p) => (leafLoPtr = p)); // i32
  const zPtr = Array.from({ length: r }, () => 0);
  zPtr.forEach((_, g) => arena.take(n, (p) => (zPtr[g] = p)));
  // Leaf pair sums, as the JS plan's `pairs` (row q at q·DIRECT_BLOCK).
  const pairsPtr = Array.from({ length: r }, () => 0);
  pairsPtr.forEach((_, g) => arena.take(n * DIRECT_BLOCK, (p) => (pairsPtr[g] = p)));
  const region = arena.commit();
  // The a_i's spectra as the JS layout computes them (rfftW is fft.ts's rfftInto in SIMD).
  blocks.forEach((b, k) => {
    mem().set(b.q, qPtr[k] / 8);
    b.a.forEach((ag, g) => {
      mem().set(ag, wbuf / 8);
      rfft(wbuf, 8, ag.length, b.N, aSpec[k][g]);
    });
  });
  memI32().set(leafLo, leafLoPtr / 4);
  mem().set(sv, sPtr / 8);

  let dG = Array.from({ length: r }, () => new Float64Array(n));
  let dS = new Float64Array(n - 1);
  let disposed = false;
  const live = () => {
    if (disposed) throw new Error('subdiagonal gradient plan used after dispose()');
  };

  // Per block: the linked product cache block (linkProduct), or null.
  let linked: (ProductCache['blocks'][number] | null)[] = blocks.map(() => null);
  const linkProduct = (cache: ProductCache): void => {
    const at = new Map(cache.blocks.map((c) => [`${c.lo},${c.mid},${c.hi},${c.N}`, c]));
    linked = blocks.map((b) => at.get(`${b.lo},${b.mid},${b.hi},${b.N}`) ?? null);
  };

  // The z spectra a block reads (its own or a linked product's), per generator.
  const zr = Array.from({ length: r }, () => 0);
  const zi = Array.from({ length: r }, () => 0);
  const accumulateFrom = (wv: number, zv: number[], kept?: number): void => {
    live();
    for (let gi = 0; gi < r; gi++) e.pairsAcc(pairsPtr[gi], wv, zv[gi], leafLoPtr, pairEnd);
    for (const sc of scratch.values()) sc.len = -1;
    for (let k = 0; k < blocks.length; k++) {
      const b = blocks[k];
      const { lo, mid, hi, N } = b;
      const len = hi - lo;
      const m = hi - mid;
      const sc = scratchOf[k];
      const c = kept === undefined ? null : linked[k];
      if (c) {
        for (let g = 0; g < r; g++) {
          zr[g] = kept! + c.specRe[g];
          zi[g] = kept! + c.specIm[g];
        }
      } else {
        if (sc.len !== len) {
          for (let g = 0; g < r; g++) rfft(zv[g], 8, len, N, sc.zSpec[g]);
          sc.len = len;
        }
        for (let g = 0; g < r; g++) {
          zr[g] = sc.zSpec[g].re;
          zi[g] = sc.zSpec[g].im;
        }
      }
      // w[mid+t]·P(mid, mid+t), read backwards: the JS plan's reversed wbuf.
      e.mul(wbuf, qPtr[k], wv + 8 * mid, pairBytes(m));
      rfft(wbuf + 8 * (m - 1), -8, m, N, sc.wSpec);
      const bins = pairBytes(N / 2 + 1);
      const ws = sc.wSpec;
      for (let gi = 0; gi < r; gi++) e.cmuladd(rAcc[k][gi].re, rAcc[k][gi].im, ws.re, ws.im, zr[gi], zi[gi], bins);
      // L(q) for q = hi − 1 down to mid + 1, at Lq (L[hi − 1 − lo]).
      let Lq: number;
      if (c) {
        Lq = kept! + c.w + 8 * (m - 1);
      } else {
        const t = sc.tmp;
        e.cmul(aSpec[k][0].re, aSpec[k][0].im, zr[0], zi[0], t.re, t.im, bins);
        for (let gi = 1; gi < r; gi++) e.cmuladd(t.re, t.im, aSpec[k][gi].re, aSpec[k][gi].im, zr[gi], zi[gi], bins);
        irfft(t, N, sc.L);
        Lq = sc.L + 8 * (hi - 1 - lo);
      }
      e.rightHalf(wv + 8 * (hi - 1), Lq, sPtr + 8 * (hi - 1), qPtr[k] + 8 * (m - 2), dSPtr + 8 * (hi - 2), m - 1);
    }
  };
  const accumulatePtrs = (w: ArrayLike<number>, zv: number[]): void => {
    live();
    putDoubles(wPtr, w);
    accumulateFrom(wPtr, zv);
  };
  const accumulate = (w: ArrayLike<number>, zs: ArrayLike<number>[]): void => {
    live();
    zs.forEach((z, g) => putDoubles(zPtr[g], z));
    accumulatePtrs(w, zPtr);
  };

  const take = (): SubdiagGrads => {
    live();
    const v = mem();
    // The right halves were summed in module memory in the JS plan's order; the rest adds after.
    dS.set(v.subarray(dSPtr / 8, dSPtr / 8 + n - 1));
    v.fill(0, dSPtr / 8, dSPtr / 8 + n - 1);
    leafGrads(layout, (gi) => v.subarray(pairsPtr[gi] / 8, pairsPtr[gi] / 8 + n * DIRECT_BLOCK), dG, dS);
    for (const p of pairsPtr) v.fill(0, p / 8, p / 8 + n * DIRECT_BLOCK);
    const R = new Float64Array(blocks.length ? blocks[blocks.length - 1].N : 0);
    for (let k = 0; k < blocks.length; k++) {
      const b = blocks[k];
      const sc = scratchOf[k];
      for (let gi = 0; gi < r; gi++) {
        const acc = rAcc[k][gi];
        irfft(acc, b.N, sc.L);
        R.set(v.subarray(sc.L / 8, sc.L / 8 + b.N));
        v.fill(0, acc.re / 8, acc.re / 8 + acc.len);
        v.fill(0, acc.im / 8, acc.im / 8 + acc.len);
        leftHalfGrads(layout, b, gi, R, dG, dS);
      }
    }
    const out = { dG, dS, dCorner: 0 };
    dG = Array.from({ length: r }, () => new Float64Array(n));
    dS = new Float64Array(n - 1);
    return out;
  };

  const free = releaseWith(zPtr, region);
  const dispose = () => {
    disposed = true;
    free();
  };
  return { accumulate, accumulatePtrs, accumulateFrom, linkProduct, take, dispose };
}
