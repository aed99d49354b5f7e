// Paths of a run folder and the small files in it (see types.ts for the contract).
// Every write is atomic; metrics.jsonl is rewritten whole each epoch from the trainer's list,
// so after a resume it holds exactly the epochs of the checkpoint it resumed from.
import * as fs from 'fs';
import * as path from 'path';
import { renderConfigYaml } from '../config/print';
import type { ExperimentConfig } from '../config/schema';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic';
import type { EpochMetrics, RunEnv, RunSummary } from './types';

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
  writeJsonAtomic(p.env, env);
}

export function writeMetrics(p: RunPaths, metrics: EpochMetrics[]): void {
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
  writeJsonAtomic(p.summary, summary);
}

/** The summary of an ended run, or null while it has not ended. */
export function readSummary(p: RunPaths): RunSummary | null {
  if (!fs.existsSync(p.summary)) return null;
  return JSON.parse(fs.readFileSync(p.summary, 'utf8')) as RunSummary;
}

/** Forget everything a previous attempt produced (for --force); the lock stays. */
export function clearRun(p: RunPaths): void {
  for (const f of [p.summary, p.metrics, p.checkpoint, p.env, path.join(p.dir, 'tensorboard')]) fs.rmSync(f, { recursive: true, force: true });
}
