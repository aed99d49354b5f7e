// Where and with what a run was computed (env.json): backend, versions, host, the command line
// that started it (and the sweep's, when a sweep launched it), and the state of ldr's checkout.
import { execFileSync } from 'child_process';
import * as os from 'os';
import * as tf from '@tensorflow/tfjs';
import type { RunEnv, SlurmJob } from './types';

/** Set by `ldr sweep` for the `ldr train` children it starts: its own argv as JSON. */
export const SWEEP_ARGV_ENV = 'LDR_SWEEP_ARGV';

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: __dirname, stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).toString();
  } catch {
    return null;
  }
}

/** HEAD of the git repository holding ldr itself, or null outside one. */
export function gitCommit(): string | null {
  return git(['rev-parse', 'HEAD'])?.trim() || null;
}

/** Whether ldr's own checkout has uncommitted changes to tracked files (null outside a checkout). */
export function gitDirty(): boolean | null {
  const out = git(['status', '--porcelain', '--untracked-files=no']);
  return out === null ? null : out.trim().length > 0;
}

/** The version of ldr that is running (package.json). */
export function ldrVersion(): string {
  return require('../../package.json').version;
}

/** The values of `--set k=v` / `--set=k=v` in a command line, in order. */
export function setOverrides(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--set' && i + 1 < argv.length) out.push(argv[++i]);
    else if (argv[i].startsWith('--set=')) out.push(argv[i].slice('--set='.length));
  }
  return out;
}

function sweepOrigin(env: Record<string, string | undefined>): RunEnv['sweep'] | undefined {
  const raw = env[SWEEP_ARGV_ENV];
  if (!raw) return undefined;
  try {
    const argv = JSON.parse(raw) as unknown;
    if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) return undefined;
    return { argv, overrides: setOverrides(argv) };
  } catch {
    return undefined;
  }
}

export function collectEnv(backend: { name: string; reason: string; gpu?: RunEnv['gpu'] | null; warning?: string | null }, argv: readonly string[] = process.argv.slice(2)): RunEnv {
  const slurm = slurmJob();
  const sweep = sweepOrigin(process.env);
  return {
    backend: backend.name,
    backendReason: backend.reason,
    ...(backend.gpu ? { gpu: backend.gpu } : {}),
    ...(backend.warning ? { backendWarning: backend.warning } : {}),
    tfjsVersion: tf.version.tfjs,
    nodeVersion: process.version,
    ldrVersion: ldrVersion(),
    gitCommit: gitCommit(),
    gitDirty: gitDirty(),
    host: os.hostname(),
    platform: `${process.platform}-${process.arch}`,
    startedAt: new Date().toISOString(),
    cwd: process.cwd(),
    argv: [...argv],
    overrides: setOverrides(argv),
    ...(sweep ? { sweep } : {}),
    ...(slurm ? { slurm } : {}),
  };
}

/** The Slurm job this process runs in, or null outside Slurm. */
export function slurmJob(env: Record<string, string | undefined> = process.env): SlurmJob | null {
  if (!env.SLURM_JOB_ID) return null;
  return {
    jobId: env.SLURM_JOB_ID,
    ...(env.SLURM_ARRAY_JOB_ID ? { arrayJobId: env.SLURM_ARRAY_JOB_ID } : {}),
    ...(env.SLURM_ARRAY_TASK_ID ? { arrayTaskId: env.SLURM_ARRAY_TASK_ID } : {}),
  };
}

/** How squeue names it: "123_4" for task 4 of array job 123, else the job id. */
export function slurmJobLabel(job: SlurmJob): string {
  return job.arrayJobId && job.arrayTaskId !== undefined ? `${job.arrayJobId}_${job.arrayTaskId}` : job.jobId;
}
