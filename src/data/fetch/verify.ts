// `ldr data verify <name|all>`: re-hash every file a fetch extracted and compare with the SHA-256
// and size the manifest recorded (and any kept download with the sources table). Success stamps
// the manifest's `verifiedAt`; any difference is an error listing each file, expected vs actual.
import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../../util/errors';
import { checkDownload, ChecksumMismatch } from './check';
import { digestFile } from './hash';
import { datasetDir, downloadsDir } from './layout';
import { readManifest, writeManifest } from './manifest';
import { consoleReporter, type Reporter } from './progress';
import { selectSources } from './resolve';
import { SOURCES, targetFiles, type DatasetSource } from './sources';

export interface VerifyOptions {
  root: string;
  sources?: readonly DatasetSource[];
  reporter?: Reporter;
}

export async function verifyDatasets(name: string, opts: VerifyOptions): Promise<void> {
  const sources = opts.sources ?? SOURCES;
  const report = opts.reporter ?? consoleReporter();
  const selected = selectSources(name, sources);
  let checked = 0;
  const failed: string[] = [];
  for (const source of selected) {
    const present = targetFiles(source).some((t) => fs.existsSync(path.join(datasetDir(opts.root, source.name), t)));
    if (name === 'all' && !present && !readManifest(opts.root, source.name)) continue; // not here: nothing to verify
    try {
      await verifyOne(source, opts.root, report);
      checked++;
    } catch (err) {
      if (!(err instanceof UserError) || selected.length === 1) throw err;
      report.info(`${source.name}: FAILED: ${err.message}`);
      failed.push(source.name);
    }
  }
  if (failed.length > 0) throw new UserError(`verification failed for ${failed.join(', ')} (details above)`);
  if (name === 'all' && checked === 0) report.info(`no fetched datasets in ${opts.root}`);
}

async function verifyOne(source: DatasetSource, root: string, report: Reporter): Promise<void> {
  const dest = datasetDir(root, source.name);
  const manifest = readManifest(root, source.name);
  if (!manifest) {
    const present = targetFiles(source).filter((t) => fs.existsSync(path.join(dest, t))).length;
    if (present === 0) throw new UserError(`${source.name} is not downloaded in ${root}: run \`ldr data fetch ${source.name}\``);
    throw new UserError(`${source.name}: no manifest in ${dest} (the files were not fetched by ldr), so there is nothing to verify them against: run \`ldr data fetch ${source.name} --force\``);
  }
  const problems: string[] = [];
  for (const f of manifest.files) {
    const file = path.join(dest, f.path);
    if (!fs.existsSync(file)) {
      problems.push(`${f.path}: missing`);
      continue;
    }
    const got = await digestFile(file);
    if (got.bytes !== f.bytes) problems.push(`${f.path}: size expected ${f.bytes}, got ${got.bytes}`);
    else if (got.sha256 !== f.sha256) problems.push(`${f.path}: SHA-256 expected ${f.sha256}, got ${got.sha256}`);
  }
  const recorded = new Set(manifest.files.map((f) => f.path));
  for (const t of targetFiles(source)) if (!recorded.has(t)) problems.push(`${t}: not in the manifest`);
  // Downloads kept with --keep-downloads are checked against the sources table as well.
  for (const d of source.downloads) {
    const kept = path.join(downloadsDir(root, source.name), d.file);
    if (!fs.existsSync(kept)) continue;
    try {
      await checkDownload(kept, d, d.url);
    } catch (err) {
      if (!(err instanceof ChecksumMismatch)) throw err;
      problems.push(`kept download ${err.message}`);
    }
  }
  if (problems.length > 0) {
    throw new UserError(`${source.name}: ${problems.length} file${problems.length === 1 ? '' : 's'} differ from the manifest: ${problems.join('; ')}`);
  }
  writeManifest(root, { ...manifest, verifiedAt: new Date().toISOString() });
  report.info(`${source.name}: ${manifest.files.length} files match the manifest (SHA-256)`);
}
