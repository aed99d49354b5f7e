// Sweeps of multi-thread points (training.workers) never oversubscribe the cores: --jobs J with W
// threads per point needs J·W ≤ cores unless --oversubscribe; `auto` gets floor(cores / J); the
// cluster emitters request J·W CPUs; and the real `ldr train` (dist/) records the resolved N and
// gives the same bits twice on wasm.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { experimentSchema } from '../src/config/schema';
import { emitK8s, emitSlurm } from '../src/sweep/emit';
import { planThreads } from '../src/sweep/threads';

const REPO = path.resolve(__dirname, '..');
const LDR = path.join(REPO, 'bin', 'ldr');
const CORES = os.availableParallelism();
let dir: string;

function ldr(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [LDR, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

function config(name: string, workers: number | 'auto', sweep = '  grid:\n    optimizer.lr: [0.01, 0.02]\n'): string {
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(
    file,
    `name: ${name}
dataset: { name: digits-noise, path: ${path.join(dir, 'datasets')}, train_frac: 0.05 }
model: { layer: { class: ldr-sd } }
training: { epochs: 1, workers: ${workers} }
backend: wasm
${sweep ? `sweep:\n${sweep}` : ''}`,
  );
  return file;
}

/** env.json of every run folder of an experiment. */
function envs(name: string): Array<{ workers?: number }> {
  const root = path.join(dir, 'results', name);
  return fs
    .readdirSync(root)
    .filter((d) => !d.startsWith('.'))
    .map((id) => JSON.parse(fs.readFileSync(path.join(root, id, 'env.json'), 'utf8')));
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-sweep-workers-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('planThreads', () => {
  const point = (workers: number | 'auto') => ({
    config: experimentSchema.parse({ name: 'p', dataset: { name: 'digits-noise' }, model: { layer: { class: 'ldr-sd' } }, training: { workers } }),
  });
  const four = [point(2), point(2), point(2), point(2)];

  it('defaults --jobs to cores / W and hands auto the cores the running points leave', () => {
    expect(planThreads(four, undefined, 8, false)).toEqual({ jobs: 4, workersAuto: 2 });
    expect(planThreads([point(1), point(1)], undefined, 8, false)).toEqual({ jobs: 8, workersAuto: 4 }); // 2 points run
    expect(planThreads([point('auto'), point('auto'), point('auto')], 2, 8, false)).toEqual({ jobs: 2, workersAuto: 4 });
    expect(planThreads([point('auto')], 3, 2, false)).toEqual({ jobs: 3, workersAuto: 2 });
    expect(planThreads([point(16)], undefined, 8, true)).toEqual({ jobs: 1, workersAuto: 8 });
  });

  it('refuses J·W > cores with one line, unless --oversubscribe', () => {
    expect(() => planThreads(four, 4, 4, false)).toThrow(/^--jobs 4 × training\.workers 2 = 8 threads on 4 cores: lower --jobs \(at most 2\) or training\.workers, or pass --oversubscribe$/);
    expect(planThreads(four, 4, 4, true)).toEqual({ jobs: 4, workersAuto: 1 });
    // Only the points that can run at once count: one point alone is no oversubscription.
    expect(planThreads([point(2)], 4, 2, false)).toEqual({ jobs: 4, workersAuto: 2 });
  });
});

describe('emitters', () => {
  const base = { config: '/c/s.yaml', experiment: 'e', points: 6, shards: 3, jobs: 2, sets: [], cwd: '/w', ldrBin: '/l/bin/ldr', image: 'node:20', pvc: 'w' };

  it('request jobs × workers CPUs per task and pass --oversubscribe on', () => {
    expect(emitSlurm({ ...base, workers: 3 })).toContain('#SBATCH --cpus-per-task=6\n');
    expect(emitSlurm({ ...base, workers: 3, cpusPerTask: 4 })).toContain('#SBATCH --cpus-per-task=4\n');
    const job = parse(emitK8s({ ...base, workers: 3, oversubscribe: true }).replace(/^#.*\n/gm, ''));
    const container = job.spec.template.spec.containers[0];
    expect(container.resources.requests.cpu).toBe('6');
    expect(container.command).toContain('--oversubscribe');
  });
});

describe('ldr sweep and ldr train with training.workers (dist/)', () => {
  it('a sweep that would oversubscribe stops with one line and exit 2; --oversubscribe runs it and env.json records N', async () => {
    const file = config('over', CORES);
    const refused = await ldr(['sweep', '--config', file, '--jobs', '2', '--quiet']);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim()).toMatch(new RegExp(`^ldr: --jobs 2 × training\\.workers ${CORES} = ${2 * CORES} threads on ${CORES} cores: .*--oversubscribe$`));
    expect(fs.existsSync(path.join(dir, 'results', 'over'))).toBe(false);
    const ran = await ldr(['sweep', '--config', file, '--jobs', '2', '--oversubscribe', '--quiet']);
    expect(ran.stdout).toContain('sweep: 2 completed');
    expect(envs('over').map((e) => e.workers)).toEqual([CORES, CORES]);
  });

  it('auto in a sweep gets floor(cores / jobs) threads', async () => {
    const ran = await ldr(['sweep', '--config', config('auto', 'auto'), '--jobs', '2', '--quiet']);
    expect(ran.stdout).toContain('sweep: 2 completed');
    expect(envs('auto').map((e) => e.workers)).toEqual([Math.max(1, Math.floor(CORES / 2)), Math.max(1, Math.floor(CORES / 2))]);
  });

  it('ldr train with 2 workers on wasm gives the same numbers twice and records N in env.json and summary.json', async () => {
    const file = config('twice', 2, '');
    const runs = [];
    for (const out of ['a', 'b']) {
      const r = await ldr(['train', '--config', file, '--set', `output=${out}`, '--json', '--quiet']);
      expect(r.code).toBe(0);
      const { summary, runDir } = JSON.parse(r.stdout);
      expect(summary.workers).toBe(2);
      expect(JSON.parse(fs.readFileSync(path.join(dir, runDir, 'env.json'), 'utf8')).workers).toBe(2);
      const { wallSeconds: _w, peakRssMB: _p, ...numbers } = summary;
      runs.push({ numbers, metrics: fs.readFileSync(path.join(dir, runDir, 'metrics.jsonl'), 'utf8').replace(/"(seconds|time|rssMB)":[^,}]*/g, '') });
    }
    expect(runs[1]).toEqual(runs[0]);
  });

  it('Ctrl-C stops a two-thread run at once (exit 130, no hang) with its checkpoint kept', async () => {
    const file = config('sigint', 2, '');
    const child = spawn(process.execPath, [LDR, 'train', '--config', file, '--set', 'training.epochs=200'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve) => child.stderr.on('data', (d) => { stderr += d; if (/epoch\s+2\b/.test(stderr)) resolve(); }));
    child.kill('SIGINT');
    // A hang is killed (exit code null, not 130) rather than timed.
    const watchdog = setTimeout(() => child.kill('SIGKILL'), 30_000);
    expect(await exited).toBe(130);
    clearTimeout(watchdog);
    expect(stderr).toMatch(/interrupted \(SIGINT\); the last completed epoch is checkpointed/);
  });

  it('ldr bench workers prints JSON per thread count: epoch time and its parts, val accuracy, peak RSS, ratios', async () => {
    const file = config('bench', 1, '');
    const r = await ldr(['bench', 'workers', '--config', file, '--set', 'dataset.train_frac=0.02', '--workers', '1,2', '--repeats', '1']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.rows.map((x: { workers: number }) => x.workers)).toEqual([1, 2]);
    for (const row of report.rows) {
      expect(row.epochSeconds).toBeGreaterThan(0);
      expect(row.trainSeconds + row.evalSeconds).toBeCloseTo(row.epochSeconds, 2);
      expect(row.valAcc).toBeGreaterThan(0);
      expect(row.peakRssMB).toBeGreaterThan(50);
      expect(row.ratios).toHaveLength(1);
    }
    expect(report.rows[0].ratio).toBe(1);
    expect(report.rows[1].ratio).toBeCloseTo(report.rows[1].epochSeconds / report.rows[0].epochSeconds, 2);
  });

  it('ldr bench workers refuses a thread count the config cannot take before measuring anything (one line)', async () => {
    const file = config('bench-bad', 1, '');
    const r = await ldr(['bench', 'workers', '--config', file, '--set', 'training.batch_size=4', '--workers', '1,8', '--repeats', '1']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe('ldr: --workers 8: expected at most training.batch_size = 4 threads (one row each at least), got 8');
  });
});
