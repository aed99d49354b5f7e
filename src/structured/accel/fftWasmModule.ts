// A WebAssembly module (SIMD, f64x2) with the loops of the fast structured products: the
// radix-4 complex FFT of fft.ts, the real-FFT packing steps, spectral products, and the
// direct sums of subdiagKrylov.ts's leaves. Assembled here byte by byte (util/wasmBytes.ts),
// so the project needs no wasm toolchain.
//
// Every loop does the same double-precision operations in the same order as its JS twin
// (fft.ts, foldedConv.ts, subdiagKrylov.ts): f64x2 lanes are two independent IEEE doubles and
// wasm has no fused multiply-add, so the results are bit-identical to the JS path. The f64x2
// loops run over pairs of elements; their callers keep lengths even or leave zeroed slack.
//
// All pointers are byte offsets into the exported memory; lengths are in bytes unless named
// otherwise. Loops run at least once: callers skip empty ranges.
import {
  block, brIf, bump, call, code, F64, f64Add as fAdd, f64Const as f64, f64Load, f64Mul as fMul, f64Neg as fNeg, f64Store, f64Sub as fSub, I32,
  i32Add as add, i32Const as i32, i32GeU as geU, i32Load, i32LtS as ltS, i32LtU as ltU, i32Sub as sub, ifThen, localGet as get, localSet as set,
  loop, name, section, simd, uleb, V128, vec, whileLt, type WasmFn,
} from '../../util/wasmBytes';

// --- instructions ---------------------------------------------------------------------------
const vLoad = (off = 0) => [...simd(0x00), 3, ...uleb(off)];
const vStore = (off = 0) => [...simd(0x0b), 3, ...uleb(off)];
const vAdd = simd(0xf0);
const vSub = simd(0xf1);
const vMul = simd(0xf2);
const vSplat = simd(0x14);
const lane = (l: number) => [...simd(0x21), l];
const vNeg = simd(0xed);
/** i8x16.shuffle picking f64 lanes: each of l0, l1 is 0–1 (first operand) or 2–3 (second). */
const shuf = (l0: number, l1: number) => [...simd(0x0d), ...[l0, l1].flatMap((l) => Array.from({ length: 8 }, (_, b) => 8 * l + b))];
const BR = 0x0c;
const br = (depth: number) => [BR, depth];
/** A loop that runs while `cond` (leaving an i32) holds, tested before each pass (so possibly never). */
const whileDo = (cond: number[], body: number[]) => block(loop([...cond, 0x45 /* eqz */, ...brIf(1), ...body, ...br(0)]));

/** Sum of locals / constants as an address. */
const addr = (...parts: number[]) => [...get(parts[0]), ...parts.slice(1).flatMap((p) => [...get(p), ...add])];
/** x += local y. */
const bumpBy = (x: number, y: number) => [...get(x), ...get(y), ...add, ...set(x)];

// --- functions --------------------------------------------------------------------------------
/** swap(re, im, sw, swEnd): for each i32 pair (i, j) of byte offsets in [sw, swEnd), swap re/im at i and j. */
function swapFn(): WasmFn {
  const [re, im, sw, end, pi, pj, t] = [0, 1, 2, 3, 4, 5, 6];
  const swapIn = (base: number) => [
    ...get(base), ...get(sw), ...i32Load(0), ...add, ...set(pi),
    ...get(base), ...get(sw), ...i32Load(4), ...add, ...set(pj),
    ...get(pi), ...f64Load(), ...set(t),
    ...get(pi), ...get(pj), ...f64Load(), ...f64Store(),
    ...get(pj), ...get(t), ...f64Store(),
  ];
  return {
    name: 'swap', params: [I32, I32, I32, I32], locals: [[2, I32], [1, F64]],
    body: block([...get(sw), ...get(end), ...geU, ...brIf(0), ...whileLt(sw, end, [...swapIn(re), ...swapIn(im), ...bump(sw, 8)])]),
  };
}

/** radix2(re, im, nbytes): re[a+1] = re[a] − re[a+1], re[a] += old re[a+1] (and im), a even. */
function radix2Fn(): WasmFn {
  const [re, im, nbytes, o, p, b] = [0, 1, 2, 3, 4, 5];
  const one = (base: number) => [
    ...addr(base, o), ...set(p),
    ...get(p), ...f64Load(8), ...set(b),
    ...get(p), ...get(p), ...f64Load(0), ...get(b), ...fSub, ...f64Store(8),
    ...get(p), ...get(p), ...f64Load(0), ...get(b), ...fAdd, ...f64Store(0),
  ];
  return {
    name: 'radix2', params: [I32, I32, I32], locals: [[2, I32], [1, F64]],
    body: whileLt(o, nbytes, [...one(re), ...one(im), ...bump(o, 16)]),
  };
}

