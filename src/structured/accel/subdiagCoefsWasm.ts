// The coefficient loops of a subdiagonal product plan (subdiagKrylov.ts: the blocks' a_g and q, the
// leaves' direct-sum coefficients in both directions) in WebAssembly, on the memory of
// fftWasmModule.ts (imported). They are running products of the subdiagonal: scalar f64
// multiplications in the JS loops' order, so the same bits (test/fast/subdiagCoefsWasm.test.ts).
// A plan is built per operator per training step, and in JS these loops were most of its cost.
import {
  block, brIf, bump, code, F64, f64Const as f64c, f64Load, f64Mul as fMul, f64Store, I32, i32Add as add, i32Const as i32c, i32GeS as geS, i32GtS as gtS,
  i32Load, i32LtS as ltS, i32Shl as shl, i32Sub as sub, ifThen, instantiateOrNull, localGet as get, localSet as set, loop, name, section, uleb, vec,
  type WasmFn,
} from '../../util/wasmBytes';
import { fftWasmExports } from './fftWasm';

/** Address base + 8·index (locals). */
const at = (base: number, index: number) => [...get(base), ...get(index), ...i32c(3), ...shl, ...add];
/** while (a < b) { body } with signed compares, checked first. */
const whileLtS = (a: number, b: number, body: number[]) => block([...get(a), ...get(b), ...geS, ...brIf(0), ...loop([...body, ...get(a), ...get(b), ...ltS, ...brIf(0)])]);

/** blockA(g, s, lo, mid, out): p = 1; for i = mid−1 down to lo: p = p·s[i], out[i−lo] = g[i]·p. */
function blockAFn(): WasmFn {
  const [g, s, lo, mid, out, i, p] = [0, 1, 2, 3, 4, 5, 6];
  return {
    name: 'blockA', params: [I32, I32, I32, I32, I32], locals: [[1, I32], [1, F64]],
    body: [
      ...f64c(1), ...set(p),
      ...get(mid), ...i32c(1), ...sub, ...set(i),
      ...block([
        ...get(i), ...get(lo), ...ltS, ...brIf(0),
        ...loop([
          ...get(p), ...at(s, i), ...f64Load(), ...fMul, ...set(p),
          ...get(out), ...get(i), ...get(lo), ...sub, ...i32c(3), ...shl, ...add, ...at(g, i), ...f64Load(), ...get(p), ...fMul, ...f64Store(),
          ...bump(i, -1),
          ...get(i), ...get(lo), ...geS, ...brIf(0),
        ]),
      ]),
    ],
  };
}

/** blockQ(s, mid, hi, out): c = 1; for j = mid … hi−1: out[j−mid] = c, then c = c·s[j] when j < hi − 1. */
function blockQFn(): WasmFn {
  const [s, mid, hi, out, j, last, c] = [0, 1, 2, 3, 4, 5, 6];
  return {
    name: 'blockQ', params: [I32, I32, I32, I32], locals: [[2, I32], [1, F64]],
    body: [
      ...f64c(1), ...set(c),
      ...get(hi), ...i32c(1), ...sub, ...set(last),
      ...get(mid), ...set(j),
      ...whileLtS(j, hi, [
        ...get(out), ...get(c), ...f64Store(), ...bump(out, 8),
        ...get(j), ...get(last), ...ltS, ...ifThen([...get(c), ...at(s, j), ...f64Load(), ...fMul, ...set(c)]),
        ...bump(j, 1),
      ]),
    ],
  };
}

/**
 * leafCoefsF(leaves, leavesEnd, g, s, out): forwardLeafCoefs for one generator: per leaf (lo, hi)
 * (i32 pairs) and j ∈ [lo, hi): p = 1; for i = j down to lo: out[idx++] = g[i]·p, then
 * p = p·s[i−1] when i > lo.
 */
