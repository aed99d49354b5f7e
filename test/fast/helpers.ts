// Test-only helpers for the acceleration code: a naive DFT to check the FFTs against, and one-shot
// Krylov products built from the plans the training paths use.
import { mulSpec, toVec, zeros } from '../../src/structured/accel/fft';
import { foldedConv } from '../../src/structured/accel/foldedConv';
import { planSubdiagCornerKrylovSum, planSubdiagKrylovSum } from '../../src/structured/accel/subdiagKrylov';

/** Naive O(n²) DFT (sign −1, or +1 and divided by n when `inverse`). */
export function naiveDft(re: ArrayLike<number>, im: ArrayLike<number>, inverse = false): [Float64Array, Float64Array] {
  const n = re.length;
  const outRe = new Float64Array(n);
  const outIm = new Float64Array(n);
  const sign = inverse ? 1 : -1;
  for (let k = 0; k < n; k++) {
    let sr = 0;
    let si = 0;
    for (let j = 0; j < n; j++) {
      const ang = (sign * 2 * Math.PI * ((j * k) % n)) / n;
      const c = Math.cos(ang);
      const s = Math.sin(ang);
      sr += re[j] * c - im[j] * s;
      si += re[j] * s + im[j] * c;
    }
    outRe[k] = inverse ? sr / n : sr;
    outIm[k] = inverse ? si / n : si;
  }
  return [outRe, outIm];
}

/** y = K(Z_f, g) z by one folded convolution. */
export function shiftKrylovMul(f: number, g: ArrayLike<number>, z: ArrayLike<number>): Float64Array {
  const c = foldedConv(g.length, f);
  const a = c.spectrum();
  const b = c.spectrum();
  c.forward(toVec(g), a);
  c.forward(toVec(z), b);
  const y = zeros(g.length);
  c.inverse(mulSpec(a, b, a), y);
  return Float64Array.from(y);
}

/** u = K(Z_f, h)ᵀ x = reverse(reverse(x)·h mod (xⁿ − f)). */
export function shiftKrylovMulT(f: number, h: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
  const c = foldedConv(h.length, f);
  const a = c.spectrum();
  const b = c.spectrum();
  c.forward(toVec(h), a);
  c.forward(toVec(x), b, true);
  const u = zeros(h.length);
  c.inverse(mulSpec(a, b, a), u, true);
  return Float64Array.from(u);
}

// One-shot subdiagonal Krylov products (A = subdiagonal(s), with corner c where given).
export const subdiagKrylovMul = (s: ArrayLike<number>, g: ArrayLike<number>, z: ArrayLike<number>) => planSubdiagKrylovSum(s, [g]).mulSum([z]);
export const subdiagKrylovMulT = (s: ArrayLike<number>, g: ArrayLike<number>, x: ArrayLike<number>) => planSubdiagKrylovSum(s, [g]).mulTAll(x)[0];
export const subdiagCornerKrylovMul = (s: ArrayLike<number>, c: number, g: ArrayLike<number>, z: ArrayLike<number>) =>
  planSubdiagCornerKrylovSum(s, c, [g]).mulSum([z]);
export const subdiagCornerKrylovMulT = (s: ArrayLike<number>, c: number, g: ArrayLike<number>, x: ArrayLike<number>) =>
  planSubdiagCornerKrylovSum(s, c, [g]).mulTAll(x)[0];
