// The FFT building blocks of fft.ts on data that lives in the memory of fftWasmModule.ts: complex
// FFTs, real FFTs (rfft / irfft) and the negacyclic twist, each a few calls into the module.
// Same arithmetic as fft.ts in the same order, so results are bit-identical to it.
//
// Memory: a first-fit allocator over the module's memory. Fixed tables (bit reversal,
// twiddles) are kept per size for the process; a product plan takes one region for its own
// data and gives it back when the plan is garbage-collected.
import { fftWasmBytes } from './fftWasmModule';
import { instantiateOrNull } from '../../util/wasmBytes';

interface Exports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  swap(re: number, im: number, sw: number, swEnd: number): void;
  radix2(re: number, im: number, nbytes: number): void;
  r4q1(re: number, im: number, nbytes: number, sg: number): void;
  r4(re: number, im: number, nbytes: number, Q: number, tw: number, sg: number): void;
  pack(x: number, stride: number, zr: number, zi: number, rev: number, pairs: number): void;
  permute(sr: number, si: number, dr: number, di: number, rev: number, mbytes: number): void;
  merge(Xr: number, Xi: number, hbytes: number, c: number, s: number, zr: number, zi: number, rev: number): void;
  unpack(zr: number, zi: number, out: number, hbytes: number, scale: number): void;
  cmul(ar: number, ai: number, br: number, bi: number, or: number, oi: number, nbytes: number): void;
  cmuladd(cr: number, ci: number, ar: number, ai: number, br: number, bi: number, nbytes: number): void;
  muladd(y: number, a: number, b: number, nbytes: number): void;
  mul(y: number, a: number, b: number, nbytes: number): void;
  add(y: number, a: number, b: number, nbytes: number): void;
  twist(lo: number, hi: number, stride: number, re: number, im: number, mbytes: number, cos: number, sin: number, rev: number): void;
  untwist(zr: number, zi: number, lo: number, hi: number, stride: number, mbytes: number, cos: number, sin: number, scale: number): void;
  leavesFwd(leaves: number, leavesEnd: number, coef: number, z: number, y: number): void;
  leavesT(leaves: number, leavesEnd: number, coef: number, x: number, u: number): void;
  pairsAcc(M: number, w: number, z: number, leafLo: number, qEnd: number): void;
  rightHalf(w: number, L: number, s: number, q: number, dS: number, cnt: number): void;
  unpackRev(zr: number, zi: number, last: number, hbytes: number, scale: number): void;
  fold(w: number, out: number, stride: number, cbytes: number, nbytes: number, f: number): void;
  radix2v(re: number, im: number, nbytes: number): void;
  splitv(zr: number, zi: number, hbytes: number, c: number, s: number, re: number, im: number): void;
  mergev(Xr: number, Xi: number, hbytes: number, c: number, s: number, zr: number, zi: number, rev: number): void;
  unpackv(zr: number, zi: number, out: number, hbytes: number, scale: number): void;
  unpackRevv(zr: number, zi: number, last: number, hbytes: number, scale: number): void;
  twistv(lo: number, hi: number, stride: number, re: number, im: number, mbytes: number, cos: number, sin: number, rev: number): void;
  twistvRev(lo: number, hi: number, stride: number, re: number, im: number, mbytes: number, cos: number, sin: number, rev: number): void;
  untwistv(zr: number, zi: number, lo: number, hi: number, stride: number, mbytes: number, cos: number, sin: number, scale: number): void;
  untwistvRev(zr: number, zi: number, lo: number, hi: number, stride: number, mbytes: number, cos: number, sin: number, scale: number): void;
}

let instance: Exports | null | undefined;

/** The compiled module, or null where WebAssembly SIMD is unavailable. */
export function fftWasmExports(): Exports | null {
  if (instance === undefined) {
    instance = instantiateOrNull<Exports>(fftWasmBytes());
  }
  return instance;
}

export function fftWasmAvailable(): boolean {
  return fftWasmExports() !== null;
}

function ex(): Exports {
  const e = fftWasmExports();
  if (!e) throw new Error('WebAssembly SIMD is not available');
  return e;
}

