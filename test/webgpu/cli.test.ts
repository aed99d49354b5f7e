// ldr on the webgpu backend end to end (built dist/, as a user runs it): a one-epoch SHL run on a
// small slice gives the cpu run's validation accuracy within 1 point and records the adapter in
// env.json; `ldr layer` agrees with cpu; `bench layers`, `bench speed` and the LSTM run; `auto` never picks a
// software adapter.
// Without the packages, --backend webgpu fails with one line naming the install command (that
// part needs no adapter and always runs).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { describeBackend, initBackend } from '../../src/backend';
import { webgpuSkipReason } from './require';

const REPO = path.resolve(__dirname, '..', '..');
const LDR = path.join(REPO, 'bin', 'ldr');
const skip = await webgpuSkipReason('webgpu/cli.test');

let dir = '';
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-webgpu-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function ldr(args: string[], opts: { cwd?: string; bin?: string } = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [opts.bin ?? LDR, ...args], { cwd: opts.cwd ?? dir, encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function onlyRun(root: string): string {
  const exp = path.join(root, fs.readdirSync(root)[0]);
  return path.join(exp, fs.readdirSync(exp)[0]);
}

describe.skipIf(skip !== null)('ldr on webgpu', () => {
  it('one epoch of the SHL (circulant) on 5% of digits-bg-rot: validation accuracy of cpu within 1 point', () => {
    const common = [
      'train', '--config', path.join(REPO, 'configs', 'quickstart.yaml'),
      '--set', 'model.layer.class=circulant', '--set', 'dataset.train_frac=0.05', '--set', 'training.epochs=1',
      '--set', `dataset.path=${path.join(dir, 'datasets')}`,
    ];
    const valAcc: Record<string, number> = {};
    let webgpuStdout = '';
    for (const backend of ['cpu', 'webgpu']) {
      const r = ldr([...common, '--set', `output=${path.join(dir, backend)}`, '--backend', backend]);
      expect(r.code, r.stderr).toBe(0);
      if (backend === 'webgpu') webgpuStdout = r.stdout + r.stderr; // progress and the backend line go to stderr
      const run = onlyRun(path.join(dir, backend));
      const metrics = fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(metrics).toHaveLength(1);
      valAcc[backend] = metrics[0].valAcc;
      const env = JSON.parse(fs.readFileSync(path.join(run, 'env.json'), 'utf8'));
      expect(env.backend).toBe(backend);
      if (backend === 'webgpu') {
        expect(env.gpu).toMatchObject({ api: 'webgpu' });
        for (const k of ['vendor', 'architecture', 'device', 'description']) expect(typeof env.gpu[k]).toBe('string');
        // The backend line names the adapter, and says so when it is a software one.
        const line = webgpuStdout.split('\n').find((l) => l.startsWith('backend: webgpu'))!;
        expect(line).toContain(env.gpu.description);
        if (env.gpu.software) expect(line).toContain('software adapter — for testing, slow');
      } else {
        expect(env.gpu).toBeUndefined();
      }
    }
    expect(Math.abs(valAcc.webgpu - valAcc.cpu)).toBeLessThanOrEqual(0.01);
  });

  it('bench layers runs every timing on webgpu without errors or leaks', () => {
    const r = ldr(['bench', 'layers', '--backend', 'webgpu', '--n', '32', '--rank', '2', '--classes', 'lr,t,c,f', '--repeats', '1', '--warmup', '0', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((x) => x.class)).toEqual(['low-rank', 'toeplitz-like', 'circulant', 'fastfood']);
    for (const row of rows) {
      expect(row).toMatchObject({ backend: 'webgpu', error: null });
      expect(row.shlStepMs).toBeGreaterThan(0);
    }
  });

  it('bench speed times the dense product and the training paths on webgpu', () => {
    const r = ldr(['bench', 'speed', '--backend', 'webgpu', '--n', '16', '--rank', '1', '--classes', 'u,v', '--repeats', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((x) => [x.className, x.path])).toEqual([['unconstrained', 'training'], ['vandermonde-like', 'training']]);
    for (const row of rows) {
      expect(row.denseMs).toBeGreaterThan(0);
      expect(row.structuredMs).toBeGreaterThan(0);
    }
  });

  it('ldr layer on webgpu reports the cpu output and dense matrix (toeplitz-like, circulant)', () => {
    for (const cls of ['toeplitz-like', 'circulant']) {
      const run = (backend: string) => {
        const r = ldr(['layer', '--class', cls, '--n', '8', '--rank', '2', '--backend', backend, '--json']);
        expect(r.code, r.stderr).toBe(0);
        return JSON.parse(r.stdout) as { y: number[][]; dense: number[][] };
      };
      const cpu = run('cpu');
      const gpu = run('webgpu');
      for (const k of ['y', 'dense'] as const) {
        const a = gpu[k].flat();
        const b = cpu[k].flat();
        expect(a).toHaveLength(b.length);
        const scale = Math.max(...b.map(Math.abs));
        a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThanOrEqual(1e-4 * (1 + scale)));
      }
    }
  });

  it('the LSTM language model trains an epoch on webgpu (its own training loop)', () => {
    // Batch 100 instead of 20: five times fewer windows on the slow software adapter.
    const lstm = ldr([
      'train', '--config', path.join(REPO, 'configs', 'lstm-quickstart.yaml'), '--backend', 'webgpu', '--quiet',
      '--set', 'model.lstm.hidden=16', '--set', 'model.layer.class=circulant', '--set', 'training.epochs=1',
      '--set', 'training.batch_size=100', '--set', `output=${path.join(dir, 'lstm')}`,
    ]);
    expect(lstm.code, lstm.stderr).toBe(0);
    const lm = fs.readFileSync(path.join(onlyRun(path.join(dir, 'lstm')), 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lm).toHaveLength(1);
    expect(Number.isFinite(lm[0].valLoss)).toBe(true);
    expect(fs.existsSync(path.join(onlyRun(path.join(dir, 'lstm')), 'summary.json'))).toBe(true);
  });

  it('auto passes over a software adapter and says why; an explicit request takes it', async () => {
    const auto = await initBackend('auto');
    try {
      const webgpuSkip = auto.skipped.find((s) => s.startsWith('webgpu: '));
      if (auto.name !== 'webgpu') {
        expect(webgpuSkip).toMatch(/^webgpu: only a software adapter \(.+\); auto never picks one, --backend webgpu does$/);
        expect(describeBackend(auto)).toContain('webgpu skipped: only a software adapter');
      } else {
        expect(auto.gpu).toMatchObject({ api: 'webgpu', software: false });
      }
      const explicit = await initBackend('webgpu');
      expect(explicit.name).toBe('webgpu');
      expect(explicit.reason).toBe('requested (backend: webgpu)');
    } finally {
      await tf.setBackend('cpu');
    }
  });
});

describe('without the webgpu packages', () => {
  it('--backend webgpu fails with one line naming the install command (exit 2)', () => {
    // A copy of the built ldr whose node_modules lacks exactly the two packages.
    const root = path.join(dir, 'no-webgpu');
    fs.mkdirSync(path.join(root, 'node_modules', '@tensorflow'), { recursive: true });
    fs.cpSync(path.join(REPO, 'dist'), path.join(root, 'dist'), { recursive: true });
    fs.cpSync(path.join(REPO, 'bin'), path.join(root, 'bin'), { recursive: true });
    fs.copyFileSync(path.join(REPO, 'package.json'), path.join(root, 'package.json'));
    const modules = path.join(REPO, 'node_modules');
    for (const name of fs.readdirSync(modules)) {
      if (name === 'webgpu' || name === '@tensorflow' || name === '.bin') continue;
      fs.symlinkSync(path.join(modules, name), path.join(root, 'node_modules', name));
    }
    for (const name of fs.readdirSync(path.join(modules, '@tensorflow'))) {
      if (name === 'tfjs-backend-webgpu') continue;
      fs.symlinkSync(path.join(modules, '@tensorflow', name), path.join(root, 'node_modules', '@tensorflow', name));
    }
    const r = ldr(['bench', 'layers', '--backend', 'webgpu', '--n', '8', '--classes', 'lr', '--rank', '1'], { cwd: root, bin: path.join(root, 'bin', 'ldr') });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('backend webgpu is not available: webgpu and @tensorflow/tfjs-backend-webgpu not installed');
    expect(lines[0]).toContain('npm install --no-save webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0');
  });
});
