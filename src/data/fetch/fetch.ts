// `ldr data fetch`: download (or take from --from) every file of a dataset, check each against the
// sources table, extract the members the loaders need into a temp folder next to the dataset
// folder, move them into place with the manifest last, then let the loader build its cache.
// Failure leaves: a resumable `.part` (network), a `.bad` file (checksum), never a dataset folder
// that looks complete.
import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../../util/errors';
import { ChecksumMismatch, checkDownload, checkedLine } from './check';
import { extractGz } from './gz';
import { downloadToPart, type DownloadOptions } from './http';
import { datasetDir, downloadsDir, extractDir, isExtractDirOf, manifestPath, sizeOf } from './layout';
import { datasetConfig, loaderModule } from './loader';
import { claimFetch } from './lock';
import { readManifest, writeManifest, type Manifest, type ManifestDownload } from './manifest';
import { consoleReporter, formatBytes, type Reporter } from './progress';
import { localFiles, mirrorUrl, selectSources } from './resolve';
import { DEFAULT_EXTRACT_LIMIT, ExtractBudget, type ExtractedFile } from './sink';
import { downloadLimit, SOURCES, targetFiles, type DatasetSource, type Download } from './sources';
import { extractTarGz, memberPath, wantedKey } from './tar';
import { extractZipEntry, listZip, type ZipEntry } from './zip';
import { CATALOG } from '../catalog';
import { writeJsonAtomic } from '../../util/atomic';

export interface FetchOptions {
  /** Datasets root (`--dir`). */
  root: string;
  mirror?: string;
  /** A local archive, or a folder of them (`--from`). */
  from?: string;
  /** Fetch again even when the dataset is already here. */
  force?: boolean;
  /** Keep the downloaded archives under `<root>/.downloads/` after extraction. */
  keepDownloads?: boolean;
  /** The sources table (tests inject one pointing at a local server). */
  sources?: readonly DatasetSource[];
  reporter?: Reporter;
  http?: DownloadOptions;
  /**
   * Build the loader's cache once the files are in place; returns a line to print. Default: the
   * loaders' `loadDataset` for catalog datasets (skipped with a note when not available).
   */
  buildCache?: (name: string, root: string) => Promise<string | undefined>;
}

/** Fetch `<name|all>`; with `all`, every dataset is tried and the failures are reported together. */
export async function fetchDatasets(name: string, opts: FetchOptions): Promise<void> {
  const sources = opts.sources ?? SOURCES;
  const selected = selectSources(name, sources);
  if (opts.from && selected.length > 1) throw new UserError('--from needs one dataset name, not "all"');
  const failures: { name: string; err: UserError }[] = [];
  for (const source of selected) {
    try {
      await fetchOne(source, opts);
    } catch (err) {
      if (!(err instanceof UserError) || selected.length === 1) throw err;
      (opts.reporter ?? consoleReporter()).info(`${source.name}: FAILED: ${err.message}`);
      failures.push({ name: source.name, err });
    }
  }
  if (failures.length > 0) {
    const code = Math.max(...failures.map((f) => f.err.exitCode));
    throw new UserError(`${failures.length} of ${selected.length} datasets failed: ${failures.map((f) => f.name).join(', ')} (messages above)`, code);
  }
}

async function fetchOne(source: DatasetSource, opts: FetchOptions): Promise<void> {
  const release = claimFetch(opts.root, source.name);
  try {
    await fetchSteps(source, opts);
  } finally {
    release();
    // A failed first fetch leaves no empty download folders behind (a .part or .bad stays).
    removeIfEmpty(downloadsDir(opts.root, source.name));
    removeIfEmpty(path.join(opts.root, '.downloads'));
  }
}

