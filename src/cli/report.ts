// `ldr report RESULTS_DIR`: the paper's table from finished run folders (see src/report), the
// runs one per row (--runs), figures (--plot, --curves) and one self-contained page (--html).
import type { Command } from 'commander';
import * as fs from 'fs';
import type { SpeedRow } from '../bench/speed';
import { renderCurves } from '../report/curves';
import { runsToCsv, runsToJson, runsToMarkdown, toCsv, toJson } from '../report/format';
import { renderHtml } from '../report/html';
import { scanResults } from '../report/scan';
import { markdownWithSizes, plotWithSizes } from '../report/sizeCurve';
import { duplicateSeeds, mixedVersions, selectRows } from '../report/select';
import { ldrVersion } from '../runs/env';
import { writeFileAtomic } from '../util/atomic';
import { UserError } from '../util/errors';

interface ReportCliOptions {
  format: string;
  out?: string;
  plot?: string;
  curves?: string;
  html?: string;
  bench?: string;
  runs?: boolean;
  comparePaper?: boolean;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('Table of results (P1 Table 1 layout): lr chosen by mean validation accuracy, test accuracy mean ± std over seeds (in %)')
    .argument('<results-dir>', 'folder holding run folders (e.g. results/ or results/<experiment>/)')
    .option('--format <kind>', 'md (paper-style table), csv (one tidy row per group) or json; accuracies in percent in all three', 'md')
    .option('--out <file>', 'write the report to this file instead of standard output')
    .option('--runs', 'one flattened row per run (summary, config settings, ldr version) instead of the table, e.g. for pandas')
    .option('--plot <file.svg>', 'also write an SVG of test accuracy against hidden-layer parameters (ranks labelled), and against training examples for sweeps over dataset.train_frac')
    .option('--curves <file.svg>', 'also write an SVG of learning curves (validation accuracy and loss, training loss against epoch; mean ± std over seeds)')
    .option('--html <file.html>', 'also write one self-contained HTML page: tables, figures, learning curves and every run')
    .option('--bench <file.jsonl>', 'with --html: output of `ldr bench speed --json`, shown as the speed figure')
    .option('--compare-paper', "add the paper's numbers (docs/method.md) and the difference")
    .action((dir: string, opts: ReportCliOptions) => {
      if (!['md', 'csv', 'json'].includes(opts.format)) throw new UserError(`--format: expected md, csv or json, got "${opts.format}"`);
      if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UserError(`${dir}: no such results folder`);
      if (opts.bench && !opts.html) throw new UserError('--bench: only used with --html');
      const speed = opts.bench ? { rows: readSpeedRows(opts.bench), source: opts.bench } : undefined;
      const scan = scanResults(dir);
      const warnings = scan.skipped.map((s) => `skipped ${s.dir}: ${s.reason}`);
      warnings.push(...duplicateSeeds(scan.runs));
      const rows = selectRows(scan.runs);
      warnings.push(...mixedVersions(rows));
      const older = [...new Set(scan.runs.map((r) => r.ldrVersion).filter((v): v is string => !!v && v !== ldrVersion()))];
      if (older.length) {
        const n = scan.runs.filter((r) => r.ldrVersion && r.ldrVersion !== ldrVersion()).length;
        warnings.push(`${n} of ${scan.runs.length} runs were made by ldr ${older.join(', ')}, not this ldr ${ldrVersion()} (\`ldr sweep --force\` retrains them)`);
      }
      for (const w of warnings) process.stderr.write(`ldr report: warning: ${w}\n`);
      const o = { comparePaper: opts.comparePaper ?? false };
      const text = opts.runs
        ? opts.format === 'csv' ? runsToCsv(scan) : opts.format === 'json' ? runsToJson(scan) : runsToMarkdown(scan)
        : opts.format === 'csv' ? toCsv(rows, o) : opts.format === 'json' ? toJson(rows, scan, o) : markdownWithSizes(rows, scan, o);
      if (opts.out) writeFileAtomic(opts.out, text);
      else process.stdout.write(text);
      if (opts.plot) writeFileAtomic(opts.plot, plotWithSizes(rows));
      if (opts.curves) writeFileAtomic(opts.curves, renderCurves(rows));
      if (opts.html) {
        const page = renderHtml({
          title: `ldr report — ${dir}`,
          rows,
          scan,
          opts: o,
          warnings,
          speed,
          ldrVersion: ldrVersion(),
          generatedAt: new Date().toISOString(),
        });
        writeFileAtomic(opts.html, page);
      }
      if (opts.format !== 'md') {
        process.stderr.write(`ldr report: ${scan.runs.length} finished runs, ${scan.unfinished.length} unfinished ignored, ${scan.skipped.length} skipped\n`);
      }
    });
}

/** `ldr bench speed --json` output: one JSON object per line (other lines are a user error, with the line number). */
function readSpeedRows(file: string): SpeedRow[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`--bench ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const rows: SpeedRow[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw new UserError(`--bench ${file}:${i + 1}: expected one JSON object per line (ldr bench speed --json), got "${line.slice(0, 60)}"`);
    }
    const r = row as Partial<SpeedRow>;
    if (typeof r.className !== 'string' || typeof r.n !== 'number' || !('speedup' in r)) {
      throw new UserError(`--bench ${file}:${i + 1}: expected fields className, n and speedup (ldr bench speed --json)`);
    }
    rows.push(r as SpeedRow);
  });
  return rows;
}
