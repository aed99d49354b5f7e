// training.workers: N > 1 splits every batch over worker threads (src/train/parallel.ts). A given
// (config, N) is reproducible bit for bit, lands within accuracy tolerance of N = 1, resumes to the
// numbers of an uninterrupted N-thread run, records N, stops its threads on every exit path, and
// leaks no tensors in any thread. The threads run the compiled dist/ (the vitest set-up rebuilds it).
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadExperimentFromString } from '../src/config/load';
import { experimentSchema, type ExperimentConfig } from '../src/config/schema';
import { ShlModel } from '../src/models/shl';
import { readMetrics, type RunPaths } from '../src/runs/folder';
import { readCheckpoint } from '../src/runs/resume';
import { runIdOf } from '../src/runs/runId';
import type { EpochMetrics, RunSummary } from '../src/runs/types';
import { seedStreams, train } from '../src/train/classifier';
import { liveWorkerThreads, StepPool } from '../src/train/parallel';
import { runExperiment } from '../src/train/run';
import { resolveWorkers, WORKERS_AUTO_ENV } from '../src/train/workers';
import { blobs } from './support/blobs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-workers-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const backend = { name: 'cpu', reason: 'test' };
// 2,500 validation rows: three evaluation chunks of 1000, spread over the threads.
const data = () => blobs({ n: 12, train: 300, val: 2500, test: 200 });

function config(over: { workers?: number | 'auto'; name?: string; lr?: number; epochs?: number; clazz?: string; type?: 'shl' | 'cnn' } = {}): ExperimentConfig {
  return experimentSchema.parse({
    name: over.name ?? 'workers',
    dataset: { name: 'blobs' },
    model: { type: over.type ?? 'shl', layer: { class: over.clazz ?? 'ldr-sd', rank: 1 } },
    optimizer: { lr: over.lr ?? 0.05 },
    training: { epochs: over.epochs ?? 3, batch_size: 16, seed: 5, workers: over.workers ?? 2 },
    output: tmp,
  });
}

/** Every number of a summary except wall time and peak memory, which no two runs share. */
function numbers(s: RunSummary): Partial<RunSummary> {
  const { wallSeconds: _w, peakRssMB: _m, experiment: _e, runId: _r, ...rest } = s;
  return rest;
}
const strip = (ms: EpochMetrics[]) => ms.map(({ seconds: _s, time: _t, rssMB: _r, ...m }) => m);
/** One hash of the checkpointed weights, optimizer state and best weights (not its wall time). */
function stateHash(paths: RunPaths): string {
  const { state } = readCheckpoint(paths)!;
  const h = crypto.createHash('sha256');
  const arrays = { ...state.weights, ...state.optimizer.slots, ...prefixed('best/', state.best?.weights ?? {}) };
  for (const k of Object.keys(arrays).sort()) h.update(k).update(Buffer.from(arrays[k].buffer, arrays[k].byteOffset, arrays[k].byteLength));
  return h.digest('hex');
}
const prefixed = (p: string, o: Record<string, Float32Array>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [p + k, v]));

