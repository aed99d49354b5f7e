// Every class of the registry against its math (docs/method.md §1–2): forward = X·denseᵀ, the
// dense form = the class's definition, the Stein identity, finite-difference gradients,
// exact parameter counts, the LDR-SD/TD = Toeplitz-like(Z_0) cross-check, no tensor leaks.
// LDR_TEST_CLASSES=unconstrained,low-rank,… limits the run to some classes.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMatrix } from '../../src/structured/create';
import { CLASSES } from '../../src/structured/registry';
import type { ClassName, ClassSpec, StructuredMatrix } from '../../src/structured/types';
import { Rng } from '../../src/util/random';
import { richardsonGradCheck, type FdResult } from './fdcheck';
import {
  applyPower,
  fastfoodDense,
  forwardReference,
  krylovProduct,
  maxAbs,
  maxDiff,
  operatorMatrix,
  reverseRows,
  steinResidual,
  take,
  toDense,
  type Dense,
  type OperatorJson,
} from './reference';

const only = process.env.LDR_TEST_CLASSES?.split(',');
const SPECS = CLASSES.filter((s) => !only || only.includes(s.name));
const SIZES = [8, 13, 16];

const pow2 = (n: number) => 2 ** Math.ceil(Math.log2(n));
/** docs/method.md §2's parameter column, written out independently of the classes. */
const FORMULA: Record<ClassName, (n: number, r: number) => number> = {
  unconstrained: (n) => n * n,
  'low-rank': (n, r) => 2 * r * n,
  'toeplitz-like': (n, r) => 2 * r * n,
  'hankel-like': (n, r) => 2 * r * n,
  'vandermonde-like': (n, r) => 2 * r * n + n,
  circulant: (n) => n,
  fastfood: (n) => 3 * pow2(n),
  'ldr-sd': (n, r) => 2 * r * n + 2 * (n - 1),
  'ldr-sd-corner': (n, r) => 2 * n * (r + 1),
  'ldr-td': (n, r) => 2 * r * n + 2 * (3 * n - 2),
  'ldr-td-corner': (n, r) => 2 * n * (r + 3),
};

/** The classes that are not Krylov products (no operators, no Stein identity). */
const NOT_KRYLOV = new Set(['unconstrained', 'low-rank', 'circulant', 'fastfood']);
/** The classes with a choice of fixed operators (ClassOptions.operators). */
const WITH_OPERATOR_OPTION = new Set(['toeplitz-like', 'hankel-like']);

interface Case {
  spec: ClassSpec;
  n: number;
  r: number;
  operators?: 'z1' | 'z0';
}
const CASES: Case[] = SPECS.flatMap((spec) =>
  SIZES.flatMap((n) =>
    (spec.hasRank ? [1, 3] : [1]).flatMap((r) =>
      WITH_OPERATOR_OPTION.has(spec.name)
        ? (['z1', 'z0'] as const).map((operators) => ({ spec, n, r, operators }))
        : [{ spec, n, r }],
    ),
  ),
);
const label = ({ spec, n, r, operators }: Case) =>
  `${spec.name} n=${n}${spec.hasRank ? ` r=${r}` : ''}${operators ? ` ${operators}` : ''}`;

function build({ spec, n, r, operators }: Case, seed = 1): StructuredMatrix {
  return createMatrix(spec.name, { n, rank: r, rng: new Rng(seed), options: operators ? { operators } : undefined });
}

/** Every trainable entry ← U(lo, hi): exercises corners, diagonals and signs that init leaves at 0/±1. */
function randomise(m: StructuredMatrix, rng: Rng, lo = -1, hi = 1): void {
  for (const v of Object.values(m.variables)) tf.tidy(() => v.assign(tf.tensor(rng.uniformArray(v.size, lo, hi), v.shape)));
}

function randomInput(rows: number, n: number, seed: number): tf.Tensor2D {
  return tf.tensor2d(new Rng(seed).normalArray(rows * n), [rows, n]);
}

