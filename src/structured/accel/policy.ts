// Where the fast training paths beat explicit Krylov rows on the cpu and wasm backends: the
// crossovers measured in docs/benchmarks.md (the tables live there). computePath.ts asks these.
import { isPowerOfTwo } from './fft';
import { fftWasmAvailable } from './fftWasm';

/**
 * shift-fft for toeplitz-like / hankel-like. With the WebAssembly SIMD op (shiftKrylovOpWasm.ts)
 * it wins from n = 64, power of two or not, at ranks 1 and 4 (layer forward+backward, batch 50,
 * CPU ms, shift-fft vs krylov-simd, 2–3 runs, 2026-12-07: toeplitz-like n = 64: 0.30–0.34 vs
 * 0.36–0.46 (r=1), 0.39–0.48 vs 0.66–0.90 (r=4); n = 96: 0.40–0.47 vs 0.48–0.51, 0.83–0.98 vs
 * 1.02–1.29; n = 100: 0.66 vs 1.04, 1.09 vs 1.67; hankel-like wins by more; n = 32–48 mostly
 * ties; table in docs/benchmarks.md).
 * With the JS transforms their size (n for n a power of two, else ≥ 2n − 1) puts the crossover
 * at 128–256, or 300–384; it barely moves with the rank.
 */
export function shiftFftWins(n: number, rank: number): boolean {
  void rank;
  if (fastProductEngine() === 'wasm-simd') return n >= 64;
  return isPowerOfTwo(n) ? n >= 256 : n >= 384;
}

/**
 * Largest batch for which subdiag-dc (LDR-SD, ± corners) wins in the measured runs; on the cpu
 * backend the explicit path is slower still, so the same rule errs towards explicit.
 */
function subdiagDcMaxBatch(n: number, rank: number, corner: boolean): number {
  if (n < 1024) return corner ? 0 : subdiagDcMaxBatchBelow1024(n, rank);
  // With the step kept in module memory (subdiagStepWasm.ts) and the f64x2 real FFTs
  // (2026-12-07, one SHL-like forward+backward, CPU ms, median / min of 15–25, interleaved, busy
  // machine). Without corners, n = 1024, divide and conquer vs explicit rows:
  //   r = 1: b 8 9.5/4.6 vs 14.5/8.5, b 16 8.2/4.6 vs 12.5/11.1, b 50 13.6/11.6 vs 24.6/23.2,
  //          b 100 29.9/25.3 vs 38.7/37.3, b 200 50.5/39.3 vs 67.6/65.6;
  //   r = 2: b 50 15.9/15.2 vs 45.3/44.6;  r = 4: b 50 25.2/22.0 vs 83.6/82.6 (every batch wins).
  // With corners (the folded doubled chain, not the step), n = 1024: r = 1 wins at b 8 and 16
  // (14.4/5.0 vs 14.4/7.4; 9.8/7.1 vs 11.8/9.2), ties at 50 (25.4/19.0 vs 21.8/20.7); r = 2 wins
  // at 50 (42.3/29.8 vs 46.6/45.2), r = 4 too (76.5/62.2 vs 89.0/87.0); n = 2048, r = 1 wins at
  // 50 (85.9/47.7 vs 102.4/91.1), r = 2 too.
  if (!corner || n >= 2048) return Infinity;
  return rank >= 2 ? Infinity : 16;
}

/**
 * Without corners below n = 1024 (2026-12-07 23:10Z, quiet machine, layer forward+backward, CPU
 * ms, median of 21 interleaved, divide and conquer / explicit rows, at batch 16, 50, 100):
 *   n = 784:  r = 1 0.62 0.74 0.89;  r = 2 0.44 0.57 0.67;  r = 4 0.39 0.48 0.53
 *   n = 640:  r = 1 0.82 0.92 1.05;  r = 2 0.58 0.67 0.75;  r = 4 0.46 0.54 0.60
 *   n = 512:  r = 1 0.72 0.79 0.85;  r = 2 0.56 0.57 0.68;  r = 4 0.43 0.47 0.52
 *   n = 384:  r = 1 1.03 0.93 1.02;  r = 2 0.75 0.91 1.00;  r = 4 0.62 0.69 0.77
 *   n = 256:  r = 1 1.23 1.14 1.22;  r = 2 1.50 1.11 1.05;  r = 4 0.76 0.84 0.94
 */
function subdiagDcMaxBatchBelow1024(n: number, rank: number): number {
  if (n >= 512) return Infinity;
  if (n >= 384) return rank >= 4 ? Infinity : rank >= 2 ? 16 : 0;
  if (n >= 256) return rank >= 4 ? 50 : 0;
  return 0;
}

export function subdiagDcWins(n: number, rank: number, batch: number, corner: boolean): boolean {
  return batch <= subdiagDcMaxBatch(n, rank, corner);
}

/** How the fast matrix-vector products (products.ts) run. */
export type FastProductEngine = 'wasm-simd' | 'js';

/**
 * WebAssembly SIMD where the runtime has it: the same results bit for bit as the JS loops, 2–4x
 * faster (docs/benchmarks.md, "Fast products against NumPy"); the JS loops otherwise.
 */
export function fastProductEngine(): FastProductEngine {
  return engineOverride ?? (fftWasmAvailable() ? 'wasm-simd' : 'js');
}

let engineOverride: FastProductEngine | null = null;

/** Force an engine (benchmarks and tests compare the two in one process); null = automatic. */
export function setFastProductEngine(engine: FastProductEngine | null): void {
  if (engine === 'wasm-simd' && !fftWasmAvailable()) throw new Error('WebAssembly SIMD is not available');
  engineOverride = engine;
}
