// A tensor's float32 values for a typed-array kernel to read at once, without a copy where the
// backend allows: on wasm a view of the backend's heap (dataSync would copy it into a fresh
// ArrayBuffer, which at 4–16 MB per Krylov gradient cost more than the adjoint itself: page
// faults and garbage collection), on cpu the backend's own array (its dataSync returns it).
// The view is valid only while the tensor lives and until the backend next allocates (wasm may
// grow, and so detach, its heap): read or copy it before creating any other tensor.
import * as tf from '@tensorflow/tfjs';

interface HeapBackend {
  typedArrayFromHeap(info: { dataId: object; shape: number[]; dtype: string }): Float32Array;
}

export function readNoCopy(t: tf.Tensor): Float32Array {
  if (t.dtype === 'float32' && tf.getBackend() === 'wasm') {
    return (tf.backend() as unknown as HeapBackend).typedArrayFromHeap({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });
  }
  return t.dataSync() as Float32Array;
}
