// The floor of a training step: what it cannot avoid computing, timed alone in the same process.
//   products      every matrix product the step runs (recorded from one step with tf.profile),
//                 each re-timed as a plain product of the same shape with fixed operands;
//   Krylov build  for the Krylov-rows paths (krylov-simd, krylov-js): building the Krylov rows
//                 of both generators, the part of the forward that is not a product;
//   layer         for the transform paths (FFTs, Walsh–Hadamard, divide and conquer), which run no
//                 products for the structured layer: the layer's own forward+backward.
// A step's ratio to its floor is the overhead the rest (elementwise passes, copies, allocation,
// the optimizer) adds.
import * as tf from '@tensorflow/tfjs';
import type { ComputePath } from '../structured/types';
import type { Rng } from '../util/random';

/** batch × ([m×k]·[k×n]), run `count` times per step. */
export interface ProductShape {
  batch: number;
  m: number;
  k: number;
  n: number;
  count: number;
}

const PRODUCT_KERNELS = new Set(['BatchMatMul', '_FusedMatMul']);

/** The paths whose structured product is a transform rather than a matrix product. */
export const TRANSFORM_PATHS: ReadonlySet<ComputePath> = new Set<ComputePath>(['circulant-fft', 'fastfood-fwht', 'shift-fft', 'subdiag-dc']);
/** The paths that build Krylov rows and multiply by them. */
export const KRYLOV_ROWS_PATHS: ReadonlySet<ComputePath> = new Set<ComputePath>(['krylov-simd', 'krylov-js']);

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** The products one call of `run` performs (nested ones included), grouped by shape. */
export async function recordProducts(run: () => tf.Tensor | tf.Tensor[] | void): Promise<ProductShape[]> {
  const info = await tf.profile(() => run() as tf.TensorContainer);
  tf.dispose(info.result as tf.TensorContainer);
  const byKey = new Map<string, ProductShape>();
  for (const k of info.kernels) {
    if (!PRODUCT_KERNELS.has(k.name)) continue;
    const out = k.outputShapes[0] as number[];
    const a = k.inputShapes[0] as number[];
    const m = out[out.length - 2];
    const n = out[out.length - 1];
    const batch = size(out.slice(0, -2));
    // a is [...batchA, m, k] or, transposed, [...batchA, k, m]: its last two axes hold m·k.
    const kk = size(a.slice(-2)) / m;
    const key = `${batch}x${m}x${kk}x${n}`;
    const e = byKey.get(key);
    if (e) e.count++;
    else byKey.set(key, { batch, m, k: kk, n, count: 1 });
  }
  return [...byKey.values()];
}

/** One plain product per shape, with fixed operands (dispose them with `dispose`). */
export function productRuns(shapes: ProductShape[], rng: Rng): { runs: { count: number; run: () => tf.Tensor }[]; dispose: () => void } {
  const operands: tf.Tensor[] = [];
  const runs = shapes.map((s) => {
    const a = tf.tensor(rng.normalArray(s.batch * s.m * s.k), s.batch === 1 ? [s.m, s.k] : [s.batch, s.m, s.k]);
    const b = tf.tensor(rng.normalArray(s.batch * s.k * s.n), s.batch === 1 ? [s.k, s.n] : [s.batch, s.k, s.n]);
    operands.push(a, b);
    return { count: s.count, run: () => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D) };
  });
  return { runs, dispose: () => tf.dispose(operands) };
}
