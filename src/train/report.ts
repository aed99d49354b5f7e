// The closing summary of `ldr train`, from summary.json.
import type { RunSummary } from '../runs/types';

const pct = (x: number | null): string => (x === null ? '-' : `${(100 * x).toFixed(2)}%`);
const int = (x: number): string => x.toLocaleString('en-US');

export function formatSummary(s: RunSummary, dir: string): string {
  const lines: string[] = [];
  if (s.status === 'diverged') lines.push(`DIVERGED: ${s.message ?? 'non-finite loss'}`);
  const rank = s.rank === null ? '' : ` r=${s.rank}`;
  lines.push(`${s.status === 'diverged' ? 'run ended' : 'completed'}: ${s.experiment} — ${s.modelType} ${s.className}${rank}, lr ${s.lr}, seed ${s.seed}, on ${s.dataset}`);
  const best = s.bestEpoch === null ? 'no validation before the run ended' : `best validation ${pct(s.bestValAcc)} at epoch ${s.bestEpoch} of ${s.epochs}`;
  if (s.lm) {
    // Language model: the reported number is test perplexity (lower is better); accuracies are next-word.
    const ppl = (x: number | null): string => (x === null ? '-' : x.toFixed(2));
    const lmBest = s.bestEpoch === null ? 'no validation before the run ended' : `best validation perplexity ${ppl(s.lm.bestValPpl)} at epoch ${s.bestEpoch} of ${s.epochs}`;
    lines.push(`  test perplexity ${ppl(s.lm.testPpl)} (next-word accuracy ${pct(s.testAcc)}); ${lmBest}; ${s.lm.tokensPerSecond === null ? '-' : s.lm.tokensPerSecond.toFixed(0)} tokens/s`);
  } else lines.push(`  test accuracy  ${pct(s.testAcc)}${s.testLoss === null ? '' : ` (loss ${s.testLoss.toFixed(4)})`}; ${best}`);
  const ratio = s.params.structured > 0 ? s.unconstrainedParams / s.params.structured : NaN;
  lines.push(
    `  parameters     structured layer ${int(s.params.structured)} (${ratio > 1.05 ? `${ratio.toFixed(1)}× fewer than unconstrained` : 'unconstrained:'} ${int(s.unconstrainedParams)}); whole model ${int(s.params.total)}`,
  );
  lines.push(`  time           ${s.wallSeconds.toFixed(1)} s on ${s.backend}`);
  lines.push(`  run folder     ${dir}`);
  return lines.join('\n');
}
