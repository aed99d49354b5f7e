// From a sweep file to its points: each grid combination becomes an ordinary resolved
// experiment (base + combination + --set), validated exactly as `ldr train` validates a
// config and identified by the same run-id. Rank-free classes drop the rank (so ranks are
// not multiplied for them), excluded combinations are dropped, and combinations that
// resolve to the same run are merged.
import * as path from 'path';
import { issuesToProblems, valueAt } from '../config/issues';
import { canonicalizeExperiment, configError } from '../config/load';
import { applySets } from '../config/overrides';
import { experimentSchema, type ExperimentConfig } from '../config/schema';
import { checkExperiment } from '../config/semantic';
import { ConfigSource } from '../config/source';
import { runIdOf } from '../runs/runId';
import { findClass } from '../structured/registry';
import { expandGrid, matchesRule, type Assignment } from './expand';
import { splitPath } from './fields';
import type { SweepSource } from './source';

export interface SweepPoint {
  /** Position in the expanded grid (after exclusion and merging); shards slice on it. */
  index: number;
  runId: string;
  config: ExperimentConfig;
  /** `<output>/<experiment>/<run-id>`, where `ldr train` puts this run. */
  runDir: string;
  /** The varying fields of this point, e.g. "class=ldr-td rank=1 lr=0.01 seed=0". */
  label: string;
}

export interface Grid {
  points: SweepPoint[];
  /** Combinations before exclusion and merging. */
  combinations: number;
  excluded: number;
  /** Combinations that resolved to an already listed run (e.g. the ranks of a rank-free class). */
  merged: number;
}

const CLASS_PATH = ['model', 'layer', 'class'];
const RANK_PATH = ['model', 'layer', 'rank'];

export function buildGrid(src: SweepSource, sets: readonly string[] = []): Grid {
  const combos = expandGrid(src.sweep);
  // Parsed once: each point starts from a copy of the experiment part (re-parsing the whole file
  // per point made a 2,000-seed sweep take half a minute to list).
  const base = new ConfigSource(src.text, src.file);
  base.doc.deleteIn(['sweep']);
  const points: SweepPoint[] = [];
  const seen = new Set<string>();
  let excluded = 0;
  let merged = 0;
  for (const combo of combos) {
    const config = resolvePoint(src, base, combo, sets);
    const get = (field: string) => valueAt(config, splitPath(field));
    if (src.sweep.exclude.some((rule) => matchesRule(rule, get, sameValue))) {
      excluded++;
      continue;
    }
    const runId = runIdOf(config);
    if (seen.has(runId)) {
      merged++;
      continue;
    }
    seen.add(runId);
    points.push({ index: points.length, runId, config, runDir: path.join(config.output, config.name, runId), label: describe(combo, config) });
  }
  return { points, combinations: combos.length, excluded, merged };
}

/** The sweep file minus `sweep:`, with the combination's values and the --set overrides, resolved. */
function resolvePoint(src: SweepSource, base: ConfigSource, combo: Assignment[], sets: readonly string[]): ExperimentConfig {
  const source = base.clone();
  const doc = source.doc;
  for (const a of combo) doc.setIn(splitPath(a.field), doc.createNode(a.value));
  const problems = applySets(source, sets, experimentSchema);
  const spec = findClass(String(doc.getIn(CLASS_PATH)));
  if (spec && !spec.hasRank) doc.deleteIn(RANK_PATH); // the rank means nothing for this class
  const data = source.toJS();
  const result = experimentSchema.safeParse(data, { reportInput: true });
  if (!result.success) problems.push(...issuesToProblems(result.error.issues, source, experimentSchema, data));
  problems.push(...checkExperiment(data, source));
  if (problems.length || !result.success) {
    // A problem in a value the grid supplied is shown at that value in the sweep section.
    for (const p of problems) {
      const a = combo.find((x) => p.field === x.field || p.field.startsWith(x.field + '.'));
      if (a && !source.setPathFor(splitPath(p.field))) p.where = src.where(a.origin);
    }
    throw configError(problems);
  }
  return canonicalizeExperiment(result.data);
}

/** Equality for exclude rules: classes compare by canonical name (aliases match), the rest by value. */
function sameValue(field: string, actual: unknown, wanted: unknown): boolean {
  if (field === CLASS_PATH.join('.') && typeof wanted === 'string') return findClass(wanted)?.name === actual;
  return JSON.stringify(actual) === JSON.stringify(wanted);
}

function describe(combo: Assignment[], config: ExperimentConfig): string {
  const rankFree = !findClass(config.model.layer.class)?.hasRank;
  return combo
    .filter((a) => !(rankFree && a.field === RANK_PATH.join('.')))
    .map((a) => {
      const v = valueAt(config, splitPath(a.field));
      const parts = a.field.split('.');
      // `dataset.name` reads better as dataset=…; other fields by their own name.
      const key = parts.length > 1 && parts[parts.length - 1] === 'name' ? parts[parts.length - 2] : parts[parts.length - 1];
      return `${key}=${v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v)}`;
    })
    .join(' ');
}
