// What the results folder says about a point: finished (summary.json), claimed by a live
// process (the run lock), failed at its last attempt (a sweep outcome record), or pending.
import * as fs from 'fs';
import * as path from 'path';
import type { RunEnv, RunStatus, RunSummary, SlurmJob } from '../runs/types';
import { writeJsonAtomic } from '../util/atomic';
import { lockState } from '../runs/lock';
import { parseSummary, readEnv } from '../runs/folder';
import type { SweepPoint } from './points';

export type PointState = RunStatus | 'running' | 'failed' | 'pending';

/** The summary of a finished run, or null (absent, or not yet readable). */
export function readSummary(runDir: string): RunSummary | null {
  const file = path.join(runDir, 'summary.json');
  try {
    // The same judgement as `ldr train` (src/runs/folder.ts): a damaged summary has not ended, so the
    // point is launched and its `ldr train` fails with the file name and what to do.
    return parseSummary(file, fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/** `<output>/<experiment>/.sweep`: point configs, logs and outcome records of this experiment's sweeps. */
export function sweepDir(point: SweepPoint): string {
  return path.join(point.config.output, point.config.name, '.sweep');
}

/** What happened the last time a sweep ran this point (written when a point ends). */
export interface OutcomeRecord {
  runId: string;
  outcome: 'completed' | 'diverged' | 'failed';
  exitCode: number | null;
  signal: string | null;
  message: string;
  log: string;
  seconds: number;
  host: string;
  pid: number;
  at: string;
  /** The Slurm job (array task) whose sweep ran it, when under Slurm. */
  slurm?: SlurmJob;
}

/** Who started a point last (written when a sweep launches it), so that a running or dead attempt can be traced. */
export interface StartRecord {
  runId: string;
  host: string;
  /** The sweep process that launched it. */
  pid: number;
  at: string;
  slurm?: SlurmJob;
}

function startFile(point: SweepPoint): string {
  return path.join(sweepDir(point), 'started', `${point.runId}.json`);
}

export function writeStart(point: SweepPoint, record: StartRecord): void {
  writeJsonAtomic(startFile(point), record);
}

export function readStart(point: SweepPoint): StartRecord | null {
  return readJson<StartRecord>(startFile(point));
}

/** The run's env.json (who started it first), or null. */
export function readRunEnv(runDir: string): RunEnv | null {
  return readEnv({ env: path.join(runDir, 'env.json') });
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

function outcomeFile(point: SweepPoint): string {
  return path.join(sweepDir(point), 'outcomes', `${point.runId}.json`);
}

export function writeOutcome(point: SweepPoint, record: OutcomeRecord): void {
  writeJsonAtomic(outcomeFile(point), record);
}

export function readOutcome(point: SweepPoint): OutcomeRecord | null {
  try {
    return JSON.parse(fs.readFileSync(outcomeFile(point), 'utf8')) as OutcomeRecord;
  } catch {
    return null;
  }
}

export function pointState(point: SweepPoint): PointState {
  const summary = readSummary(point.runDir);
  if (summary) return summary.status;
  if (lockState(point.runDir) === 'live') return 'running';
  return readOutcome(point)?.outcome === 'failed' ? 'failed' : 'pending';
}
