// The Krylov-product core: typed-array kernels against a float64 reference built straight
// from PAPER.md §1's operator table, the adjoint recursion against TF.js autodiff of the
// doubling path, and the whole op (both paths) against finite differences.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { krylovProduct, setKrylovPath, type KrylovPath } from '../../src/structured/krylov';
import { krylovRowsDoubling } from '../../src/structured/krylovDoubling';
import { krylovRows, krylovRowsBackward } from '../../src/structured/krylovKernels';
import {
  diagonalOperator,
  shiftOperator,
  subdiagonalOperator,
  tridiagonalOperator,
  type DisplacementOperator,
} from '../../src/structured/operators';
import type { OperatorJson } from '../../src/structured/types';
import { Rng } from '../../src/util/random';
import { gradCheck } from '../support/gradcheck';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => setKrylovPath('auto'));

type Dense = number[][];

/** The operator matrix entry by entry from the PAPER.md §1 table (float64). */
function tableMatrix(op: OperatorJson, n: number): Dense {
  const a: Dense = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  switch (op.kind) {
    case 'shift':
      a[0][n - 1] = op.f;
      for (let j = 1; j < n; j++) a[j][j - 1] = 1;
      break;
    case 'subdiagonal':
      a[0][n - 1] = op.corner;
      for (let j = 1; j < n; j++) a[j][j - 1] = op.subdiag[j - 1];
      break;
    case 'tridiagonal':
      for (let j = 0; j < n; j++) {
        if (j >= 1) a[j][j - 1] += op.subdiag[j - 1];
        a[j][j] += op.diag[j];
        if (j < n - 1) a[j][j + 1] += op.superdiag[j];
      }
      a[0][n - 1] += op.upperRight;
      a[n - 1][0] += op.lowerLeft;
      break;
    case 'diagonal':
      for (let j = 0; j < n; j++) a[j][j] = op.diag[j];
      break;
  }
  return a;
}

const matVec = (a: Dense, v: number[]) => a.map((row) => row.reduce((s, x, j) => s + x * v[j], 0));

/** Every operator variant, with parameters drawn U(−lo..hi) so every entry is exercised. */
function operators(n: number, rng: Rng, scale = 0.6): Record<string, DisplacementOperator> {
  const ops: Record<string, DisplacementOperator> = {
    'shift f=0': shiftOperator(n, 0),
    'shift f=1': shiftOperator(n, 1),
    'shift f=-1': shiftOperator(n, -1),
    subdiagonal: subdiagonalOperator(n, { corner: false }),
    'subdiagonal+corner': subdiagonalOperator(n, { corner: true }),
    tridiagonal: tridiagonalOperator(n, { corners: false }),
    'tridiagonal+corners': tridiagonalOperator(n, { corners: true }),
    diagonal: diagonalOperator(n, rng),
  };
  for (const op of Object.values(ops)) {
    for (const v of Object.values(op.variables)) v.assign(tf.tensor(rng.uniformArray(v.size, -scale, scale), v.shape));
  }
  return ops;
}

