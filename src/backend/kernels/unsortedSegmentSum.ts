// UnsortedSegmentSum, which tfjs-backend-wasm 4.22 does not have: the gradient of tf.gather (the
// LSTM's embedding lookup) is a segment sum of the output gradient rows by token id.
//   out[s, …] = Σ_{i : ids[i] = s} x[i, …]     (ids outside [0, numSegments) are dropped, as in TF)
import type { TensorInfo } from '@tensorflow/tfjs';
import { heapF32, sizeOf, type KernelArgs } from '../wasmInternals';

/** Rows of x (each `inner` long) summed into out by segment id. */
export function segmentSumRows(x: Float32Array, ids: Int32Array, inner: number, numSegments: number, out: Float32Array): void {
  out.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let k = 0; k < inner; k++) out[dst + k] += x[src + k];
  }
}

export function unsortedSegmentSumWasm(args: KernelArgs): TensorInfo {
  const x = args.inputs.x as TensorInfo;
  const ids = args.inputs.segmentIds as TensorInfo;
  const numSegments = args.attrs.numSegments as number;
  if (x.dtype !== 'float32') throw new Error(`UnsortedSegmentSum (wasm, ldr): only float32 data is supported, got ${x.dtype}`);
  // TF semantics: segmentIds covers the leading axes of x; the rest of each row is summed whole.
  const lead = ids.shape.length;
  const inner = sizeOf(x.shape.slice(lead));
  const out = args.backend.makeOutput([numSegments, ...x.shape.slice(lead)], 'float32');
  const idView = args.backend.typedArrayFromHeap(ids);
  const idArr = idView instanceof Int32Array ? idView : Int32Array.from(idView as ArrayLike<number>);
  segmentSumRows(heapF32(args.backend, x), idArr, inner, numSegments, heapF32(args.backend, out));
  return out;
}
