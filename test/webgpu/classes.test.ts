// Every structured class on the webgpu backend against the cpu backend: the same matrix (same
// variables) gives the same output and the same gradients w.r.t. the input and every variable, and
// on webgpu nothing is read back to the host while it does so (the typed-array training paths,
// i.e. the wasm SIMD / JS Krylov kernels and the JS FFT / transform ops, must not run there).
// Tolerance: max |webgpu − cpu| ≤ 1e-4 · (1 + max |cpu|) per tensor (float32 on both; the two
// backends sum in different orders and, for the Krylov classes, build the Krylov matrices by
// different algorithms: SIMD recurrences on cpu, tensor-op doubling on webgpu).
// Then 100 SGD steps of an SHL on webgpu leave no tensor and no GPU memory behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend';
import { CLASSES } from '../../src/structured/registry';
import { createMatrix } from '../../src/structured/create';
import { ShlModel } from '../../src/models/shl';
import { CnnModel } from '../../src/models/cnn';
import { train } from '../../src/train/classifier';
import { Rng } from '../../src/util/random';
import type { Dataset, Split } from '../../src/data/types';
import { webgpuSkipReason } from './require';

const skip = await webgpuSkipReason('webgpu/classes.test');

const TOL = 1e-4;

interface Result {
  y: Float32Array;
  grads: Float32Array[];
}

/** Output and gradients of L = Σ y ⊙ w (w fixed) w.r.t. x and every variable, on the current backend. */
function forwardAndGrads(apply: (x: tf.Tensor2D) => tf.Tensor2D, vars: tf.Variable[], xv: Float32Array, wv: Float32Array, shape: [number, number], outShape: [number, number]): Result {
  return tf.tidy(() => {
    const x = tf.tensor2d(xv, shape);
    const w = tf.tensor2d(wv, outShape);
    const f = (xi: tf.Tensor) => tf.sum(tf.mul(apply(xi as tf.Tensor2D), w));
    const y = apply(x);
    const { grads } = tf.variableGrads(() => f(x) as tf.Scalar, vars);
    const dx = tf.grad(f)(x);
    const out: Result = { y: y.dataSync() as Float32Array, grads: [dx.dataSync() as Float32Array, ...vars.map((v) => grads[v.name].dataSync() as Float32Array)] };
    return out;
  });
}

function maxDiff(a: Float32Array, b: Float32Array): { diff: number; scale: number } {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return { diff, scale };
}

type WebgpuBackendLike = {
  readSync: (dataId: object) => unknown;
  read: (dataId: object) => unknown;
  tensorMap: { get(dataId: object): { values?: unknown } | undefined };
};

/**
 * Counts the webgpu backend's reads of device data to the host while `body` runs. A read of values
 * the backend already holds on the host (small tensors it computes on the CPU itself) is no device
 * read and is not counted.
 */
function countDeviceReads<T>(body: () => T): { value: T; reads: number } {
  const backend = tf.backend() as unknown as WebgpuBackendLike;
  const { readSync, read } = backend;
  let reads = 0;
  const onDevice = (dataId: object) => backend.tensorMap.get(dataId)?.values == null;
  backend.readSync = (dataId) => (onDevice(dataId) && reads++, readSync.call(backend, dataId));
  backend.read = (dataId) => (onDevice(dataId) && reads++, read.call(backend, dataId));
  try {
    return { value: body(), reads };
  } finally {
    backend.readSync = readSync;
    backend.read = read;
  }
}

