// The fused SGD-with-momentum pass of sgdMomentum.ts as a WebAssembly SIMD loop that works
// directly on the wasm backend's heap: the module imports the backend's own memory, so tensors
// are read and written where they are, with no copies. f32x4 mul/add/sub are IEEE float32
// operations, the same the backend's Multiply/Add/Sub kernels perform, so the results are
// bit-identical to the op-by-op update. A plain JS loop over the same heap measured slower than
// the four separate kernels (≈ 2 ns per element); this runs at memory speed.
//
// sgd(p, v, g, pOut, vOut, nbytes, lr, mu), byte offsets into the heap, nbytes a multiple of 16:
//   t = mu·v + g;  vOut = t;  pOut = p − lr·t           (4 lanes at a time)
import {
  F32, I32, MAGIC, V128, instantiateOrNull, code, f32x4Add, f32x4Mul, f32x4Splat, f32x4Sub, funcType, i32Add,
  localGet as get, localSet as set, localTee as tee, loop, name, section, uleb, v128Load as load, v128Store as store, vec,
} from '../../util/wasmBytes';

type SgdFn = (p: number, v: number, g: number, pOut: number, vOut: number, nbytes: number, lr: number, mu: number) => void;

function sgdBytes(): Uint8Array {
  const [p, v, g, po, vo, nbytes, lr, mu] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [i, lrv, muv, t] = [8, 9, 10, 11];
  const at = (ptr: number) => [...get(ptr), ...get(i), ...i32Add];
  const body = [
    ...get(lr), ...f32x4Splat, ...set(lrv),
    ...get(mu), ...f32x4Splat, ...set(muv),
    ...loop([
      ...at(vo),
      ...get(muv), ...at(v), ...load(), ...f32x4Mul, ...at(g), ...load(), ...f32x4Add, ...tee(t),
      ...store(),
      ...at(po),
      ...at(p), ...load(), ...get(lrv), ...get(t), ...f32x4Mul, ...f32x4Sub,
      ...store(),
      ...get(i), 0x41, ...uleb(16), ...i32Add, ...set(i),
      ...get(i), ...get(nbytes), 0x49 /* i32.lt_u */, 0x0d, 0 /* br_if 0 */,
    ]),
  ];
  return Uint8Array.from([
    ...MAGIC,
    ...section(1, vec([funcType([I32, I32, I32, I32, I32, I32, F32, F32])])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x00]])), // import memory, min 0, no max
    ...section(3, vec([[0]])),
    ...section(7, vec([[...name('sgd'), 0x00, 0]])),
    ...section(10, vec([code([[1, I32], [3, V128]], body)])),
  ]);
}

const instances = new WeakMap<object, SgdFn | null>();

/** The loop bound to `memory` (the wasm backend's), or null where WebAssembly SIMD is missing. */
export function sgdSimdFor(memory: object): SgdFn | null {
  let fn = instances.get(memory);
  if (fn === undefined) {
    fn = instantiateOrNull<{ sgd: SgdFn }>(sgdBytes(), { env: { memory } })?.sgd ?? null;
    instances.set(memory, fn);
  }
  return fn;
}
