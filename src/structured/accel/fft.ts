// FFTs: an iterative radix-4 complex FFT (one radix-2 pass first when log2 n is odd) with
// cached bit-reversal and per-pass twiddle tables, and real-input transforms (rfft/irfft)
// through a complex FFT of half the length. TF.js has no FFT kernel on the wasm backend (and its
// cpu one is slow), so the fast structured products (accel/*.ts, classes/circulant.ts) run on these transforms.
//
// Working arrays are plain JS arrays of doubles (`Vec`), not typed arrays: once any ArrayBuffer
// in the process has been detached — the wasm backend detaches its old heap buffer whenever its
// memory grows — V8's optimised typed-array loads and stores get slower (measured: these loops
// ~1.45× slower after one detach, in every `ldr` process that has run a wasm op), while arrays
// of doubles are unaffected. Typed arrays are only read or written at the edges (inputs,
// results). The *Into forms write into caller buffers and use cached scratch, so the hot loops
// allocate nothing. This is the one FFT API of the project.

/** A packed array of doubles. */
export type Vec = number[];

/** Zeros with the packed-doubles elements kind, doubled as needed; zeros() slices it (a memcpy). */
let zeroTemplate: Vec = [0.5];
zeroTemplate[0] = 0;

/** n zeros as a packed array of doubles (not small integers: its elements kind never changes). */
export function zeros(n: number): Vec {
  while (zeroTemplate.length < n) zeroTemplate = zeroTemplate.concat(zeroTemplate);
  return zeroTemplate.slice(0, n);
}

interface Plan {
  n: number;
  /** Index pairs (i, j), i < j, to swap for the bit-reversal permutation. */
  swaps: number[];
  /** Radix-4 passes' twiddles: per pass with quarter-size q, w^k, w^2k, w^3k (re, im), w = e^{-2πi/(4q)}, k < q. */
  tw: Vec;
  /** Quarter sizes of the radix-4 passes, in order; the first pass is radix-2 when `radix2First`. */
  quarters: number[];
  radix2First: boolean;
  /** Scratch for real transforms of size 2n. */
  zr: Vec;
  zi: Vec;
}

const plans = new Map<number, Plan>();

export function isPowerOfTwo(n: number): boolean {
  return n >= 1 && (n & (n - 1)) === 0;
}

export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

function plan(n: number): Plan {
  let p = plans.get(n);
  if (p) return p;
  if (!isPowerOfTwo(n)) throw new Error(`fft: size ${n} is not a power of two`);
  const bits = Math.round(Math.log2(n));
  const rev = new Uint32Array(n);
  for (let i = 1; i < n; i++) rev[i] = (rev[i >> 1] >> 1) | ((i & 1) << (bits - 1));
  const pairs: number[] = [];
  for (let i = 0; i < n; i++) if (rev[i] > i) pairs.push(i, rev[i]);
  const radix2First = bits % 2 === 1;
  const quarters: number[] = [];
  for (let q = radix2First ? 2 : 1; 4 * q <= n; q *= 4) quarters.push(q);
  const twParts: number[] = [];
  for (const q of quarters) {
    for (let k = 0; k < q; k++) {
      for (let m = 1; m <= 3; m++) {
        const ang = (-2 * Math.PI * m * k) / (4 * q);
        twParts.push(Math.cos(ang), Math.sin(ang));
      }
    }
  }
  const tw = zeros(twParts.length);
  twParts.forEach((v, i) => (tw[i] = v));
  p = { n, swaps: pairs, tw, quarters, radix2First, zr: zeros(n), zi: zeros(n) };
  plans.set(n, p);
  return p;
}

/** Passes whose butterflies stay inside blocks of this many points run block by block (cache locality). */
const LOCAL_BLOCK = 1024;

