// Vandermonde-like (docs/method.md §2): Krylov product with A = diag(d), d ~ U(−0.7, 0.7) learned,
// B = Z_0. 2rn + n parameters.
import { KrylovMatrix } from '../krylovMatrix';
import { diagonalOperator, shiftOperator } from '../operators';
import type { ClassSpec, MatrixInit } from '../types';

export const vandermondeLike: ClassSpec = {
  name: 'vandermonde-like',
  aliases: ['v'],
  hasRank: true,
  paramCount: (n, r) => 2 * r * n + n,
  create: ({ n, rank, rng, compute }: MatrixInit) =>
    // d is drawn first, then G and H.
    new KrylovMatrix({ className: 'vandermonde-like', n, rank, A: diagonalOperator(n, rng), B: shiftOperator(n, 0), rng, compute }),
};
