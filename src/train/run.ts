// One experiment, end to end: find its run folder, claim it, resume or start, train, write
// summary.json. Re-running an ended run trains nothing (unless `force`); a run killed mid-way
// resumes from its last checkpoint and ends with exactly the numbers of an uninterrupted run
// (same backend): init, shuffle stream, weights, best weights and optimizer state all restore.
import type { ExperimentConfig } from '../config/schema';
import type { Dataset } from '../data/types';
import { createClassifier, type ClassifierModel } from '../models';
import { writeSummary, type RunPaths } from '../runs/folder';
import type { RunSummary } from '../runs/types';
import type { Progress } from './progress';
import { seedStreams, train, type TrainHooks } from './trainer';
import { runLmExperiment } from './lmRun';
import { inRunFolder, resumeCheckpoint, sessionHooks, summaryCore } from './session';

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
  return inRunFolder(cfg, opts, async (session) => {
    const data = await opts.loadData();
    session.lock.touch();
    const { init, shuffle } = seedStreams(cfg.training.seed);
    const model: ClassifierModel = createClassifier(cfg, data, init);
    try {
      const checkpoint = resumeCheckpoint(session, model.variables());
      const result = await train({
        model,
        data,
        optimizer: cfg.optimizer,
        training: cfg.training,
        shuffleRng: shuffle,
        resume: checkpoint?.state,
        hooks: sessionHooks(session, (m, isBest) => session.progress.epochEnd(m, isBest)),
      });
      const counts = model.paramCounts();
      const summary: RunSummary = {
        ...summaryCore(session, result, { structured: counts.structured, total: counts.total }),
        bestValAcc: result.bestValAcc,
        trainExamples: data.train.count,
        unconstrainedParams: model.hidden.matrix.m * model.hidden.matrix.n,
      };
      writeSummary(session.paths, summary);
      return { kind: 'trained', paths: session.paths, summary, resumedFrom: checkpoint?.state.epoch ?? null };
    } finally {
      model.dispose();
    }
  });
}
