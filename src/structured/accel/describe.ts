// A StructuredMatrix's current values as the plain description the fast products take
// (the same fields `ldr layer --json` prints).
import type { StructuredMatrix } from '../types';
import type { MatrixDescription } from './products';

export function describeMatrix(matrix: StructuredMatrix): MatrixDescription {
  const params = matrix.paramArrays
    ? matrix.paramArrays()
    : Object.fromEntries(Object.entries(matrix.variables).map(([k, v]) => [k, v.arraySync()]));
  return { className: matrix.className, n: matrix.n, params, ...matrix.audit() };
}
