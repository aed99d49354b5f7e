// `ldr report --plot`: test accuracy against hidden-layer parameters (log x), one panel per
// dataset, one series per class (its ranks as points labelled r=…, error bars = sample std over
// seeds; the two Toeplitz-like operator pairs are two series), the unconstrained layer as a
// dashed horizontal line — P1's accuracy-vs-compression figure.
// Hand-written SVG: no plotting dependency, renders in any browser.
import { className, classOrder, datasetOrder, methodKey, type Operators } from './methods';
import { variantText, type Row } from './select';

const PANEL_W = 420;
const PANEL_H = 300;
const M = { left: 56, right: 14, top: 34, bottom: 46 };
const LEGEND_W = 190;
const COLORS: Record<string, string> = {
  'ldr-td': '#d62728',
  'ldr-td-corner': '#ff9896',
  'ldr-sd': '#1f77b4',
  'ldr-sd-corner': '#aec7e8',
  'toeplitz-like': '#2ca02c',
  'toeplitz-like@z0': '#98df8a',
  'hankel-like@z0': '#c5b0d5',
  'hankel-like': '#9467bd',
  'vandermonde-like': '#8c564b',
  fastfood: '#e377c2',
  circulant: '#bcbd22',
  'low-rank': '#17becf',
};
const DENSE_COLOR = '#333333';

export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
const f = (x: number) => (Math.round(x * 10) / 10).toString();

interface Panel {
  title: string;
  rows: Row[];
}

function panels(all: Row[]): Panel[] {
  const rows = all.filter((r) => !r.lm); // an accuracy plot: language-model rows (perplexity) are not on it
  const keys = [...new Map(rows.map((r) => [`${r.model}\u0000${r.dataset}\u0000${r.experiment}`, r])).values()].sort(
    (a, b) => a.model.localeCompare(b.model) || datasetOrder(a.dataset) - datasetOrder(b.dataset) || a.dataset.localeCompare(b.dataset) || a.experiment.localeCompare(b.experiment),
  );
  return keys.map((k) => ({
    title: `${k.dataset} — ${k.model.toUpperCase()} (${k.experiment})`,
    rows: rows.filter((r) => r.model === k.model && r.dataset === k.dataset && r.experiment === k.experiment && r.testAccMean !== null),
  }));
}

/** Round-number ticks covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  // The round step (1, 2 or 5 × 10^k) giving closest to `count` intervals.
  const step = [1, 2, 5, 10].map((s) => s * mag).reduce((a, b) => (Math.abs((hi - lo) / b - count) < Math.abs((hi - lo) / a - count) ? b : a));
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Math.round(v / step) * step);
  return out;
}

/** Colour of a method key (methodKey): class, or class@z0. */
export function colorOf(key: string): string {
  return COLORS[key] ?? '#7f7f7f';
}

/** The series of a plot: one per class and operator pair, in Table 1's order (z1 before z0). */
export interface Series {
  key: string;
  name: string;
  operators: Operators | null;
}

export function seriesOf(rows: Row[]): Series[] {
  const m = new Map(rows.map((r) => [methodKey(r.className, r.operators), { key: methodKey(r.className, r.operators), name: r.className, operators: r.operators }]));
  return [...m.values()].sort((a, b) => classOrder(a.name) - classOrder(b.name) || a.name.localeCompare(b.name) || Number(a.operators === 'z0') - Number(b.operators === 'z0'));
}

