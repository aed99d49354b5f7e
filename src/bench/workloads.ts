// What `ldr bench` times, built once per (class, n, rank) and disposed afterwards:
//   forward           Y = X Mᵀ for a random batch X (the structured matrix alone, no bias);
//   forward+backward  the gradients of sum(Y) with respect to every variable of M;
//   SHL step          one training step of the single-hidden-layer model (src/models/shl.ts):
//                     forward, softmax cross-entropy, gradients of every variable, SGD with
//                     momentum 0.9 (src/train/optimizer.ts), as the trainer does it.
import * as tf from '@tensorflow/tfjs';
import { createMatrix } from '../structured/create';
import { KrylovMatrix } from '../structured/krylovMatrix';
import { krylovRowsKernels } from '../structured/accel/krylovKernelOp';
import type { ComputePath, StructuredMatrix } from '../structured/types';
import { ShlModel } from '../models/shl';
import { createOptimizer, gradsByName, type Optimizer } from '../train/optimizer';
import { crossEntropy } from '../train/evaluate';
import type { Rng } from '../util/random';

export interface Shape {
  className: string;
  n: number;
  rank: number;
  batch: number;
}

export interface LayerWorkload {
  paramCount: number;
  /** How the layer computes at this batch on this backend. */
  computePath: ComputePath;
  forward(): tf.Tensor;
  forwardBackward(): tf.Tensor[];
  dispose(): void;
}

export function layerWorkload(shape: Shape, rng: Rng): LayerWorkload {
  const matrix: StructuredMatrix = createMatrix(shape.className, { n: shape.n, rank: shape.rank, rng: rng.fork() });
  const x = tf.tensor2d(rng.normalArray(shape.batch * shape.n), [shape.batch, shape.n]);
  const vars = Object.values(matrix.variables);
  return {
    paramCount: matrix.paramCount(),
    computePath: matrix.computePath(shape.batch),
    forward: () => tf.tidy(() => matrix.apply(x)),
    forwardBackward: () => {
      const { value, grads } = tf.variableGrads(() => tf.sum(matrix.apply(x)) as tf.Scalar, vars);
      return [value, ...Object.values(grads)];
    },
    dispose: () => {
      matrix.dispose();
      x.dispose();
    },
  };
}

export const SHL_CLASSES = 10;
const SHL_LR = 0.01;

export interface ShlWorkload {
  /** One SGD step; returns the loss (before the step) for the caller to dispose. */
  step(): tf.Tensor;
  /** How the hidden layer computes. */
  computePath: ComputePath;
  /** Krylov-rows paths: build both sets of Krylov rows of the hidden layer (a part of its floor). */
  krylovBuild: (() => tf.Tensor[]) | null;
  dispose(): void;
}

export function shlWorkload(shape: Shape, rng: Rng): ShlWorkload {
  const model = new ShlModel({ n: shape.n, classes: SHL_CLASSES, className: shape.className, rank: shape.rank, rng: rng.fork() });
  const vars = model.variables();
  const optimizer: Optimizer = createOptimizer({ name: 'sgd', lr: SHL_LR, momentum: 0.9 }, vars);
  const x = tf.tensor2d(rng.normalArray(shape.batch * shape.n), [shape.batch, shape.n]);
  const labels = tf.tensor1d(Int32Array.from({ length: shape.batch }, () => rng.int(SHL_CLASSES)), 'int32');
  const matrix = model.hidden.matrix;
  const computePath = matrix.computePath(shape.batch);
  const rowsBuild = computePath === 'krylov-simd' ? 'simd' : computePath === 'krylov-js' ? 'js' : null;
  const krylovBuild =
    rowsBuild && matrix instanceof KrylovMatrix
      ? () => [krylovRowsKernels(rowsBuild, matrix.A, matrix.G as tf.Tensor2D), krylovRowsKernels(rowsBuild, matrix.B, matrix.H as tf.Tensor2D)]
      : null;
  return {
    computePath,
    krylovBuild,
    step: () => {
      const { value, grads } = tf.variableGrads(() => crossEntropy(model.logits(x), labels), Object.values(vars));
      optimizer.step(gradsByName(vars, grads));
      tf.dispose(Object.values(grads));
      return value;
    },
    dispose: () => {
      optimizer.dispose();
      model.dispose();
      x.dispose();
      labels.dispose();
    },
  };
}
