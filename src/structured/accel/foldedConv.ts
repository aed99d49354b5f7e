// f-cyclic convolutions of length n: c = a·b mod (xⁿ − f), the product K(Z_f, a)·b (P2,
// Theorem 3.3), as a transform to a spectrum where the product is pointwise and back.
// For n a power of two ≥ 2 and f = ±1 the transforms have size n:
//   f = 1  (cyclic):     a real FFT of size n (bins 0 … n/2).
//   f = −1 (negacyclic): xⁿ + 1 = (x^{n/2} − i)(x^{n/2} + i) and a real c is fixed by c mod
//     (x^{n/2} − i) = c_lo + i·c_hi, the "right-angle" packing; substituting x = θy with
//     θ = e^{iπ/n} turns that modulus into y^{n/2} − 1, so one complex FFT of size n/2 of
//     (a_j + i·a_{j+n/2})·θ^j is the transform, and products are pointwise.
// Otherwise (any n, any f) real FFTs of N = the next power of two ≥ 2n − 1 give the linear
// convolution w, folded back as c[j] = w[j] + f·w[j+n].
// Spectra have length n/2 + 1 (cyclic), n/2 (negacyclic) or N/2 + 1 (zero-padded); mulSpec and
// mulAddSpec (fft.ts) work on each. Inputs and outputs are Vecs (see fft.ts).
import { fftUnscaled, type Spectrum, halfSpectrumVec, irfftInto, isPowerOfTwo, nextPowerOfTwo, rfftVecInto, spectrum, type Vec, zeros } from './fft';

export interface FoldedConv {
  n: number;
  f: number;
  /** A zeroed spectrum of this transform's shape. */
  spectrum(): Spectrum;
  /** Spectrum of a[0 … n) (read as a[n−1−j] when `reverse`) into out. */
  forward(a: Vec, out: Spectrum, reverse?: boolean): void;
  /** The sequence with spectrum S into out[0 … n) (written reversed when `reverse`). */
  inverse(S: Spectrum, out: Vec, reverse?: boolean): void;
}

/** Whether a size-n transform exists for Z_f. */
export function hasFoldedConv(n: number, f: number): boolean {
  return n >= 2 && isPowerOfTwo(n) && (f === 1 || f === -1);
}

/** FFT size for zero-padded products of length-n sequences. */
export function paddedFftSize(n: number): number {
  return Math.max(2, nextPowerOfTwo(2 * n - 1));
}

const cache = new Map<string, FoldedConv>();

/**
 * The transform pair for products mod (xⁿ − f): size n when hasFoldedConv(n, f), else
 * zero-padded. Instances are shared and keep scratch: not re-entrant.
 */
export function foldedConv(n: number, f: number): FoldedConv {
  const key = `${n},${f}`;
  let c = cache.get(key);
  if (!c) cache.set(key, (c = !hasFoldedConv(n, f) ? padded(n, f) : f === 1 ? cyclic(n) : negacyclic(n)));
  return c;
}

function padded(n: number, f: number): FoldedConv {
  const N = paddedFftSize(n);
  const buf = zeros(N);
  return {
    n,
    f,
    spectrum: () => halfSpectrumVec(N),
    forward(a, out, reverse = false) {
      for (let j = 0; j < n; j++) buf[j] = reverse ? a[n - 1 - j] : a[j];
      rfftVecInto(buf, n, N, out);
    },
    inverse(S, out, reverse = false) {
      irfftInto(S, N, buf);
      for (let j = 0; j < n; j++) {
        const c = buf[j] + (j + n < N ? f * buf[j + n] : 0);
        out[reverse ? n - 1 - j : j] = c;
      }
    },
  };
}

function cyclic(n: number): FoldedConv {
  const buf = zeros(n);
  return {
    n,
    f: 1,
    spectrum: () => halfSpectrumVec(n),
    forward(a, out, reverse = false) {
      if (!reverse) return rfftVecInto(a, n, n, out);
      for (let j = 0; j < n; j++) buf[j] = a[n - 1 - j];
      rfftVecInto(buf, n, n, out);
    },
    inverse(S, out, reverse = false) {
      if (!reverse) return irfftInto(S, n, out);
      irfftInto(S, n, buf);
      for (let j = 0; j < n; j++) out[j] = buf[n - 1 - j];
    },
  };
}

function negacyclic(n: number): FoldedConv {
  const m = n / 2;
  const cos = zeros(m);
  const sin = zeros(m);
  for (let j = 0; j < m; j++) {
    cos[j] = Math.cos((Math.PI * j) / n);
    sin[j] = Math.sin((Math.PI * j) / n);
  }
  const zr = zeros(m);
  const zi = zeros(m);
  return {
    n,
    f: -1,
    spectrum: () => spectrum(m),
    forward(a, out, reverse = false) {
      const re = out.re;
      const im = out.im;
      for (let j = 0; j < m; j++) {
        const lo = reverse ? a[n - 1 - j] : a[j];
        const hi = reverse ? a[m - 1 - j] : a[j + m];
        // (lo + i·hi)·θ^j
        re[j] = lo * cos[j] - hi * sin[j];
        im[j] = lo * sin[j] + hi * cos[j];
      }
      fftUnscaled(re, im, false);
    },
    inverse(S, out, reverse = false) {
      for (let j = 0; j < m; j++) {
        zr[j] = S.re[j];
        zi[j] = S.im[j];
      }
      fftUnscaled(zr, zi, true);
      const s = 1 / m;
      for (let j = 0; j < m; j++) {
        // (zr + i·zi)·θ^{−j} / m
        const lo = (zr[j] * cos[j] + zi[j] * sin[j]) * s;
        const hi = (zi[j] * cos[j] - zr[j] * sin[j]) * s;
        if (reverse) {
          out[n - 1 - j] = lo;
          out[m - 1 - j] = hi;
        } else {
          out[j] = lo;
          out[j + m] = hi;
        }
      }
    },
  };
}
