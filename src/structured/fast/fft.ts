// FFTs over Float64Arrays: an iterative radix-2 complex FFT with cached bit-reversal and
// stage-contiguous twiddle tables, and real-input transforms (rfft/irfft) through a complex FFT
// of half the length. TF.js has no FFT kernel on the wasm backend (and its cpu one is slow), so
// the fast structured products (fast/*.ts) run on these typed-array transforms.

interface Plan {
  rev: Uint32Array;
  /** Stage with half-size h keeps e^{-iπk/h}, k < h, at offset h (entries 1 … n−1). */
  twRe: Float64Array;
  twIm: Float64Array;
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
  const twRe = new Float64Array(Math.max(1, n));
  const twIm = new Float64Array(Math.max(1, n));
  for (let h = 1; h < n; h *= 2) {
    for (let k = 0; k < h; k++) {
      twRe[h + k] = Math.cos((-Math.PI * k) / h);
      twIm[h + k] = Math.sin((-Math.PI * k) / h);
    }
  }
  p = { rev, twRe, twIm };
  plans.set(n, p);
  return p;
}

/**
 * In-place DFT of (re, im), length n a power of two: X[k] = Σ_j x[j] e^{−2πi jk/n};
 * `inverse` uses e^{+2πi jk/n} and divides by n.
 */
export function fft(re: Float64Array, im: Float64Array, inverse = false): void {
  const n = re.length;
  if (n <= 1) return;
  const { rev, twRe, twIm } = plan(n);
  for (let i = 0; i < n; i++) {
    const j = rev[i];
    if (j > i) {
      let t = re[i];
      re[i] = re[j];
      re[j] = t;
      t = im[i];
      im[i] = im[j];
      im[j] = t;
    }
  }
  const sign = inverse ? -1 : 1;
  for (let h = 1; h < n; h *= 2) {
    for (let start = 0; start < n; start += 2 * h) {
      for (let k = 0; k < h; k++) {
        const wr = twRe[h + k];
        const wi = sign * twIm[h + k];
        const a = start + k;
        const b = a + h;
        const br = re[b];
        const bi = im[b];
        const xr = br * wr - bi * wi;
        const xi = br * wi + bi * wr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] += xr;
        im[a] += xi;
      }
    }
  }
  if (inverse) {
    const s = 1 / n;
    for (let i = 0; i < n; i++) {
      re[i] *= s;
      im[i] *= s;
    }
  }
}

/** A spectrum of a real sequence of length N: bins 0 … N/2 (the rest is their conjugate mirror). */
export interface HalfSpectrum {
  re: Float64Array;
  im: Float64Array;
}

const halfTwiddles = new Map<number, { c: Float64Array; s: Float64Array }>();
function halfTw(N: number) {
  let t = halfTwiddles.get(N);
  if (!t) {
    const c = new Float64Array(N / 2 + 1);
    const s = new Float64Array(N / 2 + 1);
    for (let k = 0; k <= N / 2; k++) {
      c[k] = Math.cos((-2 * Math.PI * k) / N);
      s[k] = Math.sin((-2 * Math.PI * k) / N);
    }
    t = { c, s };
    halfTwiddles.set(N, t);
  }
  return t;
}

/** DFT of the real sequence x zero-padded to N (a power of two ≥ 2), via one complex FFT of N/2. */
export function rfft(x: ArrayLike<number>, N: number): HalfSpectrum {
  const h = N / 2;
  const zr = new Float64Array(h);
  const zi = new Float64Array(h);
  const len = Math.min(x.length, N);
  for (let j = 0; j < len; j++) {
    if (j & 1) zi[j >> 1] = x[j];
    else zr[j >> 1] = x[j];
  }
  fft(zr, zi);
  const { c, s } = halfTw(N);
  const re = new Float64Array(h + 1);
  const im = new Float64Array(h + 1);
  for (let k = 0; k <= h; k++) {
    const a = k % h;
    const b = (h - k) % h;
    // E = (Z[k] + conj Z[h−k]) / 2 (even samples), O = (Z[k] − conj Z[h−k]) / 2i (odd samples).
    const er = (zr[a] + zr[b]) / 2;
    const ei = (zi[a] - zi[b]) / 2;
    const or = (zi[a] + zi[b]) / 2;
    const oi = -(zr[a] - zr[b]) / 2;
    re[k] = er + c[k] * or - s[k] * oi;
    im[k] = ei + c[k] * oi + s[k] * or;
  }
  return { re, im };
}

/** Inverse of rfft: the real sequence of length N whose half spectrum is X. */
export function irfft(X: HalfSpectrum, N: number): Float64Array {
  const h = N / 2;
  const { c, s } = halfTw(N);
  const zr = new Float64Array(h);
  const zi = new Float64Array(h);
  for (let k = 0; k < h; k++) {
    const xr = X.re[k];
    const xi = X.im[k];
    const yr = X.re[h - k];
    const yi = -X.im[h - k]; // conj X[h−k] = X[N/2+k]'s partner
    // E[k] = (X[k] + X[k+h]) / 2, O[k] = (X[k] − X[k+h]) / 2 · e^{+2πik/N}; X[k+h] = conj X[h−k].
    const er = (xr + yr) / 2;
    const ei = (xi + yi) / 2;
    const dr = (xr - yr) / 2;
    const di = (xi - yi) / 2;
    const or = dr * c[k] + di * s[k];
    const oi = di * c[k] - dr * s[k];
    // z = E + i·O
    zr[k] = er - oi;
    zi[k] = ei + or;
  }
  fft(zr, zi, true);
  const out = new Float64Array(N);
  for (let j = 0; j < h; j++) {
    out[2 * j] = zr[j];
    out[2 * j + 1] = zi[j];
  }
  return out;
}

/** Pointwise product of half spectra (a circular convolution of the real sequences), into `out` if given. */
export function mulSpectra(a: HalfSpectrum, b: HalfSpectrum, out?: HalfSpectrum): HalfSpectrum {
  const m = a.re.length;
  const o = out ?? { re: new Float64Array(m), im: new Float64Array(m) };
  for (let k = 0; k < m; k++) {
    const ar = a.re[k];
    const ai = a.im[k];
    const br = b.re[k];
    const bi = b.im[k];
    o.re[k] = ar * br - ai * bi;
    o.im[k] = ar * bi + ai * br;
  }
  return o;
}

/** acc += a·b pointwise. */
export function mulAddSpectra(acc: HalfSpectrum, a: HalfSpectrum, b: HalfSpectrum): void {
  const m = a.re.length;
  for (let k = 0; k < m; k++) {
    const ar = a.re[k];
    const ai = a.im[k];
    const br = b.re[k];
    const bi = b.im[k];
    acc.re[k] += ar * br - ai * bi;
    acc.im[k] += ar * bi + ai * br;
  }
}

/** Naive O(n²) DFT (tests). */
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

/** Linear convolution a * b (length la + lb − 1) of two real sequences. */
export function convolve(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const outLen = a.length + b.length - 1;
  if (a.length * b.length <= 4096) return convolveDirect(a, b);
  const N = Math.max(2, nextPowerOfTwo(outLen));
  return irfft(mulSpectra(rfft(a, N), rfft(b, N)), N).subarray(0, outLen);
}

export function convolveDirect(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.length + b.length - 1);
  for (let i = 0; i < a.length; i++) {
    const ai = a[i];
    if (ai === 0) continue;
    for (let j = 0; j < b.length; j++) out[i + j] += ai * b[j];
  }
  return out;
}
