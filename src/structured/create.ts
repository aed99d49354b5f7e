// Build any class at any shape: square n×n directly from its ClassSpec; m×n natively when the
// class has a rectangular form (unconstrained, low-rank), otherwise by stacking square
// blocks (stack.ts, which documents the parameter count).
import { getClass } from './registry';
import { stackBlocks, stackedBlockCount } from './stack';
import type { MatrixInit, StructuredMatrix } from './types';

export function createMatrix(className: string, init: MatrixInit): StructuredMatrix {
  const spec = getClass(className);
  const m = init.m ?? init.n;
  if (m === init.n) return spec.create({ ...init, m: undefined });
  if (spec.createRectangular) return spec.createRectangular({ ...init, m });
  return stackBlocks(spec, { ...init, m });
}

/** Exact parameter count (bias excluded) of `createMatrix(className, {m, n, rank})`. */
export function matrixParamCount(className: string, m: number, n: number, rank: number): number {
  const spec = getClass(className);
  if (m === n) return spec.paramCount(n, rank);
  if (spec.paramCountRectangular) return spec.paramCountRectangular(m, n, rank);
  return stackedBlockCount(m, n) * spec.paramCount(n, rank);
}
