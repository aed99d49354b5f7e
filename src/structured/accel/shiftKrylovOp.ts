// Training-time Toeplitz-like (and Hankel-like) product by FFTs, as one TF.js op with a
// hand-written gradient over typed arrays (the transposition principle):
//   Y = X Mᵀ,  M = Σ_i K(Z_fA, g_i) K(Z_fB, h_i)ᵀ  (rows of Y reversed for hankel-like).
// K(Z_f, a)·b is an f-folded convolution, symmetric in a and b, so with u_i = K(B, h_i)ᵀ x and
// du_i = K(A, g_i)ᵀ dy every gradient is again a folded convolution:
//   dG_i = Σ_rows K(A, u_i)ᵀ dy,   dH_i = Σ_rows K(B, du_i)ᵀ x,   dx = Σ_i K(B, h_i) du_i.
// With K(Z_f, h)ᵀ x = reverse(reverse(x)·h mod (xⁿ − f)) every product is a transform pair of
// foldedConv.ts (size n for n a power of two and f = ±1, else zero-padded to ≥ 2n − 1). The
// sums over rows and over ranks are taken in the frequency domain, so one batch costs about
// (4r + 3) transforms per row plus 2r per batch. Where policy.ts picks WebAssembly SIMD, the same
// loops run in shiftKrylovOpWasm.ts (the same bits); these JS loops are the fallback.
import * as tf from '@tensorflow/tfjs';
import { mulAddSpec, mulSpec, type Spectrum, type Vec, zeros } from './fft';
import { foldedConv } from './foldedConv';
import { runLazyGradOp, type LazyGrads } from '../lazyGradOp';
import { fastProductEngine } from './policy';
import { shiftFftWasm, type ShiftFftGrads, type ShiftFftWasmRun } from './shiftKrylovOpWasm';
import { readNoCopy } from './hostData';
import { float32Tensor } from './hostOutput';

