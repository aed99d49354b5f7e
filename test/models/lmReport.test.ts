// `ldr report` on language-model runs: the lr is chosen by the lowest mean validation perplexity
// (not accuracy), the table shows test perplexity mean ± std (lower is better), CSV gains ppl
// columns only when such rows exist, and the accuracy plot leaves them out.
import { describe, expect, it } from 'vitest';
import { toCsv, toMarkdown, CSV_COLUMNS } from '../../src/report/format';
import { renderPlot } from '../../src/report/plot';
import { selectRows } from '../../src/report/select';
import type { RunSummary } from '../../src/runs/types';

function lmRun(lr: number, seed: number, valPpl: number, testPpl: number, valAcc: number): RunSummary {
  return {
    status: 'completed', experiment: 'lstm-ptb', runId: `ldr-sd_r1_lr${lr}_s${seed}_x`, dataset: 'ptb', modelType: 'lstm',
    className: 'ldr-sd', rank: 1, lr, seed, epochs: 40, bestEpoch: 30, bestValAcc: valAcc, testAcc: 0.2, testLoss: Math.log(testPpl),
    params: { structured: 1532, total: 2_700_000 }, unconstrainedParams: 262144, wallSeconds: 1, backend: 'wasm',
    lm: { testPpl, bestValPpl: valPpl, vocabSize: 10000, hidden: 128, tokensPerSecond: 1000 },
  };
}

describe('report of language-model runs', () => {
  // lr 20 has the lower validation perplexity but the lower next-word accuracy: perplexity must decide.
  const runs = [lmRun(5, 0, 160, 158, 0.25), lmRun(5, 1, 164, 162, 0.25), lmRun(20, 0, 140, 136, 0.2), lmRun(20, 1, 144, 140, 0.2)];

  it('chooses the lr by mean validation perplexity and reports test perplexity mean ± sample std', () => {
    const [row] = selectRows(runs);
    expect(row.lr).toBe(20);
    expect(row.lm!.valPplMean).toBe(142);
    expect(row.lm!.testPplMean).toBe(138);
    expect(row.lm!.testPplStd).toBeCloseTo(Math.SQRT2 * 2, 10);
    const md = toMarkdown([row], { runs: [], unfinished: [], skipped: [] }, { comparePaper: false });
    expect(md).toContain('LSTM: test perplexity (mean ± sample std over n seeds; lower is better)');
    expect(md).toContain('138.00 ± 2.83');
    expect(md).toContain('5: ppl 162.00 (2), 20: ppl 142.00 (2)');
  });

  it('CSV gains ppl columns only with language-model rows; the accuracy plot leaves them out', () => {
    const rows = selectRows(runs);
    const csv = toCsv(rows, { comparePaper: false }).split('\n');
    expect(csv[0]).toBe([...CSV_COLUMNS, 'test_ppl_mean', 'test_ppl_std', 'val_ppl_mean'].join(','));
    expect(csv[1].endsWith(',138,2.828,142')).toBe(true);
    expect(renderPlot(rows)).not.toContain('ptb');
  });
});
