// The seven Krylov-product classes through their ClassSpec: parameter counts and names,
// dense form against a float64 reference rebuilt from the audit JSON alone, the Stein
// identity, the class relations of docs/method.md §1–2, and gradients on both Krylov paths.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { hankelLike } from '../../src/structured/classes/hankelLike';
import { ldrSd, ldrSdCorner } from '../../src/structured/classes/ldrSd';
import { ldrTd, ldrTdCorner } from '../../src/structured/classes/ldrTd';
import { toeplitzLike } from '../../src/structured/classes/toeplitzLike';
import { vandermondeLike } from '../../src/structured/classes/vandermondeLike';
import type { ClassOptions, ClassSpec, OperatorJson, StructuredMatrix } from '../../src/structured/types';
import { Rng } from '../../src/util/random';
import { gradCheck } from '../support/gradcheck';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

type Dense = number[][];
const KRYLOV: ClassSpec[] = [toeplitzLike, hankelLike, vandermondeLike, ldrSd, ldrSdCorner, ldrTd, ldrTdCorner];

type KrylovPath = 'simd' | 'js' | 'doubling';

/** One matrix; `path` forces how Krylov rows are built (computePath.ts), else automatic. */
const build = (spec: ClassSpec, n: number, rank: number, seed: number, options?: ClassOptions, path?: KrylovPath) =>
  spec.create({ n, rank, rng: new Rng(seed), options, compute: path ? { path: `krylov-${path}` } : undefined });

/** Draw every trainable entry U(−s, s), operators included (what `--random-params` does, scaled). */
function randomize(m: StructuredMatrix, rng: Rng, s = 0.5): void {
  for (const v of Object.values(m.variables)) v.assign(tf.tensor(rng.uniformArray(v.size, -s, s), v.shape));
}

/** The operator's matrix from its audit JSON, by the docs/method.md §1 table. */
function operatorMatrix(op: OperatorJson, n: number): Dense {
  const a: Dense = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  if (op.kind === 'diagonal') op.diag.forEach((d, j) => (a[j][j] = d));
  if (op.kind === 'shift' || op.kind === 'subdiagonal') {
    a[0][n - 1] = op.kind === 'shift' ? op.f : op.corner;
    for (let j = 1; j < n; j++) a[j][j - 1] = op.kind === 'shift' ? 1 : op.subdiag[j - 1];
  }
  if (op.kind === 'tridiagonal') {
    for (let j = 0; j < n; j++) {
      if (j > 0) a[j][j - 1] += op.subdiag[j - 1];
      a[j][j] += op.diag[j];
      if (j < n - 1) a[j][j + 1] += op.superdiag[j];
    }
    a[0][n - 1] += op.upperRight;
    a[n - 1][0] += op.lowerLeft;
  }
  return a;
}

const mul = (a: Dense, b: Dense): Dense => a.map((row) => b[0].map((_, q) => row.reduce((s, x, p) => s + x * b[p][q], 0)));
const T = (a: Dense): Dense => a[0].map((_, j) => a.map((row) => row[j]));
const matVec = (a: Dense, v: number[]) => a.map((row) => row.reduce((s, x, j) => s + x * v[j], 0));
const outer = (u: number[], v: number[]): Dense => u.map((x) => v.map((y) => x * y));
const add = (a: Dense, b: Dense, s = 1): Dense => a.map((row, i) => row.map((x, j) => x + s * b[i][j]));
const maxAbs = (a: Dense) => Math.max(...a.flat().map(Math.abs));

interface Audit {
  operators: { A: OperatorJson; B: OperatorJson };
  G: Dense;
  H: Dense;
  reverseOutput?: boolean;
}

/** M = [J] Σ_i K(A, g_i) K(B, h_i)ᵀ in float64, from the audit alone. */
function referenceDense(audit: Audit, n: number): Dense {
  const a = operatorMatrix(audit.operators.A, n);
  const b = operatorMatrix(audit.operators.B, n);
  let m: Dense = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  audit.G.forEach((g, i) => {
    let u = g;
    let v = audit.H[i];
    for (let k = 0; k < n; k++) {
      m = add(m, outer(u, v));
      u = matVec(a, u);
      v = matVec(b, v);
    }
  });
  return audit.reverseOutput ? m.slice().reverse() : m;
}