/** Unnormalised in-place DFT (sign −1, or +1 when `inverse`) of length n = re.length. */
function transform(re: Vec, im: Vec, inverse: boolean): void {
  const n = re.length;
  if (n <= 1) return;
  const { swaps, tw, quarters, radix2First } = plan(n);
  for (let s = 0; s < swaps.length; s += 2) {
    const i = swaps[s];
    const j = swaps[s + 1];
    let t = re[i];
    re[i] = re[j];
    re[j] = t;
    t = im[i];
    im[i] = im[j];
    im[j] = t;
  }
  // Forward: b1 = t1 − i·t3; inverse (conjugate twiddles): b1 = t1 + i·t3.
  const sg = inverse ? -1 : 1;
  // After the bit reversal, the passes of span ≤ LOCAL_BLOCK act on independent blocks: finish
  // each block before the next, then run the wider passes over the whole array.
  const block = Math.min(n, LOCAL_BLOCK);
  let local = 0;
  let localOff = 0;
  while (local < quarters.length && 4 * quarters[local] <= block) localOff += 6 * quarters[local++];
  for (let lo = 0; lo < n; lo += block) {
    const hi = lo + block;
    if (radix2First) radix2Pass(re, im, lo, hi);
    let off = 0;
    for (let p = 0; p < local; p++) {
      radix4Pass(re, im, lo, hi, quarters[p], tw, off, sg);
      off += 6 * quarters[p];
    }
  }
  let off = localOff;
  for (let p = local; p < quarters.length; p++) {
    radix4Pass(re, im, 0, n, quarters[p], tw, off, sg);
    off += 6 * quarters[p];
  }
}

function radix2Pass(re: Vec, im: Vec, lo: number, hi: number): void {
  for (let a = lo; a < hi; a += 2) {
    const br = re[a + 1];
    const bi = im[a + 1];
    re[a + 1] = re[a] - br;
    im[a + 1] = im[a] - bi;
    re[a] += br;
    im[a] += bi;
  }
}

/** One radix-4 DIT pass of quarter-size q over [lo, hi) (a multiple of 4q), twiddles at tw[off …]. */
function radix4Pass(re: Vec, im: Vec, lo: number, hi: number, q: number, tw: Vec, off: number, sg: number): void {
  const step = 4 * q;
  if (q === 1) {
    for (let a = lo; a < hi; a += 4) {
      const x0r = re[a], x0i = im[a];
      const x1r = re[a + 1], x1i = im[a + 1];
      const x2r = re[a + 2], x2i = im[a + 2];
      const x3r = re[a + 3], x3i = im[a + 3];
      const t0r = x0r + x1r, t0i = x0i + x1i;
      const t1r = x0r - x1r, t1i = x0i - x1i;
      const t2r = x2r + x3r, t2i = x2i + x3i;
      const t3r = sg * (x2r - x3r), t3i = sg * (x2i - x3i);
      re[a] = t0r + t2r;
      im[a] = t0i + t2i;
      re[a + 2] = t0r - t2r;
      im[a + 2] = t0i - t2i;
      re[a + 1] = t1r + t3i;
      im[a + 1] = t1i - t3r;
      re[a + 3] = t1r - t3i;
      im[a + 3] = t1i + t3r;
    }
    return;
  }
  for (let k = 0; k < q; k++) {
    const o = off + 6 * k;
    const w1r = tw[o], w1i = sg * tw[o + 1];
    const w2r = tw[o + 2], w2i = sg * tw[o + 3];
    const w3r = tw[o + 4], w3i = sg * tw[o + 5];
    for (let a = lo + k; a < hi; a += step) {
      const a1 = a + q;
      const a2 = a1 + q;
      const a3 = a2 + q;
      const x0r = re[a], x0i = im[a];
      // DIT radix-4: x1 (second half of the first radix-2 stage) takes w², x2 takes w, x3 takes w³.
      const y1r = re[a1], y1i = im[a1];
      const x1r = y1r * w2r - y1i * w2i, x1i = y1r * w2i + y1i * w2r;
      const y2r = re[a2], y2i = im[a2];
      const x2r = y2r * w1r - y2i * w1i, x2i = y2r * w1i + y2i * w1r;
      const y3r = re[a3], y3i = im[a3];
      const x3r = y3r * w3r - y3i * w3i, x3i = y3r * w3i + y3i * w3r;
      const t0r = x0r + x1r, t0i = x0i + x1i;
      const t1r = x0r - x1r, t1i = x0i - x1i;
      const t2r = x2r + x3r, t2i = x2i + x3i;
      const t3r = sg * (x2r - x3r), t3i = sg * (x2i - x3i);
      re[a] = t0r + t2r;
      im[a] = t0i + t2i;
      re[a2] = t0r - t2r;
      im[a2] = t0i - t2i;
      re[a1] = t1r + t3i;
      im[a1] = t1i - t3r;
      re[a3] = t1r - t3i;
      im[a3] = t1i + t3r;
    }
  }
}

