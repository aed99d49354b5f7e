// scripts/reproduce-builtin.sh end to end at a tiny setting (1 epoch, 5% of the data, the grids
// collapsed to one class, lr and seed by overrides, a two-size speed benchmark): it writes
// results.md with the machine, every section's command and date, and figures that exist.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';

const repo = path.resolve(__dirname, '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-repro-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('scripts/reproduce-builtin.sh', () => {
  it('regenerates results.md and its figures (tiny setting)', () => {
    if (!fs.existsSync(path.join(repo, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
    const docs = path.join(tmp, 'docs');
    const r = spawnSync('bash', [path.join(repo, 'scripts', 'reproduce-builtin.sh')], {
      cwd: repo,
      encoding: 'utf8',
      timeout: 280_000,
      env: {
        ...process.env,
        LDR_REPRO_EPOCHS: '1',
        LDR_REPRO_TRAIN_FRAC: '0.05',
        LDR_REPRO_SETS: 'training.seed=0 optimizer.lr=0.01 model.layer.class=circulant',
        LDR_REPRO_BENCH: '--n 256,512 --rank 1 --repeats 1 --classes circulant,toeplitz-like',
        LDR_REPRO_RESULTS: path.join(tmp, 'results'),
        LDR_REPRO_DOCS: docs,
        LDR_REPRO_BACKEND: 'cpu',
        LDR_REPRO_JOBS: '2',
      },
    });
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    const md = fs.readFileSync(path.join(docs, 'results.md'), 'utf8');
    expect(md).toMatch(/^\| cores \| \d+ \|$/m);
    expect(md).toMatch(/^\| CPU \| .+ \|$/m);
    expect(md).toContain('| backend of the runs | cpu |');
    expect(md).toContain('| backend of the speed benchmark | cpu |');
    for (const title of ['## Table 1 layout: digits-bg-rot and digits-noise, every class', '## Rank figure', '## Speed figure', '### Learning curves']) expect(md).toContain(title);
    expect(md).toContain('ldr sweep --config configs/reproduce/builtin-table1.yaml --jobs 2 --set');
    expect(md).toContain('ldr sweep --config configs/reproduce/builtin-ranks.yaml');
    expect(md).toContain('ldr bench speed --n 256,512 --rank 1 --repeats 1 --classes circulant,toeplitz-like --backend cpu --json --plot');
    expect(md.match(/_Finished \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ after \d+ min \d+ s\._/g)).toHaveLength(6);
    // The table of both datasets, from the runs just made.
    expect(md).toMatch(/\| Method \| digits-bg-rot \| digits-noise \|\n\| --- \| --- \| --- \|\n\| Circulant \| \d+\.\d\d \(n=1, 9,418 params\) \| \d+\.\d\d \(n=1, 9,418 params\) \|/);
    // Every linked file exists, and the figures are SVG.
    const links = [...md.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1]);
    expect(links).toEqual(expect.arrayContaining(['figures/table1-accuracy.svg', 'figures/table1-curves.svg', 'figures/ranks.svg', 'figures/speed.svg', 'figures/report.html', 'figures/runs.csv']));
    for (const l of links) expect(fs.existsSync(path.join(docs, l)), l).toBe(true);
    for (const svg of ['table1-accuracy.svg', 'table1-curves.svg', 'ranks.svg', 'speed.svg']) {
      expect(fs.readFileSync(path.join(docs, 'figures', svg), 'utf8')).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*<\/svg>\n$/);
    }
    expect(fs.readFileSync(path.join(docs, 'figures', 'table1-curves.svg'), 'utf8')).toContain('class="curve"');
  }, 300_000);
});
