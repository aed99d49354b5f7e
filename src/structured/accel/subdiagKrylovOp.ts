// Training-time LDR-SD (with or without corners) product in O(r n log² n) per row, as one TF.js
// op with hand-written gradients over typed arrays (the transposition principle):
//   Y = X Mᵀ,  M = Σ_i K(A, g_i) K(B, h_i)ᵀ,  A, B subdiagonal (+ corner) operators.
// Per row x: u_i = K(B, h_i)ᵀ x, y = Σ_i K(A, g_i) u_i. With F(w, g, z) = wᵀ K(·, g) z:
//   du_i = K(A, g_i)ᵀ dy,  dx = Σ_i K(B, h_i) du_i                  (subdiagKrylov.ts plans),
//   dG_i, dA = ∂/∂(g_i, A) of Σ_rows F_A(dy, g_i, u_i),
//   dH_i, dB = ∂/∂(h_i, B) of Σ_rows F_B(x, h_i, du_i)  (u = K(B,h)ᵀx, so du·u = xᵀ K(B,h) du)
// (subdiagGrad.ts). Work is in float64; the tensors are float32.
import * as tf from '@tensorflow/tfjs';
import { runLazyGradOp, type LazyGrads } from '../lazyGradOp';
import { planSubdiagCornerKrylovSum, planSubdiagKrylovSum } from './subdiagKrylov';
import { planSubdiagCornerGrad, planSubdiagGrad, type SubdiagGrads } from './subdiagGrad';
import { planSubdiagKrylovSumWasm, type WasmKrylovSumPlan } from './productsWasm';
import { planSubdiagGradWasm, type WasmSubdiagGradPlan } from './subdiagGradWasm';
import { fastProductEngine } from './policy';
import { mem } from './fftWasm';

/** One subdiagonal operator's tensors: subdiag [n−1] and, for the corner variant, a scalar corner. */
export interface SubdiagOperatorTensors {
  subdiag: tf.Tensor;
  corner?: tf.Tensor;
}

const rowsOf = (a: Float32Array, rows: number, n: number): Float32Array[] => Array.from({ length: rows }, (_, i) => a.subarray(i * n, (i + 1) * n));

/**
 * The products' plans: WebAssembly SIMD where policy.ts says so (the same bits as the JS plans).
 * A wasm plan holds module memory, so each is disposed as soon as its rows are done: the forward
 * and the backward use opposite directions of each plan anyway (A: K·z then Kᵀ·dy; B: Kᵀ·x then K·du).
 */
function planProducts(op: SubdiagOperatorTensors, gens: Float32Array[]) {
  const s = op.subdiag.dataSync() as Float32Array;
  const plain =
    fastProductEngine() === 'wasm-simd' ? (c: ArrayLike<number>, g: ArrayLike<number>[]) => planSubdiagKrylovSumWasm(c, g)! : planSubdiagKrylovSum;
  return op.corner ? planSubdiagCornerKrylovSum(s, op.corner.dataSync()[0], gens, plain) : plain(s, gens);
}

/** The gradients' plans: WebAssembly SIMD with the products (the same bits as the JS plans). */
function planGrads(op: SubdiagOperatorTensors, gens: Float32Array[]) {
  const s = op.subdiag.dataSync() as Float32Array;
  const plain =
    fastProductEngine() === 'wasm-simd'
      ? (c: ArrayLike<number>, g: ArrayLike<number>[], support?: number) => planSubdiagGradWasm(c, g, support)!
      : planSubdiagGrad;
  return op.corner ? planSubdiagCornerGrad(s, op.corner.dataSync()[0], gens, plain) : plain(s, gens);
}

/** Y = X Mᵀ for X [b, n], G and H [r, n]; differentiable w.r.t. X, G, H and both operators' tensors. */
export function subdiagKrylovProductFast(x: tf.Tensor2D, G: tf.Tensor2D, H: tf.Tensor2D, A: SubdiagOperatorTensors, B: SubdiagOperatorTensors): tf.Tensor2D {
  const [rows, n] = x.shape;
  const r = G.shape[0];
  let X: Float32Array[] = [];
  let gs: Float32Array[] = [];
  let hs: Float32Array[] = [];
  // u_{b,i} = K(B, h_i)ᵀ x_b, kept for dG and dA.
  let U: Float64Array[][] = [];

  const forwardFunc = (): tf.Tensor => {
    X = rowsOf(x.dataSync() as Float32Array, rows, n);
    gs = rowsOf(G.dataSync() as Float32Array, r, n);
    hs = rowsOf(H.dataSync() as Float32Array, r, n);
    const planA = planProducts(A, gs);
    const planB = planProducts(B, hs);
    const out = new Float32Array(rows * n);
    try {
      if ('mulTAllPtrs' in planB && 'mulSumPtrs' in planA) {
        // u stays in module memory for the product; the copy kept for the backward is one array.
        const pa = planA as WasmKrylovSumPlan;
        const pb = planB as WasmKrylovSumPlan;
        const store = new Float64Array(rows * r * n);
        U = X.map((xr, b) => {
          const ptrs = pb.mulTAllPtrs(xr);
          const y = pa.mulSumPtrs(ptrs) / 8;
          const v = mem();
          out.set(v.subarray(y, y + n), b * n);
          return ptrs.map((p, i) => {
            const u = store.subarray((b * r + i) * n, (b * r + i + 1) * n);
            u.set(v.subarray(p / 8, p / 8 + n));
            return u;
          });
        });
      } else {
        U = X.map((xr, b) => {
          const us = planB.mulTAll(xr);
          out.set(planA.mulSum(us), b * n);
          return us;
        });
      }
    } finally {
      planA.dispose?.();
      planB.dispose?.();
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
      const dY = rowsOf(dy.dataSync() as Float32Array, rows, n);
      const dX = new Float32Array(wantDx ? rows * n : 0);
      // Every plan may hold module memory: all are given back, whatever happens.
      const plans: { dispose?(): void }[] = [];
      const held = <T extends { dispose?(): void }>(p: T): T => (plans.push(p), p);
      try {
        const gradA = held(planGrads(A, gs));
        const gradB = held(planGrads(B, hs));
        const planA = held(planProducts(A, gs));
        const planB = held(planProducts(B, hs));
        if ('accumulatePtrs' in gradB && 'mulTAllPtrs' in planA && 'mulSumPtrs' in planB) {
          // All in module memory: du stays there for both its consumers.
          const pa = planA as WasmKrylovSumPlan;
          const pb = planB as WasmKrylovSumPlan;
          const gb = gradB as WasmSubdiagGradPlan;
          for (let b = 0; b < rows; b++) {
            const du = pa.mulTAllPtrs(dY[b]);
            if (wantDx) {
              const y = pb.mulSumPtrs(du) / 8;
              dX.set(mem().subarray(y, y + n), b * n);
            }
            gradA.accumulate(dY[b], U[b]);
            gb.accumulatePtrs(X[b], du);
          }
        } else {
          for (let b = 0; b < rows; b++) {
            const du = planA.mulTAll(dY[b]);
            if (wantDx) dX.set(planB.mulSum(du), b * n);
            gradA.accumulate(dY[b], U[b]);
            gradB.accumulate(X[b], du);
          }
        }
        return (done = { dX, a: gradA.take(), b: gradB.take() });
      } finally {
        for (const p of plans) p.dispose?.();
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
