// foldedConv.ts's transform pairs (cyclic, negacyclic, zero-padded and folded) on data in the
// memory of fftWasmModule.ts: the same operations in the same order, so the same bits
// (test/fast/shiftKrylovOpWasm.test.ts). Spectra are WSpectrum (fftWasm.ts) with `bins` bins and
// zeroed slack after them (the f64x2 spectral loops run over pairs of bins).
import { alloc, bitReversal, cfft, fftWasmExports, irfftW, mem, rfftW, type WSpectrum } from './fftWasm';
import { hasFoldedConv, paddedFftSize } from './foldedConv';

export interface WasmFoldedConv {
  n: number;
  f: number;
  /** Bins of this transform's spectra. */
  bins: number;
  /** Spectrum of a[0 … n) (byte offset; read as a[n−1−j] when `reverse`) into out. */
  forward(a: number, out: WSpectrum, reverse?: boolean): void;
  /** The sequence with spectrum S into out[0 … n) (byte offset; written reversed when `reverse`). */
  inverse(S: WSpectrum, out: number, reverse?: boolean): void;
}

const cache = new Map<string, WasmFoldedConv>();

/**
 * The transform pair for products mod (xⁿ − f) in WebAssembly SIMD, or null without it. Its tables
 * and scratch are allocated once per (n, f) for the process, like fftWasm.ts's tables; instances
 * are shared and not re-entrant.
 */
export function foldedConvWasm(n: number, f: number): WasmFoldedConv | null {
  if (!fftWasmExports()) return null;
  const key = `${n},${f}`;
  let c = cache.get(key);
  if (!c) cache.set(key, (c = !hasFoldedConv(n, f) ? padded(n, f) : f === 1 ? cyclic(n) : negacyclic(n)));
  return c;
}

function cyclic(n: number): WasmFoldedConv {
  bitReversal(n / 2); // the FFT's tables now, not in the middle of a caller's loop (alloc may grow the memory)
  return {
    n,
    f: 1,
    bins: n / 2 + 1,
    forward: (a, out, reverse = false) => (reverse ? rfftW(a + 8 * (n - 1), -8, n, n, out) : rfftW(a, 8, n, n, out)),
    inverse: (S, out, reverse = false) => irfftW(S, n, out, reverse),
  };
}

function padded(n: number, f: number): WasmFoldedConv {
  const e = fftWasmExports()!;
  const N = paddedFftSize(n);
  // foldedConv.ts adds f·w[j+n] only where j + n < N: always, as N ≥ 2n for n ≥ 2 (N = 2 for n = 1).
  if (n - 1 + n >= N) throw new Error(`foldedConvWasm: padded size ${N} too small for n = ${n}`);
  const buf = alloc(8 * N);
  bitReversal(N / 2);
  return {
    n,
    f,
    bins: N / 2 + 1,
    forward: (a, out, reverse = false) => (reverse ? rfftW(a + 8 * (n - 1), -8, n, N, out) : rfftW(a, 8, n, N, out)),
    inverse(S, out, reverse = false) {
      irfftW(S, N, buf);
      if (reverse) e.fold(buf, out + 8 * (n - 1), -8, 8 * n, 8 * n, f);
      else e.fold(buf, out, 8, 8 * n, 8 * n, f);
    },
  };
}

function negacyclic(n: number): WasmFoldedConv {
  const e = fftWasmExports()!;
  const m = n / 2;
  const cos = alloc(8 * m);
  const sin = alloc(8 * m);
  const zr = alloc(8 * m);
  const zi = alloc(8 * m);
  const v = mem();
  for (let j = 0; j < m; j++) {
    v[cos / 8 + j] = Math.cos((Math.PI * j) / n);
    v[sin / 8 + j] = Math.sin((Math.PI * j) / n);
  }
  const rev = bitReversal(m);
  return {
    n,
    f: -1,
    bins: m,
    forward(a, out, reverse = false) {
      // The twist writes bit-reversed: the FFT skips its permutation.
      // Two j at a time where m is even (n ≥ 4).
      const twist = m >= 2 ? (reverse ? e.twistvRev : e.twistv) : e.twist;
      if (reverse) twist(a + 8 * (n - 1), a + 8 * (m - 1), -8, out.re, out.im, 8 * m, cos, sin, rev);
      else twist(a, a + 8 * m, 8, out.re, out.im, 8 * m, cos, sin, rev);
      cfft(out.re, out.im, m, false, true);
    },
    inverse(S, out, reverse = false) {
      e.permute(S.re, S.im, zr, zi, rev, 8 * m);
      cfft(zr, zi, m, true, true);
      const untwist = m >= 2 ? (reverse ? e.untwistvRev : e.untwistv) : e.untwist;
      if (reverse) untwist(zr, zi, out + 8 * (n - 1), out + 8 * (m - 1), -8, 8 * m, cos, sin, 1 / m);
      else untwist(zr, zi, out, out + 8 * m, 8, 8 * m, cos, sin, 1 / m);
    },
  };
}
