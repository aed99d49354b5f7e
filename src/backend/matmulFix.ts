// Install / remove the wasm kernel replacements (wasmMatmul.ts, wasmTranspose.ts) in TF.js's
// global kernel registry. Relies on the kernel names 'BatchMatMul', '_FusedMatMul', 'Transpose'
// and on the wasm kernels' configs as tfjs-backend-wasm 4.22.0 registers them on import.
//
// Each replacement keeps the original's setupFunc: the engine runs setup functions when the wasm
// backend initialises, and the original kernelFunc (which the replacement calls) needs its setup.
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import { makeBatchMatMulKernel, makeFusedMatMulKernel } from './wasmMatmul';
import { makeTransposeKernel } from './wasmTranspose';
import type { WasmKernelFunc } from './wasmInternals';

const REPLACEMENTS: Record<string, (original: WasmKernelFunc) => WasmKernelFunc> = {
  BatchMatMul: makeBatchMatMulKernel,
  _FusedMatMul: makeFusedMatMulKernel,
  Transpose: makeTransposeKernel,
};

/** The wasm backend's own kernel configs, kept while the replacements are installed. */
const originals = new Map<string, KernelConfig>();

export function matmulFixInstalled(): boolean {
  return originals.size > 0;
}

/** Replace the wasm kernels (idempotent). Requires '@tensorflow/tfjs-backend-wasm' to be loaded. */
export function installMatmulFix(): void {
  if (matmulFixInstalled()) return;
  for (const [name, make] of Object.entries(REPLACEMENTS)) {
    const original = tf.getKernel(name, 'wasm');
    if (!original) throw new Error(`wasm kernel ${name} is not registered (is @tensorflow/tfjs-backend-wasm loaded?)`);
    originals.set(name, original);
    tf.unregisterKernel(name, 'wasm');
    const kernelFunc = make(original.kernelFunc as unknown as WasmKernelFunc) as unknown as KernelFunc;
    tf.registerKernel({ ...original, kernelFunc });
  }
}

/** Put the original wasm kernels back (for measuring the fix's gain). */
export function removeMatmulFix(): void {
  for (const [name, original] of originals) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(original);
  }
  originals.clear();
}
