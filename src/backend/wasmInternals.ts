// What ldr relies on inside @tensorflow/tfjs-backend-wasm 4.22.0 (pinned exactly in package.json).
// Kernel replacements (wasmTranspose.ts, wasmMatmul.ts) call these members of the BackendWasm
// instance, as the package's own kernels do (see its dist/backend_wasm.js):
//   makeOutput(shape, dtype)   allocates a tensor on the wasm heap (may grow the heap, which
//                              detaches earlier views: take views only after the last allocation);
//   typedArrayFromHeap(info)   a live view of a tensor's bytes on the heap;
//   disposeData(dataId)        releases a temporary made with makeOutput;
//   wasm.tfjs.getThreadsCount  the thread count XNNPACK runs with.
import type { DataId, DataType, TensorInfo } from '@tensorflow/tfjs';

export interface WasmBackendInternals {
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: DataId): boolean;
  wasm: { tfjs: { getThreadsCount(): number } };
}

/** The kernel-function argument as the engine passes it (inputs and attrs by kernel name). */
export interface KernelArgs {
  inputs: Record<string, TensorInfo | undefined>;
  backend: WasmBackendInternals;
  attrs: Record<string, unknown>;
}

export type WasmKernelFunc = (args: KernelArgs) => TensorInfo;

/** A float32 view of a tensor on the wasm heap. */
export function heapF32(backend: WasmBackendInternals, info: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

export function sizeOf(shape: readonly number[]): number {
  let s = 1;
  for (const d of shape) s *= d;
  return s;
}
