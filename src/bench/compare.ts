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
import { Rng } from '../util/random';
import { productRuns } from './floor';
import type { LayerRow } from './layers';
import { timeMedian, type TimingOptions } from './timing';

/** The comparison points: ldr class and rank ↔ the reference's class name. */
export interface ComparePoint {
  className: string;
  rank: number | null;
  refClass: string;
  /** The ratio the throughput issue asks for (docs/benchmarks.md). */
  goal: number;
}

export const COMPARE_POINTS: ComparePoint[] = [
  { className: 'unconstrained', rank: null, refClass: 'unconstrained', goal: 1.5 },
  { className: 'toeplitz-like', rank: 4, refClass: 'toeplitz', goal: 0.6 },
  { className: 'ldr-sd', rank: 1, refClass: 'subdiagonal', goal: 0.25 },
  { className: 'ldr-sd', rank: 4, refClass: 'subdiagonal', goal: 0.5 },
  { className: 'ldr-td', rank: 1, refClass: 'tridiagonal', goal: 0.12 },
  { className: 'ldr-td', rank: 4, refClass: 'tridiagonal', goal: 0.25 },
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
  /**
   * ldrFloorMs / referenceStepMs: the ratio ldr would reach if its step cost no more than its
   * floor (products + Krylov build, or the transform itself). Above the goal, no removal of
   * overhead reaches it: only fewer or faster products (a new algorithm, a faster GEMM) would.
   */
  floorRatio: number | null;
  goal: number;
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
      ratio: ratioOf(ldrStepMs, referenceStepMs),
      floorRatio: ratioOf(l?.floorMs ?? null, referenceStepMs),
      goal: p.goal,
      error,
    };
  });
}

const ratioOf = (a: number | null, b: number | null): number | null => (a !== null && b ? Math.round((a / b) * 1000) / 1000 : null);

/**
 * One dense float32 product [b×n]·[n×n] timed on ldr's backend (operands fixed, so the backend
 * may cache its packing: its best case) and by NumPy (OpenBLAS, one thread) in the same run. Every
 * class on a Krylov-rows path, and unconstrained, spends most of its step in such products, on
 * both sides: their ratio bounds what those rows' step ratios can reach.
 */
export interface DenseProductRow {
  shape: string;
  ldrMs: number;
  ldrGflops: number;
  numpyMs: number | null;
  numpyGflops: number | null;
  /** ldrMs / numpyMs. */
  ratio: number | null;
  numpyUnavailable: string | null;
}

/** Median ms of [b×n]·[n×n] on the current backend, operands fixed (as bench layers' floor). */
export async function timeDenseProduct(b: number, n: number, opts: TimingOptions, seed = 0): Promise<number> {
  const { runs, dispose } = productRuns([{ batch: 1, m: b, k: n, n, count: 1 }], new Rng(seed));
  try {
    return (await timeMedian(runs[0].run, opts)).medianMs;
  } finally {
    dispose();
  }
}

export function denseProductRow(b: number, n: number, ldrMs: number, numpy: number | { unavailable: string }): DenseProductRow {
  const flops = 2 * b * n * n;
  const gflops = (ms: number) => Math.round((flops / (ms * 1e6)) * 10) / 10;
  const numpyMs = typeof numpy === 'number' ? numpy : null;
  return {
    shape: `[${b}×${n}]·[${n}×${n}]`,
    ldrMs,
    ldrGflops: gflops(ldrMs),
    numpyMs,
    numpyGflops: numpyMs === null ? null : gflops(numpyMs),
    ratio: ratioOf(ldrMs, numpyMs),
    numpyUnavailable: typeof numpy === 'number' ? null : numpy.unavailable,
  };
}

const fmt = (v: number | null, digits = 2): string => (v === null ? '-' : v.toFixed(digits));

export function compareMarkdown(rows: CompareRow[], heading: string, dense?: DenseProductRow): string {
  const lines = [
    heading,
    '',
    '| class | n | r | path | `ldr` step ms | reference step ms | ratio | goal | `ldr` floor ms | step/floor | floor/reference |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.class} | ${r.n} | ${r.rank ?? '-'} | ${r.computePath ?? '-'} | ${fmt(r.ldrStepMs, 1)} | ${fmt(r.referenceStepMs, 1)} | ${fmt(r.ratio)} | ≤ ${r.goal} | ${fmt(r.ldrFloorMs, 1)} | ${fmt(r.stepOverFloor)} | ${fmt(r.floorRatio)} |` +
        (r.error ? ` ${r.error}` : ''),
    );
  }
  lines.push('', 'floor/reference: the ratio with every overhead gone (the step at its floor); above the goal, only fewer or faster products reach it.');
  if (dense) {
    const np = dense.numpyMs === null ? `NumPy: ${dense.numpyUnavailable}` : `NumPy (OpenBLAS, one thread) ${fmt(dense.numpyMs, 2)} ms, ${dense.numpyGflops} GFLOP/s; ratio ${fmt(dense.ratio)}`;
    lines.push('', `Dense product ${dense.shape}, operands fixed: ldr ${fmt(dense.ldrMs, 2)} ms, ${dense.ldrGflops} GFLOP/s; ${np}.`);
  }
  return lines.join('\n') + '\n';
}
