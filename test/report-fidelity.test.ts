// `ldr report` on the readings the reference code forces: Toeplitz-like on (Z₁, Z₋₁) and on
// (Z₀, Z₀) as two methods, the ranks of P1's figure labelled on the parameter plot, and — P1's
// sample-complexity claim — sweeps over the training-set size drawn as accuracy against the
// number of training examples with their table. Plus the shipped sweep files that feed them.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/main';
import { toCsv } from '../src/report/format';
import { renderPlot } from '../src/report/plot';
import { scanResults } from '../src/report/scan';
import { selectRows } from '../src/report/select';
import { markdownWithSizes, plotWithSizes, splitSizeSweeps } from '../src/report/sizeCurve';
import type { RunSummary } from '../src/runs/types';
import { buildGrid } from '../src/sweep/points';
import { readSweepFile } from '../src/sweep/source';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-report-fidelity-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

interface RunSpec {
  exp: string;
  className: string;
  rank: number | null;
  lr: number;
  seed: number;
  val: number;
  test: number;
  structured?: number;
  extra?: Partial<RunSummary>;
  /** Written as the run's config.yaml (default: a config without the facts). */
  config?: string;
}

function writeRun(base: string, s: RunSpec): void {
  const tag = JSON.stringify(s.extra ?? {}).replace(/[^a-z0-9.]/gi, '');
  const runId = `${s.className}${s.rank === null ? '' : `_r${s.rank}`}_lr${s.lr}_s${s.seed}_${tag}`;
  const structured = s.structured ?? 6272;
  const summary: RunSummary = {
    status: 'completed',
    experiment: s.exp,
    runId,
    dataset: 'digits-bg-rot',
    modelType: 'shl',
    className: s.className,
    rank: s.rank,
    lr: s.lr,
    seed: s.seed,
    epochs: 3,
    bestEpoch: 2,
    bestValAcc: s.val,
    testAcc: s.test,
    testLoss: 1.5,
    params: { structured, total: structured + 784 + 7850 },
    unconstrainedParams: 614656,
    wallSeconds: 10,
    backend: 'cpu',
    ...s.extra,
  };
  const dir = path.join(base, s.exp, runId);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summary));
  fs.writeFileSync(path.join(dir, 'config.yaml'), s.config ?? 'name: x\n');
}

function rowsOf(dir: string) {
  return selectRows(scanResults(dir).runs.map((r) => r.summary));
}

describe('Toeplitz-like on (Z₁, Z₋₁) and on (Z₀, Z₀): two methods', () => {
  let dir: string;
  beforeAll(() => {
    dir = path.join(root, 'ops');
    // Same experiment, class, rank, lr and seeds; only the operators differ.
    for (const seed of [0, 1]) {
      writeRun(dir, { exp: 't1', className: 'toeplitz-like', rank: 4, lr: 0.01, seed, val: 0.6, test: [0.5, 0.52][seed], extra: { operators: 'z1' } });
      writeRun(dir, { exp: 't1', className: 'toeplitz-like', rank: 4, lr: 0.01, seed, val: 0.5, test: [0.3, 0.34][seed], extra: { operators: 'z0' } });
    }
    // An older run that did not record its operators: read from its config.yaml.
    writeRun(dir, {
      exp: 't1', className: 'toeplitz-like', rank: 4, lr: 0.002, seed: 0, val: 0.1, test: 0.1,
      config: 'name: t1\ndataset:\n  name: digits-bg-rot\n  train_frac: 1\nmodel:\n  layer:\n    class: toeplitz-like\n    rank: 4\n    operators: z0\n',
    });
    writeRun(dir, { exp: 't1', className: 'ldr-sd', rank: 1, lr: 0.01, seed: 0, val: 0.7, test: 0.65 });
  });

  it('selects and reports them as separate rows, named by their operators', () => {
    const rows = rowsOf(dir);
    const toeplitz = rows.filter((r) => r.className === 'toeplitz-like');
    expect(toeplitz.map((r) => r.operators)).toEqual(['z1', 'z0']);
    expect(toeplitz[0].testAccMean).toBeCloseTo(0.51, 10);
    expect(toeplitz[1].testAccMean).toBeCloseTo(0.32, 10);
    // The older z0 run (lr 0.002) joined the z0 row, not the z1 one.
    expect(toeplitz[1].lrs.map((l) => l.lr)).toEqual([0.002, 0.01]);
    expect(toeplitz[0].lrs.map((l) => l.lr)).toEqual([0.01]);
    expect(rows.find((r) => r.className === 'ldr-sd')!.operators).toBeNull();

    const md = markdownWithSizes(rows, scanResults(dir), { comparePaper: false });
    expect(md).toContain('| Toeplitz-like (Z₁,Z₋₁) (r=4) | 51.00 ± 1.41');
    expect(md).toContain('| Toeplitz-like (Z₀) (r=4) | 32.00 ± 2.83');
    const csv = toCsv(rows, { comparePaper: false }).split('\n');
    expect(csv[0].split(',')).toContain('operators');
    const opsCol = csv[0].split(',').indexOf('operators');
    expect(csv.slice(1, -1).map((l) => l.split(',')[opsCol])).toEqual(['', 'z1', 'z0']);

    const svg = renderPlot(rows);
    expect(svg).toContain('>Toeplitz-like (Z₁,Z₋₁)</text>');
    expect(svg).toContain('>Toeplitz-like (Z₀)</text>');
  });
});