describe('training.workers: 2', () => {
  it('gives the same bits twice: metrics, summary and the checkpointed weights', async () => {
    const a = await runExperiment(config({ name: 'twice-a' }), { loadData: data, backend });
    const b = await runExperiment(config({ name: 'twice-b' }), { loadData: data, backend });
    expect(a.summary.status).toBe('completed');
    expect(a.summary.workers).toBe(2);
    expect(numbers(b.summary)).toEqual(numbers(a.summary));
    expect(strip(readMetrics(b.paths))).toEqual(strip(readMetrics(a.paths)));
    expect(stateHash(b.paths)).toBe(stateHash(a.paths));
    expect(JSON.parse(fs.readFileSync(a.paths.env, 'utf8')).workers).toBe(2);
    expect(liveWorkerThreads()).toBe(0);
  });

  it('lands within accuracy tolerance of one thread, and differs from it only in rounding', async () => {
    // fastfood: its permutation is drawn at init and is no variable, so every thread must draw the same one.
    for (const clazz of ['unconstrained', 'ldr-sd', 'ldr-td', 'fastfood']) {
      const lr = clazz === 'fastfood' || clazz === 'ldr-td' ? 0.005 : undefined; // both diverge at 0.05 on these blobs
      const one = await runExperiment(config({ name: `one-${clazz}`, workers: 1, clazz, lr }), { loadData: data, backend });
      const two = await runExperiment(config({ name: `two-${clazz}`, workers: 2, clazz, lr }), { loadData: data, backend });
      expect([one.summary.status, two.summary.status], clazz).toEqual(['completed', 'completed']);
      const m1 = readMetrics(one.paths);
      const m2 = readMetrics(two.paths);
      expect(m2.length, clazz).toBe(m1.length);
      for (let e = 0; e < m1.length; e++) {
        expect(Math.abs(m2[e].trainLoss - m1[e].trainLoss)).toBeLessThan(1e-3 * Math.max(1, m1[e].trainLoss));
        expect(Math.abs(m2[e].valAcc! - m1[e].valAcc!)).toBeLessThanOrEqual(0.005);
      }
      expect(Math.abs(two.summary.testAcc! - one.summary.testAcc!)).toBeLessThanOrEqual(0.01);
      expect(JSON.parse(fs.readFileSync(one.paths.env, 'utf8')).workers).toBe(1);
    }
  });

  it('the same experiment under another N is the same run folder (N is not part of the run id)', () => {
    expect(runIdOf(config({ workers: 2 }))).toBe(runIdOf(config({ workers: 1 })));
    expect(runIdOf(config({ workers: 'auto' }))).toBe(runIdOf(config({ workers: 1 })));
  });

  it('a run crashed mid-epoch resumes to exactly the numbers of an uninterrupted two-thread run', async () => {
    const straight = await runExperiment(config({ name: 'straight', epochs: 4 }), { loadData: data, backend });
    const cfg = config({ name: 'crashed', epochs: 4 });
    const crash = new Error('simulated crash');
    await expect(
      runExperiment(cfg, { loadData: data, backend, hooks: { onBatch: (epoch, batch) => { if (epoch === 3 && batch === 5) throw crash; } } }),
    ).rejects.toBe(crash);
    expect(liveWorkerThreads()).toBe(0); // stopped on the error path too
    const resumed = await runExperiment(cfg, { loadData: data, backend });
    expect(resumed.resumedFrom).toBe(2);
    expect(numbers(resumed.summary)).toEqual(numbers(straight.summary));
    expect(strip(readMetrics(resumed.paths))).toEqual(strip(readMetrics(straight.paths)));
  });

  it('a diverging run ends as diverged and stops its threads', async () => {
    const r = await runExperiment(config({ name: 'diverge', lr: 1e6, clazz: 'unconstrained' }), { loadData: data, backend });
    expect(r.summary.status).toBe('diverged');
    expect(r.summary.message).toMatch(/loss became (NaN|Infinity|-Infinity) at epoch \d+, batch \d+ of 19/);
    expect(liveWorkerThreads()).toBe(0);
  });

  it('keeps the tensor count flat over epochs in the main thread and in every worker thread (shl and cnn)', async () => {
    for (const type of ['shl', 'cnn'] as const) {
      const d = type === 'cnn' ? blobs({ n: 16, train: 120, val: 1200, test: 40 }) : data();
      if (type === 'cnn') d.imageShape = [4, 4, 1];
      const cfg = config({ type, clazz: 'ldr-sd', epochs: 4, workers: 3 });
      const { init, shuffle } = seedStreams(5);
      const model = type === 'shl' ? new ShlModel({ n: d.features, classes: d.classes, className: 'ldr-sd', rank: 1, rng: init }) : null;
      const m = model ?? (await import('../src/models')).createClassifier(cfg, d, init);
      const pool = await StepPool.start({ cfg, data: d, backend: 'cpu', matmulFix: false, workers: 3, model: m, vars: m.variables() });
      const counts: Array<{ main: number; workers: number[] }> = [];
      try {
        const r = await train({
          model: m,
          data: d,
          optimizer: cfg.optimizer,
          training: cfg.training,
          shuffleRng: shuffle,
          pool,
          hooks: { onEpochEnd: () => void counts.push({ main: tf.memory().numTensors, workers: [...pool.workerTensors] }) },
        });
        expect(r.status).toBe('completed');
      } finally {
        await pool.close();
        m.dispose();
      }
      expect(counts).toHaveLength(4);
      expect(counts[0].workers).toHaveLength(2);
      for (const c of counts) expect(c).toEqual(counts[0]);
      expect(liveWorkerThreads()).toBe(0);
    }
  });

  it('evaluates validation and test over the threads with exactly the numbers of one thread', async () => {
    const d = blobs({ n: 12, train: 100, val: 2500, test: 3100 });
    const cfg = config();
    const m = new ShlModel({ n: d.features, classes: d.classes, className: 'ldr-sd', rank: 1, rng: seedStreams(5).init });
    const { classifierTask } = await import('../src/train/classifier');
    const pool = await StepPool.start({ cfg, data: d, backend: 'cpu', matmulFix: false, workers: 2, model: m, vars: m.variables() });
    try {
      const task = classifierTask(m, d, 16, 1, pool.buffers);
      const steps = pool.stepsFor(task);
      for (const split of ['val', 'test'] as const) expect(await steps.evaluate(split)).toEqual(await task.evaluate(split));
    } finally {
      await pool.close();
      m.dispose();
    }
  });
});

