// relu(x + b) and its gradient as single passes on cpu and wasm (the hidden layer of every
// model: x [rows, n], bias b [n] broadcast over rows). The tensor-op form runs Add and Relu
// forward, and Step, Cast, Multiply and a transposing Sum backward; these kernels compute the
// same float32 values in the same order, so results are bit-identical to that path:
//   LdrBiasRelu          y = relu(fl(x + b))          (Add rounds to float32; relu selects)
//   LdrReluGrad          dz = dy · step(y)            (step(y) = step(x + b): y > 0 ⟺ x + b > 0,
//                                                      NaN ⟺ NaN; dy·1 and dy·0 are exact)
//   LdrReluBiasGrad      db[j] = Σ_rows dz[·, j]      summed in row order, as each backend's
//                                                      Sum sums the transposed column: float32
//                                                      accumulator on wasm, float64 then one
//                                                      rounding on cpu
// Relu is Math.max(0, v) on both backends (−0 → 0, NaN stays NaN), as their Relu kernels do.
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { heapF32, type KernelArgs, type WasmBackendInternals } from '../wasmInternals';
import { biasReluSimdFor, type BiasReluSimd } from './biasReluSimd';

export const BIAS_RELU_KERNEL = 'LdrBiasRelu';
export const RELU_GRAD_KERNEL = 'LdrReluGrad';
export const RELU_BIAS_GRAD_KERNEL = 'LdrReluBiasGrad';

type Backend = 'cpu' | 'wasm';

export function biasReluForward(x: Float32Array, b: Float32Array, y: Float32Array): void {
  const n = b.length;
  for (let base = 0; base < x.length; base += n) {
    for (let j = 0; j < n; j++) y[base + j] = Math.max(0, Math.fround(x[base + j] + b[j]));
  }
}

/** dy·step(y): NaN where y is NaN, dy·1 where y > 0, dy·0 (±0, or NaN for infinite dy) else. */
export function reluGrad(dy: Float32Array, y: Float32Array, dz: Float32Array): void {
  for (let i = 0; i < dy.length; i++) {
    const v = y[i];
    dz[i] = dy[i] * (v !== v ? NaN : v > 0 ? 1 : 0);
  }
}

/** Column sums of dy·step(y) over the rows, in row order; float32 or float64 accumulator. */
export function reluBiasGrad(dy: Float32Array, y: Float32Array, db: Float32Array, accumulator: 'float32' | 'float64'): void {
  const n = db.length;
  const acc = new Float64Array(n);
  const f32 = accumulator === 'float32';
  for (let base = 0; base < dy.length; base += n) {
    for (let j = 0; j < n; j++) {
      const v = y[base + j];
      const s = acc[j] + dy[base + j] * (v !== v ? NaN : v > 0 ? 1 : 0);
      acc[j] = f32 ? Math.fround(s) : s;
    }
  }
  db.set(acc);
}

function checkShapes(kernel: string, a: TensorInfo, b: TensorInfo, sameShape: boolean): void {
  for (const t of [a, b]) if (t.dtype !== 'float32') throw new Error(`${kernel}: float32 only, got ${t.dtype}`);
  const last = a.shape[a.shape.length - 1];
  const ok = sameShape ? a.shape.join() === b.shape.join() : b.shape.length === 1 && b.shape[0] === last;
  if (a.shape.length < 1 || !ok) throw new Error(`${kernel}: shapes do not fit (${a.shape} / ${b.shape})`);
}

// ---- wasm: the SIMD loops of biasReluSimd.ts where rows are whole vectors, else the JS loops,
// over the heap views (makeOutput first: it may grow, and so detach, the heap).

/** The SIMD loops when they serve rows of n floats, else null. */
function simdFor(backend: WasmBackendInternals, n: number): BiasReluSimd | null {
  if (n % 4 !== 0 || !simdEnabled) return null;
  const memory = (backend as WasmBackendInternals & { wasm: { asm?: { memory?: object } } }).wasm.asm?.memory;
  return memory ? biasReluSimdFor(memory) : null;
}

function biasReluWasm(args: KernelArgs): TensorInfo {
  const { x, b } = args.inputs as Record<'x' | 'b', TensorInfo>;
  checkShapes(BIAS_RELU_KERNEL, x, b, false);
  const out = args.backend.makeOutput([...x.shape], 'float32');
  const [X, B, Y] = [x, b, out].map((t) => heapF32(args.backend, t));
  const simd = simdFor(args.backend, B.length);
  if (simd && X.length > 0) simd.biasRelu(X.byteOffset, B.byteOffset, Y.byteOffset, B.byteLength, X.byteLength);
  else biasReluForward(X, B, Y);
  return out;
}

