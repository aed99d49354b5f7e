// Central finite differences against TF.js gradients, in float64 on the JS side.
// Use small n and well-scaled inputs: float32 forward passes limit the attainable accuracy.
import * as tf from '@tensorflow/tfjs';

export interface GradCheckResult {
  name: string;
  maxAbsError: number;
  maxRelError: number;
}

/**
 * Compare d loss / d v for every variable in `vars` with central differences of `loss`
 * (a scalar function of the current variable values). Checks at most `maxEntries` entries
 * per variable (evenly spread), returns the worst errors per variable.
 */
export function gradCheck(
  loss: () => tf.Scalar,
  vars: Record<string, tf.Variable>,
  { eps = 1e-2, maxEntries = 24 } = {},
): GradCheckResult[] {
  const list = Object.entries(vars);
  const { grads } = tf.variableGrads(loss, list.map(([, v]) => v));
  const results: GradCheckResult[] = [];
  for (const [name, v] of list) {
    const g = grads[v.name];
    const analytic = g.dataSync();
    const base = v.dataSync().slice();
    const step = Math.max(1, Math.floor(base.length / maxEntries));
    let maxAbs = 0;
    let maxRel = 0;
    for (let i = 0; i < base.length; i += step) {
      const plus = base.slice();
      plus[i] += eps;
      tf.tidy(() => v.assign(tf.tensor(plus, v.shape)));
      const lp = tf.tidy(() => loss().dataSync()[0]);
      const minus = base.slice();
      minus[i] -= eps;
      tf.tidy(() => v.assign(tf.tensor(minus, v.shape)));
      const lm = tf.tidy(() => loss().dataSync()[0]);
      tf.tidy(() => v.assign(tf.tensor(base, v.shape)));
      const numeric = (lp - lm) / (2 * eps);
      const abs = Math.abs(numeric - analytic[i]);
      maxAbs = Math.max(maxAbs, abs);
      maxRel = Math.max(maxRel, abs / Math.max(1e-3, Math.abs(numeric) + Math.abs(analytic[i])));
    }
    results.push({ name, maxAbsError: maxAbs, maxRelError: maxRel });
  }
  for (const g of Object.values(grads)) g.dispose();
  return results;
}
