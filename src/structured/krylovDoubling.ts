// The portable Krylov path: pure tensor ops, so it runs on any backend (the `tensorflow`/CUDA
// backend included, where typed-array loops would force device syncs) and TF.js derives its
// gradient. ⌈log₂ n⌉ doubling steps with the dense operator: rows ← [rows; rows·Qᵐ], Q ← Q².
import * as tf from '@tensorflow/tfjs';
import type { DisplacementOperator } from './operators';

/** (r·n)×n Krylov rows: row i·n + k = (A^k v_i)ᵀ, for V (r×n) and the dense n×n operator A. */
export function krylovRowsDoubling(A: tf.Tensor2D, V: tf.Tensor2D): tf.Tensor2D {
  const [r, n] = V.shape;
  return tf.tidy(() => {
    // As rows: (A^k v)ᵀ = vᵀ (Aᵀ)^k, so multiply on the right by Q = (Aᵀ)^m.
    let rows = tf.reshape(V, [r, 1, n]) as tf.Tensor3D;
    let Q = tf.transpose(A) as tf.Tensor2D;
    for (let m = 1; m < n; m *= 2) {
      const need = Math.min(m, n - m); // rows m .. m+need−1 are still missing
      const head = need === m ? rows : tf.slice(rows, [0, 0, 0], [r, need, n]);
      const next = tf.reshape(tf.matMul(tf.reshape(head, [r * need, n]), Q), [r, need, n]);
      rows = tf.concat([rows, next], 1) as tf.Tensor3D;
      if (2 * m < n) Q = tf.matMul(Q, Q);
    }
    return tf.reshape(rows, [r * n, n]) as tf.Tensor2D;
  });
}

/** Y = X·Mᵀ = (X·KBᵀ)·KA-rows, with TF.js deriving every gradient. */
export function krylovProductDoubling(
  x: tf.Tensor2D,
  G: tf.Tensor2D,
  H: tf.Tensor2D,
  A: DisplacementOperator,
  B: DisplacementOperator,
): tf.Tensor2D {
  return tf.tidy(() => {
    const rowsA = krylovRowsDoubling(A.dense(), G);
    const rowsB = krylovRowsDoubling(B.dense(), H);
    return tf.matMul(tf.matMul(x, rowsB, false, true), rowsA);
  });
}
