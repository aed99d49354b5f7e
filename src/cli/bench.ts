// `ldr bench layers` and `ldr bench matmul`: how fast the structured layers are, and what the
// wasm matmul fix buys. The backend line always comes first (on stderr with --json, so that
// stdout is JSON lines only).
import * as os from 'os';
import { Option, type Command } from 'commander';
import { addBackendOption, describeBackend, initBackend } from '../backend';
import type { BackendName } from '../config/schema';
import { CLASSES, findClass } from '../structured/registry';
import { UserError } from '../util/errors';
import { parseInteger } from './args';
import { benchLayerPoint, benchPoints, type LayerBenchOptions } from '../bench/layers';
import { benchMatmul } from '../bench/matmul';
import type { TimingOptions } from '../bench/timing';
import { layerHeader, layerLine, matmulHeader, matmulLine } from '../bench/format';
import { benchSpeed, MAX_DENSE_ENTRIES, type SpeedRow } from '../bench/speed';
import { numpyDenseTimes } from '../bench/numpyBaseline';
import { renderSpeedPlot } from '../bench/speedPlot';
import { writeFileAtomic } from '../util/atomic';
import { checkReference, compareMarkdown, COMPARE_POINTS, denseProductRow, joinRows, runReference, timeDenseProduct } from '../bench/compare';
import type { LayerRow } from '../bench/layers';
import { registerBenchWorkers } from './benchWorkers';

export interface Output {
  stdout(s: string): void;
  stderr(s: string): void;
}

const processOutput: Output = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
};

interface CommonOptions {
  backend: BackendName;
  batch: string;
  repeats: string;
  warmup: string;
  seed: string;
  clock: 'wall' | 'cpu';
  json?: boolean;
}

export interface BenchLayersOptions extends CommonOptions {
  matmulFix: boolean;
  n: string;
  rank: string;
  classes?: string;
}

export interface BenchMatmulOptions extends CommonOptions {
  n: string;
}

/** Debian's interpreter (python3-numpy, python3-torch); another python3 on PATH may lack them. */
const DEFAULT_PYTHON = '/usr/bin/python3';

/** Per measurement: stop repeating after this long (at least 3 timed runs are kept). */
const BUDGET_MS = 10_000;

function addCommonOptions(cmd: Command): Command {
  addBackendOption(cmd);
  return cmd
    .option('--batch <b>', 'batch size', '50')
    .option('--repeats <k>', 'timed runs per measurement (median reported)', '7')
    .option('--warmup <w>', 'untimed runs before timing', '2')
    .option('--seed <s>', 'seed for parameters and inputs', '0')
    .addOption(
      new Option('--clock <clock>', 'wall = elapsed time; cpu = process CPU time (leaves out waiting for a core on a busy machine)')
        .choices(['wall', 'cpu'])
        .default('wall'),
    )
    .option('--json', 'one JSON object per line on stdout (the backend line goes to stderr)');
}

export interface BenchSpeedOptions {
  backend: BackendName;
  n: string;
  rank: string;
  batch: string;
  classes?: string;
  repeats: string;
  seed: string;
  json?: boolean;
  plot?: string;
  /** Python for the NumPy baseline (default /usr/bin/python3); false with --no-numpy. */
  numpy?: string | false;
}

