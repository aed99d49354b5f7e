// When training uses the FFT path for shift-operator classes (toeplitz-like, hankel-like)
// instead of explicit Krylov matrices. Crossover measured on this project's reference machine
// (wasm, 1 thread, batch 50, CPU ms of forward+backward of toeplitz-like (z1: A = Z_1,
// B = Z_−1), median of 9 after 3 warm-ups, input not requiring a gradient):
//     n     r   explicit   FFT
//    128    1      1.3      1.1
//    128    4      2.6      1.9
//    200    1      1.3      2.3
//    200    4      4.6      6.5
//    256    1      1.7      1.3
//    256    4      6.1      3.0
//    300    1      2.3      4.3
//    300    4      7.6     11.9
//    384    1      3.0      4.3
//    384    4     12.3     12.4
//    512    1      5.2      2.8
//    512    4     23.7      5.7
//    784    1     13.4      8.3
//    784    4     69.3     23.7
//   1024    1     23.4      4.3
//   1024    4    113.1     11.3
//   2048    1    114.1      8.1
//   2048    4    409.6     24.7
// The FFT path does O(r·b·n log n) work in typed-array JS; the explicit path O(r·b·n²) in
// XNNPACK products, which wins at small n. For n a power of two the FFT path's transforms have
// size n (cyclic / negacyclic convolutions, fast/foldedConv.ts), else size ≥ 2n − 1, which
// moves the crossover from ~128–256 up to ~384–512. Only on the cpu/wasm backends: on tensorflow
// the typed-array op would force a device round trip.
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
  return isPowerOfTwo(n) ? n >= 256 : n >= 512;
}
