// The single-hidden-layer model of docs/method.md §3 (P1 Table 1):
//   x ∈ ℝⁿ → structured n×n + bias → ReLU → dense n→classes (+ bias) → logits.
import * as tf from '@tensorflow/tfjs';
import { createMatrix } from '../structured/create';
import type { ClassOptions } from '../structured/types';
import type { Rng } from '../util/random';
import { uniformVariable } from './init';
import { StructuredLayer } from './structuredLayer';

export { StructuredLayer };

export interface ShlInit {
  /** Input size = hidden size n. */
  n: number;
  classes: number;
  className: string;
  rank: number;
  bias?: boolean;
  options?: ClassOptions;
  rng: Rng;
}

export class ShlModel {
  readonly hidden: StructuredLayer;
  /** Classifier weight [n, classes] (stored input-major so the forward is a plain matMul). */
  readonly classifierW: tf.Variable;
  readonly classifierB: tf.Variable;

  constructor(readonly init: ShlInit) {
    const { n, classes, rng } = init;
    const matrix = createMatrix(init.className, {
      n,
      rank: init.rank,
      rng: rng.fork(),
      options: init.options,
    });
    this.hidden = new StructuredLayer(matrix, init.bias ?? true);
    // PyTorch nn.Linear's default init (as the reference): U(-1/√n, 1/√n).
    const cr = rng.fork();
    this.classifierW = uniformVariable(cr, [n, classes], { fanIn: n });
    this.classifierB = uniformVariable(cr, [classes], { fanIn: n });
  }

  /** Logits [b, classes] for inputs [b, n]. */
  logits(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const h = this.hidden.applyRelu(x);
      return tf.add(tf.matMul(h, this.classifierW), this.classifierB);
    });
  }

  /** Every trainable tensor by stable name (checkpoints and optimizers key on these). */
  variables(): Record<string, tf.Variable> {
    return { ...this.hidden.variables(), 'classifier.W': this.classifierW, 'classifier.b': this.classifierB };
  }

  /** Parameter counts as P1 reports them: the structured matrix alone, and the whole model. */
  paramCounts(): { structured: number; hiddenBias: number; classifier: number; total: number } {
    const structured = this.hidden.matrix.paramCount();
    const hiddenBias = this.hidden.bias ? this.hidden.bias.size : 0;
    const classifier = this.classifierW.size + this.classifierB.size;
    return { structured, hiddenBias, classifier, total: structured + hiddenBias + classifier };
  }

  dispose(): void {
    this.hidden.dispose();
    this.classifierW.dispose();
    this.classifierB.dispose();
  }
}
