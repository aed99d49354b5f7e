// The hand-over to the dataset loaders (src/data): after a fetch, `loadDataset` parses the source
// files once into the binary cache, so the first `ldr train` starts at once; `ldr data list` asks
// the loaders' own `isCached`, so it says "cached" exactly when the next load will use the cache.
import { datasetSchema, type DatasetConfig } from '../schema';
import { isCached, loadDataset, loadRaw } from '../load';

export interface LoaderModule {
  loadDataset(cfg: DatasetConfig, opts?: { log?: (line: string) => void }): unknown;
  /** Parse and cache without preparing splits (cheaper than loadDataset). */
  loadRaw?(cfg: DatasetConfig, opts?: { log?: (line: string) => void }): unknown;
  /** Whether the cache for this config is built and fresh (used by `ldr data list`). */
  isCached?(cfg: DatasetConfig): boolean;
}

const LOADERS: LoaderModule = { loadDataset, loadRaw, isCached: (cfg) => isCached(cfg) };

/** The dataset loaders (async for the callers written when they were loaded lazily). */
export async function loaderModule(): Promise<LoaderModule> {
  return LOADERS;
}

export function datasetConfig(name: string, root: string): DatasetConfig {
  return datasetSchema.parse({ name, path: root });
}

/** Whether the loaders' cache of `name` under `root` is built and fresh (a test may pass its own loader). */
export function cacheIsFresh(name: string, root: string, loader: LoaderModule = LOADERS): boolean {
  return (loader.isCached ?? LOADERS.isCached!)(datasetConfig(name, root));
}
