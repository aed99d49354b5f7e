// Data-parallel training inside one run (`training.workers: N`, N > 1). TF.js computes on one core
// per thread in Node, so each batch is split over N threads: the main thread is worker 0 and takes
// the first slice through the same code as a one-thread step (loop.ts `batchGrads`); each of the
// N − 1 worker threads (stepWorker.ts) runs the same backend with the same kernel patches, holds
// its own copy of the model, and takes the next slice. Memory they share (SharedArrayBuffer):
//   x, y      the batch rows (the classifier task gathers them straight into these buffers)
//   weights   the current weights, published by the main thread before each step
//   grads     one slot per worker thread, where it leaves its slice's gradients
//   val, test the evaluation splits (moved there from the dataset, so not held twice), evaluated in
//             chunks spread over all threads
// Each slice's loss is scaled by slice/batch, so the slices' gradients sum to the batch's mean
// gradient. The main thread sums them in the fixed order 0, 1, …, N − 1 and applies the optimizer
// once: a given (config, N) gives the same bits every time, the optimizer state lives only in the
// main thread, and checkpoints and resume work as with one thread. Evaluation chunks are summed
// in chunk order, as the one-thread evaluation does, so val and test numbers are those of one thread.
// Exact because shl and cnn use no batch statistics and no dropout: slices are independent.
// N = 1 never comes here: the loop takes its own step, unchanged.
import * as fs from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig } from '../config/schema';
import type { Dataset, Split } from '../data/types';
import { readNoCopy } from '../structured/accel/hostData';
import type { BatchPool, Minibatch } from './classifier';
import { batchGrads, type ParallelSteps } from './loop';
import type { Optimizer } from './optimizer';
import { chunkStats, type TrainableModel } from './evaluate';
import type { Evaluation, TrainTask } from './types';

/** What a worker thread needs to build the model: the dataset's shape, never its rows. */
export type DataShape = Pick<Dataset, 'name' | 'features' | 'classes' | 'imageShape'>;

/** One variable's place in the flat weights and gradient buffers. */
export interface VarSlot {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

/** What each worker thread starts with (stepWorker.ts reads it as workerData). */
export interface WorkerInit {
  cfg: ExperimentConfig;
  shape: DataShape;
  backend: 'wasm' | 'cpu';
  matmulFix: boolean;
  layout: VarSlot[];
  x: SharedArrayBuffer;
  y: SharedArrayBuffer;
  weights: SharedArrayBuffer;
  /** This thread's gradient slot. */
  grads: SharedArrayBuffer;
  splits: Record<EvalSplit, SharedSplit>;
}

export type EvalSplit = 'val' | 'test';
export interface SharedSplit {
  x: SharedArrayBuffer;
  y: SharedArrayBuffer;
  count: number;
}

export type WorkerRequest =
  | { kind: 'step'; start: number; size: number; batchSize: number }
  | { kind: 'eval'; split: EvalSplit; chunks: Array<[number, number]> };

export type WorkerReply =
  | { kind: 'ready'; tensors: number }
  | { kind: 'stepped'; loss: number; right: number; tensors: number }
  | { kind: 'evaluated'; stats: Array<[number, number]>; tensors: number }
  | { kind: 'failed'; message: string };

export interface PoolOptions {
  cfg: ExperimentConfig;
  data: Dataset;
  /** The backend the main thread runs (only wasm and cpu have data-parallel steps). */
  backend: 'wasm' | 'cpu';
  matmulFix: boolean;
  /** N ≥ 2: the main thread and N − 1 worker threads. */
  workers: number;
  model: TrainableModel;
  vars: Record<string, tf.Variable>;
}

/** Rows per evaluation chunk (evaluate.ts's batch size): the chunks, and their sums, are those of one thread. */
const EVAL_CHUNK = 1000;

export class StepPool implements BatchPool {
  readonly buffers: { x: Float32Array; y: Int32Array };
  /** Tensors alive in each worker thread after its last reply (flat over epochs when nothing leaks). */
  readonly workerTensors: number[];
  private readonly threads: Thread[] = [];
  private readonly layout: VarSlot[];
  private readonly weights: Float32Array;
  private readonly slots: Float32Array[];
  private readonly splits: Record<EvalSplit, Split>;
  private closed = false;

  private constructor(
    private readonly o: PoolOptions,
    init: Omit<WorkerInit, 'grads'>,
    slotBuffers: SharedArrayBuffer[],
  ) {
    this.layout = init.layout;
    this.buffers = { x: new Float32Array(init.x), y: new Int32Array(init.y) };
    this.weights = new Float32Array(init.weights);
    this.slots = slotBuffers.map((b) => new Float32Array(b));
    this.splits = { val: splitView(init.splits.val), test: splitView(init.splits.test) };
    this.workerTensors = slotBuffers.map(() => 0);
  }

