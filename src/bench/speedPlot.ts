// SVG line plot for `ldr bench speed --plot`: speed-up (log scale) against n (log₂ scale), one
// line per (class, rank), a dashed line at speed-up 1 (the dense product). No dependency.
import type { SpeedRow } from './speed';

const W = 760;
const H = 460;
const M = { left: 64, right: 220, top: 36, bottom: 50 };
const PALETTE = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#bcbd22', '#17becf', '#ff7f0e', '#7f7f7f', '#aec7e8', '#98df8a'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function renderSpeedPlot(rows: SpeedRow[], title: string): string {
  const pts = rows.filter((r) => r.speedup !== null && r.speedup > 0 && r.className !== 'unconstrained');
  const series = new Map<string, SpeedRow[]>();
  for (const r of pts) {
    const key = r.rank === null ? r.className : `${r.className} r=${r.rank}`;
    series.set(key, [...(series.get(key) ?? []), r]);
  }
  const ns = pts.map((r) => Math.log2(r.n));
  const ss = pts.map((r) => Math.log10(r.speedup!));
  const x0 = Math.min(...ns, 9);
  const x1 = Math.max(...ns, x0 + 1);
  const y0 = Math.floor(Math.min(...ss, -1));
  const y1 = Math.ceil(Math.max(...ss, 1));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const X = (log2n: number) => M.left + ((log2n - x0) / (x1 - x0)) * pw;
  const Y = (log10s: number) => M.top + ph - ((log10s - y0) / (y1 - y0)) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${M.left}" y="20" font-size="14">${esc(title)}</text>`);
  for (let e = Math.ceil(x0); e <= x1; e++) {
    out.push(`<line x1="${X(e)}" y1="${M.top}" x2="${X(e)}" y2="${M.top + ph}" stroke="#eee"/>`);
    out.push(`<text x="${X(e)}" y="${M.top + ph + 16}" text-anchor="middle">2^${e}</text>`);
  }
  for (let e = y0; e <= y1; e++) {
    out.push(`<line x1="${M.left}" y1="${Y(e)}" x2="${M.left + pw}" y2="${Y(e)}" stroke="#eee"/>`);
    out.push(`<text x="${M.left - 6}" y="${Y(e) + 4}" text-anchor="end">${10 ** e}x</text>`);
  }
  out.push(`<line x1="${M.left}" y1="${Y(0)}" x2="${M.left + pw}" y2="${Y(0)}" stroke="#333" stroke-dasharray="5,4"/>`);
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${M.left + pw / 2}" y="${H - 12}" text-anchor="middle">n (matrix size)</text>`);
  out.push(`<text transform="translate(16 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">speed-up over dense (dense time / structured time)</text>`);
  [...series.entries()].forEach(([name, rs], i) => {
    const color = PALETTE[i % PALETTE.length];
    const sorted = [...rs].sort((a, b) => a.n - b.n);
    const d = sorted.map((r, k) => `${k ? 'L' : 'M'}${X(Math.log2(r.n)).toFixed(1)},${Y(Math.log10(r.speedup!)).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const r of sorted) out.push(`<circle cx="${X(Math.log2(r.n)).toFixed(1)}" cy="${Y(Math.log10(r.speedup!)).toFixed(1)}" r="3" fill="${color}"/>`);
    const ly = M.top + 10 + i * 18;
    out.push(`<line x1="${W - M.right + 12}" y1="${ly}" x2="${W - M.right + 36}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    out.push(`<text x="${W - M.right + 42}" y="${ly + 4}">${esc(name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
