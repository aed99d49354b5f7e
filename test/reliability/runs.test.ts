// Faults in run folders (docs/reliability.md): short writes, lost claims, damaged checkpoints and
// summaries, odd lock files. Each case failed on the code before this file existed.
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { experimentSchema, type ExperimentConfig } from '../../src/config/schema';
import { loadCheckpoint, saveCheckpoint } from '../../src/runs/checkpoint';
import { readMetrics, readSummary, runPaths, writeMetrics, writeSummary } from '../../src/runs/folder';
import { claimLock, HEARTBEAT_MS, LOCK_HELD_EXIT_CODE, lockState, readLock, STALE_MS } from '../../src/runs/lock';
import { readCheckpoint } from '../../src/runs/resume';
import { runIdOf } from '../../src/runs/runId';
import type { RunSummary } from '../../src/runs/types';
import { runExperiment } from '../../src/train/run';
import type { TrainState } from '../../src/train/types';
import { DiskError, setWriteFnForTests, writeFileAtomic } from '../../src/util/atomic';
import { blobs } from '../support/blobs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-rel-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => fs.mkdtempSync(path.join(tmp, `d${dirs++}-`));
const backend = { name: 'cpu', reason: 'test' };

function config(name: string, epochs = 3): ExperimentConfig {
  return experimentSchema.parse({
    name,
    dataset: { name: 'blobs' },
    model: { layer: { class: 'unconstrained' } },
    optimizer: { lr: 0.05 },
    training: { epochs, batch_size: 16, seed: 3 },
    output: tmp,
  });
}

const state = (epoch: number): TrainState => ({
  epoch,
  rngState: 0x12345678 + epoch,
  lr: 0.01 * 0.9 ** epoch,
  optimizer: { step: 17 * epoch, slots: { 'momentum/W': new Float32Array([1.5, -2, 0.1, epoch]) } },
  weights: { W: new Float32Array([Math.PI, Math.E, -1 / 3, 1e-30 * epoch]), b: new Float32Array([1 / 7]) },
  best: { epoch: 1, valAcc: 0.8125, valLoss: 0.123456789, weights: { W: new Float32Array([7, 8, 9, 10]), b: new Float32Array([-0]) } },
  metrics: Array.from({ length: epoch }, (_, i) => ({ epoch: i + 1, trainLoss: 1 / (i + 1), trainAcc: 0.5, valLoss: 0.9, valAcc: 0.8125, lr: 0.01, seconds: 0.1 })),
  seconds: 1.5 * epoch,
});

const numbers = (s: RunSummary) => {
  const { wallSeconds: _w, peakRssMB: _p, ...rest } = s;
  return rest;
};

describe('atomic writes under short writes and a full disk', () => {
  it('loops over short writes: the file is complete', () => {
    const file = path.join(freshDir(), 'f.bin');
    const data = crypto.randomBytes(10_000);
    const restore = setWriteFnForTests((fd, buf, off, len) => fs.writeSync(fd, buf, off, Math.min(len, 777)));
    try {
      writeFileAtomic(file, data);
    } finally {
      restore();
    }
    expect(fs.readFileSync(file).equals(data)).toBe(true);
  });

  it('a write that stops short (ENOSPC) keeps the old file, removes its temp file, and says which file and how much', () => {
    const dir = freshDir();
    const file = path.join(dir, 'f.bin');
    fs.writeFileSync(file, 'the good old content');
    let written = 0;
    const restore = setWriteFnForTests((fd, buf, off, len) => {
      const n = Math.min(len, 4096 - written);
      if (n <= 0) return 0; // what write(2) returns on a full disk after a partial write
      written += n;
      return fs.writeSync(fd, buf, off, n);
    });
    let err: unknown;
    try {
      writeFileAtomic(file, crypto.randomBytes(100_000));
    } catch (e) {
      err = e;
    } finally {
      restore();
    }
    expect(err).toBeInstanceOf(DiskError);
    expect((err as DiskError).exitCode).not.toBe(0);
    expect((err as Error).message).toMatch(new RegExp(`^cannot write ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: the disk is full \\(needs 97\\.7 KiB, .* free\\); free some space`));
    expect(fs.readFileSync(file, 'utf8')).toBe('the good old content');
    expect(fs.readdirSync(dir)).toEqual(['f.bin']);
  });

  it('a checkpoint that cannot be written leaves the previous one as the one to resume from', () => {
    const dir = freshDir();
    saveCheckpoint(dir, state(1), 'cpu');
    const restore = setWriteFnForTests(() => 0);
    try {
      expect(() => saveCheckpoint(dir, state(2), 'cpu')).toThrow(DiskError);
    } finally {
      restore();
    }
    expect(fs.readdirSync(dir)).toEqual(['epoch-0001.safetensors']);
    expect(loadCheckpoint(dir)!.state).toEqual(state(1));
  });
});

