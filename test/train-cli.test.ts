// `ldr train` as a user runs it (the built CLI; test/support/buildDist.ts rebuilds a stale dist/): SIGKILL mid-run and
// re-run gives exactly the summary of an uninterrupted run; an ended run is not retrained;
// a run claimed by a live process exits 75.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadExperiment } from '../src/config/load';
import { runIdOf } from '../src/runs/runId';

const root = path.resolve(__dirname, '..');
const bin = path.join(root, 'bin', 'ldr');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// Unconstrained n = 784 on a fifth of the built-in digits-bg-rot: epochs long enough to kill one midway.
const configFile = path.join(tmp, 'kill.yaml');
beforeAll(() => {
  if (!fs.existsSync(path.join(root, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  fs.writeFileSync(
    configFile,
    [
      'name: kill',
      'dataset: { name: digits-bg-rot, train_frac: 0.2 }',
      'model: { layer: { class: unconstrained } }',
      'optimizer: { lr: 0.01, lr_decay: 0.9 }',
      'training: { epochs: 5, batch_size: 50, seed: 1 }',
      'backend: wasm',
    ].join('\n'),
  );
});

function ldr(args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout + r.stderr };
}

function runDirOf(output: string): string {
  const exp = path.join(output, 'kill');
  const [id] = fs.readdirSync(exp);
  return path.join(exp, id);
}

const summaryNumbers = (dir: string): Record<string, unknown> => {
  const { wallSeconds: _w, peakRssMB: _m, ...rest } = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));
  return rest;
};

describe('ldr train (CLI)', () => {
  it('SIGKILL after the first checkpoint, re-run: resumes and ends with the uninterrupted numbers', async () => {
    const straightOut = path.join(tmp, 'straight');
    const straight = ldr(['train', '--config', configFile, '--set', `output=${straightOut}`]);
    expect(straight.code, straight.out).toBe(0);
    expect(straight.out).toMatch(/backend: wasm/);
    expect(straight.out).toMatch(/epoch 5\/5 .*val loss/);

    const killedOut = path.join(tmp, 'killed');
    const child = spawn(process.execPath, [bin, 'train', '--config', configFile, '--set', `output=${killedOut}`], { cwd: root, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, sig) => resolve(sig)));
    // Kill as soon as the first epoch's checkpoint exists (mid-way through epoch 2).
    await new Promise<void>((resolve, reject) => {
      const t0 = Date.now();
      const poll = setInterval(() => {
        let ready = false;
        try {
          ready = fs.readdirSync(path.join(runDirOf(killedOut), 'checkpoint')).some((f) => f.endsWith('.safetensors'));
        } catch {
          // the folder does not exist yet
        }
        if (ready || Date.now() - t0 > 50_000) {
          clearInterval(poll);
          if (ready) child.kill('SIGKILL');
          (ready ? resolve : reject)(new Error('no checkpoint appeared'));
        }
      }, 10);
    });
    expect(await exited).toBe('SIGKILL');
    const dir = runDirOf(killedOut);
    expect(fs.existsSync(path.join(dir, 'summary.json'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'lock'))).toBe(true); // left behind by the killed process: stale

    const resumed = ldr(['train', '--config', configFile, '--set', `output=${killedOut}`]);
    expect(resumed.code, resumed.out).toBe(0);
    expect(resumed.out).toMatch(/took over a stale claim/);
    expect(resumed.out).toMatch(/resuming after epoch [1-4] of 5/);
    expect(summaryNumbers(dir)).toEqual(summaryNumbers(runDirOf(straightOut)));
    expect(fs.existsSync(path.join(dir, 'lock'))).toBe(false);

    // Ended: a re-run prints the summary and trains nothing.
    const again = ldr(['train', '--config', configFile, '--set', `output=${killedOut}`]);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/already ended \(use --force to retrain\)/);
    expect(again.out).not.toMatch(/epoch 1\/5/);
    expect(again.out).toMatch(/test accuracy/);
  });

  it('a diverging lr is a result: exit code 0, DIVERGED printed, summary.json status diverged', () => {
    const output = path.join(tmp, 'diverged');
    const r = ldr(['train', '--config', configFile, '--set', `output=${output}`, '--set', 'optimizer.lr=1e30', '--set', 'training.epochs=2']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/^DIVERGED: loss became (NaN|Infinity) at epoch 1, batch \d+ of 28 \(lr 1e\+30\)$/m);
    expect(JSON.parse(fs.readFileSync(path.join(runDirOf(output), 'summary.json'), 'utf8')).status).toBe('diverged');
  });

  it('--print-config prints the resolved config; a run held by a live process exits 75', () => {
    const output = path.join(tmp, 'locked');
    const printed = ldr(['train', '--config', configFile, '--set', `output=${output}`, '--print-config']);
    expect(printed.code).toBe(0);
    expect(printed.out).toContain(`output: ${output}`);
    expect(printed.out).toMatch(/val_frac: 0.15/);
    const dir = path.join(output, 'kill', runIdOf(loadExperiment(configFile, [`output=${output}`])));
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'lock'), JSON.stringify({ pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() }));
    const r = ldr(['train', '--config', configFile, '--set', `output=${output}`]);
    expect(r.code, r.out).toBe(75);
    expect(r.out).toContain(`${dir} is being trained by pid ${process.pid} on ${os.hostname()}`);
    expect(fs.existsSync(path.join(dir, 'summary.json'))).toBe(false);
  });
});
