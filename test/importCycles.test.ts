// The import graph of src/ has no cycles: not between files, and not between top-level folders.
// This test reads the sources with its own small parser (it imports nothing from src/) and counts
// every import, `import type` included: a type-only cycle is still two modules that cannot be
// read, or moved, one without the other.
//
// The folder rule. A folder may import only from folders of a lower layer (or from itself):
//
//   util         errors, the seeded random generator, atomic files: used everywhere
//   structured   the structured matrices (operators, Krylov products, classes, registry)
//   data         datasets and corpora, and the schema of an experiment's `dataset:` section
//   config       the experiment file: schema, YAML positions, overrides, and the checks that the
//                dataset and class it names exist (so it reads data/'s catalog and the registry)
//   backend      TF.js backends and the kernels patched into them (backend/kernels/)
//   models       SHL, CNN, LSTM built from structured layers
//   runs         the run-folder contract: files, lock, checkpoint (and the state it stores), ids
//   train        the one training loop and its two tasks; fills a run folder through runs/
//   bench        speed measurements of layers and models
//   sweep        many runs
//   report       tables and plots from run folders
//   cli          the command line, on top
//
// This is the data-flow order config → data → structured → models → train → runs → sweep →
// report of the design notes, read as "who may import whom", with two deliberate differences:
// structured/ and data/ need nothing from config/ while config/ checks names against them, so
// they sit below it; and runs/ sits below train/: runs/ is the format of a run folder, read by
// sweep and report too, and knows nothing of how training works, while train/ is the one writer
// that fills a folder (the checkpointed TrainState is declared in runs/trainState.ts).
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(__dirname, '..', 'src');

/** The folder layers, from the bottom (see the rule above). */
const LAYERS: string[][] = [
  ['util'],
  ['structured'],
  ['data'],
  ['config'],
  ['backend'],
  ['models'],
  ['runs'],
  ['train'],
  ['bench'],
  ['sweep'],
  ['report'],
  ['cli'],
];

function listSources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listSources(p));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(p);
  }
  return out.sort();
}

/** The source with comments and the contents of string literals blanked (quotes kept), so
 *  that only real import statements match below. Module specifiers are read back from the
 *  original text at the same offsets. */
function blankCommentsAndStrings(src: string): string {
  const out = src.split('');
  let i = 0;
  const blank = (from: number, to: number): void => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  while (i < src.length) {
    const c = src[i];
    const next = src[i + 1];
    if (c === '/' && next === '/') {
      const end = src.indexOf('\n', i);
      const stop = end < 0 ? src.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? src.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === "'" || c === '"' || c === '`') {
      let k = i + 1;
      while (k < src.length && src[k] !== c) k += src[k] === '\\' ? 2 : 1;
      blank(i + 1, k);
      i = k + 1;
    } else i++;
  }
  return out.join('');
}

/** Relative module specifiers imported by a file: import/export … from, bare import, import(), require(). */
export function importSpecifiers(src: string): string[] {
  const code = blankCommentsAndStrings(src);
  const specs: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^;'"`]*?\bfrom\s*(['"])/g, // import x from '…', export { x } from '…'
    /\bimport\s*(['"])/g, // import '…'
    /\b(?:import|require)\s*\(\s*(['"])/g, // import('…'), require('…')
  ];
  for (const re of patterns) {
    for (const m of code.matchAll(re)) {
      const open = m.index! + m[0].length; // just after the opening quote
      const close = src.indexOf(m[1], open);
      specs.push(src.slice(open, close));
    }
  }
  return specs;
}

function resolveLocal(fromFile: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null; // a package
  const base = path.resolve(path.dirname(fromFile), spec);
  if (path.relative(SRC, base).startsWith('..')) return null; // outside src/ (package.json)
  for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')]) {
    if (candidate.endsWith('.ts') && fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  throw new Error(`${path.relative(SRC, fromFile)}: cannot resolve import '${spec}'`);
}

function fileGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of listSources(SRC)) {
    const deps = new Set<string>();
    for (const spec of importSpecifiers(fs.readFileSync(file, 'utf8'))) {
      const target = resolveLocal(file, spec);
      if (target) deps.add(path.relative(SRC, target));
    }
    graph.set(path.relative(SRC, file), deps);
  }
  return graph;
}

/** Every strongly connected component with more than one node (or a self-loop), as sorted lists. */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)?.has(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

const topFolder = (file: string): string => (file.includes(path.sep) ? file.split(path.sep)[0] : '.');

describe('the import parser', () => {
  it('finds every form of import and ignores comments and strings', () => {
    const src = [
      "import * as a from './a';",
      "import type { B } from '../b';",
      'import {',
      '  c,',
      '  d,',
      "} from './cd';",
      "export { e } from './e';",
      "export * from './f';",
      "import './side-effect';",
      "const g = await import('./g');",
      "const h = require('./h');",
      "import tf from '@tensorflow/tfjs';",
      "// import { no } from './comment';",
      "/* import { no } from './block'; */",
      "const s = \"import { no } from './string'\";",
      "const t = `from './template'`;",
    ].join('\n');
    expect(importSpecifiers(src).sort()).toEqual(['../b', './a', './cd', './e', './f', './g', './h', './side-effect', '@tensorflow/tfjs'].sort());
  });

  it('finds a planted cycle', () => {
    const g = new Map([
      ['a.ts', new Set(['b.ts'])],
      ['b.ts', new Set(['c.ts'])],
      ['c.ts', new Set(['a.ts'])],
      ['d.ts', new Set(['a.ts'])],
    ]);
    expect(cycles(g)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });
});

describe('src/ import graph', () => {
  const graph = fileGraph();

  it('reads a plausible graph', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get(path.join('cli', 'main.ts'))?.size).toBeGreaterThan(3);
  });

  it('has no cycle between files', () => {
    expect(cycles(graph).map((c) => c.join(' → '))).toEqual([]);
  });

  it('has no cycle between top-level folders', () => {
    const folders = new Map<string, Set<string>>();
    for (const [file, deps] of graph) {
      const from = topFolder(file);
      if (!folders.has(from)) folders.set(from, new Set());
      for (const dep of deps) if (topFolder(dep) !== from) folders.get(from)!.add(topFolder(dep));
    }
    expect(cycles(folders).map((c) => c.join(' ↔ '))).toEqual([]);
  });

  it('imports only downwards in the folder layers', () => {
    const layerOf = new Map<string, number>();
    LAYERS.forEach((folders, i) => folders.forEach((f) => layerOf.set(f, i)));
    const unknown = [...new Set([...graph.keys()].map(topFolder))].filter((f) => !layerOf.has(f));
    expect(unknown, 'every top-level folder of src/ has a layer in LAYERS').toEqual([]);
    const upward: string[] = [];
    for (const [file, deps] of graph) {
      for (const dep of deps) {
        const from = topFolder(file);
        const to = topFolder(dep);
        if (from !== to && layerOf.get(to)! >= layerOf.get(from)!) upward.push(`${file} imports ${dep}`);
      }
    }
    expect(upward).toEqual([]);
  });
});