describe('fencing: a process that lost its claim writes nothing', () => {
  it('checkpoint, metrics and summary writes refuse once the lock names another process', () => {
    const runDir = freshDir();
    const p = runPaths(path.dirname(runDir), '.', path.basename(runDir));
    const claim = claimLock(runDir);
    if (!claim.ok) throw new Error('claim failed');
    saveCheckpoint(p.checkpoint, state(1), 'cpu');
    // Taken over from another host while this process was paused.
    fs.writeFileSync(path.join(runDir, 'lock'), JSON.stringify({ pid: 1, host: 'other-host', startedAt: new Date().toISOString() }));
    for (const write of [
      () => saveCheckpoint(p.checkpoint, state(2), 'cpu'),
      () => writeMetrics(p, state(2).metrics),
      () => writeSummary(p, {} as RunSummary),
    ]) {
      let err: unknown;
      try {
        write();
      } catch (e) {
        err = e;
      }
      expect((err as Error)?.message).toMatch(/^lost the claim on .*: it is now held by pid 1 on other-host .*stopping without writing/);
      expect((err as { exitCode: number }).exitCode).toBe(LOCK_HELD_EXIT_CODE);
    }
    expect(fs.readdirSync(p.checkpoint)).toEqual(['epoch-0001.safetensors']);
    expect(fs.existsSync(p.metrics) || fs.existsSync(p.summary)).toBe(false);
    // The heartbeat no longer refreshes the other process's claim, and release leaves it alone.
    const before = fs.statSync(path.join(runDir, 'lock')).mtimeMs;
    fs.utimesSync(path.join(runDir, 'lock'), new Date(before - 60_000), new Date(before - 60_000));
    claim.lock.touch();
    expect(fs.statSync(path.join(runDir, 'lock')).mtimeMs).toBeLessThan(before);
    claim.lock.release();
    expect(readLock(runDir).info?.host).toBe('other-host');
  });

  it('the heartbeat of the training loop notices a lost claim and stops the work at once', () => {
    const runDir = freshDir();
    const claim = claimLock(runDir);
    if (!claim.ok) throw new Error('claim failed');
    fs.writeFileSync(path.join(runDir, 'lock'), JSON.stringify({ pid: 1, host: 'other-host', startedAt: new Date().toISOString() }));
    const now = Date.now();
    const clock = vi.spyOn(Date, 'now').mockReturnValue(now + HEARTBEAT_MS);
    try {
      expect(() => claim.lock.heartbeat()).toThrow(/^lost the claim on /);
    } finally {
      clock.mockRestore();
      claim.lock.release();
    }
  });

  it('a training run whose claim is taken over mid-epoch stops before its next checkpoint', async () => {
    const cfg = config('fenced', 3);
    const p = runPaths(cfg.output, cfg.name, runIdOf(cfg));
    const err = await runExperiment(cfg, {
      loadData: () => blobs(),
      backend,
      hooks: {
        onBatch: (epoch, batch) => {
          if (epoch === 2 && batch === 1) {
            fs.writeFileSync(p.lock, JSON.stringify({ pid: 1, host: 'other-host', startedAt: new Date().toISOString() }));
          }
        },
      },
    }).catch((e) => e);
    expect(err.message).toMatch(/^lost the claim/);
    expect(err.exitCode).toBe(LOCK_HELD_EXIT_CODE);
    expect(fs.readdirSync(p.checkpoint)).toEqual(['epoch-0001.safetensors']);
    expect(readMetrics(p).map((m) => m.epoch)).toEqual([1]);
    expect(fs.existsSync(p.summary)).toBe(false);
    expect(readLock(p.dir).info?.host).toBe('other-host');
  });
});

