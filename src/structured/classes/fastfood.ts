// fastfood (f): M = diag(S)·H·diag(G)·Π·H·diag(B) (docs/method.md §2), H the unnormalised
// Walsh–Hadamard matrix in Sylvester order, (Πv)[i] = v[P[i]] for a fixed random permutation P.
// Trainable: S, G, B. Init: G ~ N(0, 1), B uniform in {±1}, S_i = sqrt(χ²_N sample)/‖G‖₂.
//
// Sizes: H needs a power of two, so the class works at N = the next power of two ≥ n: the
// input is zero-padded from n to N and the output truncated to its first n entries, i.e.
// M (n×n) is the top-left block of the N×N product. S, G, B have length N and
// paramCount = 3N (= 3n when n is a power of two). audit(): {permutation: P, paddedN: N}.
//
// Forward and backward are hand-written loops over typed arrays (fast Walsh–Hadamard
// transform, O(b·N log N)) inside one custom op (fastfood-fwht). Backward uses Hᵀ = H and
// Πᵀ = Π⁻¹. Backends other than cpu and wasm run the same transforms as tensor ops
// (fastfood-tensor; computePath.ts).
import * as tf from '@tensorflow/tfjs';
import { nextPowerOfTwo } from '../accel/fft';
import { fwht } from '../accel/fwht';
import { chooseComputePath } from '../computePath';
import type { ClassSpec, ComputeOptions, ComputePath, MatrixInit, StructuredMatrix } from '../types';
import type { Rng } from '../../util/random';
import { variableFrom } from './arrays';

/** fastfood-tensor: H·v for every row of v [b, N] by log₂ N butterfly stages of tensor ops. */
function fwhtTensor(v: tf.Tensor2D): tf.Tensor2D {
  const [b, N] = v.shape;
  let u: tf.Tensor = v;
  for (let h = 1; h < N; h *= 2) {
    // Index blk·2h + half·h + k: the pair (half 0, half 1) becomes (a + c, a − c), as in fwht().
    const [a, c] = tf.split(tf.reshape(u, [b, N / (2 * h), 2, h]), 2, 2);
    u = tf.concat([tf.add(a, c), tf.sub(a, c)], 2);
  }
  return tf.reshape(u, [b, N]) as tf.Tensor2D;
}

/** fastfood-tensor: Y = X Mᵀ by tensor ops only (any backend); TF.js derives the gradients. */
function fastfoodTensor(x: tf.Tensor2D, S: tf.Tensor, G: tf.Tensor, B: tf.Tensor, P: Int32Array): tf.Tensor2D {
  return tf.tidy(() => {
    const [, n] = x.shape;
    const N = P.length;
    const bx = tf.mul(x, tf.slice(B, [0], [n]));
    const u = fwhtTensor(tf.pad(bx, [[0, 0], [0, N - n]]) as tf.Tensor2D);
    const w = fwhtTensor(tf.mul(tf.gather(u, tf.tensor1d(P, 'int32'), 1), G) as tf.Tensor2D);
    return tf.mul(tf.slice(w, [0, 0], [-1, n]), tf.slice(S, [0], [n])) as tf.Tensor2D;
  });
}

