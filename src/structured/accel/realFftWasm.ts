// Real FFTs (fftWasm.ts rfftW / irfftW) with their O(N) steps in f64x2: the split of the half-size
// complex transform into the half spectrum, the merge before the inverse, and the unpacking
// after it. fftWasmModule.ts runs those one double at a time; here a second module on its memory
// (imported) runs them two bins at a time, each lane doing the same operations in the same order
// (wasm has no fused multiply-add), so the spectra are bit-identical to rfftW / irfftW
// (test/fast/realFftWasm.test.ts). The packing and the radix passes are fftWasmModule.ts's own,
// imported too, so that a whole transform is one call from JS (rfftV / irfftV).
//
// The subdiagonal products and gradients (productsWasm.ts, subdiagGradWasm.ts) transform every
// block of every row: at n = 1024 the scalar split and merge were ≈ 15 % of an LDR-SD step.
import { name, section, simd, uleb, vec, code, instantiateOrNull } from '../../util/wasmBytes';
import { alloc, bitReversal, fftWasmExports, irfftW, mem, memI32, rfftW, type WSpectrum } from './fftWasm';

const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;

export const get = (i: number) => [0x20, ...uleb(i)];
export const set = (i: number) => [0x21, ...uleb(i)];
export const i32c = (v: number) => [0x41, ...sleb(v)];
const add = [0x6a];
const sub = [0x6b];
const ltU = [0x49];
const i32Load = (off = 0) => [0x28, 2, ...uleb(off)];
const f64Store = (off = 0) => [0x39, 3, ...uleb(off)];
const vLoad = (off = 0) => [...simd(0x00), 3, ...uleb(off)];
const vStore = (off = 0) => [...simd(0x0b), 3, ...uleb(off)];
const vAdd = simd(0xf0);
const vSub = simd(0xf1);
const vMul = simd(0xf2);
const vNeg = simd(0xed);
const vSplat = simd(0x14);
const lane = (l: number) => [...simd(0x21), l];
const shuffle = (lanes: number[]) => [...simd(0x0d), ...lanes];
/** [a1, a0]: the two doubles of one vector swapped. */
const SWAP = shuffle([8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]);
/** [a0, b0] and [a1, b1] of two vectors a, b. */
const LOW = shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]);
const HIGH = shuffle([8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31]);
export const f64c = (v: number) => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return [0x44, ...b];
};
export const loop = (body: number[]) => [0x03, 0x40, ...body, 0x0b];
export const brIf = (depth: number) => [0x0d, depth];
const addr = (a: number, b: number) => [...get(a), ...get(b), ...add];
const bump = (x: number, k: number) => [...get(x), ...i32c(k), ...add, ...set(x)];
const whileLt = (a: number, b: number, body: number[]) => loop([...body, ...get(a), ...get(b), ...ltU, ...brIf(0)]);