/** r4q1(re, im, nbytes, sg): fft.ts radix4Pass with q = 1. */
function r4q1Fn(): WasmFn {
  const [re, im, nbytes, sg, o, pr, pi] = [0, 1, 2, 3, 4, 5, 6];
  const [x0r, x0i, x1r, x1i, x2r, x2i, x3r, x3i, t0r, t0i, t1r, t1i, t2r, t2i, t3r, t3i] = Array.from({ length: 16 }, (_, i) => 7 + i);
  const ld = (p: number, k: number, dst: number) => [...get(p), ...f64Load(8 * k), ...set(dst)];
  const op2 = (dst: number, a: number, b: number, o2: number[]) => [...get(a), ...get(b), ...o2, ...set(dst)];
  const st = (p: number, k: number, a: number, b: number, o2: number[]) => [...get(p), ...get(a), ...get(b), ...o2, ...f64Store(8 * k)];
  return {
    name: 'r4q1', params: [I32, I32, I32, F64], locals: [[3, I32], [16, F64]],
    body: whileLt(o, nbytes, [
      ...addr(re, o), ...set(pr), ...addr(im, o), ...set(pi),
      ...ld(pr, 0, x0r), ...ld(pi, 0, x0i), ...ld(pr, 1, x1r), ...ld(pi, 1, x1i),
      ...ld(pr, 2, x2r), ...ld(pi, 2, x2i), ...ld(pr, 3, x3r), ...ld(pi, 3, x3i),
      ...op2(t0r, x0r, x1r, fAdd), ...op2(t0i, x0i, x1i, fAdd),
      ...op2(t1r, x0r, x1r, fSub), ...op2(t1i, x0i, x1i, fSub),
      ...op2(t2r, x2r, x3r, fAdd), ...op2(t2i, x2i, x3i, fAdd),
      ...get(sg), ...get(x2r), ...get(x3r), ...fSub, ...fMul, ...set(t3r),
      ...get(sg), ...get(x2i), ...get(x3i), ...fSub, ...fMul, ...set(t3i),
      ...st(pr, 0, t0r, t2r, fAdd), ...st(pi, 0, t0i, t2i, fAdd),
      ...st(pr, 2, t0r, t2r, fSub), ...st(pi, 2, t0i, t2i, fSub),
      ...st(pr, 1, t1r, t3i, fAdd), ...st(pi, 1, t1i, t3r, fSub),
      ...st(pr, 3, t1r, t3i, fSub), ...st(pi, 3, t1i, t3r, fAdd),
      ...bump(o, 32),
    ]),
  };
}

/**
 * r4(re, im, nbytes, Q, tw, sg): fft.ts radix4Pass with quarter size q ≥ 2 (Q = 8q bytes), two
 * k at a time. tw holds the pass's twiddles as six rows of q doubles: w1r, w1i, w2r, w2i, w3r,
 * w3i (imaginary parts already multiplied by sg).
 */
function r4Fn(): WasmFn {
  const [re, im, nbytes, Q, tw, sg] = [0, 1, 2, 3, 4, 5];
  const [g, kb, p0, p1, p2, p3, q0, q1, q2, q3, wp, step] = Array.from({ length: 12 }, (_, i) => 6 + i);
  const V = 18;
  const [w1r, w1i, w2r, w2i, w3r, w3i, x0r, x0i, x1r, x1i, x2r, x2i, x3r, x3i, t0r, t0i, t1r, t1i, t2r, t2i, t3r, t3i, yr, yi, sgv] =
    Array.from({ length: 25 }, (_, i) => V + i);
  const ldw = (dst: number) => [...get(wp), ...vLoad(), ...set(dst), ...bumpBy(wp, Q)];
  // x = y·w: xr = yr·wr − yi·wi, xi = yr·wi + yi·wr
  const twiddle = (pr: number, pi: number, wr: number, wi: number, xr: number, xi: number) => [
    ...get(pr), ...vLoad(), ...set(yr), ...get(pi), ...vLoad(), ...set(yi),
    ...get(yr), ...get(wr), ...vMul, ...get(yi), ...get(wi), ...vMul, ...vSub, ...set(xr),
    ...get(yr), ...get(wi), ...vMul, ...get(yi), ...get(wr), ...vMul, ...vAdd, ...set(xi),
  ];
  const op2 = (dst: number, a: number, b: number, o2: number[]) => [...get(a), ...get(b), ...o2, ...set(dst)];
  const st = (p: number, a: number, b: number, o2: number[]) => [...get(p), ...get(a), ...get(b), ...o2, ...vStore()];
  const inner = [
    ...addr(re, g, kb), ...set(p0), ...addr(p0, Q), ...set(p1), ...addr(p1, Q), ...set(p2), ...addr(p2, Q), ...set(p3),
    ...addr(im, g, kb), ...set(q0), ...addr(q0, Q), ...set(q1), ...addr(q1, Q), ...set(q2), ...addr(q2, Q), ...set(q3),
    ...addr(tw, kb), ...set(wp),
    ...ldw(w1r), ...ldw(w1i), ...ldw(w2r), ...ldw(w2i), ...ldw(w3r), ...ldw(w3i),
    ...get(p0), ...vLoad(), ...set(x0r), ...get(q0), ...vLoad(), ...set(x0i),
    ...twiddle(p1, q1, w2r, w2i, x1r, x1i),
    ...twiddle(p2, q2, w1r, w1i, x2r, x2i),
    ...twiddle(p3, q3, w3r, w3i, x3r, x3i),
    ...op2(t0r, x0r, x1r, vAdd), ...op2(t0i, x0i, x1i, vAdd),
    ...op2(t1r, x0r, x1r, vSub), ...op2(t1i, x0i, x1i, vSub),
    ...op2(t2r, x2r, x3r, vAdd), ...op2(t2i, x2i, x3i, vAdd),
    ...get(sgv), ...get(x2r), ...get(x3r), ...vSub, ...vMul, ...set(t3r),
    ...get(sgv), ...get(x2i), ...get(x3i), ...vSub, ...vMul, ...set(t3i),
    ...st(p0, t0r, t2r, vAdd), ...st(q0, t0i, t2i, vAdd),
    ...st(p2, t0r, t2r, vSub), ...st(q2, t0i, t2i, vSub),
    ...st(p1, t1r, t3i, vAdd), ...st(q1, t1i, t3r, vSub),
    ...st(p3, t1r, t3i, vSub), ...st(q3, t1i, t3r, vAdd),
    ...bump(kb, 16),
  ];
  return {
    name: 'r4', params: [I32, I32, I32, I32, I32, F64], locals: [[12, I32], [25, V128]],
    body: [
      ...get(sg), ...vSplat, ...set(sgv),
      ...get(Q), ...i32(2), ...[0x74] /* i32.shl */, ...set(step),
      ...whileLt(g, nbytes, [...i32(0), ...set(kb), ...whileLt(kb, Q, inner), ...bumpBy(g, step)]),
    ],
  };
}

