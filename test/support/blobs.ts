// A tiny separable Dataset for trainer tests: `classes` Gaussian blobs in ℝⁿ around random centres.
import type { Dataset, Split } from '../../src/data/types';
import { Rng } from '../../src/util/random';

export function blobs({ n = 8, classes = 3, train = 240, val = 60, test = 120, spread = 0.6, seed = 7 } = {}): Dataset {
  const rng = new Rng(seed);
  const centres = Array.from({ length: classes }, () => rng.normalArray(n, 1.5));
  const split = (count: number): Split => {
    const x = new Float32Array(count * n);
    const y = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const k = rng.int(classes);
      y[i] = k;
      for (let j = 0; j < n; j++) x[i * n + j] = centres[k][j] + spread * rng.normal();
    }
    return { x, y, count };
  };
  return { name: 'blobs', features: n, classes, imageShape: [n, 1, 1], train: split(train), val: split(val), test: split(test) };
}
