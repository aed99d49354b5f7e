// Runs the points of a sweep: up to `jobs` child processes of `ldr train` at once. A point
// whose summary.json exists is skipped; one claimed by a live process elsewhere (its run
// lock, or `ldr train` exiting with 75) is retried later, so that two sweeps on one results
// folder split the work and the sweep ends only when every point has ended; a failing
// point is recorded and the others go on. Each child's output (one line per epoch) is appended
// to `.sweep/logs/<run-id>.log` as it comes, so a log shows where a running point is.
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { DISK_ERROR_EXIT_CODE, writeFileAtomic } from '../util/atomic';
import { ldrVersion, slurmJob, SWEEP_ARGV_ENV } from '../runs/env';
import { WORKERS_AUTO_ENV } from '../train/workers';
import { LOCK_HELD_EXIT_CODE, lockState } from '../runs/lock';
import type { SweepPoint } from './points';
import { Progress, type ProgressCounts } from './progress';
import { readOutcome, readRunEnv, readStart, readSummary, sweepDir, writeOutcome, writeStart, type OutcomeRecord } from './state';
import type { RunSummary } from '../runs/types';

export type Outcome = 'completed' | 'diverged' | 'failed' | 'finished-before';

export interface PointResult {
  point: SweepPoint;
  outcome: Outcome;
  /** True when this sweep ran it (false: finished before, or by another process). */
  ranHere: boolean;
  /** For points that ended before: the ldr version that made them (env.json), when it is not this one. */
  otherVersion?: string;
  message: string;
  log?: string;
}

export interface RunOptions {
  jobs: number;
  /** What `training.workers: auto` means in each child (threads.ts); absent: the child's own cores. */
  workersAuto?: number;
  /** How long to wait before looking again at a point claimed elsewhere. */
  pollMs?: number;
  /** Starts the child for a point (tests may substitute a stand-in). */
  launch?: (point: SweepPoint, configFile: string) => ChildProcess;
  onProgress?: (counts: ProgressCounts, etaSeconds: number | null) => void;
  /** Each complete line a child prints (its epoch lines), as it comes. */
  onLine?: (point: SweepPoint, line: string) => void;
  /** Retrain every point, also those that ended before (`ldr train --force`). */
  force?: boolean;
  signal?: AbortSignal;
}

export interface SweepResult {
  results: PointResult[];
  interrupted: boolean;
  /** Set when a point stopped on a full (or unwritable) disk: no further point was started. */
  diskError: string | null;
}

