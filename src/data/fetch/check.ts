// Checking a downloaded file against what the sources table records: size, then SHA-256, then
// SHA-1. A file is never accepted silently: with no SHA-256 on record the observed one is printed
// so that it can be pinned.
import { digestFile } from './hash';
import type { ManifestDownload } from './manifest';
import { checksumKind, type Download } from './sources';

export class ChecksumMismatch extends Error {}

/** Hash `file` and compare; throws ChecksumMismatch (message: expected vs actual) on any difference. */
export async function checkDownload(file: string, d: Download, url: string): Promise<ManifestDownload> {
  const got = await digestFile(file);
  if (d.bytes !== undefined && got.bytes !== d.bytes) {
    throw new ChecksumMismatch(`size mismatch for ${d.file}: expected ${d.bytes} bytes, got ${got.bytes}`);
  }
  if (d.sha256 && got.sha256 !== d.sha256) {
    throw new ChecksumMismatch(`SHA-256 mismatch for ${d.file}: expected ${d.sha256}, got ${got.sha256}`);
  }
  if (d.sha1 && got.sha1 !== d.sha1) {
    throw new ChecksumMismatch(`SHA-1 mismatch for ${d.file}: expected ${d.sha1}, got ${got.sha1}`);
  }
  return { file: d.file, url, bytes: got.bytes, sha256: got.sha256, sha1: got.sha1, checkedWith: checksumKind(d) };
}

/** The line printed after a check: what it was checked against, and the SHA-256 to pin if new. */
export function checkedLine(m: ManifestDownload): string {
  switch (m.checkedWith) {
    case 'sha256':
      return `  ${m.file}: SHA-256 ok`;
    case 'sha1':
      return `  ${m.file}: SHA-1 ok; no SHA-256 on record, observed SHA-256 ${m.sha256} (pin it in src/data/fetch/sources.ts)`;
    case 'size':
      return `  ${m.file}: size ok (${m.bytes} bytes); no checksum on record, observed SHA-256 ${m.sha256} (pin it in src/data/fetch/sources.ts)`;
    default:
      return `  ${m.file}: NOT VERIFIED (no size or checksum on record); observed SHA-256 ${m.sha256} (pin it in src/data/fetch/sources.ts)`;
  }
}
