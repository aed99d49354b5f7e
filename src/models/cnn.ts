// The CNN of docs/method.md §3 whose last hidden layer is structured (P1's figure data):
//   image d×d×c → conv 5×5 c→6 pad 2, ReLU → maxpool 2 → conv 5×5 6→16 pad 2, ReLU → maxpool 2
//   → flatten (n = 16·(d/4)²) → structured n×n + bias → ReLU → dense n→classes (+ bias) → logits.
// Inputs arrive as flat rows (the datasets' layout, row-major H×W×C) and are reshaped here.
// The flatten is in (channel, y, x) order, as the reference's `x.view(-1, layer_size)` on NCHW
// (structured-nets pytorch/models/nets.py, CNN.forward): TF.js computes in NHWC, so the features
// are transposed first. The order matters: a structured layer is not permutation invariant.
import * as tf from '@tensorflow/tfjs';
import { createMatrix } from '../structured/create';
import type { ClassOptions } from '../structured/types';
import type { Rng } from '../util/random';
import { uniformVariable } from './init';
import { StructuredLayer } from './structuredLayer';

export interface CnnInit {
  /** [height, width, channels] of one example; height and width must be multiples of 4. */
  imageShape: [number, number, number];
  classes: number;
  className: string;
  rank: number;
  bias?: boolean;
  options?: ClassOptions;
  rng: Rng;
}

const KERNEL = 5;
const PAD = 2;
const CHANNELS = [6, 16] as const;

/** n = 16·(h/4)·(w/4): the flattened size after the two conv + pool stages. */
export function cnnFlatSize(imageShape: readonly [number, number, number]): number {
  return CHANNELS[1] * (imageShape[0] / 4) * (imageShape[1] / 4);
}

export class CnnModel {
  readonly n: number;
  readonly hidden: StructuredLayer;
  /** Filters in TF.js's HWIO layout. */
  readonly conv1W: tf.Variable;
  readonly conv1B: tf.Variable;
  readonly conv2W: tf.Variable;
  readonly conv2B: tf.Variable;
  /** Classifier weight [n, classes], input-major as the SHL's. */
  readonly classifierW: tf.Variable;
  readonly classifierB: tf.Variable;

  constructor(readonly init: CnnInit) {
    const [h, w, c] = init.imageShape;
    if (h % 4 !== 0 || w % 4 !== 0) throw new Error(`CNN: image ${h}×${w} — height and width must be multiples of 4 (two 2×2 poolings)`);
    this.n = cnnFlatSize(init.imageShape);
    const rng = init.rng;
    const matrix = createMatrix(init.className, { n: this.n, rank: init.rank, rng: rng.fork(), options: init.options });
    this.hidden = new StructuredLayer(matrix, init.bias ?? true);
    const convRng = rng.fork();
    const fan1 = c * KERNEL * KERNEL;
    const fan2 = CHANNELS[0] * KERNEL * KERNEL;
    this.conv1W = uniformVariable(convRng, [KERNEL, KERNEL, c, CHANNELS[0]], { fanIn: fan1 });
    this.conv1B = uniformVariable(convRng, [CHANNELS[0]], { fanIn: fan1 });
    this.conv2W = uniformVariable(convRng, [KERNEL, KERNEL, CHANNELS[0], CHANNELS[1]], { fanIn: fan2 });
    this.conv2B = uniformVariable(convRng, [CHANNELS[1]], { fanIn: fan2 });
    const cr = rng.fork();
    this.classifierW = uniformVariable(cr, [this.n, init.classes], { fanIn: this.n });
    this.classifierB = uniformVariable(cr, [init.classes], { fanIn: this.n });
  }

  /** The flattened features [b, n] that enter the structured layer, in (channel, y, x) order. */
  features(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const [h, w, c] = this.init.imageShape;
      const img = tf.reshape(x, [x.shape[0], h, w, c]) as tf.Tensor4D;
      const a1 = tf.maxPool(tf.relu(tf.add(tf.conv2d(img, this.conv1W as tf.Tensor4D, 1, PAD), this.conv1B)) as tf.Tensor4D, 2, 2, 'valid');
      const a2 = tf.maxPool(tf.relu(tf.add(tf.conv2d(a1, this.conv2W as tf.Tensor4D, 1, PAD), this.conv2B)) as tf.Tensor4D, 2, 2, 'valid');
      return tf.reshape(tf.transpose(a2, [0, 3, 1, 2]), [x.shape[0], this.n]) as tf.Tensor2D;
    });
  }

  /** Logits [b, classes] for flat inputs [b, h·w·c]. */
  logits(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const hid = this.hidden.applyRelu(this.features(x));
      return tf.add(tf.matMul(hid, this.classifierW), this.classifierB);
    });
  }

  variables(): Record<string, tf.Variable> {
    return {
      'conv1.W': this.conv1W,
      'conv1.b': this.conv1B,
      'conv2.W': this.conv2W,
      'conv2.b': this.conv2B,
      ...this.hidden.variables(),
      'classifier.W': this.classifierW,
      'classifier.b': this.classifierB,
    };
  }

  paramCounts(): { structured: number; hiddenBias: number; classifier: number; conv: number; total: number } {
    const structured = this.hidden.matrix.paramCount();
    const hiddenBias = this.hidden.bias ? this.hidden.bias.size : 0;
    const classifier = this.classifierW.size + this.classifierB.size;
    const conv = this.conv1W.size + this.conv1B.size + this.conv2W.size + this.conv2B.size;
    return { structured, hiddenBias, classifier, conv, total: structured + hiddenBias + classifier + conv };
  }

  dispose(): void {
    this.hidden.dispose();
    for (const v of [this.conv1W, this.conv1B, this.conv2W, this.conv2B, this.classifierW, this.classifierB]) v.dispose();
  }
}
