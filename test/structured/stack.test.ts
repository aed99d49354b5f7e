// Rectangular m×n matrices (create.ts, stack.ts): native for unconstrained and low-rank,
// ⌈m/n⌉ stacked square blocks (truncated to m rows) for every other class.
// LDR_TEST_CLASSES=… limits the run to some classes.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMatrix, matrixParamCount } from '../../src/structured/create';
import { CLASSES } from '../../src/structured/registry';
import { Rng } from '../../src/util/random';
import { richardsonGradCheck, type FdResult } from './fdcheck';
import { forwardReference, maxDiff, take, toDense } from './reference';

const only = process.env.LDR_TEST_CLASSES?.split(',');
const SPECS = CLASSES.filter((s) => !only || only.includes(s.name));
const NATIVE = new Set(['unconstrained', 'low-rank']);
const SHAPES: Array<[number, number]> = [
  [5, 8], // one block, truncated
  [20, 8], // three blocks, the last truncated
  [16, 8], // two whole blocks
];

/** Within 1% relative, or 1e-3 of the variable's largest gradient (float32 noise on tiny entries). */
const gradOk = (r: FdResult) => r.maxRelError < 1e-2 || r.maxAbsError < 1e-3 * r.maxAbsGrad;

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe.each(SPECS)('$name', (spec) => {
  it.each(SHAPES)('m=%i n=%i: shape, parameter count, forward = X·denseᵀ', (m, n) => {
    const r = 2;
    const mat = createMatrix(spec.name, { m, n, rank: r, rng: new Rng(m * 100 + n) });
    expect([mat.m, mat.n, mat.className]).toEqual([m, n, spec.name]);
    const blocks = Math.ceil(m / n);
    const expected = NATIVE.has(spec.name)
      ? spec.name === 'unconstrained'
        ? m * n
        : r * (m + n)
      : blocks * spec.paramCount(n, r);
    expect(mat.paramCount()).toBe(expected);
    expect(matrixParamCount(spec.name, m, n, r)).toBe(expected);
    expect(Object.values(mat.variables).reduce((s, v) => s + v.size, 0)).toBe(expected);
    if (!NATIVE.has(spec.name)) {
      const names = Object.keys(mat.variables);
      for (let k = 0; k < blocks; k++) expect(names.some((x) => x.startsWith(`block${k}.`))).toBe(true);
      expect(names.every((x) => /^block\d+\./.test(x))).toBe(true);
    }
    const x = tf.tensor2d(new Rng(1).normalArray(4 * n), [4, n]);
    const y = take(mat.apply(x));
    const dense = take(mat.toDense());
    expect([dense.length, dense[0].length]).toEqual([m, n]);
    expect([y.length, y[0].length]).toEqual([4, m]);
    const ref = forwardReference(toDense(x), dense);
    expect(maxDiff(y, ref.y)).toBeLessThanOrEqual(1e-5 * ref.scale + 1e-7);
    if (spec.name === 'unconstrained') expect(maxDiff(dense, mat.paramArrays!().W as number[][])).toBe(0);
    if (spec.name === 'low-rank') {
      const G = mat.variables.G.arraySync() as number[][];
      const H = mat.variables.H.arraySync() as number[][];
      expect([G.length, G[0].length, H.length, H[0].length]).toEqual([r, m, r, n]);
      const gtH = dense.map((row, i) => row.map((_, j) => G.reduce((s, g, k) => s + g[i] * H[k][j], 0)));
      expect(maxDiff(dense, gtH)).toBeLessThanOrEqual(1e-6);
    }
    x.dispose();
    mat.dispose();
  });

  it('gradients of a stacked / rectangular matrix (parameters and input) match finite differences', () => {
    const [m, n] = [12, 8];
    const mat = createMatrix(spec.name, { m, n, rank: 2, rng: new Rng(5) });
    for (const v of Object.values(mat.variables)) {
      const rng = new Rng(v.size + 1);
      tf.tidy(() => v.assign(tf.add(v, tf.tensor(rng.uniformArray(v.size, -0.1, 0.1), v.shape))));
    }
    const x = tf.variable(tf.tensor2d(new Rng(6).normalArray(3 * n), [3, n])) as tf.Variable<tf.Rank.R2>;
    const R = tf.tensor2d(new Rng(7).normalArray(m * 2), [m, 2]);
    const loss = () => tf.tidy(() => tf.sum(tf.square(tf.matMul(mat.apply(x), R))).mul(0.5) as tf.Scalar);
    for (const r of richardsonGradCheck(loss, { ...mat.variables, x }, { h: 1e-2, maxEntries: 8 })) {
      expect(gradOk(r), `d/d${r.name}: abs ${r.maxAbsError} rel ${r.maxRelError}`).toBe(true);
    }
    tf.dispose([x, R]);
    mat.dispose();
  });
});

describe.each(SPECS.filter((s) => !NATIVE.has(s.name)))('$name stacked', (spec) => {
  it('blocks have independent parameters and the square blocks’ dense forms', () => {
    const n = 8;
    const mat = createMatrix(spec.name, { m: 20, n, rank: 1, rng: new Rng(3) });
    const dense = take(mat.toDense());
    const blockDense = (mat as unknown as { blocks: { toDense(): tf.Tensor2D }[] }).blocks.map((b) => take(b.toDense()));
    expect(blockDense.length).toBe(3);
    expect(maxDiff(dense, blockDense.flat().slice(0, 20))).toBe(0);
    expect(maxDiff(blockDense[0], blockDense[1])).toBeGreaterThan(0);
    mat.dispose();
  });
});
