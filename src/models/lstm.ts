// The LSTM language model of docs/method.md §3 (P1's LSTM experiment):
//   token → embedding (size h) → dropout → one LSTM layer of size h → dropout → decoder → logits.
// The LSTM's input-to-hidden matrix is a structured 4h×4h matrix: the input is zero-padded from h
// to 4h (emsize = nhid, as the reference) and its output split into the gates i, f, g, o (PyTorch's
// order); the recurrent matrix W_hh (h → 4h) is dense. Per step:
//   z = M·[x; 0] + b_ih + W_hhᵀ·h_{t−1} + b_hh;   i, f, g, o = σ(z_i), σ(z_f), tanh(z_g), σ(z_o)
//   c_t = f⊙c_{t−1} + i⊙g;   h_t = o⊙tanh(c_t)
// The structured product does not depend on the recurrence, so it runs once per BPTT window on
// all T·B inputs stacked as one batch; only the small dense W_hh product is sequential.
import * as tf from '@tensorflow/tfjs';
import { createMatrix } from '../structured/create';
import type { ClassOptions } from '../structured/types';
import type { Rng } from '../util/random';
import { StructuredLayer } from './shl';

export interface LstmInit {
  vocabSize: number;
  /** Hidden size h = embedding size. */
  hidden: number;
  className: string;
  rank: number;
  /** Bias of the structured input-to-hidden layer (b_ih). */
  bias?: boolean;
  options?: ClassOptions;
  /** Decoder weights = embedding (transposed). */
  tieWeights?: boolean;
  rng: Rng;
}

/** The recurrent state of a batch: h and c, each [B, h]. */
export interface LstmState {
  h: tf.Tensor2D;
  c: tf.Tensor2D;
}

/** Dropout masks for one window, each [T·B, h] of 0 and 1/(1−p) (null = no dropout). */
export interface DropoutMasks {
  input: tf.Tensor2D | null;
  output: tf.Tensor2D | null;
}

function uniformVariable(rng: Rng, shape: number[], bound: number): tf.Variable {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tidy(() => tf.variable(tf.tensor(rng.uniformArray(size, -bound, bound), shape), true));
}

export class LstmLanguageModel {
  readonly h: number;
  readonly vocabSize: number;
  /** [V, h] */
  readonly embedding: tf.Variable;
  /** The structured 4h×4h input-to-hidden matrix and b_ih. */
  readonly inputLayer: StructuredLayer;
  /** [h, 4h], input-major: z += h_{t−1} · W_hh. */
  readonly recurrentW: tf.Variable;
  readonly recurrentB: tf.Variable;
  /** [h, V], or null when tied to the embedding. */
  readonly decoderW: tf.Variable | null;
  readonly decoderB: tf.Variable;

  constructor(readonly init: LstmInit) {
    const { hidden: h, vocabSize: V, rng } = init;
    this.h = h;
    this.vocabSize = V;
    const matrix = createMatrix(init.className, { n: 4 * h, rank: init.rank, rng: rng.fork(), options: init.options });
    this.inputLayer = new StructuredLayer(matrix, init.bias ?? true);
    // The reference's init: encoder and decoder U(±0.1), decoder bias 0; PyTorch's LSTM U(±1/√h).
    const er = rng.fork();
    this.embedding = uniformVariable(er, [V, h], 0.1);
    const rr = rng.fork();
    this.recurrentW = uniformVariable(rr, [h, 4 * h], 1 / Math.sqrt(h));
    this.recurrentB = uniformVariable(rr, [4 * h], 1 / Math.sqrt(h));
    this.decoderW = init.tieWeights ? null : uniformVariable(rng.fork(), [h, V], 0.1);
    this.decoderB = tf.tidy(() => tf.variable(tf.zeros([V]), true));
  }

  zeroState(batch: number): LstmState {
    return { h: tf.zeros([batch, this.h]), c: tf.zeros([batch, this.h]) };
  }

  /**
   * Logits [T·B, V] for a window of token ids [T·B] (time-major: row t·B + b is step t of stream b)
   * and the state after its last step. The caller owns (and disposes) both.
   */
  forward(ids: tf.Tensor1D, steps: number, state: LstmState, masks: DropoutMasks = { input: null, output: null }): { logits: tf.Tensor2D; state: LstmState } {
    const out = tf.tidy(() => {
      const B = state.h.shape[0];
      const h = this.h;
      let x = tf.gather(this.embedding, ids) as tf.Tensor2D;
      if (masks.input) x = tf.mul(x, masks.input);
      // The structured product once for the whole window: [T·B, 4h] from inputs zero-padded to 4h.
      const padded = tf.concat([x, tf.zeros([steps * B, 3 * h])], 1) as tf.Tensor2D;
      const pre = tf.add(this.inputLayer.apply(padded), this.recurrentB).reshape([steps, B, 4 * h]);
      // (tf.unstack's gradient breaks on a single step: the tape hands it one tensor, not a list.)
      const perStep = steps === 1 ? [tf.reshape(pre, [B, 4 * h]) as tf.Tensor2D] : (tf.unstack(pre) as tf.Tensor2D[]);
      let hPrev = state.h;
      let cPrev = state.c;
      const outs: tf.Tensor2D[] = [];
      for (let t = 0; t < steps; t++) {
        const z = tf.add(perStep[t], tf.matMul(hPrev, this.recurrentW));
        const [zi, zf, zg, zo] = tf.split(z, 4, 1);
        cPrev = tf.add(tf.mul(tf.sigmoid(zf), cPrev), tf.mul(tf.sigmoid(zi), tf.tanh(zg)));
        hPrev = tf.mul(tf.sigmoid(zo), tf.tanh(cPrev));
        outs.push(hPrev);
      }
      let y = tf.concat(outs, 0) as tf.Tensor2D; // [T·B, h], time-major like the ids
      if (masks.output) y = tf.mul(y, masks.output);
      const logits = this.decoderW
        ? tf.add(tf.matMul(y, this.decoderW), this.decoderB)
        : tf.add(tf.matMul(y, this.embedding, false, true), this.decoderB);
      return { logits: logits as tf.Tensor2D, h: hPrev, c: cPrev };
    });
    return { logits: out.logits, state: { h: out.h, c: out.c } };
  }

  variables(): Record<string, tf.Variable> {
    const vars: Record<string, tf.Variable> = { embedding: this.embedding };
    for (const [k, v] of Object.entries(this.inputLayer.matrix.variables)) vars[`lstm.W_ih.${k}`] = v;
    if (this.inputLayer.bias) vars['lstm.b_ih'] = this.inputLayer.bias;
    vars['lstm.W_hh'] = this.recurrentW;
    vars['lstm.b_hh'] = this.recurrentB;
    if (this.decoderW) vars['decoder.W'] = this.decoderW;
    vars['decoder.b'] = this.decoderB;
    return vars;
  }

  /** The structured 4h×4h matrix alone (bias excluded), and every trainable scalar of the model. */
  paramCounts(): { structured: number; total: number } {
    const structured = this.inputLayer.matrix.paramCount();
    const total = Object.values(this.variables()).reduce((s, v) => s + v.size, 0);
    return { structured, total };
  }

  dispose(): void {
    this.inputLayer.dispose();
    for (const v of [this.embedding, this.recurrentW, this.recurrentB, this.decoderW, this.decoderB]) v?.dispose();
  }
}

export function disposeState(s: LstmState): void {
  s.h.dispose();
  s.c.dispose();
}
