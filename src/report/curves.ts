// `ldr report --curves`: learning curves from the runs' metrics.jsonl — validation accuracy,
// validation loss and training loss against epoch, one line per method (the runs at its chosen
// lr), mean over seeds with a mean ± sample-std band. One row of three panels per (experiment,
// dataset, model). Hand-written SVG, like plot.ts.
import * as fs from 'fs';
import * as path from 'path';
import { classOrder, datasetOrder } from './methods';
import { rowLabel } from './format';
import { colorOf, esc, ticks } from './plot';
import { mean, sampleStd, type Row } from './select';

/** One point of a curve: the mean over the seeds that have this epoch, and their sample std. */
export interface CurvePoint {
  epoch: number;
  mean: number;
  std: number | null;
  n: number;
}

export type CurveMetric = 'valAcc' | 'valLoss' | 'trainLoss';
export const CURVE_METRICS: { key: CurveMetric; title: string; percent: boolean }[] = [
  { key: 'valAcc', title: 'validation accuracy (%)', percent: true },
  { key: 'valLoss', title: 'validation loss', percent: false },
  { key: 'trainLoss', title: 'training loss', percent: false },
];

export interface Curve {
  row: Row;
  label: string;
  points: Record<CurveMetric, CurvePoint[]>;
}

type MetricsLine = Partial<Record<CurveMetric, number | null>> & { epoch?: number };

/** The epochs of a run's metrics.jsonl (unreadable lines are left out: a report never crashes on one). */
export function readRunMetrics(dir: string): MetricsLine[] {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8');
  } catch {
    return [];
  }
  const out: MetricsLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as MetricsLine);
    } catch {
      // a torn last line of a killed writer
    }
  }
  return out;
}

/** Mean ± sample std over runs, per epoch, of one metric (epochs without a finite value are skipped). */
export function aggregate(runs: MetricsLine[][], key: CurveMetric, scale = 1): CurvePoint[] {
  const byEpoch = new Map<number, number[]>();
  for (const lines of runs) {
    for (const m of lines) {
      const v = m[key];
      if (typeof m.epoch !== 'number' || typeof v !== 'number' || !Number.isFinite(v)) continue;
      byEpoch.set(m.epoch, [...(byEpoch.get(m.epoch) ?? []), v * scale]);
    }
  }
  return [...byEpoch.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([epoch, vs]) => ({ epoch, mean: mean(vs), std: sampleStd(vs), n: vs.length }));
}

export function buildCurves(rows: Row[], read: (dir: string) => MetricsLine[] = readRunMetrics): Curve[] {
  return rows
    .filter((r) => r.runDirs.length)
    .map((row) => {
      const runs = row.runDirs.map(read);
      return {
        row,
        label: rowLabel(row),
        points: {
          valAcc: aggregate(runs, 'valAcc', 100),
          valLoss: aggregate(runs, 'valLoss'),
          trainLoss: aggregate(runs, 'trainLoss'),
        },
      };
    })
    .filter((c) => CURVE_METRICS.some((m) => c.points[m.key].length));
}

const PANEL_W = 360;
const PANEL_H = 250;
const M = { left: 54, right: 12, top: 30, bottom: 40 };
const TITLE_H = 26;
const f = (x: number) => (Math.round(x * 10) / 10).toString();

/** Distinct dashes for methods of one class (ranks, variants), so lines of one colour differ. */
const DASHES = ['', '6 3', '2 3', '8 3 2 3'];

