// Choose and start the TF.js backend: `auto` takes tensorflow (tfjs-node-gpu / tfjs-node) if one
// loads, else wasm, else cpu; an explicit choice either starts or fails with a UserError.
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../config/schema';
import { UserError } from '../util/errors';
import { INSTALL_HINT, realProbe, tryTensorflow, type NodeProbe } from './tensorflowNode';
import { tryWasm } from './wasm';
import { matmulFixInstalled } from './matmulFix';

export type RunningBackend = 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  name: RunningBackend;
  /** Why this backend runs (goes to env.json as backendReason). */
  reason: string;
  /** Why each backend tried before it was skipped, e.g. "tensorflow: … not installed". */
  skipped: string[];
  /** Threads the kernels run on; null where the backend manages its own pool (tensorflow). */
  threads: number | null;
  /** Short facts for the description: "SIMD, 1 thread", "@tensorflow/tfjs-node-gpu, CUDA". */
  detail: string;
  /** wasm only: whether transposed matmuls are routed through plain products (matmulFix.ts). */
  matmulFix: boolean;
}

export interface InitOptions {
  /** wasm: install the matmul/transpose kernel replacements (default true). */
  matmulFix?: boolean;
  /** How the machine is inspected for tfjs-node packages (tests substitute one). */
  probe?: NodeProbe;
}

export async function initBackend(requested: BackendName, options: InitOptions = {}): Promise<BackendInfo> {
  // TF.js prints advice banners through its warn() (e.g. the cpu backend's "install our node
  // backend" box); ldr prints its own backend line instead. PROD only silences those warnings.
  tf.env().set('PROD', true);
  const matmulFix = options.matmulFix ?? true;
  const probe = options.probe ?? realProbe;
  const explicit = `requested (backend: ${requested})`;
  const skipped: string[] = [];

  if (requested === 'tensorflow' || requested === 'auto') {
    const t = await tryTensorflow(probe);
    if (t.ok) {
      const reason = requested === 'auto' ? `auto: ${t.pkg} loaded` : explicit;
      const detail = t.gpu ? `${t.pkg}, CUDA` : t.pkg;
      return { name: 'tensorflow', reason, skipped, threads: null, detail, matmulFix: false };
    }
    if (requested === 'tensorflow') throw new UserError(`backend tensorflow is not available: ${t.why}; ${INSTALL_HINT}`);
    skipped.push(`tensorflow: ${t.why}`);
  }

  if (requested === 'wasm' || requested === 'auto') {
    const w = await tryWasm(matmulFix);
    if (w.ok) {
      const { simd, threads } = w.details;
      const reason = requested === 'auto' ? `auto; ${skipText(skipped)}` : explicit;
      const detail = `${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'}${matmulFixInstalled() ? '' : ', matmul fix off'}`;
      return { name: 'wasm', reason, skipped, threads, detail, matmulFix: matmulFixInstalled() };
    }
    if (requested === 'wasm') throw new UserError(`backend wasm is not available: ${w.why}`);
    skipped.push(`wasm: ${w.why}`);
  }

  await tf.setBackend('cpu');
  await tf.ready();
  const reason = requested === 'auto' ? `auto; ${skipText(skipped)}` : explicit;
  return { name: 'cpu', reason, skipped, threads: 1, detail: 'plain JavaScript, 1 thread', matmulFix: false };
}

/** One line for the terminal, e.g. "backend: wasm (SIMD, 1 thread) — tensorflow skipped: …". */
export function describeBackend(info: BackendInfo): string {
  const head = `backend: ${info.name} (${info.detail})`;
  return `${head} — ${info.skipped.length === 0 ? info.reason : skipText(info.skipped)}`;
}

/** "tensorflow: why" → "tensorflow skipped: why", joined by "; ". */
function skipText(skipped: string[]): string {
  return skipped.map((s) => s.replace(/^(\w+): /, '$1 skipped: ')).join('; ');
}
