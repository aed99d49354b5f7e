// One language-model experiment (model.type lstm), end to end, with the same run-folder contract
// as the classifier (run.ts): claim the folder, resume from its checkpoint or start, train
// (lm.ts), write summary.json with perplexities. Reuses src/runs for lock, checkpoint, files.
import { lstmSchema, type ExperimentConfig } from '../config/schema';
import { loadCorpus } from '../data/corpus/load';
import { LstmLanguageModel } from '../models/lstm';
import { writeSummary } from '../runs/folder';
import type { EpochMetrics, RunSummary } from '../runs/types';
import { Rng } from '../util/random';
import { trainLm } from './lm';
import type { RunOptions, RunOutcome } from './types';
import { inRunFolder, resumeCheckpoint, sessionHooks, summaryCore } from './session';

/** Init and dropout streams of a run, both from the seed (as the classifier's init and shuffle). */
export function lmSeedStreams(seed: number): { init: Rng; dropout: Rng } {
  const root = new Rng(seed);
  return { init: root.fork(), dropout: root.fork() };
}

export function formatLmEpoch(m: EpochMetrics, epochs: number): string {
  const w = String(epochs).length;
  const val = m.valLoss === null ? 'val -' : `val loss ${m.valLoss.toFixed(4)} ppl ${m.valPpl?.toFixed(2)}`;
  return (
    `epoch ${String(m.epoch).padStart(w)}/${epochs}  train loss ${m.trainLoss.toFixed(4)} ppl ${m.trainPpl?.toFixed(2)}  ${val}  ` +
    `lr ${Number(m.lr.toPrecision(6))}  ${(m.tokensPerSecond ?? 0).toFixed(0)} tok/s  ${m.seconds.toFixed(2)}s`
  );
}

export async function runLmExperiment(cfg: ExperimentConfig, opts: RunOptions): Promise<RunOutcome> {
  const lstm = cfg.model.lstm ?? lstmSchema.parse({});
  return inRunFolder(cfg, opts, async (session) => {
    const corpus = loadCorpus(cfg.dataset);
    session.lock.touch();
    const { init, dropout } = lmSeedStreams(cfg.training.seed);
    const layer = cfg.model.layer;
    const model = new LstmLanguageModel({
      vocabSize: corpus.vocab.size,
      hidden: lstm.hidden,
      className: layer.class,
      rank: layer.rank,
      bias: layer.bias,
      options: { operators: layer.operators },
      tieWeights: lstm.tie_weights,
      rng: init,
    });
    try {
      // The structured product runs once per window on all T·B rows.
      const computePath = model.inputLayer.matrix.computePath(lstm.bptt * cfg.training.batch_size);
      const checkpoint = resumeCheckpoint(session, model.variables(), computePath);
      session.progress.line(
        `corpus ${corpus.name}: vocabulary ${corpus.vocab.size}, tokens train ${corpus.train.length} / valid ${corpus.valid.length} / test ${corpus.test.length}`,
      );
      const result = await trainLm({
        model,
        corpus,
        optimizer: cfg.optimizer,
        training: cfg.training,
        lstm,
        dropoutRng: dropout,
        resume: checkpoint?.state,
        hooks: sessionHooks(session, (m, isBest) => session.progress.line(formatLmEpoch(m, cfg.training.epochs) + (isBest ? '  *best' : ''))),
      });
      const counts = model.paramCounts();
      const best = result.bestEpoch === null ? null : (result.metrics.find((m) => m.epoch === result.bestEpoch) ?? null);
      const speeds = result.metrics.map((m) => m.tokensPerSecond ?? 0).filter((x) => x > 0);
      const summary: RunSummary = {
        ...summaryCore(session, result, { structured: counts.structured, total: counts.total }),
        bestValAcc: best?.valAcc ?? null,
        unconstrainedParams: 16 * lstm.hidden * lstm.hidden,
        computePath,
        lm: {
          testPpl: result.testLoss === null ? null : Math.exp(result.testLoss),
          bestValPpl: result.bestValLoss === null ? null : Math.exp(result.bestValLoss),
          vocabSize: corpus.vocab.size,
          hidden: lstm.hidden,
          tokensPerSecond: speeds.length ? speeds.reduce((a, b) => a + b, 0) / speeds.length : null,
        },
      };
      writeSummary(session.paths, summary);
      return { kind: 'trained', paths: session.paths, summary, resumedFrom: checkpoint?.state.epoch ?? null };
    } finally {
      model.dispose();
    }
  });
}
