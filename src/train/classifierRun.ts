// One classifier experiment (model.type shl or cnn), end to end: claim its run folder, resume
// from its checkpoint or start, train (classifier.ts), write summary.json. The folder life cycle
// is session.ts, shared with the language model (lmRun.ts).
import type { ExperimentConfig } from '../config/schema';
import { createClassifier, type ClassifierModel } from '../models';
import { writeSummary } from '../runs/folder';
import type { RunSummary } from '../runs/types';
import { matmulFixInstalled } from '../backend';
import { seedStreams, train } from './classifier';
import { StepPool } from './parallel';
import { inRunFolder, resumeCheckpoint, sessionHooks, summaryCore } from './session';
import type { RunOptions, RunOutcome } from './types';

export async function runClassifierExperiment(cfg: ExperimentConfig, opts: RunOptions): Promise<RunOutcome> {
  return inRunFolder(cfg, opts, async (session) => {
    const data = await opts.loadData();
    session.lock.touch();
    const { init, shuffle } = seedStreams(cfg.training.seed);
    const model: ClassifierModel = createClassifier(cfg, data, init);
    let pool: StepPool | undefined;
    try {
      const computePath = model.hidden.matrix.computePath(cfg.training.batch_size);
      const checkpoint = resumeCheckpoint(session, model.variables(), computePath);
      if (session.workers > 1) {
        const backend = opts.backend.name as 'wasm' | 'cpu'; // resolveWorkers allows N > 1 only there
        pool = await StepPool.start({ cfg, data, backend, matmulFix: matmulFixInstalled(), workers: session.workers, model, vars: model.variables() });
      }
      const result = await train({
        pool,
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
        computePath,
      };
      writeSummary(session.paths, summary);
      return { kind: 'trained', paths: session.paths, summary, resumedFrom: checkpoint?.state.epoch ?? null };
    } finally {
      await pool?.close();
      model.dispose();
    }
  });
}
