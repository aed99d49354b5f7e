// Krylov products with the shift operator Z_f in O(n log n) (P2, Theorem 3.3):
// K(Z_f, g) is the f-circulant matrix with first column g, so K(Z_f, g)·z = g·z mod (xⁿ − f),
// and K(Z_f, h)ᵀ·x = reverse(reverse(x)·h mod (xⁿ − f)). For n a power of two and f = ±1 these
// are cyclic / negacyclic convolutions of length n (foldedConv.ts); otherwise a linear
// convolution by real FFTs of the next power of two ≥ 2n − 1, folded with weight f.
import { type HalfSpectrum, halfSpectrum, irfftInto, mulAddSpectra, mulSpectra, nextPowerOfTwo, rfftInto } from './fft';
import { foldedConv, hasFoldedConv } from './foldedConv';

/** y[j] = w[j] + f·w[j+n]: folds a linear convolution into K(Z_f, g)·z. */
function foldForward(w: ArrayLike<number>, n: number, f: number, y = new Float64Array(n)): Float64Array {
  for (let j = 0; j < n; j++) y[j] = w[j] + (j + n < w.length ? f * w[j + n] : 0);
  return y;
}

/** u[k] = w[n−1−k] + f·w[2n−1−k], w = reverse(x) * h: folds a correlation into K(Z_f, h)ᵀ·x. */
function foldTransposed(w: ArrayLike<number>, n: number, f: number, u = new Float64Array(n)): Float64Array {
  for (let k = 0; k < n; k++) u[k] = w[n - 1 - k] + (k > 0 ? f * w[2 * n - 1 - k] : 0);
  return u;
}

function reversedInto(x: ArrayLike<number>, out: Float64Array): Float64Array {
  const n = x.length;
  for (let i = 0; i < n; i++) out[i] = x[n - 1 - i];
  return out;
}

/** FFT size for products of length-n sequences by zero-padded linear convolution. */
export function shiftFftSize(n: number): number {
  return Math.max(2, nextPowerOfTwo(2 * n - 1));
}

/** y = K(Z_f, g) z. */
export function shiftKrylovMul(f: number, g: ArrayLike<number>, z: ArrayLike<number>): Float64Array {
  return prepareShiftKrylovProduct(f, 1, [g], [unit(g.length)])(z);
}

/** u = K(Z_f, h)ᵀ x. */
export function shiftKrylovMulT(f: number, h: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
  return prepareShiftKrylovProduct(1, f, [unit(h.length)], [h])(x);
}

/** e_0: K(Z_f, e_0) = I for every f. */
function unit(n: number): Float64Array {
  const e = new Float64Array(n);
  e[0] = 1;
  return e;
}

/**
 * x ↦ Σ_i K(Z_fA, g_i) K(Z_fB, h_i)ᵀ x with the generators' spectra computed once:
 * 2r + 2 transforms per product (one for x, two per rank, one back), the rank sum taken in the
 * frequency domain; of size n when n is a power of two and fA, fB = ±1, else of size ≥ 2n − 1.
 */
export function prepareShiftKrylovProduct(fA: number, fB: number, G: ArrayLike<number>[], H: ArrayLike<number>[]): (x: ArrayLike<number>) => Float64Array {
  const n = G[0].length;
  if (hasFoldedConv(n, fA) && hasFoldedConv(n, fB)) return prepareFolded(fA, fB, G, H);
  const N = shiftFftSize(n);
  const gs = G.map((g) => spectrumOf(g, N));
  const hs = H.map((h) => spectrumOf(h, N));
  const xr = halfSpectrum(N);
  const acc = halfSpectrum(N);
  const tmp = halfSpectrum(N);
  const w = new Float64Array(N);
  const xrev = new Float64Array(n);
  const u = new Float64Array(n);
  return (x) => {
    rfftInto(reversedInto(x, xrev), N, xr);
    acc.re.fill(0);
    acc.im.fill(0);
    for (let i = 0; i < gs.length; i++) {
      irfftInto(mulSpectra(xr, hs[i], tmp), N, w);
      rfftInto(foldTransposed(w, n, fB, u), N, tmp);
      mulAddSpectra(acc, gs[i], tmp);
    }
    irfftInto(acc, N, w);
    return foldForward(w, n, fA);
  };
}

function spectrumOf(a: ArrayLike<number>, N: number): HalfSpectrum {
  const s = halfSpectrum(N);
  rfftInto(a, N, s);
  return s;
}

/** Size-n transforms: u_i = reverse(reverse(x)·h_i mod (xⁿ − fB)), y = Σ_i g_i·u_i mod (xⁿ − fA). */
function prepareFolded(fA: number, fB: number, G: ArrayLike<number>[], H: ArrayLike<number>[]): (x: ArrayLike<number>) => Float64Array {
  const n = G[0].length;
  const ca = foldedConv(n, fA);
  const cb = foldedConv(n, fB);
  const gs = G.map((g) => {
    const s = ca.spectrum();
    ca.forward(g, s);
    return s;
  });
  const hs = H.map((h) => {
    const s = cb.spectrum();
    cb.forward(h, s);
    return s;
  });
  const xs = cb.spectrum();
  const tb = cb.spectrum();
  const ta = ca.spectrum();
  const acc = ca.spectrum();
  const u = new Float64Array(n);
  return (x) => {
    cb.forward(x, xs, true);
    acc.re.fill(0);
    acc.im.fill(0);
    for (let i = 0; i < gs.length; i++) {
      cb.inverse(mulSpectra(xs, hs[i], tb), u, true);
      ca.forward(u, ta);
      mulAddSpectra(acc, gs[i], ta);
    }
    const y = new Float64Array(n);
    ca.inverse(acc, y);
    return y;
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
  const cs = spectrumOf(c, N);
  const tmp = halfSpectrum(N);
  const w = new Float64Array(N);
  return (x) => {
    rfftInto(x, N, tmp);
    mulSpectra(cs, tmp, tmp);
    if (N === n) {
      const y = new Float64Array(n);
      irfftInto(tmp, N, y);
      return y;
    }
    irfftInto(tmp, N, w);
    return foldForward(w, n, 1);
  };
}
