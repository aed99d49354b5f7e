// Paths of a run folder and the small files in it (see types.ts for the contract).
// Every write is atomic; metrics.jsonl is rewritten whole each epoch from the trainer's list,
// so after a resume it holds exactly the epochs of the checkpoint it resumed from.
import * as fs from 'fs';
import * as path from 'path';
import { renderConfigYaml } from '../config/print';
import type { ExperimentConfig } from '../config/schema';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic';
import { UserError } from '../util/errors';
import { assertClaim } from './lock';
import { RUN_STATUSES, type EpochMetrics, type RunEnv, type RunSummary } from './types';

export interface RunPaths {
  dir: string;
  config: string;
  env: string;
  metrics: string;
  summary: string;
  checkpoint: string;
  lock: string;
}

export function runPaths(output: string, experiment: string, runId: string): RunPaths {
  const dir = path.join(output, experiment, runId);
  return {
    dir,
    config: path.join(dir, 'config.yaml'),
    env: path.join(dir, 'env.json'),
    metrics: path.join(dir, 'metrics.jsonl'),
    summary: path.join(dir, 'summary.json'),
    checkpoint: path.join(dir, 'checkpoint'),
    lock: path.join(dir, 'lock'),
  };
}

export function writeConfig(p: RunPaths, cfg: ExperimentConfig): void {
  writeFileAtomic(p.config, renderConfigYaml(cfg));
}

export function writeEnv(p: RunPaths, env: RunEnv): void {
  assertClaim(p.dir);
  writeJsonAtomic(p.env, env);
}

/** The run's env.json (who started it first), or null when it is missing or unreadable. */
export function readEnv(p: Pick<RunPaths, 'env'>): RunEnv | null {
  try {
    return JSON.parse(fs.readFileSync(p.env, 'utf8')) as RunEnv;
  } catch {
    return null;
  }
}

// The writes below first check that this process still holds the run folder's claim (fencing:
// a process whose claim was taken over stops before writing; see lock.ts).

export function writeMetrics(p: RunPaths, metrics: EpochMetrics[]): void {
  assertClaim(p.dir);
  writeFileAtomic(p.metrics, metrics.map((m) => JSON.stringify(m) + '\n').join(''));
}

export function readMetrics(p: RunPaths): EpochMetrics[] {
  if (!fs.existsSync(p.metrics)) return [];
  return fs
    .readFileSync(p.metrics, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as EpochMetrics);
}

export function writeSummary(p: RunPaths, summary: RunSummary): void {
  assertClaim(p.dir);
  writeJsonAtomic(p.summary, summary);
}

/**
 * The summary of an ended run, or null while it has not ended. A summary that does not parse or
 * lacks a known status is a UserError naming the file (`sweep` judges it the same way: not ended);
 * one that lacks the numbers `ldr train` prints is too.
 */
export function readSummary(p: RunPaths): RunSummary | null {
  if (!fs.existsSync(p.summary)) return null;
  const s = parseSummary(p.summary, fs.readFileSync(p.summary, 'utf8'));
  const problem = missingNumbers(s as unknown as Record<string, unknown>);
  if (problem) throw new UserError(`${p.summary} is damaged (${problem}); use --force to retrain the run`);
  return s;
}

/** The one judgement of "ended" for train, sweep and status: a JSON object with a known status. */
export function parseSummary(file: string, text: string): RunSummary {
  let s: unknown;
  try {
    s = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${file} is damaged (${(err as Error).message}); use --force to retrain the run`);
  }
  if (!s || typeof s !== 'object' || Array.isArray(s)) throw new UserError(`${file} is damaged (not a JSON object); use --force to retrain the run`);
  const status = (s as Record<string, unknown>).status;
  if (!RUN_STATUSES.includes(status as never)) {
    throw new UserError(`${file} is damaged (unknown status ${JSON.stringify(status)}, expected ${RUN_STATUSES.join(' or ')}); use --force to retrain the run`);
  }
  return s as RunSummary;
}

function missingNumbers(o: Record<string, unknown>): string | null {
  for (const k of ['epochs', 'wallSeconds', 'seed', 'lr']) if (typeof o[k] !== 'number') return `field ${k} missing or not a number`;
  for (const k of ['testAcc', 'bestValAcc', 'testLoss']) if (o[k] !== null && typeof o[k] !== 'number') return `field ${k} is not a number or null`;
  if (!o.params || typeof (o.params as Record<string, unknown>).total !== 'number') return 'field params.total missing';
  return null;
}

/** Forget everything a previous attempt produced (for --force); the lock stays. */
export function clearRun(p: RunPaths): void {
  for (const f of [p.summary, p.metrics, p.checkpoint, p.env, path.join(p.dir, 'tensorboard')]) fs.rmSync(f, { recursive: true, force: true });
}
