// Krylov rows and their adjoint with the WebAssembly SIMD loops of krylovWasmModule.ts:
// the same maths as krylovKernels.ts (the JS reference); at n = 1024 the rows are built ~15x
// and the backward runs ~4x faster than in JS. Every operator is
// handled as a tridiagonal (zero coefficients where it has none); corners are applied here.
//
// Two bindings of the same loops:
//   own memory   the module's memory is scratch space laid out afresh by every call, so nothing
//                survives between calls: the forward returns a view the caller copies at once,
//                and the backward recomputes the rows it needs (cheaper than keeping a copy);
//   heap         (the wasm backend, n a multiple of 4) the module imports the backend's heap and
//                works on tensors where they lie: the forward writes the rows straight into the
//                output tensor, the backward reads the saved rows and ∂K in place, with only a
//                small scratch tensor of its own. Same loops, same order: bit-identical results,
//                minus two n²-float copies and one rebuild of the rows per operator and step.
import { krylovWasmBytes } from './krylovWasmModule';
import { instantiateOrNull } from '../../util/wasmBytes';
import { asTridiagonal, type OperatorCoeffs, type OperatorGrads } from '../operators';

interface Loops {
  step(srcM4: number, dst: number, cs: number, cd: number, ct: number, nbytes: number): void;
  adjoint(
    u: number, dk: number, lamM4: number, next: number,
    cs2: number, cd: number, ct2: number, gs: number, gd: number, gt: number, nbytes: number,
  ): void;
}
interface Exports extends Loops {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
}

let instance: Exports | null | undefined;

/** The compiled module, or null where WebAssembly SIMD is unavailable. */
function wasm(): Exports | null {
  if (instance === undefined) {
    instance = instantiateOrNull<Exports>(krylovWasmBytes());
  }
  return instance;
}

export function simdAvailable(): boolean {
  return wasm() !== null;
}

/**
 * Float offsets of every buffer in the module's memory for one call (16-byte aligned, each
 * with a zero guard before it and slack after it for lane overruns). Small buffers are
 * zeroed; the two large ones are fully written before they are read, so only their
 * guards and slack are.
 */
class Layout {
  readonly nv: number; // vectors per row
  readonly pad: number; // floats per padded row buffer
  private top = 0;
  private readonly large: [number, number][] = [];
  constructor(readonly n: number) {
    this.nv = Math.ceil(n / 4);
    this.pad = 4 * this.nv + 4;
  }
  /** Reserve `floats` floats; returns the start offset (in floats). */
  take(floats: number, large = false): number {
    const start = this.top + 4;
    this.top = start + Math.ceil((floats + 8) / 4) * 4;
    if (large) this.large.push([start, floats]);
    return start;
  }
  /** Floats taken so far (from float 0). */
  extent(): number {
    return this.top + 16;
  }
  /** Grow the memory to fit, zero what must read as zero, and return a view. */
  memory(ex: Exports): Float32Array {
    const bytes = this.top * 4 + 64;
    const have = ex.memory.buffer.byteLength;
    if (bytes > have) ex.memory.grow(Math.ceil((bytes - have) / 65536));
    const mem = new Float32Array(ex.memory.buffer);
    const firstLarge = this.large.length ? this.large[0][0] - 4 : this.top + 16;
    mem.fill(0, 0, firstLarge);
    for (const [start, floats] of this.large) {
      mem.fill(0, start - 4, start);
      mem.fill(0, start + floats, start + floats + 12);
    }
    return mem;
  }
}

/** All r blocks of rows at float offset K (row i·n + k = A^k v_i); coefficients already in memory. */
function fillRows(
  ex: Loops, mem: Float32Array, L: Layout, co: { ur: number; ll: number },
  V: ArrayLike<number>, r: number, K: number, cs: number, cd: number, ct: number,
): void {
  const n = L.n;
  for (let i = 0; i < r; i++) {
    const base = K + i * n * n;
    for (let j = 0; j < n; j++) mem[base + j] = V[i * n + j];
    for (let k = 1; k < n; k++) {
      const src = base + (k - 1) * n;
      const dst = src + n;
      ex.step(4 * (src - 1), 4 * dst, 4 * cs, 4 * cd, 4 * ct, 16 * L.nv);
      // The step overran the row (n not a multiple of 4) into the next one, which is
      // written later; corners by hand.
      if (co.ur !== 0) mem[dst] += co.ur * mem[src + n - 1];
      if (co.ll !== 0) mem[dst + n - 1] += co.ll * mem[src];
    }
  }
}

/**
 * (r·n)×n Krylov rows (row i·n + k = A^k v_i) as a view into scratch memory: valid only
 * until the next call into this module, so copy it (tf.tensor2d on wasm copies).
 */
