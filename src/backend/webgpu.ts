// The `webgpu` backend: @tensorflow/tfjs-backend-webgpu on Dawn (npm `webgpu`, which ships a
// prebuilt dawn.node for linux-x64/arm64, macOS and Windows), so TF.js reaches any GPU with a
// Vulkan, Metal or D3D12 driver without anything outside the npm registry. Both packages are
// optional (not in package.json, like tfjs-node-gpu): they are required lazily, by names held in
// variables so that neither tsc nor vitest tries to resolve them.
import { spawnSync } from 'child_process';
import { pathToFileURL } from 'url';
import * as tf from '@tensorflow/tfjs';

export const DAWN_PACKAGE = 'webgpu';
export const WEBGPU_BACKEND_PACKAGE = '@tensorflow/tfjs-backend-webgpu';
/** The one documented install command (README "GPUs", .ci/run). */
export const WEBGPU_INSTALL = `npm install --no-save ${DAWN_PACKAGE}@0.6.2 ${WEBGPU_BACKEND_PACKAGE}@4.22.0`;

/** What Dawn says about the adapter it hands out; recorded in env.json as `gpu`. */
export interface WebgpuAdapterInfo {
  api: 'webgpu';
  vendor: string;
  architecture: string;
  device: string;
  /** Dawn's description; on Vulkan "driver name: driver info". */
  description: string;
  /** The driver part of the description ("Mesa 25.0.7 …", "550.54.14"), or null. */
  driver: string | null;
  /** A CPU implementation (lavapipe, SwiftShader, WARP): correct but slow; never picked by auto. */
  software: boolean;
}

export type WebgpuAttempt = { ok: true; adapter: WebgpuAdapterInfo } | { ok: false; why: string; adapter?: WebgpuAdapterInfo };

interface DawnModule {
  create(flags: string[]): unknown;
  globals: Record<string, unknown>;
}

interface GpuLike {
  requestAdapter(opts?: { powerPreference?: string }): Promise<AdapterLike | null>;
}

interface AdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}

