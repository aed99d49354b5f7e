// `ldr sweep`: run every point of a grid of experiments (see src/sweep), in parallel,
// resumable, shardable across a cluster.
import type { Command } from 'commander';
import * as path from 'path';
import { emitK8s, emitSlurm, type EmitOptions } from '../sweep/emit';
import { buildGrid, type Grid, type SweepPoint } from '../sweep/points';
import { formatProgress } from '../sweep/progress';
import { runPoints, type SweepResult } from '../sweep/runner';
import { DISK_ERROR_EXIT_CODE } from '../util/atomic';
import { inShard, parseShard } from '../sweep/shard';
import { queuedTasks, readSubmissions, slurmDir, submitArray } from '../sweep/slurm';
import { readSweepFile } from '../sweep/source';
import { pointState, readOutcome } from '../sweep/state';
import { formatStatus, pointStatus, statusJson } from '../sweep/status';
import { ldrVersion } from '../runs/env';
import { UserError } from '../util/errors';
import { planThreads, pointWorkers } from '../sweep/threads';
import { availableCores } from '../train/workers';

interface SweepOptions {
  config: string;
  jobs?: string;
  shard?: string | true;
  shards?: string;
  dryRun?: boolean;
  emit?: string;
  set: string[];
  quiet?: boolean;
  image: string;
  pvc: string;
  slurm?: boolean;
  status?: boolean;
  partition?: string;
  arrayParallelism?: string;
  time?: string;
  cpusPerTask?: string;
  jobsPerTask?: string;
  force?: boolean;
  json?: boolean;
  oversubscribe?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .description('Run every point of a grid of experiments: parallel, resumable, shardable (one run folder per point)')
    .requiredOption('--config <file>', 'an experiment with a sweep: section (grid, zip, exclude)')
    .option('--jobs <n>', 'points run at once, each in its own process (default: cores / training.workers)')
    .option('--shard [i/n]', 'run only slice i of n (0-based); bare or "auto": i from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX, n from SLURM_ARRAY_TASK_COUNT or LDR_SHARDS')
    .option('--dry-run', 'print the points and which are done; run nothing')
    .option('--emit <kind>', 'print a cluster job that runs the shards: slurm (sbatch job array) or k8s (Indexed Job)')
    .option('--shards <n>', 'with --emit or --slurm: number of shards = array tasks (default: one per point)')
    .option('--set <key=value>', 'override a field in every point (repeatable)', collect, [])
    .option('--quiet', 'no progress line, only the final summary')
    .option('--image <name>', 'with --emit k8s: container image', 'node:20')
    .option('--pvc <name>', 'with --emit k8s: persistent volume claim holding this folder', 'ldr-work')
    .option('--slurm', 'submit the sweep as one Slurm job array (one task per shard; --shards, default one per point) and return')
    .option('--partition <name>', 'with --slurm / --emit slurm: the Slurm partition')
    .option('--array-parallelism <k>', 'with --slurm / --emit slurm: at most k array tasks at once (--array=0-(n-1)%k)')
    .option('--time <limit>', 'with --slurm / --emit slurm: time limit of each task (e.g. 2:00:00); a task killed at the limit resumes on resubmission')
    .option('--cpus-per-task <c>', 'with --slurm / --emit slurm: CPUs of each task (default: --jobs-per-task × training.workers)')
    .option('--jobs-per-task <j>', 'with --slurm / --emit: points each task runs at once (default 1; same as --jobs there)')
    .option('--status', 'show each point: done / running / stale / failed / pending, the ldr version that made it, and the Slurm jobs that ran it')
    .option('--json', 'with --status: one JSON object (points, counts, ldr version) on stdout')
    .option('--oversubscribe', 'allow --jobs × training.workers to exceed the cores')
    .option('--force', 'retrain every point, also those that ended before (e.g. made by an older ldr)')
    .action(async (opts: SweepOptions) => {
      const src = readSweepFile(opts.config);
      const grid = buildGrid(src, opts.set);
      if (opts.status) return status(opts, grid);
      if (opts.slurm) return submit(opts, grid);
      if (opts.emit !== undefined) return emit(opts, grid);
      const jobsFlag = positiveInt(opts.jobs, '--jobs');
      const shard = parseShard(opts.shard === true ? 'auto' : opts.shard);
      const mine = inShard(grid.points, shard);
      const header = `${opts.config}: ${plural(grid.points.length, 'point')}${gridNotes(grid)}${shard ? `; shard ${shard.index}/${shard.count}: ${plural(mine.length, 'point')}` : ''}`;
      if (opts.dryRun) return dryRun(header, mine);
      const { jobs, workersAuto } = planThreads(mine, jobsFlag, availableCores(), opts.oversubscribe ?? false);
      if (!opts.quiet) process.stderr.write(`${header}\n`);
      const result = await run(mine, jobs, workersAuto, opts.quiet ?? false, opts.force ?? false);
      finish(result, mine.length);
    });
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function positiveInt(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UserError(`${flag}: expected a whole number ≥ 1, got "${text}"`);
  return Number(text);
}

function gridNotes(grid: Grid): string {
  const notes = [];
  if (grid.excluded) notes.push(`${grid.excluded} excluded`);
  if (grid.merged) notes.push(`${grid.merged} merged (same run, e.g. ranks of a rank-free class)`);
  return notes.length ? ` (${grid.combinations} combinations, ${notes.join(', ')})` : '';
}

function dryRun(header: string, points: SweepPoint[]): void {
  const counts = new Map<string, number>();
  const lines = points.map((p) => {
    const state = pointState(p);
    counts.set(state, (counts.get(state) ?? 0) + 1);
    const why = state === 'failed' ? `  (${readOutcome(p)?.message ?? ''})` : '';
    return `${String(p.index).padStart(4)}  ${state.padEnd(9)}  ${p.runId}  ${p.label}${why}`;
  });
  const summary = [...counts].map(([state, n]) => `${n} ${state}`).join(', ');
  process.stdout.write(`${header}\n${lines.join('\n')}${lines.length ? '\n' : ''}${summary || 'nothing to run'}\n`);
}

async function run(points: SweepPoint[], jobs: number, workersAuto: number, quiet: boolean, force: boolean): Promise<SweepResult> {
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const tty = process.stderr.isTTY === true;
  let last = '';
  try {
    return await runPoints(points, {
      jobs,
      workersAuto,
      force,
      signal: abort.signal,
      // Off a terminal (a log file, Slurm's task output) every point's epoch lines, as they come;
      // on one the progress line says enough, and the lines are in .sweep/logs/.
      onLine: quiet || tty ? undefined : (p, line) => process.stderr.write(`[${p.index} ${p.runId}] ${line}\n`),
      onProgress: (counts, eta) => {
        if (quiet) return;
        const line = formatProgress(counts, eta);
        // Clipped to the terminal's width: a wrapped line cannot be rewritten in place.
        if (tty) process.stderr.write(`\r\x1b[2K${line.slice(0, Math.max(1, (process.stderr.columns || Infinity) - 1))}`);
        else if (line.replace(/ · ETA.*/, '') !== last.replace(/ · ETA.*/, '')) process.stderr.write(`${line}\n`);
        last = line;
      },
    });
  } finally {
    if (tty && !quiet) process.stderr.write('\n');
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

function finish(result: SweepResult, total: number): void {
  const count = (o: string) => result.results.filter((r) => r.outcome === o).length;
  const failed = result.results.filter((r) => r.outcome === 'failed');
  const parts = [`${count('completed')} completed`, `${count('diverged')} diverged`, `${count('finished-before')} already done`, `${failed.length} failed`];
  const left = total - result.results.length;
  if (left) parts.push(`${left} not run`);
  process.stdout.write(`sweep: ${parts.join(', ')}\n`);
  const older = result.results.filter((r) => r.otherVersion);
  if (older.length) {
    const versions = [...new Set(older.map((r) => r.otherVersion))].join(', ');
    process.stderr.write(
      `ldr sweep: warning: ${plural(older.length, 'point')} ended before were made by ldr ${versions}, not ${ldrVersion()}; ` +
        `reused as they are — \`ldr sweep --force\` retrains them (${older.map((r) => r.point.runId).slice(0, 5).join(', ')}${older.length > 5 ? ', …' : ''})\n`,
    );
  }
  for (const r of result.results.filter((x) => x.outcome === 'diverged')) {
    process.stdout.write(`  diverged  ${r.point.runId}  ${r.point.label}: ${r.message}\n`);
  }
  for (const r of failed) process.stdout.write(`  FAILED    ${r.point.runId}  ${r.point.label}: ${r.message} (log: ${r.log})\n`);
  if (result.interrupted) throw new UserError('sweep interrupted; run the same command again to resume', 130);
  if (result.diskError) throw new UserError(`sweep stopped, no further point started: ${result.diskError}`, DISK_ERROR_EXIT_CODE);
  if (failed.length) throw new UserError(`${failed.length} of ${total} points failed: ${failed.map((r) => r.point.runId).join(', ')}`, 1);
}

function emit(opts: SweepOptions, grid: Grid): void {
  if (opts.emit !== 'slurm' && opts.emit !== 'k8s') throw new UserError(`--emit: expected slurm or k8s, got "${opts.emit}"`);
  const o = clusterJob(opts, grid);
  process.stdout.write(opts.emit === 'slurm' ? emitSlurm(o) : emitK8s(o));
}

/** What a cluster job of this sweep looks like: shards, per-task jobs, paths (shared by --emit and --slurm). */
function clusterJob(opts: SweepOptions, grid: Grid): EmitOptions {
  if (!grid.points.length) throw new UserError(`${opts.config}: the grid has no points`);
  const fromShard = typeof opts.shard === 'string' && opts.shard.includes('/') ? opts.shard.split('/')[1] : undefined;
  const shards = positiveInt(opts.shards ?? fromShard, '--shards') ?? grid.points.length;
  const jobs = positiveInt(opts.jobsPerTask, '--jobs-per-task') ?? positiveInt(opts.jobs, '--jobs') ?? 1;
  return {
    config: path.resolve(opts.config),
    experiment: grid.points[0].config.name,
    points: grid.points.length,
    shards: Math.min(shards, grid.points.length),
    jobs,
    workers: pointWorkers(grid.points),
    oversubscribe: opts.oversubscribe ?? false,
    sets: opts.set,
    cwd: process.cwd(),
    node: process.execPath,
    ldrBin: path.resolve(__dirname, '..', '..', 'bin', 'ldr'),
    image: opts.image,
    pvc: opts.pvc,
    partition: opts.partition,
    time: opts.time,
    parallelism: positiveInt(opts.arrayParallelism, '--array-parallelism'),
    cpusPerTask: positiveInt(opts.cpusPerTask, '--cpus-per-task'),
  };
}

/** `--slurm`: submit the job array, say how to follow it, and return (the tasks do the work). */
function submit(opts: SweepOptions, grid: Grid): void {
  const job = clusterJob(opts, grid);
  const first = grid.points[0].config;
  const dir = slurmDir(first.output, first.name);
  const script = emitSlurm({ ...job, logFile: path.join(dir, '%A_%a.out') });
  const s = submitArray(script, dir, job.cwd, { shards: job.shards, parallelism: job.parallelism ?? null, config: job.config, sets: opts.set });
  const configArg = opts.config + opts.set.map((x) => ` --set ${x}`).join('');
  const notDone = grid.points.filter((p) => !['completed', 'diverged'].includes(pointState(p))).length;
  process.stdout.write(
    [
      `submitted job array ${s.jobId}: ${plural(grid.points.length, 'point')} (${notDone} not done) in ${plural(job.shards, 'task')}` +
        `${job.parallelism ? `, at most ${job.parallelism} at once` : ''}`,
      `  follow:   squeue -j ${s.jobId}`,
      `  progress: ldr sweep --config ${configArg} --status`,
      `  output:   ${path.join(dir, `${s.jobId}_<task>.out`)}`,
      `  script:   ${s.script}`,
      '',
    ].join('\n'),
  );
}

/** `--status`: every point's state and the Slurm jobs that ran it, then what squeue still holds. */
function status(opts: SweepOptions, grid: Grid): void {
  const rows = grid.points.map((p) => pointStatus(p));
  if (opts.json) {
    process.stdout.write(JSON.stringify({ config: opts.config, ...statusJson(rows), combinations: grid.combinations, excluded: grid.excluded, merged: grid.merged }) + '\n');
    return;
  }
  let out = `${opts.config}: ${plural(grid.points.length, 'point')}${gridNotes(grid)}\n${formatStatus(rows)}`;
  if (grid.points.length) {
    const first = grid.points[0].config;
    const ids = readSubmissions(slurmDir(first.output, first.name)).map((s) => s.jobId);
    if (ids.length) {
      const queued = queuedTasks(ids);
      if (queued === null) out += `slurm: submitted ${ids.join(', ')}; squeue is not available here\n`;
      else if (!queued.size) out += `slurm: no task of job${ids.length === 1 ? '' : 's'} ${ids.join(', ')} is queued or running\n`;
      else out += `slurm: ${[...queued].map(([id, state]) => `${id} ${state.toLowerCase()}`).join(', ')}\n`;
    }
  }
  process.stdout.write(out);
}

