// Sample complexity (P1's third claim): when a sweep varies the training-set size
// (`dataset.train_frac`), `ldr report` draws test accuracy against the number of training
// examples (log x, one line per method, band = mean ± sample std over seeds) and prints the
// table beside it: methods down, sizes across, the lr chosen per (method, size) on validation.
// Rows of the other experiments keep the Table-1 layout (format.ts) and the parameter plot (plot.ts).
import { footer, toMarkdown, type ReportOptions } from './format';
import { datasetOrder, methodLabel, methodKey } from './methods';
import { colorOf, renderPlot, seriesOf } from './plot';
import type { ScanResult } from './scan';
import type { Row } from './select';

const PANEL_W = 460;
const PANEL_H = 320;
const M = { left: 56, right: 16, top: 34, bottom: 48 };
const LEGEND_W = 230;

/** experiment, dataset and model: one table and one panel each. */
function panelKey(r: Row): string {
  return `${r.experiment}\u0000${r.dataset}\u0000${r.model}`;
}

/** Rows of the experiments whose runs vary the training-set size, and the others. */
export function splitSizeSweeps(rows: Row[]): { sized: Row[]; rest: Row[] } {
  const fracs = new Map<string, Set<number>>();
  for (const r of rows) fracs.set(panelKey(r), (fracs.get(panelKey(r)) ?? new Set()).add(r.trainFrac));
  const isSized = (r: Row) => fracs.get(panelKey(r))!.size > 1;
  return { sized: rows.filter(isSized), rest: rows.filter((r) => !isSized(r)) };
}

/** Training examples of a row: as recorded by the runs, else (older runs) the fraction itself. */
function sizeOf(r: Row): number {
  return r.trainExamples ?? r.trainFrac;
}

function sizeLabel(r: Row): string {
  const pct = `${Math.round(r.trainFrac * 1000) / 10}%`;
  return r.trainExamples === null ? pct : `${r.trainExamples.toLocaleString('en-US')} (${pct})`;
}

function groups(rows: Row[]): Row[][] {
  const m = new Map<string, Row[]>();
  for (const r of rows) m.set(panelKey(r), [...(m.get(panelKey(r)) ?? []), r]);
  return [...m.values()].sort(
    (a, b) => a[0].model.localeCompare(b[0].model) || datasetOrder(a[0].dataset) - datasetOrder(b[0].dataset) || a[0].experiment.localeCompare(b[0].experiment),
  );
}

const pct = (x: number) => (100 * x).toFixed(2);

function cell(r: Row | undefined): string {
  if (!r) return '';
  if (r.lm) return r.lm.testPplMean === null ? 'diverged' : `ppl ${r.lm.testPplMean.toFixed(2)}${r.lm.testPplStd === null ? '' : ` ± ${r.lm.testPplStd.toFixed(2)}`} (lr ${r.lr}, n=${r.seeds})`;
  if (r.testAccMean === null) return 'diverged';
  return `${pct(r.testAccMean)}${r.testAccStd === null ? '' : ` ± ${pct(r.testAccStd)}`} (lr ${r.lr}, n=${r.seeds})`;
}

/** The size tables: one per experiment × dataset × model, methods down, training-set sizes across. */
export function sizeMarkdown(rows: Row[]): string {
  const parts: string[] = [];
  for (const g of groups(rows)) {
    const sizes = [...new Map(g.map((r) => [r.trainFrac, r])).values()].sort((a, b) => a.trainFrac - b.trainFrac);
    const methods = [...new Map(g.map((r) => [methodLabel(r.className, r.rank, r.operators), r])).entries()];
    const header = ['Method', ...sizes.map(sizeLabel)];
    const body = methods.map(([label, m]) => [
      label,
      ...sizes.map((s) => cell(g.find((r) => r.trainFrac === s.trainFrac && r.className === m.className && r.rank === m.rank && r.operators === m.operators))),
    ]);
    const what = g.some((r) => r.lm) ? 'test perplexity' : 'test accuracy % (mean ± sample std over n seeds)';
    const table = [header, header.map(() => '---'), ...body].map((cells) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`).join('\n');
    parts.push(
      `### Sample complexity: ${g[0].dataset} — ${g[0].model.toUpperCase()} (${g[0].experiment}): ${what} against the number of training examples\n\n${table}\n\n` +
        '_Columns: training examples used (after the validation hold-out), and the fraction `dataset.train_frac`; the lr is chosen per method and size by mean best-validation accuracy over the seeds._',
    );
  }
  return parts.join('\n\n');
}