/**
 * In-place DFT of (re, im), length n a power of two: X[k] = Σ_j x[j] e^{−2πi jk/n};
 * `inverse` uses e^{+2πi jk/n} and divides by n.
 */
export function fft(re: Float64Array, im: Float64Array, inverse = false): void {
  const n = re.length;
  if (n <= 1) return;
  const { zr, zi } = plan(n);
  for (let i = 0; i < n; i++) {
    zr[i] = re[i];
    zi[i] = im[i];
  }
  transform(zr, zi, inverse);
  const s = inverse ? 1 / n : 1;
  for (let i = 0; i < n; i++) {
    re[i] = zr[i] * s;
    im[i] = zi[i] * s;
  }
}

/** Unnormalised in-place transform of Vecs: the inverse leaves the factor n in. */
export const fftUnscaled = transform;

/** A spectrum in working form: bins 0 … N/2 of a real sequence of length N (or any complex vector). */
export interface Spectrum {
  re: Vec;
  im: Vec;
}

export const spectrum = (len: number): Spectrum => ({ re: zeros(len), im: zeros(len) });
/** A zeroed spectrum for real sequences of length N (bins 0 … N/2). */
export const halfSpectrumVec = (N: number): Spectrum => spectrum(N / 2 + 1);

const halfTwiddles = new Map<number, { c: Vec; s: Vec }>();
function halfTw(N: number) {
  let t = halfTwiddles.get(N);
  if (!t) {
    const c = zeros(N / 2 + 1);
    const s = zeros(N / 2 + 1);
    for (let k = 0; k <= N / 2; k++) {
      c[k] = Math.cos((-2 * Math.PI * k) / N);
      s[k] = Math.sin((-2 * Math.PI * k) / N);
    }
    t = { c, s };
    halfTwiddles.set(N, t);
  }
  return t;
}

/** Spectrum of x zero-padded to N (a power of two ≥ 2) into `out` (bins 0 … N/2); x[j] for j < min(x.length, N). */
export function rfftInto(x: ArrayLike<number>, N: number, out: Spectrum): void {
  const { zr, zi } = plan(N / 2);
  const len = Math.min(x.length, N);
  const pairs = len >> 1;
  for (let j = 0; j < pairs; j++) {
    zr[j] = x[2 * j];
    zi[j] = x[2 * j + 1];
  }
  packTail(x, len, zr, zi);
  transform(zr, zi, false);
  splitRealSpectrum(zr, zi, N, out);
}

/** rfftInto for a Vec input (monomorphic: the hot paths' inputs are Vecs). */
export function rfftVecInto(x: Vec, len: number, N: number, out: Spectrum): void {
  const { zr, zi } = plan(N / 2);
  len = Math.min(len, N);
  const pairs = len >> 1;
  for (let j = 0; j < pairs; j++) {
    zr[j] = x[2 * j];
    zi[j] = x[2 * j + 1];
  }
  packTail(x, len, zr, zi);
  transform(zr, zi, false);
  splitRealSpectrum(zr, zi, N, out);
}

