// `ldr bench speed`: P1's speed figure. Per (class, n, r): the minimum time of one structured
// matrix-vector product (batch 1 by default) over repeated runs, against one dense product of
// the same n on the running backend; speed-up = dense time / structured time.
// Classes with a fast algorithm (src/structured/accel/products.ts, WebAssembly SIMD where available) use it, writing into a reused output; the others (unconstrained,
// vandermonde-like, ldr-td) time their training path, which is what they would cost in use.
import * as tf from '@tensorflow/tfjs';
import { findClass } from '../structured/registry';
import { createMatrix } from '../structured/create';
import { describeMatrix } from '../structured/accel/describe';
import { fastMatvec } from '../structured/accel/products';
import type { StructuredMatrix } from '../structured/types';
import { Rng } from '../util/random';

export interface SpeedOptions {
  classes: string[];
  ns: number[];
  ranks: number[];
  batch: number;
  /** Timed blocks per point; the reported time is the fastest block's time per product. */
  repeats: number;
  /** Each block repeats the product until it takes at least this long. */
  blockMs: number;
  seed: number;
}

export interface SpeedRow {
  className: string;
  n: number;
  rank: number | null;
  batch: number;
  /** 'fast' = quasi-linear algorithm, 'training' = the layer's training path (explicit). */
  path: 'fast' | 'training' | null;
  structuredMs: number | null;
  denseMs: number | null;
  speedup: number | null;
  /** NumPy's dense product (one thread), where python3 with numpy is available. */
  numpyDenseMs: number | null;
  /** numpyDenseMs / structuredMs: the speed-up against the strong dense baseline. */
  speedupVsNumpy: number | null;
  note?: string;
}

/** Largest dense matrix (entries) we allocate: 1 GiB of float32 (the wasm heap tops out at 4 GiB). */
export const MAX_DENSE_ENTRIES = 2 ** 28;
/** Training paths of Krylov classes hold r·n² entries of Krylov matrices. */
const MAX_EXPLICIT_ENTRIES = 2 ** 27;

/**
 * Minimum time per call of `run` over `repeats` blocks, each block long enough to time reliably.
 * `run` returns a promise only where it must wait for a device (webgpu); otherwise nothing is
 * awaited inside the timed loops.
 */
export async function minTimePerCall(run: () => void | Promise<void>, repeats: number, blockMs: number): Promise<number> {
  const once = async () => {
    const p = run();
    if (p) await p;
  };
  await once(); // warm-up (JIT, kernel set-up, XNNPACK packing)
  const block = async (inner: number) => {
    for (let i = 0; i < inner; i++) {
      const p = run();
      if (p) await p;
    }
  };
  let inner = 1;
  for (;;) {
    const t = performance.now();
    await block(inner);
    const ms = performance.now() - t;
    if (ms >= blockMs || inner >= 1 << 20) break;
    inner *= ms > 0 ? Math.min(16, Math.max(2, Math.ceil(blockMs / ms))) : 16;
  }
  let best = Infinity;
  for (let b = 0; b < repeats; b++) {
    const t = performance.now();
    await block(inner);
    best = Math.min(best, (performance.now() - t) / inner);
  }
  return best;
}

/** Compute `f` and read it back: synchronously where the backend can (cpu, wasm, tensorflow), else awaited. */
function computeAndRead(f: () => tf.Tensor): void | Promise<void> {
  if (tf.getBackend() !== 'webgpu') {
    tf.tidy(() => f().dataSync());
    return;
  }
  const t = f();
  return t.data().then(() => t.dispose());
}

async function denseTime(n: number, batch: number, rng: Rng, opts: SpeedOptions): Promise<{ ms: number | null; note?: string }> {
  if (n * n > MAX_DENSE_ENTRIES) return { ms: null, note: `dense ${n}×${n} float32 (${((n * n * 4) / 2 ** 30).toFixed(0)} GiB) does not fit in memory: skipped` };
  // Stored input-major so the product is the plain 2-D matMul the backends are fastest at.
  const w = tf.tidy(() => tf.randomNormal([n, n], 0, 1, 'float32', rng.int(2 ** 31)));
  const x = tf.tensor2d(rng.normalArray(batch * n), [batch, n]);
  try {
    const ms = await minTimePerCall(() => computeAndRead(() => tf.matMul(x, w)), opts.repeats, opts.blockMs);
    return { ms };
  } finally {
    tf.dispose([w, x]);
  }
}

