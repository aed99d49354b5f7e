// `ldr data fetch / verify / list` against a local HTTP server on 127.0.0.1 serving archives
// built by the tests in each dataset's original format. The sources table is the real one with
// its URLs pointed at the local server and its checksums replaced by those of the fixtures;
// nothing reaches beyond the loopback. After each scenario the folder state is checked exactly.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fetchDatasets, type FetchOptions } from '../src/data/fetch/fetch';
import { silentReporter } from '../src/data/fetch/progress';
import { SOURCES, targetFiles, type DatasetSource } from '../src/data/fetch/sources';
import { cacheIsFresh, loaderModule } from '../src/data/fetch/loader';
import { writeCache } from '../src/data/cache';
import { CATALOG } from '../src/data/catalog';
import { cacheKey } from '../src/data/load';
import { datasetStatus } from '../src/data/fetch/status';
import { verifyDatasets } from '../src/data/fetch/verify';
import { UserError } from '../src/util/errors';
import { amatText, bytes, makeTarGz, makeZip, type Member } from './fetch/archives';
import { startServer, type Mode, type TestServer } from './fetch/server';

const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const sha1 = (b: Buffer) => crypto.createHash('sha1').update(b).digest('hex');

function real(name: string): DatasetSource {
  const s = SOURCES.find((x) => x.name === name);
  if (!s) throw new Error(`no source ${name}`);
  return s;
}

// --- fixtures: the original layouts, tiny ---------------------------------------------------

const BG_ROT_TRAIN = amatText(6, 1);
const BG_ROT_TEST = amatText(4, 2);
const bgRotZip = makeZip([
  { name: 'mnist_all_background_images_rotation_normalized_train_valid.amat', data: BG_ROT_TRAIN },
  { name: 'mnist_all_background_images_rotation_normalized_test.amat', data: BG_ROT_TEST },
]);

const NOISE_1 = amatText(5, 3);
const noiseTgz = makeTarGz(
  [1, 2, 3].map((v) => ({ name: `mnist_noise_variations_all_${v}.amat`, data: v === 1 ? NOISE_1 : amatText(2, 10 + v) })),
);

const RECT_TRAIN = amatText(3, 4);
const RECT_TEST = amatText(2, 5);
const rectZipStored = makeZip(
  [
    { name: 'rectangles_train.amat', data: RECT_TRAIN },
    { name: 'rectangles_test.amat', data: RECT_TEST },
  ],
  0,
);

const CIFAR_BINS: Member[] = ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch'].map(
  (b, i) => ({ name: `cifar-10-batches-bin/${b}.bin`, data: bytes(3073 * 3, 100 + i) }),
);
const cifarTgz = makeTarGz(
  [...CIFAR_BINS, { name: 'cifar-10-batches-bin/batches.meta.txt', data: Buffer.from('airplane\n') }, { name: 'cifar-10-batches-bin/readme.html', data: Buffer.from('<p/>') }],
  { dirs: ['cifar-10-batches-bin'] },
);

// Two of the 24 NORB files (the real table entries, URLs rewritten): a 24-byte header + data.
const NORB_DAT = bytes(24 + 2 * 108 * 108 * 2, 7);
const NORB_CAT = bytes(24 + 4 * 2, 8);

const PTB = { train: Buffer.from(' the cat sat \n a <unk> ran \n'), valid: Buffer.from(' the dog \n'), test: Buffer.from(' a cat \n') };
const ptbTgz = makeTarGz(
  [
    { name: './simple-examples/data/ptb.train.txt', data: PTB.train },
    { name: './simple-examples/data/ptb.valid.txt', data: PTB.valid },
    { name: './simple-examples/data/ptb.test.txt', data: PTB.test },
    { name: './simple-examples/data/ptb.char.train.txt', data: Buffer.from('t h e') },
    { name: './simple-examples/' + 'x'.repeat(120) + '/README', data: Buffer.from('long name') },
  ],
  { dirs: ['./simple-examples', './simple-examples/data'], gnuLongNames: true },
);

// --- helpers ----------------------------------------------------------------------------------

let server: TestServer;
let root: string;
let lines: string[];
let cacheCalls: string[];

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-fetch-'));
  lines = [];
  cacheCalls = [];
  server.routes.clear();
  server.redirects.clear();
  server.log.length = 0;
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

type Evidence = 'sha256' | 'sha1' | 'size' | 'none';

