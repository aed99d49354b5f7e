// The report as CSV (one tidy row per dataset × method), Markdown (P1 Table 1's layout:
// methods down, datasets across, then the details) or JSON; `--runs`: one flattened row per run.
// One convention everywhere: accuracies in percent (0–100), said by the CSV column names
// (`…_pct`), the JSON's `accuracyUnit: "percent"` and the Markdown headers.
import { stringify } from 'csv-stringify/sync';
import { datasetOrder, methodLabel, paperAccuracy } from './methods';
import { variantText, type Row } from './select';
import { groupSettings, type ScanResult, type ScannedRun } from './scan';

export const ACCURACY_UNIT = 'percent';

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
  'experiment', 'model', 'dataset', 'class', 'rank', 'settings', 'params', 'hidden_params', 'compression',
  'lr', 'seeds', 'test_acc_pct_mean', 'test_acc_pct_std', 'val_acc_pct_mean', 'diverged', 'ldr_versions',
];

/** The method with what sets it apart from namesakes: `LDR-TD (r=1) [training.epochs=3]`. */
export function rowLabel(r: Row): string {
  const v = variantText(r);
  const m = methodLabel(r.className, r.rank, r.operators);
  return v ? `${m} [${v}]` : m;
}

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
    ...(opts.comparePaper ? ['paper_test_acc_pct', 'diff_pct'] : []),
  ];
  const records = rows.map((r) => {
    const rec = [
      r.experiment, r.model, r.dataset, r.className, r.rank ?? '', variantText(r), r.params, r.hiddenParams, round(r.compression, 2),
      r.lr, r.seeds, pct(r.testAccMean, 4) ?? '', pct(r.testAccStd, 4) ?? '', pct(r.valAccMean, 4), r.diverged, r.ldrVersions.join(' '),
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
    accuracyUnit: ACCURACY_UNIT,
    rows: rows.map((r) => ({
      ...r,
      testAccMean: pct(r.testAccMean, 10),
      testAccStd: pct(r.testAccStd, 10),
      valAccMean: pct(r.valAccMean, 10),
      lrs: r.lrs.map((l) => ({ ...l, valMean: pct(l.valMean, 10) })),
      method: methodLabel(r.className, r.rank, r.operators),
      ...(opts.comparePaper ? paperOf(r) : {}),
    })),
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

/** P1 Table 1's layout, per model: methods down, datasets (and experiments) across. */
export interface Table1 {
  model: string;
  caption: string;
  header: string[];
  body: string[][];
}

export function table1Layout(rows: Row[], opts: ReportOptions): Table1[] {
  const tables: Table1[] = [];
  for (const model of [...new Set(rows.map((r) => r.model))]) {
    const mine = rows.filter((r) => r.model === model);
    // Columns: datasets (paper order); a dataset run under several experiments gets one column each.
    const columns = [...new Map(mine.map((r) => [`${r.dataset}\u0000${r.experiment}`, r])).values()]
      .sort((a, b) => datasetOrder(a.dataset) - datasetOrder(b.dataset) || a.dataset.localeCompare(b.dataset) || a.experiment.localeCompare(b.experiment))
      .map((r) => ({ dataset: r.dataset, experiment: r.experiment }));
    const shared = (d: string) => columns.filter((c) => c.dataset === d).length > 1;
    const header = ['Method', ...columns.map((c) => (shared(c.dataset) ? `${c.dataset} (${c.experiment})` : c.dataset))];
    const methods = [...new Map(mine.map((r) => [rowLabel(r), r])).keys()];
    const body = methods.map((label) => [
      label,
      ...columns.map((c) => {
        const r = mine.find((x) => x.dataset === c.dataset && x.experiment === c.experiment && rowLabel(x) === label);
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
    tables.push({ model, caption: `${model.toUpperCase()}: ${what} and parameters of the whole model`, header, body });
  }
  return tables;
}

/** The per-row details (chosen lr, validation by lr, …) as header + cells. */
export function detailsLayout(rows: Row[]): { header: string[]; body: string[][] } {
  const body = rows.map((r) => [
    r.dataset,
    r.model,
    rowLabel(r),
    int(r.params),
    int(r.hiddenParams),
    `${round(r.compression, 1)}×`,
    String(r.lr),
    resultText(r),
    String(r.seeds),
    r.lm ? `ppl ${r.lm.valPplMean.toFixed(2)}` : pct(r.valAccMean, 2)!.toFixed(2),
    String(r.diverged),
    r.ldrVersions.join(', '),
    r.lrs.map((l) => `${l.lr}: ${r.lm ? `ppl ${l.valPpl!.toFixed(2)}` : pct(l.valMean, 2)!.toFixed(2)} (${l.runs})`).join(', '),
  ]);
  return {
    header: ['dataset', 'model', 'method', 'params', 'hidden params', 'compression', 'chosen lr', 'test acc %', 'seeds', 'best val acc %', 'diverged', 'ldr', 'val acc % by lr (runs)'],
    body,
  };
}

export function toMarkdown(rows: Row[], scan: ScanResult, opts: ReportOptions): string {
  const parts = table1Layout(rows, opts).map((t) => `### ${t.caption}\n\n${mdTable(t.header, t.body)}`);
  const details = detailsLayout(rows);
  parts.push(`### Details\n\n${mdTable(details.header, details.body)}`);
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
    'Accuracies in percent. A group is every run with the same resolved config except seed and lr; [field=value] marks groups of one method that differ in other settings.',
  ];
  return lines.map((l) => `_${l}_`).join('  \n');
}


/** `--runs`: one flat record per run (summary, the settings of its config, the ldr version), for pandas. */
export function runRecords(scan: ScanResult): Record<string, unknown>[] {
  return scan.runs.map((r: ScannedRun) => {
    const s = r.summary;
    const settings = groupSettings(r);
    return {
      dir: r.dir,
      experiment: s.experiment,
      run_id: s.runId,
      status: s.status,
      message: s.message ?? '',
      dataset: s.dataset,
      model: s.modelType,
      class: s.className,
      rank: s.rank,
      method: methodLabel(s.className, s.rank),
      lr: s.lr,
      seed: s.seed,
      epochs: s.epochs,
      best_epoch: s.bestEpoch,
      best_val_acc_pct: pct(s.bestValAcc, 10),
      test_acc_pct: pct(s.testAcc, 10),
      test_loss: s.testLoss,
      ...(s.lm ? { test_ppl: s.lm.testPpl, best_val_ppl: s.lm.bestValPpl } : {}),
      params: s.params.total,
      hidden_params: s.params.structured,
      unconstrained_params: s.unconstrainedParams,
      wall_seconds: s.wallSeconds,
      backend: s.backend,
      ldr_version: r.ldrVersion,
      ...Object.fromEntries(Object.entries(settings).map(([k, v]) => [`config.${k}`, v !== null && typeof v === 'object' ? JSON.stringify(v) : v])),
    };
  });
}

export function runsToCsv(scan: ScanResult): string {
  const records = runRecords(scan);
  const columns = [...new Set(records.flatMap((r) => Object.keys(r)))];
  return stringify(
    records.map((r) => columns.map((c) => (r[c] === null || r[c] === undefined ? '' : r[c]))),
    { header: true, columns },
  );
}

export function runsToJson(scan: ScanResult): string {
  return JSON.stringify({ accuracyUnit: ACCURACY_UNIT, runs: runRecords(scan) }, null, 2) + '\n';
}

export function runsToMarkdown(scan: ScanResult): string {
  const records = runRecords(scan);
  const cols = ['experiment', 'run_id', 'status', 'dataset', 'method', 'lr', 'seed', 'epochs', 'best_epoch', 'test_acc_pct', 'wall_seconds', 'backend', 'ldr_version'];
  const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'number' ? String(round(v, 2)) : String(v));
  return `${mdTable(cols.map((c) => (c === 'test_acc_pct' ? 'test acc %' : c)), records.map((r) => cols.map((c) => cell(r[c]))))}\n\n${footer(scan)}\n`;
}