async function structuredTime(matrix: StructuredMatrix, batch: number, rng: Rng, opts: SpeedOptions): Promise<{ ms: number | null; path: SpeedRow['path']; note?: string }> {
  const n = matrix.n;
  const mv = fastMatvec(describeMatrix(matrix));
  if (mv) {
    const xs = Array.from({ length: batch }, () => Float64Array.from(rng.normalArray(n)));
    // Outputs reused across calls, as y = Mx in BLAS: a fresh 16384-double array costs more than the product.
    const ys = xs.map(() => new Float64Array(n));
    try {
      return { ms: await minTimePerCall(() => xs.forEach((x, i) => mv(x, ys[i])), opts.repeats, opts.blockMs), path: 'fast' };
    } finally {
      mv.dispose();
    }
  }
  const entries = (matrix.rank ?? 1) * n * n;
  if (entries > MAX_EXPLICIT_ENTRIES) return { ms: null, path: null, note: `no fast algorithm, and the explicit path needs ${entries.toExponential(1)} entries: skipped` };
  const x = tf.tensor2d(rng.normalArray(batch * n), [batch, n]);
  try {
    return { ms: await minTimePerCall(() => computeAndRead(() => matrix.apply(x)), opts.repeats, opts.blockMs), path: 'training' };
  } finally {
    x.dispose();
  }
}

/** Every (class, n, r) point, rank-free classes once per n. */
export function speedPoints(opts: Pick<SpeedOptions, 'classes' | 'ns' | 'ranks'>): { className: string; n: number; rank: number | null }[] {
  const points: { className: string; n: number; rank: number | null }[] = [];
  for (const n of opts.ns) {
    for (const c of opts.classes) {
      const spec = findClass(c)!;
      if (spec.hasRank) for (const r of opts.ranks) points.push({ className: spec.name, n, rank: r });
      else points.push({ className: spec.name, n, rank: null });
    }
  }
  return points;
}

/** Runs every point, calling `onRow` as each finishes (dense times are measured once per n). */
export async function benchSpeed(opts: SpeedOptions, onRow: (row: SpeedRow) => void, numpy: Map<number, number> | null = null): Promise<SpeedRow[]> {
  const rows: SpeedRow[] = [];
  const dense = new Map<number, { ms: number | null; note?: string }>();
  for (const p of speedPoints(opts)) {
    const rng = new Rng(opts.seed + p.n * 131 + (p.rank ?? 0));
    if (!dense.has(p.n)) dense.set(p.n, await denseTime(p.n, opts.batch, rng, opts));
    const d = dense.get(p.n)!;
    const numpyDenseMs = numpy?.get(p.n) ?? null;
    const row: SpeedRow = {
      className: p.className, n: p.n, rank: p.rank, batch: opts.batch, path: null, structuredMs: null, denseMs: d.ms, speedup: null,
      numpyDenseMs, speedupVsNumpy: null,
    };
    if (p.className === 'unconstrained') {
      // The dense product is the unconstrained layer's own product.
      Object.assign(row, { path: 'training', structuredMs: d.ms, speedup: d.ms === null ? null : 1, note: d.note });
    } else if (p.rank !== null && p.rank > p.n) {
      row.note = 'rank > n: skipped';
    } else {
      let matrix: StructuredMatrix | null = null;
      try {
        matrix = createMatrix(p.className, { n: p.n, rank: p.rank ?? 1, rng: rng.fork() });
        const s = await structuredTime(matrix, opts.batch, rng, opts);
        row.path = s.path;
        row.structuredMs = s.ms;
        row.note = s.note ?? d.note;
        if (s.ms !== null && d.ms !== null) row.speedup = d.ms / s.ms;
      } catch (err) {
        row.note = `error: ${(err as Error).message}`;
      } finally {
        matrix?.dispose();
      }
    }
    if (row.structuredMs !== null && numpyDenseMs !== null) row.speedupVsNumpy = numpyDenseMs / row.structuredMs;
    rows.push(row);
    onRow(row);
  }
  return rows;
}
