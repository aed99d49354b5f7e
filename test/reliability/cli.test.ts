// Faults met by `ldr train` as a user runs it (the built CLI): a full disk (a small tmpfs, root
// only — CI runs as root), a SIGSTOPped trainer whose heartbeat went stale, and the checkpoint
// read back by an independent reader (Python's struct + json, no numpy).
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveCheckpoint } from '../../src/runs/checkpoint';
import type { TrainState } from '../../src/train/types';

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'ldr');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-rel-cli-'));
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) spawnSync('umount', [m]);
  fs.rmSync(tmp, { recursive: true, force: true });
});
beforeAll(() => {
  if (!fs.existsSync(path.join(root, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
});

function ldr(args: string[], timeout = 120_000): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function writeConfig(name: string, lines: string[]): string {
  const file = path.join(tmp, `${name}.yaml`);
  fs.writeFileSync(file, [`name: ${name}`, ...lines].join('\n'));
  return file;
}

const onlyRunDir = (output: string, name: string): string => {
  const [id] = fs.readdirSync(path.join(output, name));
  return path.join(output, name, id);
};
const summaryNumbers = (dir: string): Record<string, unknown> => {
  const { wallSeconds: _w, peakRssMB: _p, ...rest } = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));
  return rest;
};

/** Mount a tmpfs of `size` (e.g. "2m"); false when not permitted (not root), which fails under CI. */
function mountTmpfs(dir: string, size: string): boolean {
  fs.mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  if (r.status === 0) mounts.push(dir);
  return r.status === 0;
}
const canMount = (() => {
  const probe = path.join(tmp, 'probe');
  const ok = mountTmpfs(probe, '64k');
  if (ok) spawnSync('umount', [probe]), mounts.pop();
  if (!ok && process.env.CI) throw new Error('the full-disk test needs root to mount a tmpfs (CI runs as root)');
  return ok;
})();

describe('a full disk', () => {
  it.skipIf(!canMount)('train on a nearly full tmpfs: one-line error naming the file, last good checkpoint kept, no temp files; after freeing space it resumes to the uninterrupted numbers', () => {
    const cfg = writeConfig('full', [
      'dataset: { name: digits-bg-rot, train_frac: 0.1 }',
      'model: { layer: { class: low-rank, rank: 2 } }',
      'optimizer: { lr: 0.01, lr_decay: 0.9 }',
      'training: { epochs: 3, batch_size: 50, seed: 5 }',
      'backend: wasm',
    ]);
    const straightOut = path.join(tmp, 'straight');
    const straight = ldr(['train', '--config', cfg, '--set', `output=${straightOut}`, '--quiet']);
    expect(straight.code, straight.err).toBe(0);
    const straightDir = onlyRunDir(straightOut, 'full');
    const ckptBytes = fs.statSync(path.join(straightDir, 'checkpoint', 'epoch-0003.safetensors')).size;

    const disk = path.join(tmp, 'disk');
    expect(mountTmpfs(disk, '4m')).toBe(true);
    // Leave room for the small files and one and a half checkpoints: epoch 1 fits, epoch 2 does not.
    const st = fs.statfsSync(disk);
    const free = st.bavail * st.bsize;
    const filler = path.join(disk, 'filler');
    fs.writeFileSync(filler, Buffer.alloc(free - Math.round(1.5 * ckptBytes) - 64 * 1024));
    const out = path.join(disk, 'results');
    const full = ldr(['train', '--config', cfg, '--set', `output=${out}`, '--quiet']);
    expect(full.code).toBe(74);
    const lines = full.err.trim().split('\n');
    expect(lines, full.err).toHaveLength(1);
    expect(lines[0]).toMatch(/^ldr: cannot write .*\/checkpoint\/epoch-0002\.safetensors: the disk is full \(needs .* free\); free some space and run the same command again$/);
    const dir = onlyRunDir(out, 'full');
    expect(fs.readdirSync(path.join(dir, 'checkpoint'))).toEqual(['epoch-0001.safetensors']);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'lock'))).toBe(false);

    fs.rmSync(filler);
    const again = ldr(['train', '--config', cfg, '--set', `output=${out}`]);
    expect(again.code, again.err).toBe(0);
    expect(again.out + again.err).toMatch(/resuming after epoch 1 of 3/);
    expect(summaryNumbers(dir)).toEqual(summaryNumbers(straightDir));
    expect(fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
  });
});

describe('a full disk during a sweep', () => {
  it.skipIf(!canMount)('the failing point is recorded, no further point starts, one line and exit 74; after freeing space the sweep completes', () => {
    const cfg = writeConfig('fullsweep', [
      'dataset: { name: digits-bg-rot, train_frac: 0.05 }',
      'model: { layer: { class: low-rank, rank: 2 } }',
      'training: { epochs: 1, batch_size: 50 }',
      'backend: wasm',
      'sweep:',
      '  grid:',
      '    training.seed: [1, 2, 3]',
    ]);
    const disk = path.join(tmp, 'sweepdisk');
    expect(mountTmpfs(disk, '2m')).toBe(true);
    const st = fs.statfsSync(disk);
    const filler = path.join(disk, 'filler');
    // Room for the small files of a point, not for its checkpoint (about 40 KB).
    fs.writeFileSync(filler, Buffer.alloc(st.bavail * st.bsize - 96 * 1024));
    const out = path.join(disk, 'results');
    const r = ldr(['sweep', '--config', cfg, '--set', `output=${out}`, '--jobs', '1'], 300_000);
    expect(r.code, r.out + r.err).toBe(74);
    expect(r.err.trim().split('\n').filter((l) => l.startsWith('ldr: '))).toEqual([
      expect.stringMatching(/^ldr: sweep stopped, no further point started: cannot write .*epoch-0001\.safetensors: the disk is full/),
    ]);
    const runs = fs.readdirSync(path.join(out, 'fullsweep')).filter((f) => !f.startsWith('.'));
    expect(runs).toHaveLength(1);
    fs.rmSync(filler);
    const again = ldr(['sweep', '--config', cfg, '--set', `output=${out}`, '--jobs', '1'], 300_000);
    expect(again.code, again.out + again.err).toBe(0);
    const done = fs.readdirSync(path.join(out, 'fullsweep')).filter((f) => !f.startsWith('.'));
    expect(done.map((d) => JSON.parse(fs.readFileSync(path.join(out, 'fullsweep', d, 'summary.json'), 'utf8')).status)).toEqual(['completed', 'completed', 'completed']);
  });
});

