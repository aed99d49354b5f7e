// timeInterleaved (src/bench/timing.ts), which `ldr bench layers` uses to time a step and its
// floor in turns: the order of the runs (warm-up first, then rounds that visit every computation
// in turn), the number of runs, and that each result is the smallest of its rounds' medians
// (checked with a scripted clock, not by timing anything).
import { beforeAll, describe, expect, it, vi } from 'vitest';
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
    // A scripted wall clock: each run "takes" 40 ms in the first round and 2 ms in the second.
    let clock = 0;
    let call = 0;
    const now = vi.spyOn(performance, 'now').mockImplementation(() => clock);
    try {
      const t = await timeInterleaved({ slowThenFast: () => void (clock += ++call <= 3 ? 40 : 2) }, { warmup: 0, repeats: 3, budgetMs: 1e9 }, 2);
      expect(t.slowThenFast).toEqual({ medianMs: 2, runs: 3 });
    } finally {
      now.mockRestore();
    }
  });
});