/**
 * pack(x, stride, zr, zi, rev, pairs): zr[rev j] = x(2j), zi[rev j] = x(2j+1), x(k) at x + k·stride,
 * rev = the bit-reversal permutation as byte offsets (i32): the FFT's first step folded in.
 */
function packFn(): WasmFn {
  const [x, stride, zr, zi, rev, pairs, j, r] = [0, 1, 2, 3, 4, 5, 6, 7];
  return {
    name: 'pack', params: [I32, I32, I32, I32, I32, I32], locals: [[2, I32]],
    body: whileLt(j, pairs, [
      ...get(rev), ...i32Load(), ...set(r), ...bump(rev, 4),
      ...addr(zr, r), ...get(x), ...f64Load(), ...f64Store(), ...bumpBy(x, stride),
      ...addr(zi, r), ...get(x), ...f64Load(), ...f64Store(), ...bumpBy(x, stride),
      ...bump(j, 1),
    ]),
  };
}

/** permute(sr, si, dr, di, rev, mbytes): d[rev k] = s[k] (re and im). */
function permuteFn(): WasmFn {
  const [sr, si, dr, di, rev, mb, o, r] = [0, 1, 2, 3, 4, 5, 6, 7];
  return {
    name: 'permute', params: [I32, I32, I32, I32, I32, I32], locals: [[2, I32]],
    body: whileLt(o, mb, [
      ...get(rev), ...i32Load(), ...set(r), ...bump(rev, 4),
      ...addr(dr, r), ...addr(sr, o), ...f64Load(), ...f64Store(),
      ...addr(di, r), ...addr(si, o), ...f64Load(), ...f64Store(),
      ...bump(o, 8),
    ]),
  };
}

/**
 * One bin k of fft.ts splitRealSpectrum (splitv's odd last bin), on splitv's locals: zr, zi, hb, c,
 * s, re, im (params 0–6), o = 8k, ob (7, 8), er, ei, or, oi, ck, sk (f64 locals 9–14).
 */
function splitBin(): number[] {
  const [zr, zi, hb, c, s, re, im, o, ob] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [er, ei, or, oi, ck, sk] = [9, 10, 11, 12, 13, 14];
  const at = (base: number, off: number) => [...addr(base, off), ...f64Load()];
  return [
    ...get(hb), ...get(o), ...sub, ...set(ob),
    ...f64(0.5), ...at(zr, o), ...at(zr, ob), ...fAdd, ...fMul, ...set(er),
    ...f64(0.5), ...at(zi, o), ...at(zi, ob), ...fSub, ...fMul, ...set(ei),
    ...f64(0.5), ...at(zi, o), ...at(zi, ob), ...fAdd, ...fMul, ...set(or),
    ...f64(-0.5), ...at(zr, o), ...at(zr, ob), ...fSub, ...fMul, ...set(oi),
    ...at(c, o), ...set(ck), ...at(s, o), ...set(sk),
    ...addr(re, o), ...get(er), ...get(ck), ...get(or), ...fMul, ...fAdd, ...get(sk), ...get(oi), ...fMul, ...fSub, ...f64Store(),
    ...addr(im, o), ...get(ei), ...get(ck), ...get(oi), ...fMul, ...fAdd, ...get(sk), ...get(or), ...fMul, ...fAdd, ...f64Store(),
    ...bump(o, 8),
  ];
}

/** merge(Xr, Xi, hbytes, c, s, zr, zi, rev): fft.ts irfftInto's step before the inverse FFT, k = 0 … h−1, written to zr[rev k]. */
function mergeFn(): WasmFn {
  const [Xr, Xi, hb, c, s, zr, zi, rev, o, ob, r] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const [xr, xi, yr, yi, er, ei, dr, di, ck, sk] = Array.from({ length: 10 }, (_, i) => 11 + i);
  const at = (base: number, off: number) => [...addr(base, off), ...f64Load()];
  const half = (dst: number, a: number, b: number, o2: number[]) => [...f64(0.5), ...get(a), ...get(b), ...o2, ...fMul, ...set(dst)];
  return {
    name: 'merge', params: [I32, I32, I32, I32, I32, I32, I32, I32], locals: [[3, I32], [10, F64]],
    body: whileLt(o, hb, [
      ...get(hb), ...get(o), ...sub, ...set(ob),
      ...get(rev), ...i32Load(), ...set(r), ...bump(rev, 4),
      ...at(Xr, o), ...set(xr), ...at(Xi, o), ...set(xi), ...at(Xr, ob), ...set(yr), ...at(Xi, ob), ...fNeg, ...set(yi),
      ...half(er, xr, yr, fAdd), ...half(ei, xi, yi, fAdd), ...half(dr, xr, yr, fSub), ...half(di, xi, yi, fSub),
      ...at(c, o), ...set(ck), ...at(s, o), ...set(sk),
      // or = dr·c + di·s, oi = di·c − dr·s; zr = er − oi, zi = ei + or
      ...addr(zr, r), ...get(er), ...get(di), ...get(ck), ...fMul, ...get(dr), ...get(sk), ...fMul, ...fSub, ...fSub, ...f64Store(),
      ...addr(zi, r), ...get(ei), ...get(dr), ...get(ck), ...fMul, ...get(di), ...get(sk), ...fMul, ...fAdd, ...fAdd, ...f64Store(),
      ...bump(o, 8),
    ]),
  };
}

