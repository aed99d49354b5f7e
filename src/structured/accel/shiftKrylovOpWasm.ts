// shiftKrylovOp.ts's forward and backward loops in WebAssembly SIMD (fftWasmModule.ts), on data in
// the module's memory: the same transforms (foldedConvWasm.ts) and spectral products in the same
// order as the JS loops, so the same bits (test/fast/shiftKrylovOpWasm.test.ts).
//
// Memory: the spectra the backward reuses (generators, reversed rows of X, every u_{b,i}) stay in
// one region from the forward to the backward, which gives it back. A forward whose backward never
// comes is covered three ways: the caller releases at once when no gradient tape records the op,
// the region goes when the op's closures are garbage-collected, and the regions held at any time
// are capped (the oldest are dropped; a backward whose spectra were dropped recomputes them).
// Working buffers are taken and given back within each call.
import { alloc, fftWasmExports, mem, pairBytes, release, slotBytes, type WSpectrum } from './fftWasm';
import { foldedConvWasm, type WasmFoldedConv } from './foldedConvWasm';

export interface ShiftFftConfig {
  fA: number;
  fB: number;
  reverseOutput: boolean;
}

export interface ShiftFftGrads<T> {
  /** What emitDx made of dX; null unless asked for. */
  dX: T | null;
  dG: Float32Array;
  dH: Float32Array;
}

/** X, G, H as float32 (row-major), read at once (views that may go stale afterwards are fine). */
export type ShiftFftInputs = () => [X: Float32Array, G: Float32Array, H: Float32Array];

/** One call of the op: forward once, then at most a few backwards (each from the saved spectra). */
export interface ShiftFftWasmRun {
  /**
   * Y = X Mᵀ (rows × n, row-major), handed to `emit` as doubles in module memory (valid during
   * the call). `read` is kept: a backward whose spectra were dropped reads the inputs again.
   */
  forward<T>(read: ShiftFftInputs, emit: (y: Float64Array) => T): T;
  /**
   * The gradients for dY (read at once); dX only when `wantDx`, handed to `emitDx` as doubles in
   * module memory (valid during the call: a large fresh array would cost more than the copy).
   */
  backward<T>(dY: Float32Array, wantDx: boolean, emitDx: (dX: Float64Array) => T): ShiftFftGrads<T>;
  /** Gives the saved spectra back (a later backward recomputes them). */
  release(): void;
}

/** Saved regions held at once (bytes), beyond which the oldest are dropped. */
const HELD_CAP = 256 * 2 ** 20;

interface Hold {
  start: number;
  bytes: number;
  released: boolean;
}

const held = new Set<Hold>();
let heldBytes = 0;
const finalizer = new FinalizationRegistry<Hold>((h) => drop(h));

function drop(h: Hold): void {
  if (h.released) return;
  h.released = true;
  held.delete(h);
  heldBytes -= h.bytes;
  release(h.start);
}

/** A zeroed region of `bytes` tied to `owner` (released when it is collected), oldest dropped over the cap. */
function hold(owner: object, bytes: number): Hold {
  for (const old of held) {
    if (heldBytes + bytes <= HELD_CAP) break;
    finalizer.unregister(old);
    drop(old);
  }
  const h: Hold = { start: alloc(bytes), bytes, released: false };
  held.add(h);
  heldBytes += bytes;
  finalizer.register(owner, h, h);
  return h;
}

function unhold(h: Hold): void {
  finalizer.unregister(h);
  drop(h);
}

/** Module memory the saved regions hold now (bytes); tests check it returns to its level. */
export function shiftFftHeldBytes(): number {
  return heldBytes;
}

/** `count` spectra of `bins` bins laid out back to back from `base`: spectrum k at base + k·stride. */
class SpectrumRow {
  readonly stride: number;
  readonly half: number;
  constructor(
    readonly base: number,
    readonly bins: number,
  ) {
    this.half = slotBytes(bins);
    this.stride = 2 * this.half;
  }
  static bytes(bins: number, count: number): number {
    return 2 * slotBytes(bins) * count;
  }
  /** Points `s` at spectrum k (a reused cursor: no object per row). */
  at(k: number, s: WSpectrum): WSpectrum {
    s.re = this.base + k * this.stride;
    s.im = s.re + this.half;
    s.len = this.bins;
    return s;
  }
}

