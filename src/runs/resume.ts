// Shared by the classifier and language-model runs: reading a checkpoint to resume from, checking
// it fits the model, and the message for a run another live process holds.
import type * as tf from '@tensorflow/tfjs';
import { UserError } from '../util/errors';
import { DamagedCheckpoint, loadCheckpoint } from './checkpoint';
import { writeMetrics, type RunPaths } from './folder';
import { LOCK_HELD_EXIT_CODE, type LockStatus } from './lock';

/**
 * The newest intact checkpoint, or a UserError that says how to get past a damaged one. A damaged
 * newer file is reported (`note`, default stderr) and the previous epoch's file used instead.
 * metrics.jsonl is rewritten from the checkpoint's history, so an epoch whose checkpoint was
 * saved just before a kill (and whose metrics line was not) is not lost.
 */
export function readCheckpoint(paths: RunPaths, note: (line: string) => void = (l) => process.stderr.write(`ldr: ${l}\n`)): ReturnType<typeof loadCheckpoint> {
  let loaded: ReturnType<typeof loadCheckpoint>;
  try {
    loaded = loadCheckpoint(paths.checkpoint);
  } catch (err) {
    if (!(err instanceof DamagedCheckpoint) && !(err as NodeJS.ErrnoException).code) throw err;
    throw new UserError(`cannot resume from ${paths.checkpoint}: ${(err as Error).message}; use --force to start over`);
  }
  if (loaded) {
    for (const why of loaded.skipped) note(`${why}; falling back to ${loaded.file} (epoch ${loaded.state.epoch})`);
    writeMetrics(paths, loaded.state.metrics);
  }
  return loaded;
}

/** The checkpoint must hold exactly the model's variables (names and sizes), or resuming is meaningless. */
export function assertResumable(paths: RunPaths, weights: Record<string, Float32Array>, vars: Record<string, tf.Variable>): void {
  const problems: string[] = [];
  for (const [name, v] of Object.entries(vars)) {
    if (!(name in weights)) problems.push(`no ${name}`);
    else if (weights[name].length !== v.size) problems.push(`${name} has ${weights[name].length} values, the model ${v.size}`);
  }
  for (const name of Object.keys(weights)) if (!(name in vars)) problems.push(`unexpected ${name}`);
  if (problems.length) {
    throw new UserError(`cannot resume from ${paths.checkpoint}: it does not fit the model (${problems.join('; ')}); use --force to start over`);
  }
}

export function lockHeldMessage(dir: string, holder: LockStatus): string {
  const who = holder.info ? `pid ${holder.info.pid} on ${holder.info.host}, started ${holder.info.startedAt}` : 'another process';
  const beat = holder.ageMs === null ? '' : `, last heartbeat ${Math.round(holder.ageMs / 1000)} s ago`;
  return `${dir} is being trained by ${who}${beat}; not starting a second copy (exit ${LOCK_HELD_EXIT_CODE})`;
}