/** unpack(zr, zi, out, hbytes, scale): out[2j] = zr[j]·scale, out[2j+1] = zi[j]·scale. */
function unpackFn(): WasmFn {
  const [zr, zi, out, hb, scale, o] = [0, 1, 2, 3, 4, 5];
  return {
    name: 'unpack', params: [I32, I32, I32, I32, F64], locals: [[1, I32]],
    body: whileLt(o, hb, [
      ...get(out), ...addr(zr, o), ...f64Load(), ...get(scale), ...fMul, ...f64Store(0),
      ...get(out), ...addr(zi, o), ...f64Load(), ...get(scale), ...fMul, ...f64Store(8),
      ...bump(out, 16), ...bump(o, 8),
    ]),
  };
}

/**
 * unpackRev(zr, zi, last, hbytes, scale): unpack written backwards from `last` (the byte offset of
 * out[N−1]): out[N−1−2j] = zr[j]·scale, out[N−2−2j] = zi[j]·scale (irfft into a reversed output).
 */
function unpackRevFn(): WasmFn {
  const [zr, zi, out, hb, scale, o] = [0, 1, 2, 3, 4, 5];
  return {
    name: 'unpackRev', params: [I32, I32, I32, I32, F64], locals: [[1, I32]],
    body: whileLt(o, hb, [
      ...get(out), ...addr(zr, o), ...f64Load(), ...get(scale), ...fMul, ...f64Store(0),
      ...get(out), ...i32(8), ...sub, ...addr(zi, o), ...f64Load(), ...get(scale), ...fMul, ...f64Store(0),
      ...bump(out, -16), ...bump(o, 8),
    ]),
  };
}

/**
 * fold(w, out, stride, cbytes, nbytes, f): foldedConv.ts padded inverse after its irfft,
 * out_j = w[j] + f·w[j+n] for j < cbytes/8, out_j at out + j·stride, n = nbytes/8.
 */
function foldFn(): WasmFn {
  const [w, out, stride, cb, nb, f, o] = [0, 1, 2, 3, 4, 5, 6];
  return {
    name: 'fold', params: [I32, I32, I32, I32, I32, F64], locals: [[1, I32]],
    body: whileLt(o, cb, [
      ...get(out), ...addr(w, o), ...f64Load(), ...get(f), ...addr(w, o, nb), ...f64Load(), ...fMul, ...fAdd, ...f64Store(),
      ...bumpBy(out, stride), ...bump(o, 8),
    ]),
  };
}

/**
 * radix2v(re, im, nbytes): radix2 two butterflies at a time (nbytes a multiple of 32): the pairs
 * (a, a+1), (a+2, a+3) regrouped by lane shuffles, the same adds and subtracts.
 */
function radix2vFn(): WasmFn {
  const [re, im, nbytes, o, p, v1, v2, lo, hi, sm, df] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const one = (base: number) => [
    ...addr(base, o), ...set(p),
    ...get(p), ...vLoad(0), ...set(v1), ...get(p), ...vLoad(16), ...set(v2),
    ...get(v1), ...get(v2), ...shuf(0, 2), ...set(lo), ...get(v1), ...get(v2), ...shuf(1, 3), ...set(hi),
    ...get(lo), ...get(hi), ...vAdd, ...set(sm), ...get(lo), ...get(hi), ...vSub, ...set(df),
    ...get(p), ...get(sm), ...get(df), ...shuf(0, 2), ...vStore(0),
    ...get(p), ...get(sm), ...get(df), ...shuf(1, 3), ...vStore(16),
  ];
  return {
    name: 'radix2v', params: [I32, I32, I32], locals: [[2, I32], [6, V128]],
    body: whileLt(o, nbytes, [...one(re), ...one(im), ...bump(o, 32)]),
  };
}

/** splitv(zr, zi, hbytes, c, s, re, im): split with bins k, k+1 in the two lanes (h ≥ 2), an odd last k alone. */
function splitvFn(): WasmFn {
  const [zr, zi, hb, c, s, re, im, o, ob] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  // f64 locals 9–14 are splitBin's (the odd last bin); the vectors follow.
  const [vr, vi, wr, wi, Er, Ei, Or, Oi, C, S] = Array.from({ length: 10 }, (_, i) => 15 + i);
  // (z[h−k], z[h−k−1]): the pair from h−k−1, lanes swapped.
  const loadRev = (base: number, dst: number) => [...addr(base, ob), ...vLoad(), ...set(dst), ...get(dst), ...get(dst), ...shuf(1, 0), ...set(dst)];
  const half = (dst: number, a: number, b: number, o2: number[]) => [...f64(0.5), ...vSplat, ...get(a), ...get(b), ...o2, ...vMul, ...set(dst)];
  const vector = [
    // ob = (h − k − 1) bytes
    ...get(hb), ...get(o), ...sub, ...i32(8), ...sub, ...set(ob),
    ...addr(zr, o), ...vLoad(), ...set(vr), ...addr(zi, o), ...vLoad(), ...set(vi),
    ...loadRev(zr, wr), ...loadRev(zi, wi),
    ...half(Er, vr, wr, vAdd), ...half(Ei, vi, wi, vSub), ...half(Or, vi, wi, vAdd),
    ...f64(-0.5), ...vSplat, ...get(vr), ...get(wr), ...vSub, ...vMul, ...set(Oi),
    ...addr(c, o), ...vLoad(), ...set(C), ...addr(s, o), ...vLoad(), ...set(S),
    ...addr(re, o), ...get(Er), ...get(C), ...get(Or), ...vMul, ...vAdd, ...get(S), ...get(Oi), ...vMul, ...vSub, ...vStore(),
    ...addr(im, o), ...get(Ei), ...get(C), ...get(Oi), ...vMul, ...vAdd, ...get(S), ...get(Or), ...vMul, ...vAdd, ...vStore(),
    ...bump(o, 16),
  ];
  const scalar = splitBin();
  return {
    name: 'splitv', params: [I32, I32, I32, I32, I32, I32, I32], locals: [[2, I32], [6, F64], [10, V128]],
    body: [
      ...i32(8), ...set(o),
      // pairs while k + 1 ≤ h − 1, i.e. o + 8 < hb
      ...whileDo([...get(o), ...i32(8), ...add, ...get(hb), ...ltU], vector),
      ...whileDo([...get(o), ...get(hb), ...ltU], scalar),
    ],
  };
}