const LDR_BIN = path.resolve(__dirname, '..', '..', 'bin', 'ldr');
const LOG_LIMIT = 256 * 1024;
/** What `ldr train` prints when the run had ended before it started (src/cli/train.ts). */
const ALREADY_ENDED = /^already ended \(use --force/m;

export function launchTrain(_point: SweepPoint, configFile: string, opts: { force?: boolean; workersAuto?: number } = {}): ChildProcess {
  // Not --quiet: off a TTY `ldr train` prints one line per epoch (to the log). The child's
  // env.json records the sweep's own command line.
  return spawn(process.execPath, [LDR_BIN, 'train', '--config', configFile, ...(opts.force ? ['--force'] : [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      [SWEEP_ARGV_ENV]: JSON.stringify(process.argv.slice(2)),
      ...(opts.workersAuto ? { [WORKERS_AUTO_ENV]: String(opts.workersAuto) } : {}),
    },
  });
}

/** The ldr version recorded in a run folder's env.json when it differs from the running one (null: same or unknown). */
export function otherLdrVersion(runDir: string): string | null {
  const v = readRunEnv(runDir)?.ldrVersion;
  return v && v !== ldrVersion() ? v : null;
}

/** Write the resolved config of a point where its child reads it (atomically; same content → same file). */
export function writePointConfig(point: SweepPoint): string {
  const file = path.join(sweepDir(point), 'points', `${point.runId}.yaml`);
  writeFileAtomic(file, `# ldr sweep point ${point.runId}: ${point.label}\n${stringify(point.config)}`);
  return file;
}

interface Ended {
  point: SweepPoint;
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  seconds: number;
}

export async function runPoints(points: SweepPoint[], opts: RunOptions): Promise<SweepResult> {
  const jobs = Math.max(1, opts.jobs);
  const pollMs = opts.pollMs ?? 2000;
  const launch = opts.launch ?? ((p: SweepPoint, file: string) => launchTrain(p, file, { force: opts.force, workersAuto: opts.workersAuto }));
  // With --force a point is retrained once per sweep, then counts as ended.
  const forced = new Set<string>();
  const progress = new Progress(points.length, jobs);
  const results: PointResult[] = [];
  const waiting = points.map((point) => ({ point, notBefore: 0 }));
  const running = new Map<string, { child: ChildProcess; ended: Promise<Ended> }>();
  const elsewhere = new Set<string>();
  // A full disk fails every later point the same way: stop starting new ones.
  let diskError: string | null = null;
  const report = () => opts.onProgress?.(progress.counts(running.size, elsewhere.size), progress.eta(running.size));
  const finish = (r: PointResult) => {
    elsewhere.delete(r.point.runId);
    results.push(r);
    progress.ended(r.outcome === 'failed' ? 'failed' : 'done');
  };

  const onAbort = () => running.forEach(({ child }) => child.kill('SIGTERM'));
  opts.signal?.addEventListener('abort', onAbort);
  try {
    report();
    while (waiting.length || running.size) {
      const aborted = (opts.signal?.aborted ?? false) || diskError !== null;
      const now = Date.now();
      for (let k = 0; !aborted && k < waiting.length && running.size < jobs; ) {
        const item = waiting[k];
        if (item.notBefore > now) {
          k++;
          continue;
        }
        waiting.splice(k, 1);
        const { point } = item;
        const summary = opts.force && !forced.has(point.runId) ? null : readSummary(point.runDir);
        if (summary) {
          recordMissingOutcome(point, summary);
          const other = otherLdrVersion(point.runDir);
          finish({ point, outcome: 'finished-before', ranHere: false, message: summary.status, ...(other ? { otherVersion: other } : {}) });
        } else if (lockState(point.runDir) === 'live') {
          elsewhere.add(point.runId);
          waiting.push({ point, notBefore: now + pollMs });
        } else {
          elsewhere.delete(point.runId);
          forced.add(point.runId);
          running.set(point.runId, start(point, launch, opts.onLine));
        }
      }
      report();
      if (aborted && running.size === 0) break;
      if (!waiting.length && !running.size) break;
      const wake = waiting.length ? Math.max(10, Math.min(...waiting.map((w) => w.notBefore)) - Date.now()) : pollMs;
      let timer: NodeJS.Timeout | undefined;
      const ended = await Promise.race([
        ...[...running.values()].map((r) => r.ended),
        new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), running.size < jobs ? wake : pollMs))),
      ]);
      clearTimeout(timer);
      if (!ended) continue;
      running.delete(ended.point.runId);
      if (ended.code === LOCK_HELD_EXIT_CODE) {
        // Claimed by another process between our look and its start: wait for it to end.
        elsewhere.add(ended.point.runId);
        waiting.push({ point: ended.point, notBefore: Date.now() + pollMs });
        continue;
      }
      if (opts.signal?.aborted && !readSummary(ended.point.runDir)) continue; // interrupted: resumes next time
      const r = classify(ended);
      if (ended.code === DISK_ERROR_EXIT_CODE && r.outcome === 'failed') diskError = lastLine(ended.output).replace(/^ldr: /, '');
      if (r.ranHere) progress.took(ended.seconds);
      finish(r);
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  report();
  return { results, interrupted: opts.signal?.aborted ?? false, diskError };
}

export function logFile(point: SweepPoint): string {
  return path.resolve(sweepDir(point), 'logs', `${point.runId}.log`);
}

