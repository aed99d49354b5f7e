// The repository stands alone: nothing points at the specification file that used to live
// outside it (a sibling folder of the checkout), and every "docs/method.md §N" pointer names a
// section that exists.
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..');
const SCANNED = ['src', 'test', 'configs', 'scripts', 'bin', '.ci', 'README.md'];
const TEXT = /\.(ts|js|yaml|yml|md|sh|json)$|^ldr$|^run$/;

function files(rel: string): string[] {
  const abs = path.join(ROOT, rel);
  if (!fs.existsSync(abs)) return [];
  if (fs.statSync(abs).isFile()) return [rel];
  return fs
    .readdirSync(abs, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(path.join(rel, e.name)) : TEXT.test(e.name) ? [path.join(rel, e.name)] : []));
}

const SOURCES = SCANNED.flatMap(files);

describe('the repository stands alone', () => {
  it('scans a real tree', () => {
    expect(SOURCES).toContain('README.md');
    expect(SOURCES.filter((f) => f.startsWith('src')).length).toBeGreaterThan(50);
  });

  it('points at no specification outside it', () => {
    // Built from parts so that this file does not match itself.
    const outside = new RegExp(['\\.\\./' + 'shared/', 'PAPER' + '\\.md'].join('|'));
    const hits = SOURCES.flatMap((f) =>
      fs
        .readFileSync(path.join(ROOT, f), 'utf8')
        .split('\n')
        .flatMap((line, i) => (outside.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(hits).toEqual([]);
  });

  it('points only at sections docs/method.md has', () => {
    const method = fs.readFileSync(path.join(ROOT, 'docs/method.md'), 'utf8');
    const sections = new Set([...method.matchAll(/^## (\d+)\. /gm)].map((m) => Number(m[1])));
    expect(sections.size).toBeGreaterThanOrEqual(6);
    const bad: string[] = [];
    let pointers = 0;
    for (const f of SOURCES) {
      const text = fs.readFileSync(path.join(ROOT, f), 'utf8');
      for (const m of text.matchAll(/docs\/method\.md\)?`? §(\d+)(?:[–-](\d+))?/g)) {
        pointers++;
        const from = Number(m[1]);
        const to = m[2] ? Number(m[2]) : from;
        for (let s = from; s <= to; s++) if (!sections.has(s)) bad.push(`${f}: ${m[0]}`);
      }
    }
    expect(pointers).toBeGreaterThan(30);
    expect(bad).toEqual([]);
  });
});
