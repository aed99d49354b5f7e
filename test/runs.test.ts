// Run folders: ids, the checkpoint format, and the lock that keeps two processes off one run.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { experimentSchema } from '../src/config/schema';
import { loadCheckpoint, saveCheckpoint } from '../src/runs/checkpoint';
import { claimLock, LOCK_HELD_EXIT_CODE, lockState, readLock, STALE_MS } from '../src/runs/lock';
import { NON_IDENTITY_FIELDS, runIdOf } from '../src/runs/runId';
import type { TrainState } from '../src/train/types';
import { runExperiment } from '../src/train/run';
import { UserError } from '../src/util/errors';
import { blobs } from './support/blobs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-runs-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => fs.mkdtempSync(path.join(tmp, `d${dirs++}-`));

const raw = {
  name: 'exp',
  dataset: { name: 'blobs' },
  model: { layer: { class: 'ldr-sd', rank: 1 } },
  optimizer: { lr: 0.01 },
  training: { epochs: 2, batch_size: 16 },
};

/** A pid that certainly belongs to no process: one that just exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

function writeLock(dir: string, info: { pid: number; host: string }, ageMs = 0): void {
  const file = path.join(dir, 'lock');
  fs.writeFileSync(file, JSON.stringify({ ...info, startedAt: new Date().toISOString() }));
  const t = new Date(Date.now() - ageMs);
  fs.utimesSync(file, t, t);
}

describe('runIdOf', () => {
  it('is readable, stable under key order and aliases, and ignores output, dataset.path and backend', () => {
    const a = experimentSchema.parse(raw);
    const id = runIdOf(a);
    expect(id).toMatch(/^ldr-sd_r1_lr0\.01_s0_[0-9a-f]{8}$/);
    const reordered = experimentSchema.parse({ training: raw.training, optimizer: raw.optimizer, model: raw.model, dataset: raw.dataset, name: 'exp' });
    expect(runIdOf(reordered)).toBe(id);
    expect(runIdOf({ ...a, model: { ...a.model, layer: { ...a.model.layer, class: 'sd' } } })).toBe(id);
    expect(runIdOf({ ...a, output: '/elsewhere', backend: 'wasm', dataset: { ...a.dataset, path: '/data' } })).toBe(id);
    // Exactly the fields a sweep may not vary (sweep/source.ts) are left out.
    expect(NON_IDENTITY_FIELDS).toEqual(['output', 'backend', 'dataset.path', 'training.workers']);
    expect(runIdOf({ ...a, training: { ...a.training, workers: 2 } })).toBe(id);
    expect(runIdOf({ ...a, training: { ...a.training, seed: 1 } })).not.toBe(id);
    expect(runIdOf({ ...a, dataset: { ...a.dataset, pad32: true } })).not.toBe(id);
    expect(runIdOf({ ...a, optimizer: { ...a.optimizer, momentum: 0.5 } })).not.toBe(id);
    // operators only matter for toeplitz-like / hankel-like
    expect(runIdOf({ ...a, model: { ...a.model, layer: { ...a.model.layer, operators: 'z0' } } })).toBe(id);
    const t = { ...a, model: { ...a.model, layer: { ...a.model.layer, class: 'toeplitz-like' } } };
    expect(runIdOf({ ...t, model: { ...t.model, layer: { ...t.model.layer, operators: 'z0' } } })).not.toBe(runIdOf(t));
  });
});

describe('checkpoint', () => {
  const state = (epoch: number): TrainState => ({
    epoch,
    rngState: 0xdeadbeef,
    lr: 0.01 * 0.9 ** epoch,
    optimizer: { step: 17 * epoch, slots: { 'momentum/a': new Float32Array([1.5, -2]), 'momentum/b': new Float32Array([epoch]) } },
    weights: { a: new Float32Array([Math.PI, Math.E]), b: new Float32Array([1 / 3]) },
    best: { epoch: 1, valAcc: 0.8125, valLoss: 0.123456789, weights: { a: new Float32Array([7, 8]), b: new Float32Array([9]) } },
    metrics: [{ epoch: 1, trainLoss: 1.25, trainAcc: 0.5, valLoss: 0.9, valAcc: 0.8125, lr: 0.01, seconds: 0.1 }],
    seconds: 1.5,
  });

  it('round-trips every field exactly, keeps the newest two epochs, and sweeps temp files and old layouts', () => {
    const dir = freshDir();
    saveCheckpoint(dir, state(1), 'cpu');
    fs.writeFileSync(path.join(dir, '.epoch-0002.safetensors.999.0.tmp'), 'half a write');
    fs.writeFileSync(path.join(dir, 'tensors-1.bin'), 'old layout');
    saveCheckpoint(dir, state(2), 'cpu');
    saveCheckpoint(dir, state(3), 'cpu');
    expect(fs.readdirSync(dir).sort()).toEqual(['epoch-0002.safetensors', 'epoch-0003.safetensors']);
    const loaded = loadCheckpoint(dir)!;
    expect(loaded.backend).toBe('cpu');
    expect(loaded.state).toEqual(state(3));
    expect(loaded.skipped).toEqual([]);
  });

  it('is absent in an empty folder; a truncated file is an error naming the file', () => {
    const dir = freshDir();
    expect(loadCheckpoint(dir)).toBeNull();
    saveCheckpoint(dir, state(1), 'cpu');
    fs.truncateSync(path.join(dir, 'epoch-0001.safetensors'), 8);
    expect(() => loadCheckpoint(dir)).toThrow(/epoch-0001\.safetensors is damaged/);
  });
});

describe('lock', () => {
  it('claims exclusively and releases', () => {
    const dir = freshDir();
    const a = claimLock(dir);
    expect(a.ok).toBe(true);
    expect(lockState(dir)).toBe('live');
    const b = claimLock(dir);
    expect(b.ok).toBe(false);
    if (!b.ok) expect(b.holder.info?.pid).toBe(process.pid);
    if (a.ok) a.lock.release();
    expect(lockState(dir)).toBe('free');
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('treats a dead pid on this host, or a heartbeat older than two minutes on another host, as stale and takes it over', () => {
    const dead = freshDir();
    writeLock(dead, { pid: deadPid(), host: os.hostname() });
    expect(lockState(dead)).toBe('stale');
    const c = claimLock(dead);
    expect(c.ok && c.tookOver?.host).toBe(os.hostname());
    if (c.ok) {
      expect(readLock(dead).info?.pid).toBe(process.pid);
      c.lock.release();
    }

    const old = freshDir();
    writeLock(old, { pid: process.pid, host: 'another-host' }, STALE_MS + 5000);
    expect(lockState(old)).toBe('stale');
    const fresh = freshDir();
    writeLock(fresh, { pid: deadPid(), host: 'another-host' }, 1000); // another host: pid says nothing
    expect(lockState(fresh)).toBe('live');
  });

  it('the heartbeat refreshes the claim, so a long-running holder never looks stale', () => {
    const dir = freshDir();
    const a = claimLock(dir);
    if (!a.ok) throw new Error('claim failed');
    const old = new Date(Date.now() - STALE_MS - 1000);
    fs.utimesSync(path.join(dir, 'lock'), old, old);
    expect(readLock(dir).ageMs!).toBeGreaterThan(STALE_MS);
    a.lock.touch();
    expect(readLock(dir).ageMs!).toBeLessThan(5000);
    expect(lockState(dir)).toBe('live');
    a.lock.release();
  });

  it('release leaves a claim that is no longer ours alone', () => {
    const dir = freshDir();
    const a = claimLock(dir);
    if (!a.ok) throw new Error('claim failed');
    writeLock(dir, { pid: 1, host: 'someone-else' });
    a.lock.release();
    expect(readLock(dir).info?.host).toBe('someone-else');
  });

  it('ldr train on a run claimed by a live process fails with exit code 75; a stale claim is taken over', async () => {
    const cfg = experimentSchema.parse({ ...raw, model: { layer: { class: 'unconstrained' } }, output: freshDir() });
    const dir = path.join(cfg.output, cfg.name, runIdOf(cfg));
    fs.mkdirSync(dir, { recursive: true });
    writeLock(dir, { pid: process.pid, host: os.hostname() });
    let loaded = 0;
    const err = await runExperiment(cfg, { loadData: () => (loaded++, blobs()), backend: { name: 'cpu', reason: 'test' } }).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err.exitCode).toBe(LOCK_HELD_EXIT_CODE);
    expect(err.message).toContain(`is being trained by pid ${process.pid} on ${os.hostname()}`);
    expect(loaded).toBe(0);

    writeLock(dir, { pid: deadPid(), host: os.hostname() });
    const out = await runExperiment(cfg, { loadData: () => blobs(), backend: { name: 'cpu', reason: 'test' } });
    expect(out.summary.status).toBe('completed');
    expect(lockState(dir)).toBe('free');
  });
});