// --- memory -----------------------------------------------------------------------------------
let view: Float64Array | null = null;
let viewI32: Int32Array | null = null;
/** Free blocks [start, bytes], sorted by start; everything from `top` up is free too. */
const freeBlocks: [number, number][] = [];
let top = 64; // byte 0 … 63 unused (a null pointer never aliases data)

/** A Float64Array over the whole memory (renewed after the memory grows). */
export function mem(): Float64Array {
  const buf = ex().memory.buffer;
  if (!view || view.buffer !== buf) {
    view = new Float64Array(buf);
    viewI32 = new Int32Array(buf);
  }
  return view;
}

export function memI32(): Int32Array {
  mem();
  return viewI32!;
}

/** `bytes` zeroed bytes (16-byte aligned, with 32 bytes of zeroed slack after them); returns the byte offset. */
export function alloc(bytes: number): number {
  const size = Math.ceil((bytes + 32) / 16) * 16;
  let start = -1;
  for (let i = 0; i < freeBlocks.length; i++) {
    const [s, b] = freeBlocks[i];
    if (b >= size) {
      start = s;
      if (b === size) freeBlocks.splice(i, 1);
      else freeBlocks[i] = [s + size, b - size];
      break;
    }
  }
  if (start < 0) {
    start = top;
    top += size;
    const e = ex();
    const have = e.memory.buffer.byteLength;
    if (top > have) e.memory.grow(Math.ceil((top - have) / 65536));
  }
  mem().fill(0, start / 8, (start + size) / 8);
  sizes.set(start, size);
  return start;
}

const sizes = new Map<number, number>();

export function release(start: number): void {
  const size = sizes.get(start);
  if (size === undefined) return;
  sizes.delete(start);
  let i = 0;
  while (i < freeBlocks.length && freeBlocks[i][0] < start) i++;
  freeBlocks.splice(i, 0, [start, size]);
  // Coalesce with the neighbours, and give the last block back to `top`.
  if (i + 1 < freeBlocks.length && freeBlocks[i][0] + freeBlocks[i][1] === freeBlocks[i + 1][0]) {
    freeBlocks[i][1] += freeBlocks[i + 1][1];
    freeBlocks.splice(i + 1, 1);
  }
  if (i > 0 && freeBlocks[i - 1][0] + freeBlocks[i - 1][1] === freeBlocks[i][0]) {
    freeBlocks[i - 1][1] += freeBlocks[i][1];
    freeBlocks.splice(i, 1);
    i--;
  }
  const last = freeBlocks[freeBlocks.length - 1];
  if (last && last[0] + last[1] === top) {
    top = last[0];
    freeBlocks.pop();
  }
}

const regions = new FinalizationRegistry<number>((start) => release(start));

/**
 * Ties the region at `start` to `owner` and returns the function that releases it now (once).
 * Owners should be disposed explicitly: FinalizationRegistry callbacks only run between tasks,
 * so a synchronous loop that drops plans would otherwise grow the memory without bound.
 */
export function releaseWith(owner: object, start: number): () => void {
  const token = {};
  regions.register(owner, start, token);
  let live = true;
  return () => {
    if (!live) return;
    live = false;
    regions.unregister(token);
    release(start);
  };
}

/** Bytes of an Arena part of `doubles` doubles: 16-byte multiple with 2 doubles of zeroed slack. */
export const slotBytes = (doubles: number): number => 16 * Math.ceil((doubles + 2) / 2);

/** Sub-allocations of one region, laid out before the region is taken. */
export class Arena {
  private total = 0;
  private readonly parts: { rel: number; set: (abs: number) => void }[] = [];
  /** Reserve `doubles` doubles (16-byte aligned, zeroed, 2 doubles of slack); `set` receives the byte offset. */
  take(doubles: number, set: (ptr: number) => void): void {
    this.parts.push({ rel: this.total, set });
    this.total += slotBytes(doubles);
  }
  /** Bytes of every part taken so far (what commit allocates). */
  get bytes(): number {
    return this.total;
  }
  /** Allocate the region and hand every part its pointer; returns the region's start. */
  commit(): number {
    const start = alloc(this.total);
    for (const p of this.parts) p.set(start + p.rel);
    return start;
  }
}