export function renderPlot(rows: Row[]): string {
  const ps = panels(rows).filter((p) => p.rows.length);
  const classes = seriesOf(ps.flatMap((p) => p.rows));
  const width = Math.max(1, ps.length) * PANEL_W + LEGEND_W;
  const height = PANEL_H;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>`,
  ];
  ps.forEach((p, i) => out.push(renderPanel(p, i * PANEL_W)));
  out.push(renderLegend(classes, ps.length * PANEL_W + 10));
  if (!ps.length) out.push(`<text x="20" y="40">no finished runs to plot</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function renderPanel(p: Panel, x0: number): string {
  const dense = p.rows.filter((r) => r.className === 'unconstrained');
  const points = p.rows.filter((r) => r.className !== 'unconstrained' && r.hiddenParams > 0);
  const xs = points.map((r) => Math.log10(r.hiddenParams));
  const lo = (r: Row) => 100 * (r.testAccMean! - (r.testAccStd ?? 0));
  const hi = (r: Row) => 100 * (r.testAccMean! + (r.testAccStd ?? 0));
  const ys = [...p.rows.map(lo), ...p.rows.map(hi)];
  let xMin = xs.length ? Math.floor(Math.min(...xs)) : 2;
  let xMax = xs.length ? Math.ceil(Math.max(...xs)) : 4;
  if (xMax === xMin) xMax = xMin + 1;
  let yMin = Math.min(...ys);
  let yMax = Math.max(...ys);
  const pad = Math.max(1, (yMax - yMin) * 0.08);
  yMin = Math.max(0, yMin - pad);
  yMax = Math.min(100, yMax + pad);
  if (yMax <= yMin) [yMin, yMax] = [Math.max(0, yMin - 1), Math.min(100, yMax + 1)];
  const plotW = PANEL_W - M.left - M.right;
  const plotH = PANEL_H - M.top - M.bottom;
  const sx = (v: number) => x0 + M.left + ((v - xMin) / (xMax - xMin)) * plotW;
  const sy = (v: number) => M.top + (1 - (v - yMin) / (yMax - yMin)) * plotH;
  const o: string[] = [`<g>`];
  o.push(`<text x="${f(x0 + M.left + plotW / 2)}" y="18" text-anchor="middle" font-size="13">${esc(p.title)}</text>`);
  o.push(`<rect x="${f(x0 + M.left)}" y="${M.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  for (let e = xMin; e <= xMax; e++) {
    o.push(`<line x1="${f(sx(e))}" y1="${M.top + plotH}" x2="${f(sx(e))}" y2="${M.top + plotH + 4}" stroke="#999"/>`);
    o.push(`<text x="${f(sx(e))}" y="${M.top + plotH + 16}" text-anchor="middle">10<tspan dy="-5" font-size="8">${e}</tspan></text>`);
  }
  for (const t of ticks(yMin, yMax)) {
    o.push(`<line x1="${f(x0 + M.left)}" y1="${f(sy(t))}" x2="${f(x0 + M.left + plotW)}" y2="${f(sy(t))}" stroke="#eee"/>`);
    o.push(`<text x="${f(x0 + M.left - 5)}" y="${f(sy(t) + 4)}" text-anchor="end">${t}</text>`);
  }
  o.push(`<text x="${f(x0 + M.left + plotW / 2)}" y="${PANEL_H - 8}" text-anchor="middle">hidden-layer parameters (log scale)</text>`);
  o.push(`<text transform="translate(${f(x0 + 14)} ${f(M.top + plotH / 2)}) rotate(-90)" text-anchor="middle">test accuracy (%)</text>`);
  for (const d of dense) {
    const y = sy(100 * d.testAccMean!);
    o.push(`<line x1="${f(x0 + M.left)}" y1="${f(y)}" x2="${f(x0 + M.left + plotW)}" y2="${f(y)}" stroke="${DENSE_COLOR}" stroke-dasharray="6 4"/>`);
    o.push(`<text x="${f(x0 + M.left + plotW - 4)}" y="${f(y - 4)}" text-anchor="end" fill="${DENSE_COLOR}">unconstrained (${d.hiddenParams.toLocaleString('en-US')})</text>`);
  }
  // One line per class (its ranks); groups of a class that differ in other settings get their own line.
  const byClass = new Map<string, Row[]>();
  for (const r of points) {
    const k = `${methodKey(r.className, r.operators)}\u0000${variantText(r)}`;
    byClass.set(k, [...(byClass.get(k) ?? []), r]);
  }
  for (const rs of byClass.values()) {
    const c = colorOf(methodKey(rs[0].className, rs[0].operators));
    const sorted = [...rs].sort((a, b) => a.hiddenParams - b.hiddenParams);
    if (sorted.length > 1) {
      const pts = sorted.map((r) => `${f(sx(Math.log10(r.hiddenParams)))},${f(sy(100 * r.testAccMean!))}`).join(' ');
      o.push(`<polyline points="${pts}" fill="none" stroke="${c}" stroke-width="1.5"/>`);
    }
    for (const r of sorted) {
      const x = sx(Math.log10(r.hiddenParams));
      if (r.testAccStd !== null) {
        o.push(`<line x1="${f(x)}" y1="${f(sy(lo(r)))}" x2="${f(x)}" y2="${f(sy(hi(r)))}" stroke="${c}"/>`);
        for (const v of [lo(r), hi(r)]) o.push(`<line x1="${f(x - 3)}" y1="${f(sy(v))}" x2="${f(x + 3)}" y2="${f(sy(v))}" stroke="${c}"/>`);
      }
      const tip = `${className(r.className, r.operators)}${r.rank === null ? '' : ` r=${r.rank}`}: ${(100 * r.testAccMean!).toFixed(2)}%, ${r.hiddenParams} params, lr ${r.lr}, ${r.seeds} seeds`;
      o.push(`<circle cx="${f(x)}" cy="${f(sy(100 * r.testAccMean!))}" r="3.5" fill="${c}"><title>${esc(tip)}</title></circle>`);
      // The rank next to its point: a class's points are its ranks, and the reader wants to know which is which.
      if (r.rank !== null) o.push(`<text class="rank" x="${f(x + 5)}" y="${f(sy(100 * r.testAccMean!) - 5)}" font-size="9" fill="${c}">r=${r.rank}</text>`);
    }
  }
  o.push('</g>');
  return o.join('\n');
}

function renderLegend(classes: Series[], x: number): string {
  const o: string[] = ['<g>'];
  classes.forEach(({ key, name, operators }, i) => {
    const y = M.top + 8 + i * 18;
    const dense = name === 'unconstrained';
    const c = dense ? DENSE_COLOR : colorOf(key);
    o.push(`<line x1="${x}" y1="${y}" x2="${x + 22}" y2="${y}" stroke="${c}" stroke-width="1.5"${dense ? ' stroke-dasharray="6 4"' : ''}/>`);
    if (!dense) o.push(`<circle cx="${x + 11}" cy="${y}" r="3.5" fill="${c}"/>`);
    o.push(`<text x="${x + 28}" y="${y + 4}">${esc(className(name, operators))}</text>`);
  });
  o.push('</g>');
  return o.join('\n');
}
