// The strong dense baseline for `ldr bench speed`: one dense float32 product in NumPy (Debian's
// python3-numpy, OpenBLAS on one thread), timed the same way as ldr's (fastest block of repeated
// calls). TF.js's dense product on wasm is far from the memory-bandwidth limit, so speed-ups
// against it alone overstate what structure buys; claims are made against this one.
import { spawnSync } from 'child_process';

const SCRIPT = `
import json, sys, time
import numpy as np
ns, batch, repeats, block_ms, max_entries = json.loads(sys.argv[1])
rng = np.random.default_rng(0)
out = {}
for n in ns:
    if n * n > max_entries:
        continue
    w = rng.standard_normal((n, n), dtype=np.float32)
    x = rng.standard_normal((n,) if batch == 1 else (n, batch), dtype=np.float32)
    run = lambda: w @ x
    run()
    inner = 1
    while True:
        t = time.perf_counter()
        for _ in range(inner):
            run()
        ms = (time.perf_counter() - t) * 1e3
        if ms >= block_ms or inner >= 1 << 20:
            break
        inner *= min(16, max(2, int(block_ms / ms) + 1)) if ms > 0 else 16
    best = float('inf')
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(inner):
            run()
        best = min(best, (time.perf_counter() - t) * 1e3 / inner)
    out[str(n)] = best
print(json.dumps({'numpy': np.__version__, 'ms': out}))
`;

export interface NumpyBaseline {
  version: string;
  /** n → ms per dense product (absent where the matrix is too large). */
  ms: Map<number, number>;
}

/** NumPy's dense product times, or the reason there are none. */
export function numpyDenseTimes(
  python: string,
  opts: { ns: number[]; batch: number; repeats: number; blockMs: number; maxEntries: number },
): NumpyBaseline | { unavailable: string } {
  const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const args = ['-c', SCRIPT, JSON.stringify([opts.ns, opts.batch, opts.repeats, opts.blockMs, opts.maxEntries])];
  const res = spawnSync(python, args, { encoding: 'utf8', env, maxBuffer: 1 << 20 });
  if (res.error) return { unavailable: `${python} not found (Debian: apt-get install -y python3-numpy)` };
  if (res.status !== 0) {
    const last = (res.stderr || '').trim().split('\n').slice(-1)[0] ?? '';
    return { unavailable: /No module named 'numpy'/.test(last) ? `numpy is not installed for ${python} (Debian: apt-get install -y python3-numpy)` : `${python} failed: ${last}` };
  }
  const doc = JSON.parse(res.stdout.trim().split('\n').slice(-1)[0]) as { numpy: string; ms: Record<string, number> };
  return { version: doc.numpy, ms: new Map(Object.entries(doc.ms).map(([n, ms]) => [Number(n), ms])) };
}
