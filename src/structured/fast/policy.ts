// When training uses the FFT path for shift-operator classes (toeplitz-like, hankel-like)
// instead of explicit Krylov matrices. Crossover measured on this project's reference machine
// (wasm, 1 thread, batch 50, CPU ms of forward+backward of toeplitz-like (z1: A = Z_1,
// B = Z_−1), median of 9 after 3 warm-ups, input not requiring a gradient; entries under ~3 ms
// move by ±0.5 ms between runs):
//     n     r   explicit   FFT
//    128    1      0.8      1.4
//    128    4      1.7      2.6
//    200    1      1.4      2.2
//    200    4      3.6      3.5
//    256    1      1.5      0.7
//    256    4      5.7      1.9
//    300    1      1.9      2.6
//    300    4      8.2      7.8
//    384    1      3.3      2.8
//    384    4     14.1      7.2
//    448    1      4.6      2.7
//    448    4     18.9      9.6
//    512    1      6.2      1.5
//    512    4     24.5      3.7
//    784    1     13.4      5.2
//    784    4     52.5     23.1
//   1024    1     22.2      2.9
//   1024    4    115.7      7.2
//   2048    1     85.5      5.5
//   2048    4    415.8     16.6
// The FFT path does O(r·b·n log n) work in JS; the explicit path O(r·b·n²) in XNNPACK products,
// which wins at small n. For n a power of two the FFT path's transforms have size n (cyclic /
// negacyclic convolutions, fast/foldedConv.ts), else size ≥ 2n − 1, which moves the crossover
// from 128–256 up to 300–384. Only on the cpu/wasm backends: on tensorflow the typed-array op
// would force a device round trip.
import { isPowerOfTwo } from './fft';

export type FftPolicy = 'auto' | 'always' | 'never';

let policy: FftPolicy = 'auto';

/** Override the choice (tests, benchmarks). */
export function setShiftFftPolicy(p: FftPolicy): void {
  policy = p;
}

export function useShiftFft(backend: string, n: number, rank: number): boolean {
  if (backend !== 'cpu' && backend !== 'wasm') return false;
  if (policy !== 'auto') return policy === 'always';
  void rank; // the crossover barely moves with the rank (table above)
  return isPowerOfTwo(n) ? n >= 256 : n >= 384;
}

// When training uses the divide-and-conquer path (fast/subdiagKrylovOp.ts) for LDR-SD, with or
// without corners, instead of explicit Krylov matrices. Measured on this project's reference
// machine (wasm, 1 thread, CPU ms of forward+backward of one layer, input not requiring a
// gradient, median of 7 after warm-ups; two values = two runs: the machine was shared, and
// entries under ~20 ms move by up to 2x between runs):
//                          ldr-sd                      ldr-sd-corner
//     n   r  batch   explicit     fast           explicit      fast
//   256   1     1       1.0        0.5              0.9         0.8
//   256   1    50       3.6        4.7              5.6         9.7
//   256   4     1       3.4        1.2              2.6         3.9
//   256   4    50       5.6       11.3              5.4        21.9
//   512   1     1    2.9/1.8    0.7/3.2          2.2/4.4     1.6/3.7
//   512   1    50    5.0/6.7   9.8/10.6          5.7/9.6    18.8/19.9
//   512   4     1   8.5/13.4   1.9/14.9        12.1/12.9    7.8/18.5
//   512   4    16  13.8/12.2   10.7/9.5        13.9/16.0   16.5/19.1
//   512   4    50  22.5/22.6  31.1/25.2        24.9/25.2   49.3/49.2
//  1024   1     1   7.0/10.3    1.7/3.8         7.6/14.4    4.3/16.4
//  1024   1     8   9.7/10.1    5.8/5.6         8.5/10.4    13.2/8.6
//  1024   1    16  15.9/12.4   8.7/21.3        23.5/13.0   14.5/21.9
//  1024   1    32  17.3/16.1  15.1/15.7        15.5/20.5   28.3/28.1
//  1024   1    50  19.6/23.9  23.7/25.7        23.8/24.3   39.9/42.5
//  1024   4     1  38.5/54.1   8.0/17.0        41.3/70.7   18.3/21.2
//  1024   4    16  52.4/49.8  21.5/20.4        50.1/54.8   44.6/47.4
//  1024   4    32  70.3/64.3  38.5/37.3        65.5/66.7   74.2/71.6
//  1024   4    50 110.9/85.1  67.3/54.3       102.8/87.1  99.9/102.3
//  2048   1     1      42.6        3.4         41.8/40.5   7.7/15.8
//  2048   1    16        —          —              50.4        37.6
//  2048   1    32        —          —          65.5/66.3   66.7/69.9
//  2048   1    50      87.9       57.9         91.0/86.4   95.7/97.4
//  2048   4     1     231.9       20.6         253.4/240.1 28.1/29.2
//  2048   4    50     410.9      118.0         436.9/432.2 258.1/255.5
//  4096   1     1     225.0       15.4            238.3        22.1
//  4096   1    50     402.5      116.4            420.2       227.4
//  4096   4     1     855.3       46.5            923.4        67.8
//  4096   4    50    2687.2      371.4           1910.3       727.9
// The explicit path's cost is mostly building the r·n² Krylov entries (batch-independent) plus
// XNNPACK products; the fast path costs about 7 products of O(r·n log² n) per row (forward 2,
// backward 1 plus two gradient passes of about 2 each) plus its plans. With a corner the products
// run on the doubled chain (2n; the gradient passes skip its half where g vanishes), about 1.7×. Below n = 1024 the fast path's gains are
// small and within the noise, so it is not used there; the rank < 4 column also covers r = 2, 3.
// On the cpu backend the explicit path is slower still, so the same rule errs towards explicit.
let subdiagPolicy: FftPolicy = 'auto';

/** Override the choice (tests, benchmarks). */
export function setSubdiagFastPolicy(p: FftPolicy): void {
  subdiagPolicy = p;
}

/** Largest batch for which the fast path wins in both runs of the table above. */
function subdiagMaxBatch(n: number, rank: number, corner: boolean): number {
  const highRank = rank >= 4;
  if (n < 1024) return 0;
  if (!corner) return n >= 2048 || highRank ? Infinity : 8;
  if (n >= 4096) return Infinity;
  if (n >= 2048) return highRank ? Infinity : 16;
  return highRank ? 16 : 0;
}

export function useSubdiagFast(backend: string, n: number, rank: number, batch: number, corner = false): boolean {
  if (backend !== 'cpu' && backend !== 'wasm') return false;
  if (subdiagPolicy !== 'auto') return subdiagPolicy === 'always';
  return batch <= subdiagMaxBatch(n, rank, corner);
}
