// `ldr sweep --emit slurm|k8s`: a job that runs the sweep's shards on a cluster, one array
// task (Slurm) or one completion index (Kubernetes Indexed Job) per shard, all on the same
// shared results folder. Each task is an ordinary `ldr sweep --shard i/n`, so a task that
// dies is simply resumed by resubmitting.
import { stringify } from 'yaml';

export interface EmitOptions {
  /** Absolute path of the sweep config. */
  config: string;
  experiment: string;
  points: number;
  shards: number;
  /** Points run at once inside each task. */
  jobs: number;
  /** Threads of each point (training.workers; CPUs per task = jobs × workers). */
  workers?: number;
  /** Pass --oversubscribe on to the tasks. */
  oversubscribe?: boolean;
  sets: readonly string[];
  /** Folder the tasks run in (relative output paths resolve from it). */
  cwd: string;
  /** Absolute path of bin/ldr. */
  ldrBin: string;
  /** Kubernetes only: container image with Node 20, and the claim that holds `cwd`. */
  image: string;
  pvc: string;
  /** Slurm only: the node binary the tasks run (absolute; default "node" from PATH). */
  node?: string;
  /** Slurm only: sbatch options (absent: the cluster's defaults). */
  partition?: string;
  time?: string;
  /** At most this many array tasks at once (`--array=0-(n−1)%K`). */
  parallelism?: number;
  /** CPUs per array task (default: jobs × workers). */
  cpusPerTask?: number;
  /** Where each task's output goes (sbatch --output pattern; default ldr-<experiment>-%A_%a.out in cwd). */
  logFile?: string;
}

function sh(arg: string): string {
  return /^[A-Za-z0-9_./=:@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function sweepArgs(o: EmitOptions): string[] {
  return ['--config', o.config, '--jobs', String(o.jobs), ...(o.oversubscribe ? ['--oversubscribe'] : []), ...o.sets.flatMap((s) => ['--set', s])];
}

/** The CPUs a task needs: its points at once, each with its threads. */
function taskCpus(o: EmitOptions): number {
  return o.jobs * (o.workers ?? 1);
}

export function emitSlurm(o: EmitOptions): string {
  const args = sweepArgs(o).map(sh).join(' ');
  const limit = o.parallelism ? `%${o.parallelism}` : '';
  // #SBATCH lines are not shell, but sbatch reads a double-quoted value (a path with spaces).
  const directive = (flag: string, value: string) => `#SBATCH --${flag}=${/\s/.test(value) ? `"${value}"` : value}`;
  return [
    '#!/bin/bash',
    `# ldr sweep ${o.config}: ${o.points} points in ${o.shards} shards (one array task each).`,
    '# Submit with `sbatch <this file>`; resubmit after cancelled or failed tasks: finished points are skipped.',
    directive('job-name', `ldr-${o.experiment}`),
    `#SBATCH --array=0-${o.shards - 1}${limit}`,
    '#SBATCH --ntasks=1',
    `#SBATCH --cpus-per-task=${o.cpusPerTask ?? taskCpus(o)}`,
    ...(o.partition ? [directive('partition', o.partition)] : []),
    ...(o.time ? [directive('time', o.time)] : []),
    directive('output', o.logFile ?? `ldr-${o.experiment}-%A_%a.out`),
    'set -euo pipefail',
    `cd ${sh(o.cwd)}`,
    `exec ${sh(o.node ?? 'node')} ${sh(o.ldrBin)} sweep ${args} --shard "\${SLURM_ARRAY_TASK_ID}/${o.shards}"`,
    '',
  ].join('\n');
}

export function emitK8s(o: EmitOptions): string {
  const name = `ldr-sweep-${o.experiment.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`.slice(0, 52);
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      completionMode: 'Indexed',
      completions: o.shards,
      parallelism: o.shards,
      backoffLimit: 2 * o.shards,
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'ldr',
              image: o.image,
              workingDir: o.cwd,
              // The shard index comes from JOB_COMPLETION_INDEX, the shard count from LDR_SHARDS.
              command: ['node', o.ldrBin, 'sweep', ...sweepArgs(o), '--shard', 'auto'],
              env: [{ name: 'LDR_SHARDS', value: String(o.shards) }],
              resources: { requests: { cpu: String(taskCpus(o)) } },
              volumeMounts: [{ name: 'work', mountPath: o.cwd }],
            },
          ],
          volumes: [{ name: 'work', persistentVolumeClaim: { claimName: o.pvc } }],
        },
      },
    },
  };
  const header = [
    `# ldr sweep ${o.config}: ${o.points} points in ${o.shards} shards (one completion index each).`,
    `# Assumes the claim "${o.pvc}" holds ${o.cwd} (the ldr checkout, the config and the results) and`,
    `# the image "${o.image}" has Node 20. Apply with \`kubectl apply -f <this file>\`.`,
  ];
  return `${header.join('\n')}\n${stringify(job, { lineWidth: 0 })}`;
}
