// Training-time LDR-SD (with or without corners) product in O(r n log² n) per row, as one TF.js
// op with hand-written gradients over typed arrays (the transposition principle):
//   Y = X Mᵀ,  M = Σ_i K(A, g_i) K(B, h_i)ᵀ,  A, B subdiagonal (+ corner) operators.
// Per row x: u_i = K(B, h_i)ᵀ x, y = Σ_i K(A, g_i) u_i. With F(w, g, z) = wᵀ K(·, g) z:
//   du_i = K(A, g_i)ᵀ dy,  dx = Σ_i K(B, h_i) du_i                  (subdiagKrylov.ts plans),
//   dG_i, dA = ∂/∂(g_i, A) of Σ_rows F_A(dy, g_i, u_i),
//   dH_i, dB = ∂/∂(h_i, B) of Σ_rows F_B(x, h_i, du_i)  (u = K(B,h)ᵀx, so du·u = xᵀ K(B,h) du)
// (subdiagGrad.ts). Work is in float64; the tensors are float32.
// Each plan is built once per call and serves the forward and the backward; on the WebAssembly
// engine without corners the whole step runs on module memory (subdiagStepWasm.ts).
import * as tf from '@tensorflow/tfjs';
import { runLazyGradOp, type LazyGrads } from '../lazyGradOp';
import type { KrylovSumPlan } from './subdiagKrylov';
import { planSubdiagCornerGrad, planSubdiagGrad, type SubdiagGradPlan, type SubdiagGrads } from './subdiagGrad';
import { planSubdiagSum } from './productsWasm';
import { planSubdiagGradWasm } from './subdiagGradWasm';
import { fastProductEngine } from './policy';
import { readNoCopy } from './hostData';
import { holdForBackward, unhold, WasmSubdiagStep } from './subdiagStepWasm';

/** One subdiagonal operator's tensors: subdiag [n−1] and, for the corner variant, a scalar corner. */
export interface SubdiagOperatorTensors {
  subdiag: tf.Tensor;
  corner?: tf.Tensor;
}

const rowsOf = (a: Float32Array, rows: number, n: number): Float32Array[] => Array.from({ length: rows }, (_, i) => a.subarray(i * n, (i + 1) * n));


/** The gradients' plans: WebAssembly SIMD with the products (the same bits as the JS plans). */
function planGrads(s: Float32Array, corner: number | null, gens: Float32Array[], wasm: boolean): SubdiagGradPlan {
  const plain = wasm
    ? (c: ArrayLike<number>, g: ArrayLike<number>[], support?: number) => planSubdiagGradWasm(c, g, support)!
    : planSubdiagGrad;
  return corner !== null ? planSubdiagCornerGrad(s, corner, gens, plain) : plain(s, gens);
}

