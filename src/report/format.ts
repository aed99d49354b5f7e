// The report as CSV (one tidy row per dataset × method), Markdown (P1 Table 1's layout:
// methods down, datasets across, then the details) or JSON. Accuracies are shown in %.
import { stringify } from 'csv-stringify/sync';
import { datasetOrder, methodLabel, paperAccuracy } from './methods';
import type { Row } from './select';
import type { ScanResult } from './scan';

export interface ReportOptions {
  comparePaper: boolean;
}

const pct = (x: number | null, digits: number) => (x === null ? null : round(100 * x, digits));
function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
const int = (x: number) => x.toLocaleString('en-US');

function paperOf(r: Row): { paper: number | null; diff: number | null } {
  const paper = paperAccuracy(r.model, r.dataset, r.className, r.rank);
  const ours = pct(r.testAccMean, 4);
  return { paper, diff: paper === null || ours === null ? null : round(ours - paper, 2) };
}

export const CSV_COLUMNS = [
  'experiment', 'model', 'dataset', 'class', 'rank', 'params', 'hidden_params', 'compression',
  'lr', 'seeds', 'test_acc_mean', 'test_acc_std', 'val_acc_mean', 'diverged',
];

/** Added when language-model rows are present (empty for the classifiers' rows). */
export const CSV_LM_COLUMNS = ['test_ppl_mean', 'test_ppl_std', 'val_ppl_mean'];

/** Added when some Toeplitz-like / Hankel-like row is on (Z₀, Z₀), and when the training-set size varies. */
export const CSV_OPERATOR_COLUMNS = ['operators'];
export const CSV_SIZE_COLUMNS = ['train_frac', 'train_examples'];

export function toCsv(rows: Row[], opts: ReportOptions): string {
  const anyLm = rows.some((r) => r.lm);
  const anyOps = rows.some((r) => r.operators === 'z0');
  const anySize = rows.some((r) => r.trainFrac !== 1);
  const columns = [
    ...CSV_COLUMNS,
    ...(anyOps ? CSV_OPERATOR_COLUMNS : []),
    ...(anySize ? CSV_SIZE_COLUMNS : []),
    ...(anyLm ? CSV_LM_COLUMNS : []),
    ...(opts.comparePaper ? ['paper_test_acc', 'diff'] : []),
  ];
  const records = rows.map((r) => {
    const rec = [
      r.experiment, r.model, r.dataset, r.className, r.rank ?? '', r.params, r.hiddenParams, round(r.compression, 2),
      r.lr, r.seeds, pct(r.testAccMean, 4) ?? '', pct(r.testAccStd, 4) ?? '', pct(r.valAccMean, 4), r.diverged,
    ];
    if (anyOps) rec.push(r.operators ?? '');
    if (anySize) rec.push(r.trainFrac, r.trainExamples ?? '');
    if (anyLm) rec.push(...(r.lm ? [num(r.lm.testPplMean), num(r.lm.testPplStd), num(r.lm.valPplMean)] : ['', '', '']));
    if (opts.comparePaper) {
      const { paper, diff } = paperOf(r);
      rec.push(paper ?? '', diff ?? '');
    }
    return rec;
  });
  return stringify(records, { header: true, columns });
}

export function toJson(rows: Row[], scan: ScanResult, opts: ReportOptions): string {
  const out = {
    accuracyUnit: 'fraction',
    rows: rows.map((r) => ({ ...r, method: methodLabel(r.className, r.rank, r.operators), ...(opts.comparePaper ? paperOf(r) : {}) })),
    runs: scan.runs.length,
    diverged: scan.runs.filter((r) => r.summary.status === 'diverged').length,
    unfinished: scan.unfinished,
    skipped: scan.skipped,
  };
  return JSON.stringify(out, null, 2) + '\n';
}

const num = (x: number | null): number | string => (x === null || !Number.isFinite(x) ? '' : round(x, 3));

/** Language-model rows: test perplexity mean ± std (lower is better). */
function pplText(r: Row): string {
  const m = r.lm?.testPplMean ?? null;
  if (m === null) return 'diverged';
  const s = r.lm?.testPplStd ?? null;
  return s === null ? m.toFixed(2) : `${m.toFixed(2)} ± ${s.toFixed(2)}`;
}

/** The reported number of a row: test accuracy %, or perplexity for language-model rows. */
function resultText(r: Row): string {
  return r.lm ? `ppl ${pplText(r)}` : accText(r);
}