/** mergev(Xr, Xi, hbytes, c, s, zr, zi, rev): merge with k, k+1 in the two lanes (h even), stored lane by lane to zr[rev k]. */
function mergevFn(): WasmFn {
  const [Xr, Xi, hb, c, s, zr, zi, rev, o, ob, r0, r1] = Array.from({ length: 12 }, (_, i) => i);
  const [xr, xi, yr, yi, er, ei, dr, di, C, S, Zr, Zi] = Array.from({ length: 12 }, (_, i) => 12 + i);
  const loadRev = (base: number, dst: number) => [...addr(base, ob), ...vLoad(), ...set(dst), ...get(dst), ...get(dst), ...shuf(1, 0), ...set(dst)];
  const half = (dst: number, a: number, b: number, o2: number[]) => [...f64(0.5), ...vSplat, ...get(a), ...get(b), ...o2, ...vMul, ...set(dst)];
  const store2 = (base: number, v: number) => [
    ...addr(base, r0), ...get(v), ...lane(0), ...f64Store(),
    ...addr(base, r1), ...get(v), ...lane(1), ...f64Store(),
  ];
  return {
    name: 'mergev', params: [I32, I32, I32, I32, I32, I32, I32, I32], locals: [[4, I32], [12, V128]],
    body: whileLt(o, hb, [
      // ob = (h − k − 1) bytes: (X[h−k−1], X[h−k]) swapped is (X[h−k], X[h−(k+1)])
      ...get(hb), ...get(o), ...sub, ...i32(8), ...sub, ...set(ob),
      ...get(rev), ...i32Load(0), ...set(r0), ...get(rev), ...i32Load(4), ...set(r1), ...bump(rev, 8),
      ...addr(Xr, o), ...vLoad(), ...set(xr), ...addr(Xi, o), ...vLoad(), ...set(xi),
      ...loadRev(Xr, yr), ...loadRev(Xi, yi), ...get(yi), ...vNeg, ...set(yi),
      ...half(er, xr, yr, vAdd), ...half(ei, xi, yi, vAdd), ...half(dr, xr, yr, vSub), ...half(di, xi, yi, vSub),
      ...addr(c, o), ...vLoad(), ...set(C), ...addr(s, o), ...vLoad(), ...set(S),
      ...get(er), ...get(di), ...get(C), ...vMul, ...get(dr), ...get(S), ...vMul, ...vSub, ...vSub, ...set(Zr),
      ...get(ei), ...get(dr), ...get(C), ...vMul, ...get(di), ...get(S), ...vMul, ...vAdd, ...vAdd, ...set(Zi),
      ...store2(zr, Zr), ...store2(zi, Zi),
      ...bump(o, 16),
    ]),
  };
}

/**
 * unpackv(zr, zi, out, hbytes, scale): unpack two j at a time (h even); unpackRevv(zr, zi, last,
 * hbytes, scale): unpackRev two j at a time. The same products, regrouped by lane shuffles.
 */
function unpackvFn(reverse: boolean): WasmFn {
  const [zr, zi, out, hb, scale, o, A, B, S] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const body = reverse
    ? [
        // out[N−2−2j], out[N−1−2j] = (zi_j, zr_j); the pair below = (zi_{j+1}, zr_{j+1}).
        ...get(out), ...i32(8), ...sub, ...get(B), ...get(A), ...shuf(0, 2), ...vStore(0),
        ...get(out), ...i32(24), ...sub, ...get(B), ...get(A), ...shuf(1, 3), ...vStore(0),
        ...bump(out, -32),
      ]
    : [
        ...get(out), ...get(A), ...get(B), ...shuf(0, 2), ...vStore(0),
        ...get(out), ...get(A), ...get(B), ...shuf(1, 3), ...vStore(16),
        ...bump(out, 32),
      ];
  return {
    name: reverse ? 'unpackRevv' : 'unpackv', params: [I32, I32, I32, I32, F64], locals: [[1, I32], [3, V128]],
    body: [
      ...get(scale), ...vSplat, ...set(S),
      ...whileLt(o, hb, [
        ...addr(zr, o), ...vLoad(), ...get(S), ...vMul, ...set(A),
        ...addr(zi, o), ...vLoad(), ...get(S), ...vMul, ...set(B),
        ...body,
        ...bump(o, 16),
      ]),
    ],
  };
}

/**
 * twistv(lo, hi, stride, re, im, mbytes, cos, sin, rev): twist two j at a time (m even), stored
 * lane by lane to re/im[rev j]; twistvRev reads lo_j, hi_j backwards (stride −8, the pair below
 * with its lanes swapped). `stride` is ±8, implied by the variant.
 */
