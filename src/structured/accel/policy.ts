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
 * Largest batch for which subdiag-dc (LDR-SD, ± corners) wins in both measured runs. Below
 * n = 1024 its gains are within the noise; the rank < 4 column also covers r = 2, 3; on the cpu
 * backend the explicit path is slower still, so the same rule errs towards explicit.
 */
function subdiagDcMaxBatch(n: number, rank: number, corner: boolean): number {
  const highRank = rank >= 4;
  if (n < 1024) return 0;
  // n = 1024 with the SIMD products and gradient (2026-12-07, forward+backward, CPU ms, two runs):
  // r = 1 wins at batch 8 (9.3–10.3 vs 14.8–17.0), loses at 16 (15.7 vs 12.1–12.5), ties at 50;
  // r = 2 wins at 16 and 50 (12–13 vs 24–25; 20 vs 43–44); r = 4 as before.
  if (!corner) return n >= 2048 || rank >= 2 ? Infinity : 8;
  if (n >= 4096) return Infinity;
  if (n >= 2048) return highRank ? Infinity : 16;
  return highRank ? 16 : 0;
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
