// Krylov products with the shift operator Z_f in O(n log n) (P2, Theorem 3.3):
// K(Z_f, g) is the f-circulant matrix with first column g, so K(Z_f, g)·z = g·z mod (xⁿ − f),
// and K(Z_f, h)ᵀ·x = reverse(reverse(x)·h mod (xⁿ − f)). The transforms (foldedConv.ts) have
// size n for n a power of two and f = ±1 (cyclic / negacyclic), else the next power of two
// ≥ 2n − 1 (zero-padded, folded with weight f).
import { mulAddSpec, mulSpec, toVec, type Vec, zeros } from './fft';
import { foldedConv } from './foldedConv';

/** Copies a into v (a Vec of the same length) and returns v. */
function copyInto(a: ArrayLike<number>, v: Vec): Vec {
  for (let i = 0; i < v.length; i++) v[i] = a[i];
  return v;
}

/**
 * x ↦ Σ_i K(Z_fA, g_i) K(Z_fB, h_i)ᵀ x with the generators' spectra computed once:
 * u_i = reverse(reverse(x)·h_i mod (xⁿ − fB)), y = Σ_i g_i·u_i mod (xⁿ − fA); 2r + 2
 * transforms per product (one for x, two per rank, one back), the rank sum taken in the
 * frequency domain.
 */
export function prepareShiftKrylovProduct(fA: number, fB: number, G: ArrayLike<number>[], H: ArrayLike<number>[]): (x: ArrayLike<number>) => Float64Array {
  const n = G[0].length;
  const ca = foldedConv(n, fA);
  const cb = foldedConv(n, fB);
  const gs = G.map((g) => {
    const s = ca.spectrum();
    ca.forward(toVec(g), s);
    return s;
  });
  const hs = H.map((h) => {
    const s = cb.spectrum();
    cb.forward(toVec(h), s);
    return s;
  });
  const xs = cb.spectrum();
  const tb = cb.spectrum();
  const ta = ca.spectrum();
  const acc = ca.spectrum();
  const xv = zeros(n);
  const u = zeros(n);
  return (x) => {
    cb.forward(copyInto(x, xv), xs, true);
    acc.re.fill(0);
    acc.im.fill(0);
    for (let i = 0; i < gs.length; i++) {
      cb.inverse(mulSpec(xs, hs[i], tb), u, true);
      ca.forward(u, ta);
      mulAddSpec(acc, gs[i], ta);
    }
    ca.inverse(acc, u);
    return Float64Array.from(u);
  };
}

/**
 * x ↦ circ(c)·x, circ(c)[i][j] = c[(i − j) mod n] = K(Z_1, c): a circular convolution (real
 * FFTs of size n when n is a power of two, 2 transforms per product).
 */
export function prepareCirculantProduct(c: ArrayLike<number>): (x: ArrayLike<number>) => Float64Array {
  const n = c.length;
  const conv = foldedConv(n, 1);
  const cs = conv.spectrum();
  conv.forward(toVec(c), cs);
  const tmp = conv.spectrum();
  const v = zeros(n);
  return (x) => {
    conv.forward(copyInto(x, v), tmp);
    conv.inverse(mulSpec(cs, tmp, tmp), v);
    return Float64Array.from(v);
  };
}
