// The scheduler alone, with a stand-in child (a few lines of node) in place of `ldr train`:
// at most `jobs` children at once; exit 75 (claimed elsewhere) is neither done nor failed and is
// looked at again until the run ends elsewhere; a live lock is not started twice.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExperimentConfig } from '../src/config/schema';
import type { SweepPoint } from '../src/sweep/points';
import { runPoints } from '../src/sweep/runner';

let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-runner-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function points(name: string, n: number): SweepPoint[] {
  return Array.from({ length: n }, (_, index) => {
    const runId = `p${index}`;
    const config = { name, output: dir } as unknown as ExperimentConfig;
    return { index, runId, config, runDir: path.join(dir, name, runId), label: `i=${index}` };
  });
}

const SUMMARY = JSON.stringify({ status: 'completed' });

/** A child that sleeps, then writes summary.json (or exits with `code` and writes nothing). */
function standIn(p: SweepPoint, ms: number, code = 0) {
  const script = `setTimeout(() => { if (${code} === 0) { require('fs').mkdirSync(${JSON.stringify(p.runDir)}, { recursive: true }); require('fs').writeFileSync(${JSON.stringify(path.join(p.runDir, 'summary.json'))}, ${JSON.stringify(SUMMARY)}); } process.exit(${code}); }, ${ms});`;
  return spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('runPoints', () => {
  it('never runs more than `jobs` children at once and runs each point once', async () => {
    let active = 0;
    let most = 0;
    const launched: string[] = [];
    const res = await runPoints(points('limit', 5), {
      jobs: 2,
      pollMs: 50,
      launch: (p) => {
        launched.push(p.runId);
        active++;
        most = Math.max(most, active);
        const child = standIn(p, 150);
        child.on('close', () => active--);
        return child;
      },
    });
    expect(most).toBe(2);
    expect(launched.sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    expect(res.results.map((r) => r.outcome)).toEqual(['completed', 'completed', 'completed', 'completed', 'completed']);
  });

  it('exit 75 means claimed elsewhere: waited for, then counted as finished there', async () => {
    const [p] = points('claimed', 1);
    const launches: number[] = [];
    const progress: string[] = [];
    const res = await runPoints([p], {
      jobs: 1,
      pollMs: 50,
      launch: (pt) => {
        launches.push(Date.now());
        if (launches.length === 1) {
          // Another process owns it and finishes it a little later.
          setTimeout(() => {
            fs.mkdirSync(pt.runDir, { recursive: true });
            fs.writeFileSync(path.join(pt.runDir, 'summary.json'), SUMMARY);
          }, 300);
        }
        return standIn(pt, 10, 75);
      },
      onProgress: (c) => progress.push(`${c.done}/${c.running}/${c.elsewhere}/${c.failed}/${c.left}`),
    });
    expect(res.results.map((r) => [r.outcome, r.ranHere])).toEqual([['finished-before', false]]);
    expect(progress).toContain('0/0/1/0/0'); // shown as running elsewhere, not failed
    expect(progress[progress.length - 1]).toBe('1/0/0/0/0');
  });

  it('a point with a live lock is not started; a stale lock (dead pid) is', async () => {
    const [live, stale] = points('locks', 2);
    for (const p of [live, stale]) fs.mkdirSync(p.runDir, { recursive: true });
    fs.writeFileSync(path.join(live.runDir, 'lock'), JSON.stringify({ pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() }));
    fs.writeFileSync(path.join(stale.runDir, 'lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), startedAt: new Date().toISOString() }));
    setTimeout(() => {
      fs.writeFileSync(path.join(live.runDir, 'summary.json'), SUMMARY);
      fs.rmSync(path.join(live.runDir, 'lock'));
    }, 400);
    const launched: string[] = [];
    const res = await runPoints([live, stale], {
      jobs: 2,
      pollMs: 50,
      launch: (p) => {
        launched.push(p.runId);
        return standIn(p, 10);
      },
    });
    expect(launched).toEqual([stale.runId]);
    expect(Object.fromEntries(res.results.map((r) => [r.point.runId, r.outcome]))).toEqual({ [live.runId]: 'finished-before', [stale.runId]: 'completed' });
  });

  it('a failing child is recorded with its exit code and output; the others still run', async () => {
    const ps = points('failing', 3);
    const res = await runPoints(ps, {
      jobs: 1,
      launch: (p) =>
        p.index === 1
          ? spawn(process.execPath, ['-e', 'console.error("ldr: boom"); process.exit(3)'], { stdio: ['ignore', 'pipe', 'pipe'] })
          : standIn(p, 10),
    });
    expect(res.results.map((r) => `${r.point.runId}:${r.outcome}`)).toEqual(['p0:completed', 'p1:failed', 'p2:completed']);
    const failed = res.results[1];
    expect(failed.message).toBe('exit code 3: ldr: boom');
    expect(fs.readFileSync(failed.log!, 'utf8')).toMatch(/^# .* starts .*\nldr: boom\n$/);
    const record = JSON.parse(fs.readFileSync(path.join(dir, 'failing', '.sweep', 'outcomes', 'p1.json'), 'utf8'));
    expect(record).toMatchObject({ outcome: 'failed', exitCode: 3, message: 'exit code 3: ldr: boom' });
  });
});

describe('a point that ended while its sweep died', () => {
  it('gets the outcome record its sweep never wrote, naming the sweep (and Slurm job) that launched it', async () => {
    const [p, q] = points('late-outcome', 2);
    const sweep = path.join(dir, 'late-outcome', '.sweep');
    const slurm = { jobId: '41', arrayJobId: '40', arrayTaskId: '1' };
    fs.mkdirSync(p.runDir, { recursive: true });
    fs.writeFileSync(path.join(p.runDir, 'summary.json'), JSON.stringify({ status: 'completed', wallSeconds: 12 }));
    fs.mkdirSync(path.join(sweep, 'started'), { recursive: true });
    fs.writeFileSync(path.join(sweep, 'started', `${p.runId}.json`), JSON.stringify({ runId: p.runId, host: 'node7', pid: 4242, at: 'then', slurm }));
    // q has a recorded outcome already: it must be left as it is.
    fs.mkdirSync(q.runDir, { recursive: true });
    fs.writeFileSync(path.join(q.runDir, 'summary.json'), SUMMARY);
    fs.mkdirSync(path.join(sweep, 'outcomes'), { recursive: true });
    const kept = JSON.stringify({ runId: q.runId, outcome: 'completed', message: 'original' });
    fs.writeFileSync(path.join(sweep, 'outcomes', `${q.runId}.json`), kept);

    const res = await runPoints([p, q], { jobs: 1, pollMs: 10, launch: () => { throw new Error('nothing should be launched'); } });
    expect(res.results.map((r) => r.outcome)).toEqual(['finished-before', 'finished-before']);
    const recorded = JSON.parse(fs.readFileSync(path.join(sweep, 'outcomes', `${p.runId}.json`), 'utf8'));
    expect(recorded).toMatchObject({ runId: p.runId, outcome: 'completed', slurm, host: 'node7', pid: 4242, seconds: 12 });
    expect(fs.readFileSync(path.join(sweep, 'outcomes', `${q.runId}.json`), 'utf8')).toBe(kept);
  });
});
