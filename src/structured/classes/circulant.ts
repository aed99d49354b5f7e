// circulant (c): M[i][j] = c[(i − j) mod n], c ~ N(0, 1/n); n parameters (docs/method.md §2).
// Training path: Y = X Mᵀ row by row as circular convolutions y = c ⊛ x, by real FFTs over
// typed arrays in one custom op (accel/fft.ts): O(b n log n) instead of a dense n×n product
// (circulant-fft). Backends other than cpu and wasm gather the n×n matrix with tensor ops
// instead (circulant-dense; computePath.ts).
// Transform size N = n when n is a power of two (an n-point DFT is exactly circular), else
// N = the power of two ≥ 2n − 1 (linear convolution, then wrap the tail around).
// Backward: dx_j = Σ_k c_k dy_{(j+k) mod n} and dc_k = Σ_rows Σ_j x_j dy_{(j+k) mod n} are
// circular cross-correlations: conj(C)·DY and Σ conj(X)·DY, reusing the forward's spectra.
// Measured on wasm, n = 1024, batch 50, forward+backward: 10 ms as a dense product (Mᵀ built
// in JS, dMᵀ folded back into c) vs 5 ms here.
import * as tf from '@tensorflow/tfjs';
import { halfSpectrumVec, irfftInto, isPowerOfTwo, mulSpec, nextPowerOfTwo, rfftInto, type Spectrum, type Vec, zeros } from '../accel/fft';
import { chooseComputePath } from '../computePath';
import type { ClassSpec, ComputeOptions, ComputePath, MatrixInit, StructuredMatrix } from '../types';
import { variableFrom } from './arrays';

function transformSize(n: number): number {
  return isPowerOfTwo(n) ? Math.max(2, n) : nextPowerOfTwo(2 * n - 1);
}

/** acc (+)= conj(a)·b pointwise: the spectrum of the cross-correlation Σ_j a_j b_{j+m}. */
function conjMul(a: Spectrum, b: Spectrum, acc: Spectrum, add: boolean): Spectrum {
  for (let k = 0; k < a.re.length; k++) {
    const re = a.re[k] * b.re[k] + a.im[k] * b.im[k];
    const im = a.re[k] * b.im[k] - a.im[k] * b.re[k];
    acc.re[k] = add ? acc.re[k] + re : re;
    acc.im[k] = add ? acc.im[k] + im : im;
  }
  return acc;
}

/** Circular convolution from a length-N linear one: out[i] = z[i] + z[i + n]. */
function wrapConvolution(z: Vec, n: number, out: Float32Array, off: number): void {
  const N = z.length;
  for (let i = 0; i < n; i++) out[off + i] = z[i] + (i + n < N ? z[i + n] : 0);
}

/** Circular correlation from a linear one (lag m at index m mod N): out[k] = r[k] + r[k − n]. */
function wrapCorrelation(z: Vec, n: number, out: Float32Array, off: number): void {
  const N = z.length;
  for (let k = 0; k < n; k++) out[off + k] = N === n ? z[k] : z[k] + z[N - n + k];
}

/** The real sequence of length N with half spectrum S. */
function inverse(S: Spectrum, N: number): Vec {
  const out = zeros(N);
  irfftInto(S, N, out);
  return out;
}

/** The half spectrum of x zero-padded to N. */
function forward(x: ArrayLike<number>, N: number): Spectrum {
  const S = halfSpectrumVec(N);
  rfftInto(x, N, S);
  return S;
}

/** circulant-fft: Y = X Mᵀ (b×n) for the circulant M of c, differentiable w.r.t. X and c. */
const circulantProductFft = tf.customGrad((...inputs: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, c] = inputs as tf.Tensor[];
  const [batch, n] = x.shape as [number, number];
  const N = transformSize(n);
  const xv = x.dataSync();
  const C = forward(c.dataSync(), N);
  const X: Spectrum[] = []; // kept for dc
  const y = new Float32Array(batch * n);
  const work = halfSpectrumVec(N);
  for (let r = 0; r < batch; r++) {
    X.push(forward(xv.subarray(r * n, (r + 1) * n), N));
    wrapConvolution(inverse(mulSpec(C, X[r], work), N), n, y, r * n);
  }
  return {
    value: tf.tensor2d(y, [batch, n]),
    gradFunc: (dy: tf.Tensor) => {
      const dv = dy.dataSync();
      const dx = new Float32Array(batch * n);
      const dcSpectrum = halfSpectrumVec(N);
      for (let r = 0; r < batch; r++) {
        const DY = forward(dv.subarray(r * n, (r + 1) * n), N);
        wrapCorrelation(inverse(conjMul(C, DY, work, false), N), n, dx, r * n);
        conjMul(X[r], DY, dcSpectrum, true);
      }
      const dc = new Float32Array(n);
      wrapCorrelation(inverse(dcSpectrum, N), n, dc, 0);
      return [tf.tensor2d(dx, [batch, n]), tf.tensor1d(dc)];
    },
  };
});

/** Indices (i − j) mod n of M[i][j] = c[(i − j) mod n], row-major. */
function circulantIndices(n: number): Int32Array {
  const idx = new Int32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) idx[i * n + j] = (((i - j) % n) + n) % n;
  return idx;
}

/** circulant-dense: M gathered from c by tensor ops, Y = X Mᵀ; TF.js derives the gradients. */
function circulantProductDense(x: tf.Tensor2D, c: tf.Tensor, n: number): tf.Tensor2D {
  return tf.tidy(() => {
    const M = tf.reshape(tf.gather(c, tf.tensor1d(circulantIndices(n), 'int32')), [n, n]) as tf.Tensor2D;
    return tf.matMul(x, M, false, true);
  });
}

class Circulant implements StructuredMatrix {
  readonly className = 'circulant' as const;
  readonly rank = null;
  readonly m: number;
  readonly variables: { c: tf.Variable };
  private readonly compute: ComputeOptions;

  constructor(
    readonly n: number,
    init: MatrixInit,
  ) {
    this.m = n;
    this.compute = init.compute ?? {};
    this.variables = { c: variableFrom(init.rng.normalArray(n, 1 / Math.sqrt(n)), [n]) };
  }

  paramCount(): number {
    return this.variables.c.size;
  }

  computePath(batch: number): ComputePath {
    return chooseComputePath({ className: this.className, n: this.n, rank: 1, backend: tf.getBackend(), batch }, this.compute);
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    if (this.computePath(x.shape[0]) === 'circulant-dense') return circulantProductDense(x, this.variables.c, this.n);
    return circulantProductFft(x, this.variables.c) as tf.Tensor2D;
  }

  /** Straight from the definition (not via the training op, so tests compare two paths). */
  toDense(): tf.Tensor2D {
    const n = this.n;
    const c = this.variables.c.dataSync();
    const m = new Float32Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m[i * n + j] = c[(((i - j) % n) + n) % n];
    return tf.tensor2d(m, [n, n]);
  }

  audit(): object {
    return {};
  }

  dispose(): void {
    this.variables.c.dispose();
  }
}

export const circulant: ClassSpec = {
  name: 'circulant',
  aliases: ['c'],
  hasRank: false,
  paramCount: (n) => n,
  create: (init) => new Circulant(init.n, init),
};
