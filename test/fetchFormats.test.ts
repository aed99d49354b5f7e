// The archive readers against archives written by independent tools (GNU tar, Info-ZIP zip) when
// this machine has them, the progress display, and disk errors while extracting.
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractGz } from '../src/data/fetch/gz';
import { consoleReporter } from '../src/data/fetch/progress';
import { FileSink } from '../src/data/fetch/sink';
import { extractTarGz } from '../src/data/fetch/tar';
import { extractZipEntry, listZip } from '../src/data/fetch/zip';
import { UserError } from '../src/util/errors';
import { bytes, makeTar, makeZip } from './fetch/archives';

/** Whether `tool` is an executable on PATH (not `tool --version`: unzip answers that with exit 10). */
const has = (tool: string): boolean =>
  (process.env.PATH ?? '').split(path.delimiter).some((d) => {
    try {
      fs.accessSync(path.join(d, tool), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
const UNDER_CI = !!process.env.CI && process.env.CI !== 'false';
/** Skip, visibly, where a tool is missing on this machine; under CI (CI=true) never: the test runs and fails. */
const lacks = (...tools: string[]): boolean => !UNDER_CI && tools.some((t) => !has(t));
/** First assertion of a tool test: under CI a missing tool is a failure that says so (.ci/run installs them). */
function requireTools(...tools: string[]): void {
  for (const t of tools) expect(has(t), `${t} is not installed (.ci/run installs it)`).toBe(true);
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-formats-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A small tree of files: one compressible text, one random binary, one empty, one deep path. */
function writeTree(base: string): Record<string, Buffer> {
  const files: Record<string, Buffer> = {
    'data/ptb.train.txt': Buffer.from(' the cat sat on the mat \n'.repeat(2000)),
    'data/batch.bin': bytes(70_001, 3),
    'data/empty.txt': Buffer.alloc(0),
    [`deep/${'d'.repeat(90)}/${'f'.repeat(80)}.amat`]: Buffer.from('0.5 0.25 1\n'),
  };
  for (const [name, data] of Object.entries(files)) {
    fs.mkdirSync(path.join(base, path.dirname(name)), { recursive: true });
    fs.writeFileSync(path.join(base, name), data);
  }
  return files;
}

describe('readers vs independent tools', () => {
  it.skipIf(lacks('tar'))('reads GNU tar and POSIX (pax) tar.gz written by tar(1)', async () => {
    requireTools('tar');
    const src = path.join(dir, 'src');
    const files = writeTree(src);
    for (const format of ['gnu', 'posix']) {
      const archive = path.join(dir, `a-${format}.tar.gz`);
      execFileSync('tar', [`--format=${format}`, '-czf', archive, '-C', src, '.']);
      const out = path.join(dir, `out-${format}`);
      const wanted = Object.fromEntries(Object.keys(files).map((n) => [n, n.replace(/\//g, '_')]));
      const got = await extractTarGz(archive, wanted, out);
      expect(got.map((g) => g.path).sort()).toEqual(Object.values(wanted).sort());
      for (const [name, data] of Object.entries(files)) {
        const target = wanted[name];
        expect(fs.readFileSync(path.join(out, target))).toEqual(data);
        expect(got.find((g) => g.path === target)).toEqual({ path: target, bytes: data.length, sha256: crypto.createHash('sha256').update(data).digest('hex') });
      }
    }
  });

  it.skipIf(lacks('zip'))('reads deflated and stored zips written by zip(1)', async () => {
    requireTools('zip');
    const src = path.join(dir, 'src');
    const files = writeTree(src);
    for (const level of ['-9', '-0']) {
      const archive = path.join(dir, `a${level}.zip`);
      execFileSync('zip', ['-q', '-r', level, archive, '.'], { cwd: src });
      const entries = listZip(archive);
      for (const [name, data] of Object.entries(files)) {
        const entry = entries.find((e) => e.name === name);
        expect(entry, name).toBeDefined();
        const got = await extractZipEntry(archive, entry!, 'x', path.join(dir, `out${level}`));
        expect(fs.readFileSync(path.join(dir, `out${level}`, 'x'))).toEqual(data);
        expect(got.bytes).toBe(data.length);
      }
    }
  });

  it.skipIf(lacks('gzip'))('reads .gz written by gzip(1)', async () => {
    requireTools('gzip');
    const data = bytes(50_000, 9);
    fs.writeFileSync(path.join(dir, 'norb.mat'), data);
    execFileSync('gzip', ['-k', path.join(dir, 'norb.mat')]);
    const got = await extractGz(path.join(dir, 'norb.mat.gz'), 'out.mat', path.join(dir, 'o'));
    expect(fs.readFileSync(path.join(dir, 'o', 'out.mat'))).toEqual(data);
    expect(got.bytes).toBe(data.length);
  });

  it.skipIf(lacks('unzip', 'tar'))('our own test writers agree with the tools that read them', () => {
    requireTools('unzip', 'tar');
    const zipFile = path.join(dir, 'w.zip');
    fs.writeFileSync(zipFile, makeZip([{ name: 'a/b.txt', data: Buffer.from('hello') }]));
    expect(execFileSync('unzip', ['-p', zipFile, 'a/b.txt']).toString()).toBe('hello');
    const tarFile = path.join(dir, 'w.tar');
    fs.writeFileSync(tarFile, makeTar([{ name: `./x/${'n'.repeat(120)}`, data: Buffer.from('long') }], { gnuLongNames: true }));
    expect(execFileSync('tar', ['-xOf', tarFile]).toString()).toBe('long');
  });

  it('rejects what is not an archive, with the file name', async () => {
    const junk = path.join(dir, 'junk.zip');
    fs.writeFileSync(junk, bytes(1000, 1));
    expect(() => listZip(junk)).toThrow(new UserError(`${junk}: not a zip file (no end of central directory record)`));
    await expect(extractTarGz(junk, { a: 'a' }, path.join(dir, 'o'))).rejects.toThrow(/junk\.zip: not a valid \.tar\.gz file/);
    await expect(extractGz(junk, 'a', path.join(dir, 'o'))).rejects.toThrow(/junk\.zip: not a valid \.gz file/);
  });
});

describe('disk errors', () => {
  it.skipIf(!fs.existsSync('/dev/full'))('a full disk while extracting is a one-line error naming the file', async () => {
    const sink = new FileSink('/dev/full', 'x.amat');
    // The error surfaces on a later write or on close, never silently.
    const run = async () => {
      for (let i = 0; i < 64; i++) await sink.write(Buffer.alloc(1 << 16));
      await sink.close();
    };
    await expect(run()).rejects.toThrow(/^cannot write \/dev\/full: ENOSPC/);
  });
});

describe('progress', () => {
  function fakeStream(isTTY: boolean) {
    const out: string[] = [];
    return { out, stream: { isTTY, write: (s: string) => (out.push(s), true) } as unknown as NodeJS.WriteStream };
  }

  it('without a TTY prints a plain line per 10%', () => {
    const { out, stream } = fakeStream(false);
    const r = consoleReporter(stream);
    for (let done = 0; done <= 1000; done += 5) r.progress('f.tar.gz', done, 1000);
    r.done('f.tar.gz');
    expect(out).toHaveLength(11);
    expect(out[0]).toMatch(/^ {2}f\.tar\.gz: 0%, 0 B \/ 1000 B, /);
    expect(out[10]).toMatch(/^ {2}f\.tar\.gz: 100%, 1000 B \/ 1000 B, .*B\/s, ETA 0:00\n$/);
  });

  it('on a TTY redraws one line with a bar, bytes, rate and ETA', () => {
    const { out, stream } = fakeStream(true);
    const r = consoleReporter(stream);
    r.progress('f.tar.gz', 0, 4 << 20);
    r.progress('f.tar.gz', 4 << 20, 4 << 20);
    r.done('f.tar.gz');
    r.info('next');
    expect(out[0]).toMatch(/^\r {2}f\.tar\.gz {2}\[-{24}\] {3}0% {2}0 B \/ 4\.00 MB {2}0 B\/s {2}ETA --:--\x1b\[K$/);
    expect(out[1]).toMatch(/^\r {2}f\.tar\.gz {2}\[#{24}\] 100% {2}4\.00 MB \/ 4\.00 MB {2}.+\/s {2}ETA /);
    expect(out.slice(2)).toEqual(['\n', 'next\n']);
  });
});