describe('lock files that are not what they seem', () => {
  const claimed = (dir: string) => {
    const c = claimLock(dir);
    expect(c.ok).toBe(true);
    if (c.ok) c.lock.release();
  };
  it('a folder or a dangling symlink in place of the lock is junk: cleared and claimed', () => {
    const a = freshDir();
    fs.mkdirSync(path.join(a, 'lock', 'inner'), { recursive: true });
    expect(lockState(a)).toBe('stale');
    claimed(a);
    const b = freshDir();
    fs.symlinkSync(path.join(b, 'nowhere'), path.join(b, 'lock'));
    expect(lockState(b)).toBe('stale');
    claimed(b);
    expect(fs.readdirSync(b)).toEqual([]);
  });

  it('a heartbeat far in the future does not keep a claim from another host alive', () => {
    const dir = freshDir();
    const file = path.join(dir, 'lock');
    fs.writeFileSync(file, JSON.stringify({ pid: 1, host: 'other-host', startedAt: new Date().toISOString() }));
    const future = new Date(Date.now() + STALE_MS + 3_600_000);
    fs.utimesSync(file, future, future);
    expect(lockState(dir)).toBe('stale');
  });

  it('same host: a live pid keeps its claim however old its heartbeat (a SIGSTOPped trainer)', () => {
    const dir = freshDir();
    const file = path.join(dir, 'lock');
    fs.writeFileSync(file, JSON.stringify({ pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() }));
    const old = new Date(Date.now() - 10 * STALE_MS);
    fs.utimesSync(file, old, old);
    expect(lockState(dir)).toBe('live');
    expect(claimLock(dir).ok).toBe(false);
  });
});

describe('damaged checkpoints', () => {
  const file = (dir: string, e: number) => path.join(dir, `epoch-${String(e).padStart(4, '0')}.safetensors`);
  const flipLastByte = (f: string) => {
    const b = fs.readFileSync(f);
    b[b.length - 1] ^= 0x01;
    fs.writeFileSync(f, b);
  };

  it('one flipped byte: the newest is refused and the previous epoch used instead, with a note', () => {
    const dir = freshDir();
    saveCheckpoint(dir, state(1), 'cpu');
    saveCheckpoint(dir, state(2), 'cpu');
    flipLastByte(file(dir, 2));
    const loaded = loadCheckpoint(dir)!;
    expect(loaded.state).toEqual(state(1));
    expect(loaded.skipped[0]).toMatch(/epoch-0002\.safetensors is damaged: tensor optimizer\/momentum\/W does not match its SHA-256/);
  });

  it('every file damaged (zeroed, same size): a UserError naming the file and --force', () => {
    const runDir = freshDir();
    const p = runPaths(path.dirname(runDir), '.', path.basename(runDir));
    saveCheckpoint(p.checkpoint, state(1), 'cpu');
    const f = file(p.checkpoint, 1);
    fs.writeFileSync(f, Buffer.alloc(fs.statSync(f).size));
    expect(() => readCheckpoint(p)).toThrow(/^cannot resume from .*checkpoint: .*epoch-0001\.safetensors is damaged: .*; use --force to start over$/);
  });

  it('an edited epoch in the header (same length) is refused', () => {
    const dir = freshDir();
    saveCheckpoint(dir, state(2), 'cpu');
    const f = file(dir, 2);
    const b = fs.readFileSync(f);
    const edited = Buffer.from(b.toString('latin1').replace('\\"epoch\\":2,', '\\"epoch\\":9,'), 'latin1');
    expect(edited.equals(b)).toBe(false);
    fs.writeFileSync(f, edited);
    expect(() => loadCheckpoint(dir)).toThrow(/epoch-0002\.safetensors is damaged: the training state does not match its SHA-256/);
  });

  it('a checkpoint of the previous format is a clear error', () => {
    const runDir = freshDir();
    const p = runPaths(path.dirname(runDir), '.', path.basename(runDir));
    fs.mkdirSync(p.checkpoint);
    fs.writeFileSync(path.join(p.checkpoint, 'index.json'), JSON.stringify({ format: 'ldr-checkpoint/1' }));
    expect(() => readCheckpoint(p)).toThrow(/older ldr \(format ldr-checkpoint\/1\).*use --force to start over/);
  });

  it('a run whose newest checkpoint is damaged resumes from the previous one and ends with the uninterrupted numbers', async () => {
    const straight = await runExperiment(config('fallback-straight', 4), { loadData: () => blobs(), backend });
    const cfg = config('fallback', 4);
    const crash = new Error('crash');
    await expect(
      runExperiment(cfg, { loadData: () => blobs(), backend, hooks: { onBatch: (e) => { if (e === 4) throw crash; } } }),
    ).rejects.toBe(crash);
    const p = runPaths(cfg.output, cfg.name, runIdOf(cfg));
    flipLastByte(file(p.checkpoint, 3));
    const resumed = await runExperiment(cfg, { loadData: () => blobs(), backend });
    expect(resumed.resumedFrom).toBe(2);
    expect(numbers(resumed.summary)).toEqual({ ...numbers(straight.summary), experiment: 'fallback', runId: resumed.summary.runId });
  });

  it("a real run's checkpoint records each variable's shape (numpy/PyTorch users load layers as they are)", async () => {
    const cfg = config('shapes', 1);
    const out = await runExperiment(cfg, { loadData: () => blobs(), backend });
    const b = fs.readFileSync(path.join(out.paths.checkpoint, 'epoch-0001.safetensors'));
    const header = JSON.parse(b.toString('utf8', 8, 8 + Number(b.readBigUInt64LE(0))));
    expect(header['weights/hidden.W'].shape).toEqual([8, 8]);
    expect(header['best/hidden.W'].shape).toEqual([8, 8]);
    expect(header['weights/hidden.W'].dtype).toBe('F32');
  });

  it('killed after the last checkpoint but before its metrics line: the re-run restores metrics.jsonl', async () => {
    const cfg = config('metrics-gap', 2);
    const p = runPaths(cfg.output, cfg.name, runIdOf(cfg));
    const crash = new Error('crash');
    await expect(
      runExperiment(cfg, { loadData: () => blobs(), backend, hooks: { onEpochEnd: (m) => { if (m.epoch === 2) throw crash; } } }),
    ).rejects.toBe(crash);
    // As if killed between the checkpoint and the metrics write.
    writeMetricsUnclaimed(p.metrics, readMetrics(p).slice(0, 1));
    expect(readMetrics(p).map((m) => m.epoch)).toEqual([1]);
    await runExperiment(cfg, { loadData: () => blobs(), backend });
    expect(readMetrics(p).map((m) => m.epoch)).toEqual([1, 2]);
  });
});