/** Row `b` of a row-major [rows × n] array into `out` (reversed when asked). */
function rowInto(a: Float32Array, b: number, n: number, out: Vec, reverse = false): Vec {
  const o = b * n;
  if (reverse) for (let i = 0; i < n; i++) out[i] = a[o + n - 1 - i];
  else for (let i = 0; i < n; i++) out[i] = a[o + i];
  return out;
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
  const wasm = fastProductEngine() === 'wasm-simd' ? shiftFftWasm(rows, n, r, cfg) : null;
  if (wasm) return shiftKrylovProductWasm(x, G, H, wasm);
  const ca = foldedConv(n, cfg.fA);
  const cb = foldedConv(n, cfg.fB);
  const buf = zeros(n);
  // Forward spectra the backward reuses: reversed rows of X (B side), the generators, and every u_{b,i} (A side).
  let xSpec: Spectrum[] = [];
  let uSpec: Spectrum[][] = [];
  let gSpec: Spectrum[] = [];
  let hSpec: Spectrum[] = [];
  const spectraOf = (c: typeof ca, d: Float32Array) =>
    Array.from({ length: r }, (_, i) => {
      const s = c.spectrum();
      c.forward(rowInto(d, i, n, buf), s);
      return s;
    });

  const forwardFunc = (): tf.Tensor => {
    // Heap views (hostData.ts): no tensor is made until every row has been read.
    gSpec = spectraOf(ca, readNoCopy(G));
    hSpec = spectraOf(cb, readNoCopy(H));
    const X = readNoCopy(x);
    xSpec = [];
    uSpec = [];
    const out = new Float32Array(rows * n);
    const tb = cb.spectrum();
    const acc = ca.spectrum();
    for (let b = 0; b < rows; b++) {
      const xr = cb.spectrum();
      cb.forward(rowInto(X, b, n, buf), xr, true);
      acc.re.fill(0);
      acc.im.fill(0);
      const us: Spectrum[] = [];
      for (let i = 0; i < r; i++) {
        // u_i = K(Z_fB, h_i)ᵀ x
        cb.inverse(mulSpec(xr, hSpec[i], tb), buf, true);
        const u = ca.spectrum();
        ca.forward(buf, u);
        mulAddSpec(acc, gSpec[i], u);
        us.push(u);
      }
      xSpec.push(xr);
      uSpec.push(us);
      ca.inverse(acc, buf);
      const o = b * n;
      if (cfg.reverseOutput) for (let j = 0; j < n; j++) out[o + n - 1 - j] = buf[j];
      else for (let j = 0; j < n; j++) out[o + j] = buf[j];
    }
    return tf.tensor2d(out, [rows, n]);
  };

  const backwardsFunc = (dy: tf.Tensor): LazyGrads => {
    // Shared by the three gradient functions (each runs in its own tidy): computed once, as arrays.
    let done: { dX: Float32Array; dG: Float32Array; dH: Float32Array } | null = null;
    let wantDx = false;
    const compute = () => {
      if (done) return done;
      const dY = readNoCopy(dy);
      const dGacc = Array.from({ length: r }, () => ca.spectrum());
      const dHacc = Array.from({ length: r }, () => cb.spectrum());
      const dX = new Float32Array(wantDx ? rows * n : 0);
      const ta = ca.spectrum();
      const du = cb.spectrum();
      const dyr = ca.spectrum();
      const dxAcc = cb.spectrum();
      for (let b = 0; b < rows; b++) {
        // reverse(dy) of the un-reversed product: Hankel's J is its own transpose.
        ca.forward(rowInto(dY, b, n, buf), dyr, !cfg.reverseOutput);
        dxAcc.re.fill(0);
        dxAcc.im.fill(0);
        for (let i = 0; i < r; i++) {
          mulAddSpec(dGacc[i], dyr, uSpec[b][i]);
          // du_i = K(Z_fA, g_i)ᵀ dy
          ca.inverse(mulSpec(dyr, gSpec[i], ta), buf, true);
          cb.forward(buf, du);
          mulAddSpec(dHacc[i], xSpec[b], du);
          if (wantDx) mulAddSpec(dxAcc, hSpec[i], du);
        }
        if (wantDx) {
          cb.inverse(dxAcc, buf);
          for (let j = 0; j < n; j++) dX[b * n + j] = buf[j];
        }
      }
      const dG = new Float32Array(r * n);
      const dH = new Float32Array(r * n);
      for (let i = 0; i < r; i++) {
        ca.inverse(dGacc[i], buf, true);
        dG.set(buf, i * n);
        cb.inverse(dHacc[i], buf, true);
        dH.set(buf, i * n);
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

/** The op on shiftKrylovOpWasm.ts's loops. */
function shiftKrylovProductWasm(x: tf.Tensor2D, G: tf.Tensor2D, H: tf.Tensor2D, run: ShiftFftWasmRun): tf.Tensor2D {
  const [rows, n] = x.shape;
  const r = G.shape[0];
  // Without a gradient tape no backward comes: the saved spectra go right after the forward.
  const taped = tf.engine().isTapeOn();
  const forwardFunc = (): tf.Tensor => {
    // Views of the backend's heap, copied into module memory at once (dataSync's fresh copy of X
    // cost more than the whole product: ~0.6 ms of page faults at batch 50, n = 1024).
    const y = run.forward(() => [readNoCopy(x), readNoCopy(G), readNoCopy(H)], (v) => float32Tensor(v, [rows, n]));
    if (!taped) run.release();
    return y;
  };
  const backwardsFunc = (dy: tf.Tensor): LazyGrads => {
    let done: ShiftFftGrads<tf.Tensor> | null = null;
    let wantDx = false;
    const compute = () => {
      if (done) return done;
      // Read straight from the backend's heap into module memory: no tensor is created in between.
      done = run.backward(readNoCopy(dy), wantDx, (v) => float32Tensor(v, [rows, n]));
      run.release();
      return done;
    };
    return {
      x: () => {
        // The engine asks for x first when it needs it (and once); recompute if it came late.
        if (done && !done.dX) done = null;
        wantDx = true;
        const grads = compute();
        const dX = grads.dX!;
        grads.dX = null;
        return dX;
      },
      G: () => tf.tensor2d(compute().dG, [r, n]),
      H: () => tf.tensor2d(compute().dH, [r, n]),
    };
  };
  return runLazyGradOp(forwardFunc, backwardsFunc, { x, G, H }) as tf.Tensor2D;
}
