// The run-folder life cycle that the classifier (run.ts) and the language model (lmRun.ts) share:
// skip an ended run, claim the folder (lock + signal handlers), resume from the checkpoint, save
// a checkpoint and metrics after every epoch, and the summary fields every run has.
import * as fs from 'fs';
import type * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig } from '../config/schema';
import { rememberShapes, saveCheckpoint, type LoadedCheckpoint } from '../runs/checkpoint';
import { collectEnv } from '../runs/env';
import { clearRun, readEnv, readSummary, runPaths, writeConfig, writeEnv, writeMetrics, type RunPaths } from '../runs/folder';
import { claimLock, LOCK_HELD_EXIT_CODE, type RunLock } from '../runs/lock';
import { assertResumable, lockHeldMessage, readCheckpoint } from '../runs/resume';
import { OPERATOR_CLASSES, runIdOf } from '../runs/runId';
import { writeTensorboard } from '../runs/tensorboard';
import type { EpochMetrics, RunStatus, RunSummary } from '../runs/types';
import { findClass } from '../structured/registry';
import { UserError } from '../util/errors';
import { createProgress, type Progress } from './progress';
import { resolveWorkers } from './workers';
import type { RunOptions, RunOutcome, TrainHooks } from './types';

export interface RunSession {
  cfg: ExperimentConfig;
  opts: RunOptions;
  runId: string;
  paths: RunPaths;
  progress: Progress;
  lock: RunLock;
  /** Threads that compute each step (training.workers, resolved). */
  workers: number;
}

/**
 * Runs `body` with the run folder claimed, or returns the ended run's summary untouched.
 * Ctrl-C / kill gives the claim back at once; the last epoch's checkpoint stays for a resume.
 */
export async function inRunFolder(cfg: ExperimentConfig, opts: RunOptions, body: (s: RunSession) => Promise<RunOutcome>): Promise<RunOutcome> {
  const workers = resolveWorkers(cfg, opts.backend.name);
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
  const onSignal = (signal: NodeJS.Signals): void => {
    lock.release();
    progress.line(`interrupted (${signal}); the last completed epoch is checkpointed — run the same command again to resume`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    // Someone may have finished it between our first look and the claim.
    const endedMeanwhile = opts.force ? null : readSummary(paths);
    if (endedMeanwhile) return { kind: 'done-before', paths, summary: endedMeanwhile, resumedFrom: null };
    if (opts.force) clearRun(paths);
    writeConfig(paths, cfg);
    return await body({ cfg, opts, runId, paths, progress, lock, workers });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    lock.release();
  }
}

/** The checkpoint to resume from (checked against the model's variables), or null for a fresh start; writes env.json. */
export function resumeCheckpoint(s: RunSession, vars: Record<string, tf.Variable>, computePath?: string): LoadedCheckpoint | null {
  const { cfg, opts, paths, progress, workers } = s;
  rememberShapes(paths.checkpoint, vars);
  const checkpoint = readCheckpoint(paths);
  if (checkpoint) {
    assertResumable(paths, checkpoint.state.weights, vars);
    progress.line(`resuming after epoch ${checkpoint.state.epoch} of ${cfg.training.epochs} from ${paths.checkpoint}`);
    if (checkpoint.backend !== opts.backend.name) {
      progress.line(
        `note: the checkpoint was written on backend ${checkpoint.backend}, this session uses ${opts.backend.name}; ` +
          'the result will not be bit-identical to an uninterrupted run',
      );
    }
    // 1 for runs made before training.workers existed (or without a readable env.json).
    const recorded = readEnv(paths)?.workers;
    const before = typeof recorded === 'number' ? recorded : 1;
    if (before !== workers) {
      progress.line(
        `note: the run started with training.workers ${before}, this session uses ${workers}; ` +
          'the result will not be bit-identical to an uninterrupted run',
      );
    }
  } else {
    // Stale metrics of a run killed before its first checkpoint.
    fs.rmSync(paths.metrics, { force: true });
  }
  if (!checkpoint || !fs.existsSync(paths.env)) writeEnv(paths, { ...collectEnv(opts.backend), ...(computePath ? { computePath } : {}), workers });
  return checkpoint;
}

/** Trainer hooks: progress, lock heartbeats, and a checkpoint + metrics after every epoch. */
export function sessionHooks(s: RunSession, showEpoch: (m: EpochMetrics, isBest: boolean) => void): TrainHooks {
  const { opts, paths, progress, lock } = s;
  return {
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
      writeTensorboard(paths.dir, state.metrics);
      lock.touch();
      showEpoch(m, state.best?.epoch === m.epoch);
      await opts.hooks?.onEpochEnd?.(m, () => state);
    },
  };
}

/** What every summary.json holds about the run itself (models add their accuracy fields). */
export function summaryCore(
  s: RunSession,
  result: { status: RunStatus; message?: string; bestEpoch: number | null; testAcc: number | null; testLoss: number | null; seconds: number },
  params: { structured: number; total: number },
): Omit<RunSummary, 'bestValAcc' | 'unconstrainedParams'> {
  const { cfg, runId, opts } = s;
  const layer = cfg.model.layer;
  const spec = findClass(layer.class);
  return {
    status: result.status,
    ...(result.message ? { message: result.message } : {}),
    experiment: cfg.name,
    runId,
    dataset: cfg.dataset.name,
    modelType: cfg.model.type,
    className: spec?.name ?? layer.class,
    rank: spec && !spec.hasRank ? null : layer.rank,
    ...(OPERATOR_CLASSES.has(spec?.name ?? layer.class) ? { operators: layer.operators } : {}),
    trainFrac: cfg.dataset.train_frac,
    lr: cfg.optimizer.lr,
    seed: cfg.training.seed,
    epochs: cfg.training.epochs,
    bestEpoch: result.bestEpoch,
    testAcc: result.testAcc,
    testLoss: result.testLoss,
    params,
    wallSeconds: result.seconds,
    backend: opts.backend.name,
    workers: s.workers,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}
