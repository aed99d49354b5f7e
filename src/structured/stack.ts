// PLACEHOLDER: replaced by the real rectangular stacking.
import type { ClassSpec, MatrixInit, StructuredMatrix } from './types';
export function stackBlocks(spec: ClassSpec, _init: MatrixInit & { m: number }): StructuredMatrix {
  throw new Error(`${spec.name}: rectangular shapes not implemented yet`);
}
