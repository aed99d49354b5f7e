// Plain-text tables for `ldr bench`, printed row by row as results arrive.
import type { LayerRow } from './layers';
import type { MatmulRow } from './matmul';

export function formatMs(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 10) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return ms.toFixed(0);
}

const LAYER_COLUMNS: [string, number][] = [
  ['class', 17],
  ['n', 6],
  ['r', 3],
  ['params', 10],
  ['path', 16],
  ['forward ms', 11],
  ['fwd+bwd ms', 11],
  ['SHL step ms', 12],
  ['floor ms', 9],
  ['step/floor', 11],
];

function line(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' ');
}

export function layerHeader(): string {
  const widths = LAYER_COLUMNS.map(([, w]) => w);
  return line(LAYER_COLUMNS.map(([h]) => h), widths);
}

export function layerLine(row: LayerRow): string {
  const widths = LAYER_COLUMNS.map(([, w]) => w);
  const head = [row.class, String(row.n), row.rank === null ? '-' : String(row.rank), row.paramCount === null ? '-' : String(row.paramCount), row.computePath ?? '-'];
  const ratio = row.stepOverFloor === null ? '-' : `${row.stepOverFloor.toFixed(2)}x`;
  const times = [formatMs(row.forwardMs), formatMs(row.forwardBackwardMs), formatMs(row.shlStepMs), formatMs(row.floorMs), ratio];
  const text = line([...head, ...times], widths);
  return row.error === null ? text : `${line(head, widths.slice(0, head.length))}  error: ${row.error}`;
}

const MATMUL_COLUMNS: [string, number][] = [
  ['operation', 28],
  ['shape', 26],
  ['stock ms', 9],
  ['fixed ms', 9],
  ['speed-up', 9],
];

export function matmulHeader(): string {
  return line(MATMUL_COLUMNS.map(([h]) => h), MATMUL_COLUMNS.map(([, w]) => w));
}

export function matmulLine(row: MatmulRow): string {
  const widths = MATMUL_COLUMNS.map(([, w]) => w);
  if (row.error !== null) return `${line([row.op, row.shape], widths.slice(0, 2))}  error: ${row.error}`;
  const speedup = row.speedup === null ? '-' : `${row.speedup.toFixed(1)}x`;
  return line([row.op, row.shape, formatMs(row.stockMs), formatMs(row.fixedMs), speedup], widths);
}