/** Y = X Mᵀ for X (b×n), differentiable w.r.t. X, S, G, B; P fixed. */
function fastfoodOp(P: Int32Array) {
  const N = P.length;
  return tf.customGrad((...inputs: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, s, g, bsign] = inputs as tf.Tensor[];
    const [batch, n] = x.shape as [number, number];
    const xv = x.dataSync();
    const S = s.dataSync();
    const G = g.dataSync();
    const B = bsign.dataSync();
    const v3 = new Float64Array(batch * N); // Π H B x, saved for dG
    const v5 = new Float64Array(batch * N); // H G Π H B x, saved for dS
    const work = new Float64Array(N);
    const y = new Float32Array(batch * n);
    for (let r = 0; r < batch; r++) {
      const o = r * N;
      work.fill(0);
      for (let i = 0; i < n; i++) work[i] = B[i] * xv[r * n + i];
      fwht(work, 0, N);
      for (let i = 0; i < N; i++) v3[o + i] = work[P[i]];
      for (let i = 0; i < N; i++) v5[o + i] = G[i] * v3[o + i];
      fwht(v5, o, N);
      for (let i = 0; i < n; i++) y[r * n + i] = S[i] * v5[o + i];
    }
    return {
      value: tf.tensor2d(y, [batch, n]),
      gradFunc: (dy: tf.Tensor) => {
        const d = dy.dataSync();
        const dS = new Float64Array(N);
        const dG = new Float64Array(N);
        const dB = new Float64Array(N);
        const dx = new Float32Array(batch * n);
        const d4 = new Float64Array(N);
        const d2 = new Float64Array(N);
        for (let r = 0; r < batch; r++) {
          const o = r * N;
          d4.fill(0);
          for (let i = 0; i < n; i++) {
            dS[i] += d[r * n + i] * v5[o + i];
            d4[i] = S[i] * d[r * n + i];
          }
          fwht(d4, 0, N); // d4 = H diag(S) dy
          for (let i = 0; i < N; i++) {
            dG[i] += d4[i] * v3[o + i];
            d2[P[i]] = G[i] * d4[i]; // Πᵀ
          }
          fwht(d2, 0, N); // d1 = H Πᵀ diag(G) d4
          for (let i = 0; i < n; i++) {
            dB[i] += d2[i] * xv[r * n + i];
            dx[r * n + i] = B[i] * d2[i];
          }
        }
        return [
          tf.tensor2d(dx, [batch, n]),
          tf.tensor1d(Float32Array.from(dS)),
          tf.tensor1d(Float32Array.from(dG)),
          tf.tensor1d(Float32Array.from(dB)),
        ];
      },
    };
  });
}

/** A χ² sample with k degrees of freedom: 2·Gamma(k/2) by Marsaglia–Tsang (k ≥ 2). */
function chiSquared(rng: Rng, k: number): number {
  const d = k / 2 - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const z = rng.normal();
    const t = 1 + c * z;
    if (t <= 0) continue;
    const v = t * t * t;
    const u = rng.next();
    if (Math.log(Math.max(u, 1e-300)) < 0.5 * z * z + d - d * v + d * Math.log(v)) return 2 * d * v;
  }
}

class Fastfood implements StructuredMatrix {
  readonly className = 'fastfood' as const;
  readonly rank = null;
  readonly m: number;
  /** The power of two the transform runs at (S, G, B, P have this length). */
  readonly paddedN: number;
  readonly permutation: Int32Array;
  readonly variables: { S: tf.Variable; G: tf.Variable; B: tf.Variable };
  private readonly op: (x: tf.Tensor, s: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor;
  private readonly compute: ComputeOptions;

  constructor(
    readonly n: number,
    init: MatrixInit,
  ) {
    this.m = n;
    this.compute = init.compute ?? {};
    const N = nextPowerOfTwo(n);
    this.paddedN = N;
    const rng = init.rng;
    const G = rng.normalArray(N);
    const B = Float32Array.from({ length: N }, () => (rng.next() < 0.5 ? -1 : 1));
    let gNorm = 0;
    for (const gi of G) gNorm += gi * gi;
    gNorm = Math.sqrt(gNorm);
    const S = Float32Array.from({ length: N }, () => Math.sqrt(chiSquared(rng, N)) / gNorm);
    this.permutation = rng.permutation(N);
    this.variables = {
      S: variableFrom(S, [N]),
      G: variableFrom(G, [N]),
      B: variableFrom(B, [N]),
    };
    this.op = fastfoodOp(this.permutation);
  }

  paramCount(): number {
    return 3 * this.paddedN;
  }

  computePath(batch: number): ComputePath {
    return chooseComputePath({ className: this.className, n: this.n, rank: 1, backend: tf.getBackend(), batch }, this.compute);
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    const { S, G, B } = this.variables;
    if (this.computePath(x.shape[0]) === 'fastfood-tensor') return fastfoodTensor(x, S, G, B, this.permutation);
    return this.op(x, S, G, B) as tf.Tensor2D;
  }

  /** M = (I·Mᵀ)ᵀ, through the same op. */
  toDense(): tf.Tensor2D {
    return tf.tidy(() => tf.transpose(this.apply(tf.eye(this.n) as tf.Tensor2D)));
  }

  audit(): { permutation: number[]; paddedN: number } {
    return { permutation: Array.from(this.permutation), paddedN: this.paddedN };
  }

  dispose(): void {
    for (const v of Object.values(this.variables)) v.dispose();
  }
}

export const fastfood: ClassSpec = {
  name: 'fastfood',
  aliases: ['f'],
  hasRank: false,
  paramCount: (n) => 3 * nextPowerOfTwo(n),
  create: (init) => new Fastfood(init.n, init),
};