export interface BenchCompareOptions extends CommonOptions {
  reference?: string;
  referenceScript?: string;
  python: string;
  n: string;
  minTime: string;
  save?: string;
}

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('Time the structured layers and the backend');
  registerBenchWorkers(bench);
  addCommonOptions(
    bench
      .command('layers')
      .description('Median ms of forward, forward+backward and one SHL SGD step, per class, n and rank')
      .option('--n <list>', 'comma-separated sizes n', '256,784,1024,2048')
      .option('--rank <list>', 'comma-separated displacement ranks', '1,4')
      .option('--classes <list>', 'comma-separated classes (names or aliases); default all')
      .option('--no-matmul-fix', "wasm: keep the backend's own matmul/transpose kernels"),
  ).action(async (opts: BenchLayersOptions) => runBenchLayers(opts, processOutput));
  addCommonOptions(
    bench
      .command('matmul')
      .description('wasm: plain vs transposed products and the unconstrained SHL step, with and without the matmul fix')
      .option('--n <n>', 'size n', '1024'),
  ).action(async (opts: BenchMatmulOptions) => runBenchMatmul(opts, processOutput));
  addCommonOptions(
    bench
      .command('compare')
      .description("The SHL SGD step beside the authors' PyTorch reference, one thread each, in one run: a table of ratios (Markdown, or JSON with --json)")
      .option('--reference <REF_DIR>', 'the pytorch/ folder of HazyResearch/structured-nets (outside this repository)')
      .option('--reference-script <FILE>', "bench_reference.py, which times the reference's layers on CPU")
      .option('--python <exe>', 'Python with torch, numpy and scipy', DEFAULT_PYTHON)
      .option('--n <n>', 'size n', '1024')
      .option('--min-time <s>', 'reference: seconds of timing per measurement', '3')
      .option('--save <prefix>', 'also write PREFIX.json and PREFIX.md'),
  ).action(async (opts: BenchCompareOptions) => runBenchCompare(opts, processOutput));
  addBackendOption(
    bench
      .command('speed')
      .description("P1's speed figure: one structured matrix-vector product vs one dense product (min over repeated runs, single thread)")
      .option('--n <list>', 'comma-separated sizes n', '512,1024,2048,4096,8192,16384,32768')
      .option('--rank <list>', 'comma-separated displacement ranks', '1,2,4,8,16')
      .option('--batch <b>', 'vectors per product', '1')
      .option('--classes <list>', 'comma-separated classes (names or aliases); default all')
      .option('--repeats <k>', 'timed blocks per point (the fastest counts)', '10')
      .option('--seed <s>', 'seed for parameters and inputs', '0')
      .option('--json', 'one JSON object per line on stdout (the backend line goes to stderr)')
      .option('--plot <file.svg>', 'write an SVG plot of speed-up against n')
      .option('--numpy <python>', 'Python whose NumPy (OpenBLAS, one thread) gives the strong dense baseline', DEFAULT_PYTHON)
      .option('--no-numpy', 'leave out the NumPy baseline'),
  ).action(async (opts: BenchSpeedOptions) => runBenchSpeed(opts, processOutput));
}

export async function runBenchSpeed(opts: BenchSpeedOptions, out: Output): Promise<void> {
  const settings = {
    classes: parseClasses(opts.classes),
    ns: parseIntList('--n', opts.n, 2),
    ranks: parseIntList('--rank', opts.rank, 1),
    batch: parseInteger('--batch', opts.batch, 1),
    repeats: parseInteger('--repeats', opts.repeats, 1),
    seed: parseInteger('--seed', opts.seed, 0),
    blockMs: 20,
  };
  const info = await initBackend(opts.backend);
  (opts.json ? out.stderr : out.stdout)(describeBackend(info) + ' — fast products run single-threaded on the CPU (WebAssembly SIMD where available, else JS); dense on this backend\n');
  let numpy: Map<number, number> | null = null;
  if (opts.numpy !== false) {
    const np = numpyDenseTimes(opts.numpy ?? DEFAULT_PYTHON, { ns: settings.ns, batch: settings.batch, repeats: settings.repeats, blockMs: settings.blockMs, maxEntries: MAX_DENSE_ENTRIES });
    if ('unavailable' in np) out.stderr(`NumPy baseline: not available (${np.unavailable})\n`);
    else {
      numpy = np.ms;
      (opts.json ? out.stderr : out.stdout)(`NumPy ${np.version} dense product (OpenBLAS, 1 thread) measured in this run: "vs NumPy" is the speed-up against it\n`);
    }
  }
  if (!opts.json) out.stdout(speedHeader() + '\n');
  const rows = await benchSpeed(settings, (row) => out.stdout((opts.json ? JSON.stringify({ backend: info.name, ...row }) : speedLine(row)) + '\n'), numpy);
  if (opts.plot) {
    writeFileAtomic(opts.plot, renderSpeedPlot(rows, `Speed-up over dense matrix-vector product (batch ${settings.batch}, ${info.name})`));
    out.stderr(`plot written to ${opts.plot}\n`);
  }
}

