// `ldr bench layers` / `ldr bench matmul` at tiny sizes: valid JSON lines with every field,
// the backend line on stderr, a table otherwise, errors in rows, nothing leaked. No timing
// assertions (the machine is shared).
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { runBenchLayers, runBenchMatmul, type BenchLayersOptions, type Output } from '../src/cli/bench';
import { benchLayerPoint, benchPoints } from '../src/bench/layers';
import { median } from '../src/bench/timing';
import { CLASSES } from '../src/structured/registry';
import { UserError } from '../src/util/errors';

function capture(): Output & { out: string; err: string } {
  const c = {
    out: '',
    err: '',
    stdout: (s: string) => void (c.out += s),
    stderr: (s: string) => void (c.err += s),
  };
  return c;
}

const tiny: BenchLayersOptions = {
  backend: 'wasm',
  batch: '4',
  repeats: '1',
  warmup: '0',
  seed: '0',
  matmulFix: true,
  n: '8,13',
  rank: '1,2',
  json: true,
};

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('ldr bench layers', () => {
  it('prints one valid JSON line per (class, n, rank), the backend line on stderr', async () => {
    const io = capture();
    const before = tf.memory().numTensors;
    await runBenchLayers(tiny, io);
    expect(tf.memory().numTensors).toBe(before);
    expect(io.err).toMatch(/^backend: wasm \(/);
    const rows = io.out.trim().split('\n').map((l) => JSON.parse(l));
    const expected = CLASSES.reduce((s, c) => s + 2 * (c.hasRank ? 2 : 1), 0);
    expect(rows).toHaveLength(expected);
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual(
        ['backend', 'batch', 'class', 'clock', 'computePath', 'error', 'forwardBackwardMs', 'forwardMs', 'matmulFix', 'n', 'paramCount', 'rank', 'runs', 'shlStepMs'].sort(),
      );
      expect(row.backend).toBe('wasm');
      expect(row.batch).toBe(4);
      // Every class runs at these sizes (n = 13 included): an error row is a failure, not a gap.
      expect(row.error, `${row.class} n=${row.n} r=${row.rank}`).toBeNull();
      for (const k of ['forwardMs', 'forwardBackwardMs', 'shlStepMs']) expect(row[k]).toBeGreaterThan(0);
      expect(row.paramCount).toBeGreaterThan(0);
      expect(row.runs).toBe(1);
      expect(typeof row.computePath).toBe('string');
    }
    expect([...new Set(rows.map((r) => r.class))].sort()).toEqual(CLASSES.map((c) => c.name).sort());
    // Rank-free classes appear once per n, with rank null.
    const unconstrained = rows.filter((r) => r.class === 'unconstrained');
    expect(unconstrained.map((r) => [r.n, r.rank])).toEqual([[8, null], [13, null]]);
    expect(rows.find((r) => r.class === 'unconstrained' && r.n === 8)?.paramCount).toBe(64);
    // The path each layer took: typed-array kernels on wasm at these small sizes.
    expect(rows.find((r) => r.class === 'ldr-sd' && r.n === 8)?.computePath).toBe('krylov-simd');
    expect(rows.find((r) => r.class === 'circulant' && r.n === 8)?.computePath).toBe('circulant-fft');
  });

  it('prints a table with a header without --json', async () => {
    const io = capture();
    await runBenchLayers({ ...tiny, json: false, classes: 'u,lr', n: '8', rank: '2' }, io);
    const lines = io.out.trim().split('\n');
    expect(lines[0]).toMatch(/^backend: wasm/);
    expect(lines[1]).toMatch(/^class\s+n\s+r\s+params\s+path\s+forward ms\s+fwd\+bwd ms\s+SHL step ms$/);
    expect(lines.slice(2).map((l) => l.split(/\s+/).slice(0, 5))).toEqual([
      ['unconstrained', '8', '-', '64', 'dense'],
      ['low-rank', '8', '2', '32', 'low-rank'],
    ]);
    expect(io.err).toBe('');
  });

  it('--no-matmul-fix runs on the stock wasm kernels and says so', async () => {
    const io = capture();
    await runBenchLayers({ ...tiny, matmulFix: false, classes: 'u', n: '8' }, io);
    expect(io.err).toContain('matmul fix off');
    expect(JSON.parse(io.out.trim())).toMatchObject({ matmulFix: false, error: null });
    await runBenchLayers({ ...tiny, classes: 'u', n: '8' }, capture()); // back to the default
  });

  it('--clock cpu times with process CPU time and says so', async () => {
    const io = capture();
    await runBenchLayers({ ...tiny, json: false, clock: 'cpu', classes: 'lr', n: '8', rank: '1' }, io);
    const lines = io.out.trim().split('\n');
    expect(lines[1]).toBe('times: process CPU time (--clock cpu)');
    expect(lines[3]).toMatch(/^low-rank\s+8\s+1\s+16\s+low-rank\s+\d/);
  });

  it('reports a class that fails in its row instead of crashing', async () => {
    const row = await benchLayerPoint({ className: 'no-such-class', n: 8, rank: 1 }, { classes: [], ns: [8], ranks: [1], batch: 2, seed: 0, repeats: 1, warmup: 0, budgetMs: 1000 });
    expect(row.error).toMatch(/unknown class/);
    expect(row.forwardMs).toBeNull();
  });

  it('rejects bad lists and unknown classes with a UserError', async () => {
    await expect(runBenchLayers({ ...tiny, n: '8,x' }, capture())).rejects.toThrow(UserError);
    await expect(runBenchLayers({ ...tiny, n: '1' }, capture())).rejects.toThrow(/--n: expected comma-separated integers ≥ 2/);
    await expect(runBenchLayers({ ...tiny, classes: 'toeplitz,zz' }, capture())).rejects.toThrow(/--classes: unknown class "toeplitz"/);
    await expect(runBenchLayers({ ...tiny, repeats: '0' }, capture())).rejects.toThrow(/--repeats/);
  });

  it('orders points class by class, each rank-free class once per n', () => {
    const pts = benchPoints({ classes: ['circulant', 'ldr-td'], ns: [8, 16], ranks: [1, 4] });
    expect(pts).toEqual([
      { className: 'circulant', n: 8, rank: null },
      { className: 'circulant', n: 16, rank: null },
      { className: 'ldr-td', n: 8, rank: 1 },
      { className: 'ldr-td', n: 8, rank: 4 },
      { className: 'ldr-td', n: 16, rank: 1 },
      { className: 'ldr-td', n: 16, rank: 4 },
    ]);
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe('ldr bench matmul', () => {
  it('times stock and fixed kernels on wasm, as JSON lines', async () => {
    const io = capture();
    await runBenchMatmul({ ...tiny, n: '16' }, io);
    const rows = io.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((r) => r.op)).toEqual(['X·W (plain)', 'X·Wᵀ (transposeB)', 'Xᵀ·dY (transposeA)', 'transpose', 'SHL SGD step, unconstrained']);
    for (const r of rows) {
      expect(r.error).toBeNull();
      expect(r.stockMs).toBeGreaterThan(0);
      expect(r.fixedMs).toBeGreaterThan(0);
      expect(r.speedup).toBeCloseTo(r.stockMs / r.fixedMs, 1);
    }
    // The fix is left installed as it was.
    const again = capture();
    await runBenchLayers({ ...tiny, classes: 'u', n: '8' }, again);
    expect(JSON.parse(again.out.trim()).matmulFix).toBe(true);
  });

  it('on cpu there is nothing to compare: stock is null', async () => {
    const io = capture();
    await runBenchMatmul({ ...tiny, backend: 'cpu', n: '8' }, io);
    expect(io.err).toContain('the fix only exists on wasm');
    const rows = io.out.trim().split('\n').map((l) => JSON.parse(l));
    for (const r of rows) {
      expect(r.stockMs).toBeNull();
      expect(r.fixedMs).toBeGreaterThan(0);
    }
  });
});
