import { describe, expect, it } from 'vitest';
import { Rng } from '../src/util/random';

describe('Rng', () => {
  it('is reproducible from a seed and from a saved state', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    const saved = a.state;
    const next = a.next();
    expect(Rng.fromState(saved).next()).toBe(next);
    expect(new Rng(43).next()).not.toBe(new Rng(42).next());
  });

  it('draws normals with mean 0 and std 1, and permutations', () => {
    const r = new Rng(1);
    const a = r.normalArray(20000);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const varr = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(varr - 1)).toBeLessThan(0.05);
    const p = Array.from(r.permutation(50)).sort((x, y) => x - y);
    expect(p).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});