const cursor = (): WSpectrum => ({ re: 0, im: 0, len: 0 });

/** Zeroes a spectrum and its slack. */
function zeroSpectrum(s: WSpectrum): void {
  const v = mem();
  const w = pairBytes(s.len) / 8;
  v.fill(0, s.re / 8, s.re / 8 + w);
  v.fill(0, s.im / 8, s.im / 8 + w);
}

/** Null without WebAssembly SIMD. */
export function shiftFftWasm(rows: number, n: number, r: number, cfg: ShiftFftConfig): ShiftFftWasmRun | null {
  const e = fftWasmExports();
  const ca = foldedConvWasm(n, cfg.fA);
  const cb = foldedConvWasm(n, cfg.fB);
  if (!e || !ca || !cb) return null;
  const bA = pairBytes(ca.bins);
  const bB = pairBytes(cb.bins);
  let inputs: ShiftFftInputs | null = null;

  // Saved: g_i (A side), h_i (B side), reversed x_b (B side), u_{b,i} (A side, k = b·r + i).
  interface Saved {
    hold: Hold;
    g: SpectrumRow;
    h: SpectrumRow;
    x: SpectrumRow;
    u: SpectrumRow;
  }
  let saved: Saved | null = null;

  /** Fills the saved spectra from the inputs; writes Y into outPtr when given. */
  const computeSpectra = (outPtr: number | null): Saved => {
    const owner = {} as Saved;
    const sizes = [SpectrumRow.bytes(ca.bins, r), SpectrumRow.bytes(cb.bins, r), SpectrumRow.bytes(cb.bins, rows), SpectrumRow.bytes(ca.bins, rows * r)];
    const hd = hold(owner, sizes.reduce((a, b) => a + b, 0));
    let p = hd.start;
    const next = (bins: number, k: number) => {
      const row = new SpectrumRow(p, bins);
      p += sizes[k];
      return row;
    };
    Object.assign(owner, { hold: hd, g: next(ca.bins, 0), h: next(cb.bins, 1), x: next(cb.bins, 2), u: next(ca.bins, 3) });
    const s = owner;
    // Working buffers: the inputs as doubles, one row, a B-side product and the A-side sum.
    const inBytes = slotBytes((rows + 2 * r) * n);
    const work = alloc(inBytes + slotBytes(n) + SpectrumRow.bytes(cb.bins, 1) + SpectrumRow.bytes(ca.bins, 1));
    try {
      const inp = work;
      const buf = inp + inBytes;
      const tb = new SpectrumRow(buf + slotBytes(n), cb.bins).at(0, cursor());
      const acc = new SpectrumRow(tb.re + 2 * slotBytes(cb.bins), ca.bins).at(0, cursor());
      const [cx, ch, cu, cg] = [cursor(), cursor(), cursor(), cursor()];
      // Every allocation is done: the inputs are read now, into doubles (exact).
      const [X, G, H] = inputs!();
      const v = mem();
      v.set(G, inp / 8);
      v.set(H, inp / 8 + r * n);
      v.set(X, inp / 8 + 2 * r * n);
      const spectraOf = (conv: WasmFoldedConv, from: number, row: SpectrumRow) => {
        for (let i = 0; i < r; i++) conv.forward(from + 8 * i * n, row.at(i, cg));
      };
      spectraOf(ca, inp, s.g);
      spectraOf(cb, inp + 8 * r * n, s.h);
      const xs = inp + 16 * r * n;
      for (let b = 0; b < rows; b++) {
        const xr = s.x.at(b, cx);
        cb.forward(xs + 8 * b * n, xr, true);
        zeroSpectrum(acc);
        for (let i = 0; i < r; i++) {
          // u_i = K(Z_fB, h_i)ᵀ x
          const h = s.h.at(i, ch);
          e.cmul(xr.re, xr.im, h.re, h.im, tb.re, tb.im, bB);
          cb.inverse(tb, buf, true);
          const u = s.u.at(b * r + i, cu);
          ca.forward(buf, u);
          const g = s.g.at(i, cg);
          e.cmuladd(acc.re, acc.im, g.re, g.im, u.re, u.im, bA);
        }
        if (outPtr !== null) ca.inverse(acc, outPtr + 8 * b * n, cfg.reverseOutput);
      }
    } finally {
      release(work);
    }
    return s;
  };

  return {
    forward(read, emit) {
      inputs = read;
      if (saved) unhold(saved.hold);
      const out = alloc(8 * rows * n);
      try {
        saved = computeSpectra(out);
        return emit(mem().subarray(out / 8, out / 8 + rows * n));
      } finally {
        release(out);
      }
    },
    backward(dYf, wantDx, emitDx) {
      if (!inputs) throw new Error('shift-fft: backward before forward');
      if (!saved || saved.hold.released) saved = computeSpectra(null);
      const s = saved;
      const rowBytes = slotBytes(rows * n);
      const parts = [rowBytes, wantDx ? rowBytes : 0, slotBytes(n), slotBytes(r * n), slotBytes(r * n)];
      const specA = SpectrumRow.bytes(ca.bins, 1);
      const specB = SpectrumRow.bytes(cb.bins, 1);
      const fixed = parts.reduce((a, b) => a + b, 0);
      const work = alloc(fixed + SpectrumRow.bytes(ca.bins, r) + SpectrumRow.bytes(cb.bins, r) + 2 * specA + 2 * specB);
      try {
        const dY = work;
        const dX = dY + parts[0];
        const buf = dX + parts[1];
        const outG = buf + parts[2];
        const outH = outG + parts[3];
        const dGacc = new SpectrumRow(work + fixed, ca.bins);
        const dHacc = new SpectrumRow(dGacc.base + SpectrumRow.bytes(ca.bins, r), cb.bins);
        let p = dHacc.base + SpectrumRow.bytes(cb.bins, r);
        const ta = new SpectrumRow(p, ca.bins).at(0, cursor());
        const dyr = new SpectrumRow((p += specA), ca.bins).at(0, cursor());
        const du = new SpectrumRow((p += specA), cb.bins).at(0, cursor());
        const dxAcc = new SpectrumRow((p += specB), cb.bins).at(0, cursor());
        const [c1, c2, cu] = [cursor(), cursor(), cursor()];
        mem().set(dYf, dY / 8);
        for (let b = 0; b < rows; b++) {
          // reverse(dy) of the un-reversed product: Hankel's J is its own transpose.
          ca.forward(dY + 8 * b * n, dyr, !cfg.reverseOutput);
          if (wantDx) zeroSpectrum(dxAcc);
          const xb = s.x.at(b, c2);
          for (let i = 0; i < r; i++) {
            const dg = dGacc.at(i, c1);
            const u = s.u.at(b * r + i, cu);
            e.cmuladd(dg.re, dg.im, dyr.re, dyr.im, u.re, u.im, bA);
            // du_i = K(Z_fA, g_i)ᵀ dy
            const g = s.g.at(i, c1);
            e.cmul(dyr.re, dyr.im, g.re, g.im, ta.re, ta.im, bA);
            ca.inverse(ta, buf, true);
            cb.forward(buf, du);
            const dh = dHacc.at(i, c1);
            e.cmuladd(dh.re, dh.im, xb.re, xb.im, du.re, du.im, bB);
            if (wantDx) {
              const h = s.h.at(i, c1);
              e.cmuladd(dxAcc.re, dxAcc.im, h.re, h.im, du.re, du.im, bB);
            }
          }
          if (wantDx) cb.inverse(dxAcc, dX + 8 * b * n);
        }
        for (let i = 0; i < r; i++) {
          ca.inverse(dGacc.at(i, c1), outG + 8 * i * n, true);
          cb.inverse(dHacc.at(i, c1), outH + 8 * i * n, true);
        }
        const v = mem();
        const f32 = (ptr: number, len: number) => {
          const a = new Float32Array(len);
          a.set(v.subarray(ptr / 8, ptr / 8 + len));
          return a;
        };
        const dG = f32(outG, r * n);
        const dH = f32(outH, r * n);
        return { dX: wantDx ? emitDx(v.subarray(dX / 8, dX / 8 + rows * n)) : null, dG, dH };
      } finally {
        release(work);
      }
    },
    release() {
      if (saved) unhold(saved.hold);
      saved = null;
    },
  };
}