describe('the parameter plot labels each point with its rank (P1 rank figure)', () => {
  it('r=1, r=2, r=4 beside the points of each class; none for rank-free classes', () => {
    const dir = path.join(root, 'ranks');
    for (const [rank, test] of [[1, 0.6], [2, 0.62], [4, 0.64]] as const) {
      writeRun(dir, { exp: 'ranks', className: 'ldr-td', rank, lr: 0.01, seed: 0, val: test, test, structured: 2 * rank * 784 + 2 * (3 * 784 - 2) });
      writeRun(dir, { exp: 'ranks', className: 'low-rank', rank, lr: 0.01, seed: 0, val: test - 0.2, test: test - 0.2, structured: 2 * rank * 784 });
    }
    writeRun(dir, { exp: 'ranks', className: 'circulant', rank: null, lr: 0.01, seed: 0, val: 0.4, test: 0.4, structured: 784 });
    const svg = renderPlot(rowsOf(dir));
    const labels = [...svg.matchAll(/<text class="rank" x="([\d.]+)" y="([\d.]+)"[^>]*fill="([^"]+)">r=(\d)<\/text>/g)].map((m) => ({ x: +m[1], y: +m[2], color: m[3], rank: +m[4] }));
    expect(labels.map((l) => l.rank).sort()).toEqual([1, 1, 2, 2, 4, 4]);
    // Each label sits just right of and above its point.
    const circles = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)" r="3.5" fill="([^"]+)"><title>([^<]+)</g)].map((m) => ({ x: +m[1], y: +m[2], title: m[4] }));
    for (const c of circles.filter((c) => / r=\d/.test(c.title))) {
      const rank = Number(/ r=(\d)/.exec(c.title)![1]);
      expect(labels.some((l) => l.rank === rank && Math.abs(l.x - c.x - 5) < 0.11 && Math.abs(c.y - 5 - l.y) < 0.11), c.title).toBe(true);
    }
    expect(circles.filter((c) => c.title.startsWith('Circulant'))).toHaveLength(1);
  });
});

