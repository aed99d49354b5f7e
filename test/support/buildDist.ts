// Vitest global setup: the shell-out tests (train-cli, sweep-run, slurm, cli-layer) run the built
// CLI, bin/ldr → dist/. So that they never pass on an old build, dist/ is rebuilt (tsc, once per
// test run) whenever a source file is newer than its output or has none. `npm test` builds first,
// so there this finds nothing to do.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Sources under src/ whose dist/ output is missing or older than them (tsconfig.json counts for all). */
export function staleOutputs(root = ROOT): string[] {
  const config = fs.statSync(path.join(root, 'tsconfig.json')).mtimeMs;
  const src = path.join(root, 'src');
  return sources(src).filter((file) => {
    const out = path.join(root, 'dist', path.relative(src, file)).replace(/\.ts$/, '.js');
    if (!fs.existsSync(out)) return true;
    const built = fs.statSync(out).mtimeMs;
    return built < fs.statSync(file).mtimeMs || built < config;
  });
}

export default function setup(): void {
  const stale = staleOutputs();
  if (stale.length === 0) return;
  process.stdout.write(`building dist/ (${stale.length} stale, e.g. ${path.relative(ROOT, stale[0])})\n`);
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.json')], { cwd: ROOT, stdio: 'inherit' });
}