describe.skipIf(skip !== null)('structured classes on webgpu match cpu', () => {
  beforeAll(async () => {
    const info = await initBackend('webgpu');
    expect(info.name).toBe('webgpu');
    expect(info.gpu?.api).toBe('webgpu');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  // n = 16 (a power of two) and 12 (circulant's and fastfood's padded transforms).
  const cases = CLASSES.flatMap((spec) => [16, 12].map((n) => ({ name: spec.name, n })));
  it.each(cases)('$name, n = $n', async ({ name, n }) => {
    const rng = new Rng(7);
    const batch = 3;
    const matrix = createMatrix(name, { n, rank: 2, rng: rng.fork() });
    const vars = Object.values(matrix.variables);
    const xv = Float32Array.from(rng.normalArray(batch * n));
    const wv = Float32Array.from(rng.normalArray(batch * matrix.m));
    const apply = (x: tf.Tensor2D) => matrix.apply(x);
    try {
      await tf.setBackend('cpu');
      const ref = forwardAndGrads(apply, vars, xv, wv, [batch, n], [batch, matrix.m]);
      await tf.setBackend('webgpu');
      // Values computed on the device stay there: count reads only around the graph, not the final copies.
      const { value: kept, reads } = countDeviceReads(() =>
        tf.tidy(() => {
          const x = tf.tensor2d(xv, [batch, n]);
          const w = tf.tensor2d(wv, [batch, matrix.m]);
          const f = (xi: tf.Tensor) => tf.sum(tf.mul(apply(xi as tf.Tensor2D), w));
          const { grads } = tf.variableGrads(() => f(x) as tf.Scalar, vars);
          return [apply(x), tf.grad(f)(x), ...vars.map((v) => grads[v.name])].map((t) => tf.keep(t));
        }),
      );
      expect(reads, 'host reads on webgpu: a typed-array path ran').toBe(0);
      const values = (await Promise.all(kept.map((t) => t.data()))) as Float32Array[];
      const got: Result = { y: values[0], grads: values.slice(1) };
      tf.dispose(kept);
      const labels = ['y', 'dx', ...Object.keys(matrix.variables).map((k) => `d${k}`)];
      [got.y, ...got.grads].forEach((g, i) => {
        const r = [ref.y, ...ref.grads][i];
        expect(g.length, labels[i]).toBe(r.length);
        const { diff, scale } = maxDiff(g, r);
        expect(diff, `${labels[i]}: max |webgpu − cpu| ${diff} (scale ${scale})`).toBeLessThanOrEqual(TOL * (1 + scale));
      });
    } finally {
      matrix.dispose();
    }
  });
});

function randomSplit(rng: Rng, count: number, n: number, classes: number): Split {
  return { x: Float32Array.from(rng.normalArray(count * n)), y: Int32Array.from({ length: count }, () => rng.int(classes)), count };
}

describe.skipIf(skip !== null)('no leak on webgpu', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('100 SGD steps of an SHL (toeplitz-like) keep tensors and GPU memory constant', async () => {
    await initBackend('webgpu');
    const before = tf.memory().numTensors;
    const rng = new Rng(3);
    const n = 16;
    const batchSize = 4;
    const data: Dataset = {
      name: 'random',
      features: n,
      classes: 3,
      imageShape: [4, 4, 1],
      train: randomSplit(rng, 100 * batchSize, n, 3),
      val: randomSplit(rng, 8, n, 3),
      test: randomSplit(rng, 8, n, 3),
    };
    const model = new ShlModel({ n, classes: 3, className: 'toeplitz-like', rank: 2, rng: rng.fork() });
    const seen: { tensors: number; bytes: number }[] = [];
    const result = await train({
      model,
      data,
      optimizer: { name: 'sgd', lr: 0.01, momentum: 0.9, lr_decay: 1, clip: null },
      training: { batch_size: batchSize, epochs: 1, seed: 0, eval_every: 1 },
      shuffleRng: rng.fork(),
      hooks: {
        onBatch: () => {
          const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
          seen.push({ tensors: m.numTensors, bytes: m.numBytesInGPU ?? NaN });
        },
      },
    });
    expect(result.status).toBe('completed');
    expect(seen).toHaveLength(100);
    expect(Number.isFinite(seen[0].bytes), 'webgpu reports numBytesInGPU').toBe(true);
    // After the first step (the optimizer creates its momentum slots) nothing may grow.
    for (const s of seen.slice(1)) expect(s).toEqual(seen[1]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe.skipIf(skip !== null)('CNN on webgpu', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('one epoch on 8×8 images (circulant layer) has the losses of the cpu run', async () => {
    await initBackend('webgpu');
    const rng = new Rng(11);
    const data: Dataset = {
      name: 'random',
      features: 64,
      classes: 3,
      imageShape: [8, 8, 1],
      train: randomSplit(rng, 32, 64, 3),
      val: randomSplit(rng, 16, 64, 3),
      test: randomSplit(rng, 16, 64, 3),
    };
    const epoch = async (backend: string) => {
      await tf.setBackend(backend);
      const model = new CnnModel({ imageShape: [8, 8, 1], classes: 3, className: 'circulant', rank: 1, rng: new Rng(5) });
      try {
        const r = await train({
          model,
          data,
          optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9, lr_decay: 1, clip: null },
          training: { batch_size: 8, epochs: 1, seed: 0, eval_every: 1 },
          shuffleRng: new Rng(6),
        });
        return { ...r.metrics[0], testLoss: r.testLoss! };
      } finally {
        model.dispose();
      }
    };
    const cpu = await epoch('cpu');
    const gpu = await epoch('webgpu');
    for (const k of ['trainLoss', 'valLoss', 'testLoss'] as const) {
      expect(Math.abs(gpu[k]! - cpu[k]!), `${k}: webgpu ${gpu[k]} vs cpu ${cpu[k]}`).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(cpu[k]!)));
    }
  });
});