describe('sample complexity: a sweep over the training-set size', () => {
  let dir: string;
  // Two methods × three sizes × two seeds × two lrs. Numbers chosen so that the lr chosen on
  // validation differs between sizes.
  const sizes = [
    { frac: 0.02, n: 136 },
    { frac: 0.1, n: 680 },
    { frac: 1, n: 6800 },
  ];
  beforeAll(() => {
    dir = path.join(root, 'sizes');
    sizes.forEach(({ frac, n }, i) => {
      for (const seed of [0, 1]) {
        const extra = { trainFrac: frac, trainExamples: n };
        // ldr-td: lr 0.01 wins at the smallest size, lr 0.001 elsewhere.
        writeRun(dir, { exp: 'sc', className: 'ldr-td', rank: 1, lr: 0.01, seed, val: i === 0 ? 0.5 : 0.3, test: 0.3 + 0.1 * i + 0.02 * seed, extra });
        writeRun(dir, { exp: 'sc', className: 'ldr-td', rank: 1, lr: 0.001, seed, val: i === 0 ? 0.4 : 0.6, test: 0.2 + 0.1 * i + 0.04 * seed, extra });
        writeRun(dir, { exp: 'sc', className: 'unconstrained', rank: null, lr: 0.01, seed, val: 0.5, test: 0.25 + 0.12 * i, structured: 614656, extra });
      }
    });
    // Another experiment in the same tree, at one size: it keeps the Table-1 layout.
    writeRun(dir, { exp: 'other', className: 'circulant', rank: null, lr: 0.01, seed: 0, val: 0.4, test: 0.4, structured: 784 });
  });

  it('one row per method and size, the lr chosen per size on validation', () => {
    const rows = rowsOf(dir);
    const { sized, rest } = splitSizeSweeps(rows);
    expect(rest.map((r) => r.experiment)).toEqual(['other']);
    const td = sized.filter((r) => r.className === 'ldr-td');
    expect(td.map((r) => [r.trainExamples, r.lr])).toEqual([[136, 0.01], [680, 0.001], [6800, 0.001]]);
    expect(td[0].testAccMean).toBeCloseTo(0.31, 10);
    expect(td[1].testAccMean).toBeCloseTo(0.32, 10);
    expect(td[2].testAccStd).toBeCloseTo(Math.sqrt(2) * 0.02, 10);
  });

  it('prints the size table beside the usual one', () => {
    const md = markdownWithSizes(rowsOf(dir), scanResults(dir), { comparePaper: false });
    expect(md).toContain('### Sample complexity: digits-bg-rot — SHL (sc)');
    expect(md).toContain('| Method | 136 (2%) | 680 (10%) | 6,800 (100%) |');
    expect(md).toContain('| LDR-TD (r=1) | 31.00 ± 1.41 (lr 0.01, n=2) | 32.00 ± 2.83 (lr 0.001, n=2) | 42.00 ± 2.83 (lr 0.001, n=2) |');
    expect(md).toContain('| Unconstrained | 25.00 ± 0.00 (lr 0.01, n=2) | 37.00 ± 0.00 (lr 0.01, n=2) | 49.00 ± 0.00 (lr 0.01, n=2) |');
    // The other experiment keeps its Table-1 table, and no size row leaks into it.
    const table1 = md.slice(md.indexOf('### SHL: test accuracy'));
    expect(table1).toContain('| Circulant |');
    expect(table1).not.toContain('LDR-TD');
  });

  it('draws test accuracy against training examples: log x at the swept sizes, one line and band per method', () => {
    const svg = plotWithSizes(rowsOf(dir));
    expect(svg).toContain('training examples (log scale)');
    const ticks = [...svg.matchAll(/<text class="size-tick" x="([\d.]+)"[^>]*>([\d,]+)<\/text>/g)].map((m) => ({ x: +m[1], n: Number(m[2].replace(/,/g, '')) }));
    expect(ticks.map((t) => t.n)).toEqual([136, 680, 6800]);
    // log scale: x distance proportional to log(n ratio)
    const per = (ticks[1].x - ticks[0].x) / Math.log10(680 / 136);
    expect((ticks[2].x - ticks[1].x) / Math.log10(6800 / 680)).toBeCloseTo(per, 0);
    const curves = [...svg.matchAll(/<polyline class="curve" data-method="([^"]+)" points="([^"]+)"/g)].map((m) => ({ method: m[1], pts: m[2].split(' ').map((p) => p.split(',').map(Number)) }));
    expect(curves.map((c) => c.method)).toEqual(['Unconstrained', 'LDR-TD (r=1)']);
    for (const c of curves) expect(c.pts.map((p) => p[0])).toEqual(ticks.map((t) => t.x));
    // accuracy rises with size → y decreases (SVG y grows downwards)
    const td = curves[1].pts.map((p) => p[1]);
    expect(td[0]).toBeGreaterThan(td[1]);
    expect(td[1]).toBeGreaterThan(td[2]);
    expect([...svg.matchAll(/<polygon class="band"/g)]).toHaveLength(2);
    // The other experiment's parameter plot is there too, below.
    expect(svg).toContain('hidden-layer parameters (log scale)');
  });

  it('`ldr report --plot` writes the size figure for a size sweep', async () => {
    const svgFile = path.join(root, 'sizes-plot.svg');
    const mdFile = path.join(root, 'sizes.md');
    await buildProgram().parseAsync(['node', 'ldr', 'report', path.join(dir, 'sc'), '--out', mdFile, '--plot', svgFile]);
    const svg = fs.readFileSync(svgFile, 'utf8');
    expect(svg).toContain('training examples (log scale)');
    expect(svg).not.toContain('hidden-layer parameters');
    expect(fs.readFileSync(mdFile, 'utf8')).toContain('| Method | 136 (2%) | 680 (10%) | 6,800 (100%) |');
  });
});

