// `training.workers`: how many threads share each batch of a run (parallel.ts), resolved against
// the machine. `auto` means the cores nobody else uses: inside `ldr sweep --jobs J`, the sweep
// hands its points floor(cores / J) through LDR_WORKERS_AUTO; a lone `ldr train` takes every core
// (os.availableParallelism()). Never more threads than rows in a batch. Only the image classifiers
// on the wasm and cpu backends have data-parallel steps: the LSTM carries its hidden state from
// window to window, and the GPU backends (tensorflow, webgpu) already use the whole device, so
// there `auto` is 1 and a number above 1 is an error.
import * as os from 'os';
import { PARALLEL_BACKENDS, type ExperimentConfig } from '../config/schema';
import { UserError } from '../util/errors';

/** Set by `ldr sweep` for its children: what `training.workers: auto` resolves to there. */
export const WORKERS_AUTO_ENV = 'LDR_WORKERS_AUTO';


export function availableCores(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** What `auto` means for a process: the sweep's share (LDR_WORKERS_AUTO), else every core. */
export function autoWorkers(env: Record<string, string | undefined> = process.env): number {
  const share = Number(env[WORKERS_AUTO_ENV]);
  return Number.isInteger(share) && share >= 1 ? share : availableCores();
}

/** The thread count a run computes with, on the backend that actually runs (a UserError where N > 1 cannot be). */
export function resolveWorkers(cfg: ExperimentConfig, backend: string, env: Record<string, string | undefined> = process.env): number {
  const w = cfg.training.workers;
  const capable = cfg.model.type !== 'lstm' && PARALLEL_BACKENDS.includes(backend);
  if (w === 'auto') return capable ? Math.max(1, Math.min(autoWorkers(env), cfg.training.batch_size)) : 1;
  if (w > 1 && !capable) {
    const why = cfg.model.type === 'lstm' ? 'model.type lstm trains on one thread' : `backend ${backend} runs here`;
    throw new UserError(`training.workers: expected 1 or "auto" (${why}; data-parallel steps need model.type shl or cnn on backend wasm or cpu), got ${w}`);
  }
  return w;
}
