// The LSTM language model of docs/method.md §3 (P1's LSTM experiment), as the reference's
// structured-nets pytorch/examples/word_language_model (model.py, lstm.py):
//   token → embedding (size h) → dropout → one LSTM layer of size h → dropout → decoder → logits.
// The LSTM's input-to-hidden matrix is a structured 4h×4h matrix without a bias of its own: the
// input is zero-padded from h to 4h (emsize = nhid) and the product split into the gates in the
// reference's order f, i, o, g (lstm.py LSTMCell.forward). The recurrent matrix W_hh (h → 4h) is
// dense, initialised to the tiled identity [I I I I], and the cell has one bias, initialised to 0
// (lstm.py LSTMCell.reset_parameters). Per step:
//   z = M·[x; 0] + W_hhᵀ·h_{t−1} + b;   f, i, o, g = σ(z_f), σ(z_i), σ(z_o), tanh(z_g)
//   c_t = f⊙c_{t−1} + i⊙g;   h_t = o⊙tanh(c_t)
// The structured product does not depend on the recurrence, so it runs once per BPTT window on
// all T·B inputs stacked as one batch; only the small dense W_hh product is sequential.
import * as tf from '@tensorflow/tfjs';
import { createMatrix } from '../structured/create';
import type { ClassOptions } from '../structured/types';
import type { Rng } from '../util/random';
import { uniformVariable } from './init';
import { StructuredLayer } from './structuredLayer';

export interface LstmInit {
  vocabSize: number;
  /** Hidden size h = embedding size. */
  hidden: number;
  className: string;
  rank: number;
  /** The cell's single bias b (the reference's use_bias); the structured matrix has none of its own. */
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

export class LstmLanguageModel {
  readonly h: number;
  readonly vocabSize: number;
  /** [V, h] */
  readonly embedding: tf.Variable;
  /** The structured 4h×4h input-to-hidden matrix (no bias). */
  readonly inputLayer: StructuredLayer;
  /** [h, 4h], input-major: z += h_{t−1} · W_hh. */
  readonly recurrentW: tf.Variable;
  /** The cell's bias b [4h] (gate order f, i, o, g), or null without one. */
  readonly cellBias: tf.Variable | null;
  /** [h, V], or null when tied to the embedding. */
  readonly decoderW: tf.Variable | null;
  readonly decoderB: tf.Variable;

  constructor(readonly init: LstmInit) {
    const { hidden: h, vocabSize: V, rng } = init;
    this.h = h;
    this.vocabSize = V;
    const matrix = createMatrix(init.className, { n: 4 * h, rank: init.rank, rng: rng.fork(), options: init.options });
    this.inputLayer = new StructuredLayer(matrix, false);
    // The reference's init: encoder and decoder U(±0.1), decoder bias 0 (model.py init_weights);
    // W_hh = [I I I I], bias 0 (lstm.py reset_parameters).
    const er = rng.fork();
    this.embedding = uniformVariable(er, [V, h], { bound: 0.1 });
    this.recurrentW = tf.tidy(() => tf.variable(tf.tile(tf.eye(h), [1, 4]), true));
    this.cellBias = (init.bias ?? true) ? tf.tidy(() => tf.variable(tf.zeros([4 * h]), true)) : null;
    this.decoderW = init.tieWeights ? null : uniformVariable(rng.fork(), [h, V], { bound: 0.1 });
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
      const structured = this.inputLayer.apply(padded);
      const pre = (this.cellBias ? tf.add(structured, this.cellBias) : structured).reshape([steps, B, 4 * h]);
      // (tf.unstack's gradient breaks on a single step: the tape hands it one tensor, not a list.)
      const perStep = steps === 1 ? [tf.reshape(pre, [B, 4 * h]) as tf.Tensor2D] : (tf.unstack(pre) as tf.Tensor2D[]);
      let hPrev = state.h;
      let cPrev = state.c;
      const outs: tf.Tensor2D[] = [];
      for (let t = 0; t < steps; t++) {
        const z = tf.add(perStep[t], tf.matMul(hPrev, this.recurrentW));
        const [zf, zi, zo, zg] = tf.split(z, 4, 1);
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
    vars['lstm.W_hh'] = this.recurrentW;
    if (this.cellBias) vars['lstm.bias'] = this.cellBias;
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
    for (const v of [this.embedding, this.recurrentW, this.cellBias, this.decoderW, this.decoderB]) v?.dispose();
  }
}

export function disposeState(s: LstmState): void {
  s.h.dispose();
  s.c.dispose();
}