async function fetchSteps(source: DatasetSource, opts: FetchOptions): Promise<void> {
  const report = opts.reporter ?? consoleReporter();
  const root = opts.root;
  const dest = datasetDir(root, source.name);
  const targets = targetFiles(source);

  if (!opts.force && !opts.from) {
    const here = presentState(root, source);
    if (here === 'fetched') {
      report.info(`${source.name}: already fetched in ${dest} (use --force to fetch again)`);
      await cacheStep(source, opts, report);
      return;
    }
    if (here === 'by-hand') {
      report.info(`${source.name}: all ${targets.length} files already in ${dest}, not fetched by ldr (use --force to replace them with verified downloads)`);
      await cacheStep(source, opts, report);
      return;
    }
  }

  const local = opts.from ? localFiles(opts.from, source) : new Map<Download, string>();
  removeStaleExtractions(root, source.name);

  // 1. Every download present and checked before anything is extracted.
  const checked: { d: Download; file: string; info: ManifestDownload; owned: boolean }[] = [];
  for (const d of source.downloads) {
    const mine = local.get(d);
    if (mine) {
      const info = await checkLocal(mine, d);
      report.info(checkedLine(info));
      checked.push({ d, file: mine, info, owned: false });
    } else {
      const { file, info } = await obtain(source, d, opts, report);
      checked.push({ d, file, info, owned: true });
    }
  }

  // 2. Extract into a temp folder in the same parent.
  const tmp = extractDir(root, source.name);
  fs.rmSync(tmp, { recursive: true, force: true });
  mkdirOrFail(tmp);
  let files: ExtractedFile[];
  try {
    report.info(`${source.name}: extracting ${targets.length} file${targets.length === 1 ? '' : 's'}`);
    files = [];
    for (const c of checked) files.push(...(await extractDownload(c.file, c.d, tmp)));
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw setAsideUnhashed(err, checked);
  }

  // 3. Into place; the manifest (the mark of a complete fetch) comes last.
  const verified = checked.every((c) => c.info.checkedWith === 'sha256' || c.info.checkedWith === 'sha1');
  const now = new Date().toISOString();
  const manifest: Manifest = {
    dataset: source.name,
    fetchedAt: now,
    ...(verified ? { verifiedAt: now } : {}),
    downloads: checked.map((c) => c.info),
    files: orderLike(files, targets),
  };
  moveIntoPlace(tmp, dest, files, root, manifest);
  const total = files.reduce((s, f) => s + f.bytes, 0);
  report.info(`${source.name}: ${files.length} files (${formatBytes(total)}) in ${dest}`);

  // 4. Downloads are no longer needed (the manifest keeps their hashes).
  if (!opts.keepDownloads) for (const c of checked) if (c.owned) fs.rmSync(c.file, { force: true });
  await cacheStep(source, opts, report);
}

/** 'fetched': manifest and every file with its recorded size; 'by-hand': files but no manifest. */
function presentState(root: string, source: DatasetSource): 'fetched' | 'by-hand' | 'incomplete' {
  const dest = datasetDir(root, source.name);
  const targets = targetFiles(source);
  if (!targets.every((t) => fs.existsSync(path.join(dest, t)))) return 'incomplete';
  const m = readManifest(root, source.name);
  if (!m) return 'by-hand';
  const sizesOk = m.files.every((f) => sizeOf(path.join(dest, f.path)) === f.bytes);
  return sizesOk ? 'fetched' : 'incomplete';
}