function sleb(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

interface Fn {
  name: string;
  params: number[];
  locals: number[][];
  body: number[];
}

/**
 * splitV(zr, zi, hbytes, c, s, re, im): fftWasmModule.ts split for bins k = 1 … h (h ≥ 2 even),
 * two at a time; bin h is written too, with a value the caller overwrites. For bins k, k+1 the
 * mirrored z[h−k], z[h−k−1] are one vector load at h−k−1, swapped.
 */
function splitFn(): Fn {
  const [zr, zi, hb, c, s, re, im, o, ob] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [ar, br, ai, bi, er, ei, or, oi, ck, sk, half, mhalf, t] = Array.from({ length: 13 }, (_, i) => 9 + i);
  const scaled = (dst: number, k: number, a: number, b: number, o2: number[]) => [...get(k), ...get(a), ...get(b), ...o2, ...vMul, ...set(dst)];
  const mirror = (base: number, dst: number) => [...addr(base, ob), ...vLoad(), ...set(t), ...get(t), ...get(t), ...SWAP, ...set(dst)];
  return {
    name: 'splitV', params: [I32, I32, I32, I32, I32, I32, I32], locals: [[2, I32], [13, V128]],
    body: [
      ...f64c(0.5), ...vSplat, ...set(half), ...f64c(-0.5), ...vSplat, ...set(mhalf),
      ...i32c(8), ...set(o),
      ...whileLt(o, hb, [
        ...get(hb), ...get(o), ...sub, ...i32c(8), ...sub, ...set(ob),
        ...addr(zr, o), ...vLoad(), ...set(ar), ...mirror(zr, br),
        ...addr(zi, o), ...vLoad(), ...set(ai), ...mirror(zi, bi),
        // er = ½(a + b), ei = ½(ai − bi), or = ½(ai + bi), oi = −½(a − b)
        ...scaled(er, half, ar, br, vAdd), ...scaled(ei, half, ai, bi, vSub),
        ...scaled(or, half, ai, bi, vAdd), ...scaled(oi, mhalf, ar, br, vSub),
        ...addr(c, o), ...vLoad(), ...set(ck), ...addr(s, o), ...vLoad(), ...set(sk),
        // re = er + c·or − s·oi, im = ei + c·oi + s·or
        ...addr(re, o), ...get(er), ...get(ck), ...get(or), ...vMul, ...vAdd, ...get(sk), ...get(oi), ...vMul, ...vSub, ...vStore(),
        ...addr(im, o), ...get(ei), ...get(ck), ...get(oi), ...vMul, ...vAdd, ...get(sk), ...get(or), ...vMul, ...vAdd, ...vStore(),
        ...bump(o, 16),
      ]),
    ],
  };
}

/**
 * mergeV(Xr, Xi, hbytes, c, s, zr, zi, rev): fftWasmModule.ts merge for k = 0 … h−1 (h ≥ 2 even),
 * two at a time, each lane stored to zr/zi at rev[k] (byte offsets, i32).
 */
function mergeFn(): Fn {
  const [Xr, Xi, hb, c, s, zr, zi, rev, o, ob, r0, r1] = Array.from({ length: 12 }, (_, i) => i);
  const [xr, xi, yr, yi, er, ei, dr, di, ck, sk, half, t, vr, vi] = Array.from({ length: 14 }, (_, i) => 12 + i);
  const scaled = (dst: number, a: number, b: number, o2: number[]) => [...get(half), ...get(a), ...get(b), ...o2, ...vMul, ...set(dst)];
  const mirror = (base: number) => [...addr(base, ob), ...vLoad(), ...set(t), ...get(t), ...get(t), ...SWAP];
  const scatter = (base: number, v: number) => [
    ...addr(base, r0), ...get(v), ...lane(0), ...f64Store(),
    ...addr(base, r1), ...get(v), ...lane(1), ...f64Store(),
  ];
  return {
    name: 'mergeV', params: [I32, I32, I32, I32, I32, I32, I32, I32], locals: [[4, I32], [14, V128]],
    body: [
      ...f64c(0.5), ...vSplat, ...set(half),
      ...whileLt(o, hb, [
        ...get(hb), ...get(o), ...sub, ...i32c(8), ...sub, ...set(ob),
        ...get(rev), ...i32Load(0), ...set(r0), ...get(rev), ...i32Load(4), ...set(r1), ...bump(rev, 8),
        ...addr(Xr, o), ...vLoad(), ...set(xr), ...addr(Xi, o), ...vLoad(), ...set(xi),
        ...mirror(Xr), ...set(yr), ...mirror(Xi), ...vNeg, ...set(yi),
        ...scaled(er, xr, yr, vAdd), ...scaled(ei, xi, yi, vAdd), ...scaled(dr, xr, yr, vSub), ...scaled(di, xi, yi, vSub),
        ...addr(c, o), ...vLoad(), ...set(ck), ...addr(s, o), ...vLoad(), ...set(sk),
        // zr = er − (di·c − dr·s), zi = ei + (dr·c + di·s)
        ...get(er), ...get(di), ...get(ck), ...vMul, ...get(dr), ...get(sk), ...vMul, ...vSub, ...vSub, ...set(vr),
        ...get(ei), ...get(dr), ...get(ck), ...vMul, ...get(di), ...get(sk), ...vMul, ...vAdd, ...vAdd, ...set(vi),
        ...scatter(zr, vr), ...scatter(zi, vi),
        ...bump(o, 16),
      ]),
    ],
  };
}

/** unpackV(zr, zi, out, hbytes, scale): out[2j] = zr[j]·scale, out[2j+1] = zi[j]·scale, two j at a time. */
function unpackFn(): Fn {
  const [zr, zi, out, hb, scale, o] = [0, 1, 2, 3, 4, 5];
  const [a, b, sc] = [6, 7, 8];
  return {
    name: 'unpackV', params: [I32, I32, I32, I32, F64], locals: [[1, I32], [3, V128]],
    body: [
      ...get(scale), ...vSplat, ...set(sc),
      ...whileLt(o, hb, [
        ...addr(zr, o), ...vLoad(), ...get(sc), ...vMul, ...set(a),
        ...addr(zi, o), ...vLoad(), ...get(sc), ...vMul, ...set(b),
        ...get(out), ...get(a), ...get(b), ...LOW, ...vStore(0),
        ...get(out), ...get(a), ...get(b), ...HIGH, ...vStore(16),
        ...bump(out, 32), ...bump(o, 16),
      ]),
    ],
  };
}

// Imported from fftWasmModule.ts (function indices 0 … 3), then this module's own.
const IMPORTS: { name: string; params: number[] }[] = [
  { name: 'pack', params: [I32, I32, I32, I32, I32, I32] },
  { name: 'radix2', params: [I32, I32, I32] },
  { name: 'r4q1', params: [I32, I32, I32, F64] },
  { name: 'r4', params: [I32, I32, I32, I32, I32, F64] },
];
const [PACK, RADIX2, R4Q1, R4] = [0, 1, 2, 3];
const [SPLIT, MERGE, UNPACK] = [4, 5, 6];
const call = (f: number) => [0x10, ...uleb(f)];
const ifThen = (body: number[]) => [0x04, 0x40, ...body, 0x0b];
const block = (body: number[]) => [0x02, 0x40, ...body, 0x0b];
const memFill = [0xfc, 0x0b, 0x00];
const f64Load = (off = 0) => [0x2b, 3, ...uleb(off)];

/**
 * A size's tables for the functions below, as i32s at desc: h, rev, zr, zi, c, s, radix2First,
 * passes, then per radix-4 pass q, forward twiddles, inverse twiddles (fftWasm.ts's layout).
 */
const D = { h: 0, rev: 4, zr: 8, zi: 12, c: 16, s: 20, radix2First: 24, passes: 28, pass0: 32 };

/** The complex FFT of fftWasm.ts cfft (input bit-reversed) on desc's scratch; locals given. */
function cfftBody(desc: number, hb: number, zr: number, zi: number, p: number, end: number, inverse: boolean): number[] {
  const sg = f64c(inverse ? -1 : 1);
  return [
    ...get(desc), ...i32Load(D.radix2First), ...ifThen([...get(zr), ...get(zi), ...get(hb), ...call(RADIX2)]),
    ...get(desc), ...i32c(D.pass0), ...add, ...set(p),
    ...get(p), ...get(desc), ...i32Load(D.passes), ...i32c(12), ...[0x6c] /* i32.mul */, ...add, ...set(end),
    ...block([
      ...get(p), ...get(end), ...[0x4f] /* ge_u */, ...brIf(0),
      ...whileLt(p, end, [
        ...get(p), ...i32Load(0), ...i32c(1), ...[0x46] /* eq */,
        ...[0x04, 0x40], // if q = 1
        ...get(zr), ...get(zi), ...get(hb), ...sg, ...call(R4Q1),
        0x05, // else
        ...get(zr), ...get(zi), ...get(hb), ...get(p), ...i32Load(0), ...i32c(3), ...[0x74] /* shl */,
        ...get(p), ...i32Load(inverse ? 8 : 4), ...sg, ...call(R4),
        0x0b,
        ...bump(p, 12),
      ]),
    ]),
  ];
}

/**
 * rfftV(x, stride, len, desc, re, im): fftWasm.ts rfftW in one call (h ≥ 2): zero the scratch
 * when x does not fill it, pack, the complex FFT, splitV, then bins 0 and h.
 */
function rfftFn(): Fn {
  const [x, stride, len, desc, re, im, h, hb, zr, zi, pairs, p, end] = Array.from({ length: 13 }, (_, i) => i);
  return {
    name: 'rfftV', params: [I32, I32, I32, I32, I32, I32], locals: [[7, I32]],
    body: [
      ...get(desc), ...i32Load(D.h), ...set(h), ...get(h), ...i32c(3), ...[0x74], ...set(hb),
      ...get(desc), ...i32Load(D.zr), ...set(zr), ...get(desc), ...i32Load(D.zi), ...set(zi),
      ...get(len), ...i32c(1), ...[0x76] /* shr_u */, ...set(pairs),
      // 2·pairs < N = 2h
      ...get(pairs), ...get(h), ...ltU, ...ifThen([...get(zr), ...i32c(0), ...get(hb), ...memFill, ...get(zi), ...i32c(0), ...get(hb), ...memFill]),
      ...get(pairs), ...ifThen([...get(x), ...get(stride), ...get(zr), ...get(zi), ...get(desc), ...i32Load(D.rev), ...get(pairs), ...call(PACK)]),
      // odd len: zr[rev pairs] = x(len − 1)
      ...get(len), ...i32c(1), ...[0x71] /* and */, ...ifThen([
        ...get(zr), ...get(desc), ...i32Load(D.rev), ...get(pairs), ...i32c(2), ...[0x74], ...add, ...i32Load(0), ...add,
        ...get(x), ...get(len), ...i32c(1), ...sub, ...get(stride), ...[0x6c], ...add, ...f64Load(),
        ...f64Store(),
      ]),
      ...cfftBody(desc, hb, zr, zi, p, end, false),
      ...get(zr), ...get(zi), ...get(hb), ...get(desc), ...i32Load(D.c), ...get(desc), ...i32Load(D.s), ...get(re), ...get(im), ...call(SPLIT),
      ...get(re), ...get(zr), ...f64Load(), ...get(zi), ...f64Load(), ...[0xa0] /* f64.add */, ...f64Store(),
      ...get(im), ...f64c(0), ...f64Store(),
      ...get(re), ...get(hb), ...add, ...get(zr), ...f64Load(), ...get(zi), ...f64Load(), ...[0xa1] /* f64.sub */, ...f64Store(),
      ...get(im), ...get(hb), ...add, ...f64c(0), ...f64Store(),
    ],
  };
}

/** irfftV(re, im, desc, out): fftWasm.ts irfftW in one call (h ≥ 2): mergeV, the inverse FFT, unpackV by 1/h. */
function irfftFn(): Fn {
  const [re, im, desc, out, h, hb, zr, zi, p, end] = Array.from({ length: 10 }, (_, i) => i);
  return {
    name: 'irfftV', params: [I32, I32, I32, I32], locals: [[6, I32]],
    body: [
      ...get(desc), ...i32Load(D.h), ...set(h), ...get(h), ...i32c(3), ...[0x74], ...set(hb),
      ...get(desc), ...i32Load(D.zr), ...set(zr), ...get(desc), ...i32Load(D.zi), ...set(zi),
      ...get(re), ...get(im), ...get(hb), ...get(desc), ...i32Load(D.c), ...get(desc), ...i32Load(D.s), ...get(zr), ...get(zi), ...get(desc), ...i32Load(D.rev), ...call(MERGE),
      ...cfftBody(desc, hb, zr, zi, p, end, true),
      ...get(zr), ...get(zi), ...get(out), ...get(hb), ...f64c(1), ...get(h), ...[0xb8] /* f64.convert_i32_u */, ...[0xa3] /* f64.div */, ...call(UNPACK),
    ],
  };
}

const FUNCTIONS: Fn[] = [splitFn(), mergeFn(), unpackFn(), rfftFn(), irfftFn()];

/** The module's bytes: it imports fftWasmModule.ts's memory and four of its functions (module m). */
export function realFftWasmBytes(): Uint8Array {
  const sig = (params: number[]) => [0x60, ...vec(params.map((p) => [p])), 0];
  const types = [...IMPORTS.map((f) => sig(f.params)), ...FUNCTIONS.map((f) => sig(f.params))];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([
      [...name('m'), ...name('memory'), 0x02, 0x00, 1],
      ...IMPORTS.map((f, i) => [...name('m'), ...name(f.name), 0x00, ...uleb(i)]),
    ])),
    ...section(3, vec(FUNCTIONS.map((_, i) => uleb(IMPORTS.length + i)))),
    ...section(7, vec(FUNCTIONS.map((f, i) => [...name(f.name), 0x00, ...uleb(IMPORTS.length + i)]))),
    ...section(10, vec(FUNCTIONS.map((f) => code(f.locals, f.body)))),
  ];
  return Uint8Array.from(bytes);
}