describe('a worker thread that fails', () => {
  it('fails the start of the pool with its message, and no thread is left running', async () => {
    const d = data();
    // A worker builds its model from the config: an lstm is no image classifier, so each thread fails as it starts.
    const lstm = { ...config(), model: { ...config().model, type: 'lstm' as const } };
    const m = new ShlModel({ n: d.features, classes: d.classes, className: 'ldr-sd', rank: 1, rng: seedStreams(5).init });
    try {
      await expect(StepPool.start({ cfg: lstm, data: d, backend: 'cpu', matmulFix: false, workers: 3, model: m, vars: m.variables() })).rejects.toThrow(
        /^worker thread [12]: .*model\.type lstm is not an image classifier/,
      );
    } finally {
      m.dispose();
    }
    expect(liveWorkerThreads()).toBe(0);
  });
});

describe('training.workers: resolution and config errors', () => {
  const yaml = (training: string, extra = '') =>
    `name: w\ndataset:\n  name: digits-bg-rot\nmodel:\n  layer:\n    class: ldr-sd\n${extra}training:\n${training}`;
  const problem = (text: string): string => {
    try {
      loadExperimentFromString(text, 'exp.yaml');
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('expected a config error');
  };

  it('defaults to 1 and accepts a number or auto', () => {
    expect(loadExperimentFromString(yaml('  epochs: 1\n'), 'exp.yaml').training.workers).toBe(1);
    expect(loadExperimentFromString(yaml('  workers: 2\n'), 'exp.yaml').training.workers).toBe(2);
    expect(loadExperimentFromString(yaml('  workers: auto\n'), 'exp.yaml').training.workers).toBe('auto');
  });

  it('names file, field, line:column and what is expected for a bad value', () => {
    expect(problem(yaml('  workers: 0\n'))).toMatch(/exp\.yaml:8:\d+ training\.workers: expected .*1.* or "auto", got 0/);
    expect(problem(yaml('  workers: many\n'))).toMatch(/exp\.yaml:8:\d+ training\.workers: expected .* or "auto", got "many"/);
    expect(problem(yaml('  batch_size: 4\n  workers: 8\n'))).toMatch(/exp\.yaml:9:\d+ training\.workers: expected at most training\.batch_size = 4 threads.*got 8/);
  });

  it('rejects N > 1 for the lstm and for the GPU backends, with one line each', () => {
    const lstm = `name: w\ndataset:\n  name: ptb-char\nmodel:\n  type: lstm\n  layer:\n    class: ldr-sd\ntraining:\n  workers: 2\n`;
    expect(problem(lstm)).toMatch(/exp\.yaml:9:\d+ training\.workers: expected 1 or "auto" for model\.type lstm .*got 2/);
    for (const b of ['webgpu', 'tensorflow']) {
      expect(problem(yaml('  workers: 2\n') + `backend: ${b}\n`)).toMatch(new RegExp(`training\\.workers: expected 1 or "auto" for backend ${b} .*got 2`));
    }
  });

  it('resolves auto to the sweep share, else every core, capped at the batch; to 1 where it cannot split', () => {
    const auto = config({ workers: 'auto' });
    expect(resolveWorkers(auto, 'wasm', { [WORKERS_AUTO_ENV]: '3' })).toBe(3);
    expect(resolveWorkers(auto, 'wasm', {})).toBe(Math.min(16, os.availableParallelism()));
    expect(resolveWorkers(auto, 'wasm', { [WORKERS_AUTO_ENV]: '64' })).toBe(16); // batch_size 16
    expect(resolveWorkers(auto, 'tensorflow', { [WORKERS_AUTO_ENV]: '3' })).toBe(1);
    expect(resolveWorkers(config({ workers: 2 }), 'cpu', {})).toBe(2);
    // --backend on the command line can still pick a GPU backend after the file was checked.
    expect(() => resolveWorkers(config({ workers: 2 }), 'webgpu', {})).toThrow(/training\.workers: expected 1 or "auto" \(backend webgpu runs here/);
  });
});