function twistvFn(backward: boolean): WasmFn {
  const [lo, hi, , re, im, mb, cos, sin, rev, o, r0, r1] = Array.from({ length: 12 }, (_, i) => i);
  const [L, Hh, C, S, RE, IM] = Array.from({ length: 6 }, (_, i) => 12 + i);
  const ld = (p: number, dst: number) =>
    backward
      ? [...get(p), ...i32(8), ...sub, ...vLoad(), ...set(dst), ...get(dst), ...get(dst), ...shuf(1, 0), ...set(dst)]
      : [...get(p), ...vLoad(), ...set(dst)];
  const store2 = (base: number, v: number) => [
    ...addr(base, r0), ...get(v), ...lane(0), ...f64Store(),
    ...addr(base, r1), ...get(v), ...lane(1), ...f64Store(),
  ];
  const step = backward ? -16 : 16;
  return {
    name: backward ? 'twistvRev' : 'twistv', params: [I32, I32, I32, I32, I32, I32, I32, I32, I32], locals: [[3, I32], [6, V128]],
    body: whileLt(o, mb, [
      ...get(rev), ...i32Load(0), ...set(r0), ...get(rev), ...i32Load(4), ...set(r1), ...bump(rev, 8),
      ...ld(lo, L), ...ld(hi, Hh),
      ...addr(cos, o), ...vLoad(), ...set(C), ...addr(sin, o), ...vLoad(), ...set(S),
      ...get(L), ...get(C), ...vMul, ...get(Hh), ...get(S), ...vMul, ...vSub, ...set(RE),
      ...get(L), ...get(S), ...vMul, ...get(Hh), ...get(C), ...vMul, ...vAdd, ...set(IM),
      ...store2(re, RE), ...store2(im, IM),
      ...bump(lo, step), ...bump(hi, step), ...bump(o, 16),
    ]),
  };
}

/**
 * untwistv(zr, zi, lo, hi, stride, mbytes, cos, sin, scale): untwist two j at a time (m even);
 * untwistvRev writes lo_j, hi_j backwards (stride −8: the pair below, lanes swapped).
 */
function untwistvFn(backward: boolean): WasmFn {
  const [zr, zi, lo, hi, , mb, cos, sin, scale, o] = Array.from({ length: 10 }, (_, i) => i);
  const [A, B, C, S, K, T] = Array.from({ length: 6 }, (_, i) => 10 + i);
  const st = (p: number, value: number[]) =>
    backward
      ? [...get(p), ...i32(8), ...sub, ...value, ...set(T), ...get(T), ...get(T), ...shuf(1, 0), ...vStore()]
      : [...get(p), ...value, ...vStore()];
  const step = backward ? -16 : 16;
  return {
    name: backward ? 'untwistvRev' : 'untwistv', params: [I32, I32, I32, I32, I32, I32, I32, I32, F64], locals: [[1, I32], [6, V128]],
    body: [
      ...get(scale), ...vSplat, ...set(K),
      ...whileLt(o, mb, [
        ...addr(zr, o), ...vLoad(), ...set(A), ...addr(zi, o), ...vLoad(), ...set(B),
        ...addr(cos, o), ...vLoad(), ...set(C), ...addr(sin, o), ...vLoad(), ...set(S),
        ...st(lo, [...get(A), ...get(C), ...vMul, ...get(B), ...get(S), ...vMul, ...vAdd, ...get(K), ...vMul]),
        ...st(hi, [...get(B), ...get(C), ...vMul, ...get(A), ...get(S), ...vMul, ...vSub, ...get(K), ...vMul]),
        ...bump(lo, step), ...bump(hi, step), ...bump(o, 16),
      ]),
    ],
  };
}

/** cmul(ar, ai, br, bi, or, oi, nbytes): o = a·b pointwise, two bins at a time; cmuladd(or, oi, ar, ai, br, bi, nbytes): o += a·b. */
function cmulFn(accumulate: boolean): WasmFn {
  const [ar, ai, br, bi, or, oi] = accumulate ? [2, 3, 4, 5, 0, 1] : [0, 1, 2, 3, 4, 5];
  const [nb, o] = [6, 7];
  const [xr, xi, yr, yi] = [8, 9, 10, 11];
  const ld = (base: number, dst: number) => [...addr(base, o), ...vLoad(), ...set(dst)];
  const acc = (base: number) => (accumulate ? [...addr(base, o), ...vLoad()] : []);
  const fin = accumulate ? vAdd : [];
  return {
    name: accumulate ? 'cmuladd' : 'cmul', params: [I32, I32, I32, I32, I32, I32, I32], locals: [[1, I32], [4, V128]],
    body: whileLt(o, nb, [
      ...ld(ar, xr), ...ld(ai, xi), ...ld(br, yr), ...ld(bi, yi),
      ...addr(or, o), ...acc(or), ...get(xr), ...get(yr), ...vMul, ...get(xi), ...get(yi), ...vMul, ...vSub, ...fin, ...vStore(),
      ...addr(oi, o), ...acc(oi), ...get(xr), ...get(yi), ...vMul, ...get(xi), ...get(yr), ...vMul, ...vAdd, ...fin, ...vStore(),
      ...bump(o, 16),
    ]),
  };
}

/** Elementwise over two doubles at a time: 'muladd' y += a·b, 'mul' y = a·b, 'add' y += a. */
function elementwiseFn(kind: 'muladd' | 'mul' | 'add'): WasmFn {
  const [y, a, b, nb, o] = [0, 1, 2, 3, 4];
  const ld = (base: number) => [...addr(base, o), ...vLoad()];
  const value =
    kind === 'muladd' ? [...ld(y), ...ld(a), ...ld(b), ...vMul, ...vAdd] : kind === 'mul' ? [...ld(a), ...ld(b), ...vMul] : [...ld(y), ...ld(a), ...vAdd];
  return {
    name: kind, params: [I32, I32, I32, I32], locals: [[1, I32]],
    body: whileLt(o, nb, [...addr(y, o), ...value, ...vStore(), ...bump(o, 16)]),
  };
}

/**
 * twist(lo, hi, stride, re, im, mbytes, cos, sin): foldedConv.ts negacyclic forward before its
 * FFT: re[rev j] = lo_j·cos[j] − hi_j·sin[j], im[rev j] = lo_j·sin[j] + hi_j·cos[j]; lo_j at lo + j·stride.
 */