function accText(r: Row): string {
  const m = pct(r.testAccMean, 2);
  if (m === null) return 'diverged';
  const s = pct(r.testAccStd, 2);
  return s === null ? m.toFixed(2) : `${m.toFixed(2)} ± ${s.toFixed(2)}`;
}

function mdTable(header: string[], body: string[][]): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  return [header, header.map(() => '---'), ...body].map((cells) => `| ${cells.map(esc).join(' | ')} |`).join('\n');
}

export function toMarkdown(rows: Row[], scan: ScanResult, opts: ReportOptions): string {
  const parts: string[] = [];
  for (const model of [...new Set(rows.map((r) => r.model))]) {
    const mine = rows.filter((r) => r.model === model);
    // Columns: datasets (paper order); a dataset run under several experiments gets one column each.
    const columns = [...new Map(mine.map((r) => [`${r.dataset}\u0000${r.experiment}`, r])).values()]
      .sort((a, b) => datasetOrder(a.dataset) - datasetOrder(b.dataset) || a.dataset.localeCompare(b.dataset) || a.experiment.localeCompare(b.experiment))
      .map((r) => ({ dataset: r.dataset, experiment: r.experiment }));
    const shared = (d: string) => columns.filter((c) => c.dataset === d).length > 1;
    const header = ['Method', ...columns.map((c) => (shared(c.dataset) ? `${c.dataset} (${c.experiment})` : c.dataset))];
    const methods = [...new Map(mine.map((r) => [methodLabel(r.className, r.rank, r.operators), r])).entries()];
    const body = methods.map(([label, m]) => [
      label,
      ...columns.map((c) => {
        const r = mine.find((x) => x.dataset === c.dataset && x.experiment === c.experiment && x.className === m.className && x.rank === m.rank && x.operators === m.operators);
        if (!r) return '';
        let cell = `${r.lm ? pplText(r) : accText(r)} (n=${r.seeds}, ${int(r.params)} params)`;
        if (opts.comparePaper) {
          const { paper, diff } = paperOf(r);
          if (paper !== null) cell += ` · paper ${paper.toFixed(2)} (${diff! >= 0 ? '+' : ''}${diff!.toFixed(2)})`;
        }
        return cell;
      }),
    ]);
    const what = mine.some((r) => r.lm) ? 'test perplexity (mean ± sample std over n seeds; lower is better)' : 'test accuracy % (mean ± sample std over n seeds)';
    parts.push(`### ${model.toUpperCase()}: ${what} and parameters of the whole model\n\n${mdTable(header, body)}`);
  }
  const details = rows.map((r) => [
    r.dataset,
    r.model,
    methodLabel(r.className, r.rank, r.operators),
    int(r.params),
    int(r.hiddenParams),
    `${round(r.compression, 1)}×`,
    String(r.lr),
    resultText(r),
    String(r.seeds),
    r.lm ? `ppl ${r.lm.valPplMean.toFixed(2)}` : pct(r.valAccMean, 2)!.toFixed(2),
    String(r.diverged),
    r.lrs.map((l) => `${l.lr}: ${r.lm ? `ppl ${l.valPpl!.toFixed(2)}` : pct(l.valMean, 2)!.toFixed(2)} (${l.runs})`).join(', '),
  ]);
  parts.push(
    `### Details\n\n${mdTable(
      ['dataset', 'model', 'method', 'params', 'hidden params', 'compression', 'chosen lr', 'test acc %', 'seeds', 'best val acc %', 'diverged', 'val acc % by lr (runs)'],
      details,
    )}`,
  );
  if (rows.some((r) => r.lm)) {
    parts.push('_Language-model rows (ppl): lr chosen by mean best-validation perplexity over seeds; test perplexity of the best-validation checkpoint; lower is better._');
  }
  parts.push(footer(scan));
  return parts.join('\n\n') + '\n';
}

export function footer(scan: ScanResult): string {
  const diverged = scan.runs.filter((r) => r.summary.status === 'diverged').length;
  const lines = [
    `${scan.runs.length} finished runs read (${diverged} diverged); ${scan.unfinished.length} unfinished ignored; ${scan.skipped.length} skipped (malformed).`,
    'lr chosen per method by mean best-validation accuracy over seeds; test accuracy of the best-validation checkpoint.',
  ];
  return lines.map((l) => `_${l}_`).join('  \n');
}