/** A verified download on disk: reuse one already complete, else download (resuming a `.part`). */
async function obtain(
  source: DatasetSource,
  d: Download,
  opts: FetchOptions,
  report: Reporter,
): Promise<{ file: string; info: ManifestDownload }> {
  const dir = downloadsDir(opts.root, source.name);
  mkdirOrFail(dir);
  const file = path.join(dir, d.file);
  const part = `${file}.part`;
  const url = mirrorUrl(d.url, opts.mirror);
  if (!fs.existsSync(file)) {
    const resumeAt = sizeOf(part);
    report.info(`${source.name}: downloading ${url}${resumeAt > 0 ? ` (resuming at ${formatBytes(resumeAt)})` : ''}${d.bytes ? `, ${formatBytes(d.bytes)}` : ''}`);
    try {
      await downloadToPart(url, part, {
        maxBytes: downloadLimit(d),
        ...opts.http,
        onProgress: (done, total) => report.progress(d.file, done, total ?? d.bytes),
        onRetry: (reason, attempt, delayMs) => {
          report.done(d.file);
          report.info(`  ${d.file}: ${reason}; retry ${attempt} in ${(delayMs / 1000).toFixed(1)} s`);
        },
      });
    } finally {
      report.done(d.file);
    }
    const info = await checkOrSetAside(part, file, d, url);
    fs.renameSync(part, file);
    report.info(checkedLine(info));
    return { file, info };
  }
  // Complete from an earlier run (kept, or interrupted during extraction): check it again.
  const info = await checkOrSetAside(file, file, d, url);
  report.info(checkedLine(info));
  return { file, info };
}

/** Check `candidate`; on mismatch move it to `<final>.bad` and fail with expected vs actual. */
async function checkOrSetAside(candidate: string, final: string, d: Download, url: string): Promise<ManifestDownload> {
  try {
    return await checkDownload(candidate, d, url);
  } catch (err) {
    if (!(err instanceof ChecksumMismatch)) throw err;
    const bad = `${final}.bad`;
    fs.renameSync(candidate, bad);
    throw new UserError(`${err.message} (from ${url}; kept as ${bad}; nothing extracted)`);
  }
}

/**
 * An archive that fails to extract but was only size-checked may be corrupt in a way no hash
 * caught: move it aside as `.bad` so the next fetch downloads it again. A hash-checked archive is
 * the published file, so it stays (downloading it again would not help).
 */
function setAsideUnhashed(err: unknown, checked: { file: string; info: ManifestDownload; owned: boolean }[]): unknown {
  if (!(err instanceof UserError)) return err;
  const moved: string[] = [];
  for (const c of checked) {
    if (!c.owned || c.info.checkedWith === 'sha256' || c.info.checkedWith === 'sha1') continue;
    fs.renameSync(c.file, `${c.file}.bad`);
    moved.push(`${c.file}.bad`);
  }
  return moved.length === 0 ? err : new UserError(`${err.message} (no checksum on record for it: kept as ${moved.join(', ')})`, err.exitCode);
}

/** A user's own file (`--from`): checked in place, never moved or renamed. */
async function checkLocal(file: string, d: Download): Promise<ManifestDownload> {
  // A device or a pipe (--from /dev/zero) would be hashed forever; a file of the wrong size needs no hashing.
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (err) {
    throw new UserError(`--from ${file}: ${(err as Error).message}`);
  }
  if (!st.isFile()) throw new UserError(`--from ${file}: not a regular file (expected ${d.file})`);
  if (d.bytes !== undefined && st.size !== d.bytes) {
    throw new UserError(`size mismatch for ${d.file}: expected ${d.bytes} bytes, got ${st.size} (--from ${file}; nothing extracted)`);
  }
  if (st.size > downloadLimit(d)) throw new UserError(`--from ${file}: ${st.size} bytes, more than ${downloadLimit(d)} expected for ${d.file}`);
  try {
    return await checkDownload(file, d, `file:${path.resolve(file)}`);
  } catch (err) {
    if (err instanceof ChecksumMismatch) throw new UserError(`${err.message} (--from ${file}; nothing extracted)`);
    throw err;
  }
}

