// Real FFTs (fftWasm.ts rfftW / irfftW), each one call from JS (rfftV / irfftV): a second module
// on fftWasmModule.ts's memory that strings together that module's own loops (imported: the
// packing, the radix passes, the f64x2 split, merge and unpack), so the spectra are bit-identical
// to rfftW / irfftW (test/fast/realFftWasm.test.ts). Why: the subdiagonal products and gradients
// (productsWasm.ts, subdiagGradWasm.ts) transform every block of every row, mostly small ones,
// where rfftW's JS driving costs as much as the transform (N = 4: 50 ns against 105 ns a pair,
// N = 64: 279 against 344; equal from N = 1024).
import {
  block, brIf, bump, call, code, F64, f64Const as f64c, f64Load, f64Store, I32, i32Add as add, i32Const as i32c, i32Load, i32LtU as ltU, i32Sub as sub, ifThen,
  instantiateOrNull, localGet as get, localSet as set, name, section, uleb, vec, whileLt, type WasmFn,
} from '../../util/wasmBytes';
import { alloc, fftWasmExports, irfftW, memI32, realFftTables, rfftW, type WSpectrum } from './fftWasm';

// Imported from fftWasmModule.ts (function indices 0 … 7): the packing, the radix passes and the
// f64x2 split, merge and unpack; this module only strings them together.
const IMPORTS: { name: string; params: number[] }[] = [
  { name: 'pack', params: [I32, I32, I32, I32, I32, I32] },
  { name: 'radix2v', params: [I32, I32, I32] },
  { name: 'r4q1', params: [I32, I32, I32, F64] },
  { name: 'r4', params: [I32, I32, I32, I32, I32, F64] },
  { name: 'splitv', params: [I32, I32, I32, I32, I32, I32, I32] },
  { name: 'mergev', params: [I32, I32, I32, I32, I32, I32, I32, I32] },
  { name: 'unpackv', params: [I32, I32, I32, I32, F64] },
  { name: 'radix2', params: [I32, I32, I32] },
];
const [PACK, RADIX2V, R4Q1, R4, SPLIT, MERGE, UNPACK, RADIX2] = [0, 1, 2, 3, 4, 5, 6, 7];
const memFill = [0xfc, 0x0b, 0x00];

/**
 * A size's tables for the functions below, as i32s at desc: h, rev, zr, zi, c, s, radix2First,
 * passes, then per radix-4 pass q, forward twiddles, inverse twiddles (fftWasm.ts's layout).
 */
const D = { h: 0, rev: 4, zr: 8, zi: 12, c: 16, s: 20, radix2First: 24, passes: 28, pass0: 32 };

/** The complex FFT of fftWasm.ts cfft (input bit-reversed) on desc's scratch; locals given. */
function cfftBody(desc: number, hb: number, zr: number, zi: number, p: number, end: number, inverse: boolean): number[] {
  const sg = f64c(inverse ? -1 : 1);
  return [
    // The radix-2 pass two butterflies at a time from h = 4 (fftWasm.ts cfft's rule).
    ...get(desc), ...i32Load(D.radix2First), ...ifThen([
      ...get(hb), ...i32c(32), ...[0x4f] /* ge_u */,
      ...[0x04, 0x40], ...get(zr), ...get(zi), ...get(hb), ...call(RADIX2V), 0x05, ...get(zr), ...get(zi), ...get(hb), ...call(RADIX2), 0x0b,
    ]),
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
function rfftFn(): WasmFn {
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
function irfftFn(): WasmFn {
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

const FUNCTIONS: WasmFn[] = [rfftFn(), irfftFn()];

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
}

let instance: Exports | null | undefined;
function exportsOrNull(): Exports | null {
  if (instance === undefined) {
    const base = fftWasmExports();
    instance = base
      ? instantiateOrNull<Exports>(realFftWasmBytes(), {
          m: { memory: base.memory, pack: base.pack, radix2v: base.radix2v, r4q1: base.r4q1, r4: base.r4, splitv: base.splitv, mergev: base.mergev, unpackv: base.unpackv, radix2: base.radix2 },
        })
      : null;
  }
  return instance;
}

/** Whether the f64x2 steps are available (else rfft / irfft below are rfftW / irfftW). */
export const realFftWasmAvailable = (): boolean => exportsOrNull() !== null;

/** fftWasm.ts's tables for half size h as i32s in module memory (D above), for rfftV / irfftV. */
const descriptors = new Map<number, number>();

function descriptorFor(h: number): number {
  let desc = descriptors.get(h);
  if (desc !== undefined) return desc;
  const t = realFftTables(h);
  desc = alloc(4 * (D.pass0 / 4 + 3 * t.passes.length));
  memI32().set([h, t.rev, t.zr, t.zi, t.c, t.s, t.radix2First ? 1 : 0, t.passes.length, ...t.passes.flatMap((p) => [p.q, p.fwd, p.inv])], desc / 4);
  descriptors.set(h, desc);
  return desc;
}

/** rfftW (fftWasm.ts), the same bits: half spectrum of x(k) = x + k·stride, k < len, zero-padded to N. */
export function rfft(x: number, stride: number, len: number, N: number, out: WSpectrum): void {
  const w = exportsOrNull();
  const h = N / 2;
  if (!w || h < 2) return rfftW(x, stride, len, N, out);
  w.rfftV(x, stride, len, descriptorFor(h), out.re, out.im);
}

/** irfftW (fftWasm.ts), the same bits: the real sequence of length N with half spectrum X, into out. */
export function irfft(X: WSpectrum, N: number, out: number): void {
  const w = exportsOrNull();
  const h = N / 2;
  if (!w || h < 2) return irfftW(X, N, out);
  w.irfftV(X.re, X.im, descriptorFor(h), out);
}
