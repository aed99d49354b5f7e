// A tiny WebAssembly module (SIMD, f32x4) with the two inner loops of the Krylov kernels for a
// general tridiagonal operator; shift, subdiagonal and diagonal operators are tridiagonals with
// zero coefficients. Assembled here byte by byte so the project needs no wasm toolchain.
//
// step(srcM4, dst, cs, cd, ct, nbytes):             for every lane j (4 at a time)
//   dst[j] = cs[j]·src[j−1] + cd[j]·src[j] + ct[j]·src[j+1]            (srcM4 = src − 4 bytes)
//   The first vector of dst is zeroed first, so a short row never reads stale memory.
// adjoint(u, dk, lamM4, next, cs2, cd, ct2, gs, gd, gt, nbytes):
//   gs[j] += u[j]·λ[j+1],  gd[j] += u[j]·λ[j],  gt[j] += u[j+1]·λ[j],
//   next[j] = dk[j] + cd[j]·λ[j] + cs2[j]·λ[j+1] + ct2[j]·λ[j−1]       (lamM4 = λ − 4 bytes)
// All pointers are byte offsets into the module's exported memory; nbytes = 16·⌈n/4⌉.
// Both flush subnormal results to zero, as TensorFlow's CPU kernels do: powers of a
// contracting operator (Vandermonde-like: |d| < 0.7) underflow into subnormals, which are
// many times slower to compute with, here and in every matmul that reads them.

import {
  code, f32x4Add, f32x4Mul, funcType as funcTypeOf, I32, i32Add, localGet as get, localSet as set, loop, name, section, simd, uleb,
  V128, v128Load as load, v128Store as store, vec,
} from '../../util/wasmBytes';

const v128Zero = [...simd(0x0c), ...new Array<number>(16).fill(0)];
const FLT_MIN = [0x00, 0x00, 0x80, 0x00]; // 2^−126, little-endian
/** The vector on the stack with its subnormal lanes set to 0 (uses local `tmp`). */
const flushSubnormals = (tmp: number) => [
  ...set(tmp), ...get(tmp), ...get(tmp),
  ...simd(0xe0) /* f32x4.abs */, ...simd(0x0c), ...FLT_MIN, ...FLT_MIN, ...FLT_MIN, ...FLT_MIN,
  ...simd(0x43) /* f32x4.lt */, ...simd(0x4f) /* v128.andnot */,
];
/** address = param p + loop index i. */
const at = (p: number, i: number) => [...get(p), ...get(i), ...i32Add];
/** i += 16; loop again while i < nbytes (the loop is label 0). */
const next16 = (i: number, nbytes: number) => [
  ...get(i), 0x41, ...uleb(16), ...i32Add, ...set(i),
  ...get(i), ...get(nbytes), 0x49 /* i32.lt_u */, 0x0d, 0 /* br_if 0 */,
];

function stepBody(): number[] {
  const [srcM4, dst, cs, cd, ct, nbytes, i, tmp] = [0, 1, 2, 3, 4, 5, 6, 7];
  return [
    ...get(dst), ...v128Zero, ...store(),
    ...loop([
      ...at(dst, i),
      ...at(cs, i), ...load(), ...at(srcM4, i), ...load(0), ...f32x4Mul,
      ...at(cd, i), ...load(), ...at(srcM4, i), ...load(4), ...f32x4Mul, ...f32x4Add,
      ...at(ct, i), ...load(), ...at(srcM4, i), ...load(8), ...f32x4Mul, ...f32x4Add,
      ...flushSubnormals(tmp),
      ...store(),
      ...next16(i, nbytes),
    ]),
  ];
}

function adjointBody(): number[] {
  const [u, dk, lamM4, next, cs2, cd, ct2, gs, gd, gt, nbytes] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const [i, l, lp, uu, tmp] = [11, 12, 13, 14, 15];
  const accumulate = (g: number, a: number[], b: number[]) => [
    ...at(g, i), ...at(g, i), ...load(), ...a, ...b, ...f32x4Mul, ...f32x4Add, ...store(),
  ];
  return [
    ...loop([
      ...at(lamM4, i), ...load(4), ...set(l),
      ...at(lamM4, i), ...load(8), ...set(lp),
      ...at(u, i), ...load(), ...set(uu),
      ...accumulate(gs, get(uu), get(lp)),
      ...accumulate(gd, get(uu), get(l)),
      ...accumulate(gt, [...at(u, i), ...load(4)], get(l)),
      ...at(next, i),
      ...at(dk, i), ...load(),
      ...at(cd, i), ...load(), ...get(l), ...f32x4Mul, ...f32x4Add,
      ...at(cs2, i), ...load(), ...get(lp), ...f32x4Mul, ...f32x4Add,
      ...at(ct2, i), ...load(), ...at(lamM4, i), ...load(0), ...f32x4Mul, ...f32x4Add,
      ...flushSubnormals(tmp),
      ...store(),
      ...next16(i, nbytes),
    ]),
  ];
}

/** A function type of `params` i32 parameters and no results. */
const funcType = (params: number) => funcTypeOf(new Array<number>(params).fill(I32));

/**
 * The module's bytes: functions "step" and "adjoint", and either its own memory (exported as
 * "memory") or, with `importMemory`, the memory imported as env.memory (the wasm backend's heap,
 * so the loops read and write tensors where they lie).
 */
export function krylovWasmBytes(importMemory = false): Uint8Array {
  const memorySections = importMemory
    ? section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x00]])) // import memory, min 0, no max
    : [];
  const ownMemory = importMemory ? [] : section(5, vec([[0x00, 1]])); // memory: min 1 page, grown on demand
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([funcType(6), funcType(11)])),
    ...memorySections,
    ...section(3, vec([[0], [1]])),
    ...ownMemory,
    ...section(7, vec([
      ...(importMemory ? [] : [[...name('memory'), 0x02, 0]]),
      [...name('step'), 0x00, 0],
      [...name('adjoint'), 0x00, 1],
    ])),
    ...section(10, vec([
      code([[1, I32], [1, V128]], stepBody()),
      code([[1, I32], [4, V128]], adjointBody()),
    ])),
  ];
  return Uint8Array.from(bytes);
}
