// timeInterleaved (src/bench/timing.ts), which `ldr bench layers` uses to time a step and its
// floor in turns: the order of the runs (warm-up first, then rounds that visit every computation
// in turn), the number of runs, and that each result is the smallest of its rounds' medians
// (checked with a clock-independent fake: each run's own result says how long it "took").
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { timeInterleaved } from '../src/bench/timing';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('timeInterleaved', () => {
  it('warms up each computation, then visits them in turn, round after round', async () => {
    const calls: string[] = [];
    const make = (name: string) => () => {
      calls.push(name);
      return tf.scalar(0);
    };
    const before = tf.memory().numTensors;
    const t = await timeInterleaved({ a: make('a'), b: make('b') }, { warmup: 1, repeats: 3, budgetMs: 1e9 }, 2);
    expect(calls.join('')).toBe('a' + 'b' + 'aaabbb' + 'aaabbb');
    expect(t.a.runs).toBe(3);
    expect(t.b.runs).toBe(3);
    expect(tf.memory().numTensors).toBe(before); // every result disposed
  });

  it('reports the smallest round median', async () => {
    // A computation that busy-waits longer in the first round than in the second.
    let call = 0;
    const spin = (ms: number) => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    };
    const t = await timeInterleaved({ slowThenFast: () => spin(++call <= 3 ? 40 : 2) }, { warmup: 0, repeats: 3, budgetMs: 1e9 }, 2);
    expect(t.slowThenFast.medianMs).toBeLessThan(40);
    expect(t.slowThenFast.medianMs).toBeGreaterThanOrEqual(2);
  });
});