function speedHeader(): string {
  return `${'class'.padEnd(18)}${'n'.padStart(7)}${'r'.padStart(4)}  ${'path'.padEnd(9)}${'structured ms'.padStart(14)}${'dense ms'.padStart(11)}${'speed-up'.padStart(10)}${'NumPy ms'.padStart(11)}${'vs NumPy'.padStart(10)}  note`;
}

function speedLine(row: SpeedRow): string {
  const ms = (v: number | null) => (v === null ? '—' : v < 0.1 ? v.toFixed(4) : v.toFixed(3));
  return `${row.className.padEnd(18)}${String(row.n).padStart(7)}${(row.rank === null ? '—' : String(row.rank)).padStart(4)}  ${(row.path ?? '—').padEnd(9)}${ms(row.structuredMs).padStart(14)}${ms(row.denseMs).padStart(11)}${(row.speedup === null ? '—' : row.speedup.toFixed(2) + 'x').padStart(10)}${ms(row.numpyDenseMs).padStart(11)}${(row.speedupVsNumpy === null ? '—' : row.speedupVsNumpy.toFixed(2) + 'x').padStart(10)}  ${row.note ?? ''}`;
}

export async function runBenchLayers(opts: BenchLayersOptions, out: Output): Promise<void> {
  const settings: LayerBenchOptions = {
    ...timing(opts),
    classes: parseClasses(opts.classes),
    ns: parseIntList('--n', opts.n, 2),
    ranks: parseIntList('--rank', opts.rank, 1),
    batch: parseInteger('--batch', opts.batch, 1),
    seed: parseInteger('--seed', opts.seed, 0),
  };
  const info = await initBackend(opts.backend, { matmulFix: opts.matmulFix });
  (opts.json ? out.stderr : out.stdout)(describeBackend(info) + '\n');
  if (!opts.json) out.stdout(clockNote(settings.clock) + FLOOR_NOTE + layerHeader() + '\n');
  for (const point of benchPoints(settings)) {
    const row = await benchLayerPoint(point, settings);
    out.stdout((opts.json ? JSON.stringify({ backend: info.name, matmulFix: info.matmulFix, clock: settings.clock, ...row }) : layerLine(row)) + '\n');
  }
}