function leafCoefsFFn(): WasmFn {
  const [leaves, end, g, s, out, lo, hi, j, i, p] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  return {
    name: 'leafCoefsF', params: [I32, I32, I32, I32, I32], locals: [[4, I32], [1, F64]],
    body: whileLtS(leaves, end, [
      ...get(leaves), ...i32Load(0), ...set(lo), ...get(leaves), ...i32Load(4), ...set(hi),
      ...get(lo), ...set(j),
      ...whileLtS(j, hi, [
        ...f64c(1), ...set(p),
        ...get(j), ...set(i),
        ...loop([
          ...get(out), ...at(g, i), ...f64Load(), ...get(p), ...fMul, ...f64Store(), ...bump(out, 8),
          ...get(i), ...get(lo), ...gtS, ...ifThen([...get(p), ...get(s), ...get(i), ...i32c(1), ...sub, ...i32c(3), ...shl, ...add, ...f64Load(), ...fMul, ...set(p)]),
          ...bump(i, -1),
          ...get(i), ...get(lo), ...geS, ...brIf(0),
        ]),
        ...bump(j, 1),
      ]),
      ...bump(leaves, 8),
    ]),
  };
}

/**
 * leafCoefsT(leaves, leavesEnd, g, s, out, row): transposedLeafCoefs for one generator: per leaf,
 * row = g[lo … hi); for d = 0 … hi−lo−1: (d > 0) row[i−lo] = row[i−lo]·s[i+d−1] for i + d < hi,
 * then out[idx++] = row[i−lo] for i + d < hi.
 */
function leafCoefsTFn(): WasmFn {
  const [leaves, end, g, s, out, row, lo, hi, d, i, m, pr] = Array.from({ length: 12 }, (_, k) => k);
  return {
    name: 'leafCoefsT', params: [I32, I32, I32, I32, I32, I32], locals: [[6, I32]],
    body: whileLtS(leaves, end, [
      ...get(leaves), ...i32Load(0), ...set(lo), ...get(leaves), ...i32Load(4), ...set(hi),
      ...get(lo), ...set(i),
      ...whileLtS(i, hi, [
        ...get(row), ...get(i), ...get(lo), ...sub, ...i32c(3), ...shl, ...add, ...at(g, i), ...f64Load(), ...f64Store(),
        ...bump(i, 1),
      ]),
      ...i32c(0), ...set(d),
      // m = hi − d: i runs over [lo, m)
      ...get(hi), ...set(m),
      ...whileLtS(lo, m, [
        ...get(d), ...ifThen([
          ...get(lo), ...set(i), ...get(row), ...set(pr),
          ...whileLtS(i, m, [
            ...get(pr), ...get(pr), ...f64Load(), ...get(s), ...get(i), ...get(d), ...add, ...i32c(1), ...sub, ...i32c(3), ...shl, ...add, ...f64Load(), ...fMul, ...f64Store(),
            ...bump(pr, 8), ...bump(i, 1),
          ]),
        ]),
        ...get(lo), ...set(i), ...get(row), ...set(pr),
        ...whileLtS(i, m, [
          ...get(out), ...get(pr), ...f64Load(), ...f64Store(), ...bump(out, 8),
          ...bump(pr, 8), ...bump(i, 1),
        ]),
        ...bump(d, 1), ...bump(m, -1),
      ]),
      ...bump(leaves, 8),
    ]),
  };
}

const FUNCTIONS: WasmFn[] = [blockAFn(), blockQFn(), leafCoefsFFn(), leafCoefsTFn()];

export function subdiagCoefsWasmBytes(): Uint8Array {
  const types = FUNCTIONS.map((f) => [0x60, ...vec(f.params.map((p) => [p])), 0]);
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([[...name('m'), ...name('memory'), 0x02, 0x00, 1]])),
    ...section(3, vec(FUNCTIONS.map((_, i) => uleb(i)))),
    ...section(7, vec(FUNCTIONS.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(FUNCTIONS.map((f) => code(f.locals, f.body)))),
  ]);
}

export interface SubdiagCoefsWasm {
  blockA(g: number, s: number, lo: number, mid: number, out: number): void;
  blockQ(s: number, mid: number, hi: number, out: number): void;
  leafCoefsF(leaves: number, leavesEnd: number, g: number, s: number, out: number): void;
  leafCoefsT(leaves: number, leavesEnd: number, g: number, s: number, out: number, row: number): void;
}

let instance: SubdiagCoefsWasm | null | undefined;
/** The module on fftWasmModule.ts's memory, or null without it. */
export function subdiagCoefsWasm(): SubdiagCoefsWasm | null {
  if (instance === undefined) {
    const base = fftWasmExports();
    instance = base ? instantiateOrNull<SubdiagCoefsWasm>(subdiagCoefsWasmBytes(), { m: { memory: base.memory } }) : null;
  }
  return instance;
}
