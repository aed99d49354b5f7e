// The f64x2 real FFT steps (accel/realFftWasm.ts) against fftWasm.ts's rfftW / irfftW, which
// they must reproduce bit for bit (those are checked against fft.ts and the DFT elsewhere).
import { describe, expect, it } from 'vitest';
import { alloc, irfftW, mem, release, rfftW, type WSpectrum } from '../../src/structured/accel/fftWasm';
import { irfft, realFftWasmAvailable, rfft } from '../../src/structured/accel/realFftWasm';

/** Seeded uniform numbers in [−1, 1) (a local LCG). */
function uniform(seed: number, n: number): Float64Array {
  let s = seed >>> 0;
  return Float64Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return -1 + (2 * s) / 2 ** 32;
  });
}

const spectrum = (bins: number): WSpectrum => ({ re: alloc(8 * bins), im: alloc(8 * bins), len: bins });
const read = (ptr: number, n: number) => Array.from(mem().subarray(ptr / 8, ptr / 8 + n));

describe('real FFT steps in f64x2', () => {
  it('are available on this runtime (Node ≥ 20)', () => {
    expect(realFftWasmAvailable()).toBe(true);
  });

  // From N = 4: below it rfft / irfft hand over to rfftW / irfftW themselves.
  for (const N of [4, 8, 16, 32, 64, 128, 1024, 4096]) {
    for (const [len, stride] of [[N, 8], [N, -8], [Math.max(1, N >> 1), 8], [Math.max(1, (N >> 1) - 1), -8], [Math.max(1, N - 3), 8]]) {
      it(`rfft and irfft give rfftW's and irfftW's bits (N=${N}, len=${len}, stride=${stride})`, () => {
        const bins = N / 2 + 1;
        const x = alloc(8 * N);
        mem().set(uniform(N + len + stride, N), x / 8);
        const start = stride > 0 ? x : x + 8 * (len - 1);
        const [a, b] = [spectrum(bins), spectrum(bins)];
        rfftW(start, stride, len, N, a);
        rfft(start, stride, len, N, b);
        expect(read(b.re, bins)).toEqual(read(a.re, bins));
        expect(read(b.im, bins)).toEqual(read(a.im, bins));
        expect(read(a.re, bins).some((v) => v !== 0)).toBe(true);
        // Inverse of a general half spectrum (not one of a real sequence: every input counts).
        mem().set(uniform(7 * N, bins), a.re / 8);
        mem().set(uniform(9 * N, bins), a.im / 8);
        const [ya, yb] = [alloc(8 * N), alloc(8 * N)];
        irfftW(a, N, ya);
        irfft(a, N, yb);
        expect(read(yb, N)).toEqual(read(ya, N));
        // Nothing written past the outputs.
        expect(mem()[yb / 8 + N]).toBe(0);
        expect(mem()[b.re / 8 + bins]).toBe(0);
        for (const p of [x, a.re, a.im, b.re, b.im, ya, yb]) release(p);
      });
    }
  }
});
