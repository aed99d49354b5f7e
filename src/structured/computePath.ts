// The one place that decides how a structured layer computes Y = X·Mᵀ: from the class, its
// operators, n, r, the backend and the batch. Only the cpu and wasm backends keep tensors in
// JS-visible memory, so only they may take the typed-array paths (FFTs, Walsh–Hadamard, the
// SIMD / JS Krylov loops, divide and conquer); any other backend ('tensorflow', 'webgpu', one
// not known yet) gets pure tensor-op paths, which never read a tensor back to the host.
// Thresholds: accel/policy.ts (measurements in docs/benchmarks.md).
import type { OperatorKind } from './operators';
import type { ClassName, ComputeOptions, ComputePath } from './types';
import { shiftFftWins, subdiagDcWins } from './accel/policy';
import { simdAvailable } from './accel/krylovSimd';

/** What the choice depends on. */
export interface PathQuery {
  className: ClassName;
  n: number;
  /** Displacement rank (1 for classes without one). */
  rank: number;
  /** The Krylov classes' operators: kind, and whether a subdiagonal one has a corner. */
  operators?: { A: OperatorShape; B: OperatorShape };
  /** tf.getBackend(). */
  backend: string;
  /** Rows of X. */
  batch: number;
}

export interface OperatorShape {
  kind: OperatorKind;
  hasCorner?: boolean;
}

/** Backends whose tensors live in host memory: typed-array kernels cost no device round trip. */
const HOST_BACKENDS: ReadonlySet<string> = new Set(['cpu', 'wasm']);

export function hostBackend(backend: string): boolean {
  return HOST_BACKENDS.has(backend);
}

/** The paths a query may take (the automatic choice is one of them; an override must be). */
export function applicablePaths(q: Pick<PathQuery, 'className' | 'operators' | 'backend'>): ComputePath[] {
  const host = hostBackend(q.backend);
  switch (q.className) {
    case 'unconstrained':
      return ['dense'];
    case 'low-rank':
      return ['low-rank'];
    case 'circulant':
      return host ? ['circulant-fft', 'circulant-dense'] : ['circulant-dense'];
    case 'fastfood':
      return host ? ['fastfood-fwht', 'fastfood-tensor'] : ['fastfood-tensor'];
  }
  if (!q.operators) throw new Error(`${q.className}: a Krylov-product class needs its operators to choose a path`);
  if (!host) return ['krylov-doubling'];
  const { A, B } = q.operators;
  const paths: ComputePath[] = [];
  if (A.kind === 'shift' && B.kind === 'shift') paths.push('shift-fft');
  if (A.kind === 'subdiagonal' && B.kind === 'subdiagonal') paths.push('subdiag-dc');
  // JS Krylov loops are the fallback where WebAssembly SIMD is missing; both may be forced.
  paths.push('krylov-simd', 'krylov-js', 'krylov-doubling');
  return paths;
}

/** The Krylov-rows builder where no fast path applies (also what toDense and audits use). */
export function krylovRowsPath(backend: string): 'krylov-simd' | 'krylov-js' | 'krylov-doubling' {
  if (!hostBackend(backend)) return 'krylov-doubling';
  return simdAvailable() ? 'krylov-simd' : 'krylov-js';
}

/** The path a layer takes; `options.path` forces one (it must apply to the query). */
export function chooseComputePath(q: PathQuery, options: ComputeOptions = {}): ComputePath {
  if (options.path) {
    const ok = applicablePaths(q);
    if (!ok.includes(options.path)) {
      throw new Error(`compute path ${options.path} does not apply to ${q.className} on backend ${q.backend}; expected one of: ${ok.join(', ')}`);
    }
    return options.path;
  }
  const host = hostBackend(q.backend);
  switch (q.className) {
    case 'unconstrained':
      return 'dense';
    case 'low-rank':
      return 'low-rank';
    case 'circulant':
      return host ? 'circulant-fft' : 'circulant-dense';
    case 'fastfood':
      return host ? 'fastfood-fwht' : 'fastfood-tensor';
  }
  if (!q.operators) throw new Error(`${q.className}: a Krylov-product class needs its operators to choose a path`);
  const { A, B } = q.operators;
  if (host && A.kind === 'shift' && B.kind === 'shift' && shiftFftWins(q.n, q.rank)) return 'shift-fft';
  if (host && A.kind === 'subdiagonal' && B.kind === 'subdiagonal' && subdiagDcWins(q.n, q.rank, q.batch, !!A.hasCorner)) {
    return 'subdiag-dc';
  }
  return krylovRowsPath(q.backend);
}
