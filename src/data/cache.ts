// The binary cache: each source is parsed once into `<path>/.cache/<name>/` as raw Float32
// features and Int32 labels plus a small manifest. The manifest records what the cache was built
// from (source sizes and mtimes, builder version) and is written last, after the data files, each
// atomically: a crash mid-build leaves no manifest, so the next run rebuilds instead of trusting
// half a cache. A source that changed (size or mtime) makes the cache stale. The manifest holds
// the SHA-256 of each data file, checked on every read: a damaged cache (flipped bytes, garbled
// labels of the same size) is reported and rebuilt from its source, never used.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic';
import type { RawDataset } from './raw';
import type { Split } from './types';

/** Bump when the cache layout changes. */
const CACHE_FORMAT = 2;

export interface SourceStamp {
  file: string;
  size: number;
  mtimeMs: number;
}

export interface CacheManifest {
  format: number;
  name: string;
  /** Which builder (and version) produced the cache: a new version rebuilds. */
  builder: string;
  features: number;
  trainCount: number;
  testCount: number;
  sources: SourceStamp[];
  /** SHA-256 of each data file, by file name. */
  sha256: Record<string, string>;
}

/** What identifies a cache's content (everything but the counts and checksums it records). */
export type CacheKey = Omit<CacheManifest, 'trainCount' | 'testCount' | 'format' | 'sha256'>;

export function cacheDir(root: string, name: string): string {
  return path.join(root, '.cache', name);
}

/** Size and mtime of each source file (the staleness key). */
export function stampSources(files: readonly string[]): SourceStamp[] {
  return files.map((file) => {
    const st = fs.statSync(file);
    return { file: path.resolve(file), size: st.size, mtimeMs: st.mtimeMs };
  });
}

const FILES = { trainX: 'train-x.f32', trainY: 'train-y.i32', testX: 'test-x.f32', testY: 'test-y.i32' } as const;

/**
 * The manifest of a cache that is built and fresh for `expect` (without reading the data files:
 * `ldr data list` and `readCache` share this judgement), or null.
 */
export function freshManifest(dir: string, expect: CacheKey): CacheManifest | null {
  let manifest: CacheManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as CacheManifest;
  } catch {
    return null;
  }
  if (
    !manifest ||
    manifest.format !== CACHE_FORMAT ||
    manifest.name !== expect.name ||
    manifest.builder !== expect.builder ||
    manifest.features !== expect.features ||
    JSON.stringify(manifest.sources) !== JSON.stringify(expect.sources) ||
    !manifest.sha256
  ) {
    return null;
  }
  const f = manifest.features;
  const sizes: Record<string, number> = {
    [FILES.trainX]: manifest.trainCount * f * 4,
    [FILES.trainY]: manifest.trainCount * 4,
    [FILES.testX]: manifest.testCount * f * 4,
    [FILES.testY]: manifest.testCount * 4,
  };
  for (const [name, bytes] of Object.entries(sizes)) {
    try {
      if (fs.statSync(path.join(dir, name)).size !== bytes) return null;
    } catch {
      return null;
    }
  }
  return manifest;
}

/**
 * The cached dataset, or null when there is none or it does not match `expect` (stale). A cache
 * whose data files do not match their recorded SHA-256 is reported through `onDamaged` and
 * treated as absent (the caller rebuilds it).
 */
export function readCache(dir: string, expect: CacheKey, onDamaged: (why: string) => void = () => {}): RawDataset | null {
  const manifest = freshManifest(dir, expect);
  if (!manifest) return null;
  const f = manifest.features;
  const trainX = readTyped(path.join(dir, FILES.trainX), manifest.trainCount * f * 4);
  const trainY = readTyped(path.join(dir, FILES.trainY), manifest.trainCount * 4);
  const testX = readTyped(path.join(dir, FILES.testX), manifest.testCount * f * 4);
  const testY = readTyped(path.join(dir, FILES.testY), manifest.testCount * 4);
  if (!trainX || !trainY || !testX || !testY) return null;
  const got: Record<string, ArrayBuffer> = { [FILES.trainX]: trainX, [FILES.trainY]: trainY, [FILES.testX]: testX, [FILES.testY]: testY };
  for (const [name, buf] of Object.entries(got)) {
    if (sha256(new Uint8Array(buf)) !== manifest.sha256[name]) {
      onDamaged(`${path.join(dir, name)} does not match its SHA-256 in manifest.json`);
      return null;
    }
  }
  return {
    name: manifest.name,
    features: f,
    train: { x: new Float32Array(trainX), y: new Int32Array(trainY), count: manifest.trainCount },
    test: { x: new Float32Array(testX), y: new Int32Array(testY), count: manifest.testCount },
  };
}

/** The file's bytes as an ArrayBuffer of exactly `bytes` bytes, or null if absent or of another size. */
function readTyped(file: string, bytes: number): ArrayBuffer | null {
  try {
    if (fs.statSync(file).size !== bytes) return null;
    const buf = fs.readFileSync(file);
    // A large Buffer owns its memory (no copy: NORB's is 1.2 GB); a small one may sit at any
    // offset of a shared pool, so it is copied into an ArrayBuffer of its own.
    if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength) return buf.buffer as ArrayBuffer;
    return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  } catch {
    return null;
  }
}

const sha256 = (b: Uint8Array): string => crypto.createHash('sha256').update(b).digest('hex');

/** Writes the data files, then the manifest (the old manifest is removed first). */
export function writeCache(dir: string, raw: RawDataset, meta: CacheKey): void {
  fs.rmSync(path.join(dir, 'manifest.json'), { force: true });
  const sums = {
    ...writeSplit(dir, FILES.trainX, FILES.trainY, raw.train),
    ...writeSplit(dir, FILES.testX, FILES.testY, raw.test),
  };
  const manifest: CacheManifest = { format: CACHE_FORMAT, ...meta, trainCount: raw.train.count, testCount: raw.test.count, sha256: sums };
  writeJsonAtomic(path.join(dir, 'manifest.json'), manifest);
}

function writeSplit(dir: string, xName: string, yName: string, split: Split): Record<string, string> {
  const x = new Uint8Array(split.x.buffer, split.x.byteOffset, split.x.byteLength);
  const y = new Uint8Array(split.y.buffer, split.y.byteOffset, split.y.byteLength);
  writeFileAtomic(path.join(dir, xName), x);
  writeFileAtomic(path.join(dir, yName), y);
  return { [xName]: sha256(x), [yName]: sha256(y) };
}
