// The `wasm` backend (XNNPACK compiled to WebAssembly). In Node, tfjs-backend-wasm 4.22 finds its
// .wasm binaries next to its own main file (dist/tf-backend-wasm.node.js resolves them from
// __dirname), so no setWasmPaths is needed as long as the package is installed unbundled.
// Node has no cross-origin-isolated SharedArrayBuffer workers for it, so it runs on one thread
// with SIMD.
import * as tf from '@tensorflow/tfjs';
import { installMatmulFix, removeMatmulFix } from './matmulFix';
import type { WasmBackendInternals } from './wasmInternals';

export interface WasmDetails {
  simd: boolean;
  threads: number;
}

/** Switch to wasm; returns null (with the reason) when it cannot start. */
export async function tryWasm(matmulFix: boolean): Promise<{ ok: true; details: WasmDetails } | { ok: false; why: string }> {
  try {
    require('@tensorflow/tfjs-backend-wasm');
  } catch (err) {
    return { ok: false, why: `@tensorflow/tfjs-backend-wasm failed to load (${(err as Error).message.split('\n')[0]})` };
  }
  // Kernel replacements must be in the registry with their setup functions before the backend
  // initialises, or installed after it has (both orders work; see matmulFix.ts).
  if (matmulFix) installMatmulFix();
  else removeMatmulFix();
  let ok = false;
  try {
    ok = await tf.setBackend('wasm');
  } catch (err) {
    return { ok: false, why: `the wasm backend failed to initialise (${(err as Error).message})` };
  }
  if (!ok) return { ok: false, why: 'the wasm backend failed to initialise' };
  await tf.ready();
  const backend = tf.backend() as unknown as WasmBackendInternals;
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  return { ok: true, details: { simd, threads: backend.wasm.tfjs.getThreadsCount() } };
}
