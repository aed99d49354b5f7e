// Find the run folders under a results folder and read their summaries. A folder without
// summary.json is unfinished (counted, not read); a summary that does not parse or does not
// match the contract is skipped with a warning, never a crash.
import * as fs from 'fs';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { RunSummary } from '../runs/types';

const summarySchema = z.looseObject({
  status: z.enum(['completed', 'diverged']),
  message: z.string().optional(),
  experiment: z.string(),
  runId: z.string(),
  dataset: z.string(),
  modelType: z.string(),
  className: z.string(),
  rank: z.number().int().min(1).nullable(),
  lr: z.number().positive(),
  seed: z.number().int(),
  epochs: z.number().int(),
  bestEpoch: z.number().int().nullable(),
  bestValAcc: z.number().min(0).max(1).nullable(),
  testAcc: z.number().min(0).max(1).nullable(),
  testLoss: z.number().nullable(),
  params: z.object({ structured: z.number().int().min(0), total: z.number().int().min(0) }),
  unconstrainedParams: z.number().int().min(0),
  wallSeconds: z.number(),
  backend: z.string(),
});

export interface ScanResult {
  runs: { dir: string; summary: RunSummary }[];
  /** Run folders without summary.json (running, interrupted, or never started). */
  unfinished: string[];
  /** Folders whose summary.json could not be used, with the reason. */
  skipped: { dir: string; reason: string }[];
}

/** Files that only a run folder has (types.ts). */
const RUN_MARKERS = ['summary.json', 'config.yaml', 'metrics.jsonl', 'checkpoint', 'lock', 'env.json'];
const MAX_DEPTH = 6;

export function scanResults(root: string): ScanResult {
  const out: ScanResult = { runs: [], unfinished: [], skipped: [] };
  walk(root, 0, out);
  out.runs.sort((a, b) => a.dir.localeCompare(b.dir));
  return out;
}

function walk(dir: string, depth: number, out: ScanResult): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  const names = new Set(entries.map((e) => e.name));
  if (RUN_MARKERS.some((m) => names.has(m))) return readRun(dir, names, out);
  if (depth >= MAX_DEPTH) return;
  for (const e of entries) {
    // `.sweep` (point configs, logs) and other hidden folders are not runs.
    if (e.isDirectory() && !e.name.startsWith('.')) walk(path.join(dir, e.name), depth + 1, out);
  }
}

function readRun(dir: string, names: Set<string>, out: ScanResult): void {
  if (!names.has('summary.json')) {
    out.unfinished.push(dir);
    return;
  }
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));
  } catch (err) {
    out.skipped.push({ dir, reason: `summary.json is not valid JSON (${(err as Error).message})` });
    return;
  }
  const parsed = summarySchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    out.skipped.push({ dir, reason: `summary.json: ${issue.path.join('.') || '(top level)'}: ${issue.message}` });
    return;
  }
  out.runs.push({ dir, summary: withConfigFacts(dir, names, parsed.data as RunSummary) });
}

/**
 * Summaries written before they recorded `operators` and `trainFrac` get them from the run's
 * config.yaml (the resolved experiment), so that older runs on (Z₀, Z₀) or on a fraction of the
 * training set are not reported as the defaults.
 */
function withConfigFacts(dir: string, names: Set<string>, summary: RunSummary): RunSummary {
  if ((summary.operators !== undefined && summary.trainFrac !== undefined) || !names.has('config.yaml')) return summary;
  let cfg: { dataset?: { train_frac?: unknown }; model?: { layer?: { operators?: unknown } } } | null;
  try {
    cfg = parseYaml(fs.readFileSync(path.join(dir, 'config.yaml'), 'utf8'));
  } catch {
    return summary;
  }
  const ops = cfg?.model?.layer?.operators;
  const frac = cfg?.dataset?.train_frac;
  return {
    ...summary,
    ...(summary.operators === undefined && (ops === 'z1' || ops === 'z0') ? { operators: ops } : {}),
    ...(summary.trainFrac === undefined && typeof frac === 'number' ? { trainFrac: frac } : {}),
  };
}
