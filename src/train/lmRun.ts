// One language-model experiment (model.type lstm), end to end, with the same run-folder contract
// as the classifier (run.ts): claim the folder, resume from its checkpoint or start, train
// (lm.ts), write summary.json with perplexities. Reuses src/runs for lock, checkpoint, files.
import * as fs from 'fs';
import { lstmSchema, type ExperimentConfig } from '../config/schema';
import { loadCorpus } from '../data/corpus/load';
import { LstmLanguageModel } from '../models/lstm';
import { saveCheckpoint } from '../runs/checkpoint';
import { collectEnv } from '../runs/env';
import { clearRun, readSummary, runPaths, writeConfig, writeEnv, writeMetrics, writeSummary } from '../runs/folder';
import { claimLock, LOCK_HELD_EXIT_CODE } from '../runs/lock';
import { assertResumable, lockHeldMessage, readCheckpoint } from '../runs/resume';
import { runIdOf } from '../runs/runId';
import type { EpochMetrics, RunSummary } from '../runs/types';
import { findClass } from '../structured/registry';
import { UserError } from '../util/errors';
import { Rng } from '../util/random';
import { trainLm } from './lm';
import { createProgress } from './progress';
import type { RunOptions, RunOutcome } from './run';

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
  const runId = runIdOf(cfg);
  const paths = runPaths(cfg.output, cfg.name, runId);
  const progress = opts.progress ?? createProgress(process.stdout, { epochs: cfg.training.epochs, quiet: true });

  const ended = opts.force ? null : readSummary(paths);
  if (ended) return { kind: 'done-before', paths, summary: ended, resumedFrom: null };
  const claim = claimLock(paths.dir);
  if (!claim.ok) throw new UserError(lockHeldMessage(paths.dir, claim.holder), LOCK_HELD_EXIT_CODE);
  const lock = claim.lock;
  if (claim.tookOver) progress.line(`took over a stale claim (pid ${claim.tookOver.pid} on ${claim.tookOver.host}, started ${claim.tookOver.startedAt})`);
  const onSignal = (signal: NodeJS.Signals): void => {
    lock.release();
    progress.line(`interrupted (${signal}); the last completed epoch is checkpointed — run the same command again to resume`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let model: LstmLanguageModel | null = null;
  try {
    const endedMeanwhile = opts.force ? null : readSummary(paths);
    if (endedMeanwhile) return { kind: 'done-before', paths, summary: endedMeanwhile, resumedFrom: null };
    if (opts.force) clearRun(paths);
    writeConfig(paths, cfg);
    const corpus = loadCorpus(cfg.dataset);
    lock.touch();
    const { init, dropout } = lmSeedStreams(cfg.training.seed);
    const layer = cfg.model.layer;
    model = new LstmLanguageModel({
      vocabSize: corpus.vocab.size,
      hidden: lstm.hidden,
      className: layer.class,
      rank: layer.rank,
      bias: layer.bias,
      options: { operators: layer.operators },
      tieWeights: lstm.tie_weights,
      rng: init,
    });
    const checkpoint = readCheckpoint(paths);
    if (checkpoint) assertResumable(paths, checkpoint.state.weights, model.variables());
    if (checkpoint) {
      progress.line(`resuming after epoch ${checkpoint.state.epoch} of ${cfg.training.epochs} from ${paths.checkpoint}`);
      if (checkpoint.backend !== opts.backend.name) {
        progress.line(`note: the checkpoint was written on backend ${checkpoint.backend}, this session uses ${opts.backend.name}; the result will not be bit-identical to an uninterrupted run`);
      }
    } else fs.rmSync(paths.metrics, { force: true });
    if (!checkpoint || !fs.existsSync(paths.env)) writeEnv(paths, collectEnv(opts.backend));
    progress.line(`corpus ${corpus.name}: vocabulary ${corpus.vocab.size}, tokens train ${corpus.train.length} / valid ${corpus.valid.length} / test ${corpus.test.length}`);

    const result = await trainLm({
      model,
      corpus,
      optimizer: cfg.optimizer,
      training: cfg.training,
      lstm,
      dropoutRng: dropout,
      resume: checkpoint?.state,
      hooks: {
        onEpochStart(epoch, batches) {
          progress.epochStart(epoch, batches);
          opts.hooks?.onEpochStart?.(epoch, batches);
        },
        onBatch(epoch, batch, batches, loss) {
          lock.heartbeat();
          progress.batch(batch, batches, loss);
          opts.hooks?.onBatch?.(epoch, batch, batches, loss);
        },
        onEvalChunk: () => lock.heartbeat(),
        async onEpochEnd(m, snapshot) {
          const state = snapshot();
          saveCheckpoint(paths.checkpoint, state, opts.backend.name);
          writeMetrics(paths, state.metrics);
          lock.touch();
          progress.line(formatLmEpoch(m, cfg.training.epochs) + (state.best?.epoch === m.epoch ? '  *best' : ''));
          await opts.hooks?.onEpochEnd?.(m, () => state);
        },
      },
    });

    const counts = model.paramCounts();
    const spec = findClass(layer.class);
    const best = result.bestEpoch === null ? null : result.metrics.find((m) => m.epoch === result.bestEpoch) ?? null;
    const speeds = result.metrics.map((m) => m.tokensPerSecond ?? 0).filter((x) => x > 0);
    const summary: RunSummary = {
      status: result.status,
      ...(result.message ? { message: result.message } : {}),
      experiment: cfg.name,
      runId,
      dataset: cfg.dataset.name,
      modelType: cfg.model.type,
      className: spec?.name ?? layer.class,
      rank: spec && !spec.hasRank ? null : layer.rank,
      lr: cfg.optimizer.lr,
      seed: cfg.training.seed,
      epochs: cfg.training.epochs,
      bestEpoch: result.bestEpoch,
      bestValAcc: best?.valAcc ?? null,
      testAcc: result.testAcc,
      testLoss: result.testLoss,
      params: { structured: counts.structured, total: counts.total },
      unconstrainedParams: 16 * lstm.hidden * lstm.hidden,
      wallSeconds: result.seconds,
      backend: opts.backend.name,
      lm: {
        testPpl: result.testLoss === null ? null : Math.exp(result.testLoss),
        bestValPpl: result.bestValLoss === null ? null : Math.exp(result.bestValLoss),
        vocabSize: corpus.vocab.size,
        hidden: lstm.hidden,
        tokensPerSecond: speeds.length ? speeds.reduce((a, b) => a + b, 0) / speeds.length : null,
      },
    };
    writeSummary(paths, summary);
    return { kind: 'trained', paths, summary, resumedFrom: checkpoint?.state.epoch ?? null };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    model?.dispose();
    lock.release();
  }
}
