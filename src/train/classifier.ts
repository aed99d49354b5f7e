// The image classifier's part of training (SHL and CNN, docs/method.md §3, §5): each epoch a seeded
// shuffle of the training split cut into minibatches, softmax cross-entropy, accuracy on the
// validation and test splits, and the learning rate times `lr_decay` after every epoch. The loop
// itself (resume, steps, divergence, best weights) is loop.ts.
import * as tf from '@tensorflow/tfjs';
import type { OptimizerConfig, TrainingConfig } from '../config/schema';
import type { Dataset } from '../data/types';
import { Rng } from '../util/random';
import { crossEntropy, evaluate, type TrainableModel } from './evaluate';
import { trainLoop, type ParallelSteps } from './loop';
import type { BatchForward, TrainHooks, TrainResult, TrainState, TrainTask } from './types';

export interface TrainOptions {
  model: TrainableModel;
  data: Dataset;
  optimizer: OptimizerConfig;
  training: TrainingConfig;
  /** The shuffling generator for a fresh run (see `seedStreams`); ignored when resuming. */
  shuffleRng: Rng;
  resume?: TrainState;
  hooks?: TrainHooks;
  /** training.workers > 1: the started worker pool (parallel.ts); it owns the batch buffers. */
  pool?: BatchPool;
}

/** What the trainer needs of a worker pool (parallel.ts): its shared batch buffers and its steps. */
export interface BatchPool {
  buffers: { x: Float32Array; y: Int32Array };
  stepsFor(task: TrainTask<Minibatch>): ParallelSteps<Minibatch>;
}

/** The two independent random streams of a run: the model's initialisation and the epoch shuffles. */
export function seedStreams(seed: number): { init: Rng; shuffle: Rng } {
  const root = new Rng(seed);
  return { init: root.fork(), shuffle: root.fork() };
}

export function train(opts: TrainOptions): Promise<TrainResult> {
  const task = classifierTask(opts.model, opts.data, opts.training.batch_size, opts.optimizer.lr_decay, opts.pool?.buffers);
  return trainLoop({
    task,
    parallel: opts.pool?.stepsFor(task),
    optimizer: opts.optimizer,
    training: opts.training,
    rng: opts.shuffleRng,
    resume: opts.resume,
    hooks: opts.hooks,
  });
}

/** A minibatch: the first `size` rows of the shared buffers x [size, n] and y [size]. */
export interface Minibatch {
  x: Float32Array;
  y: Int32Array;
  size: number;
}

export function classifierTask(
  model: TrainableModel,
  data: Dataset,
  batchSize: number,
  lrDecay: number,
  /** The batch buffers [batchSize, n] and [batchSize] (the worker pool's shared memory); default: fresh ones. */
  buffers?: { x: Float32Array; y: Int32Array },
): TrainTask<Minibatch> {
  const n = data.features;
  const split = { val: data.val, test: data.test };
  // One pair of buffers, refilled for every batch (the step copies them into tensors).
  const xb = buffers?.x ?? new Float32Array(batchSize * n);
  const yb = buffers?.y ?? new Int32Array(batchSize);
  return {
    batchName: 'batch',
    variables: () => model.variables(),
    epoch(_epoch, rng) {
      const count = data.train.count;
      const perm = rng.permutation(count);
      const batches = Math.ceil(count / batchSize);
      function* rows(): Generator<Minibatch> {
        for (let b = 0; b < batches; b++) {
          const start = b * batchSize;
          const size = Math.min(batchSize, count - start);
          gatherRows(data.train.x, data.train.y, n, perm, start, size, xb, yb);
          yield { x: xb, y: yb, size };
        }
      }
      return { count: batches, batches: rows() };
    },
    forward: (batch) => classifierForward(model, n, batch),
    weight: (batch) => batch.size,
    evaluate: (which, onChunk) => evaluate(model, split[which], n, 1000, onChunk),
    improves: (val, best) => val.acc > best.valAcc,
    nextLr: (lr) => lr * lrDecay,
  };
}

/** Logits and mean cross-entropy of a minibatch (also what each worker thread computes on its slice). */
export function classifierForward(model: TrainableModel, n: number, { x, y, size }: Minibatch): BatchForward {
  const logits = model.logits(tf.tensor2d(x.subarray(0, size * n), [size, n]));
  const labels = tf.tensor1d(y.subarray(0, size), 'int32');
  return { loss: crossEntropy(logits, labels), logits, labels };
}

/** Copy rows perm[start..start+size) of (x, y) into the batch buffers. */
function gatherRows(
  x: Float32Array,
  y: Int32Array,
  n: number,
  perm: Int32Array,
  start: number,
  size: number,
  xb: Float32Array,
  yb: Int32Array,
): void {
  for (let i = 0; i < size; i++) {
    const row = perm[start + i];
    xb.set(x.subarray(row * n, (row + 1) * n), i * n);
    yb[i] = y[row];
  }
}
