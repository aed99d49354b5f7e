// The trainer on a tiny separable dataset: learns, does not leak, diverges cleanly, and a run
// crashed mid-epoch resumes to exactly the numbers of an uninterrupted run.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { experimentSchema, type ExperimentConfig } from '../src/config/schema';
import type { Dataset } from '../src/data/types';
import { ShlModel } from '../src/models/shl';
import { readMetrics } from '../src/runs/folder';
import type { RunSummary } from '../src/runs/types';
import { runExperiment } from '../src/train/run';
import { seedStreams, train } from '../src/train/classifier';
import { blobs } from './support/blobs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-train-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const backend = { name: 'cpu', reason: 'test' };

function config(over: { lr?: number; epochs?: number; name?: string; clazz?: string } = {}): ExperimentConfig {
  return experimentSchema.parse({
    name: over.name ?? 'blobs',
    dataset: { name: 'blobs' },
    model: { layer: { class: over.clazz ?? 'unconstrained', rank: 1 } },
    optimizer: { lr: over.lr ?? 0.05 },
    training: { epochs: over.epochs ?? 4, batch_size: 16, seed: 3 },
    output: tmp,
  });
}

/** Every number of a summary except the wall time and peak memory (which no two runs share). */
function numbers(s: RunSummary): Omit<RunSummary, 'wallSeconds' | 'peakRssMB'> {
  const { wallSeconds: _w, peakRssMB: _m, ...rest } = s;
  return rest;
}

function model(data: Dataset, seed = 3): ShlModel {
  return new ShlModel({ n: data.features, classes: data.classes, className: 'unconstrained', rank: 1, rng: seedStreams(seed).init });
}

describe('train', () => {
  it('beats chance on a small separable problem and reports test accuracy at the best validation epoch', async () => {
    const data = blobs();
    const m = model(data);
    const cfg = config();
    const r = await train({ model: m, data, optimizer: cfg.optimizer, training: cfg.training, shuffleRng: seedStreams(3).shuffle });
    m.dispose();
    expect(r.status).toBe('completed');
    expect(r.metrics.map((x) => x.epoch)).toEqual([1, 2, 3, 4]);
    expect(r.testAcc).toBeGreaterThan(0.85); // chance is 1/3
    const best = Math.max(...r.metrics.map((x) => x.valAcc ?? -1));
    expect(r.bestValAcc).toBe(best);
    expect(r.metrics[r.bestEpoch! - 1].valAcc).toBe(best);
    expect(r.metrics[3].trainLoss).toBeLessThan(r.metrics[0].trainLoss);
  });

  it('keeps the tensor count flat across epochs, validates every eval_every epochs and at the last', async () => {
    const data = blobs();
    const m = model(data);
    const cfg = config({ epochs: 5 });
    const counts: number[] = [];
    const before = tf.memory().numTensors;
    const r = await train({
      model: m,
      data,
      optimizer: { ...cfg.optimizer, clip: 1, lr_decay: 0.5 },
      training: { ...cfg.training, eval_every: 2 },
      shuffleRng: seedStreams(3).shuffle,
      hooks: { onEpochEnd: () => void counts.push(tf.memory().numTensors) },
    });
    expect(new Set(counts).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before); // optimizer state disposed at the end
    m.dispose();
    expect(r.metrics.map((x) => x.valAcc !== null)).toEqual([false, true, false, true, true]);
    expect(r.metrics.map((x) => x.lr)).toEqual([0.05, 0.025, 0.0125, 0.00625, 0.003125]);
  });

  it('ends a diverging run as a result with status diverged, naming epoch and batch', async () => {
    const cfg = config({ lr: 1e30, name: 'diverge', epochs: 3 });
    const out = await runExperiment(cfg, { loadData: () => blobs(), backend });
    expect(out.summary.status).toBe('diverged');
    expect(out.summary.message).toMatch(/^loss became (NaN|Infinity) at epoch \d+, batch \d+ of 15 \(lr 1e\+30\)$/);
    expect(JSON.parse(fs.readFileSync(out.paths.summary, 'utf8')).status).toBe('diverged');
  });
});

