// The one compute-path chooser (src/structured/computePath.ts): the path of every class on the
// typed-array backends (cpu, wasm) and on any other backend; overrides through the options
// object; the tensor-op paths against the typed-array ones; and, on a backend the chooser does
// not know (a stand-in for webgpu / tensorflow: the cpu kernels under another name), every class
// trains without reading a tensor back to JS.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseComputePath, type PathQuery } from '../../src/structured/computePath';
import { createMatrix } from '../../src/structured/create';
import { CLASSES } from '../../src/structured/registry';
import type { ClassName, ComputePath, StructuredMatrix } from '../../src/structured/types';
import { Rng } from '../../src/util/random';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The operators of each Krylov-product class, as the chooser sees them. */
const OPERATORS: Partial<Record<ClassName, PathQuery['operators']>> = {
  'toeplitz-like': { A: { kind: 'shift' }, B: { kind: 'shift' } },
  'hankel-like': { A: { kind: 'shift' }, B: { kind: 'shift' } },
  'vandermonde-like': { A: { kind: 'diagonal' }, B: { kind: 'shift' } },
  'ldr-sd': { A: { kind: 'subdiagonal' }, B: { kind: 'subdiagonal' } },
  'ldr-sd-corner': { A: { kind: 'subdiagonal', hasCorner: true }, B: { kind: 'subdiagonal', hasCorner: true } },
  'ldr-td': { A: { kind: 'tridiagonal' }, B: { kind: 'tridiagonal' } },
  'ldr-td-corner': { A: { kind: 'tridiagonal' }, B: { kind: 'tridiagonal' } },
};

const choose = (className: ClassName, backend: string, n = 1024, rank = 1, batch = 1, path?: ComputePath) =>
  chooseComputePath({ className, n, rank, batch, backend, operators: OPERATORS[className] }, { path });

describe('chooseComputePath', () => {
  it('on cpu and wasm: typed-array paths, fast ones past the measured crossovers', () => {
    for (const backend of ['cpu', 'wasm']) {
      expect(choose('unconstrained', backend)).toBe('dense');
      expect(choose('low-rank', backend)).toBe('low-rank');
      expect(choose('circulant', backend)).toBe('circulant-fft');
      expect(choose('fastfood', backend)).toBe('fastfood-fwht');
      expect(choose('toeplitz-like', backend, 1024)).toBe('shift-fft');
      expect(choose('hankel-like', backend, 32)).toBe('krylov-simd');
      expect(choose('ldr-sd', backend, 1024, 1, 1)).toBe('subdiag-dc');
      expect(choose('ldr-sd', backend, 784, 1, 50)).toBe('subdiag-dc');
      expect(choose('ldr-sd', backend, 256, 1, 50)).toBe('krylov-simd');
      // n ≥ 1024 without corners: divide and conquer at every rank and batch (docs/benchmarks.md).
      expect(choose('ldr-sd', backend, 1024, 1, 8)).toBe('subdiag-dc');
      expect(choose('ldr-sd', backend, 1024, 1, 50)).toBe('subdiag-dc');
      expect(choose('ldr-sd', backend, 1024, 1, 200)).toBe('subdiag-dc');
      expect(choose('ldr-sd', backend, 1024, 2, 50)).toBe('subdiag-dc');
      expect(choose('ldr-sd', backend, 1024, 4, 50)).toBe('subdiag-dc');
      expect(choose('vandermonde-like', backend, 4096)).toBe('krylov-simd');
      expect(choose('ldr-td-corner', backend, 4096)).toBe('krylov-simd');
    }
  });

  it('on any other backend (tensorflow, webgpu, one not known yet): tensor-op paths only', () => {
    for (const backend of ['tensorflow', 'webgpu', 'some-future-backend']) {
      const paths = CLASSES.map((c) => [c.name, choose(c.name, backend, 4096, 4, 1)]);
      expect(Object.fromEntries(paths)).toEqual({
        unconstrained: 'dense',
        'low-rank': 'low-rank',
        'toeplitz-like': 'krylov-doubling',
        'hankel-like': 'krylov-doubling',
        'vandermonde-like': 'krylov-doubling',
        circulant: 'circulant-dense',
        fastfood: 'fastfood-tensor',
        'ldr-sd': 'krylov-doubling',
        'ldr-sd-corner': 'krylov-doubling',
        'ldr-td': 'krylov-doubling',
        'ldr-td-corner': 'krylov-doubling',
      });
    }
  });

  it('an override forces a path that applies, and names the ones that do when it does not', () => {
    expect(choose('toeplitz-like', 'wasm', 8, 1, 1, 'shift-fft')).toBe('shift-fft');
    expect(choose('ldr-sd', 'cpu', 8, 1, 50, 'subdiag-dc')).toBe('subdiag-dc');
    expect(choose('circulant', 'wasm', 8, 1, 1, 'circulant-dense')).toBe('circulant-dense');
    expect(() => choose('ldr-td', 'wasm', 8, 1, 1, 'shift-fft')).toThrow(/shift-fft does not apply to ldr-td on backend wasm; expected one of: krylov-simd, krylov-js, krylov-doubling/);
    expect(() => choose('toeplitz-like', 'webgpu', 8, 1, 1, 'krylov-simd')).toThrow(/expected one of: krylov-doubling$/);
    expect(() => choose('fastfood', 'tensorflow', 8, 1, 1, 'fastfood-fwht')).toThrow(/expected one of: fastfood-tensor$/);
  });

  it('a matrix reports the path its options force, else the automatic one', () => {
    const m = createMatrix('ldr-sd', { n: 16, rank: 2, rng: new Rng(1) });
    const forced = createMatrix('ldr-sd', { n: 16, rank: 2, rng: new Rng(1), compute: { path: 'krylov-doubling' } });
    expect(m.computePath(50)).toBe('krylov-simd');
    expect(forced.computePath(50)).toBe('krylov-doubling');
    // Rectangular (stacked) matrices take their blocks' path.
    const stacked = createMatrix('circulant', { n: 8, m: 20, rank: 1, rng: new Rng(1), compute: { path: 'circulant-dense' } });
    expect(stacked.computePath(3)).toBe('circulant-dense');
    [m, forced, stacked].forEach((x) => x.dispose());
  });
});

