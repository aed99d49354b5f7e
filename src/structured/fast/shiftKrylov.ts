// Krylov products with the shift operator Z_f in O(n log n) (P2, Theorem 3.3):
// K(Z_f, g) is the f-circulant matrix with first column g, so K(Z_f, g)·z is a linear
// convolution folded with weight f, and K(Z_f, h)ᵀ·x a folded correlation. Any n (real FFTs of
// the next power of two ≥ 2n − 1).
import { type HalfSpectrum, irfft, mulAddSpectra, mulSpectra, nextPowerOfTwo, rfft } from './fft';

/** y[j] = w[j] + f·w[j+n]: folds a linear convolution into K(Z_f, g)·z. */
function foldForward(w: ArrayLike<number>, n: number, f: number): Float64Array {
  const y = new Float64Array(n);
  for (let j = 0; j < n; j++) y[j] = w[j] + (j + n < w.length ? f * w[j + n] : 0);
  return y;
}

/** u[k] = w[n−1−k] + f·w[2n−1−k], w = reverse(x) * h: folds a correlation into K(Z_f, h)ᵀ·x. */
function foldTransposed(w: ArrayLike<number>, n: number, f: number): Float64Array {
  const u = new Float64Array(n);
  for (let k = 0; k < n; k++) u[k] = w[n - 1 - k] + (k > 0 ? f * w[2 * n - 1 - k] : 0);
  return u;
}

function reversed(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) r[i] = x[n - 1 - i];
  return r;
}

/** FFT size for products of length-n sequences. */
export function shiftFftSize(n: number): number {
  return Math.max(2, nextPowerOfTwo(2 * n - 1));
}

/** y = K(Z_f, g) z. */
export function shiftKrylovMul(f: number, g: ArrayLike<number>, z: ArrayLike<number>): Float64Array {
  const n = g.length;
  const N = shiftFftSize(n);
  return foldForward(irfft(mulSpectra(rfft(g, N), rfft(z, N)), N), n, f);
}

/** u = K(Z_f, h)ᵀ x. */
export function shiftKrylovMulT(f: number, h: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
  const n = h.length;
  const N = shiftFftSize(n);
  return foldTransposed(irfft(mulSpectra(rfft(reversed(x), N), rfft(h, N)), N), n, f);
}

/**
 * x ↦ Σ_i K(Z_fA, g_i) K(Z_fB, h_i)ᵀ x with the generators' spectra computed once:
 * 2r + 2 real FFTs per product (one for x, two per rank, one back), the rank sum taken in the
 * frequency domain.
 */
export function prepareShiftKrylovProduct(fA: number, fB: number, G: ArrayLike<number>[], H: ArrayLike<number>[]): (x: ArrayLike<number>) => Float64Array {
  const n = G[0].length;
  const N = shiftFftSize(n);
  const gs = G.map((g) => rfft(g, N));
  const hs = H.map((h) => rfft(h, N));
  return (x) => {
    const xr = rfft(reversed(x), N);
    const acc: HalfSpectrum = { re: new Float64Array(N / 2 + 1), im: new Float64Array(N / 2 + 1) };
    const tmp: HalfSpectrum = { re: new Float64Array(N / 2 + 1), im: new Float64Array(N / 2 + 1) };
    for (let i = 0; i < gs.length; i++) {
      const u = foldTransposed(irfft(mulSpectra(xr, hs[i], tmp), N), n, fB);
      mulAddSpectra(acc, gs[i], rfft(u, N));
    }
    return foldForward(irfft(acc, N), n, fA);
  };
}

/**
 * x ↦ circ(c)·x, circ(c)[i][j] = c[(i − j) mod n] = K(Z_1, c): a circular convolution, by real
 * FFTs of size n when n is a power of two (2 transforms per product), else of the next power of
 * two ≥ 2n − 1 folded back.
 */
export function prepareCirculantProduct(c: ArrayLike<number>): (x: ArrayLike<number>) => Float64Array {
  const n = c.length;
  const N = n >= 2 && (n & (n - 1)) === 0 ? n : shiftFftSize(n);
  const cs = rfft(c, N);
  const tmp: HalfSpectrum = { re: new Float64Array(N / 2 + 1), im: new Float64Array(N / 2 + 1) };
  return (x) => {
    const w = irfft(mulSpectra(cs, rfft(x, N), tmp), N);
    return N === n ? w : foldForward(w, n, 1);
  };
}
