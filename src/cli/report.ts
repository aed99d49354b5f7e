// `ldr report RESULTS_DIR`: the paper's table from finished run folders (see src/report).
import type { Command } from 'commander';
import * as fs from 'fs';
import { toCsv, toJson, toMarkdown } from '../report/format';
import { renderPlot } from '../report/plot';
import { scanResults } from '../report/scan';
import { duplicateSeeds, selectRows } from '../report/select';
import { writeFileAtomic } from '../util/atomic';
import { UserError } from '../util/errors';

interface ReportCliOptions {
  format: string;
  out?: string;
  plot?: string;
  comparePaper?: boolean;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('Table of results (P1 Table 1 layout): lr chosen by mean validation accuracy, test accuracy mean ± std over seeds')
    .argument('<results-dir>', 'folder holding run folders (e.g. results/ or results/<experiment>/)')
    .option('--format <kind>', 'md (paper-style table), csv (one tidy row per dataset × method) or json', 'md')
    .option('--out <file>', 'write the report to this file instead of standard output')
    .option('--plot <file.svg>', 'also write an SVG of test accuracy against hidden-layer parameters')
    .option('--compare-paper', "add the paper's numbers (docs/method.md §6) and the difference")
    .action((dir: string, opts: ReportCliOptions) => {
      if (!['md', 'csv', 'json'].includes(opts.format)) throw new UserError(`--format: expected md, csv or json, got "${opts.format}"`);
      if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UserError(`${dir}: no such results folder`);
      const scan = scanResults(dir);
      for (const s of scan.skipped) process.stderr.write(`ldr report: warning: skipped ${s.dir}: ${s.reason}\n`);
      const summaries = scan.runs.map((r) => r.summary);
      for (const w of duplicateSeeds(summaries)) process.stderr.write(`ldr report: warning: ${w}\n`);
      const rows = selectRows(summaries);
      const o = { comparePaper: opts.comparePaper ?? false };
      const text = opts.format === 'csv' ? toCsv(rows, o) : opts.format === 'json' ? toJson(rows, scan, o) : toMarkdown(rows, scan, o);
      if (opts.out) writeFileAtomic(opts.out, text);
      else process.stdout.write(text);
      if (opts.plot) writeFileAtomic(opts.plot, renderPlot(rows));
      if (opts.format !== 'md') {
        process.stderr.write(`ldr report: ${scan.runs.length} finished runs, ${scan.unfinished.length} unfinished ignored, ${scan.skipped.length} skipped\n`);
      }
    });
}
