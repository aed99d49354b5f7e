// The Krylov-product core: typed-array kernels against a float64 reference built straight
// from docs/method.md §1's operator table, the adjoint recursion against TF.js autodiff of the
// doubling path, the WebAssembly SIMD kernels against the JS ones, and the whole op (all
// three paths) against finite differences and each other.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { krylovRowsPath } from '../../src/structured/computePath';
import { krylovProductKernels } from '../../src/structured/accel/krylovKernelOp';
import { krylovProductDoubling, krylovRowsDoubling } from '../../src/structured/krylovDoubling';
import { krylovRows, krylovRowsBackward } from '../../src/structured/accel/krylovKernels';
import { krylovRowsBackwardSimd, krylovRowsSimd, simdAvailable } from '../../src/structured/accel/krylovSimd';
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

type KrylovPath = 'simd' | 'js' | 'doubling';

/** The Krylov product on one explicit-rows path. */
function krylovProduct(path: KrylovPath, x: tf.Tensor2D, G: tf.Tensor2D, H: tf.Tensor2D, A: DisplacementOperator, B: DisplacementOperator): tf.Tensor2D {
  return path === 'doubling' ? krylovProductDoubling(x, G, H, A, B) : krylovProductKernels(path, x, G, H, A, B);
}

type Dense = number[][];

