// Kernels the wasm backend of tfjs 4.22 lacks and ldr's models need, registered at start-up
// (backend/wasm.ts calls registerWasmKernels). Each is tested against the cpu backend.
//   Conv2DBackpropFilter  the CNN's filter gradient
//   UnsortedSegmentSum    the gradient of the LSTM's embedding lookup (tf.gather)
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc } from '@tensorflow/tfjs';
import { conv2dBackpropFilterWasm } from './conv2dBackpropFilter';
import { unsortedSegmentSumWasm } from './unsortedSegmentSum';
import type { WasmKernelFunc } from '../wasmInternals';

const KERNELS: Record<string, WasmKernelFunc> = {
  Conv2DBackpropFilter: conv2dBackpropFilterWasm,
  UnsortedSegmentSum: unsortedSegmentSumWasm,
};

/** Register the missing kernels for 'wasm' (idempotent; a kernel the backend has is left alone). */
export function registerWasmKernels(): void {
  for (const [kernelName, fn] of Object.entries(KERNELS)) {
    if (tf.getKernel(kernelName, 'wasm')) continue;
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: fn as unknown as KernelFunc });
  }
}

export const WASM_KERNEL_NAMES = Object.keys(KERNELS);
