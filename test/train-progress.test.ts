// What `ldr train` prints: a bar rewritten in place on a TTY, one line per epoch elsewhere, and the summary.
import { describe, expect, it } from 'vitest';
import type { EpochMetrics, RunSummary } from '../src/runs/types';
import { createProgress } from '../src/train/progress';
import { formatSummary } from '../src/train/report';

function sink(isTTY: boolean): { stream: NodeJS.WritableStream & { isTTY: boolean }; text: () => string } {
  let text = '';
  const stream = { isTTY, write: (s: string) => ((text += s), true) } as unknown as NodeJS.WritableStream & { isTTY: boolean };
  return { stream, text: () => text };
}

const m: EpochMetrics = { epoch: 2, trainLoss: 1.23456, trainAcc: 0.5, valLoss: 1.5, valAcc: 0.4567, lr: 0.01, seconds: 0.75 };

describe('progress', () => {
  it('off a TTY: exactly one plain line per epoch, no control characters', () => {
    const { stream, text } = sink(false);
    const p = createProgress(stream, { epochs: 10 });
    p.epochStart(2, 3);
    for (let b = 1; b <= 3; b++) p.batch(b, 3, 1.2);
    p.epochEnd(m, true);
    expect(text()).toBe('epoch  2/10  train loss 1.2346 acc 50.00%  val loss 1.5000 acc 45.67%  lr 0.01  0.75s  *best\n');
  });

  it('on a TTY: a bar with batches, loss and ETA, rewritten in place, then the epoch line', () => {
    const { stream, text } = sink(true);
    const p = createProgress(stream, { epochs: 10 });
    p.epochStart(2, 3);
    p.batch(3, 3, 1.2);
    p.epochEnd({ ...m, valLoss: null, valAcc: null }, false);
    expect(text()).toMatch(/^\r\x1b\[2Kepoch  2\/10 █+ 3\/3  loss 1\.2000  ETA 0s\r\x1b\[2Kepoch  2\/10  train loss 1\.2346 acc 50\.00%  val -  lr 0\.01  0\.75s\n$/);
  });

  it('on a narrow TTY every redraw fits in the width (the bar shrinks, then the line is cut): no wrapped, stacked bars', () => {
    for (const columns of [120, 50, 30, 12]) {
      const { stream, text } = sink(true);
      const p = createProgress(stream, { epochs: 100, columns });
      p.epochStart(7, 1360);
      for (let b = 1; b <= 1360; b += 97) p.batch(b, 1360, 2.345678);
      p.batch(1360, 1360, 2.345678);
      const redraws = text().split('\r\x1b[2K').filter(Boolean);
      expect(redraws.length).toBeGreaterThan(0);
      for (const r of redraws) {
        expect(r).not.toContain('\n');
        expect([...r].length).toBeLessThanOrEqual(columns - 1);
      }
      if (columns >= 50) expect(redraws[redraws.length - 1]).toContain('1360/1360  loss 2.3457');
      if (columns === 120) expect(redraws[redraws.length - 1]).toContain('█'.repeat(24));
    }
  });

  it('reads the width from the stream (a TTY stream has columns)', () => {
    const { stream, text } = sink(true);
    (stream as unknown as { columns: number }).columns = 40;
    const p = createProgress(stream, { epochs: 10 });
    p.epochStart(1, 10);
    p.batch(10, 10, 1);
    expect(text().replace('\r\x1b[2K', '').length).toBeLessThanOrEqual(39);
  });

  it('--quiet prints nothing', () => {
    const { stream, text } = sink(true);
    const p = createProgress(stream, { epochs: 10, quiet: true });
    p.epochStart(1, 1);
    p.batch(1, 1, 1);
    p.epochEnd(m, true);
    p.line('x');
    expect(text()).toBe('');
  });
});

describe('formatSummary', () => {
  const s: RunSummary = {
    status: 'completed', experiment: 'q', runId: 'id', dataset: 'digits-bg-rot', modelType: 'shl', className: 'ldr-sd', rank: 1,
    lr: 0.01, seed: 0, epochs: 20, bestEpoch: 17, bestValAcc: 0.5, testAcc: 0.48125, testLoss: 1.5, params: { structured: 3134, total: 11_984 },
    unconstrainedParams: 614_656, wallSeconds: 12.34, backend: 'wasm',
  };
  it('shows test accuracy, parameters, compression, time and backend', () => {
    const text = formatSummary(s, 'results/q/id');
    expect(text).toContain('test accuracy  48.13% (loss 1.5000); best validation 50.00% at epoch 17 of 20');
    expect(text).toContain('structured layer 3,134 (196.1× fewer than unconstrained 614,656); whole model 11,984');
    expect(text).toContain('12.3 s on wasm');
  });
  it('leads with DIVERGED and the reason for a diverged run', () => {
    const text = formatSummary({ ...s, status: 'diverged', message: 'loss became NaN at epoch 3, batch 17 of 136 (lr 5)', bestEpoch: null, testAcc: null, testLoss: null }, 'd');
    expect(text.split('\n')[0]).toBe('DIVERGED: loss became NaN at epoch 3, batch 17 of 136 (lr 5)');
    expect(text).toContain('test accuracy  -; no validation before the run ended');
  });
});
