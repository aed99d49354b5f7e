// Find the run folders under a results folder and read their summaries, resolved configs
// (config.yaml) and the ldr version that made them (env.json). A folder without summary.json is
// unfinished (counted, not read); a summary that does not parse or does not match the contract
// is skipped with a warning, never a crash. A missing or unreadable config.yaml or env.json only
// costs what they add (grouping by the whole config, the version).
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

export interface ScannedRun {
  dir: string;
  summary: RunSummary;
  /** The resolved experiment (config.yaml), or null when it cannot be read. */
  config: Record<string, unknown> | null;
  /** env.json's ldrVersion, or null. */
  ldrVersion: string | null;
}

export interface ScanResult {
  runs: ScannedRun[];
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
  out.runs.push({ dir, summary: withConfigFacts(dir, names, parsed.data as RunSummary), config: readConfig(dir), ldrVersion: readVersion(dir) });
}

function readConfig(dir: string): Record<string, unknown> | null {
  try {
    const c = parseYaml(fs.readFileSync(path.join(dir, 'config.yaml'), 'utf8')) as unknown;
    return c !== null && typeof c === 'object' && !Array.isArray(c) ? (c as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function readVersion(dir: string): string | null {
  try {
    const v = (JSON.parse(fs.readFileSync(path.join(dir, 'env.json'), 'utf8')) as { ldrVersion?: unknown }).ldrVersion;
    return typeof v === 'string' ? v : null;
  } catch {
    return null;
  }
}

/**
 * Config fields that do not make two runs different experiments: the seed and the lr (what a
 * group is made of and what is selected), where files live and which engine computed them (as
 * the run id, src/runs/runId.ts), and the fields the table shows as its own columns (the
 * operators are part of the method key, select.ts; so is the training-set size, which also
 * labels the row).
 */
const NOT_SETTINGS = new Set([
  'name', 'output', 'backend', 'sweep', 'dataset.path', 'dataset.name', 'model.type', 'model.layer.class', 'model.layer.rank',
  'model.layer.operators', 'optimizer.lr', 'training.seed',
]);
const OPERATOR_CLASSES = new Set(['toeplitz-like', 'hankel-like']);

/** Every other field of the run's resolved config, by dotted path (arrays and scalars as values). */
export function groupSettings(run: Pick<ScannedRun, 'config' | 'summary'>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const visit = (v: unknown, at: string): void => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) visit(x, at ? `${at}.${k}` : k);
    } else if (!NOT_SETTINGS.has(at)) out[at] = v;
  };
  visit(run.config ?? {}, '');
  // The operators mean nothing outside the operator classes (as in the run id).
  if (!OPERATOR_CLASSES.has(run.summary.className)) for (const k of Object.keys(out)) if (k.startsWith('model.layer.operators')) delete out[k];
  // Runs read without their config still never pool different epoch counts.
  if (!('training.epochs' in out)) out['training.epochs'] = run.summary.epochs;
  return out;
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
