// `ldr layer`: build one structured matrix and show everything about it, so that its math can
// be audited from outside (docs/method.md §1–2, issue 2).
//   --json: one JSON object {class, n, rank, paramCount, params, <audit fields>, dense, x, y}
//   otherwise: a readable summary (operators, parameter count, Stein residual rank).
import * as tf from '@tensorflow/tfjs';
import type { Command } from 'commander';
import { addBackendOption, describeBackend, initBackend, readableOnHost } from '../backend';
import type { BackendName } from '../config/schema';
import { createMatrix } from '../structured/create';
import { CLASSES, findClass } from '../structured/registry';
import { numericalRank, operatorMatrix, reverseRows, steinResidual, type Dense } from '../structured/residual';
import type { ClassSpec, ComputePath, MatrixAudit, OperatorJson, StructuredMatrix } from '../structured/types';
import { UserError } from '../util/errors';
import { parseInteger } from './args';
import { Rng } from '../util/random';

export interface LayerOptions {
  class: string;
  n: string;
  rank?: string;
  seed?: string;
  randomParams?: boolean;
  batch?: string;
  json?: boolean;
  operators?: string;
  backend?: BackendName;
}

/** Relative tolerance of the numerical ranks in the summary (float32 values). */
const RANK_TOL = 1e-4;
const MAX_N_FOR_RANK_OF_M = 256;
/** Largest n: the dense n×n matrix is printed (4096² numbers ≈ 350 MB of JSON). */
const MAX_N = 4096;
/** The classes whose fixed operators `--operators` chooses (ClassOptions.operators). */
const OPERATOR_CLASSES: readonly string[] = ['toeplitz-like', 'hankel-like'];

export function registerLayer(program: Command): void {
  const cmd = program
    .command('layer')
    .description('Build one structured matrix and print its parameters, dense form and a forward pass')
    .requiredOption('--class <name>', `class: ${CLASSES.map((c) => `${c.name} (${c.aliases.join(', ')})`).join(', ')}`)
    .requiredOption('--n <n>', 'size n (the matrix is n×n), at least 2')
    .option('--rank <r>', 'displacement rank r, 1..n (classes without a rank ignore it)', '1')
    .option('--seed <s>', 'seed for the initialisation and the inputs', '0')
    .option('--random-params', 'draw every trainable parameter (operators included) i.i.d. U(-1, 1)')
    .option('--batch <b>', 'number of random inputs x', '3')
    .option('--operators <z1|z0>', 'toeplitz-like / hankel-like operators: z1 = (Z_1, Z_-1), z0 = (Z_0, Z_0)')
    .option('--json', 'print one JSON object instead of a summary');
  addBackendOption(cmd).action(async (opts: LayerOptions) => {
    await runLayer(opts, (s) => process.stdout.write(s), (s) => process.stderr.write(s));
  });
}

/** The command itself; `write` receives the whole output, `note` the backend line. */
export async function runLayer(opts: LayerOptions, write: (s: string) => void, note: (s: string) => void = () => {}): Promise<void> {
  const args = parseLayerArgs(opts);
  const info = await initBackend(opts.backend ?? 'auto');
  // With --json the backend line goes to stderr, so that stdout is exactly one JSON object.
  (args.json ? note : write)(describeBackend(info) + '\n');
  const matrix = createMatrix(args.spec.name, {
    n: args.n,
    rank: args.rank,
    rng: args.rng.fork(),
    options: args.operators ? { operators: args.operators } : undefined,
  });
  try {
    if (args.randomParams) randomiseParams(matrix, args.rng.fork());
    const report = await buildReport(matrix, args.batch, args.rng.fork());
    write(args.json ? JSON.stringify(report) + '\n' : summary(args.spec, matrix, report));
  } finally {
    matrix.dispose();
  }
}

interface LayerArgs {
  spec: ClassSpec;
  n: number;
  rank: number;
  batch: number;
  rng: Rng;
  randomParams: boolean;
  json: boolean;
  operators?: 'z1' | 'z0';
}

export function parseLayerArgs(opts: LayerOptions): LayerArgs {
  const spec = findClass(opts.class);
  if (!spec) {
    throw new UserError(`--class: unknown class "${opts.class}"; expected one of: ${CLASSES.map((c) => c.name).join(', ')} (or ${CLASSES.flatMap((c) => c.aliases).join(', ')})`);
  }
  const n = parseInteger('--n', opts.n, 2, 'an integer ≥ 2');
  if (n > MAX_N) throw new UserError(`--n: expected at most ${MAX_N} (the audit prints the dense n×n matrix), got "${opts.n}"`);
  const rank = parseInteger('--rank', opts.rank ?? '1', 1, `an integer from 1 to n = ${n}`);
  if (rank > n) throw new UserError(`--rank: expected an integer from 1 to n = ${n}, got "${opts.rank}"`);
  const seed = parseInteger('--seed', opts.seed ?? '0', 0, 'an integer ≥ 0');
  const batch = parseInteger('--batch', opts.batch ?? '3', 1, 'an integer ≥ 1');
  if (opts.operators !== undefined && opts.operators !== 'z1' && opts.operators !== 'z0') {
    throw new UserError(`--operators: expected z1 or z0, got "${opts.operators}"`);
  }
  if (opts.operators !== undefined && !OPERATOR_CLASSES.includes(spec.name)) {
    throw new UserError(`--operators: only ${OPERATOR_CLASSES.join(' and ')} take it, not ${spec.name}`);
  }
  return {
    spec,
    n,
    rank,
    batch,
    rng: new Rng(seed),
    randomParams: !!opts.randomParams,
    json: !!opts.json,
    operators: opts.operators as 'z1' | 'z0' | undefined,
  };
}

