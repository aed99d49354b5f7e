// Training-time Toeplitz-like (and Hankel-like) product by FFTs, as one TF.js op with a
// hand-written gradient over typed arrays (the transposition principle):
//   Y = X Mᵀ,  M = Σ_i K(Z_fA, g_i) K(Z_fB, h_i)ᵀ  (rows of Y reversed for hankel-like).
// K(Z_f, a)·b is an f-folded convolution, symmetric in a and b, so with u_i = K(B, h_i)ᵀ x and
// du_i = K(A, g_i)ᵀ dy every gradient is again a folded convolution:
//   dG_i = Σ_rows K(A, u_i)ᵀ dy,   dH_i = Σ_rows K(B, du_i)ᵀ x,   dx = Σ_i K(B, h_i) du_i.
// The sums over rows and over ranks are taken in the frequency domain, so one batch costs
// about (4r + 3) real FFTs per row plus 2r per batch.
import * as tf from '@tensorflow/tfjs';
import { type HalfSpectrum, irfft, mulAddSpectra, mulSpectra, rfft } from './fft';
import { shiftFftSize } from './shiftKrylov';
import { runLazyGradOp, type LazyGrads } from '../lazyGradOp';

const zeroSpectrum = (N: number): HalfSpectrum => ({ re: new Float64Array(N / 2 + 1), im: new Float64Array(N / 2 + 1) });

function foldForwardInto(w: Float64Array, n: number, f: number, out: Float32Array | Float64Array, offset: number, reverse: boolean): void {
  for (let j = 0; j < n; j++) out[offset + (reverse ? n - 1 - j : j)] = w[j] + (j + n < w.length ? f * w[j + n] : 0);
}
function foldTransposed(w: Float64Array, n: number, f: number): Float64Array {
  const u = new Float64Array(n);
  for (let k = 0; k < n; k++) u[k] = w[n - 1 - k] + (k > 0 ? f * w[2 * n - 1 - k] : 0);
  return u;
}
/** Row `b` of a row-major [rows × n] array, reversed (optionally un-reversing a Hankel output first). */
function reversedRow(a: Float32Array, b: number, n: number): Float64Array {
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) r[i] = a[b * n + n - 1 - i];
  return r;
}
function row(a: Float32Array, b: number, n: number, reverse = false): Float64Array {
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) r[i] = a[b * n + (reverse ? n - 1 - i : i)];
  return r;
}

export interface ShiftKrylovOpConfig {
  fA: number;
  fB: number;
  /** Hankel-like: M = J · (Krylov product). */
  reverseOutput: boolean;
}

/** Y = X Mᵀ for X [b, n], G and H [r, n]; differentiable w.r.t. all three. */
export function shiftKrylovProductFft(x: tf.Tensor2D, G: tf.Tensor2D, H: tf.Tensor2D, cfg: ShiftKrylovOpConfig): tf.Tensor2D {
  const [rows, n] = x.shape;
  const r = G.shape[0];
  const N = shiftFftSize(n);
  // Forward spectra the backward reuses: reversed rows of X, the generators, and every u_{b,i}.
  let xSpec: HalfSpectrum[] = [];
  let uSpec: HalfSpectrum[][] = [];
  let gSpec: HalfSpectrum[] = [];
  let hSpec: HalfSpectrum[] = [];

  const forwardFunc = (): tf.Tensor => {
    const X = x.dataSync() as Float32Array;
    const Gd = G.dataSync() as Float32Array;
    const Hd = H.dataSync() as Float32Array;
    gSpec = Array.from({ length: r }, (_, i) => rfft(row(Gd, i, n), N));
    hSpec = Array.from({ length: r }, (_, i) => rfft(row(Hd, i, n), N));
    xSpec = [];
    uSpec = [];
    const out = new Float32Array(rows * n);
    const tmp = zeroSpectrum(N);
    for (let b = 0; b < rows; b++) {
      const xr = rfft(reversedRow(X, b, n), N);
      const acc = zeroSpectrum(N);
      const us: HalfSpectrum[] = [];
      for (let i = 0; i < r; i++) {
        const u = rfft(foldTransposed(irfft(mulSpectra(xr, hSpec[i], tmp), N), n, cfg.fB), N);
        mulAddSpectra(acc, gSpec[i], u);
        us.push(u);
      }
      xSpec.push(xr);
      uSpec.push(us);
      foldForwardInto(irfft(acc, N), n, cfg.fA, out, b * n, cfg.reverseOutput);
    }
    return tf.tensor2d(out, [rows, n]);
  };

  const backwardsFunc = (dy: tf.Tensor): LazyGrads => {
    // Shared by the three gradient functions (each runs in its own tidy): computed once, as arrays.
    let done: { dX: Float32Array; dG: Float32Array; dH: Float32Array } | null = null;
    let wantDx = false;
    const compute = () => {
      if (done) return done;
      const dY = dy.dataSync() as Float32Array;
      const dGacc = Array.from({ length: r }, () => zeroSpectrum(N));
      const dHacc = Array.from({ length: r }, () => zeroSpectrum(N));
      const dX = new Float32Array(wantDx ? rows * n : 0);
      const tmp = zeroSpectrum(N);
      for (let b = 0; b < rows; b++) {
        // dy of the un-reversed product: Hankel's J is its own transpose.
        const dyr = rfft(cfg.reverseOutput ? row(dY, b, n) : reversedRow(dY, b, n), N);
        const dxAcc = wantDx ? zeroSpectrum(N) : null;
        for (let i = 0; i < r; i++) {
          mulAddSpectra(dGacc[i], dyr, uSpec[b][i]);
          const du = rfft(foldTransposed(irfft(mulSpectra(dyr, gSpec[i], tmp), N), n, cfg.fA), N);
          mulAddSpectra(dHacc[i], xSpec[b], du);
          if (dxAcc) mulAddSpectra(dxAcc, hSpec[i], du);
        }
        if (dxAcc) foldForwardInto(irfft(dxAcc, N), n, cfg.fB, dX, b * n, false);
      }
      const dG = new Float32Array(r * n);
      const dH = new Float32Array(r * n);
      for (let i = 0; i < r; i++) {
        dG.set(foldTransposed(irfft(dGacc[i], N), n, cfg.fA), i * n);
        dH.set(foldTransposed(irfft(dHacc[i], N), n, cfg.fB), i * n);
      }
      done = { dX, dG, dH };
      return done;
    };
    return {
      x: () => {
        // The engine asks for x first when it needs it; recompute if it came late.
        if (done && !wantDx) done = null;
        wantDx = true;
        return tf.tensor2d(compute().dX, [rows, n]);
      },
      G: () => tf.tensor2d(compute().dG, [r, n]),
      H: () => tf.tensor2d(compute().dH, [r, n]),
    };
  };

  return runLazyGradOp(forwardFunc, backwardsFunc, { x, G, H }) as tf.Tensor2D;
}
