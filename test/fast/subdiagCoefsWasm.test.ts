// The subdiagonal plan's coefficient loops in WebAssembly (accel/subdiagCoefsWasm.ts) against
// subdiagKrylov.ts's JS loops, bit for bit (the plans' products are checked against the dense
// matrices in productsWasm.test.ts).
import { describe, expect, it } from 'vitest';
import { alloc, mem, memI32, release } from '../../src/structured/accel/fftWasm';
import { subdiagCoefsWasm } from '../../src/structured/accel/subdiagCoefsWasm';
import { forwardLeafCoefs, subdiagLayout, transposedLeafCoefs } from '../../src/structured/accel/subdiagKrylov';

/** Seeded uniform numbers in [lo, hi) (a local LCG), as float32 like the tensors. */
function uniform(seed: number, n: number, lo: number, hi: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((hi - lo) * s) / 2 ** 32;
  });
}

describe('subdiagonal plan coefficients in WebAssembly', () => {
  for (const n of [2, 7, 33, 100, 1024, 1999]) {
    it(`blocks' a_g and q, and both directions' leaf coefficients, are the JS loops' bits (n=${n})`, () => {
      const co = subdiagCoefsWasm()!;
      expect(co).not.toBeNull();
      const s = uniform(n, n - 1, 0.5, 1.5);
      const g = uniform(n + 1, n, -1, 1);
      const L = subdiagLayout(s, [g]);
      const [sP, gP, out, row, leaves] = [alloc(8 * n), alloc(8 * n), alloc(8 * Math.max(n, L.leafSize)), alloc(8 * 64), alloc(8 * L.leaves.length)];
      mem().set(s, sP / 8);
      mem().set(g, gP / 8);
      memI32().set(L.leaves.flat(), leaves / 4);
      const read = (len: number) => Array.from(mem().subarray(out / 8, out / 8 + len));
      for (const b of L.blocks) {
        co.blockA(gP, sP, b.lo, b.mid, out);
        expect(read(b.mid - b.lo)).toEqual(Array.from(b.a[0]));
        co.blockQ(sP, b.mid, b.hi, out);
        expect(read(b.hi - b.mid)).toEqual(Array.from(b.q));
      }
      const end = leaves + 8 * L.leaves.length;
      co.leafCoefsF(leaves, end, gP, sP, out);
      expect(read(L.leafSize)).toEqual(Array.from(forwardLeafCoefs(L, s, [g])[0]));
      co.leafCoefsT(leaves, end, gP, sP, out, row);
      expect(read(L.leafSize)).toEqual(Array.from(transposedLeafCoefs(L, s, [g])[0]));
      expect(read(L.leafSize).some((v) => v !== 0 && v !== 1)).toBe(true);
      for (const p of [sP, gP, out, row, leaves]) release(p);
    });
  }
});
