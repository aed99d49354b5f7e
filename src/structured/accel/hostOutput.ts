// A float32 tensor made from doubles without a fresh host array: on wasm the values go straight
// into a tensor allocated on the backend's heap (a new 200 KB Float32Array costs ~0.17 ms of page
// faults, more than the copy), elsewhere through tf.tensor. Values round to float32 as a
// Float32Array store does.
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';

interface HeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
}

export function float32Tensor(values: Float64Array, shape: number[]): tf.Tensor {
  if (tf.getBackend() === 'wasm') {
    const backend = tf.backend() as unknown as HeapBackend;
    const info = backend.makeOutput(shape, 'float32');
    // The view only after makeOutput: it may grow (and so detach) the heap.
    backend.typedArrayFromHeap(info).set(values);
    return tf.engine().makeTensorFromTensorInfo(info);
  }
  return tf.tensor(Float32Array.from(values), shape, 'float32');
}
