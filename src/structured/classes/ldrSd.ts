// LDR-SD (docs/method.md §2): Krylov product with learned subdiagonal operators A and B
// (s = 1 at init), without corners: 2rn + 2(n−1) parameters; with a learned corner in
// each (init 0), ldr-sd-corner: 2n(r+1).
import { KrylovMatrix } from '../krylovMatrix';
import { subdiagonalOperator } from '../operators';
import type { ClassName, ClassSpec, MatrixInit } from '../types';

function create(className: ClassName, corner: boolean) {
  return ({ n, rank, rng, compute }: MatrixInit) =>
    new KrylovMatrix({
      className,
      n,
      rank,
      rng,
      compute,
      A: subdiagonalOperator(n, { corner }),
      B: subdiagonalOperator(n, { corner }),
    });
}

export const ldrSd: ClassSpec = {
  name: 'ldr-sd',
  aliases: ['sd'],
  hasRank: true,
  paramCount: (n, r) => 2 * r * n + 2 * (n - 1),
  create: create('ldr-sd', false),
};

export const ldrSdCorner: ClassSpec = {
  name: 'ldr-sd-corner',
  aliases: ['sdc'],
  hasRank: true,
  paramCount: (n, r) => 2 * n * (r + 1),
  create: create('ldr-sd-corner', true),
};