function resolvable(pkg: string): boolean {
  try {
    require.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/** The packages of the pair that are missing ([] when both are installed). */
export function missingWebgpuPackages(): string[] {
  return [DAWN_PACKAGE, WEBGPU_BACKEND_PACKAGE].filter((p) => !resolvable(p));
}

/** `webgpu` is an ES module: require() takes it on Node ≥ 20.19, older Node needs import(). */
async function loadDawn(): Promise<DawnModule> {
  const name = DAWN_PACKAGE;
  try {
    return require(name) as DawnModule;
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_REQUIRE_ESM') throw err;
    // A Function keeps tsc (module commonjs) from rewriting import() into require().
    const importEsm = new Function('s', 'return import(s)') as (s: string) => Promise<DawnModule>;
    return importEsm(name);
  }
}

let gpu: GpuLike | null = null;

/** navigator.gpu (and the GPU* globals the TF.js backend uses) from dawn.node, once per process. */
async function installNavigatorGpu(): Promise<GpuLike> {
  if (gpu) return gpu;
  const dawn = await loadDawn();
  Object.assign(globalThis, dawn.globals);
  const created = dawn.create([]) as GpuLike;
  const g = globalThis as { navigator?: object };
  // Node ≥ 21 has its own navigator object; add gpu to it rather than replacing it.
  if (g.navigator && typeof g.navigator === 'object') Object.defineProperty(g.navigator, 'gpu', { value: created, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu: created }, configurable: true, writable: true });
  gpu = created;
  return created;
}

export function describeAdapterInfo(a: AdapterLike): WebgpuAdapterInfo {
  const info = a.info ?? {};
  const description = info.description ?? '';
  const colon = description.indexOf(': ');
  const architecture = info.architecture ?? '';
  return {
    api: 'webgpu',
    vendor: info.vendor ?? '',
    architecture,
    device: info.device ?? '',
    description,
    driver: colon > 0 ? description.slice(colon + 2).trim() : null,
    software: architecture === 'software' || info.isFallbackAdapter === true || a.isFallbackAdapter === true,
  };
}

/** The adapter Dawn offers (high-performance preference, as the TF.js backend asks), or why none. */
export async function probeWebgpuAdapter(): Promise<WebgpuAttempt> {
  const missing = missingWebgpuPackages();
  if (missing.length > 0) return { ok: false, why: `${missing.join(' and ')} not installed (${WEBGPU_INSTALL})` };
  let adapter: AdapterLike | null;
  try {
    adapter = await (await installNavigatorGpu()).requestAdapter({ powerPreference: 'high-performance' });
  } catch (err) {
    return { ok: false, why: `dawn.node failed to start (${firstLine(err)})` };
  }
  if (!adapter) {
    return {
      ok: false,
      why: 'Dawn found no WebGPU adapter (no usable Vulkan, Metal or D3D12 driver; on Linux install the GPU vendor\'s Vulkan driver, or Mesa ≥ 23 for testing)',
    };
  }
  return { ok: true, adapter: describeAdapterInfo(adapter) };
}

/**
 * Start the webgpu backend. A software adapter is taken only when `allowSoftware` (an explicit
 * `--backend webgpu`); `auto` skips it, since it is slower than wasm.
 */
export async function tryWebgpu(allowSoftware: boolean): Promise<WebgpuAttempt> {
  // auto asks a child process first: Dawn prints adapter warnings straight to the process's
  // stderr (lavapipe always does), and an auto run that ends up on wasm must not show them.
  if (!allowSoftware) {
    const seen = probeInChild();
    if (seen && !seen.ok) return seen;
    if (seen?.ok && seen.adapter.software) {
      return { ok: false, adapter: seen.adapter, why: `only a software adapter (${adapterName(seen.adapter)}); auto never picks one, --backend webgpu does` };
    }
  }
  const probe = await probeWebgpuAdapter();
  if (!probe.ok) return probe;
  const adapter = probe.adapter;
  if (adapter.software && !allowSoftware) {
    return { ok: false, adapter, why: `only a software adapter (${adapterName(adapter)}); auto never picks one, --backend webgpu does` };
  }
  try {
    const name = WEBGPU_BACKEND_PACKAGE;
    require(name); // registers 'webgpu' (it checks navigator.gpu, set above, when it loads)
  } catch (err) {
    return { ok: false, adapter, why: `${WEBGPU_BACKEND_PACKAGE} failed to load (${firstLine(err)})` };
  }
  if (!tf.findBackendFactory('webgpu')) {
    return { ok: false, adapter, why: `${WEBGPU_BACKEND_PACKAGE} registered no 'webgpu' backend with ldr's @tensorflow/tfjs ${tf.version.tfjs}` };
  }
  if (!(await tf.setBackend('webgpu'))) return { ok: false, adapter, why: `${WEBGPU_BACKEND_PACKAGE} failed to initialise on ${adapterName(adapter)}` };
  return { ok: true, adapter };
}

/**
 * The adapter as a separate Node process sees it (its stderr discarded), or null when the child
 * could not say (then the caller probes in-process).
 */
function probeInChild(): WebgpuAttempt | null {
  const missing = missingWebgpuPackages();
  if (missing.length > 0) return { ok: false, why: `${missing.join(' and ')} not installed (${WEBGPU_INSTALL})` };
  let entry: string;
  try {
    entry = require.resolve(DAWN_PACKAGE);
  } catch {
    return null;
  }
  const script = `import(${JSON.stringify(pathToFileURL(entry).href)}).then(async (m) => {
    const d = m.default && m.default.create ? m.default : m;
    const a = await d.create([]).requestAdapter({ powerPreference: 'high-performance' });
    process.stdout.write(JSON.stringify(a ? { info: a.info ? { vendor: a.info.vendor, architecture: a.info.architecture, device: a.info.device, description: a.info.description, isFallbackAdapter: a.info.isFallbackAdapter } : {}, isFallbackAdapter: a.isFallbackAdapter } : null));
    process.exit(0);
  }, (e) => { process.stdout.write(JSON.stringify({ error: String(e && e.message || e).split('\\n')[0] })); process.exit(0); });`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'ignore'] });
  if (r.status !== 0 || !r.stdout) return null;
  let seen: unknown;
  try {
    seen = JSON.parse(r.stdout);
  } catch {
    return null;
  }
  if (seen === null) {
    return { ok: false, why: "Dawn found no WebGPU adapter (no usable Vulkan, Metal or D3D12 driver; on Linux install the GPU vendor's Vulkan driver, or Mesa ≥ 23 for testing)" };
  }
  if (typeof seen === 'object' && seen !== null && 'error' in seen) return { ok: false, why: `dawn.node failed to start (${String((seen as { error: unknown }).error)})` };
  return { ok: true, adapter: describeAdapterInfo(seen as AdapterLike) };
}

/** "mesa software, llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)" */
export function adapterName(a: WebgpuAdapterInfo): string {
  const head = [a.vendor, a.architecture].filter((s) => s !== '').join(' ') || 'unknown adapter';
  return a.description ? `${head}, ${a.description}` : a.device ? `${head}, ${a.device}` : head;
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0].trim();
}
