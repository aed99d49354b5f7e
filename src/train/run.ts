// One experiment, end to end: find its run folder, claim it, resume or start, train, write
// summary.json. Re-running an ended run trains nothing (unless `force`); a run killed mid-way
// resumes from its last checkpoint and ends with exactly the numbers of an uninterrupted run
// (same backend): init, random streams, weights, best weights and optimizer state all restore.
//   classifierRun.ts  shl, cnn  (classifier.ts: shuffled minibatches of an image set)
//   lmRun.ts          lstm      (lm.ts: BPTT windows of a text corpus; never calls opts.loadData)
// Both train with the one loop of loop.ts and share the run-folder life cycle of session.ts; a
// classifier with training.workers > 1 (workers.ts) splits each batch over threads (parallel.ts).
import type { ExperimentConfig } from '../config/schema';
import { runClassifierExperiment } from './classifierRun';
import { runLmExperiment } from './lmRun';
import type { RunOptions, RunOutcome } from './types';

export type { RunOptions, RunOutcome } from './types';

export function runExperiment(cfg: ExperimentConfig, opts: RunOptions): Promise<RunOutcome> {
  return cfg.model.type === 'lstm' ? runLmExperiment(cfg, opts) : runClassifierExperiment(cfg, opts);
}
