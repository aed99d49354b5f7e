// The webgpu backend cannot read a tensor synchronously in Node (its readSync goes through an
// OffscreenCanvas, which Node lacks). An asynchronous read leaves the values cached with the
// tensor, after which dataSync() returns them without touching the device, so code that reads
// on the host awaits this first. On the other backends it does nothing.
import * as tf from '@tensorflow/tfjs';

export async function readableOnHost(tensors: tf.Tensor[]): Promise<void> {
  if (tf.getBackend() !== 'webgpu') return;
  await Promise.all(tensors.map((t) => t.data()));
}
