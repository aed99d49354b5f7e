// Download progress: on a terminal one redrawn line (bar, bytes, rate, ETA); elsewhere (logs,
// CI) a plain line every 10% — or every 30 s when the size is unknown — so logs stay short.
export interface Reporter {
  /** A message line (status, warnings, the observed SHA-256). */
  info(line: string): void;
  /** Bytes of `label` so far; `total` when known. */
  progress(label: string, done: number, total: number | undefined): void;
  /** The transfer of `label` stopped (finished or failed): end the progress line. */
  done(label: string): void;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

function formatDuration(seconds: number): string {
  if (!isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}

interface Transfer {
  started: number;
  firstBytes: number;
  lastDraw: number;
  lastStep: number;
}

export function consoleReporter(stream: NodeJS.WriteStream = process.stderr): Reporter {
  const tty = Boolean(stream.isTTY);
  const transfers = new Map<string, Transfer>();
  let open = false; // a TTY progress line is on screen

  const line = (text: string) => {
    if (open) stream.write('\n');
    open = false;
    stream.write(text + '\n');
  };

  return {
    info: line,
    progress(label, done, total) {
      const now = Date.now();
      let t = transfers.get(label);
      if (!t) {
        t = { started: now, firstBytes: done, lastDraw: 0, lastStep: -1 };
        transfers.set(label, t);
      }
      const elapsed = (now - t.started) / 1000;
      const rate = elapsed > 0 ? (done - t.firstBytes) / elapsed : 0;
      const pct = total ? Math.min(100, (100 * done) / total) : undefined;
      const eta = total && done >= total ? 0 : total && rate > 0 ? (total - done) / rate : Infinity;
      const sizes = `${formatBytes(done)}${total ? ` / ${formatBytes(total)}` : ''}`;
      const speed = `${formatBytes(Math.round(rate))}/s`;
      if (tty) {
        if (now - t.lastDraw < 100 && done !== total) return;
        t.lastDraw = now;
        const width = 24;
        const filled = pct === undefined ? 0 : Math.round((pct / 100) * width);
        const bar = pct === undefined ? '' : `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${pct.toFixed(0).padStart(3)}%  `;
        stream.write(`\r  ${label}  ${bar}${sizes}  ${speed}  ETA ${formatDuration(eta)}\x1b[K`);
        open = true;
        return;
      }
      const step = pct !== undefined ? Math.floor(pct / 10) : Math.floor(elapsed / 30);
      if (step === t.lastStep) return;
      t.lastStep = step;
      line(`  ${label}: ${pct !== undefined ? `${pct.toFixed(0)}%, ` : ''}${sizes}, ${speed}${total ? `, ETA ${formatDuration(eta)}` : ''}`);
    },
    done(label) {
      transfers.delete(label);
      if (open) stream.write('\n');
      open = false;
    },
  };
}

/** Collects lines (tests) or drops them. */
export function silentReporter(lines?: string[]): Reporter {
  return {
    info: (l) => lines?.push(l),
    progress: () => undefined,
    done: () => undefined,
  };
}
