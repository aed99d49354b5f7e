// `ldr sweep --slurm`: hand the sweep to the Slurm cluster the researcher already has, as one
// job array whose tasks are the shards (the script is exactly what `--emit slurm` prints).
// Each submission is recorded next to the sweep's other records, so `--status` can ask
// squeue about it later. Resubmitting is always safe: finished points are skipped and
// claimed ones are left to their live owner (src/sweep/runner.ts).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic';
import { UserError } from '../util/errors';

export interface Submission {
  jobId: string;
  /** The batch script as submitted. */
  script: string;
  shards: number;
  parallelism: number | null;
  /** The sweep config and the --set overrides it ran with. */
  config: string;
  sets: string[];
  at: string;
}

/** `<output>/<experiment>/.sweep/slurm`: submitted scripts, the submission list and the tasks' output. */
export function slurmDir(output: string, experiment: string): string {
  return path.resolve(output, experiment, '.sweep', 'slurm');
}

const submissionsFile = (dir: string) => path.join(dir, 'submissions.json');

export function readSubmissions(dir: string): Submission[] {
  try {
    const list = JSON.parse(fs.readFileSync(submissionsFile(dir), 'utf8')) as unknown;
    return Array.isArray(list) ? (list as Submission[]) : [];
  } catch {
    return [];
  }
}

type Env = Record<string, string | undefined>;

/**
 * Write the script into `dir` and submit it with `sbatch --parsable`; returns the job id.
 * A missing sbatch or a refusal by Slurm is a UserError (one line, Slurm's own reason).
 */
export function submitArray(
  script: string,
  dir: string,
  cwd: string,
  info: Omit<Submission, 'jobId' | 'script' | 'at'>,
  env: Env = process.env,
): Submission {
  const at = new Date().toISOString();
  const file = path.join(dir, `submit-${at.replace(/[:.]/g, '-')}.sbatch`);
  writeFileAtomic(file, script);
  fs.chmodSync(file, 0o755);
  const r = spawnSync('sbatch', ['--parsable', file], { cwd, env, encoding: 'utf8', timeout: 60_000 });
  if (r.error) {
    if ((r.error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UserError('--slurm: sbatch not found on PATH (run this on a Slurm login node, or print the script with --emit slurm)');
    }
    throw new UserError(`--slurm: could not run sbatch: ${r.error.message}`);
  }
  if (r.status !== 0) {
    throw new UserError(`--slurm: sbatch refused the job array (exit ${r.status}): ${lastLine(r.stderr) || lastLine(r.stdout) || 'no message'}`);
  }
  // --parsable prints "<job id>" or "<job id>;<cluster>".
  const jobId = r.stdout.trim().split('\n').pop()?.split(';')[0] ?? '';
  if (!/^\d+$/.test(jobId)) throw new UserError(`--slurm: sbatch did not print a job id (got "${r.stdout.trim()}")`);
  const submission: Submission = { jobId, script: file, ...info, at };
  writeJsonAtomic(submissionsFile(dir), [...readSubmissions(dir), submission]);
  return submission;
}

/** Task states squeue knows for these array jobs ("123_4" → "RUNNING"); null when squeue cannot be asked. */
export function queuedTasks(jobIds: string[], env: Env = process.env): Map<string, string> | null {
  const tasks = new Map<string, string>();
  // One job at a time: squeue rejects a whole list when one id in it has been forgotten.
  for (const id of jobIds) {
    const r = spawnSync('squeue', ['-h', '-r', '-o', '%i %T', '-j', id], { env, encoding: 'utf8', timeout: 30_000 });
    if (r.error) return null;
    if (r.status !== 0) {
      if (/Invalid job id/i.test(r.stderr)) continue; // ended long ago: nothing queued
      return null;
    }
    for (const line of r.stdout.split('\n')) {
      const [task, state] = line.trim().split(/\s+/);
      if (task && state) tasks.set(task, state);
    }
  }
  return tasks;
}

function lastLine(text: string | null): string {
  const lines = (text ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.length ? lines[lines.length - 1].slice(0, 300) : '';
}
