// `ldr bench workers`: what `training.workers: N` buys on this machine. For each repeat and each N
// (interleaved: 1, 2, 1, 2, … so that a busy machine slows both alike) one fresh process trains
// the experiment for `epochs` epochs into a scratch folder and reports, per epoch, its time split
// into the training part (all steps) and the evaluation part (validation), the validation accuracy
// and the process's peak RSS. The summary gives, per N, the medians and epoch(N) / epoch(first N)
// of each repeat. A fresh process per measurement: peak RSS is per process, and startup is not timed.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { BackendInfo } from '../backend';
import type { ExperimentConfig } from '../config/schema';
import type { Dataset } from '../data/types';
import { runExperiment } from '../train/run';
import { createProgress } from '../train/progress';
import { median } from './timing';

/** What one measurement process prints (one JSON line). */
export interface WorkersSample {
  workers: number;
  /** Seconds from the start of the process to the first step (dataset, backends, worker threads). */
  setupSeconds: number;
  /** Per epoch; cpuSeconds is the CPU time of all the process's threads (steadier than wall time on a busy machine). */
  epochs: Array<{ epoch: number; seconds: number; trainSeconds: number; evalSeconds: number; cpuSeconds: number; valAcc: number | null }>;
  peakRssMB: number;
}

export interface WorkersRow {
  workers: number;
  /** Medians over repeats of the last epoch measured. */
  epochSeconds: number;
  trainSeconds: number;
  evalSeconds: number;
  /** CPU time of the epoch, all threads together: against baseline, what the threads cost in extra work. */
  cpuSeconds: number;
  valAcc: number | null;
  peakRssMB: number;
  peakRssMBPerThread: number;
  setupSeconds: number;
  /** epoch(N) / epoch(baseline N) of each repeat, in order, and their median. */
  ratios: number[];
  ratio: number;
}

export interface WorkersReport {
  config: string;
  backend: string;
  cores: number;
  epochs: number;
  repeats: number;
  baseline: number;
  rows: WorkersRow[];
}

/** The measurement itself, in this process: trains `cfg` (workers already set) and returns its sample. */
export async function measureWorkers(cfg: ExperimentConfig, backend: BackendInfo, loadData: () => Promise<Dataset>): Promise<WorkersSample> {
  const started = performance.now();
  let setupSeconds = 0;
  let epochStart = 0;
  let lastStep = 0;
  let cpuStart = process.cpuUsage();
  const epochs: WorkersSample['epochs'] = [];
  const outcome = await runExperiment(cfg, {
    backend,
    force: true,
    loadData,
    progress: createProgress(process.stderr, { epochs: cfg.training.epochs, quiet: true }),
    hooks: {
      onEpochStart() {
        epochStart = performance.now();
        cpuStart = process.cpuUsage();
        if (!setupSeconds) setupSeconds = (epochStart - started) / 1000;
      },
      onBatch() {
        lastStep = performance.now();
      },
      onEpochEnd(m) {
        const trainSeconds = (lastStep - epochStart) / 1000;
        const cpu = process.cpuUsage(cpuStart);
        const cpuSeconds = (cpu.user + cpu.system) / 1e6;
        epochs.push({ epoch: m.epoch, seconds: m.seconds, trainSeconds, evalSeconds: m.seconds - trainSeconds, cpuSeconds, valAcc: m.valAcc });
      },
    },
  });
  if (outcome.summary.status !== 'completed') throw new Error(`the run did not complete: ${outcome.summary.message ?? outcome.summary.status}`);
  return { workers: outcome.summary.workers ?? 1, setupSeconds, epochs, peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) };
}

export interface BenchWorkersOptions {
  /** The command line of one measurement for N threads (this CLI with --child N). */
  childArgs: (workers: number, output: string) => string[];
  workers: number[];
  repeats: number;
  onSample?: (s: WorkersSample, repeat: number) => void;
}

/** Runs the measurements, interleaved, each in its own process, and summarises them. */
export async function benchWorkers(o: BenchWorkersOptions, meta: Omit<WorkersReport, 'rows' | 'repeats' | 'baseline'>): Promise<WorkersReport> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-bench-workers-'));
  const samples = new Map<number, WorkersSample[]>(o.workers.map((w) => [w, []]));
  try {
    for (let r = 0; r < o.repeats; r++) {
      for (const w of o.workers) {
        const s = await runChild(o.childArgs(w, path.join(scratch, `${r}-${w}`)));
        samples.get(w)!.push(s);
        o.onSample?.(s, r);
      }
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  const last = (s: WorkersSample) => s.epochs[s.epochs.length - 1];
  const baseline = o.workers[0];
  const base = samples.get(baseline)!;
  const rows = o.workers.map((w): WorkersRow => {
    const ss = samples.get(w)!;
    const ratios = ss.map((s, r) => round(last(s).seconds / last(base[r]).seconds, 3));
    const peak = median(ss.map((s) => s.peakRssMB));
    return {
      workers: w,
      epochSeconds: round(median(ss.map((s) => last(s).seconds)), 3),
      trainSeconds: round(median(ss.map((s) => last(s).trainSeconds)), 3),
      evalSeconds: round(median(ss.map((s) => last(s).evalSeconds)), 3),
      cpuSeconds: round(median(ss.map((s) => last(s).cpuSeconds)), 3),
      valAcc: last(ss[0]).valAcc,
      peakRssMB: peak,
      peakRssMBPerThread: Math.round(peak / w),
      setupSeconds: round(median(ss.map((s) => s.setupSeconds)), 2),
      ratios,
      ratio: round(median(ratios), 3),
    };
  });
  return { ...meta, repeats: o.repeats, baseline, rows };
}

function runChild(args: string[]): Promise<WorkersSample> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as WorkersSample);
      else reject(new Error(`a measurement process failed (exit ${code}): ${err.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
