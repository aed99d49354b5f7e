// `ldr sweep` end to end with the real `ldr train` (bin/ldr → dist; test/support/buildDist.ts rebuilds a stale one first):
// a failing point is recorded and the exit code says so; two sweeps at once on one results
// folder split the work and never run a point twice; a sweep killed with SIGKILL (parent and
// workers) and run again completes with no point lost or run twice.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = path.resolve(__dirname, '..');
const LDR = path.join(REPO, 'bin', 'ldr');
let dir: string;

interface Done {
  code: number | null;
  stdout: string;
  stderr: string;
}

function ldr(args: string[], opts: { detached?: boolean } = {}) {
  const child = spawn(process.execPath, [LDR, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: opts.detached });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<Done>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

function config(name: string, sweep: string, training = 'epochs: 1'): string {
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(
    file,
    `name: ${name}
dataset: { name: digits-noise, path: ${path.join(dir, 'datasets')}, train_frac: 0.05 }
model: { layer: { class: unconstrained } }
training: { ${training} }
backend: wasm
sweep:
${sweep}`,
  );
  return file;
}

/** Every run folder of an experiment: its summary status and the epochs its metrics.jsonl lists. */
function runs(name: string): Map<string, { status: string; epochs: number[] }> {
  const root = path.join(dir, 'results', name);
  const out = new Map<string, { status: string; epochs: number[] }>();
  for (const id of fs.readdirSync(root).filter((d) => !d.startsWith('.'))) {
    const summaryFile = path.join(root, id, 'summary.json');
    if (!fs.existsSync(summaryFile)) continue;
    const metricsFile = path.join(root, id, 'metrics.jsonl');
    const metrics = fs.existsSync(metricsFile) ? fs.readFileSync(metricsFile, 'utf8').split('\n').filter(Boolean) : [];
    out.set(id, { status: JSON.parse(fs.readFileSync(summaryFile, 'utf8')).status, epochs: metrics.map((l) => JSON.parse(l).epoch) });
  }
  return out;
}

function count(stdout: string, what: string): number {
  const m = new RegExp(`(\\d+) ${what}`).exec(stdout);
  return m ? Number(m[1]) : NaN;
}

beforeAll(() => {
  if (!fs.existsSync(path.join(REPO, 'dist', 'cli', 'main.js'))) throw new Error('build first: npx tsc -p .');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-sweep-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('ldr sweep with ldr train', () => {
  it('records a failing point, runs the others, and exits non-zero naming it', async () => {
    // rectangles is not on disk: `ldr train` fails (exit 2); lr 1e6 diverges: a result, not a failure.
    const file = config('fails', `  zip:\n    - dataset.name: [digits-noise, rectangles, digits-noise]\n      optimizer.lr: [0.01, 0.01, 1000000]\n`);
    const r = await ldr(['sweep', '--config', file, '--jobs', '1']).done;
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/1 completed, 1 diverged, 0 already done, 1 failed/);
    expect(r.stdout).toMatch(/diverged\s+\S+\s+dataset=digits-noise lr=1000000: loss became NaN/);
    const failedId = /FAILED\s+(\S+)\s+dataset=rectangles lr=0\.01: exit code 2: /.exec(r.stdout)?.[1];
    expect(failedId).toBeDefined();
    expect(r.stderr).toContain(`ldr: 1 of 3 points failed: ${failedId}`);
    const outcome = JSON.parse(fs.readFileSync(path.join(dir, 'results', 'fails', '.sweep', 'outcomes', `${failedId}.json`), 'utf8'));
    expect(outcome).toMatchObject({ outcome: 'failed', exitCode: 2 });
    expect(fs.readFileSync(outcome.log, { encoding: 'utf8' })).toMatch(/rectangles/);
    expect([...runs('fails').values()].map((x) => x.status).sort()).toEqual(['completed', 'diverged']);
    // The dry run shows what is done and what failed; a rerun skips the finished point.
    const dry = await ldr(['sweep', '--config', file, '--dry-run']).done;
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/1 completed, 1 failed, 1 diverged/);
    const again = await ldr(['sweep', '--config', file, '--quiet']).done;
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/0 completed, 0 diverged, 2 already done, 1 failed/);
  });

  it('two sweeps at once on one results folder split the work and never run a point twice', async () => {
    const file = config('pair', `  grid:\n    model.layer.class: [unconstrained, circulant]\n    training.seed: [0, 1]\n`);
    const [a, b] = await Promise.all([ldr(['sweep', '--config', file, '--jobs', '2']).done, ldr(['sweep', '--config', file, '--jobs', '2']).done]);
    expect([a.code, b.code], a.stdout + a.stderr + b.stdout + b.stderr).toEqual([0, 0]);
    expect(count(a.stdout, 'completed') + count(b.stdout, 'completed')).toBe(4);
    expect(count(a.stdout, 'failed') + count(b.stdout, 'failed')).toBe(0);
    const all = runs('pair');
    expect(all.size).toBe(4);
    for (const r of all.values()) expect(r).toEqual({ status: 'completed', epochs: [1] });
  });

  it('a sweep killed with SIGKILL (parent and workers) and rerun completes with no point lost or run twice', async () => {
    const file = config('killed', `  grid:\n    model.layer.class: [unconstrained, low-rank]\n    training.seed: [0, 1]\n`, 'epochs: 4');
    const first = ldr(['sweep', '--config', file, '--jobs', '2'], { detached: true });
    // Wait until a worker has checkpointed at least one epoch, then kill the whole process group.
    const root = path.join(dir, 'results', 'killed');
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const ids = fs.existsSync(root) ? fs.readdirSync(root).filter((d) => !d.startsWith('.')) : [];
      if (ids.some((id) => fs.existsSync(path.join(root, id, 'metrics.jsonl')))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    process.kill(-first.child.pid!, 'SIGKILL');
    await first.done;
    const before = runs('killed');
    expect(before.size).toBeLessThan(4); // killed mid-sweep
    const interrupted = fs.readdirSync(root).filter((id) => fs.existsSync(path.join(root, id, 'metrics.jsonl')) && !before.has(id));
    expect(interrupted.length).toBeGreaterThan(0); // at least one run killed mid-training, to be resumed
    const second = await ldr(['sweep', '--config', file, '--jobs', '2']).done;
    expect(second.code).toBe(0);
    expect(count(second.stdout, 'completed') + count(second.stdout, 'already done')).toBe(4);
    const after = runs('killed');
    expect(after.size).toBe(4);
    for (const r of after.values()) expect(r).toEqual({ status: 'completed', epochs: [1, 2, 3, 4] });
  });

  it('Ctrl-C (SIGINT to the sweep) stops its workers, exits 130, and the next sweep resumes', async () => {
    const file = config('interrupted', `  grid:\n    training.seed: [0]\n`, 'epochs: 4');
    const first = ldr(['sweep', '--config', file, '--jobs', '1']);
    const root = path.join(dir, 'results', 'interrupted');
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !(fs.existsSync(root) && fs.readdirSync(root).some((id) => fs.existsSync(path.join(root, id, 'metrics.jsonl'))))) {
      await new Promise((r) => setTimeout(r, 100));
    }
    first.child.kill('SIGINT');
    const r = await first.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('sweep interrupted; run the same command again to resume');
    expect(r.stdout).toMatch(/0 failed, 1 not run/);
    const second = await ldr(['sweep', '--config', file]).done;
    expect(second.code).toBe(0);
    expect([...runs('interrupted').values()]).toEqual([{ status: 'completed', epochs: [1, 2, 3, 4] }]);
  });
});
