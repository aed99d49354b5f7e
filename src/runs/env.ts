// Where and with what a run was computed (env.json).
import { execFileSync } from 'child_process';
import * as os from 'os';
import * as tf from '@tensorflow/tfjs';
import type { RunEnv, SlurmJob } from './types';

/** HEAD of the git repository holding ldr itself, or null outside one. */
export function gitCommit(): string | null {
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: __dirname,
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    });
    return out.toString().trim() || null;
  } catch {
    return null;
  }
}

export function collectEnv(backend: { name: string; reason: string; gpu?: RunEnv['gpu'] | null; warning?: string | null }): RunEnv {
  const slurm = slurmJob();
  return {
    backend: backend.name,
    backendReason: backend.reason,
    ...(backend.gpu ? { gpu: backend.gpu } : {}),
    ...(backend.warning ? { backendWarning: backend.warning } : {}),
    tfjsVersion: tf.version.tfjs,
    nodeVersion: process.version,
    ldrVersion: require('../../package.json').version,
    gitCommit: gitCommit(),
    host: os.hostname(),
    platform: `${process.platform}-${process.arch}`,
    startedAt: new Date().toISOString(),
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