describe('a paused trainer keeps its claim', () => {
  it('SIGSTOP for longer than the stale age: a second train on this host exits 75 instead of taking over', async () => {
    const cfg = writeConfig('paused', [
      'dataset: { name: digits-bg-rot, train_frac: 0.2 }',
      'model: { layer: { class: unconstrained } }',
      'training: { epochs: 3, batch_size: 50, seed: 1 }',
      'backend: wasm',
    ]);
    const out = path.join(tmp, 'paused-out');
    const child = spawn(process.execPath, [bin, 'train', '--config', cfg, '--set', `output=${out}`, '--quiet'], { cwd: root, stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    try {
      let lock = '';
      for (let i = 0; i < 600 && !lock; i++) {
        await new Promise((r) => setTimeout(r, 50));
        try {
          const l = path.join(onlyRunDir(out, 'paused'), 'lock');
          if (fs.existsSync(l)) lock = l;
        } catch {
          // not there yet
        }
      }
      expect(lock).not.toBe('');
      child.kill('SIGSTOP');
      // As if paused for ten minutes: the heartbeat is far past the stale age.
      const old = new Date(Date.now() - 600_000);
      fs.utimesSync(lock, old, old);
      const second = ldr(['train', '--config', cfg, '--set', `output=${out}`, '--quiet']);
      expect(second.code).toBe(75);
      expect(second.err).toMatch(new RegExp(`is being trained by pid ${child.pid} on ${os.hostname()}`));
      expect(JSON.parse(fs.readFileSync(lock, 'utf8')).pid).toBe(child.pid);
    } finally {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited;
    }
  });
});

describe('the checkpoint is a safetensors file', () => {
  it('Python (struct + json) reads names, dtypes, shapes and the exact values, and the SHA-256 of each tensor', () => {
    const dir = path.join(tmp, 'st');
    const state: TrainState = {
      epoch: 2,
      rngState: 42,
      lr: 0.005,
      optimizer: { step: 9, slots: { 'momentum/hidden.W': new Float32Array([0.25, -0.5, 1e-7, 3, 4, 5]) } },
      weights: { 'hidden.W': new Float32Array([Math.PI, -Math.E, 1 / 3, 1e-38, -0, 65504.5]), 'hidden.b': new Float32Array([0.1, 0.2]) },
      best: { epoch: 1, valAcc: 0.5, valLoss: 0.7, weights: { 'hidden.W': new Float32Array([1, 2, 3, 4, 5, 6]), 'hidden.b': new Float32Array([7, 8]) } },
      metrics: [],
      seconds: 3,
    };
    saveCheckpoint(dir, state, 'cpu', { 'hidden.W': [2, 3], 'hidden.b': [2] });
    const file = path.join(dir, 'epoch-0002.safetensors');
    const py = [
      'import json, struct, sys, hashlib',
      'b = open(sys.argv[1], "rb").read()',
      '(n,) = struct.unpack("<Q", b[:8])',
      'h = json.loads(b[8:8 + n])',
      'meta = h.pop("__metadata__")',
      'sha = json.loads(meta["tensor_sha256"])',
      'data = b[8 + n:]',
      'out = {"format": meta["format"], "epoch": json.loads(meta["state"])["epoch"], "tensors": {}}',
      'for name, t in sorted(h.items()):',
      '    s, e = t["data_offsets"]',
      '    assert t["dtype"] == "F32"',
      '    assert hashlib.sha256(data[s:e]).hexdigest() == sha[name], name',
      '    out["tensors"][name] = {"shape": t["shape"], "values": list(struct.unpack("<%df" % ((e - s) // 4), data[s:e]))}',
      'print(json.dumps(out))',
    ].join('\n');
    const r = spawnSync('python3', ['-c', py, file], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout);
    expect(got.format).toBe('ldr-checkpoint/2');
    expect(got.epoch).toBe(2);
    const expected = (shape: number[], a: Float32Array) => ({ shape, values: Array.from(a) });
    expect(got.tensors).toEqual({
      'best/hidden.W': expected([2, 3], state.best!.weights['hidden.W']),
      'best/hidden.b': expected([2], state.best!.weights['hidden.b']),
      'optimizer/momentum/hidden.W': expected([6], state.optimizer.slots['momentum/hidden.W']),
      'weights/hidden.W': expected([2, 3], state.weights['hidden.W']),
      'weights/hidden.b': expected([2], state.weights['hidden.b']),
    });
    // -0 survives as -0 (JSON prints it as -0.0 in Python, 0 in JS): check the sign bit in Python's output text.
    expect(r.stdout).toContain('-0.0');
  });
});
