// How many threads a sweep runs at once: `--jobs J` points, each with `training.workers` W threads
// (src/train/workers.ts). J·W must not exceed the cores (a step waiting for a busy core makes every
// thread of its run wait), unless the user insists with --oversubscribe. Without --jobs, a sweep of
// W-thread points runs floor(cores / W) of them; `training.workers: auto` gets the cores the running
// points leave free, floor(cores / J), passed to each child in LDR_WORKERS_AUTO.
import { UserError } from '../util/errors';
import type { SweepPoint } from './points';

export interface ThreadPlan {
  /** Points run at once. */
  jobs: number;
  /** What `training.workers: auto` means in each child. */
  workersAuto: number;
}

/** The largest fixed thread count of the points (`auto` adapts, and counts as 1). */
export function pointWorkers(points: readonly Pick<SweepPoint, 'config'>[]): number {
  return Math.max(1, ...points.map((p) => (typeof p.config.training.workers === 'number' ? p.config.training.workers : 1)));
}

export function planThreads(points: readonly Pick<SweepPoint, 'config'>[], jobsFlag: number | undefined, cores: number, oversubscribe: boolean): ThreadPlan {
  const workers = pointWorkers(points);
  const jobs = jobsFlag ?? Math.max(1, Math.floor(cores / workers));
  // Never more at once than there are points.
  const running = Math.max(1, Math.min(jobs, points.length));
  if (workers > 1 && running * workers > cores && !oversubscribe) {
    throw new UserError(
      `--jobs ${jobs} × training.workers ${workers} = ${running * workers} threads on ${cores} cores: ` +
        `lower --jobs (at most ${Math.max(1, Math.floor(cores / workers))}) or training.workers, or pass --oversubscribe`,
    );
  }
  return { jobs, workersAuto: Math.max(1, Math.floor(cores / running)) };
}