/** The real source `name`, served locally: bodies[i] is downloads[i]'s content; checksums of `evidence`. */
function serve(name: string, bodies: Buffer[], opts: { evidence?: Evidence; mode?: Mode; served?: Buffer[]; count?: number } = {}): DatasetSource {
  const src = real(name);
  const downloads = src.downloads.slice(0, opts.count ?? src.downloads.length).map((d, i) => {
    const body = bodies[i];
    const urlPath = `/files/${name}/${d.file}`;
    server.routes.set(urlPath, { body: opts.served?.[i] ?? body, mode: opts.mode });
    const evidence = opts.evidence ?? 'sha256';
    return {
      ...d,
      url: `${server.url}${urlPath}`,
      bytes: evidence === 'none' ? undefined : body.length,
      sha256: evidence === 'sha256' ? sha256(body) : undefined,
      sha1: evidence === 'sha1' ? sha1(body) : undefined,
    };
  });
  return { ...src, downloads };
}

function options(sources: DatasetSource[], extra: Partial<FetchOptions> = {}): FetchOptions {
  return {
    root,
    sources,
    reporter: silentReporter(lines),
    http: { backoffMs: 5, maxAttempts: 3, idleTimeoutMs: 5000 },
    buildCache: async (name) => {
      cacheCalls.push(name);
      return `${name}: cache built`;
    },
    ...extra,
  };
}

