// The shell-out tests run dist/: the global setup (test/support/buildDist.ts) must leave it no
// older than src/, and must notice a source edited after the build.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { staleOutputs } from './support/buildDist';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-dist-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('dist/ for the shell-out tests', () => {
  it('is built from the current sources', () => {
    expect(staleOutputs()).toEqual([]);
  });

  it('a source newer than its output, or without one, is stale', () => {
    const write = (p: string, at: number) => {
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, '');
      fs.utimesSync(p, at, at);
    };
    write(path.join(tmp, 'tsconfig.json'), 1000);
    write(path.join(tmp, 'src', 'a.ts'), 2000);
    write(path.join(tmp, 'dist', 'a.js'), 3000);
    write(path.join(tmp, 'src', 'sub', 'b.ts'), 5000);
    write(path.join(tmp, 'dist', 'sub', 'b.js'), 4000);
    write(path.join(tmp, 'src', 'c.ts'), 2000);
    expect(staleOutputs(tmp).map((f) => path.relative(tmp, f)).sort()).toEqual([path.join('src', 'c.ts'), path.join('src', 'sub', 'b.ts')]);
  });
});
