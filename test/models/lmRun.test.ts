// `ldr train` for model.type lstm (src/train/lmRun.ts through runExperiment): the run folder holds
// perplexities per epoch and in the summary; a run crashed mid-epoch resumes from its checkpoint
// to exactly the numbers of an uninterrupted run; an ended run is not retrained.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend';
import { loadExperimentFromString } from '../../src/config/load';
import { readMetrics } from '../../src/runs/folder';
import type { EpochMetrics, RunSummary } from '../../src/runs/types';
import { runExperiment } from '../../src/train/run';
import { UserError } from '../../src/util/errors';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-lmrun-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const backend = { name: 'wasm', reason: 'test' };
const noData = () => {
  throw new Error('the language model must not load an image dataset');
};

function config(output: string, extra = ''): string {
  return `
name: lm
dataset: { name: tiny-grammar, train_frac: 0.3 }
model:
  type: lstm
  layer: { class: ldr-sd, rank: 1 }
  lstm: { hidden: 16, bptt: 20 }
optimizer: { name: sgd, lr: 2, momentum: 0, clip: 0.25 }
training: { batch_size: 10, epochs: 3, seed: 5 }
output: ${output}
${extra}`;
}

const stable = (m: EpochMetrics) => ({ ...m, seconds: 0, tokensPerSecond: 0, rssMB: 0, tensors: 0, time: '' });
const stableSummary = (s: RunSummary) => ({ ...s, wallSeconds: 0, peakRssMB: 0, lm: { ...s.lm!, tokensPerSecond: 0 } });

describe('ldr train, model.type lstm', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('writes perplexities, and a crashed run resumes to exactly the uninterrupted numbers', async () => {
    const whole = await runExperiment(loadExperimentFromString(config(path.join(tmp, 'a'))), { backend, loadData: noData });
    expect(whole.kind).toBe('trained');
    const s = whole.summary;
    expect(s.modelType).toBe('lstm');
    expect(s.lm!.vocabSize).toBeGreaterThan(40);
    expect(s.lm!.testPpl).toBeCloseTo(Math.exp(s.testLoss!), 6);
    expect(s.lm!.testPpl!).toBeLessThan(s.lm!.vocabSize);
    expect(s.unconstrainedParams).toBe(16 * 16 * 16);
    expect(s.params.structured).toBe(2 * 64 + 2 * 63);
    const metrics = readMetrics(whole.paths);
    expect(metrics.map((m) => m.epoch)).toEqual([1, 2, 3]);
    for (const m of metrics) {
      expect(m.trainPpl).toBeCloseTo(Math.exp(m.trainLoss), 6);
      expect(m.valPpl).toBeCloseTo(Math.exp(m.valLoss!), 6);
      expect(m.tokensPerSecond).toBeGreaterThan(0);
    }

    const cfgB = loadExperimentFromString(config(path.join(tmp, 'b')));
    let crashed = false;
    await expect(
      runExperiment(cfgB, {
        backend,
        loadData: noData,
        hooks: {
          onBatch(epoch, batch) {
            if (epoch === 2 && batch === 3) {
              crashed = true;
              throw new Error('simulated crash');
            }
          },
        },
      }),
    ).rejects.toThrow('simulated crash');
    expect(crashed).toBe(true);
    const resumed = await runExperiment(cfgB, { backend, loadData: noData });
    expect(resumed.resumedFrom).toBe(1);
    expect(stableSummary(resumed.summary)).toEqual(stableSummary(s));
    expect(readMetrics(resumed.paths).map(stable)).toEqual(metrics.map(stable));

    const again = await runExperiment(cfgB, { backend, loadData: noData });
    expect(again.kind).toBe('done-before');
  });

  it('a run whose loss becomes non-finite ends as diverged, with the place in its message', async () => {
    const cfg = loadExperimentFromString(config(path.join(tmp, 'c')).replace('lr: 2,', 'lr: 1e30,').replace('clip: 0.25', 'clip: 1'));
    const r = await runExperiment(cfg, { backend, loadData: noData });
    expect(r.summary.status).toBe('diverged');
    expect(r.summary.message).toMatch(/loss became (NaN|Infinity) at epoch 1, window \d+ of \d+/);
    expect(r.summary.lm!.testPpl).toBeNull();
    expect(fs.existsSync(path.join(r.paths.dir, 'summary.json'))).toBe(true);
  });

  it('config errors name the field: an image dataset for lstm, a corpus for shl, lstm settings for shl', () => {
    expect(() => loadExperimentFromString(config(tmp).replace('tiny-grammar', 'digits-noise'), 'x.yaml')).toThrow(UserError);
    expect(() => loadExperimentFromString(config(tmp).replace('tiny-grammar', 'digits-noise'), 'x.yaml')).toThrow(/dataset\.name: expected a text corpus/);
    const shl = `name: s\ndataset: { name: ptb }\nmodel: { type: shl, layer: { class: ldr-sd } }\n`;
    expect(() => loadExperimentFromString(shl, 's.yaml')).toThrow(/dataset\.name: expected one of/);
    const stray = `name: s\ndataset: { name: digits-noise }\nmodel: { type: cnn, layer: { class: ldr-sd }, lstm: { hidden: 8 } }\n`;
    expect(() => loadExperimentFromString(stray, 's.yaml')).toThrow(/model\.lstm: only for model\.type lstm/);
    expect(() => loadExperimentFromString(config(tmp).replace('rank: 1', 'rank: 65'), 'x.yaml')).toThrow(/model\.layer\.rank: expected an integer ≤ 4h = 64/);
  });
});
