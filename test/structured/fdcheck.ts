// Finite-difference gradient check with Richardson extrapolation: D = (4·D(h) − D(2h)) / 3
// cancels the h² term of central differences. The Krylov-product classes are polynomials of
// degree n−1 in their operator entries, where plain central differences at h = 1e-2 err by a
// few % (measured: the error scales as h²), while a smaller h drowns in float32 noise.
// Same result shape as test/support/gradcheck.ts, plus the largest |gradient| per variable.
import * as tf from '@tensorflow/tfjs';
import type { GradCheckResult } from '../support/gradcheck';

export interface FdResult extends GradCheckResult {
  maxAbsGrad: number;
}

export function richardsonGradCheck(
  loss: () => tf.Scalar,
  vars: Record<string, tf.Variable>,
  { h = 1e-2, maxEntries = 16 } = {},
): FdResult[] {
  const list = Object.entries(vars);
  const { value, grads } = tf.variableGrads(loss, list.map(([, v]) => v));
  value.dispose();
  const results: FdResult[] = [];
  for (const [name, v] of list) {
    const analytic = grads[v.name].dataSync();
    const base = v.dataSync().slice();
    const at = (i: number, delta: number) => {
      const p = base.slice();
      p[i] += delta;
      tf.tidy(() => v.assign(tf.tensor(p, v.shape)));
      return tf.tidy(() => loss().dataSync()[0]);
    };
    const step = Math.max(1, Math.floor(base.length / maxEntries));
    let maxAbs = 0;
    let maxRel = 0;
    let maxGrad = 0;
    for (let i = 0; i < base.length; i += step) {
      const d1 = (at(i, h) - at(i, -h)) / (2 * h);
      const d2 = (at(i, 2 * h) - at(i, -2 * h)) / (4 * h);
      const numeric = (4 * d1 - d2) / 3;
      const abs = Math.abs(numeric - analytic[i]);
      maxAbs = Math.max(maxAbs, abs);
      maxRel = Math.max(maxRel, abs / Math.max(1e-3, Math.abs(numeric) + Math.abs(analytic[i])));
      maxGrad = Math.max(maxGrad, Math.abs(analytic[i]));
    }
    tf.tidy(() => v.assign(tf.tensor(base, v.shape)));
    results.push({ name, maxAbsError: maxAbs, maxRelError: maxRel, maxAbsGrad: maxGrad });
  }
  for (const g of Object.values(grads)) g.dispose();
  return results;
}