interface Exports {
  rfftV(x: number, stride: number, len: number, desc: number, re: number, im: number): void;
  irfftV(re: number, im: number, desc: number, out: number): void;
  splitV(zr: number, zi: number, hbytes: number, c: number, s: number, re: number, im: number): void;
  mergeV(Xr: number, Xi: number, hbytes: number, c: number, s: number, zr: number, zi: number, rev: number): void;
  unpackV(zr: number, zi: number, out: number, hbytes: number, scale: number): void;
}

let instance: Exports | null | undefined;
function exportsOrNull(): Exports | null {
  if (instance === undefined) {
    const base = fftWasmExports();
    instance = base
      ? instantiateOrNull<Exports>(realFftWasmBytes(), {
          m: { memory: base.memory, pack: base.pack, radix2: base.radix2, r4q1: base.r4q1, r4: base.r4 },
        })
      : null;
  }
  return instance;
}

/** Whether the f64x2 steps are available (else rfft / irfft below are rfftW / irfftW). */
export const realFftWasmAvailable = (): boolean => exportsOrNull() !== null;

/** fftWasm.ts's tables for a half size h, built the same way (same values), in module memory. */
interface Tables {
  h: number;
  rev: number;
  radix2First: boolean;
  passes: { q: number; fwd: number; inv: number }[];
  zr: number;
  zi: number;
  c: number;
  s: number;
  /** The same as i32s in module memory (D above), for rfftV / irfftV. */
  desc: number;
}