function twistFn(): WasmFn {
  const [lo, hi, stride, re, im, mb, cos, sin, rev, o, r, l, h, c, s] = Array.from({ length: 15 }, (_, i) => i);
  return {
    name: 'twist', params: [I32, I32, I32, I32, I32, I32, I32, I32, I32], locals: [[2, I32], [4, F64]],
    body: whileLt(o, mb, [
      ...get(rev), ...i32Load(), ...set(r), ...bump(rev, 4),
      ...get(lo), ...f64Load(), ...set(l), ...get(hi), ...f64Load(), ...set(h),
      ...addr(cos, o), ...f64Load(), ...set(c), ...addr(sin, o), ...f64Load(), ...set(s),
      ...addr(re, r), ...get(l), ...get(c), ...fMul, ...get(h), ...get(s), ...fMul, ...fSub, ...f64Store(),
      ...addr(im, r), ...get(l), ...get(s), ...fMul, ...get(h), ...get(c), ...fMul, ...fAdd, ...f64Store(),
      ...bumpBy(lo, stride), ...bumpBy(hi, stride), ...bump(o, 8),
    ]),
  };
}

/**
 * untwist(zr, zi, lo, hi, stride, mbytes, cos, sin, scale): foldedConv.ts negacyclic inverse after
 * its FFT: lo_j = (zr·cos + zi·sin)·scale, hi_j = (zi·cos − zr·sin)·scale.
 */
function untwistFn(): WasmFn {
  const [zr, zi, lo, hi, stride, mb, cos, sin, scale, o, a, b, c, s] = Array.from({ length: 14 }, (_, i) => i);
  return {
    name: 'untwist', params: [I32, I32, I32, I32, I32, I32, I32, I32, F64], locals: [[1, I32], [4, F64]],
    body: whileLt(o, mb, [
      ...addr(zr, o), ...f64Load(), ...set(a), ...addr(zi, o), ...f64Load(), ...set(b),
      ...addr(cos, o), ...f64Load(), ...set(c), ...addr(sin, o), ...f64Load(), ...set(s),
      ...get(lo), ...get(a), ...get(c), ...fMul, ...get(b), ...get(s), ...fMul, ...fAdd, ...get(scale), ...fMul, ...f64Store(),
      ...get(hi), ...get(b), ...get(c), ...fMul, ...get(a), ...get(s), ...fMul, ...fSub, ...get(scale), ...fMul, ...f64Store(),
      ...bumpBy(lo, stride), ...bumpBy(hi, stride), ...bump(o, 8),
    ]),
  };
}

/**
 * dot(a, b, m) → Σ a[d]·b[d], d < m (m ≥ 1 elements), summed as subdiagKrylov.ts's leaves do:
 * even d into one accumulator, odd d into the other (the two lanes), then added.
 */
function dotFn(): WasmFn {
  const [a, b, m, d, pairs, acc, s0] = [0, 1, 2, 3, 4, 5, 6];
  return {
    name: 'dot', params: [I32, I32, I32], result: F64, locals: [[2, I32], [1, V128], [1, F64]],
    body: [
      ...get(m), ...i32(-2), ...[0x71] /* i32.and */, ...i32(3), ...[0x74] /* shl */, ...set(pairs),
      ...block([
        ...get(pairs), ...[0x45] /* eqz */, ...brIf(0),
        ...whileLt(d, pairs, [...get(acc), ...addr(a, d), ...vLoad(), ...addr(b, d), ...vLoad(), ...vMul, ...vAdd, ...set(acc), ...bump(d, 16)]),
      ]),
      ...get(acc), ...lane(0), ...set(s0),
      ...get(m), ...i32(1), ...[0x71], ...ifThen([...get(s0), ...addr(a, pairs), ...f64Load(), ...addr(b, pairs), ...f64Load(), ...fMul, ...fAdd, ...set(s0)]),
      ...get(s0), ...get(acc), ...lane(1), ...fAdd,
    ],
  };
}

const DOT = 15; // function index of dot (see FUNCTIONS)

/** leavesFwd(leaves, leavesEnd, coef, z, y): y[j] += Σ_{d ≤ j−lo} c_j[d]·z[d] per leaf (lo, hi) (i32 pairs). */
function leavesFwdFn(): WasmFn {
  const [leaves, end, coef, z, y, j, hi, m, py] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  return {
    name: 'leavesFwd', params: [I32, I32, I32, I32, I32], locals: [[4, I32]],
    body: block([
      ...get(leaves), ...get(end), ...geU, ...brIf(0),
      ...whileLt(leaves, end, [
        ...get(leaves), ...i32Load(0), ...set(j), ...get(leaves), ...i32Load(4), ...set(hi),
        ...i32(1), ...set(m),
        ...loop([
          ...get(y), ...get(j), ...i32(3), ...[0x74], ...add, ...set(py),
          ...get(py), ...get(py), ...f64Load(), ...get(coef), ...get(z), ...get(m), ...call(DOT), ...fAdd, ...f64Store(),
          ...get(coef), ...get(m), ...i32(3), ...[0x74], ...add, ...set(coef),
          ...bump(m, 1), ...bump(j, 1),
          ...get(j), ...get(hi), ...ltS, ...brIf(0),
        ]),
        ...bump(leaves, 8),
      ]),
    ]),
  };
}

