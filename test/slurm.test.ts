// `ldr sweep --slurm` against a real one-node Slurm (Debian's slurm-wlm and munge, started
// by scripts/slurm/start-test-cluster.sh in a temp dir and stopped afterwards): a 6-point
// sweep as an array of 3 tasks runs every point exactly once and `ldr report` gives the full
// table; a second sweep cancelled midway with `scancel` and resubmitted completes with no
// point run twice and the interrupted point resumed from its checkpoint.
//
// Where Slurm cannot be installed or started (not root, no apt, daemons fail) the tests are
// skipped with the reason printed; with LDR_REQUIRE_SLURM=1 (CI) that is a failure instead.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';

const REPO = path.resolve(__dirname, '..');
const LDR = path.join(REPO, 'bin', 'ldr');
const START = path.join(REPO, 'scripts', 'slurm', 'start-test-cluster.sh');
const STOP = path.join(REPO, 'scripts', 'slurm', 'stop-test-cluster.sh');
const REQUIRED = process.env.LDR_REQUIRE_SLURM === '1';

let dir = '';
let clusterDir = '';
let env: NodeJS.ProcessEnv = {};
let skipReason: string | null = null;

interface Done {
  code: number | null;
  stdout: string;
  stderr: string;
}

function ldr(args: string[]): Promise<Done> {
  const child = spawn(process.execPath, [LDR, ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Tasks of this array job that Slurm still holds (pending, running, completing). */
function queued(jobId: string): string[] {
  const r = spawnSync('squeue', ['-h', '-r', '-j', jobId, '-o', '%i'], { env, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n').filter(Boolean) : []; // "Invalid job id": long gone
}

async function waitFor(what: string, ok: () => boolean, timeoutMs: number, everyMs = 250): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

function writeSweep(name: string, trainFrac: number, epochs: number): string {
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(
    file,
    `name: ${name}
output: results
dataset: { name: digits-bg-rot, path: ${path.join(dir, 'datasets')}, train_frac: ${trainFrac} }
model: { layer: { class: unconstrained } }
training: { epochs: ${epochs} }
backend: wasm
sweep:
  grid:
    model.layer.class: [unconstrained, low-rank]
    training.seed: [0, 1, 2]
`,
  );
  return file;
}

interface Run {
  id: string;
  dir: string;
  summary: string | null;
  epochs: number[];
  env: { startedAt: string; slurm?: { jobId: string; arrayJobId?: string; arrayTaskId?: string } } | null;
}

function runs(name: string): Run[] {
  const root = path.join(dir, 'results', name);
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .filter((d) => !d.startsWith('.'))
    .map((id) => {
      const at = (f: string) => path.join(root, id, f);
      const read = (f: string) => (fs.existsSync(at(f)) ? fs.readFileSync(at(f), 'utf8') : null);
      const metrics = (read('metrics.jsonl') ?? '').split('\n').filter(Boolean);
      const envText = read('env.json');
      return { id, dir: path.join(root, id), summary: read('summary.json'), epochs: metrics.map((l) => JSON.parse(l).epoch as number), env: envText ? JSON.parse(envText) : null };
    });
}

function outcome(name: string, id: string): { outcome: string; slurm?: { arrayJobId?: string } } | null {
  const file = path.join(dir, 'results', name, '.sweep', 'outcomes', `${id}.json`);
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : null;
}

async function submit(file: string): Promise<string> {
  const r = await ldr(['sweep', '--config', file, '--slurm', '--shards', '3', '--array-parallelism', '3']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const jobId = /^submitted job array (\d+): 6 points/.exec(r.stdout)?.[1];
  expect(jobId).toBeDefined();
  expect(r.stdout).toContain(`squeue -j ${jobId}`);
  expect(r.stdout).toContain('--status');
  return jobId!;
}

function taskOutputs(name: string, jobId: string): string[] {
  const logs = path.join(dir, 'results', name, '.sweep', 'slurm');
  return fs
    .readdirSync(logs)
    .filter((f) => f.startsWith(`${jobId}_`) && f.endsWith('.out'))
    .map((f) => fs.readFileSync(path.join(logs, f), 'utf8'));
}

/** SIGKILL the trainers holding this sweep's claims and the sweeps that launched them (our own processes, by pid). */
function hardKill(name: string): void {
  const root = path.join(dir, 'results', name);
  const pids = new Set<number>();
  for (const r of runs(name)) {
    const lock = path.join(r.dir, 'lock');
    if (fs.existsSync(lock)) pids.add(JSON.parse(fs.readFileSync(lock, 'utf8')).pid);
  }
  const started = path.join(root, '.sweep', 'started');
  for (const f of fs.readdirSync(started)) pids.add(JSON.parse(fs.readFileSync(path.join(started, f), 'utf8')).pid);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already ended
    }
  }
}

function needCluster(ctx: TestContext): void {
  if (skipReason) {
    console.warn(`[slurm.test] skipped: ${skipReason}`);
    ctx.skip(skipReason);
  }
}

beforeAll(async () => {
  if (!fs.existsSync(path.join(REPO, 'dist', 'cli', 'main.js'))) throw new Error('build first: npx tsc -p .');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-slurm-test-'));
  clusterDir = path.join(dir, 'cluster');
  const t0 = Date.now();
  const r = spawnSync('bash', [START, clusterDir], { encoding: 'utf8', timeout: 280_000 });
  const conf = /^SLURM_CONF=(.+)$/m.exec(r.stdout ?? '')?.[1];
  if (r.status !== 0 || !conf) {
    const why = (r.stderr ?? '').trim().split('\n').pop() || r.error?.message || `exit ${r.status}`;
    skipReason = `cannot start a test Slurm cluster here: ${why}`;
    if (REQUIRED) throw new Error(`${skipReason} (LDR_REQUIRE_SLURM=1: the Slurm test must run)`);
    console.warn(`[slurm.test] ${skipReason}`);
    return;
  }
  console.log(`[slurm.test] one-node Slurm up in ${((Date.now() - t0) / 1000).toFixed(1)} s (${conf})`);
  env = { ...process.env, SLURM_CONF: conf };
  // Build the dataset once, so the array tasks do not all build it at the same time.
  fs.writeFileSync(path.join(dir, 'warm.yaml'), `name: warm\noutput: warm\ndataset: { name: digits-bg-rot, path: ${path.join(dir, 'datasets')}, train_frac: 0.01 }\nmodel: { layer: { class: low-rank } }\ntraining: { epochs: 1 }\nbackend: wasm\n`);
  const warm = await ldr(['train', '--config', 'warm.yaml', '--quiet']);
  if (warm.code !== 0) throw new Error(`ldr train (dataset warm-up) failed: ${warm.stderr}`);
}, 300_000);

afterAll(() => {
  if (clusterDir) spawnSync('bash', [STOP, clusterDir], { stdio: 'inherit', timeout: 60_000 });
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}, 90_000);

describe('ldr sweep --slurm on a real one-node Slurm', () => {
  it('a 6-point sweep as an array of 3 tasks: each point runs once, in its shard; the report has the whole table', async (ctx) => {
    needCluster(ctx);
    const file = writeSweep('arr', 0.2, 2);
    const jobId = await submit(file);
    await waitFor('all 6 points and the array to end', () => runs('arr').filter((r) => r.summary).length === 6 && queued(jobId).length === 0, 150_000);

    const all = runs('arr');
    expect(all).toHaveLength(6);
    for (const r of all) {
      expect(JSON.parse(r.summary!).status).toBe('completed');
      expect(r.epochs).toEqual([1, 2]);
      expect(r.env?.slurm?.arrayJobId).toBe(jobId);
      expect(outcome('arr', r.id)?.slurm?.arrayJobId).toBe(jobId);
    }
    // Shard i of 3 holds the points whose grid index ≡ i (mod 3): read the index off --dry-run.
    const listing = (await ldr(['sweep', '--config', file, '--dry-run'])).stdout.split('\n').slice(1, 7);
    for (const line of listing) {
      const [index, state, id] = line.trim().split(/\s+/);
      expect(state).toBe('completed');
      expect(all.find((r) => r.id === id)?.env?.slurm?.arrayTaskId).toBe(String(Number(index) % 3));
    }
    const outs = taskOutputs('arr', jobId);
    expect(outs).toHaveLength(3);
    for (const out of outs) expect(out).toMatch(/sweep: 2 completed, 0 diverged, 0 already done, 0 failed/);

    const status = await ldr(['sweep', '--config', file, '--status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('\n6 points: 6 done\n');
    expect(status.stdout).toContain(`slurm: no task of job ${jobId} is queued or running`);
    expect(status.stdout.split('\n').filter((l) => new RegExp(`  slurm ${jobId}_[0-2]  \\(test `).test(l))).toHaveLength(6);

    const report = await ldr(['report', 'results/arr', '--format', 'csv']);
    expect(report.code).toBe(0);
    const [header, ...rows] = report.stdout.trim().split('\n').map((l) => l.split(','));
    expect(rows).toHaveLength(2);
    const col = (name: string) => header.indexOf(name);
    expect(rows.map((r) => r[col('class')]).sort()).toEqual(['low-rank', 'unconstrained']);
    for (const r of rows) {
      expect(r[col('dataset')]).toBe('digits-bg-rot');
      expect(r[col('seeds')]).toBe('3');
      expect(Number(r[col('test_acc_pct_mean')])).toBeGreaterThan(0);
    }
  }, 200_000);

  // scancel: SIGTERM to every process of the tasks, SIGKILL after KillWait (as at a time limit).
  // SIGKILL first (as when a node dies): the trainers and their sweeps get no chance to clean
  // up, their claims stay behind (stale at once on this host, as their pids are gone).
  it.for([
    { name: 'cancel', how: 'scancel', stale: false },
    { name: 'killed', how: 'SIGKILL of every ldr process, then scancel', stale: true },
  ])('$how midway, resubmit: every point completes, none runs twice, the interrupted one resumes', async ({ name, stale }, ctx) => {
    needCluster(ctx);
    const epochs = 5;
    const file = writeSweep(name, 1.0, epochs);
    const first = await submit(file);

    // Cancel once a point has ended and another has checkpointed an epoch with epochs to go.
    const midway = () => {
      const all = runs(name);
      return all.some((r) => r.summary) && all.some((r) => !r.summary && r.epochs.length >= 1 && r.epochs.length <= epochs - 2);
    };
    await waitFor('a point done and another midway', midway, 150_000, 100);
    const inFlight = runs(name).filter((r) => !r.summary && r.epochs.length >= 1).map((r) => r.id);
    if (stale) hardKill(name);
    expect(spawnSync('scancel', [first], { env }).status).toBe(0);
    await waitFor(`job ${first} to leave the queue`, () => queued(first).length === 0, 60_000);

    const before = runs(name);
    const doneBefore = new Map(before.filter((r) => r.summary).map((r) => [r.id, r.summary!]));
    expect(doneBefore.size).toBeGreaterThan(0);
    expect(doneBefore.size).toBeLessThan(6);
    // No live claim left, no point marked failed, every metrics file whole; SIGKILL leaves stale claims.
    const status = await ldr(['sweep', '--config', file, '--status']);
    expect(status.stdout).not.toMatch(/ (running|failed) /);
    expect(/ stale /.test(status.stdout)).toBe(stale);
    expect(status.stdout).toMatch(new RegExp(`\\n6 points: ${doneBefore.size} done, `));
    for (const r of before) expect(r.epochs).toEqual(Array.from({ length: r.epochs.length }, (_, k) => k + 1));

    const second = await submit(file);
    await waitFor('all 6 points and the second array to end', () => runs(name).filter((r) => r.summary).length === 6 && queued(second).length === 0, 150_000);

    const after = runs(name);
    expect(after).toHaveLength(6);
    for (const r of after) {
      expect(JSON.parse(r.summary!).status).toBe('completed');
      expect(r.epochs).toEqual(Array.from({ length: epochs }, (_, k) => k + 1));
      expect(r.env).not.toBeNull();
    }
    // Points done before the cancel were not run again: same summary, their outcome still from the first job.
    for (const [id, summary] of doneBefore) {
      expect(after.find((r) => r.id === id)!.summary).toBe(summary);
      expect(outcome(name, id)?.slurm?.arrayJobId).toBe(first);
    }
    const alreadyDone = taskOutputs(name, second).reduce((n, out) => n + Number(/(\d+) already done/.exec(out)?.[1] ?? NaN), 0);
    expect(alreadyDone).toBe(doneBefore.size);
    // The point caught midway resumed: started under the first job (env.json kept), ended under the second.
    const resumed = after.filter((r) => inFlight.includes(r.id) && !doneBefore.has(r.id));
    expect(resumed.length).toBeGreaterThan(0);
    for (const r of resumed) {
      expect(r.env?.slurm?.arrayJobId).toBe(first);
      expect(outcome(name, r.id)?.slurm?.arrayJobId).toBe(second);
    }
    const final = await ldr(['sweep', '--config', file, '--status']);
    expect(final.stdout).toContain('\n6 points: 6 done\n');
  }, 300_000);
});