/** Y = X Mᵀ for X [b, n], G and H [r, n]; differentiable w.r.t. X, G, H and both operators' tensors. */
export function subdiagKrylovProductFast(x: tf.Tensor2D, G: tf.Tensor2D, H: tf.Tensor2D, A: SubdiagOperatorTensors, B: SubdiagOperatorTensors): tf.Tensor2D {
  const [rows, n] = x.shape;
  const r = G.shape[0];
  // Without a tape no backward follows: the forward gives its plans back at once.
  const taped = tf.engine().isTapeOn();
  const wasm = fastProductEngine() === 'wasm-simd';
  const whole = wasm && !A.corner && !B.corner;
  let X: Float32Array[] = [];
  let gs: Float32Array[] = [];
  let hs: Float32Array[] = [];
  let sA: Float32Array = new Float32Array(0);
  let sB: Float32Array = new Float32Array(0);
  let cA: number | null = null;
  let cB: number | null = null;
  // WebAssembly without corners: the step (plans, rows) from the forward to the backward.
  let step: WasmSubdiagStep | null = null;
  const newStep = () => new WasmSubdiagStep(n, r, rows, sA, gs, sB, hs);
  // Otherwise: the product plans, and u_{b,i} = K(B, h_i)ᵀ x_b kept for dG and dA.
  let plans: { a: KrylovSumPlan; b: KrylovSumPlan; dispose(): void; disposed: boolean } | null = null;
  let U: Float64Array[][] = [];
  // The forward and the backward use opposite directions of each plan (A: K·z then Kᵀ·dy; B: Kᵀ·x
  // then K·du); each direction's data is built on its first use.
  const newPlans = () => {
    const a = planSubdiagSum(sA, cA, gs, wasm);
    const b = planSubdiagSum(sB, cB, hs, wasm);
    const p = {
      a,
      b,
      disposed: false,
      dispose() {
        p.disposed = true;
        unhold(p);
        a.dispose?.();
        b.dispose?.();
      },
    };
    return p;
  };

  const forwardFunc = (): tf.Tensor => {
    gs = rowsOf(G.dataSync() as Float32Array, r, n);
    hs = rowsOf(H.dataSync() as Float32Array, r, n);
    sA = A.subdiag.dataSync() as Float32Array;
    sB = B.subdiag.dataSync() as Float32Array;
    cA = A.corner ? A.corner.dataSync()[0] : null;
    cB = B.corner ? B.corner.dataSync()[0] : null;
    const out = new Float32Array(rows * n);
    if (whole) {
      const s = newStep();
      try {
        // x read in place (hostData.ts): the step copies it into module memory at once.
        s.forward(readNoCopy(x), out);
      } catch (err) {
        s.dispose();
        throw err;
      }
      if (taped) holdForBackward((step = s));
      else s.dispose();
    } else {
      X = rowsOf(x.dataSync() as Float32Array, rows, n);
      const p = newPlans();
      try {
        U = X.map((xr, b) => {
          const us = p.b.mulTAll(xr);
          out.set(p.a.mulSum(us), b * n);
          return us;
        });
      } catch (err) {
        p.dispose();
        throw err;
      }
      if (taped) holdForBackward((plans = p), 0);
      else p.dispose();
    }
    return tf.tensor2d(out, [rows, n]);
  };

  const backwardsFunc = (dy: tf.Tensor): LazyGrads => {
    interface Grads {
      dX: Float32Array;
      a: SubdiagGrads;
      b: SubdiagGrads;
    }
    let done: Grads | null = null;
    let wantDx = false;
    const compute = (): Grads => {
      if (done) return done;
      const dX = new Float32Array(wantDx ? rows * n : 0);
      if (whole) {
        // The forward's step, or (freed meanwhile: a recomputed dx, or too many held) a new one.
        let s = step && !step.disposed ? step : null;
        step = null;
        try {
          if (!s) {
            s = newStep();
            s.forward(readNoCopy(x), new Float32Array(rows * n));
          }
          const { a, b } = s.backward(readNoCopy(dy), wantDx ? dX : null);
          return (done = { dX, a, b });
        } finally {
          s?.dispose();
        }
      }
      const dY = rowsOf(dy.dataSync() as Float32Array, rows, n);
      const p = plans && !plans.disposed ? plans : newPlans();
      plans = null;
      // Every plan may hold module memory: all are given back, whatever happens.
      const grads: SubdiagGradPlan[] = [];
      try {
        const gradA = planGrads(sA, cA, gs, wasm);
        grads.push(gradA);
        const gradB = planGrads(sB, cB, hs, wasm);
        grads.push(gradB);
        for (let b = 0; b < rows; b++) {
          const du = p.a.mulTAll(dY[b]);
          if (wantDx) dX.set(p.b.mulSum(du), b * n);
          gradA.accumulate(dY[b], U[b]);
          gradB.accumulate(X[b], du);
        }
        return (done = { dX, a: gradA.take(), b: gradB.take() });
      } finally {
        p.dispose();
        for (const g of grads) g.dispose?.();
      }
    };
    const flat = (vs: Float64Array[]) => {
      const out = new Float32Array(r * n);
      vs.forEach((v, i) => out.set(v, i * n));
      return tf.tensor2d(out, [r, n]);
    };
    const grads: LazyGrads = {
      x: () => {
        // The engine asks for x first when it needs it; recompute if it came late.
        if (done && !wantDx) done = null;
        wantDx = true;
        return tf.tensor2d(compute().dX, [rows, n]);
      },
      G: () => flat(compute().a.dG),
      H: () => flat(compute().b.dG),
      sA: () => tf.tensor1d(Float32Array.from(compute().a.dS)),
      sB: () => tf.tensor1d(Float32Array.from(compute().b.dS)),
    };
    if (A.corner) grads.cA = () => tf.scalar(compute().a.dCorner);
    if (B.corner) grads.cB = () => tf.scalar(compute().b.dCorner);
    return grads;
  };

  const inputs: Record<string, tf.Tensor> = { x, G, H, sA: A.subdiag, sB: B.subdiag };
  if (A.corner) inputs.cA = A.corner;
  if (B.corner) inputs.cB = B.corner;
  return runLazyGradOp(forwardFunc, backwardsFunc, inputs) as tf.Tensor2D;
}
