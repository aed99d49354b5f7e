// `ldr data list`: every dataset ldr knows (built-in, the paper's, and the LSTM's text corpora)
// with its state under the datasets root. Cheap: sizes only; `ldr data verify` re-hashes.
import * as fs from 'fs';
import * as path from 'path';
import { CATALOG } from '../catalog';
import { CORPORA } from '../corpus/catalog';
import { datasetDir, downloadsDir, sizeOf } from './layout';
import { cacheIsFresh, type LoaderModule } from './loader';
import { readManifest } from './manifest';
import { formatBytes } from './progress';
import { checksumKind, SOURCES, targetFiles, type DatasetSource } from './sources';

export type Status = 'built-in' | 'missing' | 'partial' | 'downloaded' | 'verified' | 'damaged' | 'cached';

export interface StatusRow {
  name: string;
  status: Status;
  /** Extra words for the status column (e.g. "3/24 files", "resumable download"). */
  note: string;
  /** Sum of the recorded download sizes, when all are known. */
  downloadBytes?: number;
  /** The sum is approximate (some sizes are only known roughly). */
  approximate?: boolean;
  /** Bytes of the dataset's files present here. */
  diskBytes: number;
  /** 'sha256', or what is used while no SHA-256 is recorded. */
  checksum: string;
  description: string;
}

export function datasetStatus(root: string, sources: readonly DatasetSource[] = SOURCES, loader?: LoaderModule): StatusRow[] {
  const rows: StatusRow[] = [];
  for (const entry of [...CATALOG, ...CORPORA]) {
    if (!entry.builtin) continue;
    rows.push({ name: entry.name, status: 'built-in', note: '', diskBytes: 0, checksum: '-', description: entry.description });
  }
  for (const source of sources) rows.push(sourceStatus(root, source, loader));
  return rows;
}

function sourceStatus(root: string, source: DatasetSource, loader?: LoaderModule): StatusRow {
  const dest = datasetDir(root, source.name);
  const targets = targetFiles(source);
  const sizes = targets.map((t) => sizeOf(path.join(dest, t)));
  const present = sizes.filter((s) => s >= 0).length;
  const diskBytes = sizes.reduce((s, b) => s + Math.max(0, b), 0);
  const known = source.downloads.every((d) => (d.bytes ?? d.approxBytes) !== undefined);
  const row: StatusRow = {
    name: source.name,
    status: 'missing',
    note: '',
    downloadBytes: known ? source.downloads.reduce((s, d) => s + (d.bytes ?? d.approxBytes ?? 0), 0) : undefined,
    approximate: source.downloads.some((d) => d.bytes === undefined),
    diskBytes,
    checksum: checksumSummary(source),
    description: source.description,
  };
  if (present < targets.length) {
    row.status = present === 0 ? 'missing' : 'partial';
    const notes: string[] = [];
    if (present > 0) notes.push(`${present}/${targets.length} files`);
    if (hasPartialDownload(root, source.name)) notes.push('download resumable');
    row.note = notes.join(', ');
    return row;
  }
  let manifest;
  try {
    manifest = readManifest(root, source.name);
  } catch {
    return { ...row, status: 'damaged', note: 'manifest unreadable' };
  }
  if (manifest) {
    const bySize = manifest.files.every((f) => sizeOf(path.join(dest, f.path)) === f.bytes);
    if (!bySize) return { ...row, status: 'damaged', note: 'sizes differ from the manifest' };
  }
  if (entryHasLoader(source.name)) {
    try {
      if (cacheIsFresh(source.name, root, loader)) return { ...row, status: 'cached' };
    } catch {
      // an unreadable cache simply is not a cache
    }
  }
  if (!manifest) return { ...row, status: 'downloaded', note: 'not fetched by ldr, unverified' };
  return manifest.verifiedAt ? { ...row, status: 'verified' } : { ...row, status: 'downloaded', note: 'size-checked only' };
}

function entryHasLoader(name: string): boolean {
  return CATALOG.some((d) => d.name === name && !d.builtin);
}

function hasPartialDownload(root: string, name: string): boolean {
  try {
    return fs.readdirSync(downloadsDir(root, name)).some((f) => f.endsWith('.part'));
  } catch {
    return false;
  }
}

function checksumSummary(source: DatasetSource): string {
  const kinds = new Set(source.downloads.map(checksumKind));
  if (kinds.size === 1 && kinds.has('sha256')) return 'sha256';
  if (kinds.has('none')) return 'unknown (not verifiable)';
  if (kinds.has('size')) return 'sha256 unknown (size)';
  return 'sha256 unknown (sha1)';
}

/** The table `ldr data list` prints. */
export function formatStatus(rows: StatusRow[], root: string): string {
  const header = ['dataset', 'status', 'download', 'on disk', 'checksum', 'description'];
  const body = rows.map((r) => [
    r.name,
    r.note ? `${r.status} (${r.note})` : r.status,
    r.status === 'built-in' ? '-' : r.downloadBytes !== undefined ? `${r.approximate ? '~' : ''}${formatBytes(r.downloadBytes)}` : '?',
    r.status === 'built-in' ? '-' : r.diskBytes > 0 ? formatBytes(r.diskBytes) : '-',
    r.checksum,
    r.description,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [`datasets in ${path.resolve(root)}:`, fmt(header), ...body.map(fmt)].join('\n') + '\n';
}
