// `ldr sweep --status`: what the results folder says about each point of a sweep, and which
// Slurm jobs ran it. Read-only: it looks at summary.json, the run lock, metrics.jsonl,
// env.json (who started the run) and the sweep's start and outcome records.
import * as fs from 'fs';
import * as path from 'path';
import { ldrVersion, slurmJobLabel } from '../runs/env';
import { readLock } from '../runs/lock';
import type { SlurmJob } from '../runs/types';
import type { SweepPoint } from './points';
import { readOutcome, readRunEnv, readStart, readSummary } from './state';

/** done: completed; diverged: ended with a diverged result; running: claimed by a live process;
 *  stale: claimed by a process that is gone (the next sweep takes it over); failed: its last
 *  attempt failed; pending: never finished (maybe checkpointed: it resumes). */
export type StatusState = 'done' | 'diverged' | 'running' | 'stale' | 'failed' | 'pending';
export const STATUS_ORDER: StatusState[] = ['done', 'diverged', 'running', 'stale', 'failed', 'pending'];

export interface PointStatus {
  point: SweepPoint;
  state: StatusState;
  /** Slurm jobs that started, last launched or ended this point ("123_4"), oldest first. */
  jobs: string[];
  detail: string;
  /** The ldr version that started the run (env.json), null before it started. */
  ldrVersion: string | null;
}

export function pointStatus(point: SweepPoint, now = Date.now()): PointStatus {
  const env = readRunEnv(point.runDir);
  const start = readStart(point);
  const outcome = readOutcome(point);
  const jobs = unique([env?.slurm, start?.slurm, outcome?.slurm]);
  const version = env?.ldrVersion ?? null;
  const status = (state: StatusState, detail: string): PointStatus => ({ point, state, jobs, detail, ldrVersion: version });

  const summary = readSummary(point.runDir);
  if (summary) {
    const acc = summary.testAcc === null ? 'no test accuracy' : `test ${(summary.testAcc * 100).toFixed(2)}%`;
    return summary.status === 'completed' ? status('done', acc) : status('diverged', summary.message ?? 'diverged');
  }
  const lock = readLock(point.runDir, now);
  if (lock.state !== 'free') {
    const who = lock.info ? `pid ${lock.info.pid} on ${lock.info.host}` : 'unknown process';
    const beat = lock.ageMs === null ? '' : `, heartbeat ${Math.round(lock.ageMs / 1000)} s ago`;
    const at = epochsDone(point);
    const progress = at ? `, epoch ${at} of ${point.config.training.epochs} checkpointed` : '';
    if (lock.state === 'live') return status('running', `${who}${beat}${progress}`);
    return status('stale', `claim of ${who} is stale${beat}${progress}; the next sweep takes it over`);
  }
  if (outcome?.outcome === 'failed') return status('failed', outcome.message);
  const at = epochsDone(point);
  return status('pending', at ? `interrupted after epoch ${at} of ${point.config.training.epochs}; resumes from its checkpoint` : '');
}

export function countStates(rows: PointStatus[]): Map<StatusState, number> {
  const counts = new Map<StatusState, number>();
  for (const state of STATUS_ORDER) {
    const n = rows.filter((r) => r.state === state).length;
    if (n) counts.set(state, n);
  }
  return counts;
}

export function formatStatus(rows: PointStatus[]): string {
  const current = ldrVersion();
  const lines = rows.map((r) => {
    const jobs = r.jobs.length ? `  slurm ${r.jobs.join(',')}` : '';
    const detail = r.detail ? `  (${r.detail})` : '';
    // Only another version is worth a word on every line; the totals name this one.
    const version = r.ldrVersion && r.ldrVersion !== current ? `  ldr ${r.ldrVersion}` : '';
    return `${String(r.point.index).padStart(4)}  ${r.state.padEnd(8)}  ${r.point.runId}  ${r.point.label}${version}${jobs}${detail}`;
  });
  const totals = [...countStates(rows)].map(([state, n]) => `${n} ${state}`).join(', ');
  const older = rows.filter((r) => r.ldrVersion && r.ldrVersion !== current);
  const versions = [...new Set(older.map((r) => r.ldrVersion))].join(', ');
  const started = rows.filter((r) => r.ldrVersion).length;
  const note = older.length
    ? `${older.length} made by ldr ${versions}, not this ldr ${current}: \`ldr sweep --force\` retrains them\n`
    : started
      ? `made by ldr ${current} (this version)\n`
      : '';
  return `${lines.join('\n')}${lines.length ? '\n' : ''}${rows.length} point${rows.length === 1 ? '' : 's'}: ${totals || 'none'}\n${note}`;
}

/** `--status --json`: every point with its state, and the totals. */
export function statusJson(rows: PointStatus[]): Record<string, unknown> {
  return {
    ldrVersion: ldrVersion(),
    counts: Object.fromEntries(countStates(rows)),
    points: rows.map((r) => ({
      index: r.point.index,
      runId: r.point.runId,
      label: r.point.label,
      runDir: r.point.runDir,
      state: r.state,
      detail: r.detail,
      ldrVersion: r.ldrVersion,
      slurmJobs: r.jobs,
    })),
  };
}

/** Epochs in metrics.jsonl: those of the last checkpoint (folder.ts rewrites it whole each epoch). */
function epochsDone(point: SweepPoint): number {
  try {
    return fs
      .readFileSync(path.join(point.runDir, 'metrics.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim()).length;
  } catch {
    return 0;
  }
}

function unique(jobs: (SlurmJob | undefined)[]): string[] {
  return [...new Set(jobs.filter((j): j is SlurmJob => !!j).map(slurmJobLabel))];
}
