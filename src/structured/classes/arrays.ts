// Small typed-array helpers shared by the classes that compute on the JS side.
import * as tf from '@tensorflow/tfjs';

/** The transpose of a row-major rows×cols array, as a row-major cols×rows Float32Array. */
export function transposeArray(a: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
  }
  return t;
}

/** A row-major rows×cols array as nested number arrays (for JSON). */
export function unflatten(a: ArrayLike<number>, rows: number, cols: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < rows; i++) out.push(Array.from({ length: cols }, (_, j) => a[i * cols + j]));
  return out;
}

/** Sum of the sizes of some tensors (a matrix's exact parameter count). */
export function totalSize(vars: Record<string, { size: number }>): number {
  let s = 0;
  for (const v of Object.values(vars)) s += v.size;
  return s;
}

/** A trainable variable holding `values`; the temporary initial tensor is freed (tidy). */
export function variableFrom(values: Float32Array, shape: number[]): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor(values, shape), true));
}
