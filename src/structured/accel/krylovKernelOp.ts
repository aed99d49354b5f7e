// The Krylov product Y = X·Mᵀ, M = Σ_i K(A, g_i)·K(B, h_i)ᵀ (docs/method.md §1), as one op.
//
// With the Krylov rows KA (row i·n+k = A^k g_i) and KB (row i·n+k = B^k h_i), both (r·n)×n:
//   Mᵀ = KBᵀ·KA, so  Tᵀ = KB·Xᵀ  (r·n × b),  Y = T·KA.
// Backward, for dY:
//   ∂KA = Tᵀ·dY,  dTᵀ = KA·dYᵀ,  ∂KB = dTᵀ·X,  dX = dT·KB,
// then the adjoint recursions of krylovKernels.ts turn ∂KA, ∂KB into ∂G, ∂A, ∂H, ∂B.
// Every product is a plain matMul on the row layouts the kernels write; only b×(r·n)
// and b×n matrices are ever transposed (large transposes and matMul transpose flags are
// slow on wasm).
//
// Two ways to build the rows (computePath.ts picks one): 'simd' (the Krylov loops in a
// WebAssembly SIMD module) and 'js' (the same loops in plain JavaScript, where WebAssembly SIMD
// is missing); both only on the cpu and wasm backends. The portable tensor-op path is
// ../krylovDoubling.ts.
import * as tf from '@tensorflow/tfjs';
import { krylovRows, krylovRowsBackward } from './krylovKernels';
import {
  heapKernelsServe, heapScratchFloats, krylovRowsBackwardInHeap, krylovRowsBackwardSimd, krylovRowsInHeap, krylovRowsSimd,
  type HeapMemory,
} from './krylovSimd';
import type { DisplacementOperator, OperatorCoeffs, OperatorGrads } from '../operators';
import { runLazyGradOp, type LazyGrads } from '../lazyGradOp';
import { readNoCopy } from './hostData';

export type KernelBuild = 'simd' | 'js';

/** (r·n)×n Krylov rows (row i·n+k = A^k v_i) by the typed-array loops; for toDense and audits. */
export function krylovRowsKernels(build: KernelBuild, A: DisplacementOperator, V: tf.Tensor2D): tf.Tensor2D {
  return rowsTensor(build, A.coeffs(), V.dataSync(), V.shape[0]).tensor;
}

// The wasm backend's members the heap binding uses (as tfjs-backend-wasm 4.22's own kernels do).
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
  disposeData(dataId: object): boolean;
  wasm: { asm?: { memory?: HeapMemory } };
}

/** The wasm backend and its heap where the heap binding serves size n (simd path), else null. */
function heapFor(path: KernelBuild, n: number): { backend: WasmHeapBackend; memory: HeapMemory } | null {
  if (path !== 'simd' || !heapEnabled || tf.getBackend() !== 'wasm') return null;
  const backend = tf.backend() as unknown as WasmHeapBackend;
  const memory = backend.wasm?.asm?.memory;
  return heapKernelsServe(memory, n) ? { backend, memory } : null;
}

/** Float offset of a tensor's data on the heap (valid until the next allocation). */
const floatOffset = (backend: WasmHeapBackend, t: tf.TensorInfo): number => backend.typedArrayFromHeap(t).byteOffset / 4;

/** Runs `use` with a scratch area of the heap binding (float offset), freed afterwards. */
function withScratch<T>(backend: WasmHeapBackend, n: number, use: (scratch: number) => T): T {
  const scratch = backend.makeOutput([heapScratchFloats(n)], 'float32');
  try {
    return use(floatOffset(backend, scratch));
  } finally {
    backend.disposeData(scratch.dataId);
  }
}

let heapEnabled = true;
/** Turn the heap binding off (tests compare it with the copying one). */
export function setKrylovHeapBinding(on: boolean): void {
  heapEnabled = on;
}

/** Krylov rows as a tensor; `rows` keeps the JS path's array for its backward. */
function rowsTensor(path: KernelBuild, co: OperatorCoeffs, V: ArrayLike<number>, r: number) {
  const n = co.n;
  const heap = heapFor(path, n);
  if (heap) {
    // Written in place into the output tensor: no copy of r·n² floats.
    const { backend, memory } = heap;
    const info = backend.makeOutput([r * n, n], 'float32');
    try {
      withScratch(backend, n, (scratch) => krylovRowsInHeap(memory, co, V, r, floatOffset(backend, info), scratch));
    } catch (err) {
      backend.disposeData(info.dataId);
      throw err;
    }
    return { tensor: tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor2D, rows: null };
  }
  if (path === 'js') {
    const rows = krylovRows(co, V, r);
    return { tensor: tf.tensor2d(rows, [r * n, n]), rows };
  }
  // A view into the module's scratch memory: the wasm backend copies it into its heap,
  // the cpu backend would keep the array itself, so give it a copy.
  const view = krylovRowsSimd(co, V, r);
  return { tensor: tf.tensor2d(tf.getBackend() === 'wasm' ? view : view.slice(), [r * n, n]), rows: null };
}