export function krylovRowsSimd(op: OperatorCoeffs, V: ArrayLike<number>, r: number): Float32Array {
  const ex = wasm();
  if (!ex) throw new Error('WebAssembly SIMD is not available');
  const n = op.n;
  const L = new Layout(n);
  const [cs, cd, ct] = [L.take(L.pad), L.take(L.pad), L.take(L.pad)];
  const K = L.take(r * n * n, true);
  const mem = L.memory(ex);
  const co = asTridiagonal(op, n);
  mem.set(co.s, cs + 1); // cs[j] = s[j−1]
  mem.set(co.d, cd);
  mem.set(co.t, ct); // ct[j] = t[j], 0 at n−1
  fillRows(ex, mem, L, co, V, r, K, cs, cd, ct);
  return mem.subarray(K, K + r * n * n);
}

/** Float offsets of the small per-call buffers (coefficients, λ, gradient accumulators). */
interface SmallBuffers {
  cs: number; cd: number; ct: number; cs2: number; ct2: number;
  gs: number; gd: number; gt: number; lam: number; next: number;
}

function takeSmall(L: Layout): SmallBuffers {
  const [cs, cd, ct, cs2, ct2] = [L.take(L.pad), L.take(L.pad), L.take(L.pad), L.take(L.pad), L.take(L.pad)];
  const [gs, gd, gt] = [L.take(L.pad), L.take(L.pad), L.take(L.pad)];
  const [lam, next] = [L.take(L.pad), L.take(L.pad)];
  return { cs, cd, ct, cs2, ct2, gs, gd, gt, lam, next };
}

/** Coefficients into their (zeroed) buffers, in the layouts the two loops read. */
function setCoefficients(mem: Float32Array, b: SmallBuffers, co: ReturnType<typeof asTridiagonal>): void {
  mem.set(co.s, b.cs + 1); // cs[j] = s[j−1]
  mem.set(co.d, b.cd);
  mem.set(co.t, b.ct); // ct[j] = t[j], 0 at n−1
  mem.set(co.s, b.cs2); // cs2[j] = s[j], 0 at n−1
  mem.set(co.t, b.ct2 + 1); // ct2[j] = t[j−1], 0 at 0
}

/** The adjoint recursion over rows K and ∂K = D (float offsets in `mem`), accumulators zeroed. */
function adjointRows(
  ex: Loops, mem: Float32Array, L: Layout, op: OperatorCoeffs, co: ReturnType<typeof asTridiagonal>,
  b: SmallBuffers, r: number, K: number, D: number,
): { dV: Float32Array; grads: OperatorGrads } {
  const n = L.n;
  const { cs2, cd, ct2, gs, gd, gt } = b;
  let { lam, next } = b;
  let gUr = 0;
  let gLl = 0;
  const dV = new Float32Array(r * n);
  const tail = 4 * L.nv + 4; // next[n .. tail) must read as 0 (λ[n] = 0 and the lane overrun)
  for (let i = 0; i < r; i++) {
    const base = i * n * n;
    mem.copyWithin(lam, D + base + (n - 1) * n, D + base + n * n);
    mem.fill(0, lam + n, lam + tail);
    for (let k = n - 2; k >= 0; k--) {
      const u = K + base + k * n;
      ex.adjoint(4 * u, 4 * (D + base + k * n), 4 * (lam - 1), 4 * next, 4 * cs2, 4 * cd, 4 * ct2, 4 * gs, 4 * gd, 4 * gt, 16 * L.nv);
      mem.fill(0, next + n, next + tail);
      if (co.ur !== 0) mem[next + n - 1] += co.ur * mem[lam];
      if (co.ll !== 0) mem[next] += co.ll * mem[lam + n - 1];
      gUr += mem[u + n - 1] * mem[lam];
      gLl += mem[u] * mem[lam + n - 1];
      const t = lam;
      lam = next;
      next = t;
    }
    dV.set(mem.subarray(lam, lam + n), i * n);
  }
  // Report only the parameters the operator has (the others were computed for free).
  const has = { sub: op.kind === 'subdiagonal' || op.kind === 'tridiagonal', tri: op.kind === 'tridiagonal' };
  const grads: OperatorGrads = {
    subdiag: has.sub ? Float64Array.from(mem.subarray(gs, gs + n - 1)) : new Float64Array(n - 1),
    diag: has.tri || op.kind === 'diagonal' ? Float64Array.from(mem.subarray(gd, gd + n)) : new Float64Array(n),
    superdiag: has.tri ? Float64Array.from(mem.subarray(gt, gt + n - 1)) : new Float64Array(n - 1),
    upperRight: has.sub ? gUr : 0,
    lowerLeft: has.tri ? gLl : 0,
  };
  return { dV, grads };
}

