// The hand-over to the dataset loaders (src/data): after a fetch, `loadDataset` parses the source
// files once into the binary cache, so the first `ldr train` starts at once. Imported lazily (the
// loaders pull in more than `ldr data list` needs) and by a runtime specifier, so this module
// builds even while the loaders are being written.
import * as fs from 'fs';
import * as path from 'path';
import { datasetSchema, type DatasetConfig } from '../schema';

export interface LoaderModule {
  loadDataset(cfg: DatasetConfig, opts?: { log?: (line: string) => void }): unknown;
  /** Optional: parse and cache without preparing splits (cheaper than loadDataset). */
  loadRaw?(cfg: DatasetConfig, opts?: { log?: (line: string) => void }): unknown;
  /** Optional: whether the cache for this config is built and fresh (used by `ldr data list`). */
  isCached?(cfg: DatasetConfig): boolean;
}

// Candidate entry points of src/data, in order.
const CANDIDATES = ['../index', '../load'];

let cached: LoaderModule | null | undefined;

export async function loaderModule(): Promise<LoaderModule | undefined> {
  if (cached !== undefined) return cached ?? undefined;
  cached = null;
  for (const spec of CANDIDATES) {
    try {
      const mod = (await import(spec)) as Partial<LoaderModule>;
      if (typeof mod.loadDataset === 'function') {
        cached = mod as LoaderModule;
        break;
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Only "this entry point does not exist" moves on; an error inside the loaders is real.
      const first = String((err as Error).message).split('\n')[0];
      // Node names the specifier ('../index'); vitest the resolved path ('/src/data/index').
      const named = first.includes(spec) || first.includes(`data/${spec.replace(/^(\.\.\/)+/, '')}'`);
      const missing = (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND' || /Cannot find module|Failed to load url/.test(first)) && named;
      if (!missing) throw err;
    }
  }
  return cached ?? undefined;
}

export function datasetConfig(name: string, root: string): DatasetConfig {
  return datasetSchema.parse({ name, path: root });
}

/**
 * Whether the loaders' cache of `name` is built and fresh. Uses the loaders' own `isCached` when
 * they export one; otherwise reads the cache manifest they write (`<root>/.cache/<name>/
 * manifest.json`, whose `sources` stamp each file's path, size and mtime) without loading data.
 */
export function cacheIsFresh(name: string, root: string, loader?: LoaderModule): boolean {
  if (loader?.isCached) return loader.isCached(datasetConfig(name, root));
  try {
    const m = JSON.parse(fs.readFileSync(path.join(root, '.cache', name, 'manifest.json'), 'utf8')) as {
      sources?: { file: string; size: number; mtimeMs: number }[];
    };
    if (!Array.isArray(m.sources) || m.sources.length === 0) return false;
    return m.sources.every((s) => {
      const st = fs.statSync(s.file);
      return st.size === s.size && st.mtimeMs === s.mtimeMs;
    });
  } catch {
    return false;
  }
}