/** A spectrum of `bins` bins (re, im) from the arena. */
export function spectrumIn(arena: Arena, bins: number): WSpectrum {
  const sp: WSpectrum = { re: 0, im: 0, len: bins };
  arena.take(bins, (p) => (sp.re = p));
  arena.take(bins, (p) => (sp.im = p));
  return sp;
}

/** src as doubles at ptr (typed arrays converted natively, other arrays element by element). */
export function putDoubles(ptr: number, src: ArrayLike<number>): void {
  const v = mem();
  if (ArrayBuffer.isView(src)) v.set(src as Float64Array, ptr / 8);
  else for (let i = 0; i < src.length; i++) v[ptr / 8 + i] = src[i];
}

// --- complex FFT ------------------------------------------------------------------------------
interface Tables {
  m: number;
  /** The bit-reversal permutation as byte offsets (i32). */
  rev: number;
  sw: number;
  swEnd: number;
  radix2First: boolean;
  /** Per radix-4 pass: quarter size q and twiddle rows (forward, inverse). */
  passes: { q: number; fwd: number; inv: number }[];
  /** Scratch for real transforms of size 2m, and the half twiddles c, s of size 2m. */
  zr: number;
  zi: number;
  c: number;
  s: number;
}

const tables = new Map<number, Tables>();

function tablesFor(m: number): Tables {
  let t = tables.get(m);
  if (t) return t;
  const bits = Math.round(Math.log2(m));
  if (2 ** bits !== m) throw new Error(`fft: size ${m} is not a power of two`);
  const rev = new Uint32Array(m);
  for (let i = 1; i < m; i++) rev[i] = (rev[i >> 1] >> 1) | ((i & 1) << (bits - 1));
  const pairs: number[] = [];
  for (let i = 0; i < m; i++) if (rev[i] > i) pairs.push(8 * i, 8 * rev[i]);
  const radix2First = bits % 2 === 1;
  const quarters: number[] = [];
  for (let q = radix2First ? 2 : 1; 4 * q <= m; q *= 4) quarters.push(q);
  const sw = alloc(4 * pairs.length);
  memI32().set(pairs, sw / 4);
  const revPtr = alloc(4 * m);
  memI32().set(Array.from(rev, (r) => 8 * r), revPtr / 4);
  const passes = quarters.map((q) => {
    const fwd = alloc(8 * 6 * q);
    const inv = alloc(8 * 6 * q);
    const v = mem();
    for (let k = 0; k < q; k++) {
      for (let j = 1; j <= 3; j++) {
        const ang = (-2 * Math.PI * j * k) / (4 * q);
        const c = Math.cos(ang);
        const s = Math.sin(ang);
        // rows w1r, w1i, w2r, w2i, w3r, w3i
        v[fwd / 8 + (2 * (j - 1)) * q + k] = c;
        v[fwd / 8 + (2 * (j - 1) + 1) * q + k] = s;
        v[inv / 8 + (2 * (j - 1)) * q + k] = c;
        v[inv / 8 + (2 * (j - 1) + 1) * q + k] = -1 * s;
      }
    }
    return { q, fwd, inv };
  });
  const N = 2 * m;
  const zr = alloc(8 * m);
  const zi = alloc(8 * m);
  const c = alloc(8 * (m + 1));
  const s = alloc(8 * (m + 1));
  const v = mem();
  for (let k = 0; k <= m; k++) {
    v[c / 8 + k] = Math.cos((-2 * Math.PI * k) / N);
    v[s / 8 + k] = Math.sin((-2 * Math.PI * k) / N);
  }
  t = { m, rev: revPtr, sw, swEnd: sw + 4 * pairs.length, radix2First, passes, zr, zi, c, s };
  tables.set(m, t);
  return t;
}

/** The bit-reversal table of size m (byte offsets, i32), for inputs written already permuted. */
export const bitReversal = (m: number): number => tablesFor(m).rev;

