// Seeded pseudo-random numbers. TF.js has no global seed, so every random draw in ldr
// (initialisation, shuffling, dropout masks, synthetic data) goes through a Rng whose
// whole state is one 32-bit integer: it can be saved in a checkpoint and restored exactly.

export class Rng {
  private s: number;
  constructor(seed: number) {
    // Mix the seed so that nearby seeds give unrelated streams.
    this.s = hash32(seed >>> 0) || 0x9e3779b9;
  }

  /** The whole generator state; `Rng.fromState(rng.state)` continues the same stream. */
  get state(): number {
    return this.s;
  }
  static fromState(state: number): Rng {
    const r = new Rng(0);
    r.s = state >>> 0;
    return r;
  }

  /** Uniform in [0, 1) (mulberry32). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    let u = this.next();
    while (u <= 1e-12) u = this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Float32Array of `size` draws from N(mean, std²). */
  normalArray(size: number, std = 1, mean = 0): Float32Array {
    const a = new Float32Array(size);
    for (let i = 0; i < size; i++) a[i] = mean + std * this.normal();
    return a;
  }

  /** Float32Array of `size` draws from U(lo, hi). */
  uniformArray(size: number, lo: number, hi: number): Float32Array {
    const a = new Float32Array(size);
    for (let i = 0; i < size; i++) a[i] = this.uniform(lo, hi);
    return a;
  }

  /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    this.shuffleInPlace(p);
    return p;
  }

  shuffleInPlace(a: { length: number; [i: number]: number }): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  /** An independent child stream, e.g. one per layer, derived from this one. */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 4294967296));
  }
}

function hash32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}
