// LDR-TD (docs/method.md §2): Krylov product with learned tridiagonal operators A and B
// (subdiag 1, diag 0, superdiag 0 at init), without corners: 2rn + 2(3n−2) parameters;
// with two learned corners in each (init 0), ldr-td-corner: 2n(r+3).
import { KrylovMatrix } from '../krylovMatrix';
import { tridiagonalOperator } from '../operators';
import type { ClassName, ClassSpec, MatrixInit } from '../types';

function create(className: ClassName, corners: boolean) {
  return ({ n, rank, rng, compute }: MatrixInit) =>
    new KrylovMatrix({
      className,
      n,
      rank,
      rng,
      compute,
      A: tridiagonalOperator(n, { corners }),
      B: tridiagonalOperator(n, { corners }),
    });
}

export const ldrTd: ClassSpec = {
  name: 'ldr-td',
  aliases: ['td'],
  hasRank: true,
  paramCount: (n, r) => 2 * r * n + 2 * (3 * n - 2),
  create: create('ldr-td', false),
};

export const ldrTdCorner: ClassSpec = {
  name: 'ldr-td-corner',
  aliases: ['tdc'],
  hasRank: true,
  paramCount: (n, r) => 2 * n * (r + 3),
  create: create('ldr-td-corner', true),
};
