// Build any class at any shape: square n×n directly from its ClassSpec, m×n by stacking blocks.
import { getClass } from './registry';
import { stackBlocks } from './stack';
import type { MatrixInit, StructuredMatrix } from './types';

export function createMatrix(className: string, init: MatrixInit): StructuredMatrix {
  const spec = getClass(className);
  const m = init.m ?? init.n;
  if (m === init.n) return spec.create({ ...init, m: undefined });
  return stackBlocks(spec, { ...init, m });
}
