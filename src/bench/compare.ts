// `ldr bench compare`: the SHL SGD step of `ldr` beside the authors' PyTorch reference
// (HazyResearch/structured-nets, run on CPU by an external bench_reference.py), measured in one
// run on one machine, one thread each, and reported as ratios: absolute times move 2–3x between
// machines and with load, ratios measured side by side move much less.
// The reference code lives outside this repository: its folder and the benchmark script are
// arguments (nothing of it is copied here).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../util/errors';
import type { LayerRow } from './layers';

/** The comparison points: ldr class and rank ↔ the reference's class name. */
export interface ComparePoint {
  className: string;
  rank: number | null;
  refClass: string;
}

export const COMPARE_POINTS: ComparePoint[] = [
  { className: 'unconstrained', rank: null, refClass: 'unconstrained' },
  { className: 'toeplitz-like', rank: 4, refClass: 'toeplitz' },
  { className: 'ldr-sd', rank: 1, refClass: 'subdiagonal' },
  { className: 'ldr-sd', rank: 4, refClass: 'subdiagonal' },
  { className: 'ldr-td', rank: 1, refClass: 'tridiagonal' },
  { className: 'ldr-td', rank: 4, refClass: 'tridiagonal' },
];

export interface ReferenceRow {
  class: string;
  n: number;
  r: number | null;
  shl_step_ms: number;
  torch?: string;
  threads?: number;
}

export interface CompareRow {
  class: string;
  rank: number | null;
  n: number;
  computePath: string | null;
  ldrStepMs: number | null;
  ldrFloorMs: number | null;
  stepOverFloor: number | null;
  referenceClass: string;
  referenceStepMs: number | null;
  /** ldrStepMs / referenceStepMs (below 1: ldr is faster). */
  ratio: number | null;
  error: string | null;
}

/** Check the reference folder and script before anything is timed. */
export function checkReference(refDir: string | undefined, script: string | undefined): { refDir: string; script: string } {
  if (!refDir) {
    throw new UserError('bench compare: --reference REF_DIR is required (the pytorch/ folder of HazyResearch/structured-nets, which is not part of this repository)');
  }
  const dir = path.resolve(refDir);
  if (!fs.existsSync(path.join(dir, 'structure', 'layer.py'))) {
    throw new UserError(`bench compare: --reference ${refDir}: not the structured-nets pytorch/ folder (expected structure/layer.py in it)`);
  }
  if (!script) {
    throw new UserError('bench compare: --reference-script FILE is required (bench_reference.py, which runs the reference layers on CPU; it is not part of this repository)');
  }
  const file = path.resolve(script);
  if (!fs.existsSync(file)) throw new UserError(`bench compare: --reference-script ${script}: no such file`);
  return { refDir: dir, script: file };
}

/** Run the reference benchmark (one thread) and return its JSON lines. */
export function runReference(opts: { python: string; script: string; refDir: string; n: number; batch: number; points: ComparePoint[]; minTime: number }): ReferenceRow[] {
  const classes = [...new Set(opts.points.map((p) => p.refClass))];
  const ranks = [...new Set(opts.points.map((p) => p.rank).filter((r): r is number => r !== null))];
  const args = [
    opts.script, opts.refDir,
    '--classes', classes.join(','), '--ns', String(opts.n), '--ranks', (ranks.length ? ranks : [1]).join(','),
    '--batch', String(opts.batch), '--threads', '1', '--min-time', String(opts.minTime),
  ];
  const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const res = spawnSync(opts.python, args, { encoding: 'utf8', env, maxBuffer: 64 << 20 });
  if (res.error) throw new UserError(`bench compare: could not run ${opts.python} (${res.error.message}); pass --python /usr/bin/python3 (Debian: apt-get install -y python3-torch python3-numpy python3-scipy)`);
  if (res.status !== 0) {
    const last = (res.stderr || '').trim().split('\n').slice(-1)[0] ?? '';
    const hint = /No module named '(torch|numpy|scipy)'/.test(res.stderr) ? ' (Debian: apt-get install -y python3-torch python3-numpy python3-scipy)' : '';
    throw new UserError(`bench compare: the reference benchmark failed (exit ${res.status}): ${last}${hint}`, 1);
  }
  const rows: ReferenceRow[] = [];
  for (const line of res.stdout.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    rows.push(JSON.parse(t) as ReferenceRow);
  }
  return rows;
}

export function joinRows(points: ComparePoint[], n: number, ldr: LayerRow[], ref: ReferenceRow[]): CompareRow[] {
  return points.map((p) => {
    const l = ldr.find((row) => row.class === p.className && row.n === n && row.rank === p.rank);
    const r = ref.find((row) => row.class === p.refClass && row.n === n && (p.rank === null ? row.r === null : row.r === p.rank));
    const ldrStepMs = l?.shlStepMs ?? null;
    const referenceStepMs = r?.shl_step_ms ?? null;
    const error = l?.error ?? (r ? null : `no reference row for ${p.refClass} n=${n} r=${p.rank ?? '-'}`);
    return {
      class: p.className,
      rank: p.rank,
      n,
      computePath: l?.computePath ?? null,
      ldrStepMs,
      ldrFloorMs: l?.floorMs ?? null,
      stepOverFloor: l?.stepOverFloor ?? null,
      referenceClass: p.refClass,
      referenceStepMs,
      ratio: ldrStepMs !== null && referenceStepMs ? Math.round((ldrStepMs / referenceStepMs) * 1000) / 1000 : null,
      error,
    };
  });
}

const fmt = (v: number | null, digits = 2): string => (v === null ? '-' : v.toFixed(digits));

export function compareMarkdown(rows: CompareRow[], heading: string): string {
  const lines = [
    heading,
    '',
    '| class | n | r | path | `ldr` step ms | reference step ms | ratio | `ldr` floor ms | step/floor |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.class} | ${r.n} | ${r.rank ?? '-'} | ${r.computePath ?? '-'} | ${fmt(r.ldrStepMs, 1)} | ${fmt(r.referenceStepMs, 1)} | ${fmt(r.ratio)} | ${fmt(r.ldrFloorMs, 1)} | ${fmt(r.stepOverFloor)} |` +
        (r.error ? ` ${r.error}` : ''),
    );
  }
  return lines.join('\n') + '\n';
}
