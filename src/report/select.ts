// Model selection as in the paper (docs/method.md): runs are grouped by their whole resolved
// config except the seed and the lr (so runs that differ in epochs, train_frac, … are never
// pooled as seeds); in each group the learning rate with the best mean best-validation accuracy
// over seeds wins, and its test accuracy is reported as mean ± sample std over those seeds.
import type { RunSummary } from '../runs/types';
import { classOrder, datasetOrder, operatorsOf, type Operators } from './methods';
import { groupSettings, type ScannedRun } from './scan';

export interface LrScore {
  lr: number;
  /** Mean best-validation accuracy over the runs at this lr (a run that diverged before any validation counts as 0). */
  valMean: number;
  runs: number;
  /** Language-model rows: mean best-validation perplexity (a run without one counts as +∞). */
  valPpl?: number;
}

/** Language-model rows (model lstm): perplexities, lower is better; accuracies are next-word accuracies. */
export interface LmRowStats {
  testPplMean: number | null;
  testPplStd: number | null;
  valPplMean: number;
}

export interface Row {
  experiment: string;
  dataset: string;
  model: string;
  className: string;
  rank: number | null;
  /** toeplitz-like / hankel-like: the fixed operators (a method of its own); null for other classes. */
  operators: Operators | null;
  /** dataset.train_frac of the runs (1 for runs that did not record it). */
  trainFrac: number;
  /** Training examples the runs used (null when not recorded, e.g. language models). */
  trainExamples: number | null;
  /** Whole model and structured hidden layer (bias excluded), from the runs' summaries. */
  params: number;
  hiddenParams: number;
  /** Parameters of the unconstrained hidden layer / this one's. */
  compression: number;
  lr: number;
  /** Runs at the chosen lr that have a test accuracy. */
  seeds: number;
  /** Accuracies as fractions in [0, 1]. */
  testAccMean: number | null;
  /** Sample standard deviation (n − 1); null with fewer than two seeds. */
  testAccStd: number | null;
  valAccMean: number;
  /** Runs at the chosen lr that diverged. */
  diverged: number;
  /** Every lr tried, ascending. */
  lrs: LrScore[];
  /** Present for language-model runs only (their summaries carry `lm`). */
  lm?: LmRowStats;
  /**
   * Config fields (dotted paths) in which this group differs from another group with the same
   * experiment, dataset, model and method, and its values there; empty when nothing collides.
   */
  variant: Record<string, unknown>;
  /** The ldr versions that made the group's runs (env.json; "unknown" where it is missing). */
  ldrVersions: string[];
  /** Run folders of the chosen lr (for the learning curves), when read from disk. */
  runDirs: string[];
}

export function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample standard deviation (divides by n − 1); null for fewer than two values. */
export function sampleStd(xs: number[]): number | null {
  if (xs.length < 2) return null;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) * (x - m), 0) / (xs.length - 1));
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}

type Input = RunSummary | ScannedRun;
const asRun = (x: Input): ScannedRun => ('summary' in x ? x : { dir: '', summary: x, config: null, ldrVersion: null });

/** What one row of the report is: experiment, dataset, model, class, rank, operators and training-set size. */
function methodOf(r: RunSummary): unknown[] {
  return [r.experiment, r.dataset, r.modelType, r.className, r.rank, operatorsOf(r.className, r.operators), r.trainFrac ?? 1];
}

/** The table's own key of a run: experiment, dataset, model, method (class, rank, operators), training-set size. */
const methodKey = (r: RunSummary) => JSON.stringify(methodOf(r));
/** The group of a run: the method key plus every other setting (seed and lr left out). */
const groupKey = (r: ScannedRun) => JSON.stringify([methodKey(r.summary), groupSettings(r)]);

/**
 * Runs that share group, lr and seed but are different runs (different run-ids, e.g. the same
 * run copied into two results folders, or made on two backends): they get averaged together.
 */
export function duplicateSeeds(input: Input[]): string[] {
  const runs = input.map(asRun);
  const groups = groupBy(runs, (r) => JSON.stringify([groupKey(r), r.summary.lr, r.summary.seed]));
  return [...groups.values()]
    .filter((g) => g.length > 1)
    .map((rs) => rs.map((r) => r.summary))
    .map((g) => `${g.length} runs of ${g[0].experiment} share ${g[0].dataset} ${g[0].className}${g[0].rank === null ? '' : ` r=${g[0].rank}`} lr=${g[0].lr} seed=${g[0].seed} (${g.map((r) => r.runId).join(', ')}): they differ in settings the table does not show, and are averaged together`);
}

