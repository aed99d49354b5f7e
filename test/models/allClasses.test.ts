// Every structured class of the engine inside both models (small sizes, wasm): the forward pass is
// finite and one backward pass gives a non-zero gradient to every variable.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend';
import { CnnModel } from '../../src/models/cnn';
import { LstmLanguageModel } from '../../src/models/lstm';
import { CLASSES } from '../../src/structured/registry';
import { crossEntropy } from '../../src/train/evaluate';
import { Rng } from '../../src/util/random';

function gradNorms(vars: Record<string, tf.Variable>, loss: () => tf.Scalar): Record<string, number> {
  return tf.tidy(() => {
    const list = Object.values(vars);
    const { value, grads } = tf.variableGrads(loss, list);
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, tf.norm(grads[v.name]).dataSync()[0]]));
  });
}

describe('every class in the CNN and the LSTM', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const spec of CLASSES) {
    it(`${spec.name}`, () => {
      const rank = spec.hasRank ? 2 : 1;
      const cnn = new CnnModel({ imageShape: [8, 8, 1], classes: 3, className: spec.name, rank, rng: new Rng(1) });
      const x = tf.tensor2d(new Rng(2).normalArray(20 * 64), [20, 64]);
      const y = tf.tensor1d(Array.from({ length: 20 }, (_, i) => i % 3), 'int32');
      for (const [k, n] of Object.entries(gradNorms(cnn.variables(), () => crossEntropy(cnn.logits(x), y)))) {
        if (!k.startsWith('hidden.')) expect(n, `cnn ${k}`).toBeGreaterThan(0);
      }
      // The structured layer's own parameters, from its pre-activation: after the ReLU a hidden unit
      // can be dead for every input (the pooled features are ≥ 0), e.g. the one ldr-td-corner's
      // lower-left corner alone reaches at initialisation.
      const w = tf.tensor2d(new Rng(4).normalArray(20 * 64), [20, 64]);
      const hiddenVars = cnn.hidden.variables();
      for (const [k, n] of Object.entries(gradNorms(hiddenVars, () => tf.sum(tf.mul(cnn.hidden.apply(cnn.features(x)), w)) as tf.Scalar))) {
        expect(n, `cnn ${k}`).toBeGreaterThan(0);
      }
      w.dispose();
      cnn.dispose();
      const lm = new LstmLanguageModel({ vocabSize: 11, hidden: 4, className: spec.name, rank, rng: new Rng(3) });
      const ids = tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8], 'int32');
      const targets = tf.tensor1d([2, 3, 4, 5, 6, 7, 8, 9], 'int32');
      const s = lm.zeroState(2);
      for (const [k, n] of Object.entries(gradNorms(lm.variables(), () => crossEntropy(lm.forward(ids, 4, s).logits, targets)))) {
        // At initialisation (B a pure shift), B's lower-left corner only changes column 4h−1 of M,
        // which multiplies the zero padding of the input: its gradient is exactly 0 there.
        if (k === 'lstm.W_ih.B.lowerLeft') expect(n, `lstm ${k}`).toBe(0);
        else expect(n, `lstm ${k}`).toBeGreaterThan(0);
      }
      lm.dispose();
      tf.dispose([x, y, ids, targets, s.h, s.c]);
    });
  }
});
