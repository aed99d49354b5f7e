// A TF.js op with hand-written forward and lazily evaluated per-input gradients.
// tf.customGrad computes every input's gradient eagerly; the engine's kernel-function entry (what
// customGrad itself calls; private in the typings, stable with tfjs pinned to 4.22.0) takes one
// gradient function per input and calls only those the tape needs — so, e.g., dX is never
// computed for a first layer fed with data.
import * as tf from '@tensorflow/tfjs';

export type LazyGrads = Record<string, () => tf.Tensor>;

interface KernelFuncEngine {
  runKernelFunc(params: {
    forwardFunc: (backend: unknown, save: (tensors: tf.Tensor[]) => void) => tf.Tensor;
    backwardsFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => LazyGrads;
    inputs: Record<string, tf.Tensor>;
  }): tf.Tensor;
}

export function runLazyGradOp(
  forwardFunc: (backend: unknown, save: (tensors: tf.Tensor[]) => void) => tf.Tensor,
  backwardsFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => LazyGrads,
  inputs: Record<string, tf.Tensor>,
): tf.Tensor {
  return (tf.engine() as unknown as KernelFuncEngine).runKernelFunc({ forwardFunc, backwardsFunc, inputs });
}