/** The operator matrix entry by entry from the docs/method.md §1 table (float64). */
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
  it('dense(), toJson() and the kernels all agree with the docs/method.md table', () => {
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

  it('initialise as docs/method.md §1 says', () => {
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

describe('WebAssembly SIMD kernels', () => {
  it('are available on this Node', () => {
    expect(simdAvailable()).toBe(true);
  });

  it('equal the JS kernels for every operator kind, including n not a multiple of 4', () => {
    for (const n of [2, 3, 5, 8, 13, 33]) {
      for (const r of [1, 3]) {
        const rng = new Rng(100 * n + r);
        const ops = operators(n, rng, 0.6);
        const V = rng.normalArray(r * n);
        const dK = rng.normalArray(r * n * n);
        for (const [name, op] of Object.entries(ops)) {
          const tag = `${name} n=${n} r=${r}`;
          const rows = krylovRows(op.coeffs(), V, r);
          const scale = Math.max(1, ...Array.from(rows, Math.abs));
          expect(maxAbsDiff(krylovRowsSimd(op.coeffs(), V, r), rows) / scale, tag).toBeLessThan(1e-6);
          const js = krylovRowsBackward(op.coeffs(), rows, dK, r);
          const simd = krylovRowsBackwardSimd(op.coeffs(), V, dK, r);
          const gscale = Math.max(1, ...Array.from(js.dV, Math.abs));
          expect(maxAbsDiff(simd.dV, js.dV) / gscale, `${tag} dV`).toBeLessThan(1e-5);
          for (const f of ['subdiag', 'diag', 'superdiag'] as const) {
            const pscale = Math.max(1, ...Array.from(js.grads[f], Math.abs));
            expect(maxAbsDiff(simd.grads[f], js.grads[f]) / pscale, `${tag} ${f}`).toBeLessThan(1e-5);
          }
          expect(simd.grads.upperRight).toBeCloseTo(js.grads.upperRight, 3);
          expect(simd.grads.lowerLeft).toBeCloseTo(js.grads.lowerLeft, 3);
        }
        dispose(ops);
      }
    }
  });

  it('flush subnormal results to zero (as TensorFlow CPU kernels do)', () => {
    const n = 8;
    const op = diagonalOperator(n, new Rng(1));
    op.variables.diag.assign(tf.fill([n], 1e-20));
    const rows = krylovRowsSimd(op.coeffs(), new Float32Array(n).fill(1), 1);
    expect(rows[n]).toBeCloseTo(1e-20, 25); // A v: normal
    expect(rows[2 * n]).toBe(0); // A² v = 1e−40: subnormal in float32, flushed
    const back = krylovRowsBackwardSimd(op.coeffs(), new Float32Array(n).fill(1), new Float32Array(n * n).fill(1), 1);
    expect(back.dV[0]).toBeCloseTo(1 + 1e-20, 6);
    op.variables.diag.dispose();
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

  for (const path of ['simd', 'js', 'doubling'] as KrylovPath[]) {
    it(`${path}: forward equals the float64 reference and gradients match finite differences`, () => {
      const { opsA, opsB, x, G, H, W, cleanup } = setup(11);
      for (const [na, nb] of pairs) {
        const A = opsA[na];
        const B = opsB[nb];
        const y = krylovProduct(path, x, G, H, A, B);
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
        const loss = () => tf.sum(tf.mul(krylovProduct(path, x, G, H, A, B), W)) as tf.Scalar;
        for (const res of gradCheck(loss, vars, { eps: 1e-2 })) {
          expect(res.maxRelError, `${path} ${na}/${nb} ${res.name}`).toBeLessThan(2e-2);
        }
      }
      cleanup();
    });
  }

  it('the three paths agree on outputs and on every gradient', () => {
    const { opsA, opsB, x, G, H, W, cleanup } = setup(12);
    for (const [na, nb] of pairs) {
      const A = opsA[na];
      const B = opsB[nb];
      const vars = [x, G, H, ...Object.values(A.variables), ...Object.values(B.variables)];
      const run = (path: KrylovPath) => {
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(krylovProduct(path, x, G, H, A, B), W)) as tf.Scalar, vars);
        const out = { value: value.dataSync()[0], grads: vars.map((v) => Array.from(grads[v.name].dataSync())) };
        value.dispose();
        Object.values(grads).forEach((g) => g.dispose());
        return out;
      };
      const d = run('doubling');
      for (const path of ['simd', 'js'] as KrylovPath[]) {
        const k = run(path);
        expect(Math.abs(k.value - d.value)).toBeLessThan(1e-4 * Math.max(1, Math.abs(d.value)));
        k.grads.forEach((g, i) => {
          const scale = Math.max(1, ...d.grads[i].map(Math.abs));
          expect(maxAbsDiff(g, d.grads[i]) / scale, `${path} ${na}/${nb} input ${i}`).toBeLessThan(1e-4);
        });
      }
    }
    cleanup();
  });

  it('leaks no tensors, with or without a gradient tape, on both paths', () => {
    const { opsA, opsB, x, G, H, W, cleanup } = setup(13);
    const A = opsA['tridiagonal+corners'];
    const B = opsB['subdiagonal+corner'];
    const vars = [G, H, ...Object.values(A.variables), ...Object.values(B.variables)];
    for (const path of ['simd', 'js', 'doubling'] as KrylovPath[]) {
      const step = () => {
        tf.tidy(() => {
          krylovProduct(path, x, G, H, A, B);
        });
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(krylovProduct(path, x, G, H, A, B), W)) as tf.Scalar, vars);
        tf.tidy(() => vars.forEach((v) => v.assign(tf.sub(v, tf.mul(1e-3, grads[v.name])))));
        value.dispose();
        Object.values(grads).forEach((g) => g.dispose());
      };
      step();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) step();
      expect(tf.memory().numTensors, path).toBe(before);
    }
    cleanup();
  });

  it('the default (simd) path on the wasm backend matches the cpu backend', async () => {
    // The same seeded case built on each backend (variables live where they are created).
    const run = () => {
      const path = krylovRowsPath(tf.getBackend()) === 'krylov-simd' ? 'simd' : 'js';
      const { opsA, opsB, x, G, H, W, cleanup } = setup(14);
      const A = opsA['tridiagonal+corners'];
      const B = opsB['subdiagonal+corner'];
      const vars = [x, G, H, ...Object.values(A.variables), ...Object.values(B.variables)];
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(krylovProduct(path, x, G, H, A, B), W)) as tf.Scalar, vars);
      const out = { loss: value.dataSync()[0], grads: vars.map((v) => Array.from(grads[v.name].dataSync())) };
      tf.dispose([value, ...Object.values(grads)]);
      cleanup();
      return out;
    };
    const cpu = run();
    require('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
    try {
      expect(krylovRowsPath('wasm')).toBe('krylov-simd');
      const wasm = run();
      expect(Math.abs(wasm.loss - cpu.loss)).toBeLessThan(1e-4 * Math.max(1, Math.abs(cpu.loss)));
      wasm.grads.forEach((g, i) => {
        const scale = Math.max(1, ...cpu.grads[i].map(Math.abs));
        expect(maxAbsDiff(g, cpu.grads[i]) / scale, `input ${i}`).toBeLessThan(1e-4);
      });
    } finally {
      await tf.setBackend('cpu');
    }
  });
});
