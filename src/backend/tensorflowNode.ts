// The `tensorflow` backend: @tensorflow/tfjs-node-gpu (CUDA) or @tensorflow/tfjs-node (CPU).
// Both are optional peer dependencies whose install script downloads libtensorflow, so they are
// never needed to install, build or test ldr: they are required lazily, by a name held in a
// variable so that neither tsc nor vitest tries to resolve them.
import * as fs from 'fs';
import { spawnSync } from 'child_process';
import * as tf from '@tensorflow/tfjs';

export const GPU_PACKAGE = '@tensorflow/tfjs-node-gpu';
export const CPU_PACKAGE = '@tensorflow/tfjs-node';

// Their install script downloads libtensorflow; npm ≥ 11 skips install scripts until approved,
// hence approve + rebuild (as README "GPUs" shows).
export const INSTALL_HINT =
  `install one: npm install --no-save ${GPU_PACKAGE}@4.22.0 (CUDA 11.2 + cuDNN 8.1) ` +
  `or npm install --no-save ${CPU_PACKAGE}@4.22.0 (CPU only), then (npm ≥ 11) ` +
  `npm install-scripts approve <package> && npm rebuild <package>`;

/** The CUDA device in use, as nvidia-smi names it (env.json `gpu`). */
export interface CudaGpuInfo {
  api: 'cuda';
  name: string;
  driver: string | null;
  memory: string | null;
}

/** How the selection looks at the machine; tests substitute their own. */
export interface NodeProbe {
  isInstalled(pkg: string): boolean;
  /** Load the package (it registers the 'tensorflow' backend as a side effect). */
  load(pkg: string): void;
  cudaVisible(): boolean;
  /** After setBackend('tensorflow'): whether TensorFlow placed its ops on a CUDA device. */
  usingGpu(): boolean;
  /** The first GPU nvidia-smi lists, or null. */
  cudaGpu(): CudaGpuInfo | null;
}

export const realProbe: NodeProbe = {
  isInstalled(pkg) {
    try {
      require.resolve(pkg);
      return true;
    } catch {
      return false;
    }
  },
  load(pkg) {
    const name = pkg; // a variable, so bundlers and type checkers leave it alone
    require(name);
  },
  cudaVisible,
  usingGpu: () => (tf.backend() as { isUsingGpuDevice?: boolean }).isUsingGpuDevice === true,
  cudaGpu,
};

export function cudaGpu(): CudaGpuInfo | null {
  const smi = spawnSync('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'], {
    encoding: 'utf8',
    timeout: 5000,
  });
  if (smi.status !== 0 || !smi.stdout) return null;
  const [name, driver, memory] = smi.stdout.split('\n')[0].split(',').map((s) => s.trim());
  return name ? { api: 'cuda', name, driver: driver || null, memory: memory || null } : null;
}

/** A CUDA device is visible unless CUDA_VISIBLE_DEVICES hides them all. */
export function cudaVisible(env: NodeJS.ProcessEnv = process.env): boolean {
  const visible = env.CUDA_VISIBLE_DEVICES;
  if (visible !== undefined && (visible.trim() === '' || visible.trim() === '-1')) return false;
  try {
    if (fs.readdirSync('/proc/driver/nvidia/gpus').length > 0) return true;
  } catch {
    // no NVIDIA kernel driver exposed here (containers often lack /proc/driver/nvidia)
  }
  if (visible !== undefined) return true;
  const smi = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 5000 });
  return smi.status === 0 && /GPU \d+/.test(smi.stdout ?? '');
}

/** `gpu`: TensorFlow actually runs on a CUDA device (not merely the GPU package loaded). */
export type TensorflowAttempt = { ok: true; pkg: string; gpu: boolean; cuda: CudaGpuInfo | null } | { ok: false; why: string };

/**
 * Load one of the two packages and switch to the 'tensorflow' backend. The GPU package comes
 * first when a CUDA device is visible, the CPU package first otherwise.
 */
export async function tryTensorflow(probe: NodeProbe = realProbe): Promise<TensorflowAttempt> {
  const installed = [GPU_PACKAGE, CPU_PACKAGE].filter((p) => probe.isInstalled(p));
  if (installed.length === 0) return { ok: false, why: `${GPU_PACKAGE} and ${CPU_PACKAGE} not installed` };
  const gpu = installed.includes(GPU_PACKAGE) && probe.cudaVisible();
  const order = (gpu ? [GPU_PACKAGE, CPU_PACKAGE] : [CPU_PACKAGE, GPU_PACKAGE]).filter((p) => installed.includes(p));
  const failures: string[] = [];
  for (const pkg of order) {
    try {
      probe.load(pkg);
    } catch (err) {
      failures.push(`${pkg} failed to load (${firstLine(err)})`);
      continue;
    }
    // The package registers its backend with the @tensorflow/tfjs copy it resolves; a different
    // copy from ours would leave our engine without it.
    if (!tf.findBackendFactory('tensorflow')) {
      failures.push(`${pkg} loaded but registered no 'tensorflow' backend with ldr's @tensorflow/tfjs ${tf.version.tfjs}`);
      continue;
    }
    if (await tf.setBackend('tensorflow')) {
      const onGpu = pkg === GPU_PACKAGE && probe.usingGpu();
      return { ok: true, pkg, gpu: onGpu, cuda: onGpu ? probe.cudaGpu() : null };
    }
    failures.push(`${pkg} loaded but its backend failed to initialise`);
  }
  return { ok: false, why: failures.join('; ') };
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0].trim();
}