  /** Starts the N − 1 worker threads and waits until each has its backend and model. */
  static async start(o: PoolOptions): Promise<StepPool> {
    if (o.workers < 2) throw new Error(`a worker pool needs N ≥ 2 threads, got ${o.workers}`);
    const file = workerFile();
    const batchSize = o.cfg.training.batch_size;
    const n = o.data.features;
    const layout: VarSlot[] = [];
    let total = 0;
    for (const [name, v] of Object.entries(o.vars)) {
      layout.push({ name, shape: [...v.shape], offset: total, size: v.size });
      total += v.size;
    }
    const splits = { val: share(o.data.val), test: share(o.data.test) };
    const init = {
      cfg: o.cfg,
      shape: { name: o.data.name, features: n, classes: o.data.classes, imageShape: o.data.imageShape },
      backend: o.backend,
      matmulFix: o.matmulFix,
      layout,
      x: new SharedArrayBuffer(batchSize * n * 4),
      y: new SharedArrayBuffer(batchSize * 4),
      weights: new SharedArrayBuffer(total * 4),
      splits,
    };
    const slotBuffers = Array.from({ length: o.workers - 1 }, () => new SharedArrayBuffer(total * 4));
    const pool = new StepPool(o, init, slotBuffers);
    try {
      for (let i = 1; i < o.workers; i++) {
        const data: WorkerInit = { ...init, grads: slotBuffers[i - 1] };
        pool.threads.push(new Thread(new Worker(file, { workerData: data }), i));
      }
      const ready = await Promise.all(pool.threads.map((t) => t.reply()));
      ready.forEach((r, i) => (pool.workerTensors[i] = r.tensors));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  stepsFor(task: TrainTask<Minibatch>): ParallelSteps<Minibatch> {
    return {
      step: (optimizer, batch) => this.step(task, optimizer, batch),
      evaluate: (split, onChunk) => this.evaluate(split, onChunk),
    };
  }

  /** One optimizer step on a batch split over all threads; the loss and correct count of the whole batch. */
  private async step(task: TrainTask<Minibatch>, optimizer: Optimizer, batch: Minibatch): Promise<{ loss: number; right: number }> {
    const { size } = batch;
    const N = this.o.workers;
    const cut = (i: number) => Math.floor((i * size) / N);
    this.publishWeights();
    // Slices of worker threads 1..N−1 (empty ones, of a batch smaller than N, are skipped).
    const pending: Array<Promise<WorkerReply & { kind: 'stepped' }> | null> = this.threads.map((t, k) => {
      const start = cut(k + 1);
      const end = cut(k + 2);
      return end > start ? t.request({ kind: 'step', start, size: end - start, batchSize: size }, 'stepped') : null;
    });
    const all = settled(pending);
    // Slice 0, here, while the worker threads compute theirs.
    const own = cut(1) > 0 ? batchGrads(() => task.forward({ ...batch, size: cut(1) }), this.o.vars, cut(1) / size) : null;
    try {
      const replies = await all;
      let loss = 0;
      let right = 0;
      if (own) [loss, right] = await own.stats.data();
      replies.forEach((r, k) => {
        if (!r) return;
        loss += r.loss;
        right += r.right;
        this.workerTensors[k] = r.tensors;
      });
      // A non-finite loss stops the run before it poisons the weights (as loop.ts's step).
      if (Number.isFinite(loss)) {
        tf.tidy(() => {
          const summed: Record<string, tf.Tensor> = {};
          for (const { name, shape, offset, size: len } of this.layout) {
            let g: tf.Tensor | null = own ? own.grads[name] : null;
            replies.forEach((r, k) => {
              if (!r) return;
              const t = tf.tensor(this.slots[k].subarray(offset, offset + len), shape);
              g = g ? tf.add(g, t) : t;
            });
            summed[name] = g!;
          }
          optimizer.step(summed);
        });
      }
      return { loss, right };
    } finally {
      if (own) tf.dispose([own.stats, ...Object.values(own.grads)]);
    }
  }

  /** A split in chunks of 1000 rows spread over all threads, summed in chunk order (= one thread's numbers). */
  private async evaluate(which: EvalSplit, onChunk?: () => void): Promise<Evaluation> {
    const split = this.splits[which];
    const { count } = split;
    if (count === 0) return { loss: NaN, acc: NaN };
    const chunks: Array<[number, number]> = [];
    for (let s = 0; s < count; s += EVAL_CHUNK) chunks.push([s, Math.min(count, s + EVAL_CHUNK)]);
    const N = this.o.workers;
    this.publishWeights();
    const mine = (i: number) => chunks.filter((_, c) => c % N === i);
    const pending = this.threads.map((t, k) => (mine(k + 1).length ? t.request({ kind: 'eval', split: which, chunks: mine(k + 1) }, 'evaluated') : null));
    const all = settled(pending);
    const stats = new Map<number, [number, number]>();
    const ownChunks = mine(0);
    for (const [start, end] of ownChunks) {
      stats.set(start, await chunkStats(this.o.model, split, this.o.data.features, start, end));
      onChunk?.();
    }
    const replies = await all;
    replies.forEach((r, k) => {
      if (!r) return;
      mine(k + 1).forEach(([start], j) => stats.set(start, r.stats[j]));
      this.workerTensors[k] = r.tensors;
    });
    let lossSum = 0;
    let correct = 0;
    for (const [start] of chunks) {
      const [l, c] = stats.get(start)!;
      lossSum += l;
      correct += c;
    }
    return { loss: lossSum / count, acc: correct / count };
  }

  /** Copies the main thread's weights where the worker threads read them. */
  private publishWeights(): void {
    for (const { name, offset } of this.layout) this.weights.set(readNoCopy(this.o.vars[name]), offset);
  }

  /** Stops every worker thread (idempotent); safe on every exit path. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.threads.map((t) => t.terminate()));
  }
}

/** Promise.all, handled at once: if this thread fails first, the workers' later failures are no unhandled rejections. */
function settled<T>(pending: Array<Promise<T> | null>): Promise<Array<T | null>> {
  const all = Promise.all(pending);
  all.catch(() => undefined);
  return all;
}

let live = 0;
/** Worker threads of this process not yet stopped (tests check every exit path brings it back to 0). */
export function liveWorkerThreads(): number {
  return live;
}

/** One worker thread: one request at a time, its reply or its failure. */
class Thread {
  private stopped = false;
  private waiting: { resolve: (r: WorkerReply) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;
  private readonly early: WorkerReply[] = [];

  constructor(
    private readonly worker: Worker,
    readonly index: number,
  ) {
    live++;
    worker.on('message', (r: WorkerReply) => {
      if (r.kind === 'failed') return this.fail(new Error(`worker thread ${index}: ${r.message}`));
      const w = this.waiting;
      this.waiting = null;
      if (w) w.resolve(r);
      else this.early.push(r);
    });
    worker.on('error', (err) => this.fail(new Error(`worker thread ${index}: ${err.message}`)));
    worker.on('exit', (code) => {
      this.fail(new Error(`worker thread ${index} exited (code ${code})`));
      this.markStopped();
    });
  }

  private markStopped(): void {
    if (!this.stopped) live--;
    this.stopped = true;
  }

  /** The next reply (the first one is 'ready'). */
  reply(): Promise<WorkerReply & { kind: 'ready' }> {
    return this.next() as Promise<WorkerReply & { kind: 'ready' }>;
  }

  request<K extends WorkerReply['kind']>(req: WorkerRequest, kind: K): Promise<WorkerReply & { kind: K }> {
    if (this.failure) return Promise.reject(this.failure);
    this.worker.postMessage(req);
    return this.next().then((r) => {
      if (r.kind !== kind) throw new Error(`worker thread ${this.index}: expected a "${kind}" reply, got "${r.kind}"`);
      return r as WorkerReply & { kind: K };
    });
  }

  private next(): Promise<WorkerReply> {
    if (this.early.length) return Promise.resolve(this.early.shift()!);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const w = this.waiting;
    this.waiting = null;
    w?.reject(this.failure);
  }

  async terminate(): Promise<void> {
    this.failure ??= new Error(`worker thread ${this.index} was stopped`);
    await this.worker.terminate();
    this.markStopped();
  }
}

/**
 * Moves a split's rows into shared memory: the split then reads from there (same values), and its
 * old buffers can be freed, so the threads share the split without holding it twice.
 */
function share(split: Split): SharedSplit {
  const x = split.x.buffer instanceof SharedArrayBuffer ? split.x.buffer : copyToShared(split.x);
  const y = split.y.buffer instanceof SharedArrayBuffer ? split.y.buffer : copyToShared(split.y);
  split.x = new Float32Array(x, split.x.buffer === x ? split.x.byteOffset : 0, split.x.length);
  split.y = new Int32Array(y, split.y.buffer === y ? split.y.byteOffset : 0, split.y.length);
  return { x, y, count: split.count };
}

function copyToShared(a: Float32Array | Int32Array): SharedArrayBuffer {
  const buf = new SharedArrayBuffer(a.byteLength);
  new Uint8Array(buf).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return buf;
}

export function splitView(s: SharedSplit): Split {
  return { x: new Float32Array(s.x), y: new Int32Array(s.y), count: s.count };
}

/**
 * The compiled worker (dist/train/stepWorker.js). A thread runs JavaScript: from dist/ it sits
 * beside this file; under vitest, which runs src/ directly, it is the build in dist/ (the test
 * set-up rebuilds dist/ when src/ is newer).
 */
export function workerFile(): string {
  const dir = path.extname(__filename) === '.js' ? __dirname : path.resolve(__dirname, '..', '..', 'dist', 'train');
  const file = path.join(dir, 'stepWorker.js');
  if (!fs.existsSync(file)) throw new Error(`the worker thread's compiled file ${file} is missing (run \`npm run build\`)`);
  return file;
}
