// Mean next-word cross-entropy for a large vocabulary, fused: the generic crossEntropy
// (evaluate.ts) builds a one-hot [N, V] matrix and runs logSoftmax whose gradient exponentiates
// again; at V = 10,000 that was a third of a PTB training step on wasm. Here:
//   loss = mean_i (logsumexp(z_i) − z_i[t_i]);   dL/dz = (softmax(z) − onehot(t)) / N
// with one exponential pass forward and one backward.
import * as tf from '@tensorflow/tfjs';

export function sparseCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  const [n, v] = logits.shape;
  const fused = tf.customGrad(((z: tf.Tensor, save: tf.GradSaveFunc) => {
    const lse = tf.logSumExp(z, 1, true); // [N, 1]
    const rows = tf.mul(tf.range(0, n, 1, 'int32'), tf.scalar(v, 'int32'));
    const picked = tf.gather(tf.reshape(z, [n * v]), tf.add(rows, targets)); // z_i[t_i]
    save([z, lse]);
    const value = tf.div(tf.sum(tf.sub(tf.reshape(lse, [n]), picked)), n) as tf.Scalar;
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor => {
      const [zs, l] = saved;
      const softmax = tf.exp(tf.sub(zs, l));
      return tf.mul(tf.sub(softmax, tf.oneHot(targets, v)), tf.div(dy, n));
    };
    return { value, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return fused(logits) as tf.Scalar;
}