function reluGradWasm(args: KernelArgs): TensorInfo {
  const { dy, y } = args.inputs as Record<'dy' | 'y', TensorInfo>;
  checkShapes(RELU_GRAD_KERNEL, dy, y, true);
  const out = args.backend.makeOutput([...dy.shape], 'float32');
  const [DY, Y, DZ] = [dy, y, out].map((t) => heapF32(args.backend, t));
  const simd = simdFor(args.backend, DY.length);
  if (simd && DY.length > 0) simd.reluGrad(DY.byteOffset, Y.byteOffset, DZ.byteOffset, DY.byteLength);
  else reluGrad(DY, Y, DZ);
  return out;
}

function reluBiasGradWasm(args: KernelArgs): TensorInfo {
  const { dy, y } = args.inputs as Record<'dy' | 'y', TensorInfo>;
  checkShapes(RELU_BIAS_GRAD_KERNEL, dy, y, true);
  const out = args.backend.makeOutput([dy.shape[dy.shape.length - 1]], 'float32');
  const [DY, Y, DB] = [dy, y, out].map((t) => heapF32(args.backend, t));
  const simd = simdFor(args.backend, DB.length);
  if (simd && DY.length > 0) {
    DB.fill(0);
    simd.reluBiasGrad(DY.byteOffset, Y.byteOffset, DB.byteOffset, DB.byteLength, DY.byteLength);
  } else {
    reluBiasGrad(DY, Y, DB, 'float32');
  }
  return out;
}

let simdEnabled = true;
/** Use the JS loops on wasm too (tests compare both). */
export function setBiasReluSimd(on: boolean): void {
  simdEnabled = on;
}

// ---- cpu: the backend's own arrays.

interface CpuArgs {
  inputs: Record<string, TensorInfo>;
  backend: {
    data: { get(dataId: object): { values: Float32Array } };
    makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
  };
}

function biasReluCpu({ inputs, backend }: CpuArgs): TensorInfo {
  const { x, b } = inputs;
  checkShapes(BIAS_RELU_KERNEL, x, b, false);
  const xs = backend.data.get(x.dataId).values;
  const out = new Float32Array(xs.length);
  biasReluForward(xs, backend.data.get(b.dataId).values, out);
  return backend.makeTensorInfo([...x.shape], 'float32', out);
}

function reluGradCpu({ inputs, backend }: CpuArgs): TensorInfo {
  const { dy, y } = inputs;
  checkShapes(RELU_GRAD_KERNEL, dy, y, true);
  const dys = backend.data.get(dy.dataId).values;
  const out = new Float32Array(dys.length);
  reluGrad(dys, backend.data.get(y.dataId).values, out);
  return backend.makeTensorInfo([...dy.shape], 'float32', out);
}

function reluBiasGradCpu({ inputs, backend }: CpuArgs): TensorInfo {
  const { dy, y } = inputs;
  checkShapes(RELU_BIAS_GRAD_KERNEL, dy, y, true);
  const n = dy.shape[dy.shape.length - 1];
  const out = new Float32Array(n);
  reluBiasGrad(backend.data.get(dy.dataId).values, backend.data.get(y.dataId).values, out, 'float64');
  return backend.makeTensorInfo([n], 'float32', out);
}

const KERNELS: Record<string, Record<Backend, unknown>> = {
  [BIAS_RELU_KERNEL]: { wasm: biasReluWasm, cpu: biasReluCpu },
  [RELU_GRAD_KERNEL]: { wasm: reluGradWasm, cpu: reluGradCpu },
  [RELU_BIAS_GRAD_KERNEL]: { wasm: reluBiasGradWasm, cpu: reluBiasGradCpu },
};

/** Register the three kernels for cpu and wasm (idempotent). */
export function registerBiasReluKernels(): void {
  for (const [kernelName, byBackend] of Object.entries(KERNELS)) {
    for (const [backendName, fn] of Object.entries(byBackend)) {
      if (!tf.getKernel(kernelName, backendName)) tf.registerKernel({ kernelName, backendName, kernelFunc: fn as KernelFunc });
    }
  }
}

let fusedEnabled = true;
/** Turn the fused kernels off (benchmarks and tests compare both). */
export function setFusedBiasRelu(on: boolean): void {
  fusedEnabled = on;
}

/** Whether the running backend has the fused kernels (and they are on). */
export function biasReluFusedAvailable(): boolean {
  if (!fusedEnabled) return false;
  registerBiasReluKernels();
  return tf.getKernel(BIAS_RELU_KERNEL, tf.getBackend()) !== undefined;
}
