// The pieces behind `ldr bench layers`' floor column, `ldr bench compare` and `ldr bench speed`'s
// NumPy baseline: which products a step records, the reference's plumbing (arguments checked
// before timing, its JSON lines joined into ratios, its failures reported in one line), and the
// NumPy baseline against a real NumPy. No timing assertions (the machine is shared).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { productRuns, recordProducts } from '../src/bench/floor';
import { checkReference, compareMarkdown, COMPARE_POINTS, denseProductRow, joinRows, runReference } from '../src/bench/compare';
import { numpyDenseTimes } from '../src/bench/numpyBaseline';
import type { LayerRow } from '../src/bench/layers';
import { Rng } from '../src/util/random';
import { UserError } from '../src/util/errors';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-compare-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('the floor of a step', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('records every product of a forward and backward pass with its shape, transposed or batched', async () => {
    const a = tf.randomNormal([3, 5]);
    const b = tf.randomNormal([7, 5]);
    const c = tf.randomNormal([2, 4, 6]);
    const d = tf.randomNormal([2, 6, 3]);
    const shapes = await recordProducts(() => {
      const [gb] = tf.grads((bb: tf.Tensor) => tf.sum(tf.matMul(a as tf.Tensor2D, bb as tf.Tensor2D, false, true)))([b]);
      return [gb, tf.matMul(c as tf.Tensor3D, d as tf.Tensor3D)];
    });
    const key = (s: { batch: number; m: number; k: number; n: number; count: number }) => `${s.count}×${s.batch}:${s.m}x${s.k}x${s.n}`;
    // a·bᵀ: 3×5·5×7; its gradient for b, dYᵀ·a: 7×3·3×5; and the batched 2×(4×6·6×3).
    expect(shapes.map(key).sort()).toEqual(['1×1:3x5x7', '1×1:7x3x5', '1×2:4x6x3'].sort());
    const before = tf.memory().numTensors;
    // The floor's products: one per shape, with the recorded shapes, and no tensor left behind.
    const products = productRuns(shapes, new Rng(1));
    expect(products.runs.map((p) => p.count)).toEqual(shapes.map((s) => s.count));
    for (const [i, p] of products.runs.entries()) {
      const out = p.run();
      const s = shapes[i];
      expect(out.shape).toEqual(s.batch === 1 ? [s.m, s.n] : [s.batch, s.m, s.n]);
      out.dispose();
    }
    products.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b, c, d]);
  });
});