function writeMetricsUnclaimed(file: string, metrics: unknown[]): void {
  fs.writeFileSync(file, metrics.map((m) => JSON.stringify(m) + '\n').join(''));
}

describe('damaged summaries', () => {
  it('truncated, empty object, unknown status: one line naming the file, the same for train and sweep', async () => {
    const { readSummary: sweepReadSummary } = await import('../../src/sweep/state');
    const runDir = freshDir();
    const p = runPaths(path.dirname(runDir), '.', path.basename(runDir));
    for (const [text, why] of [
      ['{"status": "compl', /is damaged \(.*JSON.*\); use --force to retrain the run/],
      ['{}', /is damaged \(unknown status undefined, expected completed or diverged\)/],
      ['{"status": "paused", "epochs": 1}', /unknown status "paused"/],
    ] as const) {
      fs.writeFileSync(p.summary, text);
      expect(() => readSummary(p)).toThrow(why);
      expect(() => readSummary(p)).toThrow(new RegExp(`^${p.summary.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is damaged`));
      expect(sweepReadSummary(runDir)).toBeNull();
    }
  });

  it('ldr train on a damaged summary: exit 2, one line, no stack', () => {
    const out = freshDir();
    const cfgFile = path.join(out, 'c.yaml');
    fs.writeFileSync(cfgFile, 'name: dmg\ndataset: { name: digits-bg-rot }\nmodel: { layer: { class: unconstrained } }\n');
    const bin = path.resolve(__dirname, '..', '..', 'bin', 'ldr');
    const cfg = experimentSchema.parse({ name: 'dmg', dataset: { name: 'digits-bg-rot' }, model: { layer: { class: 'unconstrained' } }, output: out });
    const dir = path.join(out, 'dmg', runIdOf(cfg));
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'summary.json'), '{}');
    const r = spawnSync(process.execPath, [bin, 'train', '--config', cfgFile, '--set', `output=${out}`], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([`ldr: ${dir}/summary.json is damaged (unknown status undefined, expected completed or diverged); use --force to retrain the run`]);
  });
});
