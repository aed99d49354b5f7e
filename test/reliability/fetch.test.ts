// Hostile downloads (docs/reliability.md), against the 127.0.0.1 test server: an endless body, a
// body longer than its Content-Length says, a server dripping one byte at a time, decompression
// bombs (tar.gz, zip, gz), `--from /dev/zero`, and two fetches of one dataset at once.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fetchDatasets, type FetchOptions } from '../../src/data/fetch/fetch';
import { claimFetch, fetchLockPath } from '../../src/data/fetch/lock';
import { silentReporter } from '../../src/data/fetch/progress';
import type { DatasetSource, Download } from '../../src/data/fetch/sources';
import { UserError } from '../../src/util/errors';
import { makeTarGz, makeZip } from '../fetch/archives';
import { startServer, type Mode, type TestServer } from '../fetch/server';

let server: TestServer;
let root: string;
const lines: string[] = [];
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-rel-fetch-'));
  server.routes.clear();
  lines.length = 0;
});

function source(name: string, body: Buffer, d: Partial<Download> & Pick<Download, 'kind' | 'members'>, mode?: Mode): DatasetSource {
  const file = d.kind === 'zip' ? 'x.zip' : d.kind === 'gz' ? 'x.gz' : 'x.tar.gz';
  server.routes.set(`/${name}/${file}`, { body, mode });
  return { name, description: 'test', downloads: [{ url: `${server.url}/${name}/${file}`, file, ...d }] };
}

function options(sources: DatasetSource[], http: FetchOptions['http'] = {}): FetchOptions {
  return {
    root,
    sources,
    reporter: silentReporter(lines),
    http: { backoffMs: 5, maxAttempts: 2, idleTimeoutMs: 5000, ...http },
    buildCache: async () => undefined,
  };
}

async function failure(p: Promise<unknown>): Promise<UserError> {
  const err = await p.then(
    () => new Error('expected a failure'),
    (e) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  return err as UserError;
}

/** Files left under the root, except the empty-by-now folders. */
function leftovers(): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else out.push(r);
    }
  };
  walk(root, '');
  return out.sort();
}

