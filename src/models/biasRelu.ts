// relu(x + b) for a hidden layer: one fused kernel forward and one per input gradient on cpu and
// wasm (src/backend/kernels/biasRelu.ts, bit-identical to the tensor ops), the tensor ops
// tf.relu(tf.add(x, b)) elsewhere. Each gradient is computed only when the tape asks for it.
import * as tf from '@tensorflow/tfjs';
import { biasReluFusedAvailable, BIAS_RELU_KERNEL, RELU_BIAS_GRAD_KERNEL, RELU_GRAD_KERNEL } from '../backend/kernels/biasRelu';
import { runLazyGradOp } from '../structured/lazyGradOp';

/** relu(x + b) for x [rows, n] and b [n] (b null: relu(x)). */
export function biasRelu(x: tf.Tensor2D, b: tf.Tensor1D | null): tf.Tensor2D {
  if (!b || !biasReluFusedAvailable()) return tf.relu(b ? tf.add(x, b) : x) as tf.Tensor2D;
  const run = (name: string, inputs: Record<string, tf.Tensor>) => tf.engine().runKernel(name, inputs) as tf.Tensor;
  return runLazyGradOp(
    (_backend, save) => {
      const y = run(BIAS_RELU_KERNEL, { x, b });
      save([y]);
      return y;
    },
    (dy, [y]) => ({
      0: () => run(RELU_GRAD_KERNEL, { dy, y }),
      1: () => run(RELU_BIAS_GRAD_KERNEL, { dy, y }),
    }),
    { 0: x, 1: b },
  ) as tf.Tensor2D;
}