export async function runBenchCompare(opts: BenchCompareOptions, out: Output): Promise<void> {
  // Arguments and the reference's files are checked before anything is timed.
  const ref = checkReference(opts.reference, opts.referenceScript);
  const n = parseInteger('--n', opts.n, 2);
  const minTime = Number(opts.minTime);
  if (!(minTime > 0)) throw new UserError(`--min-time: expected a positive number of seconds, got "${opts.minTime}"`);
  const settings: LayerBenchOptions = {
    ...timing(opts),
    classes: [...new Set(COMPARE_POINTS.map((p) => p.className))],
    ns: [n],
    ranks: [1, 4],
    batch: parseInteger('--batch', opts.batch, 1),
    seed: parseInteger('--seed', opts.seed, 0),
  };
  const info = await initBackend(opts.backend);
  out.stderr(describeBackend(info) + '\n');
  const ldrRows: LayerRow[] = [];
  for (const p of COMPARE_POINTS) {
    out.stderr(`ldr: ${p.className}${p.rank === null ? '' : ` r=${p.rank}`} …\n`);
    ldrRows.push(await benchLayerPoint({ className: p.className, n, rank: p.rank }, settings));
  }
  out.stderr('dense product: ldr, then NumPy (one thread) …\n');
  const denseLdrMs = await timeDenseProduct(settings.batch, n, settings, settings.seed);
  const numpy = numpyDenseTimes(opts.python, { ns: [n], batch: settings.batch, repeats: 5, blockMs: 20, maxEntries: n * n });
  const dense = denseProductRow(settings.batch, n, denseLdrMs, 'unavailable' in numpy ? numpy : (numpy.ms.get(n) ?? { unavailable: 'no NumPy time' }));
  out.stderr('reference: running bench_reference.py (one thread) …\n');
  const refRows = runReference({ python: opts.python, script: ref.script, refDir: ref.refDir, n, batch: settings.batch, points: COMPARE_POINTS, minTime });
  const rows = joinRows(COMPARE_POINTS, n, ldrRows, refRows);
  const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}`;
  const doc = {
    backend: info.name,
    backendDetail: info.detail,
    clock: settings.clock,
    batch: settings.batch,
    machine,
    date: new Date().toISOString(),
    torch: refRows[0]?.torch ?? null,
    rows,
    denseProduct: dense,
  };
  const heading = `SHL SGD step, n = ${n}, batch ${settings.batch}, median ms, one thread each (ldr: ${info.name}, ${info.detail}; reference: PyTorch ${doc.torch ?? '?'} CPU) on ${machine}, ${doc.date.slice(0, 16)}Z. ratio = ldr / reference.`;
  const md = compareMarkdown(rows, heading, dense);
  out.stdout(opts.json ? JSON.stringify(doc) + '\n' : md);
  if (opts.save) {
    writeFileAtomic(`${opts.save}.json`, JSON.stringify(doc, null, 2) + '\n');
    writeFileAtomic(`${opts.save}.md`, md);
    out.stderr(`written: ${opts.save}.json, ${opts.save}.md\n`);
  }
}

export async function runBenchMatmul(opts: BenchMatmulOptions, out: Output): Promise<void> {
  const n = parseInteger('--n', opts.n, 2);
  const batch = parseInteger('--batch', opts.batch, 1);
  const seed = parseInteger('--seed', opts.seed, 0);
  const settings = timing(opts);
  const info = await initBackend(opts.backend);
  (opts.json ? out.stderr : out.stdout)(describeBackend(info) + '\n');
  if (info.name !== 'wasm') out.stderr(`bench matmul: the fix only exists on wasm; timing ${info.name} as it is\n`);
  if (!opts.json) out.stdout(clockNote(settings.clock) + matmulHeader() + '\n');
  for (const row of await benchMatmul(n, batch, seed, settings)) {
    out.stdout((opts.json ? JSON.stringify({ backend: info.name, clock: settings.clock, n, batch, ...row }) : matmulLine(row)) + '\n');
  }
}

function timing(opts: CommonOptions): TimingOptions & { clock: 'wall' | 'cpu' } {
  return {
    repeats: parseInteger('--repeats', opts.repeats, 1),
    warmup: parseInteger('--warmup', opts.warmup, 0),
    budgetMs: BUDGET_MS,
    clock: opts.clock ?? 'wall',
  };
}

const FLOOR_NOTE =
  "floor: the SHL step's matrix products timed alone as plain products (+ the Krylov-row build on krylov-simd/js, + the layer's forward+backward on transform paths)\n";

function clockNote(clock: 'wall' | 'cpu' | undefined): string {
  return clock === 'cpu' ? 'times: process CPU time (--clock cpu)\n' : '';
}

function parseIntList(flag: string, value: string, min: number): number[] {
  const parts = value.split(',').map((s) => s.trim());
  if (parts.some((p) => p === '')) throw new UserError(`${flag}: expected comma-separated integers ≥ ${min}, got "${value}"`);
  return parts.map((p) => {
    const v = Number(p);
    if (!/^\d+$/.test(p) || v < min) throw new UserError(`${flag}: expected comma-separated integers ≥ ${min}, got "${value}"`);
    return v;
  });
}

function parseClasses(value: string | undefined): string[] {
  if (value === undefined) return CLASSES.map((c) => c.name);
  const names = value.split(',').map((s) => s.trim());
  return names.map((name) => {
    const spec = findClass(name);
    if (!spec) throw new UserError(`--classes: unknown class "${name}"; expected one of: ${CLASSES.map((c) => c.name).join(', ')}`);
    return spec.name;
  });
}
