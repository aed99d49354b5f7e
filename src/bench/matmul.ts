// `ldr bench matmul`: what the wasm matmul fix (src/backend/matmulFix.ts) buys. The products a
// dense layer's training step makes, at batch b and size n, timed with the wasm backend's own
// kernels ("stock") and with the replacements ("fixed"), plus the whole SHL SGD step of the
// unconstrained class. On other backends there is nothing to compare: only "fixed" is filled.
import * as tf from '@tensorflow/tfjs';
import { installMatmulFix, matmulFixInstalled, removeMatmulFix } from '../backend/matmulFix';
import { Rng } from '../util/random';
import { median, roundMs, timeMedian, timeOnce, type TimingOptions } from './timing';
import { shlWorkload } from './workloads';

export interface MatmulRow {
  op: string;
  shape: string;
  /** wasm's own kernels; null where the backend is not wasm. */
  stockMs: number | null;
  /** with the replacements (or the backend as it is, off wasm). */
  fixedMs: number | null;
  /** stockMs / fixedMs. */
  speedup: number | null;
  error: string | null;
}

interface Case {
  op: string;
  shape: string;
  /** Builds the timed function and what to dispose afterwards. */
  build(): { run: () => tf.Tensor; dispose: () => void };
}

function cases(n: number, batch: number, seed: number): Case[] {
  const rng = new Rng(seed);
  const tensor = (shape: [number, number]) => tf.tensor2d(rng.normalArray(shape[0] * shape[1]), shape);
  const product = (op: string, shape: string, aShape: [number, number], bShape: [number, number], tA: boolean, tB: boolean): Case => ({
    op,
    shape,
    build: () => {
      const a = tensor(aShape);
      const b = tensor(bShape);
      return { run: () => tf.matMul(a, b, tA, tB), dispose: () => tf.dispose([a, b]) };
    },
  });
  return [
    product('X·W (plain)', `[${batch}×${n}]·[${n}×${n}]`, [batch, n], [n, n], false, false),
    product('X·Wᵀ (transposeB)', `[${batch}×${n}]·[${n}×${n}]ᵀ`, [batch, n], [n, n], false, true),
    product('Xᵀ·dY (transposeA)', `[${batch}×${n}]ᵀ·[${batch}×${n}]`, [batch, n], [batch, n], true, false),
    {
      op: 'transpose',
      shape: `[${n}×${n}]`,
      build: () => {
        const w = tensor([n, n]);
        return { run: () => tf.transpose(w), dispose: () => w.dispose() };
      },
    },
    {
      op: 'SHL SGD step, unconstrained',
      shape: `batch ${batch}, n ${n}`,
      build: () => {
        const shl = shlWorkload({ className: 'unconstrained', n, rank: 1, batch }, new Rng(seed));
        return { run: () => shl.step(), dispose: () => shl.dispose() };
      },
    },
  ];
}

/**
 * Stock and fixed runs alternate (same operands, same moment), so that a busy machine slows both
 * alike. Kernel registration is a map update: switching costs nothing measurable.
 */
async function timePair(c: Case, opts: TimingOptions): Promise<{ stockMs: number; fixedMs: number }> {
  const { run, dispose } = c.build();
  const stock: number[] = [];
  const fixed: number[] = [];
  try {
    for (let i = 0; i < opts.warmup + opts.repeats; i++) {
      removeMatmulFix();
      const s = await timeOnce(run, opts.clock);
      installMatmulFix();
      const f = await timeOnce(run, opts.clock);
      if (i < opts.warmup) continue;
      stock.push(s);
      fixed.push(f);
      const spent = stock.reduce((a, b) => a + b, 0) + fixed.reduce((a, b) => a + b, 0);
      if (stock.length >= 3 && spent > opts.budgetMs) break;
    }
  } finally {
    dispose();
  }
  return { stockMs: roundMs(median(stock)), fixedMs: roundMs(median(fixed)) };
}

export async function benchMatmul(n: number, batch: number, seed: number, opts: TimingOptions): Promise<MatmulRow[]> {
  const onWasm = tf.getBackend() === 'wasm';
  const wasInstalled = matmulFixInstalled();
  const rows: MatmulRow[] = [];
  for (const c of cases(n, batch, seed)) {
    const row: MatmulRow = { op: c.op, shape: c.shape, stockMs: null, fixedMs: null, speedup: null, error: null };
    try {
      if (onWasm) {
        Object.assign(row, await timePair(c, opts));
      } else {
        const { run, dispose } = c.build();
        try {
          row.fixedMs = (await timeMedian(run, opts)).medianMs;
        } finally {
          dispose();
        }
      }
      if (row.stockMs !== null && row.fixedMs !== null) row.speedup = Math.round((row.stockMs / row.fixedMs) * 100) / 100;
    } catch (err) {
      row.error = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    } finally {
      if (onWasm) {
        if (wasInstalled) installMatmulFix();
        else removeMatmulFix();
      }
    }
    rows.push(row);
  }
  return rows;
}
