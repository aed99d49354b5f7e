// One forward and backward of the LDR-SD training op (subdiagKrylovOp.ts) on the WebAssembly
// engine without corners, with everything a row needs kept in module memory:
//   forward   X (float64), u = K(B, h_i)ᵀ x and y = Σ_i K(A, g_i) u_i, the product plans built
//             once for the step;
//   backward  du = K(A, g_i)ᵀ dy, dx = Σ_i K(B, h_i) du_i, and the gradient plans, which read
//             X and u where the forward left them.
// The product A·u of the forward also leaves, per row, the spectra of the u_i and each block's
// inverse transform: the A gradient needs exactly these again (subdiagGradWasm.ts
// accumulateFrom), so it skips half its transforms. Same operations on the same data as the
// per-row plans, so the same bits (test/fast/subdiagStepWasm.test.ts).
//
// Module memory: a step holds its plans and rows from its forward to the end of its backward.
// A forward without a tape (evaluation) frees them at once. Steps whose backward never comes
// are bounded: past HELD_STEPS or HELD_BYTES held, the oldest are freed (a backward that still
// comes builds its step again from the op's inputs, with the same bits).
import { Arena, mem, releaseWith, slotBytes } from './fftWasm';
import { planSubdiagKrylovSumWasm, type WasmKrylovSumPlan } from './productsWasm';
import type { SubdiagGrads } from './subdiagGrad';
import { planSubdiagGradWasm, type WasmSubdiagGradPlan } from './subdiagGradWasm';

/** Steps held at once between forward and backward, and their bytes in all. */
const HELD_STEPS = 8;
const HELD_BYTES = 256 << 20;
/** Above this many bytes per step the forward keeps no per-row spectra (the A gradient recomputes them). */
const KEEP_BYTES = 64 << 20;

interface Holdable {
  dispose(): void;
}
/** What is held, with its bytes. */
const held = new Map<Holdable, number>();
let heldBytes = 0;

/**
 * Keeps `what` (a step, or plans) for its backward, which disposes it; frees the oldest held
 * ones past the bounds (their backward builds them again). `bytes`: its module memory.
 */
export function holdForBackward(what: Holdable & { bytes?: number }, bytes = what.bytes ?? 0): void {
  held.set(what, bytes);
  heldBytes += bytes;
  for (const old of held.keys()) {
    if (held.size <= HELD_STEPS && heldBytes <= HELD_BYTES) break;
    if (old !== what) old.dispose();
  }
}

/** Every held thing's dispose() calls this. */
export function unhold(what: Holdable): void {
  const bytes = held.get(what);
  if (bytes === undefined) return;
  held.delete(what);
  heldBytes -= bytes;
}

export class WasmSubdiagStep implements Holdable {
  private readonly prodA: WasmKrylovSumPlan;
  private readonly prodB: WasmKrylovSumPlan;
  private gradA: WasmSubdiagGradPlan | null = null;
  private gradB: WasmSubdiagGradPlan | null = null;
  /** Row b of X, u_{b,i}, the A product's leftovers, and the backward's dy and B leftovers. */
  private X = 0;
  private U = 0;
  private kept = 0;
  private keptRow = 0;
  private dy = 0;
  private keptB = 0;
  private rowBytes: number;
  private free: () => void = () => undefined;
  /** Its module memory (rows; the plans' own come on top). */
  readonly bytes: number;
  disposed = false;

  constructor(
    private readonly n: number,
    private readonly r: number,
    private readonly rows: number,
    private readonly sA: ArrayLike<number>,
    private readonly gs: ArrayLike<number>[],
    private readonly sB: ArrayLike<number>,
    private readonly hs: ArrayLike<number>[],
  ) {
    this.prodA = planSubdiagKrylovSumWasm(sA, gs)!;
    this.prodB = planSubdiagKrylovSumWasm(sB, hs)!;
    this.rowBytes = slotBytes(n);
    const keepRow = this.prodA.cache.rowBytes;
    const keep = rows * keepRow <= KEEP_BYTES;
    this.keptRow = keep ? keepRow : 0;
    const arena = new Arena();
    // Rows rowBytes apart: each keeps an Arena part's zeroed slack after its n doubles.
    arena.take((rows * this.rowBytes) / 8, (p) => (this.X = p));
    arena.take((rows * r * this.rowBytes) / 8, (p) => (this.U = p));
    arena.take(n, (p) => (this.dy = p));
    if (keep) arena.take((rows * keepRow) / 8, (p) => (this.kept = p));
    arena.take(this.prodB.cache.rowBytes / 8, (p) => (this.keptB = p));
    this.bytes = arena.bytes;
    this.free = releaseWith(this, arena.commit());
    this.uRows = Array.from({ length: rows }, (_, b) => Array.from({ length: r }, (_, i) => this.U + (b * r + i) * this.rowBytes));
  }

  private xAt = (b: number) => this.X + b * this.rowBytes;
  /** Per row, the byte offsets of its u_i (arrays made once: the plans take them per row). */
  private uRows: number[][] = [];
  private uAt = (b: number) => this.uRows[b];

  /** Y = X Mᵀ into out (rows × n, float32), x rows × n. */
  forward(x: Float32Array, out: Float32Array): void {
    const { n, r } = this;
    for (let b = 0; b < this.rows; b++) {
      const xb = this.xAt(b);
      mem().set(x.subarray(b * n, (b + 1) * n), xb / 8);
      const us = this.prodB.mulTAllFrom(xb);
      const ub = this.uAt(b);
      const v = mem();
      for (let i = 0; i < r; i++) v.copyWithin(ub[i] / 8, us[i] / 8, us[i] / 8 + n);
      const y = this.prodA.mulSumPtrs(ub, this.keptRow ? this.kept + b * this.keptRow : undefined) / 8;
      out.set(mem().subarray(y, y + n), b * n);
    }
  }

  /** The gradients for dY (rows × n); dX (rows × n) when given. */
  backward(dY: Float32Array, dX: Float32Array | null): { a: SubdiagGrads; b: SubdiagGrads } {
    const { n } = this;
    this.gradA ??= planSubdiagGradWasm(this.sA, this.gs)!;
    this.gradB ??= planSubdiagGradWasm(this.sB, this.hs)!;
    const gradA = this.gradA;
    const gradB = this.gradB;
    gradA.linkProduct(this.prodA.cache);
    gradB.linkProduct(this.prodB.cache);
    for (let b = 0; b < this.rows; b++) {
      mem().set(dY.subarray(b * n, (b + 1) * n), this.dy / 8);
      const du = this.prodA.mulTAllFrom(this.dy);
      if (dX) {
        const y = this.prodB.mulSumPtrs(du, this.keptB) / 8;
        dX.set(mem().subarray(y, y + n), b * n);
      }
      gradA.accumulateFrom(this.dy, this.uAt(b), this.keptRow ? this.kept + b * this.keptRow : undefined);
      gradB.accumulateFrom(this.xAt(b), du, dX ? this.keptB : undefined);
    }
    return { a: gradA.take(), b: gradB.take() };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    unhold(this);
    this.prodA.dispose();
    this.prodB.dispose();
    this.gradA?.dispose();
    this.gradB?.dispose();
    this.free();
  }
}
