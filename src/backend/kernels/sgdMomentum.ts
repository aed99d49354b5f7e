// One SGD-with-momentum update as a single pass over weight, velocity and gradient (cpu and wasm).
// The tensor-op form (src/train/optimizer.ts) makes four passes and four temporaries per
// variable: v' = v·μ + g, then p' = p − lr·v'. This kernel computes the same float32 operations in
// the same order, each rounded to float32 exactly as the separate kernels round them
// (Math.fround of a product or sum of two float32 values is the correctly rounded float32 result:
// float64 has more than 2·24 + 2 bits), so the results are bit-identical to the op-by-op path.
// The new weight is always a new tensor: weight data is shared by clones and keyed on by
// XNNPACK's packed-operator cache, so it must never change in place. The velocity is the
// optimizer's private state: when nothing else holds its buffer (refcount 1) it is updated in
// place and returned as the output (as Reshape returns its input's buffer), which saves a 4 MB
// allocation per step at n = 1024; otherwise it too goes to a new tensor.
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { heapF32, type KernelArgs, type WasmBackendInternals } from '../wasmInternals';
import { sgdSimdFor } from './sgdMomentumSimd';

export const SGD_MOMENTUM_KERNEL = 'LdrSgdMomentum';

export interface SgdMomentumAttrs {
  lr: number;
  momentum: number;
  /** The caller owns v and lets the kernel update it in place when nothing else holds its buffer. */
  velocityInPlace?: boolean;
}

/** vOut = fl(fl(μ·v) + g);  pOut = fl(p − fl(lr·vOut)), elementwise, all in float32. */
export function sgdMomentumUpdate(
  p: Float32Array,
  v: Float32Array,
  g: Float32Array,
  pOut: Float32Array,
  vOut: Float32Array,
  lr: number,
  momentum: number,
): void {
  // The scalars as the tensor ops see them: float32 scalar tensors.
  const mu = Math.fround(momentum);
  const l = Math.fround(lr);
  const n = p.length;
  for (let i = 0; i < n; i++) {
    const vi = Math.fround(Math.fround(mu * v[i]) + g[i]);
    vOut[i] = vi;
    pOut[i] = Math.fround(p[i] - Math.fround(l * vi));
  }
}

function checkInputs(p: TensorInfo, v: TensorInfo, g: TensorInfo): void {
  for (const t of [p, v, g]) if (t.dtype !== 'float32') throw new Error(`${SGD_MOMENTUM_KERNEL}: float32 only, got ${t.dtype}`);
  const size = (t: TensorInfo) => t.shape.reduce((a, b) => a * b, 1);
  if (size(v) !== size(p) || size(g) !== size(p)) throw new Error(`${SGD_MOMENTUM_KERNEL}: shapes differ (${p.shape} / ${v.shape} / ${g.shape})`);
}

interface RefCounted {
  incRef(dataId: object): void;
}

/** v itself (refcount + 1) when only v holds its buffer, else a fresh tensor from `make`. */
function velocityOutput(v: TensorInfo, inPlace: boolean, refCount: number, backend: RefCounted, make: () => TensorInfo): TensorInfo {
  if (!inPlace || refCount !== 1) return make();
  backend.incRef(v.dataId);
  return { dataId: v.dataId, shape: v.shape, dtype: v.dtype };
}

function sgdMomentumWasm(args: KernelArgs): TensorInfo[] {
  const { p, v, g } = args.inputs as Record<'p' | 'v' | 'g', TensorInfo>;
  checkInputs(p, v, g);
  const { lr, momentum, velocityInPlace } = args.attrs as unknown as SgdMomentumAttrs;
  const backend = args.backend as KernelArgs['backend'] & RefCounted & { dataIdMap: { get(id: object): { refCount: number } } };
  const pOut = args.backend.makeOutput(p.shape, 'float32');
  const vOut = velocityOutput(v, Boolean(velocityInPlace), backend.dataIdMap.get(v.dataId).refCount, backend, () => args.backend.makeOutput(p.shape, 'float32'));
  // Views only after the last makeOutput (it may grow the heap and detach earlier views).
  const b = args.backend;
  const [P, V, G, PO, VO] = [p, v, g, pOut, vOut].map((t) => heapF32(b, t));
  // The SIMD loop takes whole vectors of 4; the JS loop does the rest (or all, without SIMD).
  const memory = (b as WasmBackendInternals & { wasm: { asm?: { memory?: object } } }).wasm.asm?.memory;
  const simd = memory ? sgdSimdFor(memory) : null;
  const n4 = simd ? P.length - (P.length % 4) : 0;
  if (simd && n4 > 0) simd(P.byteOffset, V.byteOffset, G.byteOffset, PO.byteOffset, VO.byteOffset, n4 * 4, lr, momentum);
  if (n4 < P.length) sgdMomentumUpdate(P.subarray(n4), V.subarray(n4), G.subarray(n4), PO.subarray(n4), VO.subarray(n4), lr, momentum);
  return [pOut, vOut];
}

interface CpuBackendInternals extends RefCounted {
  data: { get(dataId: object): { values: Float32Array; refCount: number } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

function sgdMomentumCpu(args: { inputs: Record<string, TensorInfo>; backend: CpuBackendInternals; attrs: Record<string, unknown> }): TensorInfo[] {
  const { p, v, g } = args.inputs;
  checkInputs(p, v, g);
  const { lr, momentum, velocityInPlace } = args.attrs as unknown as SgdMomentumAttrs;
  const values = (t: TensorInfo) => args.backend.data.get(t.dataId).values;
  const size = values(p).length;
  const pOut = new Float32Array(size);
  const vInfo = velocityOutput(v, Boolean(velocityInPlace), args.backend.data.get(v.dataId).refCount, args.backend, () =>
    args.backend.makeTensorInfo(p.shape, 'float32', new Float32Array(size)),
  );
  sgdMomentumUpdate(values(p), values(v), values(g), pOut, values(vInfo), lr, momentum);
  return [args.backend.makeTensorInfo(p.shape, 'float32', pOut), vInfo];
}

/** Register the kernel for cpu and wasm (idempotent). */
export function registerSgdMomentumKernels(): void {
  if (!tf.getKernel(SGD_MOMENTUM_KERNEL, 'wasm')) {
    tf.registerKernel({ kernelName: SGD_MOMENTUM_KERNEL, backendName: 'wasm', kernelFunc: sgdMomentumWasm as unknown as KernelFunc });
  }
  if (!tf.getKernel(SGD_MOMENTUM_KERNEL, 'cpu')) {
    tf.registerKernel({ kernelName: SGD_MOMENTUM_KERNEL, backendName: 'cpu', kernelFunc: sgdMomentumCpu as unknown as KernelFunc });
  }
}

/**
 * [p', v'] by the fused kernel where the running backend has it, else null (the caller falls
 * back to tensor ops). The caller owns both results.
 */
export function sgdMomentumFused(p: tf.Tensor, v: tf.Tensor, g: tf.Tensor, attrs: SgdMomentumAttrs): [tf.Tensor, tf.Tensor] | null {
  if (!fusedEnabled || !tf.getKernel(SGD_MOMENTUM_KERNEL, tf.getBackend())) return null;
  const out = tf.engine().runKernel(SGD_MOMENTUM_KERNEL, { p, v, g }, { ...attrs }) as unknown as tf.Tensor[];
  return [out[0], out[1]];
}

let fusedEnabled = true;
/** Turn the fused update off (benchmarks measure both; tests compare both). */
export function setFusedOptimizer(on: boolean): void {
  fusedEnabled = on;
}
