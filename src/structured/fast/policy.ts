// When training uses the FFT path for shift-operator classes (toeplitz-like, hankel-like)
// instead of explicit Krylov matrices. Crossover measured on this project's reference machine
// (wasm, 1 thread, batch 50, CPU ms of forward+backward, toeplitz-like):
//     n     r   explicit   FFT
//    784    1     13.7     24.2
//    784    4     71.6     81.1
//   1024    1     25.3     43.1
//   1024    4    114.8     80.6
//   2048    1    116.4     62.2
//   2048    4    412.5    169.3
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
  return n >= 2048 || (n >= 1024 && rank >= 3);
}
