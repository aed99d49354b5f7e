// Route every wasm matrix product through XNNPACK's fast path.
//
// In tfjs-backend-wasm 4.22 (src/cc/batch_mat_mul_impl.cc) BatchMatMul uses XNNPACK only when
// neither operand is transposed and both have batch size 1; everything else runs a naive loop.
// Measured on one thread, [50×1024]·[1024×1024]: plain 2.6 ms, transposeB 29 ms, transposeA
// ~100 ms. Matmul gradients always ask for a transposed operand (dA = dY·Bᵀ, dB = Aᵀ·dY), so
// without this every dense backward pass takes the slow loop.
//
// The replacement kernel only ever calls the original with plain, unbatched operands (its
// XNNPACK path), after materialising transposes (wasmTranspose.ts: pure copies):
//   - 2-D (or b without batch dims, a's batch folded into rows): one product, direct or swapped
//     whichever costs less (chooseRoute);
//   - both batched (or only b): one product per batch entry, operands copied out of the batch;
//   - anything else (two-sided broadcasting, many tiny products): the original kernel.
// Only the summation order inside the product can differ from the original kernel, so results
// agree to float32 rounding (test/backendMatmul.test.ts checks against float64 and the cpu backend).
import { broadcast_util, type TensorInfo } from '@tensorflow/tfjs';
import { transposeLastTwo } from './wasmTranspose';
import { heapF32, sizeOf, type KernelArgs, type WasmBackendInternals, type WasmKernelFunc } from './wasmInternals';

// Below this many multiply-adds per batch entry the naive loop beats the per-entry overhead of
// copying operands out and building an XNNPACK operator (measured crossover between 16³ and 32³).
const MIN_LOOP_WORK = 16384;

export interface ProductPlan {
  batchA: number;
  batchB: number;
  m: number;
  k: number;
  n: number;
  outShape: number[];
}

/** Shapes of a (transposed?) × b (transposed?), or null when the fast routes do not apply. */
export function planProduct(
  aShape: readonly number[],
  bShape: readonly number[],
  transposeA: boolean,
  transposeB: boolean,
): ProductPlan | null {
  const ra = aShape.length;
  const rb = bShape.length;
  if (ra < 2 || rb < 2) return null;
  const m = transposeA ? aShape[ra - 1] : aShape[ra - 2];
  const ka = transposeA ? aShape[ra - 2] : aShape[ra - 1];
  const kb = transposeB ? bShape[rb - 1] : bShape[rb - 2];
  const n = transposeB ? bShape[rb - 2] : bShape[rb - 1];
  if (ka !== kb) return null; // the original kernel raises the error
  const outerA = aShape.slice(0, -2);
  const outerB = bShape.slice(0, -2);
  const batchA = sizeOf(outerA);
  const batchB = sizeOf(outerB);
  let outer: number[];
  try {
    outer = broadcast_util.assertAndGetBroadcastShape(outerA as number[], outerB as number[]);
  } catch {
    return null;
  }
  const simple = batchA === batchB || batchA === 1 || batchB === 1;
  if (!simple || sizeOf(outer) !== Math.max(batchA, batchB)) return null;
  return { batchA, batchB, m, k: ka, n, outShape: [...outer, m, n] };
}

/** [m×k]·[k×n] through the original kernel with no transposes and batch 1 (XNNPACK). */
function plainProduct(
  original: WasmKernelFunc,
  backend: WasmBackendInternals,
  a: TensorInfo,
  b: TensorInfo,
  m: number,
  k: number,
  n: number,
): TensorInfo {
  return original({
    inputs: { a: { ...a, shape: [m, k] }, b: { ...b, shape: [k, n] } },
    backend,
    attrs: { transposeA: false, transposeB: false },
  });
}

/** A copy of matrix `index` of a batched heap tensor, as its own [rows, cols] tensor. */
function copyMatrix(backend: WasmBackendInternals, x: TensorInfo, index: number, rows: number, cols: number): TensorInfo {
  const out = backend.makeOutput([rows, cols], 'float32');
  const size = rows * cols;
  heapF32(backend, out).set(heapF32(backend, x).subarray(index * size, (index + 1) * size));
  return out;
}

function batchedProduct(
  original: WasmKernelFunc,
  backend: WasmBackendInternals,
  a: TensorInfo,
  b: TensorInfo,
  plan: ProductPlan,
): TensorInfo {
  const { batchA, batchB, m, k, n } = plan;
  const batch = Math.max(batchA, batchB);
  const out = backend.makeOutput([batch * m * n], 'float32');
  for (let i = 0; i < batch; i++) {
    const ai = batchA === 1 ? a : copyMatrix(backend, a, i, m, k);
    const bi = batchB === 1 ? b : copyMatrix(backend, b, i, k, n);
    const p = plainProduct(original, backend, ai, bi, m, k, n);
    heapF32(backend, out).set(heapF32(backend, p), i * m * n);
    backend.disposeData(p.dataId);
    if (ai !== a) backend.disposeData(ai.dataId);
    if (bi !== b) backend.disposeData(bi.dataId);
  }
  return out;
}

// Relative costs per element, measured at n = 1024 on one thread: transposing (wasmTranspose.ts)
// ~1 ns; XNNPACK packing a fresh weight operand when it builds its operator ~3 ns. The product
// itself costs the same either way round.
const TRANSPOSE_COST = 1;
const PACK_COST = 3;

/** Right operands seen before (by data, which is what XNNPACK keys its packed operators on). */
const seenAsWeights = new WeakSet<object>();

