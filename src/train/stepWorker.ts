// A worker thread of a data-parallel run (parallel.ts): its own TF.js backend, started exactly as
// the main thread's (initBackend: same kernels and patches), its own copy of the model, and on each
// request one slice of the batch or some evaluation chunks. It reads the weights the main thread
// published, and leaves its slice's gradients in its own slot of shared memory.
import { parentPort, workerData } from 'worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend';
import { readNoCopy } from '../structured/accel/hostData';
import type { Dataset } from '../data/types';
import { createClassifier } from '../models';
import { classifierForward, seedStreams } from './classifier';
import { chunkStats } from './evaluate';
import { batchGrads } from './loop';
import { splitView, type WorkerInit, type WorkerReply, type WorkerRequest } from './parallel';

async function main(init: WorkerInit): Promise<void> {
  const port = parentPort!;
  const post = (r: WorkerReply) => port.postMessage(r);
  try {
    await initBackend(init.backend, { matmulFix: init.matmulFix });
    // Built from the run's own init stream, as the main thread builds it: the variables are
    // overwritten by the published weights before every request, but what is drawn at init and is
    // no variable (Fastfood's permutation) must be the same in every thread.
    const shape = { ...init.shape, train: empty(), val: empty(), test: empty() } as Dataset;
    const model = createClassifier(init.cfg, shape, seedStreams(init.cfg.training.seed).init);
    const vars = model.variables();
    const n = init.shape.features;
    const x = new Float32Array(init.x);
    const y = new Int32Array(init.y);
    const weights = new Float32Array(init.weights);
    const slot = new Float32Array(init.grads);
    const splits = { val: splitView(init.splits.val), test: splitView(init.splits.test) };
    const loadWeights = (): void => {
      for (const { name, shape: s, offset, size } of init.layout) {
        tf.tidy(() => vars[name].assign(tf.tensor(weights.subarray(offset, offset + size), s)));
      }
    };

    const handle = async (req: WorkerRequest): Promise<Exclude<WorkerReply, { kind: 'ready' | 'failed' }>> => {
      loadWeights();
      if (req.kind === 'step') {
        const { start, size, batchSize } = req;
        const slice = { x: x.subarray(start * n), y: y.subarray(start), size };
        const { stats, grads } = batchGrads(() => classifierForward(model, n, slice), vars, size / batchSize);
        try {
          const [loss, right] = stats.dataSync();
          for (const { name, offset } of init.layout) slot.set(readNoCopy(grads[name]), offset);
          return { kind: 'stepped', loss, right, tensors: 0 };
        } finally {
          tf.dispose([stats, ...Object.values(grads)]);
        }
      }
      const stats: Array<[number, number]> = [];
      for (const [start, end] of req.chunks) stats.push(await chunkStats(model, splits[req.split], n, start, end));
      return { kind: 'evaluated', stats, tensors: 0 };
    };

    port.on('message', (req: WorkerRequest) => {
      handle(req).then(
        (r) => post({ ...r, tensors: tf.memory().numTensors }),
        (err: Error) => post({ kind: 'failed', message: err.stack ?? err.message }),
      );
    });
    post({ kind: 'ready', tensors: tf.memory().numTensors });
  } catch (err) {
    post({ kind: 'failed', message: (err as Error).stack ?? String(err) });
  }
}

function empty() {
  return { x: new Float32Array(0), y: new Int32Array(0), count: 0 };
}

void main(workerData as WorkerInit);
