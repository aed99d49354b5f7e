import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { shiftKrylovProductFft } from '../../src/structured/accel/shiftKrylovOp';
import { setFastProductEngine, type FastProductEngine } from '../../src/structured/accel/policy';
import { Rng } from '../../src/util/random';
import { gradCheck } from '../support/gradcheck';

/** M = Σ_i K(Z_fA, g_i) K(Z_fB, h_i)ᵀ built from its definition, as a dense array. */
function denseKrylovProduct(G: number[][], H: number[][], fA: number, fB: number): number[][] {
  const n = G[0].length;
  const krylov = (v: number[], f: number) => {
    const cols = [v];
    for (let k = 1; k < n; k++) {
      const p = cols[k - 1];
      cols.push(p.map((_, j) => (j === 0 ? f * p[n - 1] : p[j - 1])));
    }
    return cols; // cols[k][j] = (Z^k v)[j]
  };
  const M = Array.from({ length: n }, () => new Array(n).fill(0));
  G.forEach((g, i) => {
    const ka = krylov(g, fA);
    const kb = krylov(H[i], fB);
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) for (let k = 0; k < n; k++) M[a][b] += ka[k][a] * kb[k][b];
  });
  return M;
}

// Both engines: the JS loops, and WebAssembly SIMD where the runtime has it.
// Both engines always (Node ≥ 20 has WebAssembly SIMD; forcing it throws where it is missing).
const ENGINES: FastProductEngine[] = ['js', 'wasm-simd'];

describe.each(ENGINES)('FFT Toeplitz-like op (%s)', (engine) => {
  afterEach(() => setFastProductEngine(null));
  for (const [fA, fB, reverse] of [[1, -1, false], [0, 0, false], [1, -1, true], [0.5, 2, false], [-1, 1, true]] as const) {
    for (const n of [5, 16]) {
      it(`forward = X Mᵀ and gradients match finite differences (fA=${fA}, fB=${fB}, hankel=${reverse}, n=${n})`, () => {
        setFastProductEngine(engine);
        const rng = new Rng(n);
        const r = 2;
        const b = 3;
        const x = tf.variable(tf.tensor2d(rng.normalArray(b * n), [b, n]));
        const G = tf.variable(tf.tensor2d(rng.normalArray(r * n), [r, n]));
        const H = tf.variable(tf.tensor2d(rng.normalArray(r * n), [r, n]));
        const cfg = { fA, fB, reverseOutput: reverse };
        let M = denseKrylovProduct(G.arraySync(), H.arraySync(), fA, fB);
        if (reverse) M = M.reverse();
        const expected = tf.tidy(() => tf.matMul(x, tf.transpose(tf.tensor2d(M))).arraySync());
        const got = tf.tidy(() => shiftKrylovProductFft(x, G, H, cfg).arraySync());
        for (let i = 0; i < b; i++) for (let j = 0; j < n; j++) expect(got[i][j]).toBeCloseTo(expected[i][j], 4);
        const W = tf.tensor2d(rng.normalArray(b * n), [b, n]);
        const results = gradCheck(() => tf.sum(tf.mul(shiftKrylovProductFft(x, G, H, cfg), W)) as tf.Scalar, { x, G, H }, { eps: 1e-2 });
        for (const res of results) expect(res.maxRelError, res.name).toBeLessThan(1e-2);
        tf.dispose([x, G, H, W]);
      });
    }
  }
});