/**
 * Which way to run a 2-D product A[m×k]·B[k×n] through XNNPACK, which streams its left operand
 * and packs its right one (cached per right-operand tensor):
 *   'direct':  A·B            transpose a and/or b first if they come transposed; pack B;
 *   'swapped': (Bᵀ·Aᵀ)ᵀ       a transposed operand is already the layout needed; pack Aᵀ,
 *                             transpose the m×n result.
 * A weight matrix used for the first time is packed once per step in training, so streaming it
 * and packing the small batch instead wins (n = 1024, batch 50: 2.5+2.8 ms → ~3 ms). A right
 * operand seen before is reused (evaluation with fixed weights): 'direct' caches its packing.
 */
export function chooseRoute(
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
  bSeen: boolean,
): 'direct' | 'swapped' {
  if (routeOverride) return routeOverride;
  const T = TRANSPOSE_COST;
  const direct = (transposeA ? T * m * k : 0) + (transposeB ? T * k * n : 0) + (bSeen && !transposeB ? 0 : PACK_COST * k * n);
  const swapped = (transposeA ? 0 : T * m * k) + (transposeB ? 0 : T * k * n) + PACK_COST * k * m + T * m * n;
  return swapped < direct ? 'swapped' : 'direct';
}

let routeOverride: 'direct' | 'swapped' | null = null;
/** Force one route for every 2-D product (tests cover both; null restores the cost model). */
export function setRouteOverride(route: 'direct' | 'swapped' | null): void {
  routeOverride = route;
}

/** A 2-D product (after folding a's batch into rows) by the cheaper route. */
function product2d(
  original: WasmKernelFunc,
  backend: WasmBackendInternals,
  a: TensorInfo,
  b: TensorInfo,
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
): TensorInfo {
  const bSeen = seenAsWeights.has(b.dataId);
  seenAsWeights.add(b.dataId);
  const temps: TensorInfo[] = [];
  const temp = (t: TensorInfo) => (temps.push(t), t);
  try {
    if (chooseRoute(m, k, n, transposeA, transposeB, bSeen) === 'direct') {
      const at = transposeA ? temp(transposeLastTwo(backend, a)) : a; // [m, k]
      const bt = transposeB ? temp(transposeLastTwo(backend, b)) : b; // [k, n]
      return plainProduct(original, backend, at, bt, m, k, n);
    }
    const aT = transposeA ? a : temp(transposeLastTwo(backend, { ...a, shape: [m, k] })); // [k, m]
    const bT = transposeB ? b : temp(transposeLastTwo(backend, { ...b, shape: [k, n] })); // [n, k]
    const p = temp(plainProduct(original, backend, bT, aT, n, k, m)); // [n, m]
    return transposeLastTwo(backend, { ...p, shape: [n, m] }); // [m, n]
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/** The replacement BatchMatMul kernel (attrs: transposeA, transposeB). */
export function makeBatchMatMulKernel(original: WasmKernelFunc): WasmKernelFunc {
  return (args: KernelArgs) => {
    const { backend } = args;
    const a = args.inputs.a as TensorInfo;
    const b = args.inputs.b as TensorInfo;
    const transposeA = Boolean(args.attrs.transposeA);
    const transposeB = Boolean(args.attrs.transposeB);
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return original(args);
    const plan = planProduct(a.shape, b.shape, transposeA, transposeB);
    if (plan === null || plan.m * plan.k * plan.n === 0) return original(args);
    const { batchA, batchB, m, k, n } = plan;
    let out: TensorInfo;
    if (batchB === 1 && (batchA === 1 || !transposeA)) {
      // 2-D, or a's batch folded into rows (possible while a is not transposed per batch entry).
      out = product2d(original, backend, a, b, batchA * m, k, n, transposeA, transposeB);
    } else if (batchB === 1 || m * k * n >= MIN_LOOP_WORK) {
      const at = transposeA ? transposeLastTwo(backend, a) : a;
      const bt = transposeB ? transposeLastTwo(backend, b) : b;
      try {
        out =
          batchB === 1
            ? plainProduct(original, backend, at, bt, batchA * m, k, n) // fold after the per-entry transpose
            : batchedProduct(original, backend, at, bt, plan);
      } finally {
        if (at !== a) backend.disposeData(at.dataId);
        if (bt !== b) backend.disposeData(bt.dataId);
      }
    } else {
      return original(args); // many tiny products: the naive loop has less overhead
    }
    return { dataId: out.dataId, shape: plan.outShape, dtype: 'float32' };
  };
}

/**
 * The replacement _FusedMatMul kernel (tf.fused.matMul, tf.layers dense): transposed 2-D operands
 * are materialised, then the original runs with both flags off (its XNNPACK path, bias and
 * activation included). Batched fused products keep the original kernel.
 */
export function makeFusedMatMulKernel(original: WasmKernelFunc): WasmKernelFunc {
  return (args: KernelArgs) => {
    const { backend } = args;
    const a = args.inputs.a as TensorInfo;
    const b = args.inputs.b as TensorInfo;
    const transposeA = Boolean(args.attrs.transposeA);
    const transposeB = Boolean(args.attrs.transposeB);
    // The fused op always passes rank-3 operands.
    const unbatched = a.shape.length === 3 && b.shape.length === 3 && a.shape[0] === 1 && b.shape[0] === 1;
    if (!(transposeA || transposeB) || !unbatched || a.dtype !== 'float32' || b.dtype !== 'float32') {
      return original(args);
    }
    const at = transposeA ? transposeLastTwo(backend, a) : a;
    const bt = transposeB ? transposeLastTwo(backend, b) : b;
    try {
      return original({
        ...args,
        inputs: { ...args.inputs, a: at, b: bt },
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      });
    } finally {
      if (at !== a) backend.disposeData(at.dataId);
      if (bt !== b) backend.disposeData(bt.dataId);
    }
  };
}