describe('runExperiment', () => {
  it('writes the run folder, and re-running an ended config trains nothing (--force retrains)', async () => {
    const cfg = config({ name: 'rerun' });
    const first = await runExperiment(cfg, { loadData: () => blobs(), backend });
    expect(first.kind).toBe('trained');
    expect(first.paths.dir).toBe(path.join(tmp, 'rerun', first.summary.runId));
    expect(first.summary.runId).toMatch(/^unconstrained_lr0\.05_s3_[0-9a-f]{8}$/);
    for (const f of ['config.yaml', 'env.json', 'metrics.jsonl', 'summary.json', 'checkpoint/epoch-0004.safetensors']) {
      expect(fs.existsSync(path.join(first.paths.dir, f)), f).toBe(true);
    }
    expect(fs.existsSync(first.paths.lock)).toBe(false);
    expect(readMetrics(first.paths).length).toBe(4);
    expect(first.summary.params).toEqual({ structured: 64, total: 64 + 8 + 8 * 3 + 3 });
    expect(first.summary.unconstrainedParams).toBe(64);
    expect(first.summary.rank).toBeNull(); // unconstrained has no displacement rank
    const env = JSON.parse(fs.readFileSync(first.paths.env, 'utf8'));
    expect(env.backend).toBe('cpu');
    expect(env.nodeVersion).toBe(process.version);
    // How the structured layer computed (src/structured/computePath.ts), in both files.
    expect(env.computePath).toBe('dense');
    expect(first.summary.computePath).toBe('dense');

    let loaded = 0;
    const again = await runExperiment(cfg, { loadData: () => (loaded++, blobs()), backend });
    expect(again.kind).toBe('done-before');
    expect(loaded).toBe(0);
    expect(again.summary).toEqual(first.summary);

    const forced = await runExperiment(cfg, { loadData: () => (loaded++, blobs()), backend, force: true });
    expect(forced.kind).toBe('trained');
    expect(loaded).toBe(1);
    expect(numbers(forced.summary)).toEqual(numbers(first.summary));
  });

  it('a run crashed mid-epoch resumes from its checkpoint and ends with the numbers of an uninterrupted run', async () => {
    for (const name of ['sgd', 'adam'] as const) {
      const base = config({ name: `straight-${name}`, epochs: 5 });
      const cfgA = { ...base, optimizer: { ...base.optimizer, name, lr: name === 'adam' ? 0.01 : 0.05, lr_decay: 0.9 } };
      const straight = await runExperiment(cfgA, { loadData: () => blobs(), backend });

      const cfgB = { ...cfgA, name: `crash-${name}` };
      const crash = new Error('simulated crash');
      await expect(
        runExperiment(cfgB, {
          loadData: () => blobs(),
          backend,
          hooks: { onBatch: (epoch, batch) => { if (epoch === 3 && batch === 7) throw crash; } },
        }),
      ).rejects.toBe(crash);
      const resumed = await runExperiment(cfgB, { loadData: () => blobs(), backend });
      expect(resumed.resumedFrom).toBe(2);
      const { experiment: _a, runId: _ra, ...a } = numbers(straight.summary);
      const { experiment: _b, runId: _rb, ...b } = numbers(resumed.summary);
      expect(b).toEqual(a);
      const strip = (ms: ReturnType<typeof readMetrics>) => ms.map(({ seconds: _s, rssMB: _r, tensors: _t, time: _tm, ...m }) => m);
      expect(strip(readMetrics(resumed.paths))).toEqual(strip(readMetrics(straight.paths)));
    }
  });
});

describe('runExperiment, resume edge cases', () => {
  it('killed after the last checkpoint but before summary.json: the re-run only evaluates', async () => {
    const cfg = config({ name: 'late-crash', epochs: 3 });
    const straight = await runExperiment({ ...cfg, name: 'late-straight' }, { loadData: () => blobs(), backend });
    const crash = new Error('crash after the last checkpoint');
    await expect(
      runExperiment(cfg, { loadData: () => blobs(), backend, hooks: { onEpochEnd: (m) => { if (m.epoch === 3) throw crash; } } }),
    ).rejects.toBe(crash);
    let batches = 0;
    const resumed = await runExperiment(cfg, { loadData: () => blobs(), backend, hooks: { onBatch: () => void batches++ } });
    expect(resumed.resumedFrom).toBe(3);
    expect(batches).toBe(0);
    expect(resumed.summary.testAcc).toBe(straight.summary.testAcc);
    expect(resumed.summary.bestEpoch).toBe(straight.summary.bestEpoch);
  });

  it('a checkpoint that does not fit the model is a UserError that suggests --force', async () => {
    const cfg = config({ name: 'misfit', epochs: 2 });
    const crash = new Error('crash');
    await expect(
      runExperiment(cfg, { loadData: () => blobs(), backend, hooks: { onBatch: (e) => { if (e === 2) throw crash; } } }),
    ).rejects.toBe(crash);
    // Same run folder, but the data now has 10 features instead of 8: the weights no longer fit.
    const err = await runExperiment(cfg, { loadData: () => blobs({ n: 10 }), backend }).catch((e) => e);
    expect(err.constructor.name).toBe('UserError');
    expect(err.message).toMatch(/cannot resume from .*checkpoint: it does not fit the model \(hidden\.W has 64 values, the model 100.*use --force to start over$/);
    const forced = await runExperiment(cfg, { loadData: () => blobs({ n: 10 }), backend, force: true });
    expect(forced.summary.status).toBe('completed');
  });
});
