// The `tensorflow` backend: @tensorflow/tfjs-node-gpu (CUDA) or @tensorflow/tfjs-node (CPU).
// Both are optional peer dependencies whose install script downloads libtensorflow, so they are
// never needed to install, build or test ldr: they are required lazily, by a name held in a
// variable so that neither tsc nor vitest tries to resolve them.
import * as fs from 'fs';
import { spawnSync } from 'child_process';
import * as tf from '@tensorflow/tfjs';

export const GPU_PACKAGE = '@tensorflow/tfjs-node-gpu';
export const CPU_PACKAGE = '@tensorflow/tfjs-node';

export const INSTALL_HINT =
  `install one: npm install ${GPU_PACKAGE}@4.22.0 (CUDA 11.2 + cuDNN 8.1) ` +
  `or npm install ${CPU_PACKAGE}@4.22.0 (CPU only)`;

/** How the selection looks at the machine; tests substitute their own. */
export interface NodeProbe {
  isInstalled(pkg: string): boolean;
  /** Load the package (it registers the 'tensorflow' backend as a side effect). */
  load(pkg: string): void;
  cudaVisible(): boolean;
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
};

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

export type TensorflowAttempt = { ok: true; pkg: string; gpu: boolean } | { ok: false; why: string };

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
    if (await tf.setBackend('tensorflow')) return { ok: true, pkg, gpu: pkg === GPU_PACKAGE && gpu };
    failures.push(`${pkg} loaded but its backend failed to initialise`);
  }
  return { ok: false, why: failures.join('; ') };
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0].trim();
}