/** The odd last sample and the zero padding of the even/odd packing. */
function packTail(x: ArrayLike<number>, len: number, zr: Vec, zi: Vec): void {
  const pairs = len >> 1;
  if (len & 1) {
    zr[pairs] = x[len - 1];
    zi[pairs] = 0;
  }
  zr.fill(0, (len + 1) >> 1);
  zi.fill(0, pairs + (len & 1));
}

/** From Z = FFT_{N/2}(x_even + i·x_odd) to the half spectrum of x. */
function splitRealSpectrum(zr: Vec, zi: Vec, N: number, out: Spectrum): void {
  const h = N / 2;
  const { c, s } = halfTw(N);
  const re = out.re;
  const im = out.im;
  re[0] = zr[0] + zi[0];
  im[0] = 0;
  re[h] = zr[0] - zi[0];
  im[h] = 0;
  for (let k = 1; k < h; k++) {
    const b = h - k;
    // E = (Z[k] + conj Z[h−k]) / 2 (even samples), O = (Z[k] − conj Z[h−k]) / 2i (odd samples).
    const er = 0.5 * (zr[k] + zr[b]);
    const ei = 0.5 * (zi[k] - zi[b]);
    const or = 0.5 * (zi[k] + zi[b]);
    const oi = -0.5 * (zr[k] - zr[b]);
    re[k] = er + c[k] * or - s[k] * oi;
    im[k] = ei + c[k] * oi + s[k] * or;
  }
}

/** The real sequence of length N whose half spectrum is X, into out[0 … N) (out may be longer). */
export function irfftInto(X: Spectrum, N: number, out: Vec): void {
  const h = N / 2;
  const { zr, zi } = plan(h);
  const { c, s } = halfTw(N);
  const Xr = X.re;
  const Xi = X.im;
  for (let k = 0; k < h; k++) {
    const xr = Xr[k];
    const xi = Xi[k];
    const yr = Xr[h - k];
    const yi = -Xi[h - k];
    // E[k] = (X[k] + X[k+h]) / 2, O[k] = (X[k] − X[k+h]) / 2 · e^{+2πik/N}; X[k+h] = conj X[h−k]; z = E + i·O.
    const er = 0.5 * (xr + yr);
    const ei = 0.5 * (xi + yi);
    const dr = 0.5 * (xr - yr);
    const di = 0.5 * (xi - yi);
    const or = dr * c[k] + di * s[k];
    const oi = di * c[k] - dr * s[k];
    zr[k] = er - oi;
    zi[k] = ei + or;
  }
  transform(zr, zi, true);
  const scale = 1 / h;
  for (let j = 0; j < h; j++) {
    out[2 * j] = zr[j] * scale;
    out[2 * j + 1] = zi[j] * scale;
  }
}

/** out = a·b pointwise (a circular convolution of the real sequences); returns out. */
export function mulSpec(a: Spectrum, b: Spectrum, out: Spectrum): Spectrum {
  const m = a.re.length;
  const ar = a.re, ai = a.im, br = b.re, bi = b.im, or = out.re, oi = out.im;
  for (let k = 0; k < m; k++) {
    const xr = ar[k], xi = ai[k], yr = br[k], yi = bi[k];
    or[k] = xr * yr - xi * yi;
    oi[k] = xr * yi + xi * yr;
  }
  return out;
}

/** acc += a·b pointwise. */
export function mulAddSpec(acc: Spectrum, a: Spectrum, b: Spectrum): void {
  const m = a.re.length;
  const ar = a.re, ai = a.im, br = b.re, bi = b.im, cr = acc.re, ci = acc.im;
  for (let k = 0; k < m; k++) {
    const xr = ar[k], xi = ai[k], yr = br[k], yi = bi[k];
    cr[k] += xr * yr - xi * yi;
    ci[k] += xr * yi + xi * yr;
  }
}

/** A copy of a as a Vec. */
export function toVec(a: ArrayLike<number>): Vec {
  const v = zeros(a.length);
  for (let i = 0; i < a.length; i++) v[i] = a[i];
  return v;
}
