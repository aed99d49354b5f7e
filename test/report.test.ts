// `ldr report` on a synthetic results tree: exact lr selection and mean ± sample std, CSV /
// Markdown / JSON output, unfinished and malformed folders, and a well-formed SVG.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/main';
import { runsToCsv, runsToJson, toCsv, toJson, toMarkdown } from '../src/report/format';
import { renderPlot } from '../src/report/plot';
import { scanResults } from '../src/report/scan';
import { duplicateSeeds, mixedVersions, sampleStd, selectRows } from '../src/report/select';
import type { RunSummary } from '../src/runs/types';

let root: string;

function run(
  exp: string,
  className: string,
  rank: number | null,
  lr: number,
  seed: number,
  val: number | null,
  test: number | null,
  extra: Partial<RunSummary> = {},
): void {
  const runId = `${className}${rank === null ? '' : `_r${rank}`}_lr${lr}_s${seed}_abcd1234`;
  const structured = { unconstrained: 614656, 'ldr-td': 1568 + 2 * (3 * 784 - 2), 'toeplitz-like': 6272, 'low-rank': 6272, circulant: 784 }[className]!;
  const summary: RunSummary = {
    status: test === null ? 'diverged' : 'completed',
    experiment: exp,
    runId,
    dataset: 'digits-noise',
    modelType: 'shl',
    className,
    rank,
    lr,
    seed,
    epochs: 3,
    bestEpoch: val === null ? null : 2,
    bestValAcc: val,
    testAcc: test,
    testLoss: test === null ? null : 1.5,
    params: { structured, total: structured + 784 + 7850 },
    unconstrainedParams: 614656,
    wallSeconds: 10,
    backend: 'cpu',
    ...extra,
  };
  const dir = path.join(root, exp, runId);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summary));
  fs.writeFileSync(path.join(dir, 'config.yaml'), 'name: x\n');
}

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-report-'));
  // unconstrained: lr 0.01 wins (mean val .81) over lr 0.1, whose diverged seed counts as 0 (mean .5933).
  [0.8, 0.82, 0.81].forEach((v, s) => run('t1', 'unconstrained', null, 0.01, s, v, [0.7, 0.72, 0.74][s]));
  run('t1', 'unconstrained', null, 0.1, 0, 0.9, 0.8);
  run('t1', 'unconstrained', null, 0.1, 1, 0.88, 0.79);
  run('t1', 'unconstrained', null, 0.1, 2, null, null, { message: 'loss became NaN at epoch 1, batch 3' });
  // ldr-td r=1: lr 0.05 wins (.76 vs .71); test 65 and 66 → 65.5 ± 0.7071.
  run('t1', 'ldr-td', 1, 0.01, 0, 0.7, 0.6);
  run('t1', 'ldr-td', 1, 0.01, 1, 0.72, 0.61);
  run('t1', 'ldr-td', 1, 0.05, 0, 0.75, 0.65);
  run('t1', 'ldr-td', 1, 0.05, 1, 0.77, 0.66);
  // low-rank r=4: a tie on validation → the smaller lr.
  run('t1', 'low-rank', 4, 0.02, 0, 0.6, 0.4);
  run('t1', 'low-rank', 4, 0.01, 0, 0.6, 0.45);
  // toeplitz-like r=4 and circulant: one seed each (no std).
  run('t1', 'toeplitz-like', 4, 0.02, 0, 0.55, 0.5);
  run('t1', 'circulant', null, 0.02, 0, 0.5, 0.42);
  // Unfinished, malformed, half-written, and sweep bookkeeping: none of them is a run.
  fs.mkdirSync(path.join(root, 't1', 'unfinished_run'), { recursive: true });
  fs.writeFileSync(path.join(root, 't1', 'unfinished_run', 'config.yaml'), 'name: t1\n');
  fs.mkdirSync(path.join(root, 't1', 'torn_run'));
  fs.writeFileSync(path.join(root, 't1', 'torn_run', 'summary.json'), '{"status": "comp');
  fs.mkdirSync(path.join(root, 't1', 'wrong_run'));
  fs.writeFileSync(path.join(root, 't1', 'wrong_run', 'summary.json'), JSON.stringify({ status: 'completed', experiment: 't1' }));
  fs.mkdirSync(path.join(root, 't1', '.sweep', 'points'), { recursive: true });
  fs.writeFileSync(path.join(root, 't1', '.sweep', 'points', 'x.yaml'), 'name: t1\n');
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('selection', () => {
  it('sample std divides by n − 1', () => {
    expect(sampleStd([70, 72, 74])).toBeCloseTo(2, 12);
    expect(sampleStd([1])).toBeNull();
  });

  it('reads finished runs, counts unfinished ones and skips malformed ones', () => {
    const scan = scanResults(root);
    expect(scan.runs).toHaveLength(14);
    expect(scan.unfinished.map((d) => path.basename(d))).toEqual(['unfinished_run']);
    expect(scan.skipped.map((s) => path.basename(s.dir)).sort()).toEqual(['torn_run', 'wrong_run']);
    expect(scan.skipped.find((s) => s.dir.endsWith('wrong_run'))!.reason).toMatch(/^summary\.json: runId: /);
  });

  it('warns about different runs with the same settings, lr and seed (e.g. one run copied twice)', () => {
    const runs = scanResults(root).runs.map((r) => r.summary);
    expect(duplicateSeeds(runs)).toEqual([]);
    const twin = { ...runs[0], runId: 'other' };
    expect(duplicateSeeds([...runs, twin])).toEqual([
      `2 runs of t1 share digits-noise ${runs[0].className}${runs[0].rank === null ? '' : ` r=${runs[0].rank}`} lr=${runs[0].lr} seed=${runs[0].seed} (${runs[0].runId}, other): they differ in settings the table does not show, and are averaged together`,
    ]);
  });

  it('never pools runs that differ in a setting as seeds: each group is its own row, labelled by what differs', () => {
    const runs = scanResults(root).runs.map((r) => r.summary);
    const base = runs.filter((r) => r.className === 'ldr-td');
    // The same method trained for 9 epochs: a different experiment, not more seeds.
    const longer = base.map((r) => ({ ...r, runId: `${r.runId}_9`, epochs: 9, testAcc: 0.9, bestValAcc: 0.95 }));
    expect(duplicateSeeds([...runs, ...longer])).toEqual([]);
    const rows = selectRows([...runs, ...longer]).filter((r) => r.className === 'ldr-td');
    expect(rows.map((r) => [r.variant, r.seeds, r.lr, +r.testAccMean!.toFixed(6)])).toEqual([
      [{ 'training.epochs': 3 }, 2, 0.05, 0.655],
      [{ 'training.epochs': 9 }, 2, 0.01, 0.9], // a tie on validation: the smaller lr
    ]);
    const md = toMarkdown(selectRows([...runs, ...longer]), scanResults(root), { comparePaper: false });
    expect(md).toContain('| LDR-TD (r=1) [training.epochs=3] | 65.50 ± 0.71 (n=2, 14,902 params) |');
    expect(md).toContain('| LDR-TD (r=1) [training.epochs=9] | 90.00 ± 0.00 (n=2, 14,902 params) |');
    // Methods without a namesake carry the differing field too (same columns on every row).
    expect(md).toContain('| Circulant [training.epochs=3] |');
  });

  it('groups by the whole resolved config (config.yaml) minus seed and lr, and warns when a group mixes ldr versions', () => {
    const scanned = scanResults(root).runs.filter((r) => r.summary.className === 'ldr-td');
    const cfg = (frac: number) => ({ name: 't1', output: 'x', backend: 'cpu', dataset: { name: 'digits-noise', path: 'p', train_frac: frac }, optimizer: { lr: 0.05, momentum: 0.9 }, training: { seed: 0, epochs: 3 } });
    const withConfig = scanned.map((r, i) => ({ ...r, config: { ...cfg(i % 2 ? 0.5 : 1), optimizer: { lr: r.summary.lr, momentum: 0.9 }, training: { seed: r.summary.seed, epochs: 3 } }, ldrVersion: i === 0 ? '0.0.9' : '0.1.0' }));
    const rows = selectRows(withConfig);
    expect(rows.map((r) => r.variant)).toEqual([{ 'dataset.train_frac': 0.5 }, { 'dataset.train_frac': 1 }]);
    // lr, seed, output, backend and dataset.path never split a group.
    const same = selectRows(scanned.map((r) => ({ ...r, config: { ...cfg(1), output: r.summary.runId, optimizer: { lr: r.summary.lr }, training: { seed: r.summary.seed, epochs: 3 } }, ldrVersion: r.summary.seed ? '0.1.0' : '0.0.9' })));
    expect(same).toHaveLength(1);
    expect(same[0].ldrVersions).toEqual(['0.0.9', '0.1.0']);
    expect(mixedVersions(same)).toEqual(['t1 digits-noise ldr-td r=1 mixes runs made by ldr 0.0.9 and 0.1.0']);
  });

  it('--runs: one flat record per run with its settings and version', () => {
    const scan = scanResults(root);
    const csv = runsToCsv(scan).split('\n');
    expect(csv[0].split(',').slice(0, 8)).toEqual(['dir', 'experiment', 'run_id', 'status', 'message', 'dataset', 'model', 'class']);
    expect(csv[0]).toContain('test_acc_pct');
    expect(csv[0]).toContain('config.training.epochs');
    expect(csv.filter(Boolean)).toHaveLength(1 + 14);
    const j = JSON.parse(runsToJson(scan));
    expect(j.accuracyUnit).toBe('percent');
    const td = j.runs.find((r: { run_id: string }) => r.run_id.startsWith('ldr-td_r1_lr0.05_s1'));
    expect(td).toMatchObject({ status: 'completed', class: 'ldr-td', rank: 1, lr: 0.05, seed: 1, test_acc_pct: 66, best_val_acc_pct: 77, 'config.training.epochs': 3, ldr_version: null });
  });

  it('chooses lr by mean best validation accuracy and reports its test accuracy', () => {
    const rows = selectRows(scanResults(root).runs.map((r) => r.summary));
    expect(rows.map((r) => [r.className, r.rank, r.lr, r.seeds])).toEqual([
      ['unconstrained', null, 0.01, 3],
      ['ldr-td', 1, 0.05, 2],
      ['toeplitz-like', 4, 0.02, 1],
      ['circulant', null, 0.02, 1],
      ['low-rank', 4, 0.01, 1],
    ]);
    const [u, td] = rows;
    expect(u.testAccMean).toBeCloseTo(0.72, 12);
    expect(u.testAccStd).toBeCloseTo(0.02, 12);
    expect(u.lrs.map((l) => [l.lr, +l.valMean.toFixed(6), l.runs])).toEqual([[0.01, 0.81, 3], [0.1, 0.593333, 3]]);
    expect(td.testAccMean).toBeCloseTo(0.655, 12);
    expect(td.testAccStd).toBeCloseTo(Math.SQRT1_2 / 100, 12);
    expect(td.compression).toBeCloseTo(614656 / 6268, 12);
  });
});