/** Groups whose runs were made by more than one ldr version (a warning each). */
export function mixedVersions(rows: Row[]): string[] {
  return rows
    .filter((r) => r.ldrVersions.length > 1)
    .map((r) => `${r.experiment} ${r.dataset} ${r.className}${r.rank === null ? '' : ` r=${r.rank}`}${variantText(r) ? ` (${variantText(r)})` : ''} mixes runs made by ldr ${r.ldrVersions.join(' and ')}`);
}

/** `training.epochs=3, dataset.train_frac=0.5`: what sets a row apart from its namesakes. */
export function variantText(r: Pick<Row, 'variant'>): string {
  return Object.entries(r.variant)
    .map(([k, v]) => `${k}=${v === undefined ? '(unset)' : typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}

export function selectRows(input: Input[]): Row[] {
  const runs = input.map(asRun);
  const groups = [...groupBy(runs, groupKey).values()];
  const rows = groups.map(selectLr);
  // Fields that tell apart groups of one method key: shown on every row (same columns everywhere).
  const byMethod = groupBy(groups.map((g, i) => ({ g, i })), ({ g }) => methodKey(g[0].summary));
  const differing = new Set<string>();
  for (const same of byMethod.values()) {
    if (same.length < 2) continue;
    const settings = same.map(({ g }) => groupSettings(g[0]));
    const fields = new Set(settings.flatMap((s) => Object.keys(s)));
    for (const f of fields) if (new Set(settings.map((s) => JSON.stringify(s[f]))).size > 1) differing.add(f);
  }
  groups.forEach((g, i) => {
    const settings = groupSettings(g[0]);
    rows[i].variant = Object.fromEntries([...differing].sort().map((f) => [f, settings[f]]));
  });
  return rows.sort(
    (a, b) =>
      a.experiment.localeCompare(b.experiment) ||
      a.model.localeCompare(b.model) ||
      datasetOrder(a.dataset) - datasetOrder(b.dataset) ||
      a.dataset.localeCompare(b.dataset) ||
      classOrder(a.className) - classOrder(b.className) ||
      a.className.localeCompare(b.className) ||
      (a.rank ?? 0) - (b.rank ?? 0) ||
      variantText(a).localeCompare(variantText(b)) ||
      Number(a.operators === 'z0') - Number(b.operators === 'z0') ||
      a.trainFrac - b.trainFrac,
  );
}

function selectLr(runs: ScannedRun[]): Row {
  const group = runs.map((r) => r.summary);
  const byLr = groupBy(runs, (r) => String(r.summary.lr));
  const isLm = group[0].lm !== undefined;
  const lrs: LrScore[] = [...byLr.values()]
    .map((rs) => rs.map((r) => r.summary))
    .map((rs) => ({
      lr: rs[0].lr,
      valMean: mean(rs.map((r) => r.bestValAcc ?? 0)),
      runs: rs.length,
      ...(isLm ? { valPpl: mean(rs.map((r) => r.lm?.bestValPpl ?? Infinity)) } : {}),
    }))
    .sort((a, b) => a.lr - b.lr);
  // Best mean validation accuracy (language models: lowest mean validation perplexity); on a tie
  // the smaller lr (the first in ascending order) wins.
  const best = isLm ? lrs.reduce((a, b) => (b.valPpl! < a.valPpl! ? b : a)) : lrs.reduce((a, b) => (b.valMean > a.valMean ? b : a));
  const chosenRuns = byLr.get(String(best.lr))!;
  const chosen = chosenRuns.map((r) => r.summary);
  const tests = chosen.map((r) => r.testAcc).filter((x): x is number => x !== null);
  const first = chosen[0];
  return {
    experiment: first.experiment,
    dataset: first.dataset,
    model: first.modelType,
    className: first.className,
    rank: first.rank,
    operators: operatorsOf(first.className, first.operators),
    trainFrac: first.trainFrac ?? 1,
    trainExamples: first.trainExamples ?? null,
    params: first.params.total,
    hiddenParams: first.params.structured,
    compression: first.params.structured > 0 ? first.unconstrainedParams / first.params.structured : NaN,
    lr: best.lr,
    seeds: tests.length,
    testAccMean: tests.length ? mean(tests) : null,
    testAccStd: sampleStd(tests),
    valAccMean: best.valMean,
    diverged: chosen.filter((r) => r.status === 'diverged').length,
    lrs,
    ...(isLm ? { lm: lmStats(chosen, best.valPpl!) } : {}),
    variant: {},
    ldrVersions: [...new Set(runs.map((r) => r.ldrVersion ?? 'unknown'))].sort(),
    runDirs: chosenRuns.map((r) => r.dir).filter(Boolean),
  };
}

function lmStats(chosen: RunSummary[], valPplMean: number): LmRowStats {
  const ppl = chosen.map((r) => r.lm?.testPpl ?? null).filter((x): x is number => x !== null);
  return { testPplMean: ppl.length ? mean(ppl) : null, testPplStd: sampleStd(ppl), valPplMean };
}
