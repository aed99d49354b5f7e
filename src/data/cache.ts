// The binary cache: each source is parsed once into `<path>/.cache/<name>/` as raw Float32
// features and Int32 labels plus a small manifest. The manifest records what the cache was built
// from (source sizes and mtimes, builder version) and is written last, after the data files, each
// atomically: a crash mid-build leaves no manifest, so the next run rebuilds instead of trusting
// half a cache. A source that changed (size or mtime) makes the cache stale.
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic';
import type { RawDataset } from './raw';
import type { Split } from './types';

/** Bump when the cache layout changes. */
const CACHE_FORMAT = 1;

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
}

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

/** The cached dataset, or null when there is none or it does not match `expect` (stale). */
export function readCache(dir: string, expect: Omit<CacheManifest, 'trainCount' | 'testCount' | 'format'>): RawDataset | null {
  let manifest: CacheManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as CacheManifest;
  } catch {
    return null;
  }
  if (
    manifest.format !== CACHE_FORMAT ||
    manifest.name !== expect.name ||
    manifest.builder !== expect.builder ||
    manifest.features !== expect.features ||
    JSON.stringify(manifest.sources) !== JSON.stringify(expect.sources)
  ) {
    return null;
  }
  const f = manifest.features;
  const trainX = readTyped(path.join(dir, FILES.trainX), manifest.trainCount * f * 4);
  const trainY = readTyped(path.join(dir, FILES.trainY), manifest.trainCount * 4);
  const testX = readTyped(path.join(dir, FILES.testX), manifest.testCount * f * 4);
  const testY = readTyped(path.join(dir, FILES.testY), manifest.testCount * 4);
  if (!trainX || !trainY || !testX || !testY) return null;
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

/** Writes the data files, then the manifest (the old manifest is removed first). */
export function writeCache(dir: string, raw: RawDataset, meta: Omit<CacheManifest, 'trainCount' | 'testCount' | 'format'>): void {
  fs.rmSync(path.join(dir, 'manifest.json'), { force: true });
  writeSplit(dir, FILES.trainX, FILES.trainY, raw.train);
  writeSplit(dir, FILES.testX, FILES.testY, raw.test);
  const manifest: CacheManifest = { format: CACHE_FORMAT, ...meta, trainCount: raw.train.count, testCount: raw.test.count };
  writeJsonAtomic(path.join(dir, 'manifest.json'), manifest);
}

function writeSplit(dir: string, xName: string, yName: string, split: Split): void {
  writeFileAtomic(path.join(dir, xName), new Uint8Array(split.x.buffer, split.x.byteOffset, split.x.byteLength));
  writeFileAtomic(path.join(dir, yName), new Uint8Array(split.y.buffer, split.y.byteOffset, split.y.byteLength));
}
