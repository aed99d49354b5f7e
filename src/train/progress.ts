// What `ldr train` shows while it trains (on stderr: stdout is for results): on a TTY a progress
// bar per epoch (batches, loss, ETA) rewritten in place and clipped to the terminal's width (a
// wrapped line cannot be rewritten, and would stack up), then one line per epoch; elsewhere
// (logs, pipes, a sweep's child) only the line.
import type { EpochMetrics } from '../runs/types';

export interface Progress {
  epochStart(epoch: number, batches: number): void;
  batch(batch: number, batches: number, loss: number): void;
  epochEnd(m: EpochMetrics, isBest: boolean): void;
  /** A line of its own (messages between epochs). */
  line(text: string): void;
}

export interface ProgressOptions {
  epochs: number;
  quiet?: boolean;
  /** Defaults to stream.isTTY. */
  tty?: boolean;
  /** Terminal width for the bar; defaults to stream.columns (read at every redraw: it follows resizes). */
  columns?: number;
}

const BAR_WIDTH = 24;
const REDRAW_MS = 100;

export function createProgress(stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }, opts: ProgressOptions): Progress {
  const tty = opts.tty ?? Boolean(stream.isTTY);
  const width = String(opts.epochs).length;
  let epoch = 0;
  let t0 = 0;
  let lastDraw = 0;
  let barShown = false;
  const clearBar = (): void => {
    if (barShown) stream.write('\r\x1b[2K');
    barShown = false;
  };
  return {
    epochStart(e) {
      epoch = e;
      t0 = Date.now();
      lastDraw = 0;
    },
    batch(b, batches, loss) {
      if (opts.quiet || !tty) return;
      const now = Date.now();
      if (now - lastDraw < REDRAW_MS && b < batches) return;
      lastDraw = now;
      // The first batches include warm-up (kernel compilation): no ETA from them.
      const eta = b < 3 ? '--' : `${(((now - t0) / 1000 / b) * (batches - b)).toFixed(0)}s`;
      const head = `epoch ${String(epoch).padStart(width)}/${opts.epochs} `;
      const tail = ` ${b}/${batches}  loss ${loss.toFixed(4)}  ETA ${eta}`;
      stream.write(`\r\x1b[2K${barLine(head, tail, b / batches, opts.columns ?? stream.columns)}`);
      barShown = true;
    },
    epochEnd(m, isBest) {
      if (opts.quiet) return;
      clearBar();
      stream.write(formatEpoch(m, opts.epochs, width) + (isBest ? '  *best' : '') + '\n');
    },
    line(text) {
      if (opts.quiet) return;
      clearBar();
      stream.write(text + '\n');
    },
  };
}

/**
 * `head` + bar + `tail` in at most columns − 1 characters (the last column would wrap on some
 * terminals): the bar shrinks first (to nothing), then the line is cut.
 */
export function barLine(head: string, tail: string, fraction: number, columns?: number): string {
  const room = columns && columns > 0 ? columns - 1 : Infinity;
  const barWidth = Math.max(0, Math.min(BAR_WIDTH, room - head.length - tail.length));
  const done = Math.round(barWidth * Math.min(1, Math.max(0, fraction)));
  const line = head + '█'.repeat(done) + '░'.repeat(barWidth - done) + tail;
  return line.length > room ? line.slice(0, room) : line;
}

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

export function formatEpoch(m: EpochMetrics, epochs: number, width = String(epochs).length): string {
  const val = m.valAcc === null || m.valLoss === null ? 'val -' : `val loss ${m.valLoss.toFixed(4)} acc ${pct(m.valAcc)}`;
  return (
    `epoch ${String(m.epoch).padStart(width)}/${epochs}  train loss ${m.trainLoss.toFixed(4)} acc ${pct(m.trainAcc)}  ` +
    `${val}  lr ${Number(m.lr.toPrecision(6))}  ${m.seconds.toFixed(2)}s`
  );
}