describe('output', () => {
  const rows = () => selectRows(scanResults(root).runs.map((r) => r.summary));

  it('CSV: one tidy row per dataset × method, exact', () => {
    expect(toCsv(rows(), { comparePaper: false })).toBe(
      [
        'experiment,model,dataset,class,rank,settings,params,hidden_params,compression,lr,seeds,test_acc_pct_mean,test_acc_pct_std,val_acc_pct_mean,diverged,ldr_versions',
        't1,shl,digits-noise,unconstrained,,,623290,614656,1,0.01,3,72,2,81,0,unknown',
        't1,shl,digits-noise,ldr-td,1,,14902,6268,98.06,0.05,2,65.5,0.7071,76,0,unknown',
        't1,shl,digits-noise,toeplitz-like,4,,14906,6272,98,0.02,1,50,,55,0,unknown',
        't1,shl,digits-noise,circulant,,,9418,784,784,0.02,1,42,,50,0,unknown',
        't1,shl,digits-noise,low-rank,4,,14906,6272,98,0.01,1,45,,60,0,unknown',
        '',
      ].join('\n'),
    );
  });

  it('CSV with --compare-paper: the paper column is empty where the paper has no such cell', () => {
    const csv = toCsv(rows(), { comparePaper: true }).split('\n');
    expect(csv[0].endsWith(',paper_test_acc_pct,diff_pct')).toBe(true);
    expect(csv[1].endsWith(',0,unknown,,')).toBe(true); // digits-noise is not a paper dataset
  });

  it('Markdown: paper layout (methods down, datasets across), details, footer', () => {
    const md = toMarkdown(rows(), scanResults(root), { comparePaper: false });
    const lines = md.split('\n');
    const table = lines.slice(lines.indexOf('| Method | digits-noise |'), lines.indexOf('| Method | digits-noise |') + 7);
    expect(table).toEqual([
      '| Method | digits-noise |',
      '| --- | --- |',
      '| Unconstrained | 72.00 ± 2.00 (n=3, 623,290 params) |',
      '| LDR-TD (r=1) | 65.50 ± 0.71 (n=2, 14,902 params) |',
      '| Toeplitz-like (Z₁,Z₋₁) (r=4) | 50.00 (n=1, 14,906 params) |',
      '| Circulant | 42.00 (n=1, 9,418 params) |',
      '| Low-rank (r=4) | 45.00 (n=1, 14,906 params) |',
    ]);
    expect(md).toContain('| digits-noise | shl | Unconstrained | 623,290 | 614,656 | 1× | 0.01 | 72.00 ± 2.00 | 3 | 81.00 | 0 | unknown | 0.01: 81.00 (3), 0.1: 59.33 (3) |');
    expect(md).toContain('_14 finished runs read (1 diverged); 1 unfinished ignored; 2 skipped (malformed)._');
  });

  it('Markdown --compare-paper shows the paper number and the difference on paper datasets', () => {
    const r = rows().map((x) => ({ ...x, dataset: 'mnist-noise' }));
    const md = toMarkdown(r, scanResults(root), { comparePaper: true });
    expect(md).toContain('| LDR-TD (r=1) | 65.50 ± 0.71 (n=2, 14,902 params) · paper 78.45 (-12.95) |');
    expect(md).toContain('| Toeplitz-like (Z₁,Z₋₁) (r=4) | 50.00 (n=1, 14,906 params) · paper 75.75 (-25.75) |');
  });

  it('JSON: rows in percent (as CSV and Markdown, said by accuracyUnit) and the footer counts', () => {
    const j = JSON.parse(toJson(rows(), scanResults(root), { comparePaper: false }));
    expect(j.accuracyUnit).toBe('percent');
    expect(j.rows).toHaveLength(5);
    expect(j.rows[1]).toMatchObject({ className: 'ldr-td', rank: 1, lr: 0.05, seeds: 2, method: 'LDR-TD (r=1)' });
    expect(j.rows[1].testAccMean).toBeCloseTo(65.5, 8);
    expect(j.rows[1].valAccMean).toBeCloseTo(76, 8);
    expect(j.rows[1].lrs.map((l: { valMean: number }) => l.valMean)).toEqual([71, 76]);
    expect([j.runs, j.diverged, j.unfinished.length, j.skipped.length]).toEqual([14, 1, 1, 2]);
  });

  it('SVG is well-formed and has one point per non-dense method and the dense line', () => {
    const svg = renderPlot(rows());
    checkWellFormedXml(svg);
    expect(svg.match(/<circle [^>]*><title>/g)).toHaveLength(4);
    expect(svg).toContain('stroke-dasharray="6 4"');
    expect(svg).toContain('unconstrained (614,656)');
  });

  it('SVG geometry: log-x by parameters, y by accuracy, every point inside its panel', () => {
    const base = rows()[0];
    const mk = (className: string, rank: number | null, hiddenParams: number, acc: number) => ({ ...base, className, rank, hiddenParams, testAccMean: acc, testAccStd: 0.01 });
    const svg = renderPlot([
      mk('unconstrained', null, 614656, 0.6),
      mk('toeplitz-like', 1, 1568, 0.5),
      mk('toeplitz-like', 2, 3136, 0.55),
      mk('toeplitz-like', 4, 6272, 0.58),
      mk('circulant', null, 784, 0.4),
    ]);
    checkWellFormedXml(svg);
    const frame = /<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="none"/.exec(svg)!.slice(1).map(Number);
    const circles = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)" r="3.5" fill="[^"]+"><title>([^<]+)</g)].map((m) => ({ x: +m[1], y: +m[2], title: m[3] }));
    expect(circles.map((c) => c.title.split(':')[0])).toEqual(['Toeplitz-like r=1', 'Toeplitz-like r=2', 'Toeplitz-like r=4', 'Circulant']);
    for (const c of circles) {
      expect(c.x).toBeGreaterThanOrEqual(frame[0]);
      expect(c.x).toBeLessThanOrEqual(frame[0] + frame[2]);
      expect(c.y).toBeGreaterThanOrEqual(frame[1]);
      expect(c.y).toBeLessThanOrEqual(frame[1] + frame[3]);
    }
    // Doubling the parameters moves right by the same distance on a log axis.
    const [t1, t2, t4, c] = circles;
    expect(t2.x - t1.x).toBeCloseTo(t4.x - t2.x, 0);
    expect(t1.x - c.x).toBeCloseTo(t2.x - t1.x, 0);
    expect(t1.y).toBeGreaterThan(t2.y); // higher accuracy is higher up
    expect(t2.y).toBeGreaterThan(t4.y);
    // x axis spans whole decades: 10^2 .. 10^4 for 784 .. 6272 parameters
    expect(svg).toContain('10<tspan dy="-5" font-size="8">2</tspan>');
    expect(svg).toContain('10<tspan dy="-5" font-size="8">4</tspan>');
  });

  it('the CLI writes the report and the plot atomically, and warns about skipped folders', async () => {
    const out = path.join(root, 'out', 'table.csv');
    const svg = path.join(root, 'out', 'plot.svg');
    const errors: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((s: string) => errors.push(s) > 0) as typeof process.stderr.write;
    try {
      await buildProgram().parseAsync(['node', 'ldr', 'report', path.join(root, 't1'), '--format', 'csv', '--out', out, '--plot', svg]);
    } finally {
      process.stderr.write = write;
    }
    expect(fs.readFileSync(out, 'utf8')).toBe(toCsv(rows(), { comparePaper: false }));
    checkWellFormedXml(fs.readFileSync(svg, 'utf8'));
    expect(errors.filter((e) => e.includes('warning: skipped'))).toHaveLength(2);
    expect(fs.readdirSync(path.join(root, 'out')).sort()).toEqual(['plot.svg', 'table.csv']); // no temp files left
  });
});

