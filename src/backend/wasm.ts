// The `wasm` backend (XNNPACK compiled to WebAssembly). In Node, tfjs-backend-wasm 4.22 finds its
// .wasm binaries next to its own main file (dist/tf-backend-wasm.node.js resolves them from
// __dirname), so no setWasmPaths is needed as long as the package is installed unbundled.
// tfjs-backend-wasm 4.22 turns multithreading off in Node (flags_wasm.js, tfjs issue #3830), so
// it runs the SIMD build on one thread.
import * as tf from '@tensorflow/tfjs';
import { installMatmulFix, removeMatmulFix } from './matmulFix';
import { registerWasmKernels } from './kernels';
import { installSharedIdentity } from './kernels/sharedIdentity';
import type { WasmBackendInternals } from './wasmInternals';

export interface WasmDetails {
  simd: boolean;
  threads: number;
}

/** Switch to wasm (with or without the kernel replacements), or say why it cannot start. */
export async function tryWasm(matmulFix: boolean): Promise<{ ok: true; details: WasmDetails } | { ok: false; why: string }> {
  try {
    require('@tensorflow/tfjs-backend-wasm');
  } catch (err) {
    return { ok: false, why: `@tensorflow/tfjs-backend-wasm failed to load (${(err as Error).message.split('\n')[0]})` };
  }
  // Before or after the backend initialises, both work: the replacements keep the originals'
  // setup functions, which the engine runs on every setBackend (see matmulFix.ts).
  registerWasmKernels(); // kernels wasm lacks (Conv2DBackpropFilter, UnsortedSegmentSum); src/backend/kernels
  installSharedIdentity(); // no copy per saved gradient input (kernels/sharedIdentity.ts)
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
