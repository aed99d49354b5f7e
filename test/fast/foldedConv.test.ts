import { describe, expect, it } from 'vitest';
import { fft, halfSpectrumVec, irfftInto, mulSpec, rfftInto, rfftVecInto, toVec, type Vec } from '../../src/structured/accel/fft';
import { naiveDft } from './helpers';
import { foldedConv, hasFoldedConv } from '../../src/structured/accel/foldedConv';
import { Rng } from '../../src/util/random';

const rand = (rng: Rng, n: number): Vec => toVec(rng.uniformArray(n, -1, 1));

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number) {
  expect(a.length).toBe(b.length);
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(tol * scale);
}

/** a·b mod (xⁿ − f) by the direct O(n²) sum. */
function foldedDirect(a: ArrayLike<number>, b: ArrayLike<number>, f: number): Vec {
  const n = a.length;
  const c = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) c[(i + j) % n] += (i + j >= n ? f : 1) * a[i] * b[j];
  return c;
}

const dirty = (len: number): Vec => new Array<number>(len).fill(Number.NaN);

describe('radix-4 FFT at larger sizes', () => {
  it('matches the naive DFT at 2048 (odd log2: one radix-2 pass) and 4096, forward and inverse', () => {
    const rng = new Rng(11);
    for (const n of [2048, 4096]) {
      const re = Float64Array.from(rand(rng, n));
      const im = Float64Array.from(rand(rng, n));
      const [nr, ni] = naiveDft(re, im);
      const fr = re.slice();
      const fi = im.slice();
      fft(fr, fi);
      expectClose(fr, nr, 1e-10);
      expectClose(fi, ni, 1e-10);
      fft(fr, fi, true);
      expectClose(fr, re, 1e-12);
      expectClose(fi, im, 1e-12);
    }
  });
  it('rfftInto (typed and Vec input) / irfftInto overwrite reused buffers completely, for inputs shorter than N', () => {
    const rng = new Rng(12);
    for (const [len, N] of [[1, 2], [3, 8], [5, 8], [8, 8], [100, 256], [513, 1024]]) {
      const x = rand(rng, len);
      const padded = new Float64Array(N);
      padded.set(x);
      const [nr, ni] = naiveDft(padded, new Float64Array(N));
      const X = { re: dirty(N / 2 + 1), im: dirty(N / 2 + 1) };
      rfftInto(Float64Array.from(x), N, X);
      expectClose(X.re, nr.subarray(0, N / 2 + 1), 1e-10);
      expectClose(X.im, ni.subarray(0, N / 2 + 1), 1e-10);
      // A Vec longer than the length given: the rest is ignored.
      const Y = { re: dirty(N / 2 + 1), im: dirty(N / 2 + 1) };
      rfftVecInto([...x, 7, 7, 7], len, N, Y);
      expectClose(Y.re, X.re, 1e-15);
      expectClose(Y.im, X.im, 1e-15);
      const back = dirty(N);
      irfftInto(X, N, back);
      expectClose(back, padded, 1e-12);
    }
    expect(halfSpectrumVec(8).re.length).toBe(5);
  });
});

describe('folded (f-cyclic) convolutions', () => {
  const cases: [number, number][] = [];
  for (const n of [1, 2, 4, 8, 16, 100, 128, 1024]) for (const f of [1, -1, 0, 0.37]) cases.push([n, f]);
  it('a·b mod (xⁿ − f) matches the direct sum, cyclic, negacyclic and zero-padded', () => {
    const rng = new Rng(13);
    for (const [n, f] of cases) {
      const c = foldedConv(n, f);
      const a = rand(rng, n);
      const b = rand(rng, n);
      const A = c.spectrum();
      const B = c.spectrum();
      A.re.fill(Number.NaN);
      B.im.fill(Number.NaN);
      c.forward(a, A);
      c.forward(b, B);
      const out = dirty(n);
      c.inverse(mulSpec(A, B, A), out);
      expectClose(out, foldedDirect(a, b, f), 1e-11);
    }
  });
  it('uses size-n transforms exactly for n a power of two ≥ 2 and f = ±1', () => {
    expect(foldedConv(1024, -1).spectrum().re.length).toBe(512);
    expect(foldedConv(1024, 1).spectrum().re.length).toBe(513);
    expect(foldedConv(1024, 0).spectrum().re.length).toBe(1025);
    expect(foldedConv(100, 1).spectrum().re.length).toBe(129);
    expect(hasFoldedConv(1, 1)).toBe(false);
    expect(hasFoldedConv(96, -1)).toBe(false);
  });
  it('reverse flags read the input and write the output reversed', () => {
    const rng = new Rng(14);
    for (const [n, f] of cases) {
      const c = foldedConv(n, f);
      const a = rand(rng, n);
      const b = rand(rng, n);
      const A = c.spectrum();
      const B = c.spectrum();
      c.forward(a, A, true);
      c.forward(b, B);
      const out = dirty(n);
      c.inverse(mulSpec(A, B, A), out, true);
      const expected = foldedDirect(a.slice().reverse(), b, f).reverse();
      expectClose(out, expected, 1e-11);
    }
  });
});