/** Every file and folder under `dir` (folders end in '/'), sorted: the exact folder state. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        out.push(`${r}/`);
        walk(path.join(d, e.name), r);
      } else out.push(r);
    }
  };
  walk(dir, '');
  return out.sort();
}

function datasetTree(name: string, files: string[]): string[] {
  const dirs = new Set<string>([`${name}/`]);
  for (const f of files) {
    const parts = f.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(`${name}/${parts.slice(0, i).join('/')}/`);
  }
  return [...dirs, ...files.map((f) => `${name}/${f}`), `${name}/.fetch-manifest.json`].sort();
}

async function failure(p: Promise<unknown>): Promise<UserError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return err as UserError;
  }
  throw new Error('expected a UserError');
}

const read = (...p: string[]) => fs.readFileSync(path.join(root, ...p));
const manifest = (name: string) => JSON.parse(fs.readFileSync(path.join(root, name, '.fetch-manifest.json'), 'utf8'));

// --- the table itself -------------------------------------------------------------------------

describe('sources table', () => {
  it('covers every downloadable catalog dataset with exactly the files its loader expects', async () => {
    const { CATALOG } = await import('../src/data/catalog');
    for (const entry of CATALOG.filter((d) => !d.builtin)) {
      const src = real(entry.name);
      expect(new Set(targetFiles(src))).toEqual(new Set(entry.files));
      expect(targetFiles(src)).toHaveLength(entry.files.length);
    }
    expect(targetFiles(real('ptb'))).toEqual(['ptb.train.txt', 'ptb.valid.txt', 'ptb.test.txt']);
    expect(targetFiles(real('wikitext-2'))).toEqual(['wiki.train.tokens', 'wiki.valid.tokens', 'wiki.test.tokens']);
  });

  it('records some evidence for every download, in well-formed hex', () => {
    for (const s of SOURCES) {
      for (const d of s.downloads) {
        expect(d.sha256 !== undefined || d.sha1 !== undefined || d.bytes !== undefined).toBe(true);
        if (d.sha256) expect(d.sha256).toMatch(/^[0-9a-f]{64}$/);
        if (d.sha1) expect(d.sha1).toMatch(/^[0-9a-f]{40}$/);
        expect(new URL(d.url).pathname.endsWith('/' + d.file)).toBe(true);
        if (d.kind === 'gz') expect(Object.keys(d.members)).toEqual(['']);
      }
    }
    expect(real('norb').downloads).toHaveLength(24);
  });
});

// --- normal fetches, one per original format --------------------------------------------------

describe('fetch', () => {
  it('zip (deflate): MNIST-bg-rot .amat files land in place, manifest records their SHA-256', async () => {
    const src = serve('mnist-bg-rot', [bgRotZip], { evidence: 'sha1' });
    await fetchDatasets('mnist-bg-rot', options([src]));
    const files = targetFiles(src);
    expect(tree(root)).toEqual(datasetTree('mnist-bg-rot', files));
    expect(read('mnist-bg-rot', files[0])).toEqual(BG_ROT_TRAIN);
    expect(read('mnist-bg-rot', files[1])).toEqual(BG_ROT_TEST);
    const m = manifest('mnist-bg-rot');
    expect(m.files).toEqual([
      { path: files[0], bytes: BG_ROT_TRAIN.length, sha256: sha256(BG_ROT_TRAIN) },
      { path: files[1], bytes: BG_ROT_TEST.length, sha256: sha256(BG_ROT_TEST) },
    ]);
    expect(m.downloads[0]).toMatchObject({ file: 'mnist_rotation_back_image_new.zip', bytes: bgRotZip.length, sha256: sha256(bgRotZip), checkedWith: 'sha1' });
    expect(m.verifiedAt).toBeDefined();
    // SHA-1 only: the observed SHA-256 is printed so that it can be pinned.
    expect(lines.some((l) => l.includes(sha256(bgRotZip)) && l.includes('pin it'))).toBe(true);
    expect(cacheCalls).toEqual(['mnist-bg-rot']);
    expect(server.log.map((r) => r.path)).toEqual(['/files/mnist-bg-rot/mnist_rotation_back_image_new.zip']);
  });

  it('zip (stored): Rectangles', async () => {
    const src = serve('rectangles', [rectZipStored]);
    await fetchDatasets('rectangles', options([src]));
    expect(tree(root)).toEqual(datasetTree('rectangles', ['rectangles_train.amat', 'rectangles_test.amat']));
    expect(read('rectangles', 'rectangles_test.amat')).toEqual(RECT_TEST);
  });

  it('tar.gz: CIFAR-10 batches keep their sub-folder; other members are not extracted', async () => {
    const src = serve('cifar10', [cifarTgz]);
    await fetchDatasets('cifar10', options([src]));
    expect(tree(root)).toEqual(datasetTree('cifar10', CIFAR_BINS.map((m) => m.name)));
    for (const m of CIFAR_BINS) expect(read('cifar10', m.name)).toEqual(m.data);
    expect(lines.some((l) => l.includes('SHA-256 ok'))).toBe(true);
  });

  it('tar.gz with one variation of six: MNIST-noise', async () => {
    const src = serve('mnist-noise', [noiseTgz]);
    await fetchDatasets('mnist-noise', options([src]));
    expect(tree(root)).toEqual(datasetTree('mnist-noise', ['mnist_noise_variations_all_1.amat']));
    expect(read('mnist-noise', 'mnist_noise_variations_all_1.amat')).toEqual(NOISE_1);
  });

  it('tgz with ./ paths and GNU long names: PTB', async () => {
    const src = serve('ptb', [ptbTgz], { evidence: 'size' });
    await fetchDatasets('ptb', options([src]));
    expect(tree(root)).toEqual(datasetTree('ptb', ['ptb.train.txt', 'ptb.valid.txt', 'ptb.test.txt']));
    expect(read('ptb', 'ptb.train.txt')).toEqual(PTB.train);
    expect(read('ptb', 'ptb.test.txt')).toEqual(PTB.test);
    // Size-only evidence: fetched, but not "verified"; the SHA-256 to pin is printed.
    expect(manifest('ptb').verifiedAt).toBeUndefined();
    expect(lines.some((l) => l.includes('size ok') && l.includes(sha256(ptbTgz)))).toBe(true);
  });

  it('plain .gz per file: NORB', async () => {
    const gz = [zlib.gzipSync(NORB_DAT), zlib.gzipSync(NORB_CAT)];
    const src = serve('norb', gz, { count: 2, evidence: 'sha1' });
    await fetchDatasets('norb', options([src]));
    const files = targetFiles(src);
    expect(files).toHaveLength(2);
    expect(tree(root)).toEqual(datasetTree('norb', files));
    expect(read('norb', files[0])).toEqual(NORB_DAT);
    expect(read('norb', files[1])).toEqual(NORB_CAT);
  });

  it('follows redirects', async () => {
    const src = serve('rectangles', [rectZipStored]);
    const target = new URL(src.downloads[0].url).pathname;
    server.redirects.set('/moved/rectangles.zip', target);
    src.downloads[0] = { ...src.downloads[0], url: `${server.url}/moved/rectangles.zip` };
    await fetchDatasets('rectangles', options([src]));
    expect(server.log.map((r) => r.path)).toEqual(['/moved/rectangles.zip', target]);
    expect(tree(root)).toEqual(datasetTree('rectangles', ['rectangles_train.amat', 'rectangles_test.amat']));
  });

  it('does nothing the second time (no request), and refetches with --force', async () => {
    const src = serve('rectangles', [rectZipStored]);
    await fetchDatasets('rectangles', options([src]));
    server.log.length = 0;
    await fetchDatasets('rectangles', options([src]));
    expect(server.log).toEqual([]);
    expect(lines.some((l) => l.includes('already fetched'))).toBe(true);
    expect(cacheCalls).toEqual(['rectangles', 'rectangles']);
    await fetchDatasets('rectangles', options([src], { force: true }));
    expect(server.log).toHaveLength(1);
    expect(tree(root)).toEqual(datasetTree('rectangles', ['rectangles_train.amat', 'rectangles_test.amat']));
  });

  it('--keep-downloads keeps the verified archive', async () => {
    const src = serve('rectangles', [rectZipStored]);
    await fetchDatasets('rectangles', options([src], { keepDownloads: true }));
    expect(tree(root)).toEqual(
      [...datasetTree('rectangles', ['rectangles_train.amat', 'rectangles_test.amat']), '.downloads/', '.downloads/rectangles/', '.downloads/rectangles/rectangles.zip'].sort(),
    );
    expect(read('.downloads', 'rectangles', 'rectangles.zip')).toEqual(rectZipStored);
  });

  it('--mirror replaces scheme and host, keeps the path (and prefixes the mirror path)', async () => {
    const src = serve('rectangles', [rectZipStored]);
    const original = `http://example.invalid/~lisa/icml2007data/rectangles.zip`;
    server.routes.set('/cache/~lisa/icml2007data/rectangles.zip', { body: rectZipStored });
    src.downloads[0] = { ...src.downloads[0], url: original };
    await fetchDatasets('rectangles', options([src], { mirror: `${server.url}/cache/` }));
    expect(server.log.map((r) => r.path)).toEqual(['/cache/~lisa/icml2007data/rectangles.zip']);
    expect(read('rectangles', 'rectangles_train.amat')).toEqual(RECT_TRAIN);
    const { mirrorUrl } = await import('../src/data/fetch/resolve');
    expect(mirrorUrl('https://www.cs.toronto.edu/~kriz/c.tar.gz?x=1', 'http://proxy:8080')).toBe('http://proxy:8080/~kriz/c.tar.gz?x=1');
    expect(() => mirrorUrl('http://a/b', 'proxy')).toThrow(/--mirror: expected a URL/);
  });

  it('--from uses a local archive: no request, the file is left untouched', async () => {
    const src = serve('cifar10', [cifarTgz]);
    const local = path.join(os.tmpdir(), `ldr-from-${process.pid}.tar.gz`);
    fs.writeFileSync(local, cifarTgz);
    try {
      await fetchDatasets('cifar10', options([src], { from: local }));
      expect(server.log).toEqual([]);
      expect(fs.readFileSync(local)).toEqual(cifarTgz);
      expect(tree(root)).toEqual(datasetTree('cifar10', CIFAR_BINS.map((m) => m.name)));
      // A wrong local file is refused, and neither moved nor renamed.
      const bad = Buffer.from(cifarTgz);
      bad[bad.length - 5] ^= 0xff;
      fs.writeFileSync(local, bad);
      fs.rmSync(path.join(root, 'cifar10'), { recursive: true });
      const err = await failure(fetchDatasets('cifar10', options([src], { from: local })));
      expect(err.message).toMatch(/SHA-256 mismatch for cifar-10-binary\.tar\.gz: expected [0-9a-f]{64}, got [0-9a-f]{64} \(--from .*; nothing extracted\)/);
      expect(fs.readFileSync(local)).toEqual(bad);
      expect(tree(root)).toEqual([]);
    } finally {
      fs.rmSync(local, { force: true });
    }
  });

  it('accepts an extra top-level folder in the archive, refuses two candidates for one file', async () => {
    const nested = makeTarGz([{ name: 'mnist_noise_variation/mnist_noise_variations_all_1.amat', data: NOISE_1 }], { dirs: ['mnist_noise_variation'] });
    await fetchDatasets('mnist-noise', options([serve('mnist-noise', [nested])]));
    expect(read('mnist-noise', 'mnist_noise_variations_all_1.amat')).toEqual(NOISE_1);
    const nestedZip = makeZip([
      { name: 'rectangles/rectangles_train.amat', data: RECT_TRAIN },
      { name: 'rectangles/rectangles_test.amat', data: RECT_TEST },
    ]);
    await fetchDatasets('rectangles', options([serve('rectangles', [nestedZip])]));
    expect(read('rectangles', 'rectangles_test.amat')).toEqual(RECT_TEST);
    const twice = makeZip([
      { name: 'rectangles_train.amat', data: RECT_TRAIN },
      { name: 'old/rectangles_train.amat', data: RECT_TEST },
      { name: 'rectangles_test.amat', data: RECT_TEST },
    ]);
    const err = await failure(fetchDatasets('rectangles', options([serve('rectangles', [twice])], { force: true })));
    expect(err.message).toMatch(/rectangles\.zip: more than one member matches rectangles_train\.amat \(rectangles_train\.amat, old\/rectangles_train\.amat\)$/);
    // The earlier fetch stays intact.
    expect(read('rectangles', 'rectangles_test.amat')).toEqual(RECT_TEST);
    expect(tree(root).filter((f) => f.includes('extract'))).toEqual([]);
  });

  it('a disk error while downloading is reported at once, not retried', async () => {
    const src = serve('rectangles', [rectZipStored]);
    fs.mkdirSync(path.join(root, '.downloads', 'rectangles', 'rectangles.zip.part'), { recursive: true });
    fs.writeFileSync(path.join(root, '.downloads', 'rectangles', 'rectangles.zip.part', 'x'), 'x');
    const err = await failure(fetchDatasets('rectangles', options([src])));
    expect(err.message).toMatch(/^cannot write .*rectangles\.zip\.part: EISDIR/);
    expect(server.log).toHaveLength(1);
  });

  it('fetch all continues past a failure and reports it at the end', async () => {
    const rect = serve('rectangles', [rectZipStored]);
    const ptb = serve('ptb', [ptbTgz]);
    server.routes.delete(new URL(ptb.downloads[0].url).pathname);
    const err = await failure(fetchDatasets('all', options([ptb, rect])));
    expect(err.message).toBe('1 of 2 datasets failed: ptb (messages above)');
    expect(lines.some((l) => l.startsWith('ptb: FAILED: HTTP 404'))).toBe(true);
    expect(tree(root)).toEqual(datasetTree('rectangles', ['rectangles_train.amat', 'rectangles_test.amat']));
  });
});

// --- failures ---------------------------------------------------------------------------------

describe('fetch failures', () => {
  it('resumes with a Range request after the connection drops mid-body', async () => {
    const src = serve('cifar10', [cifarTgz], { mode: 'drop-once' });
    await fetchDatasets('cifar10', options([src]));
    const half = Math.floor(cifarTgz.length / 2);
    expect(server.log).toEqual([
      { path: '/files/cifar10/cifar-10-binary.tar.gz' },
      { path: '/files/cifar10/cifar-10-binary.tar.gz', range: `bytes=${half}-` },
    ]);
    expect(lines.some((l) => /connection (dropped|error) after \d+ bytes; retry 1/.test(l))).toBe(true);
    expect(tree(root)).toEqual(datasetTree('cifar10', CIFAR_BINS.map((m) => m.name)));
    for (const m of CIFAR_BINS) expect(read('cifar10', m.name)).toEqual(m.data);
  });

  it('resumes a .part left by an earlier run, and starts over when the server ignores Range', async () => {
    const src = serve('rectangles', [rectZipStored]);
    fs.mkdirSync(path.join(root, '.downloads', 'rectangles'), { recursive: true });
    fs.writeFileSync(path.join(root, '.downloads', 'rectangles', 'rectangles.zip.part'), rectZipStored.subarray(0, 100));
    await fetchDatasets('rectangles', options([src]));
    expect(server.log).toEqual([{ path: '/files/rectangles/rectangles.zip', range: 'bytes=100-' }]);
    expect(tree(root)).toEqual(datasetTree('rectangles', ['rectangles_train.amat', 'rectangles_test.amat']));

    fs.rmSync(path.join(root, 'rectangles'), { recursive: true });
    server.log.length = 0;
    const src2 = serve('rectangles', [rectZipStored], { mode: 'no-range' });
    fs.mkdirSync(path.join(root, '.downloads', 'rectangles'), { recursive: true });
    fs.writeFileSync(path.join(root, '.downloads', 'rectangles', 'rectangles.zip.part'), Buffer.alloc(100, 7));
    await fetchDatasets('rectangles', options([src2]));
    expect(read('rectangles', 'rectangles_test.amat')).toEqual(RECT_TEST);
    expect(tree(root)).toEqual(datasetTree('rectangles', ['rectangles_train.amat', 'rectangles_test.amat']));
  });

  it('checksum mismatch: the download is kept as .bad, nothing is extracted, expected vs actual', async () => {
    const corrupt = Buffer.from(cifarTgz);
    corrupt[200] ^= 0x01;
    const src = serve('cifar10', [cifarTgz], { served: [corrupt] });
    const err = await failure(fetchDatasets('cifar10', options([src])));
    expect(err.message).toBe(
      `SHA-256 mismatch for cifar-10-binary.tar.gz: expected ${sha256(cifarTgz)}, got ${sha256(corrupt)} ` +
        `(from ${src.downloads[0].url}; kept as ${path.join(root, '.downloads', 'cifar10', 'cifar-10-binary.tar.gz.bad')}; nothing extracted)`,
    );
    expect(tree(root)).toEqual(['.downloads/', '.downloads/cifar10/', '.downloads/cifar10/cifar-10-binary.tar.gz.bad']);
    expect(read('.downloads', 'cifar10', 'cifar-10-binary.tar.gz.bad')).toEqual(corrupt);
    expect(cacheCalls).toEqual([]);
  });

  it('SHA-1 and size mismatches are reported the same way', async () => {
    const corrupt = Buffer.from(bgRotZip);
    corrupt[40] ^= 0x80;
    const src = serve('mnist-bg-rot', [bgRotZip], { evidence: 'sha1', served: [corrupt] });
    const err = await failure(fetchDatasets('mnist-bg-rot', options([src])));
    expect(err.message).toContain(`SHA-1 mismatch for mnist_rotation_back_image_new.zip: expected ${sha1(bgRotZip)}, got ${sha1(corrupt)}`);
    const short = ptbTgz.subarray(0, ptbTgz.length - 10);
    const ptb = serve('ptb', [ptbTgz], { evidence: 'size', served: [short] });
    const err2 = await failure(fetchDatasets('ptb', options([ptb])));
    expect(err2.message).toContain(`size mismatch for simple-examples.tgz: expected ${ptbTgz.length} bytes, got ${short.length}`);
    expect(tree(root)).toEqual([
      '.downloads/',
      '.downloads/mnist-bg-rot/',
      '.downloads/mnist-bg-rot/mnist_rotation_back_image_new.zip.bad',
      '.downloads/ptb/',
      '.downloads/ptb/simple-examples.tgz.bad',
    ]);
  });

  it('404: one line with the URL and the status, nothing left behind', async () => {
    const src = serve('rectangles', [rectZipStored]);
    server.routes.clear();
    const err = await failure(fetchDatasets('rectangles', options([src])));
    expect(err.message).toBe(`HTTP 404 Not Found from ${src.downloads[0].url}`);
    expect(server.log).toHaveLength(1); // not retried
    expect(tree(root)).toEqual([]);
  });

  it('a server that drops every connection: bounded retries, then a clear error', async () => {
    const src = serve('rectangles', [rectZipStored], { mode: 'drop-always' });
    const err = await failure(fetchDatasets('rectangles', options([src])));
    expect(err.message).toMatch(new RegExp(`^download of ${src.downloads[0].url.replace(/[.]/g, '\\.')} failed after 3 attempts: .+`));
    expect(err.exitCode).toBe(1);
    expect(server.log).toHaveLength(3);
    expect(tree(root)).toEqual([]);

    server.log.length = 0;
    const src2 = serve('rectangles', [rectZipStored], { mode: 'drop-headers' });
    const err2 = await failure(fetchDatasets('rectangles', options([src2])));
    expect(err2.message).toMatch(/failed after 3 attempts: connection (dropped|error) after 0 bytes/);
    expect(server.log).toHaveLength(3);
    expect(tree(root)).toEqual([]);
  });

  it('an archive lacking a member: nothing extracted, no temp folder; stale temp folders are cleared', async () => {
    const partial = makeZip([{ name: 'rectangles_train.amat', data: RECT_TRAIN }]);
    fs.mkdirSync(path.join(root, '.rectangles.extract-999999', 'junk'), { recursive: true });
    const src = serve('rectangles', [partial]);
    const err = await failure(fetchDatasets('rectangles', options([src])));
    expect(err.message).toBe('rectangles.zip does not contain rectangles_test.amat (nothing extracted)');
    // The verified download stays for the next try; no dataset folder, no extraction folder.
    expect(tree(root)).toEqual(['.downloads/', '.downloads/rectangles/', '.downloads/rectangles/rectangles.zip']);
  });

  it('an archive checked by size only that fails to extract is set aside as .bad', async () => {
    const notTgz = bytes(ptbTgz.length, 5);
    const src = serve('ptb', [notTgz], { evidence: 'size' });
    const err = await failure(fetchDatasets('ptb', options([src])));
    const kept = path.join(root, '.downloads', 'ptb', 'simple-examples.tgz');
    expect(err.message).toBe(`${kept}: not a valid .tar.gz file (incorrect header check) (no checksum on record for it: kept as ${kept}.bad)`);
    expect(tree(root)).toEqual(['.downloads/', '.downloads/ptb/', '.downloads/ptb/simple-examples.tgz.bad']);
  });

  it('a damaged member (CRC) fails extraction and leaves no dataset folder', async () => {
    const zip = makeZip([
      { name: 'rectangles_train.amat', data: RECT_TRAIN },
      { name: 'rectangles_test.amat', data: RECT_TEST },
    ], 0);
    // Flip a byte inside the stored data of the first member, then pin the damaged archive's hash.
    zip[30 + 'rectangles_train.amat'.length + 5] ^= 0x01;
    const src = serve('rectangles', [zip]);
    const err = await failure(fetchDatasets('rectangles', options([src])));
    expect(err.message).toMatch(/rectangles\.zip: member rectangles_train\.amat is damaged \(size \d+, expected \d+; CRC-32 [0-9a-f]{8}, expected [0-9a-f]{8}\)/);
    expect(tree(root)).toEqual(['.downloads/', '.downloads/rectangles/', '.downloads/rectangles/rectangles.zip']);
  });

  it('unknown and built-in names', async () => {
    const err = await failure(fetchDatasets('mnist-rot', options([...SOURCES])));
    expect(err.message).toBe('unknown dataset "mnist-rot": expected one of mnist-bg-rot, mnist-noise, rectangles, cifar10, norb, ptb, wikitext-2, all');
    const err2 = await failure(fetchDatasets('digits-noise', options([...SOURCES])));
    expect(err2.message).toMatch(/^dataset "digits-noise" is built in/);
    expect(tree(root)).toEqual([]);
  });
});

// --- verify and list --------------------------------------------------------------------------

describe('verify and list', () => {
  it('verify re-hashes against the manifest and names every differing file', async () => {
    const src = serve('cifar10', [cifarTgz]);
    await expect(verifyDatasets('cifar10', { root, sources: [src], reporter: silentReporter(lines) })).rejects.toThrow(
      /cifar10 is not downloaded in .*: run `ldr data fetch cifar10`/,
    );
    await fetchDatasets('cifar10', options([src]));
    const before = manifest('cifar10').verifiedAt;
    await new Promise((r) => setTimeout(r, 5));
    await verifyDatasets('cifar10', { root, sources: [src], reporter: silentReporter(lines) });
    expect(lines.at(-1)).toBe('cifar10: 6 files match the manifest (SHA-256)');
    expect(manifest('cifar10').verifiedAt > before).toBe(true);

    const first = path.join(root, 'cifar10', CIFAR_BINS[0].name);
    const changed = Buffer.from(CIFAR_BINS[0].data);
    changed[0] ^= 1;
    fs.writeFileSync(first, changed);
    fs.rmSync(path.join(root, 'cifar10', CIFAR_BINS[5].name));
    const err = await failure(verifyDatasets('cifar10', { root, sources: [src], reporter: silentReporter(lines) }));
    expect(err.message).toBe(
      `cifar10: 2 files differ from the manifest: ${CIFAR_BINS[0].name}: SHA-256 expected ${sha256(CIFAR_BINS[0].data)}, got ${sha256(changed)}; ${CIFAR_BINS[5].name}: missing`,
    );
  });

  it('list: built-in, missing, partial (resumable), verified, downloaded, damaged, cached', async () => {
    const rect = serve('rectangles', [rectZipStored]);
    const ptb = serve('ptb', [ptbTgz], { evidence: 'size' });
    const cifar = serve('cifar10', [cifarTgz]);
    const noise = serve('mnist-noise', [noiseTgz]);
    const bg = serve('mnist-bg-rot', [bgRotZip]);
    const norb = serve('norb', [zlib.gzipSync(NORB_DAT), zlib.gzipSync(NORB_CAT)], { count: 2 });
    const sources = [rect, ptb, cifar, noise, bg, norb];
    await fetchDatasets('rectangles', options(sources));
    await fetchDatasets('ptb', options(sources));
    await fetchDatasets('cifar10', options(sources));
    await fetchDatasets('mnist-noise', options(sources));
    fs.appendFileSync(path.join(root, 'cifar10', CIFAR_BINS[0].name), 'x');
    fs.mkdirSync(path.join(root, '.downloads', 'mnist-bg-rot'), { recursive: true });
    fs.writeFileSync(path.join(root, '.downloads', 'mnist-bg-rot', 'mnist_rotation_back_image_new.zip.part'), 'abc');
    fs.mkdirSync(path.join(root, 'norb'));
    fs.writeFileSync(path.join(root, 'norb', targetFiles(norb)[0]), NORB_DAT);
    const loader = { loadDataset: () => undefined, isCached: (cfg: { name: string; path: string }) => cfg.name === 'mnist-noise' && cfg.path === root };
    const rows = datasetStatus(root, sources, loader);
    const by = Object.fromEntries(rows.map((r) => [r.name, r]));
    expect(rows.map((r) => r.name)).toEqual(['digits-bg-rot', 'digits-noise', 'tiny-grammar', 'rectangles', 'ptb', 'cifar10', 'mnist-noise', 'mnist-bg-rot', 'norb']);
    expect(by['digits-noise'].status).toBe('built-in');
    expect(by.rectangles).toMatchObject({ status: 'verified', diskBytes: RECT_TRAIN.length + RECT_TEST.length, downloadBytes: rectZipStored.length, checksum: 'sha256' });
    expect(by.ptb).toMatchObject({ status: 'downloaded', note: 'size-checked only', checksum: 'sha256 unknown (size)' });
    expect(by.cifar10).toMatchObject({ status: 'damaged', note: 'sizes differ from the manifest' });
    expect(by['mnist-noise'].status).toBe('cached');
    expect(by['mnist-bg-rot']).toMatchObject({ status: 'missing', note: 'download resumable', diskBytes: 0 });
    expect(by.norb).toMatchObject({ status: 'partial', note: '1/2 files' });
    // The real table: PTB has no hash on record, CIFAR-10 a SHA-256, the Larochelle files a SHA-1.
    const realRows = Object.fromEntries(datasetStatus(root).map((r) => [r.name, r]));
    expect(realRows.ptb.checksum).toBe('sha256 unknown (size)');
    expect(realRows.cifar10).toMatchObject({ checksum: 'sha256', downloadBytes: 170052171 });
    expect(realRows.norb.checksum).toBe('sha256 unknown (sha1)');
    expect(realRows['wikitext-2'].downloadBytes).toBeUndefined();
  });

  it("a cache counts as built exactly when the loaders would use it (one freshness check)", async () => {
    const src = serve('rectangles', [rectZipStored]);
    await fetchDatasets('rectangles', options([src]));
    const files = targetFiles(src).map((f) => path.resolve(root, 'rectangles', f));
    const stamp = () => files.map((file) => ({ file, size: fs.statSync(file).size, mtimeMs: fs.statSync(file).mtimeMs }));
    expect(cacheIsFresh('rectangles', root)).toBe(false);
    // A manifest that stamps the current files but was not written by these loaders (no format,
    // builder or checksums): the loaders would rebuild it, so it is not "cached".
    fs.mkdirSync(path.join(root, '.cache', 'rectangles'), { recursive: true });
    fs.writeFileSync(path.join(root, '.cache', 'rectangles', 'manifest.json'), JSON.stringify({ sources: stamp() }));
    expect(cacheIsFresh('rectangles', root)).toBe(false);
    const entry = CATALOG.find((d) => d.name === 'rectangles')!;
    const split = (count: number) => ({ x: new Float32Array(count * 784), y: new Int32Array(count), count });
    writeCache(path.join(root, '.cache', 'rectangles'), { name: 'rectangles', features: 784, train: split(3), test: split(2) }, cacheKey(entry, root));
    expect(cacheIsFresh('rectangles', root)).toBe(true);
    expect(datasetStatus(root, [src]).find((r) => r.name === 'rectangles')?.status).toBe('cached');
    fs.appendFileSync(files[0], '0.5 1\n');
    expect(cacheIsFresh('rectangles', root)).toBe(false);
  });
});

describe('hand-over to the loaders', () => {
  it('after extraction, fetch calls the real loaders; their failure is reported with the files kept', async () => {
    const loader = await loaderModule();
    expect(loader?.loadDataset).toBeTypeOf('function');
    // The fixture has 5 rows where the catalog expects 1,200 + 50,000: the loaders must refuse it.
    const src = serve('rectangles', [rectZipStored]);
    const err = await failure(fetchDatasets('rectangles', options([src], { buildCache: undefined })));
    expect(err.message).toMatch(/^rectangles: files fetched and verified, but building the cache failed: .+/);
    expect(tree(root).filter((f) => !f.startsWith('.cache'))).toEqual(datasetTree('rectangles', ['rectangles_train.amat', 'rectangles_test.amat']));
  });
});
