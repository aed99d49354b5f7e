// Where things live under the datasets root (`--dir`, default `datasets`):
//   <root>/<name>/…                       the files the loaders read, plus the manifest
//   <root>/<name>/.fetch-manifest.json   what `ldr data fetch` extracted, with sizes and SHA-256
//   <root>/.downloads/<name>/<file>      downloads: `.part` while incomplete, `.bad` on mismatch
//   <root>/.<name>.extract-<pid>/        extraction in progress (never looks like a dataset)
import * as fs from 'fs';
import * as path from 'path';

export const MANIFEST = '.fetch-manifest.json';

export function datasetDir(root: string, name: string): string {
  return path.join(root, name);
}

export function manifestPath(root: string, name: string): string {
  return path.join(root, name, MANIFEST);
}

export function downloadsDir(root: string, name: string): string {
  return path.join(root, '.downloads', name);
}

export function extractDir(root: string, name: string): string {
  return path.join(root, `.${name}.extract-${process.pid}`);
}

/** Leftover extraction folders of `name` from interrupted runs (any pid). */
export function isExtractDirOf(entry: string, name: string): boolean {
  return entry.startsWith(`.${name}.extract-`);
}

/** Size of a file in bytes, or -1 when it is absent. */
export function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return -1;
  }
}