describe('Krylov-product classes', () => {
  it('paramCount = docs/method.md formula = sum of variable sizes, with stable names', () => {
    const formula: Record<string, (n: number, r: number) => number> = {
      'toeplitz-like': (n, r) => 2 * r * n,
      'hankel-like': (n, r) => 2 * r * n,
      'vandermonde-like': (n, r) => 2 * r * n + n,
      'ldr-sd': (n, r) => 2 * r * n + 2 * (n - 1),
      'ldr-sd-corner': (n, r) => 2 * n * (r + 1),
      'ldr-td': (n, r) => 2 * r * n + 2 * (3 * n - 2),
      'ldr-td-corner': (n, r) => 2 * n * (r + 3),
    };
    const names: Record<string, string[]> = {
      'toeplitz-like': ['G', 'H'],
      'hankel-like': ['G', 'H'],
      'vandermonde-like': ['G', 'H', 'A.diag'],
      'ldr-sd': ['G', 'H', 'A.subdiag', 'B.subdiag'],
      'ldr-sd-corner': ['G', 'H', 'A.subdiag', 'A.corner', 'B.subdiag', 'B.corner'],
      'ldr-td': ['G', 'H', 'A.subdiag', 'A.diag', 'A.superdiag', 'B.subdiag', 'B.diag', 'B.superdiag'],
      'ldr-td-corner': [
        'G', 'H',
        'A.subdiag', 'A.diag', 'A.superdiag', 'A.upperRight', 'A.lowerLeft',
        'B.subdiag', 'B.diag', 'B.superdiag', 'B.upperRight', 'B.lowerLeft',
      ],
    };
    for (const spec of KRYLOV) {
      for (const [n, r] of [[2, 1], [8, 3], [13, 1], [1024, 4]]) {
        const m = build(spec, n, r, 1);
        const sizes = Object.values(m.variables).reduce((s, v) => s + v.size, 0);
        expect(m.paramCount(), spec.name).toBe(formula[spec.name](n, r));
        expect(spec.paramCount(n, r), spec.name).toBe(formula[spec.name](n, r));
        expect(sizes).toBe(m.paramCount());
        expect(Object.keys(m.variables), spec.name).toEqual(names[spec.name]);
        expect([m.className, m.n, m.m, m.rank]).toEqual([spec.name, n, n, r]);
        m.dispose();
      }
    }
    expect(ldrTdCorner.paramCount(1024, 1)).toBe(8 * 1024); // P1: LDR-TD r=1 = 8n (+ classifier)
  });

  it('G, H ~ N(0, 1/(r·n)) and are reproducible from the seed', () => {
    const m = build(ldrSd, 512, 2, 5);
    const g = Array.from(m.variables.G.dataSync());
    const variance = g.reduce((s, x) => s + x * x, 0) / g.length;
    expect(variance * 2 * 512).toBeGreaterThan(0.9);
    expect(variance * 2 * 512).toBeLessThan(1.1);
    const again = build(ldrSd, 512, 2, 5);
    expect(Array.from(again.variables.H.dataSync())).toEqual(Array.from(m.variables.H.dataSync()));
    m.dispose();
    again.dispose();
  });

  for (const path of ['simd', 'js', 'doubling'] as KrylovPath[]) {
    it(`${path}: toDense and forward match the float64 reference from the audit; Stein identity holds`, () => {
      for (const spec of KRYLOV) {
        for (const options of spec === toeplitzLike || spec === hankelLike ? [{}, { operators: 'z0' as const }] : [{}]) {
          for (const [n, r] of [[8, 1], [13, 3]]) {
            const rng = new Rng(n * 10 + r);
            const m = build(spec, n, r, n + r, options, path);
            randomize(m, rng);
            const audit = JSON.parse(JSON.stringify(m.audit())) as Audit;
            expect(audit.G.length).toBe(r);
            expect(audit.G[0].length).toBe(n);
            expect(audit.reverseOutput ?? false).toBe(spec === hankelLike);
            const ref = referenceDense(audit, n);
            const scale = Math.max(1, maxAbs(ref));
            const dense = m.toDense();
            const denseArr = dense.arraySync() as Dense;
            const tag = `${spec.name} ${JSON.stringify(options)} n=${n} r=${r}`;
            expect(maxAbs(add(denseArr, ref, -1)) / scale, tag).toBeLessThan(1e-5);
            dense.dispose();
            const x = rng.normalArray(3 * n);
            const X: Dense = [0, 1, 2].map((i) => Array.from(x.subarray(i * n, (i + 1) * n)));
            const y = tf.tidy(() => m.apply(tf.tensor2d(x, [3, n])).arraySync() as Dense);
            expect(maxAbs(add(y, mul(X, T(ref)), -1)) / (scale * 4), tag).toBeLessThan(1e-5);
            // Stein: M − A M Bᵀ = Σ_i g_i h_iᵀ − (Aⁿ g_i)(Bⁿ h_i)ᵀ, for toDense() (unreversed).
            const M = audit.reverseOutput ? denseArr.slice().reverse() : denseArr;
            const a = operatorMatrix(audit.operators.A, n);
            const b = operatorMatrix(audit.operators.B, n);
            const lhs = add(M, mul(mul(a, M), T(b)), -1);
            let rhs: Dense = Array.from({ length: n }, () => new Array<number>(n).fill(0));
            audit.G.forEach((g, i) => {
              let an = g;
              let bn = audit.H[i];
              for (let k = 0; k < n; k++) {
                an = matVec(a, an);
                bn = matVec(b, bn);
              }
              rhs = add(add(rhs, outer(g, audit.H[i])), outer(an, bn), -1);
            });
            expect(maxAbs(add(lhs, rhs, -1)) / Math.max(1, maxAbs(M)), tag).toBeLessThan(1e-5);
            m.dispose();
          }
        }
      }
    });
  }

  it('at init ldr-sd, ldr-td (with and without corners) equal toeplitz-like on Z_0; hankel-like = J · toeplitz-like', () => {
    const n = 16;
    const r = 2;
    const x = tf.tensor2d(new Rng(3).normalArray(4 * n), [4, n]);
    const out = (spec: ClassSpec, options?: ClassOptions) => {
      const m = build(spec, n, r, 77, options);
      const y = tf.tidy(() => m.apply(x).arraySync() as Dense);
      m.dispose();
      return y;
    };
    const t0 = out(toeplitzLike, { operators: 'z0' });
    for (const spec of [ldrSd, ldrSdCorner, ldrTd, ldrTdCorner]) {
      expect(maxAbs(add(out(spec), t0, -1)), spec.name).toBeLessThan(1e-6);
    }
    for (const options of [{}, { operators: 'z0' as const }]) {
      const t = out(toeplitzLike, options);
      const h = out(hankelLike, options);
      expect(h).toEqual(t.map((row) => row.slice().reverse()));
    }
    // Z_1/Z_−1 (default) and Z_0/Z_0 differ.
    expect(maxAbs(add(out(toeplitzLike), t0, -1))).toBeGreaterThan(1e-3);
    x.dispose();
  });

  it('audits name the operators of docs/method.md §2', () => {
    const kinds = (spec: ClassSpec, options?: ClassOptions) => {
      const m = build(spec, 6, 1, 1, options);
      const ops = (m.audit() as unknown as Audit).operators;
      m.dispose();
      return ops;
    };
    expect(kinds(toeplitzLike)).toEqual({ A: { kind: 'shift', f: 1 }, B: { kind: 'shift', f: -1 } });
    expect(kinds(hankelLike, { operators: 'z0' })).toEqual({ A: { kind: 'shift', f: 0 }, B: { kind: 'shift', f: 0 } });
    const v = kinds(vandermondeLike);
    expect(v.A.kind).toBe('diagonal');
    expect(v.B).toEqual({ kind: 'shift', f: 0 });
    expect(kinds(ldrSd).A).toEqual({ kind: 'subdiagonal', subdiag: [1, 1, 1, 1, 1], corner: 0 });
    expect(kinds(ldrTdCorner).B.kind).toBe('tridiagonal');
  });

  for (const path of ['simd', 'js', 'doubling'] as KrylovPath[]) {
    it(`${path}: gradients of every variable match finite differences`, () => {
      for (const spec of [hankelLike, vandermondeLike, ldrSdCorner, ldrTdCorner]) {
        const n = 8;
        const rng = new Rng(21);
        const m = build(spec, n, 2, 4, undefined, path);
        expect(m.computePath(3)).toBe(`krylov-${path}`);
        randomize(m, rng, 0.4);
        const x = tf.tensor2d(rng.normalArray(3 * n), [3, n]);
        const w = tf.tensor2d(rng.normalArray(3 * n), [3, n]);
        const loss = () => tf.sum(tf.mul(tf.tanh(m.apply(x)), w)) as tf.Scalar;
        for (const res of gradCheck(loss, m.variables)) {
          expect(res.maxRelError, `${spec.name} ${res.name}`).toBeLessThan(2e-2);
        }
        tf.dispose([x, w]);
        m.dispose();
      }
    });
  }

  it('the tensor count stays flat over 100 SGD steps', () => {
    const n = 32;
    const m = build(ldrTdCorner, n, 2, 9);
    const rng = new Rng(9);
    const x = tf.tensor2d(rng.normalArray(5 * n), [5, n]);
    const vars = Object.values(m.variables);
    const step = () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(m.apply(x), x))) as tf.Scalar, vars);
        for (const v of vars) v.assign(tf.sub(v, tf.mul(0.01, grads[v.name])));
        return value;
      });
    const first = step().dataSync()[0];
    const before = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 100; i++) {
      const v = step();
      last = v.dataSync()[0];
      v.dispose();
    }
    expect(tf.memory().numTensors).toBe(before + 0);
    expect(last).toBeLessThan(first); // it trains
    x.dispose();
    m.dispose();
  });
});