/** leavesT(leaves, leavesEnd, coef, x, u): u[d] += Σ_i c_d[i−lo]·x[i+d] per leaf. */
function leavesTFn(): WasmFn {
  const [leaves, end, coef, x, u, d, m, pu] = [0, 1, 2, 3, 4, 5, 6, 7];
  return {
    name: 'leavesT', params: [I32, I32, I32, I32, I32], locals: [[3, I32]],
    body: block([
      ...get(leaves), ...get(end), ...geU, ...brIf(0),
      ...whileLt(leaves, end, [
        // m = hi − lo, d = 0 … len−1 with m = len − d
        ...get(leaves), ...i32Load(4), ...get(leaves), ...i32Load(0), ...sub, ...set(m),
        ...i32(0), ...set(d),
        ...loop([
          ...get(u), ...get(d), ...i32(3), ...[0x74], ...add, ...set(pu),
          ...get(pu), ...get(pu), ...f64Load(),
          ...get(coef), ...get(x), ...get(leaves), ...i32Load(0), ...get(d), ...add, ...i32(3), ...[0x74], ...add, ...get(m), ...call(DOT),
          ...fAdd, ...f64Store(),
          ...get(coef), ...get(m), ...i32(3), ...[0x74], ...add, ...set(coef),
          ...bump(d, 1), ...get(m), ...i32(1), ...sub, ...set(m),
          ...get(m), ...i32(0), ...[0x4a] /* gt_s */, ...brIf(0),
        ]),
        ...bump(leaves, 8),
      ]),
    ]),
  };
}

/**
 * pairsAcc(M, w, z, leafLo, qEnd): subdiagGrad.ts's leaf pair sums for one row,
 * M[q·16 + d] += w[q]·z[d] for d ≤ q − leafLo[q] (i32), q < qEnd (≥ 1), rows of 16 doubles. Pairs
 * of d: an even q − leafLo[q] also adds d + 1 ≤ 15, inside the row and never read.
 */
function pairsAccFn(): WasmFn {
  const [M, w, z, leafLo, qEnd, q, o, end, wq] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  return {
    name: 'pairsAcc', params: [I32, I32, I32, I32, I32], locals: [[3, I32], [1, V128]],
    body: whileLt(q, qEnd, [
      ...get(w), ...f64Load(), ...vSplat, ...set(wq), ...bump(w, 8),
      ...get(q), ...get(leafLo), ...i32Load(), ...sub, ...i32(1), ...[0x76] /* shr_u */, ...i32(1), ...add, ...i32(4), ...[0x74] /* shl */, ...set(end),
      ...i32(0), ...set(o),
      ...whileLt(o, end, [...addr(M, o), ...addr(M, o), ...vLoad(), ...get(wq), ...addr(z, o), ...vLoad(), ...vMul, ...vAdd, ...vStore(), ...bump(o, 16)]),
      ...bump(M, 128), ...bump(leafLo, 4), ...bump(q, 1),
    ]),
  };
}

/**
 * rightHalf(w, L, s, q, dS, cnt): subdiagGrad.ts rightHalfGrads for one block, l = hi−2 down to
 * mid (cnt = hi − 1 − mid ≥ 1 steps), pointers at the first step's operands: w[l+1], L[l+1−lo],
 * s[l+1], q[l−mid], dS[l]; Z = (s[l+1]·Z or 0) + w[l+1]·L[l+1−lo], dS[l] += q[l−mid]·Z.
 */
function rightHalfFn(): WasmFn {
  const [w, L, sp, q, dS, cnt, i, Z] = [0, 1, 2, 3, 4, 5, 6, 7];
  const down = [...bump(w, -8), ...bump(L, -8), ...bump(sp, -8), ...bump(q, -8), ...bump(dS, -8)];
  const addToDs = [...get(dS), ...get(dS), ...f64Load(), ...get(q), ...f64Load(), ...get(Z), ...fMul, ...fAdd, ...f64Store()];
  return {
    name: 'rightHalf', params: [I32, I32, I32, I32, I32, I32], locals: [[1, I32], [1, F64]],
    body: [
      ...f64(0), ...get(w), ...f64Load(), ...get(L), ...f64Load(), ...fMul, ...fAdd, ...set(Z),
      ...addToDs,
      ...i32(1), ...set(i),
      ...block([
        ...get(cnt), ...i32(1), ...[0x4d] /* le_u */, ...brIf(0),
        ...whileLt(i, cnt, [
          ...down,
          ...get(sp), ...f64Load(), ...get(Z), ...fMul, ...get(w), ...f64Load(), ...get(L), ...f64Load(), ...fMul, ...fAdd, ...set(Z),
          ...addToDs,
          ...bump(i, 1),
        ]),
      ]),
    ],
  };
}

const FUNCTIONS: WasmFn[] = [
  swapFn(), radix2Fn(), r4q1Fn(), r4Fn(), packFn(), mergeFn(), unpackFn(),
  cmulFn(false), cmulFn(true), elementwiseFn('muladd'), elementwiseFn('mul'), elementwiseFn('add'),
  twistFn(), untwistFn(), permuteFn(), dotFn(), leavesFwdFn(), leavesTFn(), pairsAccFn(), rightHalfFn(),
  // New functions go last: the indices above (DOT) stay put.
  unpackRevFn(), foldFn(), radix2vFn(), splitvFn(), mergevFn(), unpackvFn(false), unpackvFn(true), twistvFn(false), twistvFn(true),
  untwistvFn(false), untwistvFn(true),
];
if (FUNCTIONS[DOT].name !== 'dot') throw new Error('fftWasmModule: dot is not at its index');

/** The module's bytes: memory "memory" and one export per function above. */
export function fftWasmBytes(): Uint8Array {
  const types = FUNCTIONS.map((f) => [0x60, ...vec(f.params.map((p) => [p])), ...(f.result ? [1, f.result] : [0])]);
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(3, vec(FUNCTIONS.map((_, i) => uleb(i)))),
    ...section(5, vec([[0x00, 1]])), // memory: min 1 page, grown on demand
    ...section(7, vec([[...name('memory'), 0x02, 0], ...FUNCTIONS.map((f, i) => [...name(f.name), 0x00, ...uleb(i)])])),
    ...section(10, vec(FUNCTIONS.map((f) => code(f.locals, f.body)))),
  ];
  return Uint8Array.from(bytes);
}