function start(point: SweepPoint, launch: NonNullable<RunOptions['launch']>, onLine?: RunOptions['onLine']): { child: ChildProcess; ended: Promise<Ended> } {
  const file = writePointConfig(point);
  const slurm = slurmJob();
  const at = new Date().toISOString();
  writeStart(point, { runId: point.runId, host: os.hostname(), pid: process.pid, at, ...(slurm ? { slurm } : {}) });
  // Appended, never truncated: attempts (resumes) follow one another, and a second sweep that
  // raced for the same point adds its few lines instead of clobbering the running one's log.
  const log = logFile(point);
  fs.mkdirSync(path.dirname(log), { recursive: true });
  let fd: number | null = fs.openSync(log, 'a');
  const append = (text: string) => {
    if (fd === null) return;
    try {
      fs.writeSync(fd, text);
    } catch {
      // A full disk must not stop the sweep: the log is a convenience, the run folder is the record.
    }
  };
  append(`# ${at} ldr sweep (pid ${process.pid} on ${os.hostname()}${slurm ? `, slurm ${slurm.jobId}` : ''}) starts ${point.runId}: ${point.label}\n`);
  const t0 = Date.now();
  const child = launch(point, file);
  let output = '';
  let partial = '';
  const keep = (chunk: Buffer) => {
    const text = chunk.toString();
    append(text);
    output += text;
    if (output.length > LOG_LIMIT) output = output.slice(-LOG_LIMIT);
    if (onLine) {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) onLine(point, l);
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const close = () => {
    if (fd !== null) fs.closeSync(fd);
    fd = null;
  };
  const ended = new Promise<Ended>((resolve) => {
    // A child that cannot be started emits 'error' (and maybe no 'close'): that point failed.
    child.on('error', (err) => {
      append(`${err.message}\n`);
      close();
      resolve({ point, code: null, signal: null, output: `${output}\n${err.message}\n`, seconds: (Date.now() - t0) / 1000 });
    });
    child.on('close', (code, signal) => {
      close();
      resolve({ point, code, signal, output, seconds: (Date.now() - t0) / 1000 });
    });
  });
  return { child, ended };
}

/**
 * A run can end (summary.json written) just before the sweep that launched it is killed, so that
 * no outcome record says who ran it. Record it from what the run folder and the start record
 * still say: the last sweep that launched the point is the one that finished it.
 */
function recordMissingOutcome(point: SweepPoint, summary: RunSummary): void {
  if (readOutcome(point)) return;
  const start = readStart(point);
  const slurm = start?.slurm ?? readRunEnv(point.runDir)?.slurm;
  const log = logFile(point);
  writeOutcome(point, {
    ...(slurm ? { slurm } : {}),
    runId: point.runId,
    outcome: summary.status,
    exitCode: null,
    signal: null,
    message: `${summary.status} (recorded later: the sweep that ran it stopped before recording)`,
    log,
    seconds: summary.wallSeconds,
    host: start?.host ?? os.hostname(),
    pid: start?.pid ?? process.pid,
    at: new Date().toISOString(),
  });
}

/** Decide a point's outcome from its run folder (summary.json) and its exit, and record it. */
function classify(e: Ended): PointResult {
  const { point } = e;
  const summary = readSummary(point.runDir);
  if (summary && ALREADY_ENDED.test(e.output)) {
    // Another process finished it between our look and the child's claim: `ldr train` trained nothing.
    return { point, outcome: 'finished-before', ranHere: false, message: summary.status };
  }
  const log = logFile(point);
  let outcome: OutcomeRecord['outcome'];
  let message: string;
  if (summary) {
    outcome = summary.status;
    message = summary.status === 'diverged' ? summary.message ?? 'diverged' : 'completed';
  } else {
    outcome = 'failed';
    const exit = e.signal ? `killed by ${e.signal}` : `exit code ${e.code}`;
    const last = lastLine(e.output);
    message = e.code === 0 ? 'ended without writing summary.json' : `${exit}${last ? `: ${last}` : ''}`;
  }
  const slurm = slurmJob();
  writeOutcome(point, {
    ...(slurm ? { slurm } : {}),
    runId: point.runId,
    outcome,
    exitCode: e.code,
    signal: e.signal,
    message,
    log,
    seconds: e.seconds,
    host: os.hostname(),
    pid: process.pid,
    at: new Date().toISOString(),
  });
  return { point, outcome, ranHere: true, message, log };
}

function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.length ? lines[lines.length - 1].slice(0, 300) : '';
}