/** Every trainable tensor ← i.i.d. U(−1, 1), so an audit exercises every entry. */
function randomiseParams(matrix: StructuredMatrix, rng: Rng): void {
  for (const v of Object.values(matrix.variables)) {
    tf.tidy(() => v.assign(tf.tensor(rng.uniformArray(v.size, -1, 1), v.shape)));
  }
}

function paramArrays(matrix: StructuredMatrix): Record<string, unknown> {
  if (matrix.paramArrays) return matrix.paramArrays();
  return Object.fromEntries(Object.entries(matrix.variables).map(([k, v]) => [k, v.arraySync()]));
}

export type LayerReport = {
  class: string;
  n: number;
  rank: number | null;
  paramCount: number;
  params: Record<string, unknown>;
  dense: number[][];
  x: number[][];
  y: number[][];
  /** How the forward pass y was computed (computePath.ts). */
  computePath: ComputePath;
} & MatrixAudit;

async function buildReport(matrix: StructuredMatrix, batch: number, rng: Rng): Promise<LayerReport> {
  const x = tf.tensor2d(rng.normalArray(batch * matrix.n), [batch, matrix.n]);
  const y = matrix.apply(x);
  const dense = matrix.toDense();
  try {
    // Parameters, audits and results are read on the host: asynchronously first, for webgpu
    // (after the products, since running an op on the device drops the host copy).
    await readableOnHost([...Object.values(matrix.variables), x, y, dense]);
    return {
      class: matrix.className,
      n: matrix.n,
      rank: matrix.rank,
      paramCount: matrix.paramCount(),
      params: paramArrays(matrix),
      ...matrix.audit(),
      dense: dense.arraySync(),
      x: x.arraySync(),
      y: y.arraySync(),
      computePath: matrix.computePath(batch),
    };
  } finally {
    tf.dispose([x, y, dense]);
  }
}

function describeOperator(op: OperatorJson): string {
  const range = (v: number[]) =>
    v.length === 0 ? '[]' : `[${fmt(Math.min(...v))} … ${fmt(Math.max(...v))}] (${v.length} entries)`;
  switch (op.kind) {
    case 'shift':
      return `shift Z_${op.f}`;
    case 'subdiagonal':
      return `subdiagonal ${range(op.subdiag)}, corner ${fmt(op.corner)}`;
    case 'tridiagonal':
      return `tridiagonal: sub ${range(op.subdiag)}, diag ${range(op.diag)}, super ${range(op.superdiag)}, corners ${fmt(op.upperRight)} / ${fmt(op.lowerLeft)}`;
    case 'diagonal':
      return `diagonal ${range(op.diag)}`;
  }
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(4);
}

function summary(spec: ClassSpec, matrix: StructuredMatrix, report: LayerReport): string {
  const n = matrix.n;
  const lines: string[] = [];
  const row = (k: string, v: string) => lines.push(`${k.padEnd(16)}${v}`);
  row('class', `${spec.name} (${spec.aliases.join(', ')})`);
  row('size', `${matrix.m}×${n}` + (matrix.rank === null ? ' (no rank)' : `, rank r = ${matrix.rank}`));
  row('compute path', `${report.computePath} (batch ${report.x.length}, backend ${tf.getBackend()})`);
  const ops = report.operators;
  if (ops) {
    row('operator A', describeOperator(ops.A));
    row('operator B', describeOperator(ops.B));
    if (report.reverseOutput) row('output', 'reversed (M = J · Krylov product)');
  }
  if (report.paddedN !== undefined && report.paddedN !== n) row('padded to', `${report.paddedN} (power of two)`);
  const denseCount = matrix.m * n;
  row('parameters', `${report.paramCount.toLocaleString('en-US')} (dense ${denseCount.toLocaleString('en-US')}: ${(denseCount / report.paramCount).toFixed(1)}x fewer; bias excluded)`);
  const tolNote = `tolerance ${RANK_TOL} × largest column norm`;
  // Full-rank matrices cost O(n³) in JS: only for small n (the residual below stays O(r n²)).
  if (n <= MAX_N_FOR_RANK_OF_M) row('rank of M', `${numericalRank(report.dense, RANK_TOL)} (numerical, ${tolNote})`);
  if (ops) {
    const m: Dense = report.reverseOutput ? reverseRows(report.dense) : report.dense;
    const residual = steinResidual(m, operatorMatrix(ops.A, n), operatorMatrix(ops.B, n));
    const which = report.reverseOutput ? 'J·M − A (J·M) Bᵀ' : 'M − A M Bᵀ';
    row('Stein residual', `${which} has numerical rank ${numericalRank(residual, RANK_TOL)} (r = ${matrix.rank}; ≤ r for nilpotent A or B, else ≤ 2r)`);
  }
  return lines.join('\n') + '\n';
}
