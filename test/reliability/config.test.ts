// Config edges (docs/reliability.md): names that escape the output folder, an empty or unusable
// output, YAML alias bombs and huge mappings, out-of-range sizes and seeds, sweeps of many points.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadExperimentFromString } from '../../src/config/load';
import { buildGrid } from '../../src/sweep/points';
import { parseSweepText } from '../../src/sweep/source';
import { UserError } from '../../src/util/errors';

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'ldr');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-rel-cfg-'));
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) spawnSync('umount', [m]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

const BASE = 'dataset: { name: digits-bg-rot }\nmodel: { layer: { class: unconstrained } }\n';
function errorOf(text: string): UserError {
  try {
    loadExperimentFromString(text, 'x.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return err as UserError;
  }
  throw new Error('expected a UserError');
}

describe('config edges', () => {
  it('names "." and ".." (and hidden names) are refused; so is an empty output', () => {
    for (const name of ['.', '..', '.sweep']) {
      expect(errorOf(`name: "${name}"\n${BASE}`).message).toBe(`x.yaml:1:7 name: expected a name that does not start with ".", got "${name}"`);
    }
    expect(errorOf(`name: a\noutput: ''\n${BASE}`).message).toMatch(/^x\.yaml:2:9 output: expected a folder \(not empty\)/);
  });

  it('bounds batch_size, lstm.hidden and the seed with clear messages (a seed ≥ 2^32 would wrap to another seed)', () => {
    expect(errorOf(`name: a\n${BASE}training: { batch_size: 1000000000 }\n`).message).toMatch(/training\.batch_size: expected an integer ≥ 1 and ≤ 65536, got 1000000000/);
    expect(errorOf(`name: a\n${BASE}training: { seed: 4294967296 }\n`).message).toMatch(/training\.seed: .*4294967295/);
    expect(loadExperimentFromString(`name: a\n${BASE}training: { seed: 4294967295 }\n`).training.seed).toBe(4294967295);
    const lm = 'name: a\ndataset: { name: tiny-grammar }\nmodel: { type: lstm, layer: { class: unconstrained }, lstm: { hidden: 100000 } }\n';
    expect(errorOf(lm).message).toMatch(/model\.lstm\.hidden: expected an integer ≥ 1 and ≤ 4096, got 100000/);
  });

  it('a YAML alias bomb is a user error (exit 2), not an internal one', () => {
    const bomb = ['name: a', 'a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill('*' + String.fromCharCode(96 + i)).join(',')}]`);
    const err = errorOf(bomb.join('\n') + '\n' + BASE);
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(/^x\.yaml: cannot read the YAML \(.*alias.*\)$/i);
  });

  it('80,000 keys parse in linear time, and duplicate keys are still found', () => {
    const keys = Array.from({ length: 80_000 }, (_, i) => `  k${i}: ${i}`).join('\n');
    const t0 = Date.now();
    const err = errorOf(`name: a\n${BASE}extra:\n${keys}\n`);
    expect(Date.now() - t0).toBeLessThan(60_000); // was over 120 s (quadratic); about 8 s here
    expect(err.message).toMatch(/extra: unknown key/);
    expect(errorOf(`name: a\nname: b\n${BASE}`).message).toBe('x.yaml:2:1 YAML syntax: Map keys must be unique');
  });

  it('a sweep of 2,000 seeds lists its points without re-parsing the file per point', () => {
    const seeds = Array.from({ length: 2000 }, (_, i) => `      - ${i}`).join('\n');
    const text = `name: s\n${BASE}sweep:\n  grid:\n    training.seed:\n${seeds}\n`;
    const t0 = Date.now();
    const grid = buildGrid(parseSweepText(text, 's.yaml'));
    expect(grid.points).toHaveLength(2000);
    expect(grid.points[1999].config.training.seed).toBe(1999);
    expect(Date.now() - t0).toBeLessThan(15_000);
  });
});

describe('unusable output folders (CLI)', () => {
  const cfgFile = path.join(tmp, 'c.yaml');
  fs.writeFileSync(cfgFile, `name: o\n${BASE}training: { epochs: 1 }\n`);
  const train = (output: string) => spawnSync(process.execPath, [bin, 'train', '--config', cfgFile, '--set', `output=${output}`, '--quiet'], { cwd: root, encoding: 'utf8', timeout: 60_000 });

  it('output naming a file: one line, exit ≠ 0, not an internal error', () => {
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, 'x');
    const r = train(file);
    expect(r.status).toBe(74);
    expect(r.stderr.trim()).toMatch(new RegExp(`^ldr: cannot create folder ${file}/o/\\S+: a file is in the way$`));
  });

  // Needs root to mount a read-only tmpfs: skipped (visibly) elsewhere, never under CI (which runs as root).
  it.skipIf(process.getuid?.() !== 0 && !process.env.CI)('a read-only output folder names the folder and says read-only', () => {
    const ro = path.join(tmp, 'ro');
    fs.mkdirSync(ro);
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', ro]).status, 'mount -t tmpfs (needs root)').toBe(0);
    mounts.push(ro);
    const r = train(ro);
    expect(r.status).toBe(74);
    expect(r.stderr.trim()).toMatch(new RegExp(`^ldr: cannot create folder ${ro}/o/\\S+: read-only file system$`));
  });
});