/** `ldr report --format md`: the size tables first, then the usual tables of the other rows. */
export function markdownWithSizes(rows: Row[], scan: ScanResult, opts: ReportOptions): string {
  const { sized, rest } = splitSizeSweeps(rows);
  if (!sized.length) return toMarkdown(rows, scan, opts);
  const tail = rest.length ? toMarkdown(rest, scan, opts) : footer(scan) + '\n';
  return `${sizeMarkdown(sized)}\n\n${tail}`;
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
const f = (x: number) => (Math.round(x * 10) / 10).toString();

/** Test accuracy against training examples (log x): one panel per experiment × dataset × model. */
export function renderSizePlot(rows: Row[]): string {
  const gs = groups(rows.filter((r) => !r.lm && r.testAccMean !== null));
  const series = seriesOf(gs.flat()).flatMap((s) => {
    // A series is a class, operator pair and rank (a rank sweep crossed with sizes gives one line per rank).
    const ranks = [...new Set(gs.flat().filter((r) => methodKey(r.className, r.operators) === s.key).map((r) => r.rank))].sort((a, b) => (a ?? 0) - (b ?? 0));
    return ranks.map((rank) => ({ ...s, rank, label: methodLabel(s.name, rank, s.operators) }));
  });
  const width = Math.max(1, gs.length) * PANEL_W + LEGEND_W;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${PANEL_H}" viewBox="0 0 ${width} ${PANEL_H}" font-family="sans-serif" font-size="11">`,
    `<rect x="0" y="0" width="${width}" height="${PANEL_H}" fill="white"/>`,
  ];
  gs.forEach((g, i) => out.push(renderPanel(g, i * PANEL_W, series)));
  if (!gs.length) out.push(`<text x="20" y="40">no finished runs to plot</text>`);
  series.forEach((s, i) => {
    const x = gs.length * PANEL_W + 10;
    const y = M.top + 8 + i * 18;
    // Shades of the class colour tell a class's ranks apart.
    const c = shade(colorOf(s.key), series.filter((t) => t.key === s.key).indexOf(s));
    out.push(`<line x1="${x}" y1="${y}" x2="${x + 22}" y2="${y}" stroke="${c}" stroke-width="2"/>`);
    out.push(`<text x="${x + 28}" y="${y + 4}">${esc(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** The k-th shade of a colour: k = 0 is the colour itself, later ones darker. */
function shade(hex: string, k: number): string {
  if (k === 0) return hex;
  const scale = Math.pow(0.7, k);
  const ch = [1, 3, 5].map((i) => Math.round(parseInt(hex.slice(i, i + 2), 16) * scale));
  return `#${ch.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

function renderPanel(g: Row[], x0: number, series: { key: string; rank: number | null; label: string }[]): string {
  const xs = g.map((r) => Math.log10(sizeOf(r)));
  const lo = (r: Row) => 100 * (r.testAccMean! - (r.testAccStd ?? 0));
  const hi = (r: Row) => 100 * (r.testAccMean! + (r.testAccStd ?? 0));
  let xMin = Math.min(...xs);
  let xMax = Math.max(...xs);
  const xPad = Math.max(0.05, (xMax - xMin) * 0.04);
  [xMin, xMax] = [xMin - xPad, xMax + xPad];
  let yMin = Math.min(...g.map(lo));
  let yMax = Math.max(...g.map(hi));
  const pad = Math.max(1, (yMax - yMin) * 0.06);
  yMin = Math.max(0, Math.floor(yMin - pad));
  yMax = Math.min(100, Math.ceil(yMax + pad));
  const plotW = PANEL_W - M.left - M.right;
  const plotH = PANEL_H - M.top - M.bottom;
  const sx = (n: number) => x0 + M.left + ((Math.log10(n) - xMin) / (xMax - xMin)) * plotW;
  const sy = (v: number) => M.top + (1 - (v - yMin) / (yMax - yMin)) * plotH;
  const o: string[] = ['<g class="size-panel">'];
  o.push(`<text x="${f(x0 + M.left + plotW / 2)}" y="18" text-anchor="middle" font-size="13">${esc(`${g[0].dataset} — ${g[0].model.toUpperCase()} (${g[0].experiment})`)}</text>`);
  o.push(`<rect x="${f(x0 + M.left)}" y="${M.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  // x ticks at the sizes the sweep ran.
  for (const n of [...new Set(g.map(sizeOf))].sort((a, b) => a - b)) {
    o.push(`<line x1="${f(sx(n))}" y1="${M.top + plotH}" x2="${f(sx(n))}" y2="${M.top + plotH + 4}" stroke="#999"/>`);
    o.push(`<text class="size-tick" x="${f(sx(n))}" y="${M.top + plotH + 16}" text-anchor="middle">${n.toLocaleString('en-US')}</text>`);
  }
  const step = yMax - yMin > 20 ? 10 : yMax - yMin > 8 ? 5 : yMax - yMin > 4 ? 2 : 1;
  for (let t = Math.ceil(yMin / step) * step; t <= yMax; t += step) {
    o.push(`<line x1="${f(x0 + M.left)}" y1="${f(sy(t))}" x2="${f(x0 + M.left + plotW)}" y2="${f(sy(t))}" stroke="#eee"/>`);
    o.push(`<text x="${f(x0 + M.left - 5)}" y="${f(sy(t) + 4)}" text-anchor="end">${t}</text>`);
  }
  const xTitle = g.every((r) => r.trainExamples !== null) ? 'training examples (log scale)' : 'fraction of the training set (log scale)';
  o.push(`<text x="${f(x0 + M.left + plotW / 2)}" y="${PANEL_H - 10}" text-anchor="middle">${xTitle}</text>`);
  o.push(`<text transform="translate(${f(x0 + 14)} ${f(M.top + plotH / 2)}) rotate(-90)" text-anchor="middle">test accuracy (%)</text>`);
  for (const s of series) {
    const pts = g.filter((r) => methodKey(r.className, r.operators) === s.key && r.rank === s.rank).sort((a, b) => sizeOf(a) - sizeOf(b));
    if (!pts.length) continue;
    const c = shade(colorOf(s.key), series.filter((t) => t.key === s.key).indexOf(s));
    const band = [...pts.map((r) => `${f(sx(sizeOf(r)))},${f(sy(hi(r)))}`), ...[...pts].reverse().map((r) => `${f(sx(sizeOf(r)))},${f(sy(lo(r)))}`)].join(' ');
    o.push(`<polygon class="band" points="${band}" fill="${c}" fill-opacity="0.15" stroke="none"/>`);
    o.push(`<polyline class="curve" data-method="${esc(s.label)}" points="${pts.map((r) => `${f(sx(sizeOf(r)))},${f(sy(100 * r.testAccMean!))}`).join(' ')}" fill="none" stroke="${c}" stroke-width="1.8"/>`);
    for (const r of pts) {
      const tip = `${s.label}, ${sizeLabel(r)} examples: ${pct(r.testAccMean!)}%${r.testAccStd === null ? '' : ` ± ${pct(r.testAccStd)}`}, lr ${r.lr}, ${r.seeds} seeds`;
      o.push(`<circle cx="${f(sx(sizeOf(r)))}" cy="${f(sy(100 * r.testAccMean!))}" r="3" fill="${c}"><title>${esc(tip)}</title></circle>`);
    }
  }
  o.push('</g>');
  return o.join('\n');
}

/** Two SVG documents one above the other, as one SVG. */
function stack(svgs: string[]): string {
  const sizes = svgs.map((s) => {
    const m = /width="(\d+(?:\.\d+)?)" height="(\d+(?:\.\d+)?)"/.exec(s)!;
    return { w: Number(m[1]), h: Number(m[2]) };
  });
  const w = Math.max(...sizes.map((s) => s.w));
  const h = sizes.reduce((a, s) => a + s.h, 0);
  let y = 0;
  const inner = svgs.map((s, i) => {
    const placed = s.replace('<svg ', `<svg x="0" y="${y}" `);
    y += sizes[i].h;
    return placed;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">\n${inner.join('')}</svg>\n`;
}

/** `ldr report --plot`: the size curves of the size sweeps, above the parameter plot of the other rows. */
export function plotWithSizes(rows: Row[]): string {
  const { sized, rest } = splitSizeSweeps(rows);
  const sizedAcc = sized.filter((r) => !r.lm);
  if (!sizedAcc.length) return renderPlot(rows);
  const restAcc = rest.filter((r) => !r.lm);
  return restAcc.length ? stack([renderSizePlot(sized), renderPlot(rest)]) : renderSizePlot(sized);
}
