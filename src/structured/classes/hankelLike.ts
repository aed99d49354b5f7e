// Hankel-like (docs/method.md §2): M = J·M_toeplitz-like (J reverses the output). 2rn parameters.
import { KrylovMatrix } from '../krylovMatrix';
import type { ClassSpec, MatrixInit } from '../types';
import { toeplitzShifts } from './toeplitzLike';

export const hankelLike: ClassSpec = {
  name: 'hankel-like',
  aliases: ['h'],
  hasRank: true,
  paramCount: (n, r) => 2 * r * n,
  create: ({ n, rank, rng, options, compute }: MatrixInit) =>
    new KrylovMatrix({ className: 'hankel-like', n, rank, rng, compute, ...toeplitzShifts(n, options), reverseOutput: true }),
};
