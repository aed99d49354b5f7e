// Backend selection: auto falls back to wasm here (no tfjs-node packages installed; webgpu, if
// installed, has only a software adapter here), an explicit tensorflow request fails with the
// install hint, cpu always works; a fake tensorflow package exercises the load order, the success
// path and the warning when tfjs-node-gpu runs on the CPU.
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Command } from 'commander';
import { addBackendOption, describeBackend, initBackend, runtimeVersions } from '../src/backend';
import { CPU_PACKAGE, GPU_PACKAGE, cudaVisible, type NodeProbe } from '../src/backend/tensorflowNode';
import { UserError } from '../src/util/errors';

/**
 * A machine where `installed` packages exist; loading one registers a (cpu-backed) 'tensorflow'.
 * `onGpu` (default: cuda) is whether TensorFlow then places its ops on the CUDA device.
 */
function fakeProbe(installed: string[], opts: { cuda: boolean; registers: boolean; loaded: string[]; onGpu?: boolean }): NodeProbe {
  return {
    usingGpu: () => opts.onGpu ?? opts.cuda,
    cudaGpu: () => ({ api: 'cuda', name: 'Fake GPU 80GB', driver: '550.54.14', memory: '81559 MiB' }),
    isInstalled: (pkg) => installed.includes(pkg),
    load: (pkg) => {
      opts.loaded.push(pkg);
      if (opts.registers && !tf.findBackendFactory('tensorflow')) tf.registerBackend('tensorflow', tf.findBackendFactory('cpu'));
    },
    cudaVisible: () => opts.cuda,
  };
}

afterAll(async () => {
  if (tf.findBackendFactory('tensorflow')) tf.removeBackend('tensorflow');
  await tf.setBackend('cpu');
});

