// `ldr sweep --slurm` and `--status` without a cluster: the submitted script and what is
// recorded (a stand-in `sbatch` on PATH records its arguments and prints a job id), the
// one-line errors when sbatch is missing or refuses, and the per-point states read from a
// results folder written by the test. test/slurm.test.ts does the same against a real Slurm.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/main';
import { slurmJob, slurmJobLabel } from '../src/runs/env';
import { readLock } from '../src/runs/lock';
import { emitSlurm } from '../src/sweep/emit';
import { UserError } from '../src/util/errors';

let dir: string;
let fakeBin: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-slurm-submit-'));
  fakeBin = path.join(dir, 'fakebin');
  fs.mkdirSync(fakeBin);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string): string {
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(
    file,
    `name: ${name}
output: ${path.join(dir, 'results')}
dataset: { name: digits-noise }
model: { layer: { class: unconstrained } }
training: { epochs: 3 }
sweep:
  grid:
    training.seed: [0, 1, 2, 3, 4, 5]
`,
  );
  return file;
}

/** Run `ldr sweep ...` in this process with PATH = fakeBin only; stdout and the error it threw. */
async function sweep(args: string[]): Promise<{ out: string; error: Error | null }> {
  const chunks: string[] = [];
  const write = process.stdout.write;
  const savedPath = process.env.PATH;
  process.env.PATH = fakeBin;
  process.stdout.write = ((s: string) => chunks.push(s) > 0) as typeof process.stdout.write;
  let error: Error | null = null;
  try {
    await buildProgram().exitOverride().parseAsync(['node', 'ldr', 'sweep', ...args]);
  } catch (e) {
    error = e as Error;
  } finally {
    process.stdout.write = write;
    process.env.PATH = savedPath;
  }
  return { out: chunks.join(''), error };
}