describe('download bounds', () => {
  it('an endless body stops at the expected size: error, nothing kept', async () => {
    const src = source('endless', Buffer.alloc(64 * 1024, 7), { kind: 'gz', bytes: 100_000, members: { '': 'x.bin' } }, 'endless');
    const t0 = Date.now();
    const err = await failure(fetchDatasets('endless', options([src])));
    expect(err.message).toMatch(/the server sends \d+ bytes or more, but the file has 100000 \(stopped; nothing kept\)/);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(leftovers()).toEqual([]);
  });

  it('a Content-Length above the expected size is refused before any byte is written', async () => {
    const src = source('long', Buffer.alloc(5000, 1), { kind: 'gz', bytes: 4000, members: { '': 'x.bin' } });
    const err = await failure(fetchDatasets('long', options([src])));
    expect(err.message).toMatch(/sends 5000 bytes or more, but the file has 4000/);
    expect(leftovers()).toEqual([]);
  });

  it('a download of unknown size is bounded by twice its rough size', async () => {
    const src = source('rough', Buffer.alloc(64 * 1024, 7), { kind: 'gz', approxBytes: 50_000, members: { '': 'x.bin' } }, 'endless');
    const err = await failure(fetchDatasets('rough', options([src])));
    expect(err.message).toMatch(/but the file has 100000 \(stopped/);
  });

  it('a server dripping one byte at a time is dropped as too slow, and the stalls are counted (bounded retries)', async () => {
    const src = source('drip', Buffer.alloc(100_000, 3), { kind: 'gz', bytes: 100_000, members: { '': 'x.bin' } }, 'drip');
    const t0 = Date.now();
    const err = await failure(fetchDatasets('drip', options([src], { idleTimeoutMs: 600, maxAttempts: 2 })));
    expect(err.message).toMatch(/failed after 2 attempts: only \d+ bytes in 0\.6 s after \d+ bytes \(too slow\)/);
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(server.routes.get('/drip/x.gz')!.served).toBe(2);
  });

  it('--from /dev/zero is refused at once (not a regular file)', async () => {
    const src = source('zero', Buffer.alloc(10), { kind: 'gz', bytes: 10, members: { '': 'x.bin' } });
    const err = await failure(fetchDatasets('zero', { ...options([src]), from: '/dev/zero' }));
    expect(err.message).toBe('--from /dev/zero: not a regular file (expected x.gz)');
  });
});

describe('decompression bombs', () => {
  const bomb = Buffer.alloc(8 * 1024 * 1024); // zeros: compresses to a few KiB
  const limit = 1024 * 1024;

  it('tar.gz: a wanted member past the limit stops extraction; no dataset folder, no temp folder', async () => {
    const tgz = makeTarGz([{ name: 'data/train.txt', data: bomb }]);
    expect(tgz.length).toBeLessThan(64 * 1024);
    const src = source('tarbomb', tgz, { kind: 'tar.gz', bytes: tgz.length, maxExtractedBytes: limit, members: { 'data/train.txt': 'train.txt' } });
    const err = await failure(fetchDatasets('tarbomb', options([src])));
    expect(err.message).toMatch(/x\.tar\.gz: member train\.txt expand past 1048576 bytes, the limit for this download \(a damaged archive or a decompression bomb\); nothing extracted/);
    expect(fs.existsSync(path.join(root, 'tarbomb'))).toBe(false);
    expect(fs.readdirSync(root).filter((f) => f.includes('extract'))).toEqual([]);
  });

  it('tar.gz: members each under the limit but together past it', async () => {
    const part = Buffer.alloc(700 * 1024);
    const tgz = makeTarGz([
      { name: 'a.txt', data: part },
      { name: 'b.txt', data: part },
    ]);
    const src = source('tarsum', tgz, { kind: 'tar.gz', bytes: tgz.length, maxExtractedBytes: limit, members: { 'a.txt': 'a.txt', 'b.txt': 'b.txt' } });
    const err = await failure(fetchDatasets('tarsum', options([src])));
    expect(err.message).toMatch(/the members expand past 1048576 bytes/);
  });

  it('zip: a member whose directory entry says it is too large is refused before inflating', async () => {
    const zip = makeZip([{ name: 'train.txt', data: bomb }]);
    const src = source('zipbomb', zip, { kind: 'zip', bytes: zip.length, maxExtractedBytes: limit, members: { 'train.txt': 'train.txt' } });
    const err = await failure(fetchDatasets('zipbomb', options([src])));
    expect(err.message).toMatch(/member train\.txt says it expands to 8388608 bytes, past 1048576/);
    expect(fs.existsSync(path.join(root, 'zipbomb'))).toBe(false);
  });

  it('gz: the single member past the limit', async () => {
    const gz = zlib.gzipSync(bomb);
    const src = source('gzbomb', gz, { kind: 'gz', bytes: gz.length, maxExtractedBytes: limit, members: { '': 'x.bin' } });
    const err = await failure(fetchDatasets('gzbomb', options([src])));
    expect(err.message).toMatch(/member x\.bin expand past 1048576 bytes/);
    expect(fs.existsSync(path.join(root, 'gzbomb'))).toBe(false);
  });
});

describe('one fetch per dataset at a time', () => {
  it('a second fetch of a dataset being fetched exits 75 and touches nothing; a dead holder is taken over', async () => {
    const gz = zlib.gzipSync(Buffer.from('hello'));
    const src = source('twice', gz, { kind: 'gz', bytes: gz.length, members: { '': 'x.bin' } });
    const release = claimFetch(root, 'twice');
    try {
      const err = await failure(fetchDatasets('twice', options([src])));
      expect(err.exitCode).toBe(75);
      expect(err.message).toMatch(new RegExp(`^twice: another \`ldr data fetch\` is fetching it \\(pid ${process.pid} on `));
      expect(server.routes.get('/twice/x.gz')!.served ?? 0).toBe(0);
    } finally {
      release();
    }
    expect(fs.existsSync(fetchLockPath(root, 'twice'))).toBe(false);
    fs.mkdirSync(path.dirname(fetchLockPath(root, 'twice')), { recursive: true });
    fs.writeFileSync(fetchLockPath(root, 'twice'), JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), startedAt: 'then' }));
    await fetchDatasets('twice', options([src]));
    expect(fs.readFileSync(path.join(root, 'twice', 'x.bin'), 'utf8')).toBe('hello');
    expect(fs.existsSync(fetchLockPath(root, 'twice'))).toBe(false);
  });
});
