// The local manifest a fetch leaves in `<root>/<name>/`: every extracted file with its size and
// SHA-256 as observed while extracting a verified download, so `ldr data verify` can re-check them
// later even though the downloads themselves are deleted.
import * as fs from 'fs';
import { writeJsonAtomic } from '../../util/atomic';
import { UserError } from '../../util/errors';
import { manifestPath } from './layout';
import type { ExtractedFile } from './sink';

export interface ManifestDownload {
  file: string;
  url: string;
  bytes: number;
  sha256: string;
  sha1: string;
  /** What the download was checked against: a recorded SHA-256, SHA-1, the size only, or nothing. */
  checkedWith: 'sha256' | 'sha1' | 'size' | 'none';
}

export interface Manifest {
  dataset: string;
  fetchedAt: string;
  /** Last time `ldr data verify` re-hashed every file and found them intact. */
  verifiedAt?: string;
  downloads: ManifestDownload[];
  files: ExtractedFile[];
}

export function readManifest(root: string, name: string): Manifest | undefined {
  const file = manifestPath(root, name);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const m = JSON.parse(text) as Manifest;
    if (!Array.isArray(m.files) || !Array.isArray(m.downloads)) throw new Error('missing "files" or "downloads"');
    return m;
  } catch (err) {
    throw new UserError(`${file}: damaged manifest (${(err as Error).message}); run \`ldr data fetch ${name} --force\``);
  }
}

export function writeManifest(root: string, m: Manifest): void {
  writeJsonAtomic(manifestPath(root, m.dataset), m);
}