export function renderCurves(rows: Row[], curves: Curve[] = buildCurves(rows)): string {
  const groups = new Map<string, Curve[]>();
  for (const c of curves) {
    const k = JSON.stringify([c.row.model, datasetOrder(c.row.dataset), c.row.dataset, c.row.experiment]);
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  const keys = [...groups.keys()].sort();
  // Wide enough for the longest legend entry (about 6 px per character at font-size 11).
  const legendW = Math.max(200, 40 + 6.2 * Math.max(0, ...curves.map((c) => legendText(c).length)));
  const width = Math.ceil(CURVE_METRICS.length * PANEL_W + legendW);
  const blockH = TITLE_H + PANEL_H;
  const height = Math.max(1, keys.length) * blockH;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>`,
  ];
  if (!keys.length) out.push('<text x="20" y="40">no learning curves: no metrics.jsonl in the runs read</text>');
  keys.forEach((k, bi) => {
    const cs = groups.get(k)!.sort((a, b) => classOrder(a.row.className) - classOrder(b.row.className) || (a.row.rank ?? 0) - (b.row.rank ?? 0) || a.label.localeCompare(b.label));
    const y0 = bi * blockH;
    const r0 = cs[0].row;
    out.push(`<text x="10" y="${y0 + 18}" font-size="13" font-weight="bold">${esc(`${r0.dataset} — ${r0.model.toUpperCase()} (${r0.experiment}): mean ± std over seeds at each method's chosen lr`)}</text>`);
    const dash = dashes(cs);
    CURVE_METRICS.forEach((metric, i) => out.push(renderPanel(cs, metric, i * PANEL_W, y0 + TITLE_H, dash)));
    out.push(renderLegend(cs, CURVE_METRICS.length * PANEL_W + 8, y0 + TITLE_H, dash));
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function dashes(cs: Curve[]): Map<Curve, string> {
  const seen = new Map<string, number>();
  const out = new Map<Curve, string>();
  for (const c of cs) {
    const k = seen.get(c.row.className) ?? 0;
    seen.set(c.row.className, k + 1);
    out.set(c, DASHES[k % DASHES.length]);
  }
  return out;
}

function renderPanel(cs: Curve[], metric: (typeof CURVE_METRICS)[number], x0: number, y0: number, dash: Map<Curve, string>): string {
  const all = cs.flatMap((c) => c.points[metric.key]);
  const o: string[] = ['<g>'];
  const plotW = PANEL_W - M.left - M.right;
  const plotH = PANEL_H - M.top - M.bottom;
  o.push(`<text x="${f(x0 + M.left + plotW / 2)}" y="${f(y0 + 16)}" text-anchor="middle" font-size="12">${esc(metric.title)}</text>`);
  o.push(`<rect x="${f(x0 + M.left)}" y="${f(y0 + M.top)}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  if (!all.length) {
    o.push(`<text x="${f(x0 + M.left + 10)}" y="${f(y0 + M.top + 20)}" fill="#666">no values</text></g>`);
    return o.join('\n');
  }
  const eMin = Math.min(...all.map((p) => p.epoch));
  let eMax = Math.max(...all.map((p) => p.epoch));
  if (eMax === eMin) eMax = eMin + 1;
  const lows = all.map((p) => p.mean - (p.std ?? 0));
  const highs = all.map((p) => p.mean + (p.std ?? 0));
  let yMin = Math.min(...lows);
  let yMax = Math.max(...highs);
  const pad = Math.max((yMax - yMin) * 0.06, metric.percent ? 0.5 : 1e-3);
  yMin -= pad;
  yMax += pad;
  if (metric.percent) [yMin, yMax] = [Math.max(0, yMin), Math.min(100, yMax)];
  else yMin = Math.max(0, yMin);
  const sx = (e: number) => x0 + M.left + ((e - eMin) / (eMax - eMin)) * plotW;
  const sy = (v: number) => y0 + M.top + (1 - (v - yMin) / (yMax - yMin)) * plotH;
  for (const t of ticks(yMin, yMax)) {
    o.push(`<line x1="${f(x0 + M.left)}" y1="${f(sy(t))}" x2="${f(x0 + M.left + plotW)}" y2="${f(sy(t))}" stroke="#eee"/>`);
    o.push(`<text x="${f(x0 + M.left - 5)}" y="${f(sy(t) + 4)}" text-anchor="end">${Number(t.toPrecision(6))}</text>`);
  }
  for (const t of ticks(eMin, eMax, Math.min(6, eMax - eMin)).filter((e) => Number.isInteger(e))) {
    o.push(`<line x1="${f(sx(t))}" y1="${f(y0 + M.top + plotH)}" x2="${f(sx(t))}" y2="${f(y0 + M.top + plotH + 4)}" stroke="#999"/>`);
    o.push(`<text x="${f(sx(t))}" y="${f(y0 + M.top + plotH + 16)}" text-anchor="middle">${t}</text>`);
  }
  o.push(`<text x="${f(x0 + M.left + plotW / 2)}" y="${f(y0 + PANEL_H - 6)}" text-anchor="middle">epoch</text>`);
  for (const c of cs) {
    const pts = c.points[metric.key];
    if (!pts.length) continue;
    const color = c.row.className === 'unconstrained' ? '#333333' : colorOf(c.row.className);
    const banded = pts.filter((p) => p.std !== null);
    if (banded.length > 1) {
      const upper = banded.map((p) => `${f(sx(p.epoch))},${f(sy(p.mean + p.std!))}`);
      const lower = banded.map((p) => `${f(sx(p.epoch))},${f(sy(p.mean - p.std!))}`).reverse();
      o.push(`<polygon class="band" points="${[...upper, ...lower].join(' ')}" fill="${color}" fill-opacity="0.15" stroke="none"/>`);
    }
    const d = dash.get(c) ?? '';
    const line = pts.map((p) => `${f(sx(p.epoch))},${f(sy(p.mean))}`).join(' ');
    if (pts.length > 1) o.push(`<polyline class="curve" points="${line}" fill="none" stroke="${color}" stroke-width="1.6"${d ? ` stroke-dasharray="${d}"` : ''}><title>${esc(c.label)}</title></polyline>`);
    else o.push(`<circle class="curve" cx="${f(sx(pts[0].epoch))}" cy="${f(sy(pts[0].mean))}" r="3" fill="${color}"><title>${esc(c.label)}</title></circle>`);
  }
  o.push('</g>');
  return o.join('\n');
}

const legendText = (c: Curve) => `${c.label}, lr ${c.row.lr}, n=${c.row.runDirs.length}`;

function renderLegend(cs: Curve[], x: number, y0: number, dash: Map<Curve, string>): string {
  const o: string[] = ['<g>'];
  cs.forEach((c, i) => {
    const y = y0 + M.top + 6 + i * 16;
    const color = c.row.className === 'unconstrained' ? '#333333' : colorOf(c.row.className);
    const d = dash.get(c) ?? '';
    o.push(`<line x1="${x}" y1="${y}" x2="${x + 22}" y2="${y}" stroke="${color}" stroke-width="1.6"${d ? ` stroke-dasharray="${d}"` : ''}/>`);
    o.push(`<text x="${x + 28}" y="${y + 4}">${esc(legendText(c))}</text>`);
  });
  o.push('</g>');
  return o.join('\n');
}