function fakeCommand(name: string, body: string): void {
  const file = path.join(fakeBin, name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`);
  fs.chmodSync(file, 0o755);
}

describe('the job array script', () => {
  const base = {
    config: '/c/s.yaml',
    experiment: 'e',
    points: 6,
    shards: 3,
    jobs: 2,
    sets: ['training.epochs=1'],
    cwd: '/work dir',
    ldrBin: '/opt/ldr/bin/ldr',
    image: 'node:20',
    pvc: 'w',
  };

  it('carries array parallelism, partition, time, CPUs, the log pattern and absolute node', () => {
    const s = emitSlurm({ ...base, node: '/usr/bin/node', parallelism: 2, partition: 'gpu', time: '1:00:00', cpusPerTask: 4, logFile: '/r/my logs/%A_%a.out' });
    expect(s.split('\n').filter((l) => l.startsWith('#SBATCH'))).toEqual([
      '#SBATCH --job-name=ldr-e',
      '#SBATCH --array=0-2%2',
      '#SBATCH --ntasks=1',
      '#SBATCH --cpus-per-task=4',
      '#SBATCH --partition=gpu',
      '#SBATCH --time=1:00:00',
      '#SBATCH --output="/r/my logs/%A_%a.out"',
    ]);
    expect(s).toContain(`\ncd '/work dir'\n`);
    expect(s).toContain(`\nexec /usr/bin/node /opt/ldr/bin/ldr sweep --config /c/s.yaml --jobs 2 --set training.epochs=1 --shard "\${SLURM_ARRAY_TASK_ID}/3"\n`);
  });

  it('without options: the whole array at once, CPUs = jobs, node from PATH', () => {
    const s = emitSlurm(base);
    expect(s).toContain('#SBATCH --array=0-2\n');
    expect(s).toContain('#SBATCH --cpus-per-task=2\n');
    expect(s).not.toContain('--partition');
    expect(s).toContain('\nexec node /opt/ldr/bin/ldr sweep');
  });

  it('the script is valid bash', () => {
    const file = path.join(dir, 'check.sh');
    fs.writeFileSync(file, emitSlurm({ ...base, parallelism: 1, logFile: '/x/%A_%a.out' }));
    expect(spawnSync('bash', ['-n', file]).status).toBe(0);
  });
});

describe('ldr sweep --slurm with a stand-in sbatch', () => {
  it('submits one array, records it, and says how to follow it', async () => {
    const record = path.join(dir, 'sbatch-args');
    fakeCommand('sbatch', `echo "$@" > ${record}; /bin/cp "$2" ${record}.script; echo "4242;cluster"`);
    const file = writeConfig('sub');
    const { out, error } = await sweep(['--config', file, '--slurm', '--shards', '3', '--array-parallelism', '2', '--partition', 'debug', '--time', '0:10:00', '--jobs-per-task', '2', '--set', 'training.epochs=1']);
    expect(error).toBeNull();
    expect(out).toMatch(/^submitted job array 4242: 6 points \(6 not done\) in 3 tasks, at most 2 at once\n/);
    expect(out).toContain('squeue -j 4242');
    expect(out).toContain(`ldr sweep --config ${file} --set training.epochs=1 --status`);

    const slurmDir = path.join(dir, 'results', 'sub', '.sweep', 'slurm');
    const args = fs.readFileSync(record, 'utf8').trim().split(' ');
    expect(args[0]).toBe('--parsable');
    expect(path.dirname(args[1])).toBe(slurmDir);
    const script = fs.readFileSync(`${record}.script`, 'utf8');
    expect(script).toContain('#SBATCH --array=0-2%2\n');
    expect(script).toContain('#SBATCH --partition=debug\n');
    expect(script).toContain('#SBATCH --time=0:10:00\n');
    expect(script).toContain('#SBATCH --cpus-per-task=2\n');
    expect(script).toContain(`#SBATCH --output=${slurmDir}/%A_%a.out\n`);
    expect(script).toContain(`exec ${process.execPath} ${path.resolve(__dirname, '..', 'bin', 'ldr')} sweep --config ${file} --jobs 2 --set training.epochs=1 --shard "\${SLURM_ARRAY_TASK_ID}/3"\n`);

    const subs = JSON.parse(fs.readFileSync(path.join(slurmDir, 'submissions.json'), 'utf8'));
    expect(subs).toHaveLength(1);
    expect(subs[0]).toMatchObject({ jobId: '4242', shards: 3, parallelism: 2, config: file, sets: ['training.epochs=1'] });
  });

  it('no sbatch on PATH: one-line UserError', async () => {
    fs.rmSync(path.join(fakeBin, 'sbatch'), { force: true });
    const { error } = await sweep(['--config', writeConfig('nosb'), '--slurm']);
    expect(error).toBeInstanceOf(UserError);
    expect(error!.message).toMatch(/^--slurm: sbatch not found on PATH/);
    expect(error!.message).not.toContain('\n');
  });

  it('sbatch refuses: its reason, one line', async () => {
    fakeCommand('sbatch', `echo "sbatch: error: invalid partition specified: nope" >&2; exit 1`);
    const { error } = await sweep(['--config', writeConfig('refused'), '--slurm', '--partition', 'nope']);
    expect(error).toBeInstanceOf(UserError);
    expect(error!.message).toBe('--slurm: sbatch refused the job array (exit 1): sbatch: error: invalid partition specified: nope');
    fs.rmSync(path.join(fakeBin, 'sbatch'));
  });

  it('bad numbers are user errors', async () => {
    const { error } = await sweep(['--config', writeConfig('bad'), '--slurm', '--array-parallelism', '0']);
    expect(error).toBeInstanceOf(UserError);
    expect(error!.message).toMatch(/^--array-parallelism: expected a whole number ≥ 1/);
  });
});