describe('ldr bench compare: the reference side', () => {
  const refDir = path.join(tmp, 'pytorch');
  fs.mkdirSync(path.join(refDir, 'structure'), { recursive: true });
  fs.writeFileSync(path.join(refDir, 'structure', 'layer.py'), '# stand-in folder layout\n');

  it('checks REF_DIR and the script before anything is timed, with one clear line each', () => {
    expect(() => checkReference(undefined, 'x.py')).toThrow(/--reference REF_DIR is required/);
    expect(() => checkReference(tmp, 'x.py')).toThrow(/not the structured-nets pytorch\/ folder \(expected structure\/layer.py/);
    expect(() => checkReference(refDir, undefined)).toThrow(/--reference-script FILE is required/);
    expect(() => checkReference(refDir, path.join(tmp, 'none.py'))).toThrow(UserError);
  });

  it('passes one thread and the points to the script, and reads its JSON lines', () => {
    // The interpreter is node here, so that this test needs no Python: the script echoes its
    // arguments and environment the way bench_reference.py prints rows.
    const script = path.join(tmp, 'echo.js');
    fs.writeFileSync(
      script,
      `const a = process.argv.slice(2);
       console.log('round 1/1 done');
       for (const [cls, r] of [['unconstrained', null], ['toeplitz', 4], ['subdiagonal', 1], ['subdiagonal', 4], ['tridiagonal', 1], ['tridiagonal', 4]])
         console.log(JSON.stringify({ class: cls, n: 64, r, shl_step_ms: 2, torch: '1.13', threads: Number(process.env.OPENBLAS_NUM_THREADS), args: a }));`,
    );
    const rows = runReference({ python: process.execPath, script, refDir, n: 64, batch: 5, points: COMPARE_POINTS, minTime: 0.5 });
    expect(rows).toHaveLength(6);
    const args = (rows[0] as unknown as { args: string[] }).args;
    expect(args[0]).toBe(refDir);
    expect(args.join(' ')).toContain('--classes unconstrained,toeplitz,subdiagonal,tridiagonal --ns 64 --ranks 4,1 --batch 5 --threads 1 --min-time 0.5');
    expect(rows[0].threads).toBe(1);
  });

  it('reports a failing reference in one line with the install hint', () => {
    const script = path.join(tmp, 'fail.js');
    fs.writeFileSync(script, `console.error("Traceback ...\\nModuleNotFoundError: No module named 'torch'"); process.exit(1);`);
    expect(() => runReference({ python: process.execPath, script, refDir, n: 64, batch: 5, points: COMPARE_POINTS, minTime: 1 })).toThrow(
      /reference benchmark failed \(exit 1\): ModuleNotFoundError: No module named 'torch' \(Debian: apt-get install -y python3-torch/,
    );
  });

  it('joins ldr rows and reference rows into ratios, and prints them as Markdown', () => {
    const ldr = (className: string, rank: number | null, shlStepMs: number): LayerRow => ({
      class: className, n: 64, rank, batch: 5, paramCount: 1, computePath: 'dense', forwardMs: 1, forwardBackwardMs: 1, shlStepMs,
      productsMs: 1, krylovBuildMs: null, floorMs: 2, stepOverFloor: shlStepMs / 2, runs: 1, error: null,
    });
    const rows = joinRows(COMPARE_POINTS, 64, [ldr('unconstrained', null, 3), ldr('ldr-sd', 1, 1)], [
      { class: 'unconstrained', n: 64, r: null, shl_step_ms: 2 },
      { class: 'subdiagonal', n: 64, r: 1, shl_step_ms: 4 },
    ]);
    expect(rows.map((r) => [r.class, r.rank, r.ratio])).toEqual([
      ['unconstrained', null, 1.5],
      ['toeplitz-like', 4, null],
      ['ldr-sd', 1, 0.25],
      ['ldr-sd', 4, null],
      ['ldr-td', 1, null],
      ['ldr-td', 4, null],
    ]);
    expect(rows[1].error).toBe('no reference row for toeplitz n=64 r=4');
    const md = compareMarkdown(rows, 'heading').split('\n');
    expect(md[2]).toBe('| class | n | r | path | `ldr` step ms | reference step ms | ratio | goal | `ldr` floor ms | step/floor | floor/reference |');
    // floor/reference = 2 ms floor / 2 ms reference step.
    expect(md[4]).toBe('| unconstrained | 64 | - | dense | 3.0 | 2.0 | 1.50 | ≤ 1.5 | 2.0 | 1.50 | 1.00 |');
    expect(md[6]).toBe('| ldr-sd | 64 | 1 | dense | 1.0 | 4.0 | 0.25 | ≤ 0.25 | 2.0 | 0.50 | 0.50 |');
    expect(rows[0].floorRatio).toBe(1);
  });

  it('prints the dense product of both sides, in GFLOP/s and as a ratio', () => {
    // 2·50·1024² flops = 104.9 MFLOP: 2.5 ms is 41.9 GFLOP/s, 1.25 ms 83.9.
    const d = denseProductRow(50, 1024, 2.5, 1.25);
    expect(d).toEqual({ shape: '[50×1024]·[1024×1024]', ldrMs: 2.5, ldrGflops: 41.9, numpyMs: 1.25, numpyGflops: 83.9, ratio: 2, numpyUnavailable: null });
    const md = compareMarkdown([], 'h', d);
    expect(md).toContain('Dense product [50×1024]·[1024×1024], operands fixed: ldr 2.50 ms, 41.9 GFLOP/s; NumPy (OpenBLAS, one thread) 1.25 ms, 83.9 GFLOP/s; ratio 2.00.');
    const none = denseProductRow(50, 1024, 2.5, { unavailable: 'numpy is not installed' });
    expect(none.ratio).toBeNull();
    expect(compareMarkdown([], 'h', none)).toContain('NumPy: numpy is not installed.');
  });
});

describe('ldr bench speed: the NumPy baseline', () => {
  const python = '/usr/bin/python3';
  const hasNumpy = spawnSync(python, ['-c', 'import numpy']).status === 0;

  it('says why when there is no NumPy', () => {
    const r = numpyDenseTimes(path.join(tmp, 'no-python'), { ns: [64], batch: 1, repeats: 1, blockMs: 1, maxEntries: 2 ** 20 });
    expect(r).toEqual({ unavailable: expect.stringMatching(/not found \(Debian: apt-get install -y python3-numpy\)/) });
  });

  // CI installs python3-numpy (.ci/run); elsewhere the test is skipped, visibly, without it.
  it.skipIf(!hasNumpy && !process.env.CI)('times NumPy one-thread dense products per n (skipping matrices over the size cap)', () => {
    const r = numpyDenseTimes(python, { ns: [64, 128, 4096], batch: 1, repeats: 2, blockMs: 2, maxEntries: 128 * 128 });
    if ('unavailable' in r) throw new Error(`NumPy baseline unavailable: ${r.unavailable}`);
    expect(r.version).toMatch(/^\d+\.\d+/);
    expect([...r.ms.keys()]).toEqual([64, 128]);
    for (const ms of r.ms.values()) expect(ms).toBeGreaterThan(0);
  });
});