async function extractDownload(file: string, d: Download, outDir: string): Promise<ExtractedFile[]> {
  const wanted = d.members;
  const budget = new ExtractBudget(file, d.maxExtractedBytes ?? DEFAULT_EXTRACT_LIMIT);
  let out: ExtractedFile[];
  if (d.kind === 'gz') {
    out = [await extractGz(file, wanted[''], outDir, budget)];
  } else if (d.kind === 'tar.gz') {
    out = await extractTarGz(file, wanted, outDir, budget);
  } else {
    out = [];
    const matches = new Map<string, ZipEntry[]>();
    for (const e of listZip(file)) {
      const key = e.name.endsWith('/') ? undefined : wantedKey(memberPath(e.name), wanted);
      if (key !== undefined) matches.set(key, [...(matches.get(key) ?? []), e]);
    }
    for (const [key, entries] of matches) {
      if (entries.length > 1) throw new UserError(`${file}: more than one member matches ${key} (${entries.map((e) => e.name).join(', ')})`);
      out.push(await extractZipEntry(file, entries[0], wanted[key], outDir, budget));
    }
  }
  const got = new Set(out.map((f) => f.path));
  const lacking = Object.entries(wanted).filter(([, target]) => !got.has(target));
  if (lacking.length > 0) {
    throw new UserError(`${d.file} does not contain ${lacking.map(([m]) => m || '(the compressed file)').join(', ')} (nothing extracted)`);
  }
  return out;
}

/**
 * A new dataset folder appears by one rename of the temp folder. An existing folder (earlier
 * partial files, or a --force refetch) loses its manifest first, then gets each file by rename
 * (each file whole or absent), then the manifest.
 */
function moveIntoPlace(tmp: string, dest: string, files: ExtractedFile[], root: string, manifest: Manifest): void {
  try {
    if (!fs.existsSync(dest)) {
      writeJsonAtomic(path.join(tmp, path.basename(manifestPath(root, manifest.dataset))), manifest);
      fs.renameSync(tmp, dest);
      return;
    }
    fs.rmSync(manifestPath(root, manifest.dataset), { force: true });
    for (const f of files) {
      const to = path.join(dest, f.path);
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.renameSync(path.join(tmp, f.path), to);
    }
    writeManifest(root, manifest);
    fs.rmSync(tmp, { recursive: true, force: true });
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (err instanceof UserError) throw err;
    throw new UserError(`cannot move the extracted files into ${dest}: ${(err as Error).message}`);
  }
}

async function cacheStep(source: DatasetSource, opts: FetchOptions, report: Reporter): Promise<void> {
  const build = opts.buildCache ?? ((name: string, root: string) => defaultBuildCache(name, root, report));
  const line = await build(source.name, opts.root);
  if (line) report.info(line);
}

async function defaultBuildCache(name: string, root: string, report: Reporter): Promise<string | undefined> {
  const entry = CATALOG.find((d) => d.name === name);
  if (!entry) return `${name}: files ready (no loader for it yet, so no cache to build)`;
  const loader = await loaderModule();
  if (!loader) return `${name}: files ready; the loaders are not available in this build, so the cache will be built on first use`;
  const started = Date.now();
  const log = (line: string) => report.info(`  ${line}`);
  try {
    // loadRaw parses and caches without standardising splits; loadDataset does both.
    if (loader.loadRaw) await loader.loadRaw(datasetConfig(name, root), { log });
    else await loader.loadDataset(datasetConfig(name, root), { log });
  } catch (err) {
    const msg = (err as Error).message;
    throw new UserError(`${name}: files fetched and verified, but building the cache failed: ${msg}`, err instanceof UserError ? err.exitCode : 1);
  }
  return `${name}: cache ready (${((Date.now() - started) / 1000).toFixed(1)} s)`;
}

function removeStaleExtractions(root: string, name: string): void {
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(root);
  } catch {
    return;
  }
  for (const e of entries) if (isExtractDirOf(e, name)) fs.rmSync(path.join(root, e), { recursive: true, force: true });
}

function orderLike(files: ExtractedFile[], order: string[]): ExtractedFile[] {
  return [...files].sort((a, b) => order.indexOf(a.path) - order.indexOf(b.path));
}

function removeIfEmpty(dir: string): void {
  try {
    if (fs.readdirSync(dir).length === 0) fs.rmdirSync(dir);
  } catch {
    // absent already, or not empty
  }
}

function mkdirOrFail(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new UserError(`cannot create ${dir}: ${(err as Error).message}`);
  }
}