/** The tables of half size m that rfftW / irfftW use (realFftWasm.ts drives the same ones). */
export function realFftTables(m: number): Pick<Tables, 'rev' | 'radix2First' | 'passes' | 'zr' | 'zi' | 'c' | 's'> {
  return tablesFor(m);
}

/**
 * Unnormalised in-place DFT of m complex doubles (re, im byte offsets), as fft.ts's transform;
 * `permuted`: the input is already in bit-reversed order (written through bitReversal(m)).
 */
export function cfft(re: number, im: number, m: number, inverse: boolean, permuted = false): void {
  if (m <= 1) return;
  const e = ex();
  const t = tablesFor(m);
  if (!permuted && t.swEnd > t.sw) e.swap(re, im, t.sw, t.swEnd);
  if (t.radix2First) {
    if (m >= 4) e.radix2v(re, im, 8 * m);
    else e.radix2(re, im, 8 * m);
  }
  const sg = inverse ? -1 : 1;
  for (const p of t.passes) {
    if (p.q === 1) e.r4q1(re, im, 8 * m, sg);
    else e.r4(re, im, 8 * m, 8 * p.q, inverse ? p.inv : p.fwd, sg);
  }
}

/** A half spectrum (bins 0 … N/2) or a complex vector in module memory. */
export interface WSpectrum {
  re: number;
  im: number;
  /** Bins. */
  len: number;
}

/** Byte count for f64x2 loops over `count` doubles (rounded up to a pair; the slack absorbs the overrun). */
export const pairBytes = (count: number): number => 16 * Math.ceil(count / 2);

/**
 * Half spectrum of x zero-padded to N (a power of two ≥ 2) into out, x(k) at byte x + k·stride for
 * k < len (len ≤ N): fft.ts rfftVecInto.
 */
export function rfftW(x: number, stride: number, len: number, N: number, out: WSpectrum): void {
  const e = ex();
  const h = N / 2;
  const t = tablesFor(h);
  const pairs = len >> 1;
  const v = mem();
  const zr = t.zr / 8;
  const zi = t.zi / 8;
  // Positions are bit-reversed: the zero padding is scattered, so clear everything first.
  if (2 * pairs < N) {
    v.fill(0, zr, zr + h);
    v.fill(0, zi, zi + h);
  }
  if (pairs > 0) e.pack(x, stride, t.zr, t.zi, t.rev, pairs);
  if (len & 1) v[zr + memI32()[t.rev / 4 + pairs] / 8] = v[(x + (len - 1) * stride) / 8];
  cfft(t.zr, t.zi, h, false, true);
  const re = out.re / 8;
  const im = out.im / 8;
  v[re] = v[zr] + v[zi];
  v[im] = 0;
  v[re + h] = v[zr] - v[zi];
  v[im + h] = 0;
  if (h >= 2) e.splitv(t.zr, t.zi, 8 * h, t.c, t.s, out.re, out.im);
}

/**
 * The real sequence of length N with half spectrum X into out (byte offset): fft.ts irfftInto;
 * `reverse`: written as out[N−1−j] (the same values).
 */
export function irfftW(X: WSpectrum, N: number, out: number, reverse = false): void {
  const e = ex();
  const h = N / 2;
  const t = tablesFor(h);
  if (h >= 2) e.mergev(X.re, X.im, 8 * h, t.c, t.s, t.zr, t.zi, t.rev);
  else e.merge(X.re, X.im, 8 * h, t.c, t.s, t.zr, t.zi, t.rev);
  cfft(t.zr, t.zi, h, true, true);
  const last = out + 8 * (N - 1);
  if (h >= 2) {
    if (reverse) e.unpackRevv(t.zr, t.zi, last, 8 * h, 1 / h);
    else e.unpackv(t.zr, t.zi, out, 8 * h, 1 / h);
  } else if (reverse) e.unpackRev(t.zr, t.zi, last, 8 * h, 1 / h);
  else e.unpack(t.zr, t.zi, out, 8 * h, 1 / h);
}