describe('ldr sweep --status', () => {
  it('done / running / stale / failed / pending, with the Slurm jobs that ran each point', async () => {
    const file = writeConfig('st');
    const { out: listing } = await sweep(['--config', file, '--dry-run']);
    const ids = listing.split('\n').slice(1, 7).map((l) => l.trim().split(/\s+/)[2]);
    expect(ids).toHaveLength(6);
    const exp = path.join(dir, 'results', 'st');
    const run = (i: number) => path.join(exp, ids[i]);
    const put = (file: string, value: unknown) => {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
    };
    const job = (j: string, t: string) => ({ jobId: String(100 + Number(t)), arrayJobId: j, arrayTaskId: t });
    const epochs = (n: number) => Array.from({ length: n }, (_, k) => JSON.stringify({ epoch: k + 1 }) + '\n').join('');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;

    // 0: done, started by 7_0 and finished by 9_0 after a resume.
    put(path.join(run(0), 'summary.json'), { status: 'completed', testAcc: 0.5 });
    put(path.join(run(0), 'env.json'), { slurm: job('7', '0') });
    put(path.join(exp, '.sweep', 'outcomes', `${ids[0]}.json`), { outcome: 'completed', message: 'completed', slurm: job('9', '0') });
    // 1: running: a live claim (this process), fresh heartbeat, one epoch checkpointed.
    put(path.join(run(1), 'lock'), { pid: process.pid, host: os.hostname(), startedAt: 'now' });
    put(path.join(run(1), 'metrics.jsonl'), epochs(1));
    put(path.join(exp, '.sweep', 'started', `${ids[1]}.json`), { slurm: job('9', '1') });
    // 2: stale: the claim's process is gone (SIGKILL).
    put(path.join(run(2), 'lock'), { pid: dead, host: os.hostname(), startedAt: 'then' });
    put(path.join(run(2), 'metrics.jsonl'), epochs(2));
    // 3: failed at its last attempt.
    put(path.join(exp, '.sweep', 'outcomes', `${ids[3]}.json`), { outcome: 'failed', message: 'exit code 2: no such file' });
    // 4: interrupted cleanly (SIGTERM released the claim) after 2 epochs; 5: never started.
    put(path.join(run(4), 'metrics.jsonl'), epochs(2));

    fakeCommand('squeue', `case "$*" in "-h -r -o %i %T -j 4242") echo "4242_1 RUNNING"; echo "4242_2 PENDING";; "-h -r -o %i %T -j 17") echo "slurm_load_jobs error: Invalid job id specified" >&2; exit 1;; *) exit 9;; esac`);
    put(path.join(exp, '.sweep', 'slurm', 'submissions.json'), [{ jobId: '17' }, { jobId: '4242' }]);
    const { out, error } = await sweep(['--config', file, '--status']);
    expect(error).toBeNull();
    const rows = out.split('\n').slice(1, 7).map((l) => l.trim().split(/\s+/).slice(0, 2).join(' '));
    expect(rows).toEqual(['0 done', '1 running', '2 stale', '3 failed', '4 pending', '5 pending']);
    const line = (i: number) => out.split('\n')[1 + i];
    expect(line(0)).toMatch(/slurm 7_0,9_0 {2}\(test 50\.00%\)$/);
    expect(line(1)).toMatch(new RegExp(`slurm 9_1 {2}\\(pid ${process.pid} on ${os.hostname()}, heartbeat \\d s ago, epoch 1 of 3 checkpointed\\)$`));
    expect(line(2)).toContain(`(claim of pid ${dead} on ${os.hostname()} is stale`);
    expect(line(3)).toMatch(/\(exit code 2: no such file\)$/);
    expect(line(4)).toMatch(/\(interrupted after epoch 2 of 3; resumes from its checkpoint\)$/);
    expect(line(5)).toMatch(/seed=5$/);
    expect(out).toContain('\n6 points: 1 done, 1 running, 1 stale, 1 failed, 2 pending\n');
    expect(out).toMatch(/\nslurm: 4242_1 running, 4242_2 pending\n$/);
  });
});

describe('Slurm job ids from the environment', () => {
  it('array task, plain job, outside Slurm', () => {
    const task = slurmJob({ SLURM_JOB_ID: '15', SLURM_ARRAY_JOB_ID: '12', SLURM_ARRAY_TASK_ID: '3' });
    expect(task).toEqual({ jobId: '15', arrayJobId: '12', arrayTaskId: '3' });
    expect(slurmJobLabel(task!)).toBe('12_3');
    expect(slurmJobLabel(slurmJob({ SLURM_JOB_ID: '15' })!)).toBe('15');
    expect(slurmJob({})).toBeNull();
  });
});

describe('a claim whose process was killed', () => {
  it('is stale at once even while the dead process is an unreaped zombie (orphans under a PID 1 that does not reap)', async () => {
    // The shell execs into `sleep 4` before `sleep 0.3` ends, so nobody waits for it: a zombie until `sleep 4` ends.
    const parent = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 4'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const zombie = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (d) => resolve(String(d)))));
    const runDir = path.join(dir, 'zombie-run');
    fs.mkdirSync(runDir, { recursive: true });
    fs.writeFileSync(path.join(runDir, 'lock'), JSON.stringify({ pid: zombie, host: os.hostname(), startedAt: 'x' }));
    try {
      let state = '';
      for (let i = 0; i < 150 && state !== 'Z'; i++) {
        const stat = fs.readFileSync(`/proc/${zombie}/stat`, 'utf8');
        state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        if (state !== 'Z') await new Promise((r) => setTimeout(r, 20));
      }
      expect(state).toBe('Z');
      expect(() => process.kill(zombie, 0)).not.toThrow(); // signal 0 alone would call it alive
      expect(readLock(runDir).state).toBe('stale');
      fs.writeFileSync(path.join(runDir, 'lock'), JSON.stringify({ pid: process.pid, host: os.hostname(), startedAt: 'x' }));
      expect(readLock(runDir).state).toBe('live');
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
