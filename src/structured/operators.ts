// Displacement operators (docs/method.md §1 table): shift Z_f, subdiagonal (+ corner),
// tridiagonal (+ corners), diagonal. Each owns its trainable tensors and can show itself
// three ways: coefficients for the typed-array kernels, a dense matrix built with
// differentiable tensor ops (the portable path), and the audit JSON. A kind is described once
// (OperatorFields below); the JSON, the kernels' coefficients and the audits derive from it.
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../util/random';

/**
 * Every operator kind with its coefficients: the one definition. The audit JSON (arrays of
 * numbers), the kernels' coefficients (Float32Array) and everything that switches on a kind
 * derive from it.
 */
interface OperatorFields<V> {
  shift: { f: number };
  subdiagonal: { subdiag: V; corner: number };
  tridiagonal: { subdiag: V; diag: V; superdiag: V; upperRight: number; lowerLeft: number };
  diagonal: { diag: V };
}

export type OperatorKind = keyof OperatorFields<unknown>;

/** An operator's kind and coefficients, with vectors of type V. */
export type OperatorValues<V> = { [K in OperatorKind]: { kind: K } & OperatorFields<V>[K] }[OperatorKind];

/** An operator as `ldr layer --json` prints it (docs/method.md, operators). */
export type OperatorJson = OperatorValues<number[]>;

/** An operator's current coefficients for the typed-array kernels (accel/). */
export type OperatorCoeffs = OperatorValues<Float32Array> & { n: number };

/**
 * ∂L/∂θ as the kernels accumulate it. `upperRight` is the (0, n−1) entry: the corner of a
 * subdiagonal operator, the upper-right corner of a tridiagonal one. Fields an operator lacks stay zero.
 */
export interface OperatorGrads {
  subdiag: Float64Array;
  diag: Float64Array;
  superdiag: Float64Array;
  upperRight: number;
  lowerLeft: number;
}

/**
 * Any operator as a tridiagonal: sub- (s), main (d) and superdiagonal (t) plus the corners
 * (ur at (0, n−1), ll at (n−1, 0)); zeros where the kind has none.
 */
export function asTridiagonal(op: OperatorValues<ArrayLike<number>>, n: number) {
  const s = new Float32Array(n - 1);
  const d = new Float32Array(n);
  const t = new Float32Array(n - 1);
  let ur = 0;
  let ll = 0;
  switch (op.kind) {
    case 'shift':
      s.fill(1);
      ur = op.f;
      break;
    case 'subdiagonal':
      s.set(op.subdiag);
      ur = op.corner;
      break;
    case 'tridiagonal':
      s.set(op.subdiag);
      d.set(op.diag);
      t.set(op.superdiag);
      ur = op.upperRight;
      ll = op.lowerLeft;
      break;
    case 'diagonal':
      d.set(op.diag);
      break;
  }
  return { s, d, t, ur, ll };
}

interface OperatorBase<K extends OperatorKind, Vars extends Record<string, tf.Variable>> {
  readonly kind: K;
  readonly n: number;
  /** Trainable tensors by short name (subdiag, diag, superdiag, corner, upperRight, lowerLeft); stable order; empty for a shift. */
  readonly variables: Vars;
  /** Current coefficients for the typed-array kernels. */
  coeffs(): Extract<OperatorCoeffs, { kind: K }>;
  /** ∂L/∂(variable `name`) as a tensor of the variable's shape, from the kernels' accumulated grads. */
  gradOf(name: string, grads: OperatorGrads): tf.Tensor;
  /** The dense n×n matrix, differentiable w.r.t. `variables`. */
  dense(): tf.Tensor2D;
  toJson(): Extract<OperatorJson, { kind: K }>;
}

/** Z_f: fixed, no parameters. */
export interface ShiftOperator extends OperatorBase<'shift', Record<string, never>> {
  readonly f: number;
}
export interface SubdiagonalOperator extends OperatorBase<'subdiagonal', { subdiag: tf.Variable; corner?: tf.Variable }> {
  readonly hasCorner: boolean;
}
export type TridiagonalOperator = OperatorBase<
  'tridiagonal',
  { subdiag: tf.Variable; diag: tf.Variable; superdiag: tf.Variable; upperRight?: tf.Variable; lowerLeft?: tf.Variable }
>;
export type DiagonalOperator = OperatorBase<'diagonal', { diag: tf.Variable }>;

export type DisplacementOperator = ShiftOperator | SubdiagonalOperator | TridiagonalOperator | DiagonalOperator;

const variable = (t: () => tf.Tensor): tf.Variable => tf.tidy(() => tf.variable(t(), true));
const read = (v: tf.Variable): Float32Array => v.dataSync() as Float32Array;
const scalar = (v: tf.Variable | undefined): number => (v ? read(v)[0] : 0);

/** n×n matrix with the (n−1)-vector s on the subdiagonal (offset −1) or superdiagonal (offset +1). */
function offDiagonal(s: tf.Tensor, n: number, offset: -1 | 1): tf.Tensor2D {
  const d = tf.mul(tf.eye(n - 1), s) as tf.Tensor2D;
  return offset === -1 ? tf.pad(d, [[1, 0], [0, 1]]) : tf.pad(d, [[0, 1], [1, 0]]);
}

/** c times the n×n unit matrix E_{row,col}; c a scalar tensor. */
function unitEntry(c: tf.Tensor, n: number, row: number, col: number): tf.Tensor2D {
  const e = tf.buffer([n, n]);
  e.set(1, row, col);
  return tf.mul(e.toTensor(), c) as tf.Tensor2D;
}