describe('the shipped sweep files', () => {
  const points = (file: string) => buildGrid(readSweepFile(file)).points.map((p) => p.config);

  it('Table-1 sweeps run Toeplitz-like on both operator pairs', () => {
    for (const file of ['configs/sweeps/table1.yaml', 'configs/sweeps/quickstart.yaml']) {
      const ops = new Set(points(file).filter((c) => c.model.layer.class === 'toeplitz-like').map((c) => c.model.layer.operators));
      expect([...ops].sort(), file).toEqual(['z0', 'z1']);
    }
  });

  it('ranks.yaml: every LDR class and low-rank at r = 1, 2, 4; unconstrained, Fastfood, circulant once', () => {
    const cfgs = points('configs/sweeps/ranks.yaml').filter((c) => c.dataset.name === 'mnist-noise' && c.training.seed === 0 && c.optimizer.lr === 0.01);
    const methods = cfgs.map((c) => `${c.model.layer.class}${['toeplitz-like', 'hankel-like'].includes(c.model.layer.class) ? `/${c.model.layer.operators}` : ''}${['unconstrained', 'fastfood', 'circulant'].includes(c.model.layer.class) ? '' : ` r=${c.model.layer.rank}`}`);
    const want = [
      ...['ldr-td', 'ldr-sd', 'toeplitz-like/z1', 'toeplitz-like/z0', 'hankel-like/z1', 'vandermonde-like', 'low-rank'].flatMap((m) => [1, 2, 4].map((r) => `${m} r=${r}`)),
      'unconstrained', 'fastfood', 'circulant',
    ];
    expect(methods.sort()).toEqual(want.sort());
  });

  it('LSTM sweeps on PTB and WikiText-2, and the reference\'s tied WikiText-2 example (h = 128, Toeplitz-like on (Z₀, Z₀))', () => {
    for (const [file, corpus] of [['configs/paper/lstm/ptb.yaml', 'ptb'], ['configs/paper/lstm/wikitext-2.yaml', 'wikitext-2']] as const) {
      const cfgs = points(file);
      expect(new Set(cfgs.map((c) => c.dataset.name))).toEqual(new Set([corpus]));
      expect(cfgs.filter((c) => c.model.layer.class === 'toeplitz-like').map((c) => c.model.layer.operators).sort()).toEqual(['z0', 'z1']);
    }
    const tied = points('configs/paper/lstm/wikitext-2-tied.yaml');
    expect(tied.every((c) => c.model.type === 'lstm' && c.model.lstm?.tie_weights === true && c.model.lstm.hidden === 128 && c.dataset.name === 'wikitext-2')).toBe(true);
    expect(tied[0].model.layer).toMatchObject({ class: 'toeplitz-like', operators: 'z0' });
  });

  it('sample-complexity sweeps: ≥ 6 log-spaced sizes from ~2% to 100% × the five methods × seeds, one point each', () => {
    for (const [file, seeds] of [['configs/paper/sample-complexity/digits-bg-rot.yaml', 3], ['configs/paper/sample-complexity/digits-bg-rot-small.yaml', 3]] as const) {
      const cfgs = points(file);
      const fracs = [...new Set(cfgs.map((c) => c.dataset.train_frac))].sort((a, b) => a - b);
      expect(fracs.length).toBeGreaterThanOrEqual(6);
      expect(fracs[0]).toBeLessThanOrEqual(0.025);
      expect(fracs[fracs.length - 1]).toBe(1);
      const ratios = fracs.slice(1).map((f, i) => f / fracs[i]);
      for (const r of ratios) expect(r, file).toBeGreaterThanOrEqual(2);
      for (const r of ratios) expect(r, file).toBeLessThanOrEqual(2.5);
      const methods = new Set(cfgs.map((c) => `${c.model.layer.class} r=${c.model.layer.rank}`));
      expect([...methods].sort()).toEqual(['ldr-sd r=1', 'ldr-td r=1', 'low-rank r=4', 'toeplitz-like r=4', 'unconstrained r=1']);
      const lrs = new Set(cfgs.map((c) => c.optimizer.lr));
      expect(cfgs.length).toBe(fracs.length * 5 * seeds * lrs.size);
      expect(lrs.size).toBeGreaterThanOrEqual(2);
    }
  });
});
