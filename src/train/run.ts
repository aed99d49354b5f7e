// One experiment, end to end: find its run folder, claim it, resume or start, train, write
// summary.json. Re-running an ended run trains nothing (unless `force`); a run killed mid-way
// resumes from its last checkpoint and ends with exactly the numbers of an uninterrupted run
// (same backend): init, shuffle stream, weights, best weights and optimizer state all restore.
import * as fs from 'fs';
import type { ExperimentConfig } from '../config/schema';
import type { Dataset } from '../data/types';
import { createClassifier, type ClassifierModel } from '../models';
import { saveCheckpoint } from '../runs/checkpoint';
import { collectEnv } from '../runs/env';
import { clearRun, readSummary, runPaths, writeConfig, writeEnv, writeMetrics, writeSummary, type RunPaths } from '../runs/folder';
import { claimLock, LOCK_HELD_EXIT_CODE } from '../runs/lock';
import { assertResumable, lockHeldMessage, readCheckpoint } from '../runs/resume';
import { runIdOf } from '../runs/runId';
import type { RunSummary } from '../runs/types';
import { findClass } from '../structured/registry';
import { UserError } from '../util/errors';
import { createProgress, type Progress } from './progress';
import { seedStreams, train, type TrainHooks } from './trainer';
import { runLmExperiment } from './lmRun';

export interface RunOptions {
  /** The dataset of cfg.dataset; called only when there is something to train. */
  loadData: () => Dataset | Promise<Dataset>;
  /** The backend actually in use (after initialisation). */
  backend: { name: string; reason: string };
  /** Retrain from scratch even if the run ended or has a checkpoint. */
  force?: boolean;
  progress?: Progress;
  /** Extra trainer hooks (tests inject a crash with onBatch). */
  hooks?: TrainHooks;
}

export interface RunOutcome {
  /** 'done-before': the run had ended already and nothing was trained. */
  kind: 'done-before' | 'trained';
  paths: RunPaths;
  summary: RunSummary;
  /** Epoch the run resumed after (null for a fresh start). */
  resumedFrom: number | null;
}

export async function runExperiment(cfg: ExperimentConfig, opts: RunOptions): Promise<RunOutcome> {
  // The language model has its own data and loop (lmRun.ts); it never calls opts.loadData.
  if (cfg.model.type === 'lstm') return runLmExperiment(cfg, opts);
  const runId = runIdOf(cfg);
  const paths = runPaths(cfg.output, cfg.name, runId);
  const progress = opts.progress ?? createProgress(process.stdout, { epochs: cfg.training.epochs, quiet: true });

  const ended = opts.force ? null : readSummary(paths);
  if (ended) return { kind: 'done-before', paths, summary: ended, resumedFrom: null };

  const claim = claimLock(paths.dir);
  if (!claim.ok) throw new UserError(lockHeldMessage(paths.dir, claim.holder), LOCK_HELD_EXIT_CODE);
  const lock = claim.lock;
  if (claim.tookOver) {
    progress.line(`took over a stale claim (pid ${claim.tookOver.pid} on ${claim.tookOver.host}, started ${claim.tookOver.startedAt})`);
  }
  // Ctrl-C / kill: give the claim back at once; the last epoch's checkpoint stays for a resume.
  const onSignal = (signal: NodeJS.Signals): void => {
    lock.release();
    progress.line(`interrupted (${signal}); the last completed epoch is checkpointed — run the same command again to resume`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let model: ClassifierModel | null = null;
  try {
    // Someone may have finished it between our first look and the claim.
    const endedMeanwhile = opts.force ? null : readSummary(paths);
    if (endedMeanwhile) return { kind: 'done-before', paths, summary: endedMeanwhile, resumedFrom: null };
    if (opts.force) clearRun(paths);

    writeConfig(paths, cfg);
    const data = await opts.loadData();
    lock.touch();
    const { init, shuffle } = seedStreams(cfg.training.seed);
    const layer = cfg.model.layer;
    model = createClassifier(cfg, data, init);

    const checkpoint = readCheckpoint(paths);
    if (checkpoint) assertResumable(paths, checkpoint.state.weights, model.variables());
    if (checkpoint) {
      progress.line(`resuming after epoch ${checkpoint.state.epoch} of ${cfg.training.epochs} from ${paths.checkpoint}`);
      if (checkpoint.backend !== opts.backend.name) {
        progress.line(
          `note: the checkpoint was written on backend ${checkpoint.backend}, this session uses ${opts.backend.name}; ` +
            'the result will not be bit-identical to an uninterrupted run',
        );
      }
    } else {
      // Stale metrics of a run killed before its first checkpoint.
      fs.rmSync(paths.metrics, { force: true });
    }
    if (!checkpoint || !fs.existsSync(paths.env)) writeEnv(paths, collectEnv(opts.backend));

    const result = await train({
      model,
      data,
      optimizer: cfg.optimizer,
      training: cfg.training,
      shuffleRng: shuffle,
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
          progress.epochEnd(m, state.best?.epoch === m.epoch);
          await opts.hooks?.onEpochEnd?.(m, () => state);
        },
      },
    });

    const counts = model.paramCounts();
    const spec = findClass(layer.class);
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
      bestValAcc: result.bestValAcc,
      testAcc: result.testAcc,
      testLoss: result.testLoss,
      params: { structured: counts.structured, total: counts.total },
      unconstrainedParams: model.hidden.matrix.m * model.hidden.matrix.n,
      wallSeconds: result.seconds,
      backend: opts.backend.name,
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
