// Choose and start the TF.js backend. `auto` takes, in order: tensorflow when tfjs-node-gpu
// really runs on a CUDA device, webgpu with a hardware adapter, tensorflow on the CPU (tfjs-node,
// or tfjs-node-gpu that fell back, with a warning), wasm, cpu. An explicit choice either starts
// or fails with a UserError.
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../config/schema';
import { UserError } from '../util/errors';
import { GPU_PACKAGE, INSTALL_HINT, realProbe, tryTensorflow, type CudaGpuInfo, type NodeProbe } from './tensorflowNode';
import { adapterName, tryWebgpu, WEBGPU_INSTALL, type WebgpuAdapterInfo } from './webgpu';
import { tryWasm } from './wasm';
import { matmulFixInstalled } from './matmulFix';

export type RunningBackend = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

/** The GPU a run computes on (env.json `gpu`): a WebGPU adapter or the CUDA device. */
export type GpuInfo = WebgpuAdapterInfo | CudaGpuInfo;

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
  /** The GPU in use, or null on the CPU. */
  gpu: GpuInfo | null;
  /** Something the user must know, e.g. tfjs-node-gpu fell back to the CPU (env.json backendWarning). */
  warning: string | null;
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

  // tensorflow loaded but on the CPU: auto still prefers a hardware WebGPU adapter over it.
  let tensorflowOnCpu: { pkg: string; warning: string | null } | null = null;
  if (requested === 'tensorflow' || requested === 'auto') {
    const t = await tryTensorflow(probe);
    if (t.ok && t.gpu) {
      const reason = requested === 'auto' ? `auto: ${t.pkg} runs on CUDA` : explicit;
      const detail = `${t.pkg}, CUDA${t.cuda ? ` on ${t.cuda.name}` : ''}`;
      return { name: 'tensorflow', reason, skipped, threads: null, detail, matmulFix: false, gpu: t.cuda, warning: null };
    }
    if (t.ok) {
      const warning =
        t.pkg === GPU_PACKAGE
          ? `${GPU_PACKAGE} loaded but TensorFlow runs on the CPU (it needs CUDA 11.2 + cuDNN 8.1 libraries on the library path; README "GPUs")`
          : null;
      if (requested === 'tensorflow') {
        return { name: 'tensorflow', reason: explicit, skipped, threads: null, detail: `${t.pkg}, CPU`, matmulFix: false, gpu: null, warning };
      }
      tensorflowOnCpu = { pkg: t.pkg, warning };
    } else {
      if (requested === 'tensorflow') throw new UserError(`backend tensorflow is not available: ${t.why}; ${INSTALL_HINT}`);
      skipped.push(`tensorflow: ${t.why}`);
    }
  }

  if (requested === 'webgpu' || requested === 'auto') {
    const w = await tryWebgpu(requested === 'webgpu');
    if (w.ok) {
      const reason = requested === 'auto' ? `auto: hardware adapter${skipped.length ? `; ${skipText(skipped)}` : ''}` : explicit;
      const slow = w.adapter.software ? '; software adapter — for testing, slow' : '';
      const warning = tensorflowOnCpu?.warning ?? null;
      return { name: 'webgpu', reason, skipped, threads: null, detail: adapterName(w.adapter) + slow, matmulFix: false, gpu: w.adapter, warning };
    }
    if (requested === 'webgpu') {
      const hint = /not installed/.test(w.why) ? '' : `; the packages: ${WEBGPU_INSTALL}`;
      throw new UserError(`backend webgpu is not available: ${w.why}${hint}`);
    }
    skipped.push(`webgpu: ${w.why}`);
  }

  if (tensorflowOnCpu) {
    await tf.setBackend('tensorflow');
    const { pkg, warning } = tensorflowOnCpu;
    return { name: 'tensorflow', reason: `auto: ${pkg} loaded (CPU)`, skipped, threads: null, detail: `${pkg}, CPU`, matmulFix: false, gpu: null, warning };
  }

  if (requested === 'wasm' || requested === 'auto') {
    const w = await tryWasm(matmulFix);
    if (w.ok) {
      const { simd, threads } = w.details;
      const reason = requested === 'auto' ? `auto; ${skipText(skipped)}` : explicit;
      const detail = `${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'}${matmulFixInstalled() ? '' : ', matmul fix off'}`;
      return { name: 'wasm', reason, skipped, threads, detail, matmulFix: matmulFixInstalled(), gpu: null, warning: null };
    }
    if (requested === 'wasm') throw new UserError(`backend wasm is not available: ${w.why}`);
    skipped.push(`wasm: ${w.why}`);
  }

  await tf.setBackend('cpu');
  await tf.ready();
  const reason = requested === 'auto' ? `auto; ${skipText(skipped)}` : explicit;
  return { name: 'cpu', reason, skipped, threads: 1, detail: 'plain JavaScript, 1 thread', matmulFix: false, gpu: null, warning: null };
}

/** One line for the terminal, e.g. "backend: wasm (SIMD, 1 thread) — tensorflow skipped: …". */
export function describeBackend(info: BackendInfo): string {
  const head = `backend: ${info.name} (${info.detail})`;
  const tail = info.warning ? ` — warning: ${info.warning}` : '';
  return `${head} — ${info.skipped.length === 0 ? info.reason : skipText(info.skipped)}${tail}`;
}

/** "tensorflow: why" → "tensorflow skipped: why", joined by "; ". */
function skipText(skipped: string[]): string {
  return skipped.map((s) => s.replace(/^(\w+): /, '$1 skipped: ')).join('; ');
}