/** Backward of krylovRowsSimd: ∂L/∂V (r×n) and ∂L/∂θ, for dK = ∂L/∂K in the rows layout. */
export function krylovRowsBackwardSimd(
  op: OperatorCoeffs,
  V: ArrayLike<number>,
  dK: Float32Array,
  r: number,
): { dV: Float32Array; grads: OperatorGrads } {
  const ex = wasm();
  if (!ex) throw new Error('WebAssembly SIMD is not available');
  const n = op.n;
  const L = new Layout(n);
  const b = takeSmall(L);
  const K = L.take(r * n * n, true);
  const D = L.take(r * n * n, true);
  const mem = L.memory(ex);
  const co = asTridiagonal(op, n);
  setCoefficients(mem, b, co);
  fillRows(ex, mem, L, co, V, r, K, b.cs, b.cd, b.ct);
  mem.set(dK, D);
  return adjointRows(ex, mem, L, op, co, b, r, K, D);
}

// ---- The heap binding -------------------------------------------------------------------------

/** The wasm backend's memory, as the module imports it. */
export interface HeapMemory {
  buffer: ArrayBuffer;
}

const heapInstances = new WeakMap<object, Loops | null>();

/** The loops bound to `memory` (the wasm backend's heap), or null where WebAssembly SIMD is missing. */
function heapLoops(memory: HeapMemory): Loops | null {
  let loops = heapInstances.get(memory);
  if (loops === undefined) {
    loops = instantiateOrNull<Loops>(krylovWasmBytes(true), { env: { memory } });
    heapInstances.set(memory, loops);
  }
  return loops;
}

/** Whether the heap binding serves size n on this memory (n a multiple of 4: no lane overruns). */
export function heapKernelsServe(memory: HeapMemory | undefined, n: number): memory is HeapMemory {
  return memory !== undefined && n % 4 === 0 && n >= 4 && heapLoops(memory) !== null;
}

/** Floats of scratch the heap binding needs for size n (at any float offset). */
export function heapScratchFloats(n: number): number {
  const L = new Layout(n);
  takeSmall(L);
  return L.extent() + 4; // + up to 3 floats to align the start to 16 bytes
}

/** The small buffers laid out in the scratch area at float offset `scratch`, zeroed. */
function heapSmall(mem: Float32Array, n: number, scratch: number): { L: Layout; b: SmallBuffers } {
  const L = new Layout(n);
  const b = takeSmall(L);
  const base = (scratch + 3) & ~3; // 16-byte aligned
  mem.fill(0, scratch, scratch + heapScratchFloats(n));
  for (const k of Object.keys(b) as (keyof SmallBuffers)[]) b[k] += base;
  return { L, b };
}

/**
 * Krylov rows written straight into the heap at float offset K (r·n·n floats, a tensor's data),
 * with the scratch area at float offset `scratch` (heapScratchFloats(n) floats). n % 4 = 0
 * (heapKernelsServe). No allocation may happen during the call (it would detach the views).
 */
export function krylovRowsInHeap(memory: HeapMemory, op: OperatorCoeffs, V: ArrayLike<number>, r: number, K: number, scratch: number): void {
  const ex = heapLoops(memory);
  if (!ex || op.n % 4 !== 0) throw new Error('krylovRowsInHeap: needs WebAssembly SIMD and n a multiple of 4');
  const n = op.n;
  const mem = new Float32Array(memory.buffer);
  const { L, b } = heapSmall(mem, n, scratch);
  const co = asTridiagonal(op, n);
  setCoefficients(mem, b, co);
  // The first step reads one float before row 0 (times the zero coefficient cs[0]): the word
  // before the tensor is the allocator's, so it reads as 0 for the call and is put back after.
  const before = mem[K - 1];
  mem[K - 1] = 0;
  try {
    fillRows(ex, mem, L, co, V, r, K, b.cs, b.cd, b.ct);
  } finally {
    mem[K - 1] = before;
  }
}

/**
 * Backward of krylovRowsInHeap from the rows at float offset K (as it wrote them) and ∂L/∂K at
 * float offset D, both read in place and left unchanged; scratch as for krylovRowsInHeap.
 */
export function krylovRowsBackwardInHeap(
  memory: HeapMemory, op: OperatorCoeffs, r: number, K: number, D: number, scratch: number,
): { dV: Float32Array; grads: OperatorGrads } {
  const ex = heapLoops(memory);
  if (!ex || op.n % 4 !== 0) throw new Error('krylovRowsBackwardInHeap: needs WebAssembly SIMD and n a multiple of 4');
  const n = op.n;
  const mem = new Float32Array(memory.buffer);
  const { L, b } = heapSmall(mem, n, scratch);
  const co = asTridiagonal(op, n);
  setCoefficients(mem, b, co);
  return adjointRows(ex, mem, L, op, co, b, r, K, D);
}
