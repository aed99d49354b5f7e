// `ldr bench layers`: for every class, n and rank, the median time of the structured layer's
// forward, its forward+backward, and one SGD step of the single-hidden-layer model.
// One row per (class, n, rank); classes without a rank get one row per n. A class that fails
// (not implemented, out of memory, …) gets its error in its row and the sweep goes on.
import * as tf from '@tensorflow/tfjs';
import { getClass } from '../structured/registry';
import type { ComputePath } from '../structured/types';
import { Rng } from '../util/random';
import { timeInterleaved, timeMedian, type TimingOptions } from './timing';
import { KRYLOV_ROWS_PATHS, productRuns, recordProducts, TRANSFORM_PATHS } from './floor';
import { layerWorkload, shlWorkload, type Shape } from './workloads';

export interface LayerBenchOptions extends TimingOptions {
  /** Canonical class names. */
  classes: string[];
  ns: number[];
  ranks: number[];
  batch: number;
  seed: number;
}

export interface LayerRow {
  class: string;
  n: number;
  /** null for classes without a displacement rank. */
  rank: number | null;
  batch: number;
  /** Structured matrix parameters (bias excluded). */
  paramCount: number | null;
  /** How the layer computed (src/structured/computePath.ts); null if it could not be built. */
  computePath: ComputePath | null;
  forwardMs: number | null;
  forwardBackwardMs: number | null;
  /** One SGD-with-momentum step of the SHL model (n → n → ReLU → 10). */
  shlStepMs: number | null;
  /** The step's matrix products, each timed alone as a plain product (floor.ts). */
  productsMs: number | null;
  /** Krylov-rows paths: building the hidden layer's Krylov rows alone; else null. */
  krylovBuildMs: number | null;
  /** The step's floor: products + Krylov build, or + the layer's forward+backward on transform paths. */
  floorMs: number | null;
  /** shlStepMs / floorMs. */
  stepOverFloor: number | null;
  /** Timed runs behind each median (fewer than asked when a measurement hit the time budget). */
  runs: number;
  error: string | null;
}

/** The (class, n, rank) points in sweep order; rank-free classes once per n (rank null). */
export function benchPoints(opts: Pick<LayerBenchOptions, 'classes' | 'ns' | 'ranks'>): { className: string; n: number; rank: number | null }[] {
  const points: { className: string; n: number; rank: number | null }[] = [];
  for (const className of opts.classes) {
    const ranks = getClass(className).hasRank ? opts.ranks : [null];
    for (const n of opts.ns) for (const rank of ranks) points.push({ className, n, rank });
  }
  return points;
}

/** Time one point. Everything it allocates is disposed; a leak is reported as the row's error. */
export async function benchLayerPoint(point: { className: string; n: number; rank: number | null }, opts: LayerBenchOptions): Promise<LayerRow> {
  const row: LayerRow = {
    class: point.className,
    n: point.n,
    rank: point.rank,
    batch: opts.batch,
    paramCount: null,
    computePath: null,
    forwardMs: null,
    forwardBackwardMs: null,
    shlStepMs: null,
    productsMs: null,
    krylovBuildMs: null,
    floorMs: null,
    stepOverFloor: null,
    runs: 0,
    error: null,
  };
  const shape: Shape = { className: point.className, n: point.n, rank: point.rank ?? 1, batch: opts.batch };
  const tensorsBefore = tf.memory().numTensors;
  const runs: number[] = [];
  try {
    const layer = layerWorkload(shape, new Rng(opts.seed));
    try {
      row.paramCount = layer.paramCount;
      row.computePath = layer.computePath;
      const fwd = await timeMedian(layer.forward, opts);
      const bwd = await timeMedian(layer.forwardBackward, opts);
      row.forwardMs = fwd.medianMs;
      row.forwardBackwardMs = bwd.medianMs;
      runs.push(fwd.runs, bwd.runs);
    } finally {
      layer.dispose();
    }
    const shl = shlWorkload(shape, new Rng(opts.seed + 1));
    try {
      // The step and its floor timed in turns (timing.ts: timeInterleaved), so that their ratio
      // holds on a busy machine.
      const products = productRuns(await recordProducts(shl.step), new Rng(opts.seed + 2));
      try {
        const named: Record<string, () => tf.Tensor | tf.Tensor[]> = { step: shl.step };
        products.runs.forEach((p, i) => (named[`product${i}`] = p.run));
        if (shl.krylovBuild) named.krylovBuild = shl.krylovBuild;
        const t = await timeInterleaved(named, opts, FLOOR_BLOCKS);
        row.shlStepMs = t.step.medianMs;
        runs.push(...Object.values(t).map((x) => x.runs));
        row.productsMs = round(products.runs.reduce((sum, p, i) => sum + p.count * t[`product${i}`].medianMs, 0));
        if (shl.krylovBuild) row.krylovBuildMs = t.krylovBuild.medianMs;
      } finally {
        products.dispose();
      }
      const layerPart = TRANSFORM_PATHS.has(shl.computePath) ? (row.forwardBackwardMs ?? 0) : 0;
      const buildPart = KRYLOV_ROWS_PATHS.has(shl.computePath) ? (row.krylovBuildMs ?? 0) : 0;
      row.floorMs = round(row.productsMs + buildPart + layerPart);
      row.stepOverFloor = row.floorMs > 0 ? Math.round((row.shlStepMs / row.floorMs) * 100) / 100 : null;
    } finally {
      shl.dispose();
    }
  } catch (err) {
    row.error = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  }
  row.runs = runs.length ? Math.min(...runs) : 0;
  const leaked = tf.memory().numTensors - tensorsBefore;
  if (leaked !== 0 && row.error === null) row.error = `leaked ${leaked} tensor${leaked === 1 ? '' : 's'}`;
  return row;
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

/** Rounds of the step-and-floor timing (each result is the best round's median). */
const FLOOR_BLOCKS = 3;
