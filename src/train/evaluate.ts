// Loss and accuracy: the cross-entropy the trainer minimises, and a batched evaluation of a split.
import * as tf from '@tensorflow/tfjs';
import type { Split } from '../data/types';

/** Anything the trainer can train: logits for a batch, and its trainable tensors by stable name. */
export interface TrainableModel {
  logits(x: tf.Tensor2D): tf.Tensor2D;
  variables(): Record<string, tf.Variable>;
}

/** Mean softmax cross-entropy of logits [b, k] against integer labels [b]. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const logp = tf.logSoftmax(logits);
    const picked = tf.sum(tf.mul(tf.oneHot(labels, logits.shape[1]), logp), 1);
    return tf.neg(tf.mean(picked)) as tf.Scalar;
  });
}

/** Number of rows whose arg-max logit is the label (a 0-d tensor). */
export function correctCount(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32')) as tf.Scalar);
}

/** Rows [start, end) of a split, as tensors. */
export function sliceSplit(split: Split, features: number, start: number, end: number): { x: tf.Tensor2D; y: tf.Tensor1D } {
  return {
    x: tf.tensor2d(split.x.subarray(start * features, end * features), [end - start, features]),
    y: tf.tensor1d(split.y.subarray(start, end), 'int32'),
  };
}

/** Mean loss and accuracy of the model on a whole split, in chunks of `batchSize` rows. */
export async function evaluate(
  model: TrainableModel,
  split: Split,
  features: number,
  batchSize = 1000,
  /** Called after each chunk (long evaluations keep the run's lock heartbeat alive with it). */
  onChunk?: () => void,
): Promise<{ loss: number; acc: number }> {
  if (split.count === 0) return { loss: NaN, acc: NaN };
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < split.count; start += batchSize) {
    const end = Math.min(split.count, start + batchSize);
    const [l, c] = await chunkStats(model, split, features, start, end);
    lossSum += l;
    correct += c;
    onChunk?.();
  }
  return { loss: lossSum / split.count, acc: correct / split.count };
}

/** Summed loss and correct count of rows [start, end) of a split (one chunk of `evaluate`). */
export async function chunkStats(model: TrainableModel, split: Split, features: number, start: number, end: number): Promise<[number, number]> {
  const stats = tf.tidy(() => {
    const { x, y } = sliceSplit(split, features, start, end);
    const logits = model.logits(x);
    return tf.stack([tf.mul(crossEntropy(logits, y), end - start), correctCount(logits, y)]);
  });
  const [l, c] = await stats.data();
  stats.dispose();
  return [l, c];
}
