// What a run records and shows about itself: env.json (argv, --set overrides, the sweep that
// launched it, git dirty state, ldr version), metrics lines with step and time, `ldr train` with
// progress on stderr and --json on stdout, sweep logs that grow one line at a time, and sweeps
// that say when results were made by another ldr version (--status, --force).
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExperimentConfig } from '../src/config/schema';
import { collectEnv, setOverrides, SWEEP_ARGV_ENV } from '../src/runs/env';
import type { SweepPoint } from '../src/sweep/points';
import { runPoints } from '../src/sweep/runner';
import { formatStatus, pointStatus, statusJson } from '../src/sweep/status';
import { decodeEvent, readRecords } from './support/tfevents';

const repo = path.resolve(__dirname, '..');
const bin = path.join(repo, 'bin', 'ldr');
const version = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')).version as string;
let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-records-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('env.json', () => {
  it('--set overrides in both spellings, in order', () => {
    expect(setOverrides(['train', '--config', 'a.yaml', '--set', 'optimizer.lr=0.1', '--quiet', '--set=training.epochs=3'])).toEqual(['optimizer.lr=0.1', 'training.epochs=3']);
  });

  it('records argv, overrides, the launching sweep, git state and the ldr version', () => {
    const before = process.env[SWEEP_ARGV_ENV];
    process.env[SWEEP_ARGV_ENV] = JSON.stringify(['sweep', '--config', 's.yaml', '--set', 'training.epochs=2']);
    try {
      const env = collectEnv({ name: 'cpu', reason: 'test' }, ['train', '--config', 'p.yaml', '--set', 'dataset.train_frac=0.5']);
      expect(env.argv).toEqual(['train', '--config', 'p.yaml', '--set', 'dataset.train_frac=0.5']);
      expect(env.overrides).toEqual(['dataset.train_frac=0.5']);
      expect(env.sweep).toEqual({ argv: ['sweep', '--config', 's.yaml', '--set', 'training.epochs=2'], overrides: ['training.epochs=2'] });
      expect(env.ldrVersion).toBe(version);
      // Independent look at the checkout: tracked files with changes.
      const git = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: repo, encoding: 'utf8' });
      expect(env.gitDirty).toBe(git.status === 0 ? git.stdout.trim().length > 0 : null);
    } finally {
      if (before === undefined) delete process.env[SWEEP_ARGV_ENV];
      else process.env[SWEEP_ARGV_ENV] = before;
    }
  });
});

describe('ldr data list --json', () => {
  it('one JSON object with the root and a row per dataset, the built-in ones first', async () => {
    const { buildProgram } = await import('../src/cli/main');
    let out = '';
    const write = process.stdout.write;
    process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
    try {
      await buildProgram().parseAsync(['node', 'ldr', 'data', 'list', '--json', '--dir', path.join(dir, 'no-datasets')]);
    } finally {
      process.stdout.write = write;
    }
    const j = JSON.parse(out);
    expect(j.root).toBe(path.join(dir, 'no-datasets'));
    expect(j.datasets.find((d: { name: string }) => d.name === 'digits-bg-rot')).toMatchObject({ status: 'built-in' });
    expect(j.datasets.find((d: { name: string }) => d.name === 'mnist-noise')).toMatchObject({ status: 'missing', diskBytes: 0 });
  });
});

