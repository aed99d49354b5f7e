// `ldr data list | fetch | verify` through commander with the real sources table. Downloads go to
// a local server through --mirror (the only way the real table is fetched in tests): the fixture
// is not the real CIFAR-10, so the real recorded SHA-256 must reject it.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerDataFetch } from '../src/cli/dataFetch';
import { UserError } from '../src/util/errors';
import { bytes, makeTarGz } from './fetch/archives';
import { startServer, type TestServer } from './fetch/server';

let server: TestServer;
const dirs: string[] = [];
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-cli-'));
  dirs.push(d);
  return d;
};
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function ldr(...args: string[]): Promise<{ out: string; err: string }> {
  const program = new Command('ldr').exitOverride();
  registerDataFetch(program.command('data'));
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  try {
    await program.parseAsync(['node', 'ldr', 'data', ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  return { out: out.join(''), err: err.join('') };
}

describe('ldr data (CLI)', () => {
  it('list shows every dataset with status, size and checksum state', async () => {
    const dir = tempDir();
    const { out } = await ldr('list', '--dir', dir);
    const rows = out.trim().split('\n');
    expect(rows[0]).toBe(`datasets in ${path.resolve(dir)}:`);
    expect(rows[1]).toMatch(/^dataset +status +download +on disk +checksum +description$/);
    expect(rows.slice(2).map((r) => r.split(/\s+/)[0])).toEqual([
      'digits-bg-rot', 'digits-noise', 'tiny-grammar', 'mnist-bg-rot', 'mnist-noise', 'rectangles', 'cifar10', 'norb', 'ptb', 'wikitext-2',
    ]);
    expect(rows.find((r) => r.startsWith('cifar10 '))).toMatch(/^cifar10 +missing +162\.2 MB +- +sha256 /);
    expect(rows.find((r) => r.startsWith('ptb '))).toMatch(/^ptb +missing +33\.3 MB +- +sha256 unknown \(size\) /);
    expect(rows.find((r) => r.startsWith('digits-noise '))).toMatch(/^digits-noise +built-in /);
  });

  it('fetch through --mirror: the real SHA-256 rejects a fake CIFAR-10, kept as .bad', async () => {
    const dir = tempDir();
    const fake = makeTarGz([{ name: 'cifar-10-batches-bin/data_batch_1.bin', data: bytes(3073, 1) }]);
    server.routes.set('/~kriz/cifar-10-binary.tar.gz', { body: fake });
    let caught: unknown;
    try {
      await ldr('fetch', 'cifar10', '--dir', dir, '--mirror', server.url);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UserError);
    // Size is checked first: the real archive has 170,052,171 bytes.
    expect((caught as Error).message).toMatch(
      new RegExp(`^size mismatch for cifar-10-binary\\.tar\\.gz: expected 170052171 bytes, got ${fake.length} \\(from ${server.url}/~kriz/cifar-10-binary\\.tar\\.gz; kept as .*\\.bad; nothing extracted\\)$`),
    );
    expect(fs.readdirSync(dir)).toEqual(['.downloads']);
    expect(fs.readdirSync(path.join(dir, '.downloads', 'cifar10'))).toEqual(['cifar-10-binary.tar.gz.bad']);
  });

  it('unknown names and verify before fetch are one-line user errors', async () => {
    const dir = tempDir();
    await expect(ldr('fetch', 'imagenet', '--dir', dir)).rejects.toThrow(/^unknown dataset "imagenet": expected one of mnist-bg-rot, .*, all$/);
    await expect(ldr('verify', 'norb', '--dir', dir)).rejects.toThrow(`norb is not downloaded in ${dir}: run \`ldr data fetch norb\``);
    await expect(ldr('fetch', 'all', '--dir', dir, '--from', dir)).rejects.toThrow('--from needs one dataset name, not "all"');
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
