// Identity on wasm without a copy. TF.js's engine clones every input a kernel saves for its
// gradient (Engine.saveTensorsForBackwardMode → clone → Identity); the cpu backend's Identity
// shares the data (refcount + 1), but tfjs-backend-wasm 4.22's copies it, so every training step
// copied each weight matrix once (4 MB and ~0.3 ms for n = 1024). Sharing is what wasm's own
// Reshape already does: tensor data is never written in place once made (the fused optimizer
// writes new outputs, kernels/sgdMomentum.ts), so a shared buffer is indistinguishable from a copy.
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { KernelArgs, WasmBackendInternals } from '../wasmInternals';

interface RefCounting extends WasmBackendInternals {
  incRef(dataId: object): void;
}

export function sharedIdentityWasm(args: KernelArgs): TensorInfo {
  const x = args.inputs.x as TensorInfo;
  (args.backend as RefCounting).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

let original: KernelConfig | null = null;

/** Replace wasm's copying Identity (idempotent; tfjs-backend-wasm must be loaded). */
export function installSharedIdentity(): void {
  if (original) return;
  const k = tf.getKernel('Identity', 'wasm');
  if (!k) throw new Error('wasm kernel Identity is not registered (is @tensorflow/tfjs-backend-wasm loaded?)');
  original = k;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({ ...k, kernelFunc: sharedIdentityWasm as unknown as KernelFunc });
}

/** Put the copying kernel back (tests compare both). */
export function removeSharedIdentity(): void {
  if (!original) return;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel(original);
  original = null;
}
