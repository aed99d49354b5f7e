// Median wall-clock time of a TF.js computation, after warm-up runs.
import * as tf from '@tensorflow/tfjs';

export interface TimingOptions {
  /** Untimed runs first (kernel set-up, XNNPACK operator creation, JIT). */
  warmup: number;
  /** Timed runs (at most). */
  repeats: number;
  /** Stop repeating once this much time has been spent timing (at least 3 runs are kept). */
  budgetMs: number;
  /**
   * 'wall' (default): elapsed time. 'cpu': this process's CPU time, which leaves out time spent
   * waiting for a core on a busy machine (on multi-threaded backends it sums the threads).
   */
  clock?: 'wall' | 'cpu';
}

export interface Timing {
  medianMs: number;
  runs: number;
}

/**
 * Time `run`, which returns what it computed (disposed here; an SGD step returns its loss). On
 * wasm and cpu every kernel runs synchronously inside the call; elsewhere (tensorflow or webgpu
 * on a GPU) one value of the last result is read back so that the time includes the queued work
 * (asynchronously: webgpu cannot read synchronously in Node).
 */
export async function timeMedian(run: () => tf.Tensor | tf.Tensor[] | void, opts: TimingOptions): Promise<Timing> {
  for (let i = 0; i < opts.warmup; i++) await timeOnce(run, opts.clock);
  const times: number[] = [];
  let spent = 0;
  while (times.length < opts.repeats && (times.length < 3 || spent < opts.budgetMs)) {
    const ms = await timeOnce(run, opts.clock);
    times.push(ms);
    spent += ms;
  }
  return { medianMs: roundMs(median(times)), runs: times.length };
}

/**
 * Several computations timed in turns, so that a busy machine slows them alike: `blocks` rounds,
 * each timing every computation in turn like timeMedian (warm-up in the first round only, the
 * time budget shared out over the rounds); each result is the smallest of its rounds' medians.
 * Ratios of these (a step to its floor) hold up where absolute times move with the load.
 */
export async function timeInterleaved(
  runs: Record<string, () => tf.Tensor | tf.Tensor[] | void>,
  opts: TimingOptions,
  blocks: number,
): Promise<Record<string, Timing>> {
  const best: Record<string, Timing> = {};
  for (const [name, run] of Object.entries(runs)) {
    for (let i = 0; i < opts.warmup; i++) await timeOnce(run, opts.clock);
    best[name] = { medianMs: Infinity, runs: Infinity };
  }
  const round = { ...opts, warmup: 0, budgetMs: opts.budgetMs / Math.max(1, blocks) };
  for (let b = 0; b < Math.max(1, blocks); b++) {
    for (const [name, run] of Object.entries(runs)) {
      const t = await timeMedian(run, round);
      best[name] = { medianMs: Math.min(best[name].medianMs, t.medianMs), runs: Math.min(best[name].runs, t.runs) };
    }
  }
  return best;
}

/** One timed run (ms); what it returns is disposed after the clock stops. */
export async function timeOnce(run: () => tf.Tensor | tf.Tensor[] | void, clock: 'wall' | 'cpu' = 'wall'): Promise<number> {
  const now = clock === 'cpu' ? cpuNow : () => performance.now();
  const start = now();
  const out = run();
  if (!SYNCHRONOUS.has(tf.getBackend())) await settle(out);
  const ms = now() - start;
  if (out) tf.dispose(out);
  return ms;
}

function cpuNow(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Microsecond resolution is all a wall clock around TF.js calls can tell. */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const SYNCHRONOUS = new Set(['wasm', 'cpu']);

async function settle(out: tf.Tensor | tf.Tensor[] | void): Promise<void> {
  const last = Array.isArray(out) ? out[out.length - 1] : out;
  if (!last || last.size === 0) return;
  // Reading one value waits for everything queued before it on the device's stream.
  const one = tf.tidy(() => tf.slice(tf.reshape(last, [-1]), 0, 1));
  await one.data();
  one.dispose();
}
