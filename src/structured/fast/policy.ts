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
