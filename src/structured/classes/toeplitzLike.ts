// Toeplitz-like (docs/method.md §2): Krylov product with A = Z_1, B = Z_−1 (P2's class), or
// A = B = Z_0 with `operators: 'z0'` (the reference's `t`). 2rn parameters.
import { KrylovMatrix } from '../krylovMatrix';
import { shiftOperator } from '../operators';
import type { ClassOptions, ClassSpec, MatrixInit } from '../types';

/** The (A, B) shift pair of the Toeplitz-like (and Hankel-like) class. */
export function toeplitzShifts(n: number, options: ClassOptions | undefined) {
  const z0 = options?.operators === 'z0';
  return { A: shiftOperator(n, z0 ? 0 : 1), B: shiftOperator(n, z0 ? 0 : -1) };
}

export const toeplitzLike: ClassSpec = {
  name: 'toeplitz-like',
  aliases: ['t'],
  hasRank: true,
  paramCount: (n, r) => 2 * r * n,
  create: ({ n, rank, rng, options, compute }: MatrixInit) =>
    new KrylovMatrix({ className: 'toeplitz-like', n, rank, rng, compute, ...toeplitzShifts(n, options) }),
};