/** Z_f: (Zv)[0] = f·v[n−1], (Zv)[j] = v[j−1]. No parameters. */
export function shiftOperator(n: number, f: number): ShiftOperator {
  return {
    kind: 'shift',
    n,
    f,
    variables: {},
    coeffs: () => ({ kind: 'shift', n, f }),
    gradOf: (name) => {
      throw new Error(`shift operator has no parameter "${name}"`);
    },
    dense: () =>
      tf.tidy(() => {
        const z = offDiagonal(tf.ones([n - 1]), n, -1);
        return f === 0 ? z : tf.add(z, unitEntry(tf.scalar(f), n, 0, n - 1));
      }),
    toJson: () => ({ kind: 'shift', f }),
  };
}

/** Learned subdiagonal s (init 1), plus a learned corner c at (0, n−1) (init 0) when `corner`. */
export function subdiagonalOperator(n: number, { corner }: { corner: boolean }): SubdiagonalOperator {
  const variables: SubdiagonalOperator['variables'] = { subdiag: variable(() => tf.ones([n - 1])) };
  if (corner) variables.corner = variable(() => tf.scalar(0));
  return {
    kind: 'subdiagonal',
    n,
    hasCorner: corner,
    variables,
    coeffs: () => ({ kind: 'subdiagonal', n, subdiag: read(variables.subdiag), corner: scalar(variables.corner) }),
    gradOf: (name, g) => {
      if (name === 'subdiag') return tf.tensor1d(Float32Array.from(g.subdiag));
      if (name === 'corner') return tf.scalar(g.upperRight);
      throw new Error(`subdiagonal operator has no parameter "${name}"`);
    },
    dense: () =>
      tf.tidy(() => {
        const z = offDiagonal(variables.subdiag, n, -1);
        return variables.corner ? tf.add(z, unitEntry(variables.corner, n, 0, n - 1)) : z;
      }),
    toJson: () => ({ kind: 'subdiagonal', subdiag: Array.from(read(variables.subdiag)), corner: scalar(variables.corner) }),
  };
}

/**
 * Learned tridiagonal: subdiag s (init 1), diag d (init 0), superdiag u (init 0); with
 * `corners`, learned upperRight at (0, n−1) and lowerLeft at (n−1, 0) (init 0).
 */
export function tridiagonalOperator(n: number, { corners }: { corners: boolean }): TridiagonalOperator {
  const variables: TridiagonalOperator['variables'] = {
    subdiag: variable(() => tf.ones([n - 1])),
    diag: variable(() => tf.zeros([n])),
    superdiag: variable(() => tf.zeros([n - 1])),
  };
  if (corners) {
    variables.upperRight = variable(() => tf.scalar(0));
    variables.lowerLeft = variable(() => tf.scalar(0));
  }
  return {
    kind: 'tridiagonal',
    n,
    variables,
    coeffs: () => ({
      kind: 'tridiagonal',
      n,
      subdiag: read(variables.subdiag),
      diag: read(variables.diag),
      superdiag: read(variables.superdiag),
      upperRight: scalar(variables.upperRight),
      lowerLeft: scalar(variables.lowerLeft),
    }),
    gradOf: (name, g) => {
      switch (name) {
        case 'subdiag':
          return tf.tensor1d(Float32Array.from(g.subdiag));
        case 'diag':
          return tf.tensor1d(Float32Array.from(g.diag));
        case 'superdiag':
          return tf.tensor1d(Float32Array.from(g.superdiag));
        case 'upperRight':
          return tf.scalar(g.upperRight);
        case 'lowerLeft':
          return tf.scalar(g.lowerLeft);
      }
      throw new Error(`tridiagonal operator has no parameter "${name}"`);
    },
    dense: () =>
      tf.tidy(() => {
        let a = tf.addN([
          offDiagonal(variables.subdiag, n, -1),
          tf.mul(tf.eye(n), variables.diag),
          offDiagonal(variables.superdiag, n, 1),
        ]) as tf.Tensor2D;
        if (variables.upperRight) a = tf.add(a, unitEntry(variables.upperRight, n, 0, n - 1));
        if (variables.lowerLeft) a = tf.add(a, unitEntry(variables.lowerLeft, n, n - 1, 0));
        return a;
      }),
    toJson: () => ({
      kind: 'tridiagonal',
      subdiag: Array.from(read(variables.subdiag)),
      diag: Array.from(read(variables.diag)),
      superdiag: Array.from(read(variables.superdiag)),
      upperRight: scalar(variables.upperRight),
      lowerLeft: scalar(variables.lowerLeft),
    }),
  };
}

/** Learned diagonal d ~ U(−0.7, 0.7). */
export function diagonalOperator(n: number, rng: Rng): DiagonalOperator {
  const init = rng.uniformArray(n, -0.7, 0.7);
  const variables: DiagonalOperator['variables'] = { diag: variable(() => tf.tensor1d(init)) };
  return {
    kind: 'diagonal',
    n,
    variables,
    coeffs: () => ({ kind: 'diagonal', n, diag: read(variables.diag) }),
    gradOf: (name, g) => {
      if (name === 'diag') return tf.tensor1d(Float32Array.from(g.diag));
      throw new Error(`diagonal operator has no parameter "${name}"`);
    },
    dense: () => tf.tidy(() => tf.mul(tf.eye(n), variables.diag) as tf.Tensor2D),
    toJson: () => ({ kind: 'diagonal', diag: Array.from(read(variables.diag)) }),
  };
}