describe('initBackend', () => {
  it('auto falls back to wasm when no tfjs-node package is installed, and says why', async () => {
    const info = await initBackend('auto');
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(info.matmulFix).toBe(true);
    expect(info.skipped[0]).toBe(`tensorflow: ${GPU_PACKAGE} and ${CPU_PACKAGE} not installed`);
    // webgpu: its packages missing, no adapter, or only a software one (never taken by auto).
    expect(info.skipped[1]).toMatch(/^webgpu: (.* not installed|Dawn found no WebGPU adapter|only a software adapter)/);
    expect(info.skipped).toHaveLength(2);
    expect(info.reason).toMatch(new RegExp(`^auto; tensorflow skipped: ${GPU_PACKAGE} and ${CPU_PACKAGE} not installed; webgpu skipped: `));
    expect(info.gpu).toBeNull();
    const line = describeBackend(info);
    expect(line).toMatch(/^backend: wasm \((no )?SIMD, \d+ threads?\) — tensorflow skipped: .*not installed; webgpu skipped: /);
    expect(line).not.toContain('\n');
  });

  it('explicit tensorflow fails with a one-line UserError that says how to install it', async () => {
    const err = await initBackend('tensorflow').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    const msg = (err as Error).message;
    expect(msg).toContain('not installed');
    expect(msg).toContain(`npm install --no-save ${GPU_PACKAGE}@4.22.0`);
    expect(msg).toContain(`npm install --no-save ${CPU_PACKAGE}@4.22.0`);
    expect(msg).toContain('npm install-scripts approve <package> && npm rebuild <package>');
    expect(msg).not.toContain('\n');
  });

  it('cpu works when asked for', async () => {
    const info = await initBackend('cpu');
    expect(info.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(info.skipped).toEqual([]);
    expect(describeBackend(info)).toMatch(/^backend: cpu \(.*\) — requested/);
  });

  it('wasm without the fix says so', async () => {
    const info = await initBackend('wasm', { matmulFix: false });
    expect(info.matmulFix).toBe(false);
    expect(describeBackend(info)).toContain('matmul fix off');
    const back = await initBackend('wasm');
    expect(back.matmulFix).toBe(true);
  });

  it('a package that loads but registers nothing is skipped with its reason', async () => {
    const loaded: string[] = [];
    const probe = fakeProbe([CPU_PACKAGE], { cuda: false, registers: false, loaded });
    const info = await initBackend('auto', { probe });
    expect(info.name).toBe('wasm');
    expect(info.skipped[0]).toMatch(/registered no 'tensorflow' backend/);
    await expect(initBackend('tensorflow', { probe })).rejects.toThrow(/registered no 'tensorflow' backend.*npm install/);
  });

  it('prefers the GPU package when CUDA is visible, the CPU package otherwise', async () => {
    const both = [GPU_PACKAGE, CPU_PACKAGE];
    const loadedGpu: string[] = [];
    const gpu = await initBackend('auto', { probe: fakeProbe(both, { cuda: true, registers: true, loaded: loadedGpu }) });
    expect(gpu.name).toBe('tensorflow');
    expect(tf.getBackend()).toBe('tensorflow');
    expect(loadedGpu).toEqual([GPU_PACKAGE]);
    expect(describeBackend(gpu)).toBe(`backend: tensorflow (${GPU_PACKAGE}, CUDA on Fake GPU 80GB) — auto: ${GPU_PACKAGE} runs on CUDA`);
    expect(gpu.gpu).toEqual({ api: 'cuda', name: 'Fake GPU 80GB', driver: '550.54.14', memory: '81559 MiB' });
    expect(gpu.warning).toBeNull();

    const loadedCpu: string[] = [];
    const cpu = await initBackend('tensorflow', { probe: fakeProbe(both, { cuda: false, registers: true, loaded: loadedCpu }) });
    expect(loadedCpu).toEqual([CPU_PACKAGE]);
    expect(cpu.detail).toBe(`${CPU_PACKAGE}, CPU`);
    expect(cpu.warning).toBeNull();
    tf.removeBackend('tensorflow');
    await tf.setBackend('cpu');
  });

  it('tfjs-node-gpu that runs on the CPU is not taken as a GPU: a warning in the line and in the info', async () => {
    const probe = () => fakeProbe([GPU_PACKAGE], { cuda: true, onGpu: false, registers: true, loaded: [] });
    const explicit = await initBackend('tensorflow', { probe: probe() });
    expect(explicit.name).toBe('tensorflow');
    expect(explicit.detail).toBe(`${GPU_PACKAGE}, CPU`);
    expect(explicit.gpu).toBeNull();
    expect(explicit.warning).toMatch(/loaded but TensorFlow runs on the CPU .*CUDA 11\.2/);
    expect(describeBackend(explicit)).toContain(` — warning: ${GPU_PACKAGE} loaded but TensorFlow runs on the CPU`);
    // auto: a hardware WebGPU adapter would come first; without one it keeps tensorflow (CPU), warned.
    const auto = await initBackend('auto', { probe: probe() });
    expect(auto.warning).toBe(explicit.warning);
    if (auto.name === 'tensorflow') {
      expect(auto.reason).toBe(`auto: ${GPU_PACKAGE} loaded (CPU)`);
      expect(auto.skipped[0]).toMatch(/^webgpu: /);
    } else {
      expect(auto.name).toBe('webgpu');
    }
    tf.removeBackend('tensorflow');
    await tf.setBackend('cpu');
  });
});

describe('cudaVisible', () => {
  it('is false when CUDA_VISIBLE_DEVICES hides every device', () => {
    expect(cudaVisible({ CUDA_VISIBLE_DEVICES: '-1' })).toBe(false);
    expect(cudaVisible({ CUDA_VISIBLE_DEVICES: '' })).toBe(false);
  });
});

describe('addBackendOption and versions', () => {
  it('parses --backend with auto as the default and rejects unknown names', () => {
    const parse = (args: string[]) => {
      const cmd = addBackendOption(new Command('x').exitOverride().configureOutput({ writeErr: () => {} }));
      cmd.parse(args, { from: 'user' });
      return { value: cmd.opts().backend, source: cmd.getOptionValueSource('backend') };
    };
    expect(parse([])).toEqual({ value: 'auto', source: 'default' });
    expect(parse(['--backend', 'wasm'])).toEqual({ value: 'wasm', source: 'cli' });
    expect(() => parse(['--backend', 'gpu'])).toThrow(/invalid/);
  });

  it('reports tfjs and node versions', () => {
    expect(runtimeVersions()).toEqual({ tfjsVersion: '4.22.0', nodeVersion: process.versions.node });
  });
});
