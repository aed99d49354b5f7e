// `ldr report --html FILE`: the whole report as one self-contained page — inline CSS and SVG, no
// script, nothing fetched (it opens from a file, offline, and can be mailed or archived): the
// Table-1-layout tables, accuracy against parameters (rank labels), learning curves, the speed
// figure of `ldr bench speed --json` output when given, and every run with its settings.
import type { SpeedRow } from '../bench/speed';
import { renderSpeedPlot } from '../bench/speedPlot';
import { renderCurves } from './curves';
import { detailsLayout, footer, runRecords, table1Layout, type ReportOptions } from './format';
import { renderPlot } from './plot';
import { variantText, type Row } from './select';
import type { ScanResult } from './scan';

export interface HtmlInput {
  title: string;
  rows: Row[];
  scan: ScanResult;
  opts: ReportOptions;
  warnings: string[];
  /** Rows of `ldr bench speed --json`, when given. */
  speed?: { rows: SpeedRow[]; source: string };
  ldrVersion: string;
  generatedAt: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const CSS = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1500px; padding: 0 16px; color: #222; }
h1 { font-size: 1.5em; margin-bottom: 4px; }
h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.meta { color: #555; font-size: 0.9em; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
tr:nth-child(even) td { background: #fafafa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
.warn { background: #fff4e5; border-left: 4px solid #f0a020; padding: 6px 10px; margin: 4px 0; font-size: 0.9em; }
.figure { overflow-x: auto; margin: 8px 0 16px; }
.status-diverged { color: #b00020; }
nav a { margin-right: 12px; }
`;

function table(header: string[], body: string[][], attrs: string, caption?: string, numeric: Set<number> = new Set()): string {
  const head = `<tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`;
  const rows = body.map((cells) => `<tr>${cells.map((c, i) => `<td${numeric.has(i) ? ' class="num"' : ''}>${esc(c)}</td>`).join('')}</tr>`);
  return `<table ${attrs}>${caption ? `<caption>${esc(caption)}</caption>` : ''}<thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The figure's SVG without its XML-only parts, ready to sit inline in HTML. */
const inlineSvg = (svg: string) => svg.trim();

export function renderHtml(input: HtmlInput): string {
  const { rows, scan, opts } = input;
  const sections: string[] = [];
  const nav: string[] = [];
  const section = (id: string, title: string, body: string) => {
    nav.push(`<a href="#${id}">${esc(title)}</a>`);
    sections.push(`<section id="${id}"><h2>${esc(title)}</h2>${body}</section>`);
  };

  const tables = table1Layout(rows, opts)
    .map((t) => table(t.header, t.body, `class="table1" data-model="${esc(t.model)}"`, t.caption))
    .join('\n');
  section('tables', 'Results (Table 1 layout)', tables || '<p>No finished runs.</p>');

  const accuracyRows = rows.filter((r) => !r.lm);
  if (accuracyRows.length) {
    section(
      'accuracy-vs-params',
      'Test accuracy against hidden-layer parameters',
      `<p class="meta">Each class's points are its displacement ranks (labelled r=…); error bars: sample std over seeds; dashed: the unconstrained layer.</p><div class="figure">${inlineSvg(renderPlot(rows))}</div>`,
    );
  }
  if (rows.some((r) => r.runDirs.length)) {
    section('curves', 'Learning curves', `<div class="figure">${inlineSvg(renderCurves(rows))}</div>`);
  }
  if (input.speed) {
    section(
      'speed',
      'Speed of the structured products',
      `<p class="meta">From ${esc(input.speed.source)} (<code>ldr bench speed --json</code>).</p><div class="figure">${inlineSvg(renderSpeedPlot(input.speed.rows, 'speed-up over the dense product'))}</div>`,
    );
  }
  const details = detailsLayout(rows);
  section('details', 'Details per method', table(details.header, details.body, 'class="details"'));

  const records = runRecords(scan);
  // Settings of each run that differ between the runs read (seed and lr always do).
  const settingKeys = Object.keys(records[0] ?? {}).filter((k) => k.startsWith('config.'));
  const differing = settingKeys.filter((k) => new Set(records.map((r) => JSON.stringify(r[k]))).size > 1);
  const runBody = records.map((r) => [
    String(r.experiment),
    String(r.run_id),
    String(r.status),
    String(r.dataset),
    String(r.method),
    [`lr=${r.lr}`, `seed=${r.seed}`, ...differing.map((k) => `${k.slice('config.'.length)}=${r[k] ?? '(unset)'}`)].join(', '),
    String(r.epochs),
    r.best_epoch === null ? '-' : String(r.best_epoch),
    r.test_acc_pct === null ? '-' : (r.test_acc_pct as number).toFixed(2),
    `${(r.wall_seconds as number).toFixed(1)} s`,
    String(r.backend),
    String(r.ldr_version ?? 'unknown'),
    String(r.message ?? ''),
  ]);
  section(
    'runs',
    `Runs (${records.length})`,
    table(
      ['experiment', 'run id', 'status', 'dataset', 'method', 'settings (differing)', 'epochs', 'best epoch', 'test acc %', 'time', 'backend', 'ldr', 'message'],
      runBody,
      'class="runs"',
      undefined,
      new Set([6, 7, 8, 9]),
    ),
  );

  const warnings = input.warnings.map((w) => `<div class="warn">${esc(w)}</div>`).join('\n');
  const variants = rows.filter((r) => variantText(r)).length;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(input.title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${esc(input.title)}</h1>
<p class="meta">Generated ${esc(input.generatedAt)} by ldr ${esc(input.ldrVersion)} · ${scan.runs.length} finished runs · accuracies in percent${variants ? ` · ${variants} rows marked [field=value] differ from a namesake in that setting` : ''}</p>
<p class="meta">${footer(scan).replace(/_/g, '').split('  \n').map(esc).join('<br>')}</p>
${warnings}
<nav>${nav.join('')}</nav>
${sections.join('\n')}
</body>
</html>
`;
}
