// The three passes of biasRelu.ts as WebAssembly SIMD loops on the wasm backend's heap (the
// module imports the backend's memory, as sgdMomentumSimd.ts does): a plain JS loop over the
// heap measured ~10x slower than the backend's own Add and Relu kernels, this runs at memory
// speed. Lane arithmetic is IEEE float32 (f32x4.add/mul; f32x4.max gives +0 for ±0 and NaN for
// NaN, as Math.max(0, v)), and each column is summed in row order with a float32 accumulator,
// so the results are the same bits as the JS loops of biasRelu.ts (tests check both).
//
// Byte offsets into the heap; row = n·4 bytes, total = rows·row bytes, both multiples of 16.
//   biasRelu(x, b, y, row, total)        y[i] = max(x[i] + b[i mod row], 0)
//   reluGrad(dy, y, dz, total)           dz[i] = dy[i]·s(y[i]),  s = 1 if y > 0, NaN if y ≠ y, else 0
//   reluBiasGrad(dy, y, acc, row, total) acc[i mod row] += dy[i]·s(y[i])   (acc zeroed by the caller)
import {
  code, f32x4Add, f32x4Mul, funcType, I32, i32Add, localGet as get, localSet as set, localTee as tee, loop, MAGIC, name,
  section, simd, uleb, V128, v128Load as load, v128Store as store, vec, instantiateOrNull,
} from '../../util/wasmBytes';

type BiasReluFn = (x: number, b: number, y: number, row: number, total: number) => void;
type ReluGradFn = (dy: number, y: number, dz: number, total: number) => void;
type ReluBiasGradFn = (dy: number, y: number, acc: number, row: number, total: number) => void;
export interface BiasReluSimd {
  biasRelu: BiasReluFn;
  reluGrad: ReluGradFn;
  reluBiasGrad: ReluBiasGradFn;
}

const splat4 = (bytes: number[]) => [...bytes, ...bytes, ...bytes, ...bytes];
const ZERO = [...simd(0x0c), ...new Array<number>(16).fill(0)];
const ONE = [...simd(0x0c), ...splat4([0x00, 0x00, 0x80, 0x3f])]; // 1.0f
const f32x4Max = simd(0xe9);
const f32x4Ne = simd(0x42);
const f32x4Gt = simd(0x44);
const v128And = simd(0x4e);
const v128Or = simd(0x50);

const at = (p: number, i: number) => [...get(p), ...get(i), ...i32Add];
/** i += 16, and j += 16 wrapping to 0 at `row` (j = j + 16 < row ? j + 16 : 0). */
const advance = (i: number, j: number | null, row: number | null) => [
  ...get(i), 0x41, ...uleb(16), ...i32Add, ...set(i),
  ...(j === null || row === null
    ? []
    : [...get(j), 0x41, ...uleb(16), ...i32Add, ...tee(j), 0x41, 0, ...get(j), ...get(row), 0x49 /* i32.lt_u */, 0x1b /* select */, ...set(j)]),
];
const whileBelow = (i: number, total: number) => [...get(i), ...get(total), 0x49 /* i32.lt_u */, 0x0d, 0 /* br_if 0 */];
/** s(y) for the vector y on the stack: and(y > 0, 1.0) | (y ≠ y) (all-ones bits: a NaN). Uses local t. */
const stepOf = (t: number) => [...tee(t), ...ZERO, ...f32x4Gt, ...ONE, ...v128And, ...get(t), ...get(t), ...f32x4Ne, ...v128Or];

function moduleBytes(): Uint8Array {
  // biasRelu: params x b y row total; locals i j
  const br = (() => {
    const [x, b, y, row, total, i, j] = [0, 1, 2, 3, 4, 5, 6];
    return code([[2, I32]], loop([
      ...at(y, i), ...at(x, i), ...load(), ...at(b, j), ...load(), ...f32x4Add, ...ZERO, ...f32x4Max, ...store(),
      ...advance(i, j, row), ...whileBelow(i, total),
    ]));
  })();
  // reluGrad: params dy y dz total; locals i, t
  const rg = (() => {
    const [dy, y, dz, total, i, t] = [0, 1, 2, 3, 4, 5];
    return code([[1, I32], [1, V128]], loop([
      ...at(dz, i), ...at(dy, i), ...load(), ...at(y, i), ...load(), ...stepOf(t), ...f32x4Mul, ...store(),
      ...advance(i, null, null), ...whileBelow(i, total),
    ]));
  })();
  // reluBiasGrad: params dy y acc row total; locals i j, t
  const rb = (() => {
    const [dy, y, acc, row, total, i, j, t] = [0, 1, 2, 3, 4, 5, 6, 7];
    return code([[2, I32], [1, V128]], loop([
      ...at(acc, j), ...at(acc, j), ...load(), ...at(dy, i), ...load(), ...at(y, i), ...load(), ...stepOf(t), ...f32x4Mul, ...f32x4Add, ...store(),
      ...advance(i, j, row), ...whileBelow(i, total),
    ]));
  })();
  return Uint8Array.from([
    ...MAGIC,
    ...section(1, vec([funcType([I32, I32, I32, I32, I32]), funcType([I32, I32, I32, I32])])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x00]])), // import memory, min 0, no max
    ...section(3, vec([[0], [1], [0]])),
    ...section(7, vec([[...name('biasRelu'), 0x00, 0], [...name('reluGrad'), 0x00, 1], [...name('reluBiasGrad'), 0x00, 2]])),
    ...section(10, vec([br, rg, rb])),
  ]);
}

const instances = new WeakMap<object, BiasReluSimd | null>();

/** The loops bound to `memory` (the wasm backend's), or null where WebAssembly SIMD is missing. */
export function biasReluSimdFor(memory: object): BiasReluSimd | null {
  let fns = instances.get(memory);
  if (fns === undefined) {
    fns = instantiateOrNull<BiasReluSimd>(moduleBytes(), { env: { memory } });
    instances.set(memory, fns);
  }
  return fns;
}
