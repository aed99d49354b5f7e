// Helpers for assembling small WebAssembly modules byte by byte (no wasm toolchain needed).
// Used by every hand-assembled module (backend/kernels/*Simd.ts, structured/accel/*Wasm*.ts).
export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (i32.const immediates). */
export function sleb(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

export const i32Const = (v: number): number[] => [0x41, ...sleb(v)];
export const f64Const = (v: number): number[] => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return [0x44, ...b];
};
export const brIf = (depth: number): number[] => [0x0d, depth];

// Scalar instructions the hand-assembled modules share (fftWasmModule, realFftWasm, subdiagCoefsWasm).
export const F64 = 0x7c;
export const i32Sub = [0x6b];
export const i32Shl = [0x74];
export const i32LtS = [0x48];
export const i32LtU = [0x49];
export const i32GtS = [0x4a];
export const i32GeS = [0x4e];
export const i32GeU = [0x4f];
export const i32Load = (offset = 0): number[] => [0x28, 2, ...uleb(offset)];
export const f64Load = (offset = 0): number[] => [0x2b, 3, ...uleb(offset)];
export const f64Store = (offset = 0): number[] => [0x39, 3, ...uleb(offset)];
export const f64Add = [0xa0];
export const f64Sub = [0xa1];
export const f64Mul = [0xa2];
export const f64Neg = [0x9a];
export const call = (f: number): number[] => [0x10, ...uleb(f)];
export const block = (body: number[]): number[] => [0x02, 0x40, ...body, 0x0b];
export const ifThen = (body: number[]): number[] => [0x04, 0x40, ...body, 0x0b];
/** local x += k. */
export const bump = (x: number, k: number): number[] => [0x20, ...uleb(x), ...i32Const(k), 0x6a, 0x21, ...uleb(x)];
/** A do-while loop continuing while local a < local b (unsigned). */
export const whileLt = (a: number, b: number, body: number[]): number[] => [0x03, 0x40, ...body, 0x20, ...uleb(a), 0x20, ...uleb(b), 0x49, 0x0d, 0, 0x0b];

/** One function of a hand-assembled module. */
export interface WasmFn {
  name: string;
  params: number[];
  result?: number;
  locals: number[][];
  body: number[];
}

export const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
export const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
export const name = (s: string): number[] => [...uleb(s.length), ...Array.from(Buffer.from(s, 'utf8'))];
export const localGet = (i: number): number[] => [0x20, ...uleb(i)];
export const localSet = (i: number): number[] => [0x21, ...uleb(i)];
export const localTee = (i: number): number[] => [0x22, ...uleb(i)];
export const i32Add = [0x6a];
export const simd = (op: number): number[] => [0xfd, ...uleb(op)];
export const v128Load = (offset = 0): number[] => [...simd(0x00), 0, ...uleb(offset)];
export const v128Store = (offset = 0): number[] => [...simd(0x0b), 0, ...uleb(offset)];
export const f32x4Splat = simd(0x13);
export const f32x4Add = simd(0xe4);
export const f32x4Sub = simd(0xe5);
export const f32x4Mul = simd(0xe6);
export const loop = (body: number[]): number[] => [0x03, 0x40, ...body, 0x0b];
/** A function type: the given parameter types, no results. */
export const funcType = (params: number[]): number[] => [0x60, ...vec(params.map((p) => [p])), 0];
/** A function body with its locals ([count, type] groups). */
export const code = (locals: number[][], body: number[]): number[] => {
  const fn = [...vec(locals), ...body, 0x0b];
  return [...uleb(fn.length), ...fn];
};
export const MAGIC = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

// The project's type libraries (ES2022 + node) do not declare WebAssembly: the part used here.
export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports?: object) => { exports: unknown };
}
export const WebAssemblyApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/**
 * The exports of a hand-assembled module, or null where this engine cannot run it (no
 * WebAssembly, or no SIMD: validation fails): callers then take their plain-JS path.
 */
export function instantiateOrNull<T>(bytes: Uint8Array, imports?: object): T | null {
  try {
    const W = WebAssemblyApi;
    return W?.validate(bytes) ? (new W.Instance(new W.Module(bytes), imports).exports as T) : null;
  } catch {
    return null;
  }
}