/** The class's definition evaluated in float64 from its printed parameters (audit). */
function definitionDense(m: StructuredMatrix): Dense | null {
  const audit = m.audit();
  const vars = m.variables;
  const arr = (name: string) => Array.from(vars[name].dataSync());
  if (audit.operators) {
    const { A, B } = audit.operators as { A: OperatorJson; B: OperatorJson };
    const k = krylovProduct(A, B, audit.G as Dense, audit.H as Dense);
    return audit.reverseOutput ? reverseRows(k) : k;
  }
  switch (m.className) {
    case 'unconstrained':
      return m.paramArrays!().W as Dense;
    case 'low-rank': {
      const G = audit.G as Dense;
      const H = audit.H as Dense;
      return Array.from({ length: m.m }, (_, i) =>
        Array.from({ length: m.n }, (_, j) => G.reduce((s, g, k) => s + g[i] * H[k][j], 0)),
      );
    }
    case 'circulant': {
      const c = arr('c');
      const n = m.n;
      return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => c[(((i - j) % n) + n) % n]));
    }
    case 'fastfood':
      return fastfoodDense(arr('S'), arr('G'), arr('B'), audit.permutation as number[], m.n);
    default:
      return null;
  }
}

/** Within 1% relative, or 1e-3 of the variable's largest gradient (float32 noise on tiny entries). */
const gradOk = (r: FdResult) => r.maxRelError < 1e-2 || r.maxAbsError < 1e-3 * r.maxAbsGrad;

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe.each(CASES.map((c) => [label(c), c] as const))('%s', (_, c) => {
  let m: StructuredMatrix;
  beforeAll(() => {
    m = build(c);
  });
  afterAll(() => m.dispose());

  it('has the docs/method.md parameter count, equal to the sum of its variable sizes', () => {
    const sizes = Object.values(m.variables).reduce((s, v) => s + v.size, 0);
    expect(m.paramCount()).toBe(FORMULA[c.spec.name](c.n, c.r));
    expect(c.spec.paramCount(c.n, c.r)).toBe(FORMULA[c.spec.name](c.n, c.r));
    expect(sizes).toBe(m.paramCount());
    expect(m.rank).toBe(c.spec.hasRank ? c.r : null);
    expect([m.m, m.n]).toEqual([c.n, c.n]);
  });

  it('leaves no tensors behind (create, apply, toDense, audit, dispose)', () => {
    const before = tf.memory().numTensors;
    const mat = build(c, 3);
    const x = randomInput(2, c.n, 1);
    tf.dispose([mat.apply(x), mat.toDense(), x]);
    mat.audit();
    mat.paramArrays?.();
    mat.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  for (const params of ['init', 'random'] as const) {
    it(`forward = X·denseᵀ and dense = the definition (${params} params)`, () => {
      const mat = build(c, 7);
      if (params === 'random') randomise(mat, new Rng(11));
      const x = randomInput(5, c.n, 3);
      const y = take(mat.apply(x));
      const dense = take(mat.toDense());
      expect([dense.length, dense[0].length]).toEqual([c.n, c.n]);
      const ref = forwardReference(toDense(x), dense);
      expect(maxDiff(y, ref.y)).toBeLessThanOrEqual(1e-5 * ref.scale + 1e-7);
      const def = definitionDense(mat);
      expect(def, `${c.spec.name}: no reference definition in this test`).not.toBeNull();
      expect(maxDiff(dense, def!)).toBeLessThanOrEqual(1e-5 * Math.max(1, maxAbs(def!)));
      x.dispose();
      mat.dispose();
    });
  }

  if (!NOT_KRYLOV.has(c.spec.name)) it('satisfies the Stein identity M − A M Bᵀ = Σ g hᵀ − (Aⁿg)(Bⁿh)ᵀ', () => {
    const mat = build(c, 5);
    randomise(mat, new Rng(13), -0.5, 0.5);
    const audit = mat.audit();
    expect(audit, 'a Krylov-product class audits its operators').toHaveProperty('operators');
    const { A, B } = audit.operators as { A: OperatorJson; B: OperatorJson };
    const G = audit.G as Dense;
    const H = audit.H as Dense;
    expect([G.length, G[0].length, H.length, H[0].length]).toEqual([c.r, c.n, c.r, c.n]);
    const n = c.n;
    const a = operatorMatrix(A, n);
    const b = operatorMatrix(B, n);
    let dense = take(mat.toDense());
    if (audit.reverseOutput) dense = reverseRows(dense);
    const lhs = steinResidual(dense, a, b);
    const rhs: Dense = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    G.forEach((g, i) => {
      const an = applyPower(a, g, n);
      const bn = applyPower(b, H[i], n);
      for (let p = 0; p < n; p++) for (let q = 0; q < n; q++) rhs[p][q] += g[p] * H[i][q] - an[p] * bn[q];
    });
    const scale = Math.max(1, maxAbs(dense), maxAbs(rhs));
    expect(maxDiff(lhs, rhs)).toBeLessThanOrEqual(1e-4 * scale);
    mat.dispose();
  });

  if (!NOT_KRYLOV.has(c.spec.name)) it('has the docs/method.md operators; corners trainable exactly in the -corner classes', () => {
    const mat = build(c, 6);
    randomise(mat, new Rng(14)); // every trainable entry becomes non-zero
    const audit = mat.audit();
    const { A, B } = audit.operators as { A: OperatorJson; B: OperatorJson };
    const name = c.spec.name;
    const corners = (op: OperatorJson) =>
      op.kind === 'subdiagonal' ? [op.corner] : op.kind === 'tridiagonal' ? [op.upperRight, op.lowerLeft] : [];
    if (WITH_OPERATOR_OPTION.has(name)) {
      const f = c.operators === 'z0' ? [0, 0] : [1, -1];
      expect([A, B]).toEqual([{ kind: 'shift', f: f[0] }, { kind: 'shift', f: f[1] }]);
      expect(audit.reverseOutput ?? false).toBe(name === 'hankel-like');
    } else if (name === 'vandermonde-like') {
      expect([A.kind, B]).toEqual(['diagonal', { kind: 'shift', f: 0 }]);
    } else {
      const kind = name.startsWith('ldr-sd') ? 'subdiagonal' : 'tridiagonal';
      expect([A.kind, B.kind]).toEqual([kind, kind]);
      const cs = [...corners(A), ...corners(B)];
      if (name.endsWith('-corner')) expect(cs.every((x) => x !== 0)).toBe(true);
      else expect(cs.every((x) => x === 0)).toBe(true);
    }
    mat.dispose();
  });

  it('has gradients equal to central finite differences for every variable and the input', () => {
    const mat = build(c, 9);
    // Perturb the init a little so no gradient vanishes by symmetry (e.g. zero corners).
    for (const v of Object.values(mat.variables)) {
      const rng = new Rng(v.size);
      tf.tidy(() => v.assign(tf.add(v, tf.tensor(rng.uniformArray(v.size, -0.1, 0.1), v.shape))));
    }
    // x as a variable too: a layer inside the CNN / LSTM back-propagates into its input.
    const x = tf.variable(randomInput(4, c.n, 21)) as tf.Variable<tf.Rank.R2>;
    const R = randomInput(c.n, 3, 22);
    const loss = () => tf.tidy(() => tf.sum(tf.square(tf.matMul(mat.apply(x), R))).mul(0.5) as tf.Scalar);
    const results = richardsonGradCheck(loss, { ...mat.variables, x }, { h: 1e-2, maxEntries: 16 });
    expect(results.map((r) => r.name)).toEqual([...Object.keys(mat.variables), 'x']);
    for (const r of results) {
      expect(gradOk(r), `${label(c)} d/d${r.name}: abs ${r.maxAbsError} rel ${r.maxRelError}`).toBe(true);
    }
    x.dispose();
    R.dispose();
    mat.dispose();
  });
});

// The smallest sizes the CLI accepts (n ≥ 2): odd, even, below every FFT / padding threshold.
describe.each(SPECS.flatMap((spec) => [2, 3].map((n) => ({ spec, n }))))('$spec.name at n=$n', ({ spec, n }) => {
  it('forward = X·denseᵀ = the definition, gradients = finite differences', () => {
    const mat = createMatrix(spec.name, { n, rank: 1, rng: new Rng(41) });
    randomise(mat, new Rng(42), -0.5, 0.5);
    const x = tf.variable(randomInput(3, n, 43)) as tf.Variable<tf.Rank.R2>;
    const y = take(mat.apply(x));
    const dense = take(mat.toDense());
    const ref = forwardReference(toDense(x), dense);
    expect(maxDiff(y, ref.y)).toBeLessThanOrEqual(1e-5 * ref.scale + 1e-7);
    const def = definitionDense(mat)!;
    expect(maxDiff(dense, def)).toBeLessThanOrEqual(1e-5 * Math.max(1, maxAbs(def)));
    const R = randomInput(n, 2, 44);
    const loss = () => tf.tidy(() => tf.sum(tf.square(tf.matMul(mat.apply(x), R))).mul(0.5) as tf.Scalar);
    for (const r of richardsonGradCheck(loss, { ...mat.variables, x }, { h: 1e-2 })) {
      expect(gradOk(r), `d/d${r.name}: abs ${r.maxAbsError} rel ${r.maxRelError}`).toBe(true);
    }
    tf.dispose([x, R]);
    mat.dispose();
  });
});

describe('initialisation (docs/method.md §2)', () => {
  const n = 256;
  const r = 2;
  const stats = (a: ArrayLike<number>) => {
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < a.length; i++) {
      s += a[i];
      s2 += a[i] * a[i];
    }
    return { mean: s / a.length, std: Math.sqrt(s2 / a.length - (s / a.length) ** 2) };
  };
  const expectNormal = (a: ArrayLike<number>, std: number) => {
    const st = stats(a);
    // n·… ≥ 512 draws: the sample std is within a few % of the true one
    expect(Math.abs(st.mean)).toBeLessThan((4 * std) / Math.sqrt(a.length));
    expect(st.std / std).toBeGreaterThan(0.9);
    expect(st.std / std).toBeLessThan(1.1);
  };

  it.each(SPECS)('$name', (spec) => {
    const m = createMatrix(spec.name, { n, rank: r, rng: new Rng(17) });
    const v = (name: string) => m.variables[name].dataSync();
    const audit = m.audit();
    switch (spec.name) {
      case 'unconstrained':
        expectNormal(v('W'), 1 / Math.sqrt(n));
        break;
      case 'circulant':
        expectNormal(v('c'), 1 / Math.sqrt(n));
        break;
      case 'fastfood': {
        const G = v('G');
        expectNormal(G, 1);
        expect(new Set(v('B'))).toEqual(new Set([-1, 1]));
        const gNorm = Math.sqrt(Array.from(G).reduce((s, g) => s + g * g, 0));
        // S_i ‖G‖ = sqrt(χ²_n): mean of the squares ≈ n, variance 2n
        const chi2 = Array.from(v('S'), (s) => (s * gNorm) ** 2);
        const st = stats(chi2);
        expect(Math.abs(st.mean - n)).toBeLessThan(4 * Math.sqrt((2 * n) / n));
        expect(st.std / Math.sqrt(2 * n)).toBeGreaterThan(0.8);
        expect(st.std / Math.sqrt(2 * n)).toBeLessThan(1.2);
        expect([...(audit.permutation as number[])].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
        break;
      }
      default: {
        // low-rank and every Krylov-product class: G, H ~ N(0, 1/(r n))
        expectNormal((audit.G as number[][]).flat(), 1 / Math.sqrt(r * n));
        expectNormal((audit.H as number[][]).flat(), 1 / Math.sqrt(r * n));
        const ops = audit.operators as { A: OperatorJson; B: OperatorJson } | undefined;
        for (const op of ops ? [ops.A, ops.B] : []) {
          if (op.kind === 'subdiagonal') {
            expect(op.subdiag.every((x) => x === 1) && op.corner === 0).toBe(true);
          } else if (op.kind === 'tridiagonal') {
            expect(op.subdiag.every((x) => x === 1)).toBe(true);
            expect([...op.diag, ...op.superdiag, op.upperRight, op.lowerLeft].every((x) => x === 0)).toBe(true);
          } else if (op.kind === 'diagonal') {
            expect(op.diag.every((x) => Math.abs(x) <= 0.7)).toBe(true);
            expect(stats(op.diag).std).toBeGreaterThan(0.3); // U(−0.7, 0.7): std 0.404
          }
        }
      }
    }
    m.dispose();
  });
});

describe('cross-checks', () => {
  const sdTd = SPECS.filter((s) => ['ldr-sd', 'ldr-td'].includes(s.name));
  const toeplitz = SPECS.find((s) => s.name === 'toeplitz-like');
  it.runIf(toeplitz && sdTd.length > 0).each(sdTd.flatMap((s) => [8, 13].map((n) => ({ s, n }))))(
    '$s.name at init = toeplitz-like on Z_0 with the same G, H (n=$n)',
    ({ s, n }) => {
      for (const r of [1, 3]) {
        const t = createMatrix('toeplitz-like', { n, rank: r, rng: new Rng(4), options: { operators: 'z0' } });
        const other = createMatrix(s.name, { n, rank: r, rng: new Rng(5) });
        for (const name of ['G', 'H']) {
          const src = t.variables[name];
          const dst = other.variables[name];
          expect(src && dst, `both classes expose a variable named ${name}`).toBeTruthy();
          expect(dst.shape).toEqual(src.shape);
          dst.assign(src);
        }
        const x = randomInput(4, n, 8);
        const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(t.apply(x), other.apply(x)))).dataSync()[0]);
        const scale = tf.tidy(() => tf.max(tf.abs(t.apply(x))).dataSync()[0]);
        expect(diff).toBeLessThanOrEqual(1e-5 * Math.max(1, scale));
        x.dispose();
        t.dispose();
        other.dispose();
      }
    },
  );

  it.each(SPECS)('$name: tensor count stays flat over 100 SGD steps', (spec) => {
    const n = 16;
    const mat = createMatrix(spec.name, { n, rank: 2, rng: new Rng(2) });
    const w = tf.variable(tf.tensor2d(new Rng(3).normalArray(n * 4, 0.3), [n, 4]));
    const x = randomInput(8, n, 4);
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3], 'int32'), 4);
    const opt = tf.train.sgd(0.01);
    const varList = [...Object.values(mat.variables), w];
    const step = () =>
      opt.minimize(
        () => tf.losses.softmaxCrossEntropy(labels, tf.matMul(tf.relu(mat.apply(x)), w)) as tf.Scalar,
        false,
        varList,
      );
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    tf.dispose([w, x, labels]);
    mat.dispose();
  });
});