describe('ldr train (built CLI)', () => {
  it('progress on stderr, --json result on stdout, metrics lines with step and time, env.json with the command line', () => {
    if (!fs.existsSync(path.join(repo, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
    const cfg = path.join(dir, 'tiny.yaml');
    fs.writeFileSync(
      cfg,
      ['name: tiny', 'dataset: { name: digits-bg-rot, train_frac: 0.05 }', 'model: { layer: { class: circulant } }', 'optimizer: { lr: 0.01 }', 'training: { epochs: 2, batch_size: 50, seed: 0 }', `output: ${dir}/out`, 'backend: cpu'].join('\n'),
    );
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [bin, 'train', '--config', cfg, '--json', '--set', 'optimizer.lr=0.02'], { cwd: repo, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout); // stdout is exactly one JSON object
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(out).toMatchObject({ outcome: 'trained', resumedFrom: null, summary: { status: 'completed', lr: 0.02, epochs: 2 } });
    expect(r.stderr).toMatch(/^epoch 1\/2 {2}train loss/m);
    expect(r.stderr).toMatch(/^epoch 2\/2 {2}train loss/m);
    expect(r.stdout).not.toMatch(/epoch 1\/2/);

    const metrics = fs.readFileSync(path.join(out.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    // digits-bg-rot: 8,000 training examples × 0.05 = 400, less 15% validation = 340 → 7 batches of 50 per epoch.
    expect(metrics.map((m) => [m.epoch, m.step])).toEqual([[1, 7], [2, 14]]);
    for (const m of metrics) {
      expect(new Date(m.time).toISOString()).toBe(m.time);
      expect(Date.parse(m.time)).toBeGreaterThanOrEqual(t0 - 1000);
    }
    expect(Date.parse(metrics[1].time)).toBeGreaterThanOrEqual(Date.parse(metrics[0].time));
    // TensorBoard scalars of the same epochs, read back by the independent decoder.
    const events = readRecords(fs.readFileSync(path.join(out.runDir, 'tensorboard', 'events.out.tfevents.0.ldr'))).map(decodeEvent);
    expect(events[0].fileVersion).toBe('brain.Event:2');
    expect(events.slice(1).map((e) => [e.step, e.wallTime, e.scalars['loss/train'], e.scalars['accuracy/val']])).toEqual(
      metrics.map((m) => [m.step, Date.parse(m.time) / 1000, Math.fround(m.trainLoss), Math.fround(m.valAcc)]),
    );
    const env = JSON.parse(fs.readFileSync(path.join(out.runDir, 'env.json'), 'utf8'));
    expect(env.argv).toEqual(['train', '--config', cfg, '--json', '--set', 'optimizer.lr=0.02']);
    expect(env.overrides).toEqual(['optimizer.lr=0.02']);
    expect(env.ldrVersion).toBe(version);
    expect(typeof env.gitDirty === 'boolean' || env.gitDirty === null).toBe(true);

    const again = spawnSync(process.execPath, [bin, 'train', '--config', cfg, '--json', '--set', 'optimizer.lr=0.02'], { cwd: repo, encoding: 'utf8', timeout: 60_000 });
    expect(JSON.parse(again.stdout)).toMatchObject({ outcome: 'done-before', runDir: out.runDir });
  }, 150_000);
});

function points(name: string, n: number): SweepPoint[] {
  return Array.from({ length: n }, (_, index) => {
    const runId = `p${index}`;
    const config = { name, output: dir, training: { epochs: 3 } } as unknown as ExperimentConfig;
    return { index, runId, config, runDir: path.join(dir, name, runId), label: `i=${index}` };
  });
}

function finished(p: SweepPoint, ldrVersion: string): void {
  fs.mkdirSync(p.runDir, { recursive: true });
  fs.writeFileSync(path.join(p.runDir, 'summary.json'), JSON.stringify({ status: 'completed', testAcc: 0.5, wallSeconds: 1 }));
  fs.writeFileSync(path.join(p.runDir, 'env.json'), JSON.stringify({ ldrVersion }));
}

describe('sweeps', () => {
  it("a point's log grows line by line while it runs, and every line reaches onLine", async () => {
    const [p] = points('streaming', 1);
    const log = path.join(dir, 'streaming', '.sweep', 'logs', 'p0.log');
    const go = path.join(dir, 'streaming-go');
    const seen: string[] = [];
    let logWhileRunning = '';
    // Stand-in child: prints an epoch line, waits until the test has looked at the log, then finishes.
    const script = `console.error('epoch 1/2  train loss 1.0'); const t = setInterval(() => { if (!require('fs').existsSync(${JSON.stringify(go)})) return; clearInterval(t); console.error('epoch 2/2  train loss 0.5'); require('fs').mkdirSync(${JSON.stringify(p.runDir)}, { recursive: true }); require('fs').writeFileSync(${JSON.stringify(path.join(p.runDir, 'summary.json'))}, '{"status":"completed"}'); }, 20);`;
    const res = await runPoints([p], {
      jobs: 1,
      pollMs: 50,
      launch: () => spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] }),
      onLine: (point, line) => {
        seen.push(`${point.runId}: ${line}`);
        if (seen.length === 1) {
          logWhileRunning = fs.readFileSync(log, 'utf8'); // the child is still waiting for `go`
          fs.writeFileSync(go, '');
        }
      },
    });
    expect(res.results[0].outcome).toBe('completed');
    expect(logWhileRunning).toMatch(/starts p0: i=0\nepoch 1\/2 {2}train loss 1\.0\n$/);
    expect(fs.readFileSync(log, 'utf8')).toMatch(/epoch 1\/2 {2}train loss 1\.0\nepoch 2\/2 {2}train loss 0\.5\n$/);
    expect(seen).toEqual(['p0: epoch 1/2  train loss 1.0', 'p0: epoch 2/2  train loss 0.5']);
  });

  it('reused results of another ldr version are named; --force retrains them; --status shows the version', async () => {
    const [old, same, fresh] = points('versions', 3);
    finished(old, '0.0.1');
    finished(same, version);
    const launched: string[] = [];
    const launch = (p: SweepPoint) => {
      launched.push(p.runId);
      const s = `require('fs').mkdirSync(${JSON.stringify(p.runDir)}, { recursive: true }); require('fs').writeFileSync(${JSON.stringify(path.join(p.runDir, 'summary.json'))}, '{"status":"completed"}');`;
      return spawn(process.execPath, ['-e', s], { stdio: ['ignore', 'pipe', 'pipe'] });
    };
    const reuse = await runPoints([old, same, fresh], { jobs: 1, pollMs: 50, launch });
    expect(launched).toEqual(['p2']);
    const byId = Object.fromEntries(reuse.results.map((r) => [r.point.runId, r]));
    expect(byId.p0).toMatchObject({ outcome: 'finished-before', otherVersion: '0.0.1' });
    expect(byId.p1.outcome).toBe('finished-before');
    expect(byId.p1.otherVersion).toBeUndefined();

    const rows = [old, same].map((p) => pointStatus(p));
    const text = formatStatus(rows);
    expect(text.split('\n')[0]).toMatch(/^ {3}0 {2}done {6}p0 {2}i=0 {2}ldr 0\.0\.1/);
    expect(text.split('\n')[1]).not.toContain('ldr ');
    expect(text).toContain(`1 made by ldr 0.0.1, not this ldr ${version}: \`ldr sweep --force\` retrains them`);
    expect(statusJson(rows)).toMatchObject({ ldrVersion: version, points: [{ runId: 'p0', state: 'done', ldrVersion: '0.0.1' }, { runId: 'p1', ldrVersion: version }] });

    launched.length = 0;
    const forced = await runPoints([old, same, fresh], { jobs: 1, pollMs: 50, launch, force: true });
    expect(launched.sort()).toEqual(['p0', 'p1', 'p2']);
    expect(forced.results.map((r) => r.outcome)).toEqual(['completed', 'completed', 'completed']);
  });
});
