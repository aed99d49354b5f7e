// The filter gradient of a 2-D convolution, which tfjs-backend-wasm 4.22 does not have (training
// the CNN on wasm fails with "Kernel 'Conv2DBackpropFilter' not registered" without it).
//   dW[fh, fw, ci, co] = Σ_{b, oy, ox} x[b, oy·sh + fh − top, ox·sw + fw − left, ci] · dy[b, oy, ox, co]
// NHWC input, HWIO filter (TF.js's layout), dilation 1. Loops run over output pixels outermost so
// that each step is one outer product (ci × co) of contiguous rows — cache friendly in plain JS.
import * as tf from '@tensorflow/tfjs';
import { backend_util, type TensorInfo } from '@tensorflow/tfjs';
import { heapF32, type KernelArgs, type WasmKernelFunc } from '../wasmInternals';

export interface ConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
}

/** dW (filterHeight·filterWidth·inChannels·outChannels, HWIO) from x (NHWC) and dy (NHWC). */
export function conv2dFilterGradient(x: Float32Array, dy: Float32Array, g: ConvGeometry, dW: Float32Array): void {
  const { inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO } = g;
  dW.fill(0);
  for (let b = 0; b < g.batch; b++) {
    const xBase = b * H * W * CI;
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const dyRow = ((b * OH + oy) * OW + ox) * CO;
        for (let fh = 0; fh < g.filterHeight; fh++) {
          const iy = oy * g.strideHeight + fh - g.padTop;
          if (iy < 0 || iy >= H) continue;
          for (let fw = 0; fw < g.filterWidth; fw++) {
            const ix = ox * g.strideWidth + fw - g.padLeft;
            if (ix < 0 || ix >= W) continue;
            const xRow = xBase + (iy * W + ix) * CI;
            const wBase = (fh * g.filterWidth + fw) * CI * CO;
            for (let ci = 0; ci < CI; ci++) {
              const xv = x[xRow + ci];
              if (xv === 0) continue; // zero padding / ReLU zeros contribute nothing
              const w = wBase + ci * CO;
              for (let co = 0; co < CO; co++) dW[w + co] += xv * dy[dyRow + co];
            }
          }
        }
      }
    }
  }
}

/**
 * Stride 1: the filter gradient is itself a convolution, which XNNPACK does ~5× faster than the loop
 * above. With batch and channels swapped — x as [CI, H, W, B] (B = channels), dy as a filter
 * [OH, OW, B, CO] — conv2d with the forward pass's padding gives [CI, FH, FW, CO], since
 * H + top + bottom − OH + 1 = FH; one transpose makes it HWIO. Same sums, different order.
 */
function viaWasmConv(args: KernelArgs, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const kernel = (name: string): WasmKernelFunc => {
    const k = tf.getKernel(name, 'wasm');
    if (!k) throw new Error(`wasm kernel ${name} is not registered`);
    return k.kernelFunc as unknown as WasmKernelFunc;
  };
  const transpose = kernel('Transpose');
  const backend = args.backend;
  const xT = transpose({ inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } });
  const dyF = transpose({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } });
  const { top, bottom, left, right } = info.padInfo;
  const conv = kernel('Conv2D')({
    inputs: { x: xT, filter: dyF },
    backend,
    attrs: { strides: 1, dilations: 1, pad: [[0, 0], [top, bottom], [left, right], [0, 0]], dataFormat: 'NHWC', dimRoundingMode: undefined },
  });
  backend.disposeData(xT.dataId);
  backend.disposeData(dyF.dataId);
  const out = transpose({ inputs: { x: conv }, backend, attrs: { perm: [1, 2, 0, 3] } });
  backend.disposeData(conv.dataId);
  return out;
}

/** The wasm kernel: same inputs and attributes as the cpu backend's Conv2DBackpropFilter. */
export function conv2dBackpropFilterWasm(args: KernelArgs): TensorInfo {
  const x = args.inputs.x as TensorInfo;
  const dy = args.inputs.dy as TensorInfo;
  const a = args.attrs as {
    strides: number | [number, number];
    pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
    dataFormat: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
  };
  if (a.dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropFilter (wasm, ldr): only NHWC is supported, got ${a.dataFormat}`);
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    a.filterShape,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
    false,
    'channelsLast',
  );
  if (info.strideHeight === 1 && info.strideWidth === 1) return viaWasmConv(args, x, dy, info);
  const out = args.backend.makeOutput(info.filterShape, 'float32');
  // Views only after makeOutput: it may grow (and so detach) the heap.
  conv2dFilterGradient(
    heapF32(args.backend, x),
    heapF32(args.backend, dy),
    {
      batch: info.batchSize,
      inHeight: info.inHeight,
      inWidth: info.inWidth,
      inChannels: info.inChannels,
      outHeight: info.outHeight,
      outWidth: info.outWidth,
      outChannels: info.outChannels,
      filterHeight: info.filterHeight,
      filterWidth: info.filterWidth,
      strideHeight: info.strideHeight,
      strideWidth: info.strideWidth,
      padTop: info.padInfo.top,
      padLeft: info.padInfo.left,
    },
    heapF32(args.backend, out),
  );
  return out;
}
