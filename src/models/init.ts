// Initial values of the models' dense weights, drawn from the model's seeded generator.
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../util/random';

/**
 * A trainable tensor of the given shape, filled with U(−bound, bound) in row-major order.
 * `{ fanIn }` is PyTorch's default for conv and linear layers (as the reference): bound = 1/√fan_in;
 * `{ bound }` gives the bound itself (the LSTM's embedding and decoder: 0.1).
 */
export function uniformVariable(rng: Rng, shape: number[], range: { bound: number } | { fanIn: number }): tf.Variable {
  const bound = 'bound' in range ? range.bound : 1 / Math.sqrt(range.fanIn);
  const size = shape.reduce((a, b) => a * b, 1);
  // tidy: tf.variable keeps its own reference; the initial tensor must not outlive this call.
  return tf.tidy(() => tf.variable(tf.tensor(rng.uniformArray(size, -bound, bound), shape), true));
}
