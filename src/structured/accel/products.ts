// Fast matrix-vector products y = M x for a fixed structured matrix (docs/method.md §2 "Fast
// multiplication"), built from the same description `ldr layer --json` prints. Preparing a
// product is done once per weight value (it may precompute); the returned function is the
// quasi-linear-time product:
//   toeplitz-like, hankel-like, circulant   O(r n log n)   (f-circulant Krylov matrices, FFT)
//   ldr-sd, ldr-sd-corner                   O(r n log² n)  (divide and conquer over convolutions)
//   fastfood                                O(n log n)     (fast Walsh–Hadamard transform)
//   low-rank                                O(r n)
// Classes without a fast algorithm here (unconstrained, vandermonde-like, ldr-td) return null.
import type { OperatorJson } from '../operators';
import type { ClassName, MatrixAudit } from '../types';
import { prepareCirculantProduct, prepareShiftKrylovProduct } from './shiftKrylov';
import { fwht } from './fwht';
import type { KrylovSumPlan } from './subdiagKrylov';
import { planSubdiagKrylovSumWasm, planSubdiagSum, prepareShiftKrylovProductWasm, readOut } from './productsWasm';
import { type FastProductEngine, fastProductEngine } from './policy';

/**
 * y = M x; into `out` (length n) when given, which saves allocating y (costly at large n).
 * `dispose` gives back what the product holds outside the JS heap (WebAssembly memory); call it
 * when done with the product.
 */
export interface Matvec {
  (x: Float64Array, out?: Float64Array): Float64Array;
  dispose(): void;
}

const matvec = (f: (x: Float64Array, out?: Float64Array) => Float64Array, dispose: () => void = () => undefined): Matvec => Object.assign(f, { dispose });

/** y into `out` when given (the JS products allocate their result). */
const into = (y: Float64Array, out?: Float64Array): Float64Array => {
  if (!out) return y;
  out.set(y);
  return out;
};

/** The parts of a layer description the fast products need (a subset of `ldr layer --json`). */
export type MatrixDescription = {
  className: ClassName;
  n: number;
  params: Record<string, unknown>;
} & MatrixAudit;

/** A plan for K(A, g_i), i < r, when A is a subdiagonal operator (with or without corner). */
function subdiagPlan(op: OperatorJson, gens: Float64Array[], engine: FastProductEngine): KrylovSumPlan | null {
  if (op.kind !== 'subdiagonal') return null;
  return planSubdiagSum(Float64Array.from(op.subdiag), op.corner === 0 ? null : op.corner, gens, engine === 'wasm-simd');
}

/** The fast product of a matrix, or null for classes without one; `engine` defaults to policy.ts's choice. */
export function fastMatvec(desc: MatrixDescription, engine: FastProductEngine = fastProductEngine()): Matvec | null {
  if (desc.operators) {
    const { A, B } = desc.operators;
    const G = desc.G.map((g) => Float64Array.from(g));
    const H = desc.H.map((h) => Float64Array.from(h));
    const reverse = (y: Float64Array) => (desc.reverseOutput === true ? y.reverse() : y);
    if (A.kind === 'shift' && B.kind === 'shift') {
      const wasm = engine === 'wasm-simd' ? prepareShiftKrylovProductWasm(A.f, B.f, G, H) : null;
      if (wasm) return matvec((x, out) => reverse(wasm(x, out)), wasm.dispose);
      const product = prepareShiftKrylovProduct(A.f, B.f, G, H);
      return matvec((x, out) => reverse(into(product(x), out)));
    }
    if (engine === 'wasm-simd' && A.kind === 'subdiagonal' && B.kind === 'subdiagonal' && A.corner === 0 && B.corner === 0) {
      // Σ_i K(A, g_i) K(B, h_i)ᵀ x without leaving module memory between the two halves.
      const pa = planSubdiagKrylovSumWasm(Float64Array.from(A.subdiag), G)!;
      const pb = planSubdiagKrylovSumWasm(Float64Array.from(B.subdiag), H)!;
      return matvec(
        (x, out) => reverse(readOut(pa.mulSumPtrs(pb.mulTAllPtrs(x)), desc.n, out)),
        () => {
          pa.dispose();
          pb.dispose();
        },
      );
    }
    // Σ_i K(A, g_i) K(B, h_i)ᵀ x, the per-block transforms shared by the ranks.
    const pa = subdiagPlan(A, G, engine);
    const pb = subdiagPlan(B, H, engine);
    if (!pa || !pb) return null;
    return matvec((x, out) => reverse(into(pa.mulSum(pb.mulTAll(x)), out)), () => {
      pa.dispose?.();
      pb.dispose?.();
    });
  }
  if (desc.permutation) {
    const product = fastfoodMatvec(desc.params, desc.permutation, desc.n);
    return matvec((x, out) => into(product(x), out));
  }
  if (desc.G) {
    const G = desc.G.map((g) => Float64Array.from(g));
    const H = desc.H.map((h) => Float64Array.from(h));
    return matvec((x, out) => {
      const y = out ?? new Float64Array(G[0].length);
      y.fill(0);
      for (let i = 0; i < G.length; i++) {
        let t = 0;
        const h = H[i];
        for (let j = 0; j < h.length; j++) t += h[j] * x[j];
        const g = G[i];
        for (let j = 0; j < g.length; j++) y[j] += t * g[j];
      }
      return y;
    });
  }
  // M[i][j] = c[(i − j) mod n] is K(Z_1, c).
  if (desc.className === 'circulant') {
    const product = prepareCirculantProduct(Float64Array.from(desc.params.c as number[]));
    return matvec((x, out) => into(product(x), out));
  }
  return null;
}

/** M = diag(S)·H·diag(G)·Π·H·diag(B) on the zero-padded power-of-two size, output truncated to n. */
function fastfoodMatvec(params: Record<string, unknown>, permutation: number[], n: number): (x: Float64Array) => Float64Array {
  const S = Float64Array.from(params.S as number[]);
  const G = Float64Array.from(params.G as number[]);
  const B = Float64Array.from(params.B as number[]);
  const P = Int32Array.from(permutation);
  const size = S.length;
  const u = new Float64Array(size);
  const w = new Float64Array(size);
  return (x) => {
    u.fill(0);
    for (let i = 0; i < n; i++) u[i] = B[i] * x[i];
    fwht(u);
    for (let i = 0; i < size; i++) w[i] = G[i] * u[P[i]];
    fwht(w);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) y[i] = S[i] * w[i];
    return y;
  };
}