/** Output and every gradient of Σ W ∘ tanh(X Mᵀ) (x included). */
function outputAndGrads(m: StructuredMatrix, x: tf.Variable, w: tf.Tensor2D) {
  const vars = { x, ...m.variables };
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(tf.tanh(m.apply(x)), w)) as tf.Scalar, Object.values(vars));
  const out = {
    loss: value.dataSync()[0],
    grads: Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, Array.from(grads[v.name].dataSync())])),
  };
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

function expectSame(a: ReturnType<typeof outputAndGrads>, b: ReturnType<typeof outputAndGrads>, tag: string): void {
  expect(Math.abs(a.loss - b.loss), tag).toBeLessThan(1e-4 * Math.max(1, Math.abs(b.loss)));
  expect(Object.keys(a.grads)).toEqual(Object.keys(b.grads));
  for (const k of Object.keys(b.grads)) {
    const scale = Math.max(1, ...b.grads[k].map(Math.abs));
    const diff = Math.max(...a.grads[k].map((v, i) => Math.abs(v - b.grads[k][i])));
    expect(diff / scale, `${tag} ${k}`).toBeLessThan(1e-4);
  }
}

describe('tensor-op paths of circulant and fastfood', () => {
  for (const [className, fast, tensor] of [
    ['circulant', 'circulant-fft', 'circulant-dense'],
    ['fastfood', 'fastfood-fwht', 'fastfood-tensor'],
  ] as [string, ComputePath, ComputePath][]) {
    for (const n of [8, 13]) {
      it(`${className} n=${n}: ${tensor} gives ${fast}'s output and gradients`, () => {
        const make = (path: ComputePath) => createMatrix(className, { n, rank: 1, rng: new Rng(n), compute: { path } });
        const a = make(fast);
        const b = make(tensor);
        const rng = new Rng(99);
        const x = tf.variable(tf.tensor2d(rng.normalArray(3 * n), [3, n]));
        const w = tf.tensor2d(rng.normalArray(3 * n), [3, n]);
        const before = tf.memory().numTensors;
        expectSame(outputAndGrads(b, x, w), outputAndGrads(a, x, w), `${className} n=${n}`);
        expect(tf.memory().numTensors).toBe(before);
        [a, b].forEach((m) => m.dispose());
        tf.dispose([x, w]);
      });
    }
  }
});

describe('on a backend that is neither cpu nor wasm', () => {
  const NAME = 'gpu-stand-in';
  const reads = ['dataSync', 'data', 'arraySync', 'array', 'bufferSync', 'buffer'] as const;
  const saved: Partial<Record<(typeof reads)[number], unknown>> = {};
  let armed = false;

  beforeAll(async () => {
    // The cpu kernels under another name: the chooser must treat it as a device backend.
    const cpu = tf.findBackend('cpu') as object;
    const Cpu = cpu.constructor as new () => tf.KernelBackend;
    for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: NAME });
    tf.registerBackend(NAME, () => new Cpu());
    // A read of a tensor back to JS from outside a kernel fails while armed.
    const proto = tf.Tensor.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const r of reads) {
      const original = proto[r];
      saved[r] = original;
      proto[r] = function (this: unknown, ...args: unknown[]) {
        if (armed) throw new Error(`${r}() read a tensor back on the device backend`);
        return original.apply(this, args);
      };
    }
  });

  afterAll(async () => {
    const proto = tf.Tensor.prototype as unknown as Record<string, unknown>;
    for (const r of reads) proto[r] = saved[r];
    await tf.setBackend('cpu');
    tf.removeBackend(NAME);
  });

  for (const spec of CLASSES) {
    it(`${spec.name}: a tensor-op path, no read-back in forward or backward, same numbers as on cpu`, async () => {
      const n = 16;
      const run = () => {
        const m = createMatrix(spec.name, { n, rank: 2, rng: new Rng(5) });
        const rng = new Rng(6);
        const x = tf.variable(tf.tensor2d(rng.normalArray(4 * n), [4, n]));
        const w = tf.tensor2d(rng.normalArray(4 * n), [4, n]);
        const vars = { x, ...m.variables };
        armed = tf.getBackend() === NAME;
        let value: tf.Scalar;
        let grads: tf.NamedTensorMap;
        try {
          ({ value, grads } = tf.variableGrads(() => tf.sum(tf.mul(tf.tanh(m.apply(x)), w)) as tf.Scalar, Object.values(vars)));
        } finally {
          armed = false;
        }
        const out = {
          path: m.computePath(4),
          loss: value.dataSync()[0],
          grads: Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, Array.from(grads[v.name].dataSync())])),
        };
        tf.dispose([value, ...Object.values(grads), x, w]);
        m.dispose();
        return out;
      };
      await tf.setBackend('cpu');
      const onCpu = run();
      await tf.setBackend(NAME);
      try {
        const onDevice = run();
        expect(['dense', 'low-rank', 'krylov-doubling', 'circulant-dense', 'fastfood-tensor']).toContain(onDevice.path);
        expectSame(onDevice, onCpu, spec.name);
      } finally {
        await tf.setBackend('cpu');
      }
    });
  }
});