const dispose = (ops: Record<string, DisplacementOperator>) => {
  for (const op of Object.values(ops)) for (const v of Object.values(op.variables)) v.dispose();
};

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('displacement operators', () => {
  it('dense(), toJson() and the kernels all agree with the PAPER.md table', () => {
    for (const n of [2, 3, 8]) {
      const ops = operators(n, new Rng(n));
      for (const [name, op] of Object.entries(ops)) {
        const ref = tableMatrix(op.toJson(), n);
        const dense = op.dense();
        expect(maxAbsDiff(dense.dataSync(), ref.flat()), name).toBeLessThan(1e-6);
        dense.dispose();
        // Krylov rows of the unit vectors: row 1 of block i is A e_i, i.e. column i of A.
        const eye = new Float32Array(n * n);
        for (let i = 0; i < n; i++) eye[i * n + i] = 1;
        const K = krylovRows(op.coeffs(), eye, n);
        for (let i = 0; i < n; i++) {
          const col = ref.map((row) => row[i]);
          expect(maxAbsDiff(K.subarray(i * n * n + n, i * n * n + 2 * n), col), `${name} col ${i}`).toBeLessThan(1e-6);
        }
      }
      dispose(ops);
    }
  });

  it('initialise as PAPER.md §1 says', () => {
    const n = 6;
    const sd = subdiagonalOperator(n, { corner: true }).toJson();
    expect(sd).toEqual({ kind: 'subdiagonal', subdiag: [1, 1, 1, 1, 1], corner: 0 });
    const td = tridiagonalOperator(n, { corners: true }).toJson();
    expect(td).toEqual({
      kind: 'tridiagonal',
      subdiag: [1, 1, 1, 1, 1],
      diag: [0, 0, 0, 0, 0, 0],
      superdiag: [0, 0, 0, 0, 0],
      upperRight: 0,
      lowerLeft: 0,
    });
    const d = diagonalOperator(1000, new Rng(3)).toJson() as { diag: number[] };
    expect(Math.min(...d.diag)).toBeGreaterThanOrEqual(-0.7);
    expect(Math.max(...d.diag)).toBeLessThanOrEqual(0.7);
    expect(Math.max(...d.diag) - Math.min(...d.diag)).toBeGreaterThan(1.3);
    expect(Object.keys(subdiagonalOperator(n, { corner: false }).variables)).toEqual(['subdiag']);
    expect(Object.keys(tridiagonalOperator(n, { corners: true }).variables)).toEqual([
      'subdiag', 'diag', 'superdiag', 'upperRight', 'lowerLeft',
    ]);
  });
});

describe('Krylov kernels', () => {
  it('krylovRows equals A^k v by repeated float64 products with the table matrix', () => {
    const n = 13;
    const r = 3;
    const rng = new Rng(7);
    const ops = operators(n, rng);
    const V = rng.normalArray(r * n);
    for (const [name, op] of Object.entries(ops)) {
      const K = krylovRows(op.coeffs(), V, r);
      const a = tableMatrix(op.toJson(), n);
      for (let i = 0; i < r; i++) {
        let u = Array.from(V.subarray(i * n, (i + 1) * n));
        for (let k = 0; k < n; k++) {
          const row = K.subarray((i * n + k) * n, (i * n + k + 1) * n);
          const scale = Math.max(1, ...u.map(Math.abs));
          expect(maxAbsDiff(row, u) / scale, `${name} i=${i} k=${k}`).toBeLessThan(1e-5);
          u = matVec(a, u);
        }
      }
    }
    dispose(ops);
  });

  it('krylovRowsBackward equals TF.js autodiff of the doubling path', () => {
    const n = 11;
    const r = 2;
    const rng = new Rng(8);
    const ops = operators(n, rng);
    const V = tf.tensor2d(rng.normalArray(r * n), [r, n]);
    const W = tf.tensor2d(rng.normalArray(r * n * n), [r * n, n]); // loss = Σ W ⊙ K
    for (const [name, op] of Object.entries(ops)) {
      const { dV, grads } = krylovRowsBackward(op.coeffs(), krylovRows(op.coeffs(), V.dataSync(), r), W.dataSync() as Float32Array, r);
      const vars = Object.values(op.variables);
      const f = (v: tf.Tensor) => tf.sum(tf.mul(krylovRowsDoubling(op.dense(), v as tf.Tensor2D), W)) as tf.Scalar;
      const ref = tf.grad(f)(V);
      expect(maxAbsDiff(dV, ref.dataSync()), `${name} dV`).toBeLessThan(1e-4);
      ref.dispose();
      if (vars.length > 0) {
        const { grads: refGrads } = tf.variableGrads(() => f(V), vars);
        for (const [pname, v] of Object.entries(op.variables)) {
          const mine = op.gradOf(pname, grads);
          const want = refGrads[v.name].dataSync();
          const scale = Math.max(1, ...Array.from(want, Math.abs));
          expect(maxAbsDiff(mine.dataSync(), want) / scale, `${name} ${pname}`).toBeLessThan(1e-4);
          expect(mine.shape).toEqual(v.shape);
          mine.dispose();
        }
        Object.values(refGrads).forEach((g) => g.dispose());
      }
    }
    tf.dispose([V, W]);
    dispose(ops);
  });
});

