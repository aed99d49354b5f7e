// Model selection as in the paper (docs/method.md §5): for each (experiment, dataset, model, class,
// rank), the learning rate with the best mean best-validation accuracy over seeds wins, and
// its test accuracy is reported as mean ± sample std over those seeds.
import type { RunSummary } from '../runs/types';
import { classOrder, datasetOrder } from './methods';

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

/**
 * Runs that share experiment, method, lr and seed but are different runs (different run-ids):
 * the experiment changed settings the table does not show (e.g. epochs), and they get averaged together.
 */
export function duplicateSeeds(runs: RunSummary[]): string[] {
  const groups = groupBy(runs, (r) => JSON.stringify([r.experiment, r.dataset, r.modelType, r.className, r.rank, r.lr, r.seed]));
  return [...groups.values()]
    .filter((g) => g.length > 1)
    .map((g) => `${g.length} runs of ${g[0].experiment} share ${g[0].dataset} ${g[0].className}${g[0].rank === null ? '' : ` r=${g[0].rank}`} lr=${g[0].lr} seed=${g[0].seed} (${g.map((r) => r.runId).join(', ')}): they differ in settings the table does not show, and are averaged together`);
}

export function selectRows(runs: RunSummary[]): Row[] {
  const groups = groupBy(runs, (r) => JSON.stringify([r.experiment, r.dataset, r.modelType, r.className, r.rank]));
  const rows = [...groups.values()].map(selectLr);
  return rows.sort(
    (a, b) =>
      a.experiment.localeCompare(b.experiment) ||
      a.model.localeCompare(b.model) ||
      datasetOrder(a.dataset) - datasetOrder(b.dataset) ||
      a.dataset.localeCompare(b.dataset) ||
      classOrder(a.className) - classOrder(b.className) ||
      a.className.localeCompare(b.className) ||
      (a.rank ?? 0) - (b.rank ?? 0),
  );
}

function selectLr(group: RunSummary[]): Row {
  const byLr = groupBy(group, (r) => String(r.lr));
  const isLm = group[0].lm !== undefined;
  const lrs: LrScore[] = [...byLr.values()]
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
  const chosen = byLr.get(String(best.lr))!;
  const tests = chosen.map((r) => r.testAcc).filter((x): x is number => x !== null);
  const first = chosen[0];
  return {
    experiment: first.experiment,
    dataset: first.dataset,
    model: first.modelType,
    className: first.className,
    rank: first.rank,
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
  };
}

function lmStats(chosen: RunSummary[], valPplMean: number): LmRowStats {
  const ppl = chosen.map((r) => r.lm?.testPpl ?? null).filter((x): x is number => x !== null);
  return { testPplMean: ppl.length ? mean(ppl) : null, testPplStd: sampleStd(ppl), valPplMean };
}
