// `ldr layer`: the JSON audit (fields, y = x·denseᵀ, params = every trainable tensor), the
// summary, and one-line UserErrors for bad arguments. Runs the command handler in-process.
// LDR_TEST_CLASSES=… limits the per-class checks to some classes.
import { spawnSync } from 'child_process';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runLayer, type LayerOptions, type LayerReport } from '../src/cli/layer';
import { CLASSES } from '../src/structured/registry';
import { UserError } from '../src/util/errors';
import { forwardReference, maxDiff } from './structured/reference';

const only = process.env.LDR_TEST_CLASSES?.split(',');
const SPECS = CLASSES.filter((s) => !only || only.includes(s.name));

async function layer(opts: Partial<LayerOptions>): Promise<string> {
  let out = '';
  await runLayer({ class: 'u', n: '8', ...opts } as LayerOptions, (s) => (out += s));
  return out;
}

async function layerJson(opts: Partial<LayerOptions>): Promise<LayerReport> {
  const out = await layer({ ...opts, json: true });
  expect(out.endsWith('\n')).toBe(true);
  expect(out.trim().split('\n')).toHaveLength(1);
  return JSON.parse(out) as LayerReport;
}

function sizeOf(a: unknown): number {
  return Array.isArray(a) ? a.reduce((s: number, x) => s + sizeOf(x), 0) : typeof a === 'number' ? 1 : NaN;
}