// The custom ops read typed arrays and the products go through backend kernels: check that
// the wasm backend computes what the cpu backend does (values and gradients).
describe('wasm backend = cpu backend', () => {
  const n = 13;
  const r = 2;
  const run = (spec: ClassSpec) => {
    const mat = createMatrix(spec.name, { n, rank: r, rng: new Rng(31) });
    randomise(mat, new Rng(32), -0.5, 0.5);
    const x = tf.variable(randomInput(3, n, 33)) as tf.Variable<tf.Rank.R2>;
    const R = randomInput(n, 2, 34);
    const vars = [...Object.values(mat.variables), x];
    const { value, grads } = tf.variableGrads(
      () => tf.sum(tf.square(tf.matMul(mat.apply(x), R))).mul(0.5) as tf.Scalar,
      vars,
    );
    const out = {
      y: take(mat.apply(x)),
      dense: take(mat.toDense()),
      loss: value.dataSync()[0],
      grads: vars.map((v) => Array.from(grads[v.name].dataSync())),
    };
    tf.dispose([value, x, R, ...Object.values(grads)]);
    mat.dispose();
    return out;
  };
  let onCpu: Map<string, ReturnType<typeof run>>;

  beforeAll(async () => {
    onCpu = new Map(SPECS.map((s) => [s.name, run(s)]));
    require('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
    await tf.ready();
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each(SPECS)('$name', (spec) => {
    expect(tf.getBackend()).toBe('wasm');
    const cpu = onCpu.get(spec.name)!;
    const wasm = run(spec);
    const scale = Math.max(1, maxAbs(cpu.dense));
    expect(maxDiff(wasm.dense, cpu.dense)).toBeLessThanOrEqual(1e-5 * scale);
    expect(maxDiff(wasm.y, cpu.y)).toBeLessThanOrEqual(1e-5 * Math.max(1, maxAbs(cpu.y)));
    expect(Math.abs(wasm.loss - cpu.loss)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(cpu.loss)));
    expect(wasm.grads.length).toBe(cpu.grads.length);
    const gScale = Math.max(1e-3, ...cpu.grads.map((g) => Math.max(...g.map(Math.abs))));
    expect(maxDiff(wasm.grads, cpu.grads)).toBeLessThanOrEqual(1e-4 * gScale);
  });
});
