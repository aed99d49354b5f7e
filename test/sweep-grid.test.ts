// Grid expansion (grid × zip, exclude, rank-free classes, --set), error positions, sharding.
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { loadExperimentFromString } from '../src/config/load';
import { runIdOf } from '../src/runs/runId';
import { buildGrid } from '../src/sweep/points';
import { inShard, parseShard } from '../src/sweep/shard';
import { parseSweepText } from '../src/sweep/source';
import { UserError } from '../src/util/errors';

const BASE = `name: g
dataset: { name: digits-noise }
model:
  layer: { class: unconstrained }
training: { epochs: 2 }
`;

function grid(sweep: string, sets: string[] = []) {
  return buildGrid(parseSweepText(BASE + sweep, 'sweep.yaml'), sets);
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error('expected a UserError');
}

describe('grid expansion', () => {
  it('multiplies grid axes in file order, last fastest', () => {
    const g = grid(`sweep:
  grid:
    optimizer.lr: [0.01, 0.1]
    training.seed: [0, 1, 2]
`);
    expect(g.points.map((p) => [p.config.optimizer.lr, p.config.training.seed])).toEqual([
      [0.01, 0], [0.01, 1], [0.01, 2], [0.1, 0], [0.1, 1], [0.1, 2],
    ]);
    expect(g.points.map((p) => p.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(g.points[4].label).toBe('lr=0.1 seed=1');
    expect(g.points[4].runDir).toBe(path.join('results', 'g', g.points[4].runId));
  });

  it('zip groups vary together (after the grid axes); exclude drops matching points (aliases match canonical names)', () => {
    const g = grid(`sweep:
  zip:
    - model.layer.class: [unconstrained, td, toeplitz-like, low-rank]
      model.layer.rank: [1, 1, 4, 4]
  grid:
    optimizer.lr: [0.01, 0.1]
  exclude:
    - { model.layer.class: lr, optimizer.lr: 0.1 }
    - { model.layer.class: ldr-td, model.layer.rank: 1, optimizer.lr: 0.01 }
`);
    expect(g.combinations).toBe(8);
    expect(g.excluded).toBe(2);
    expect(g.points.map((p) => `${p.config.model.layer.class}/${p.config.model.layer.rank}/${p.config.optimizer.lr}`)).toEqual([
      'unconstrained/1/0.01', 'toeplitz-like/4/0.01', 'low-rank/4/0.01', 'unconstrained/1/0.1', 'ldr-td/1/0.1', 'toeplitz-like/4/0.1',
    ]);
  });

  it('every point has the run-id ldr train gives its resolved config', () => {
    const g = grid(`sweep:
  grid:
    model.layer.class: [sd, toeplitz-like]
    optimizer.lr: [0.05]
`, ['training.seed=3']);
    for (const p of g.points) {
      const direct = loadExperimentFromString(`name: g
dataset: { name: digits-noise }
model: { layer: { class: ${p.config.model.layer.class} } }
training: { epochs: 2, seed: 3 }
optimizer: { lr: 0.05 }
`);
      expect(p.runId).toBe(runIdOf(direct));
      expect(p.config).toEqual(direct);
    }
    expect(g.points[0].config.model.layer.class).toBe('ldr-sd');
  });

  it('--set applies to every point and wins over the grid', () => {
    const g = grid(`sweep:
  grid:
    training.epochs: [1, 2]
    training.seed: [0, 1]
`, ['training.epochs=7']);
    expect(g.points.map((p) => p.config.training.epochs)).toEqual([7, 7]);
    expect(g.merged).toBe(2);
  });
});

describe('rank-free classes', () => {
  it('ranks are not multiplied for a class without a displacement rank', async () => {
    const registry = await import('../src/structured/registry');
    const circulant = registry.findClass('circulant')!;
    const saved = circulant.hasRank;
    (circulant as { hasRank: boolean }).hasRank = false; // make sure the case is exercised whatever the registry says
    try {
      const g = grid(`sweep:
  grid:
    model.layer.class: [toeplitz-like, circulant]
    model.layer.rank: [1, 2, 4]
`);
      expect(g.points.map((p) => p.label)).toEqual([
        'class=toeplitz-like rank=1', 'class=toeplitz-like rank=2', 'class=toeplitz-like rank=4', 'class=circulant',
      ]);
      expect(g.merged).toBe(2);
    } finally {
      (circulant as { hasRank: boolean }).hasRank = saved;
    }
  });
});

describe('sweep file errors name file:line:col and the field', () => {
  it('unknown grid field, with a suggestion', () => {
    expect(errorOf(() => grid(`sweep:\n  grid:\n    optimizer.lrr: [0.1]\n`))).toBe(
      'sweep.yaml:8:5 sweep.grid.optimizer.lrr: not a field of an experiment; did you mean optimizer.lr?',
    );
  });
  it('zip lists of different lengths', () => {
    expect(errorOf(() => grid(`sweep:\n  zip:\n    - model.layer.class: [td, sd]\n      model.layer.rank: [1]\n`))).toBe(
      'sweep.yaml:9:25 sweep.zip.0.model.layer.rank: expected 2 values (one per value of model.layer.class), got 1',
    );
  });
  it('a field that is not part of a run id (workers, backend, output, dataset.path): one clear line, not merged points', () => {
    expect(errorOf(() => grid(`sweep:\n  grid:\n    training.workers: [1, 2]\n`))).toMatch(
      /^sweep\.yaml:8:5 sweep\.grid\.training\.workers: training\.workers is not part of a run's identity .*every value would be the same run; to compare training\.workers use `ldr bench workers`/,
    );
    for (const field of ['backend', 'output', 'dataset.path']) {
      expect(errorOf(() => grid(`sweep:\n  zip:\n    - ${field}: [a, b]\n`))).toMatch(new RegExp(`^sweep\\.yaml:8:7 sweep\\.zip\\.0\\.${field.replace('.', '\\.')}: ${field.replace('.', '\\.')} is not part of a run's identity`));
    }
  });
  it('a field on two axes', () => {
    expect(errorOf(() => grid(`sweep:\n  grid:\n    training.seed: [0]\n  zip:\n    - training.seed: [1]\n`))).toMatch(
      /^sweep\.yaml:10:7 sweep\.zip\.0\.training\.seed: training\.seed already varies at sweep\.yaml:8:5/,
    );
  });
  it('a bad value in the grid is shown at that value', () => {
    expect(errorOf(() => grid(`sweep:\n  grid:\n    model.layer.rank: [1, four]\n`, ['model.layer.class=t']))).toBe(
      'sweep.yaml:8:27 model.layer.rank: expected an integer ≥ 1, got "four"',
    );
  });
  it('grid values must be a non-empty list', () => {
    expect(errorOf(() => grid(`sweep:\n  grid:\n    optimizer.lr: 0.1\n`))).toBe(
      'sweep.yaml:8:19 sweep.grid.optimizer.lr: expected a list of values, e.g. [0.01, 0.1], got 0.1',
    );
    expect(errorOf(() => grid(`sweep:\n  grid:\n    optimizer.lr: []\n`))).toMatch(/^sweep\.yaml:8:19 sweep\.grid\.optimizer\.lr: expected at least one value/);
  });
  it('a bad --set names the flag', () => {
    expect(errorOf(() => grid(`sweep:\n  grid:\n    training.seed: [0]\n`, ['optimizer.lrr=1']))).toMatch(
      /^--set optimizer\.lrr\b.*did you mean optimizer\.lr\?/,
    );
  });
  it('an unknown class in the grid', () => {
    expect(errorOf(() => grid(`sweep:\n  grid:\n    model.layer.class: [td, toeplitz]\n`))).toMatch(
      /^sweep\.yaml:8:29 model\.layer\.class: expected one of unconstrained/,
    );
  });
  it('unknown key in the sweep section, and a missing sweep section', () => {
    expect(errorOf(() => grid(`sweep:\n  grids: {}\n`))).toMatch(/^sweep\.yaml:7:3 sweep\.grids: unknown key; did you mean grid\?/);
    expect(errorOf(() => parseSweepText(BASE, 'plain.yaml'))).toMatch(/^plain\.yaml:1:1 sweep: missing/);
  });
});

describe('shards', () => {
  const points = Array.from({ length: 23 }, (_, index) => ({ index }));
  it('are disjoint and their union is the grid', () => {
    for (const n of [1, 2, 3, 5, 23, 40]) {
      const seen: number[] = [];
      for (let i = 0; i < n; i++) {
        const part = inShard(points, parseShard(`${i}/${n}`, {}));
        expect(part.length).toBeGreaterThanOrEqual(Math.floor(23 / n));
        expect(part.length).toBeLessThanOrEqual(Math.ceil(23 / n));
        seen.push(...part.map((p) => p.index));
      }
      expect(seen.sort((a, b) => a - b)).toEqual(points.map((p) => p.index));
    }
  });
  it('take i and n from Slurm or Kubernetes', () => {
    expect(parseShard('auto', { SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '8' })).toEqual({ index: 4, count: 8 });
    expect(parseShard('auto', { JOB_COMPLETION_INDEX: '2', LDR_SHARDS: '3' })).toEqual({ index: 2, count: 3 });
    expect(parseShard('/6', { JOB_COMPLETION_INDEX: '5' })).toEqual({ index: 5, count: 6 });
    expect(parseShard(undefined, { JOB_COMPLETION_INDEX: '5' })).toBeNull();
  });
  it('reject bad specs with a clear message', () => {
    expect(errorOf(() => parseShard('3/3', {}))).toBe('--shard: index 3 is out of range for 3 shards (0..2)');
    expect(errorOf(() => parseShard('auto', { JOB_COMPLETION_INDEX: '1' }))).toMatch(/number of shards is unknown/);
    expect(errorOf(() => parseShard('auto', {}))).toMatch(/no shard index/);
    expect(errorOf(() => parseShard('a/2', {}))).toMatch(/shard index i in i\/n must be a whole number/);
  });
});

describe('--emit and --dry-run through the CLI', () => {
  async function cli(args: string[], env: Record<string, string> = {}): Promise<string> {
    const { buildProgram } = await import('../src/cli/main');
    const fs = await import('fs');
    const os = await import('os');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-emit-'));
    const file = path.join(tmp, 'sweep.yaml');
    fs.writeFileSync(file, BASE.replace('name: g', `name: g\noutput: ${path.join(tmp, 'results')}`) + `sweep:\n  grid:\n    optimizer.lr: [0.01, 0.1]\n    training.seed: [0, 1, 2]\n`);
    const chunks: string[] = [];
    const write = process.stdout.write;
    const saved = { ...process.env };
    Object.assign(process.env, env);
    process.stdout.write = ((s: string) => chunks.push(s) > 0) as typeof process.stdout.write;
    try {
      await buildProgram().parseAsync(['node', 'ldr', 'sweep', '--config', file, ...args]);
    } finally {
      process.stdout.write = write;
      process.env = saved;
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    return chunks.join('').replaceAll(tmp, '<tmp>');
  }

  it('a Slurm job array with one task per shard', async () => {
    const script = await cli(['--emit', 'slurm', '--shards', '4', '--jobs', '2', '--set', 'training.epochs=1']);
    expect(script).toMatch(/^#!\/bin\/bash\n/);
    expect(script).toContain('#SBATCH --array=0-3\n');
    expect(script).toContain('#SBATCH --cpus-per-task=2\n');
    expect(script).toContain(`sweep --config <tmp>/sweep.yaml --jobs 2 --set training.epochs=1 --shard "\${SLURM_ARRAY_TASK_ID}/4"\n`);
  });

  it('a Kubernetes Indexed Job whose completion index is the shard', async () => {
    const { parse } = await import('yaml');
    const job = parse(await cli(['--emit', 'k8s', '--shards', '3']));
    expect(job.kind).toBe('Job');
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', completions: 3, parallelism: 3 });
    const c = job.spec.template.spec.containers[0];
    expect(c.command.slice(-2)).toEqual(['--shard', 'auto']);
    expect(c.env).toEqual([{ name: 'LDR_SHARDS', value: '3' }]);
  });

  it('--dry-run lists a shard: the points whose index ≡ i (mod n), none done', async () => {
    const out = await cli(['--dry-run', '--shard'], { JOB_COMPLETION_INDEX: '1', LDR_SHARDS: '4' });
    const lines = out.trim().split('\n');
    expect(lines[0]).toBe('<tmp>/sweep.yaml: 6 points; shard 1/4: 2 points');
    expect(lines.slice(1, 3).map((l) => l.trim().split(/\s+/)[0])).toEqual(['1', '5']);
    expect(lines.slice(1, 3).map((l) => l.trim().split(/\s+/)[1])).toEqual(['pending', 'pending']);
    expect(lines[3]).toBe('2 pending');
  });
});
