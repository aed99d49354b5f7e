// The structured layer every model uses (SHL's hidden layer, the CNN's last layer, the LSTM's
// input-to-hidden matrix): a structured matrix of src/structured plus an optional bias.
import * as tf from '@tensorflow/tfjs';
import type { StructuredMatrix } from '../structured/types';
import { biasRelu } from './biasRelu';

/** A structured matrix plus an optional bias: y = x Mᵀ + b. */
export class StructuredLayer {
  readonly bias: tf.Variable | null;
  constructor(
    readonly matrix: StructuredMatrix,
    withBias: boolean,
  ) {
    // tidy: tf.variable keeps its own reference; the initial tensor must not outlive the constructor.
    this.bias = withBias ? tf.tidy(() => tf.variable(tf.zeros([matrix.m]), true)) : null;
  }
  apply(x: tf.Tensor2D): tf.Tensor2D {
    const y = this.matrix.apply(x);
    return this.bias ? tf.add(y, this.bias) : y;
  }
  /** relu(x Mᵀ + b), the bias and ReLU fused into one pass where the backend allows (biasRelu.ts). */
  applyRelu(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => biasRelu(this.matrix.apply(x), this.bias as tf.Tensor1D | null));
  }
  /** Trainable tensors by name: the matrix's, then the bias. */
  variables(): Record<string, tf.Variable> {
    const vars: Record<string, tf.Variable> = {};
    for (const [k, v] of Object.entries(this.matrix.variables)) vars[`hidden.${k}`] = v;
    if (this.bias) vars['hidden.bias'] = this.bias;
    return vars;
  }
  dispose(): void {
    this.matrix.dispose();
    this.bias?.dispose();
  }
}