/** Abbreviation-free list of the fields each kind of class must print besides the common ones. */
function expectedAuditFields(name: string): string[] {
  if (name === 'low-rank') return ['G', 'H'];
  if (name === 'fastfood') return ['permutation'];
  if (name === 'unconstrained' || name === 'circulant') return [];
  return ['operators', 'G', 'H'];
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe.each(SPECS)('ldr layer --class $aliases.0 --json', (spec) => {
  it.each([
    [13, 3, false],
    [16, 2, true],
  ])('n=%i r=%i random-params=%s', async (n, r, randomParams) => {
    const before = tf.memory().numTensors;
    const j = await layerJson({ class: spec.aliases[0], n: String(n), rank: String(r), seed: '4', randomParams, batch: '2' });
    expect(tf.memory().numTensors).toBe(before);
    expect(j.class).toBe(spec.name);
    expect(j.n).toBe(n);
    expect(j.rank).toBe(spec.hasRank ? r : null);
    for (const f of expectedAuditFields(spec.name)) expect(j, `field ${f}`).toHaveProperty(f);
    if (spec.name === 'hankel-like') expect(j.reverseOutput).toBe(true);
    // The path of the forward pass y, on cpu at these sizes: the typed-array one of each class.
    const paths: Record<string, string> = { unconstrained: 'dense', 'low-rank': 'low-rank', circulant: 'circulant-fft', fastfood: 'fastfood-fwht' };
    expect(j.computePath).toBe(paths[spec.name] ?? 'krylov-simd');
    if (spec.name === 'unconstrained') expect(Object.keys(j.params)).toEqual(['W']);
    if (spec.name === 'circulant') expect(Object.keys(j.params)).toEqual(['c']);
    if (spec.name === 'fastfood') expect(Object.keys(j.params).sort()).toEqual(['B', 'G', 'S']);
    // params = every trainable tensor, nothing else: their sizes add up to paramCount
    const total = Object.values(j.params).reduce((s: number, a) => s + sizeOf(a), 0);
    expect(total).toBe(j.paramCount);
    expect(j.x).toHaveLength(2);
    expect(j.dense).toHaveLength(n);
    expect(j.dense.every((row) => row.length === n)).toBe(true);
    const ref = forwardReference(j.x, j.dense);
    expect(maxDiff(j.y, ref.y)).toBeLessThanOrEqual(1e-5 * ref.scale + 1e-7);
    if (randomParams) {
      // every entry drawn from U(−1, 1): all inside, none left at an init value like 0 or 1
      const flat = Object.values(j.params).flatMap((a) => [a].flat(3) as number[]);
      expect(flat.every((v) => Math.abs(v) < 1 && v !== 0)).toBe(true);
      expect(new Set(flat).size).toBe(flat.length);
    }
  });
});

describe('ldr layer', () => {
  it('is reproducible for a seed and differs across seeds', async () => {
    const a = await layer({ class: 'lr', n: '6', rank: '2', seed: '1', json: true });
    const b = await layer({ class: 'lr', n: '6', rank: '2', seed: '1', json: true });
    const c = await layer({ class: 'lr', n: '6', rank: '2', seed: '2', json: true });
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it('prints the W of M = W for unconstrained (dense = params.W)', async () => {
    const j = await layerJson({ class: 'unconstrained', n: '5', randomParams: true });
    expect(j.dense).toEqual(j.params.W);
  });

  it('prints a readable summary', async () => {
    const out = await layer({ class: 'low-rank', n: '16', rank: '3' });
    expect(out).toMatch(/class\s+low-rank \(lr\)/);
    expect(out).toMatch(/parameters\s+96 \(dense 256: 2\.7x fewer/);
    expect(out).toMatch(/rank of M\s+3 \(numerical/);
  });

  it.runIf(SPECS.some((s) => s.name === 'ldr-sd'))('summarises the Stein residual of a Krylov-product class', async () => {
    const out = await layer({ class: 'sd', n: '16', rank: '2' });
    expect(out).toMatch(/operator A\s+subdiagonal/);
    expect(out).toMatch(/compute path\s+krylov-simd \(batch 3, backend (wasm|cpu)\)/);
    // A, B pure subdiagonal (nilpotent): the residual is exactly Gᵀ H, rank r
    expect(out).toMatch(/Stein residual\s+M − A M Bᵀ has numerical rank 2 /);
  });

  it.each([
    [{ class: 'nope' }, /--class: unknown class "nope"; expected one of: unconstrained, low-rank/],
    [{ n: '1' }, /--n: expected an integer ≥ 2, got "1"/],
    [{ n: '8.5' }, /--n: expected an integer ≥ 2, got "8.5"/],
    [{ n: 'abc' }, /--n: expected an integer ≥ 2, got "abc"/],
    [{ n: '5000' }, /--n: expected at most 4096 \(the audit prints the dense n×n matrix\), got "5000"/],
    [{ rank: '0' }, /--rank: expected an integer from 1 to n = 8, got "0"/],
    [{ rank: '9' }, /--rank: expected an integer from 1 to n = 8, got "9"/],
    [{ batch: '0' }, /--batch: expected an integer ≥ 1, got "0"/],
    [{ seed: '-3' }, /--seed: expected an integer ≥ 0, got "-3"/],
    [{ operators: 'z2' }, /--operators: expected z1 or z0, got "z2"/],
    [{ class: 'sd', operators: 'z0' }, /--operators: only toeplitz-like and hankel-like take it, not ldr-sd/],
  ])('rejects %o with a one-line UserError', async (opts, message) => {
    const err = await layer(opts as Partial<LayerOptions>).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
  });
});

// The built command line (test/support/buildDist.ts rebuilds a stale dist/ first): stdout JSON, exit 0; bad input: one line, exit 2.
const root = path.join(__dirname, '..');
describe('node bin/ldr layer', () => {
  const ldr = (...args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin/ldr'), 'layer', ...args], { encoding: 'utf8' });

  it('prints the JSON audit on stdout', () => {
    const res = ldr('--class', 'circulant', '--n', '6', '--batch', '2', '--json');
    expect(res.status).toBe(0);
    const j = JSON.parse(res.stdout) as LayerReport;
    expect(j.class).toBe('circulant');
    const ref = forwardReference(j.x, j.dense);
    expect(maxDiff(j.y, ref.y)).toBeLessThanOrEqual(1e-5 * ref.scale + 1e-7);
  });

  it('exits 2 with one line on stderr for bad input', () => {
    const res = ldr('--class', 'lr', '--n', '4', '--rank', '5');
    expect(res.status).toBe(2);
    const ours = res.stderr.split('\n').filter((l) => l.startsWith('ldr: '));
    expect(ours).toEqual(['ldr: --rank: expected an integer from 1 to n = 4, got "5"']);
    expect(res.stdout).toBe('');
  });
});