describe('Krylov product op', () => {
  const n = 8;
  const r = 3;
  const b = 4;

  /** Y = X·Mᵀ with M from dense matrices: Σ_i K(A,g_i) K(B,h_i)ᵀ, all in float64. */
  function referenceY(x: Dense, G: Dense, H: Dense, a: Dense, bm: Dense): Dense {
    const krylov = (m: Dense, v: number[]) => {
      const cols = [v];
      for (let k = 1; k < n; k++) cols.push(matVec(m, cols[k - 1]));
      return cols; // cols[k] = m^k v
    };
    const M: Dense = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let i = 0; i < r; i++) {
      const ka = krylov(a, G[i]);
      const kb = krylov(bm, H[i]);
      for (let k = 0; k < n; k++) for (let p = 0; p < n; p++) for (let q = 0; q < n; q++) M[p][q] += ka[k][p] * kb[k][q];
    }
    return x.map((row) => M.map((mrow) => mrow.reduce((s, m, q) => s + m * row[q], 0)));
  }

  function setup(seed: number) {
    const rng = new Rng(seed);
    const opsA = operators(n, rng, 0.5);
    const opsB = operators(n, rng, 0.5);
    const x = tf.variable(tf.tensor2d(rng.normalArray(b * n), [b, n]));
    const G = tf.variable(tf.tensor2d(rng.normalArray(r * n, 0.3), [r, n]));
    const H = tf.variable(tf.tensor2d(rng.normalArray(r * n, 0.3), [r, n]));
    const W = tf.tensor2d(rng.normalArray(b * n), [b, n]);
    const cleanup = () => {
      tf.dispose([x, G, H, W]);
      dispose(opsA);
      dispose(opsB);
    };
    return { opsA, opsB, x, G, H, W, cleanup };
  }

  // Pairs (A, B) covering every operator kind on each side.
  const pairs: [string, string][] = [
    ['shift f=1', 'shift f=-1'],
    ['subdiagonal+corner', 'subdiagonal'],
    ['tridiagonal+corners', 'tridiagonal'],
    ['diagonal', 'shift f=0'],
    ['tridiagonal', 'subdiagonal+corner'],
    ['subdiagonal', 'tridiagonal+corners'],
  ];

  for (const path of ['kernels', 'doubling'] as KrylovPath[]) {
    it(`${path}: forward equals the float64 reference and gradients match finite differences`, () => {
      setKrylovPath(path);
      const { opsA, opsB, x, G, H, W, cleanup } = setup(11);
      for (const [na, nb] of pairs) {
        const A = opsA[na];
        const B = opsB[nb];
        const y = krylovProduct(x, G, H, A, B);
        const ref = referenceY(
          x.arraySync() as Dense, G.arraySync() as Dense, H.arraySync() as Dense,
          tableMatrix(A.toJson(), n), tableMatrix(B.toJson(), n),
        );
        const scale = Math.max(1, ...ref.flat().map(Math.abs));
        expect(maxAbsDiff(y.dataSync(), ref.flat()) / scale, `${na}/${nb}`).toBeLessThan(1e-5);
        y.dispose();
        const vars: Record<string, tf.Variable> = { x, G, H };
        for (const [k, v] of Object.entries(A.variables)) vars[`A.${k}`] = v;
        for (const [k, v] of Object.entries(B.variables)) vars[`B.${k}`] = v;
        const loss = () => tf.sum(tf.mul(krylovProduct(x, G, H, A, B), W)) as tf.Scalar;
        for (const res of gradCheck(loss, vars, { eps: 1e-2 })) {
          expect(res.maxRelError, `${path} ${na}/${nb} ${res.name}`).toBeLessThan(2e-2);
        }
      }
      cleanup();
      setKrylovPath('auto');
    });
  }

  it('the two paths agree on outputs and on every gradient', () => {
    const { opsA, opsB, x, G, H, W, cleanup } = setup(12);
    for (const [na, nb] of pairs) {
      const A = opsA[na];
      const B = opsB[nb];
      const vars = [x, G, H, ...Object.values(A.variables), ...Object.values(B.variables)];
      const run = (path: KrylovPath) => {
        setKrylovPath(path);
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(krylovProduct(x, G, H, A, B), W)) as tf.Scalar, vars);
        const out = { value: value.dataSync()[0], grads: vars.map((v) => Array.from(grads[v.name].dataSync())) };
        value.dispose();
        Object.values(grads).forEach((g) => g.dispose());
        return out;
      };
      const k = run('kernels');
      const d = run('doubling');
      expect(Math.abs(k.value - d.value)).toBeLessThan(1e-4 * Math.max(1, Math.abs(d.value)));
      k.grads.forEach((g, i) => {
        const scale = Math.max(1, ...d.grads[i].map(Math.abs));
        expect(maxAbsDiff(g, d.grads[i]) / scale, `${na}/${nb} input ${i}`).toBeLessThan(1e-4);
      });
    }
    setKrylovPath('auto');
    cleanup();
  });

  it('leaks no tensors, with or without a gradient tape, on both paths', () => {
    const { opsA, opsB, x, G, H, W, cleanup } = setup(13);
    const A = opsA['tridiagonal+corners'];
    const B = opsB['subdiagonal+corner'];
    const vars = [G, H, ...Object.values(A.variables), ...Object.values(B.variables)];
    for (const path of ['kernels', 'doubling'] as KrylovPath[]) {
      setKrylovPath(path);
      const step = () => {
        tf.tidy(() => {
          krylovProduct(x, G, H, A, B);
        });
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(krylovProduct(x, G, H, A, B), W)) as tf.Scalar, vars);
        tf.tidy(() => vars.forEach((v) => v.assign(tf.sub(v, tf.mul(1e-3, grads[v.name])))));
        value.dispose();
        Object.values(grads).forEach((g) => g.dispose());
      };
      step();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) step();
      expect(tf.memory().numTensors, path).toBe(before);
    }
    setKrylovPath('auto');
    cleanup();
  });

  it('the kernels path on the wasm backend matches the cpu backend', async () => {
    const { opsA, opsB, x, G, H, W, cleanup } = setup(14);
    const A = opsA['tridiagonal+corners'];
    const B = opsB['subdiagonal+corner'];
    setKrylovPath('auto');
    const vars = [x, G, H, ...Object.values(A.variables), ...Object.values(B.variables)];
    const cpu = tf.variableGrads(() => tf.sum(tf.mul(krylovProduct(x, G, H, A, B), W)) as tf.Scalar, vars);
    const want = vars.map((v) => Array.from(cpu.grads[v.name].dataSync()));
    const wantY = tf.tidy(() => Array.from(krylovProduct(x, G, H, A, B).dataSync()));
    tf.dispose([cpu.value, ...Object.values(cpu.grads)]);
    // Copy every tensor to wasm: variables live on the backend they were created on.
    require('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
    try {
      const copies = vars.map((v) => tf.variable(tf.tensor(v.arraySync() as number[], v.shape)));
      const [cx, cG, cH, ...rest] = copies;
      const wrap = (op: DisplacementOperator, vs: tf.Variable[]): DisplacementOperator => {
        const names = Object.keys(op.variables);
        const variables = Object.fromEntries(names.map((k, i) => [k, vs[i]]));
        // Same operator, reading the wasm copies (only the data source changes).
        Object.assign(op.variables, variables);
        return op;
      };
      const nA = Object.keys(A.variables).length;
      const origA = { ...A.variables };
      const origB = { ...B.variables };
      wrap(A, rest.slice(0, nA));
      wrap(B, rest.slice(nA));
      const cW = tf.tensor(W.arraySync() as number[][]);
      expect(tf.getBackend()).toBe('wasm');
      const y = Array.from(krylovProduct(cx as tf.Tensor2D, cG as tf.Tensor2D, cH as tf.Tensor2D, A, B).dataSync());
      expect(maxAbsDiff(y, wantY)).toBeLessThan(1e-4);
      const got = tf.variableGrads(() => tf.sum(tf.mul(krylovProduct(cx as tf.Tensor2D, cG as tf.Tensor2D, cH as tf.Tensor2D, A, B), cW)) as tf.Scalar, copies);
      copies.forEach((v, i) => {
        const scale = Math.max(1, ...want[i].map(Math.abs));
        expect(maxAbsDiff(got.grads[v.name].dataSync(), want[i]) / scale, `input ${i}`).toBeLessThan(1e-4);
      });
      tf.dispose([got.value, ...Object.values(got.grads), cW, ...copies]);
      Object.assign(A.variables, origA);
      Object.assign(B.variables, origB);
    } finally {
      await tf.setBackend('cpu');
    }
    cleanup();
  });
});