const tables: (Tables | undefined)[] = [];

function tablesFor(h: number): Tables {
  const bits = 31 - Math.clz32(h);
  const have = tables[bits];
  if (have && have.h === h) return have;
  if (2 ** bits !== h) throw new Error(`fft: size ${h} is not a power of two`);
  const rev = bitReversal(h);
  const radix2First = bits % 2 === 1;
  const quarters: number[] = [];
  for (let q = radix2First ? 2 : 1; 4 * q <= h; q *= 4) quarters.push(q);
  const passes = quarters.map((q) => {
    const fwd = alloc(8 * 6 * q);
    const inv = alloc(8 * 6 * q);
    const v = mem();
    for (let k = 0; k < q; k++) {
      for (let j = 1; j <= 3; j++) {
        const ang = (-2 * Math.PI * j * k) / (4 * q);
        const c = Math.cos(ang);
        const s = Math.sin(ang);
        v[fwd / 8 + 2 * (j - 1) * q + k] = c;
        v[fwd / 8 + (2 * (j - 1) + 1) * q + k] = s;
        v[inv / 8 + 2 * (j - 1) * q + k] = c;
        v[inv / 8 + (2 * (j - 1) + 1) * q + k] = -1 * s;
      }
    }
    return { q, fwd, inv };
  });
  const N = 2 * h;
  // zr, zi get one double of slack read by splitV's last pair (alloc zeroes 32 bytes past the end).
  const zr = alloc(8 * h);
  const zi = alloc(8 * h);
  const c = alloc(8 * (h + 1));
  const s = alloc(8 * (h + 1));
  const v = mem();
  for (let k = 0; k <= h; k++) {
    v[c / 8 + k] = Math.cos((-2 * Math.PI * k) / N);
    v[s / 8 + k] = Math.sin((-2 * Math.PI * k) / N);
  }
  const desc = alloc(4 * (D.pass0 / 4 + 3 * passes.length));
  memI32().set([h, rev, zr, zi, c, s, radix2First ? 1 : 0, passes.length, ...passes.flatMap((p) => [p.q, p.fwd, p.inv])], desc / 4);
  const t: Tables = { h, rev, radix2First, passes, zr, zi, c, s, desc };
  tables[bits] = t;
  return t;
}

/** rfftW (fftWasm.ts), the same bits: half spectrum of x(k) = x + k·stride, k < len, zero-padded to N. */
export function rfft(x: number, stride: number, len: number, N: number, out: WSpectrum): void {
  const w = exportsOrNull();
  const h = N / 2;
  if (!w || h < 2) return rfftW(x, stride, len, N, out);
  w.rfftV(x, stride, len, tablesFor(h).desc, out.re, out.im);
}

/** irfftW (fftWasm.ts), the same bits: the real sequence of length N with half spectrum X, into out. */
export function irfft(X: WSpectrum, N: number, out: number): void {
  const w = exportsOrNull();
  const h = N / 2;
  if (!w || h < 2) return irfftW(X, N, out);
  w.irfftV(X.re, X.im, tablesFor(h).desc, out);
}