/** A strict little XML checker: balanced tags, quoted attributes, no stray & or <. */
function checkWellFormedXml(xml: string): void {
  const stack: string[] = [];
  const re = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<&]*")*)\s*(\/?)>|([^<]+)|(<)/g;
  let m: RegExpExecArray | null;
  let pos = 0;
  let roots = 0;
  while ((m = re.exec(xml))) {
    if (m.index !== pos) throw new Error(`unparsed XML at ${pos}: ${xml.slice(pos, pos + 40)}`);
    pos = re.lastIndex;
    const [, close, name, , selfClose, text, stray] = m;
    if (stray) throw new Error(`malformed tag at ${m.index}: ${xml.slice(m.index, m.index + 60)}`);
    if (text !== undefined) {
      if (/&(?!amp;|lt;|gt;|quot;|apos;)/.test(text)) throw new Error(`unescaped & in ${text}`);
      if (!stack.length && text.trim()) throw new Error(`text outside the root: ${text}`);
      continue;
    }
    if (close) {
      if (stack.pop() !== name) throw new Error(`</${name}> does not close the open tag`);
    } else if (!selfClose) {
      if (!stack.length) roots++;
      stack.push(name);
    }
  }
  if (pos !== xml.length) throw new Error('trailing garbage');
  expect(stack).toEqual([]);
  expect(roots).toBe(1);
}
