// When training uses the FFT path for shift-operator classes (toeplitz-like, hankel-like)
// instead of explicit Krylov matrices. Crossover measured on this project's reference machine
// (wasm, 1 thread, batch 50, CPU ms of forward+backward of toeplitz-like, input not requiring
// a gradient):
//     n     r   explicit   FFT
//    512    1      6.4     10.3
//    512    4     28.2     32.6
//    784    1     15.3     25.1
//    784    4     72.9     65.2
//   1024    1     26.1     22.9
//   1024    4    119.3     61.6
//   2048    1    123.3     49.3
//   2048    4    436.9    120.6
// The FFT path does O(r·b·n log n) work in typed-array JS; the explicit path O(r·b·n²) in
// XNNPACK products, which wins at small n. Only on the cpu/wasm backends: on tensorflow the
// typed-array op would force a device round trip.

export type FftPolicy = 'auto' | 'always' | 'never';

let policy: FftPolicy = 'auto';

/** Override the choice (tests, benchmarks). */
export function setShiftFftPolicy(p: FftPolicy): void {
  policy = p;
}

export function useShiftFft(backend: string, n: number, rank: number): boolean {
  if (backend !== 'cpu' && backend !== 'wasm') return false;
  if (policy !== 'auto') return policy === 'always';
  return n >= 1024 || (n >= 768 && rank >= 4);
}