/** ∂L/∂V and ∂L/∂θ from ∂L/∂rows (the SIMD path recomputes the rows from V). */
function rowsBackward(
  co: OperatorCoeffs,
  V: ArrayLike<number>,
  rows: Float32Array | null,
  dK: Float32Array,
  r: number,
): { dV: Float32Array; grads: OperatorGrads } {
  return rows ? krylovRowsBackward(co, rows, dK, r) : krylovRowsBackwardSimd(co, V, dK, r);
}

/** Y = X·Mᵀ for X (b×n), generators G, H (r×n), operators A, B; differentiable w.r.t. all of them. */
export function krylovProductKernels(
  path: KernelBuild,
  x: tf.Tensor2D,
  G: tf.Tensor2D,
  H: tf.Tensor2D,
  A: DisplacementOperator,
  B: DisplacementOperator,
): tf.Tensor2D {
  const [r, n] = G.shape;
  const aNames = Object.keys(A.variables);
  const bNames = Object.keys(B.variables);
  const inputList: tf.Tensor[] = [x, G, H, ...Object.values(A.variables), ...Object.values(B.variables)];
  const inputs: Record<string, tf.Tensor> = {};
  inputList.forEach((t, i) => (inputs[i] = t));

  // Forward state the backward needs (plain arrays, freed with the tape).
  let coA: OperatorCoeffs;
  let coB: OperatorCoeffs;
  let gA: ArrayLike<number>;
  let hB: ArrayLike<number>;
  let rowsA: Float32Array | null;
  let rowsB: Float32Array | null;

  const forwardFunc = (_backend: unknown, save: (tensors: tf.Tensor[]) => void): tf.Tensor => {
    coA = A.coeffs();
    coB = B.coeffs();
    gA = G.dataSync();
    hB = H.dataSync();
    const a = rowsTensor(path, coA, gA, r);
    const b = rowsTensor(path, coB, hB, r);
    [rowsA, rowsB] = [a.rows, b.rows];
    const [KA, KB] = [a.tensor, b.tensor];
    const Tt = tf.matMul(KB, tf.transpose(x)); // (r·n)×b
    save([x, Tt, KA, KB]);
    // Tᵀ·KA with the flag, not an explicit transpose: the wasm matmul fix streams Tt as it lies.
    return tf.matMul(Tt, KA, true, false);
  };

  const backwardsFunc = (dy: tf.Tensor, saved: tf.Tensor[]): LazyGrads => {
    const [xs, Tt, KA, KB] = saved as tf.Tensor2D[];
    const dY = dy as tf.Tensor2D;
    // dTᵀ feeds dX and ∂KB. Each gradient function runs in its own tidy, so it is computed here,
    // in the backward pass's scope (which disposes it), rather than memoised as a host array
    // (a read-back and re-upload of r·n·b floats, and fresh host memory, every step). Only a
    // layer whose H and B are all frozen and whose input needs no gradient computes it in vain.
    const dTt = tf.matMul(KA, tf.transpose(dY)) as tf.Tensor2D; // (r·n)×b
    const dTtTensor = (): tf.Tensor2D => dTt;
    let gradA: { dV: Float32Array; grads: OperatorGrads } | null = null;
    // ∂K read in place (readNoCopy): rowsBackward copies it into its own memory before the
    // backend allocates again.
    // On the heap binding both K (saved) and ∂K are read where they lie.
    const heap = heapFor(path, n);
    const back = (co: OperatorCoeffs, V: ArrayLike<number>, rows: Float32Array | null, K: tf.Tensor, dK: tf.Tensor) => {
      if (!heap) return rowsBackward(co, V, rows, readNoCopy(dK), r);
      const { backend, memory } = heap;
      return withScratch(backend, n, (scratch) =>
        krylovRowsBackwardInHeap(memory, co, r, floatOffset(backend, K), floatOffset(backend, dK), scratch),
      );
    };
    const backA = () => (gradA ??= back(coA, gA, rowsA, KA, tf.matMul(Tt, dY)));
    let gradB: { dV: Float32Array; grads: OperatorGrads } | null = null;
    const backB = () => (gradB ??= back(coB, hB, rowsB, KB, tf.matMul(dTtTensor(), xs)));

    const grads: LazyGrads = {
      0: () => tf.matMul(dTtTensor(), KB, true, false),
      1: () => tf.tensor2d(backA().dV, [r, n]),
      2: () => tf.tensor2d(backB().dV, [r, n]),
    };
    aNames.forEach((name, j) => (grads[3 + j] = () => A.gradOf(name, backA().grads)));
    bNames.forEach((name, j) => (grads[3 + aNames.length + j] = () => B.gradOf(name, backB().grads)));
    return grads;
  };

  return runLazyGradOp(forwardFunc, backwardsFunc, inputs) as tf.Tensor2D;
}
