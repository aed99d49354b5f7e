// What `ldr train` shows while it trains: on a TTY a progress bar per epoch (batches, loss,
// ETA) rewritten in place, then one line per epoch; elsewhere (logs, pipes) only the line.
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
}

const BAR_WIDTH = 24;
const REDRAW_MS = 100;

export function createProgress(stream: NodeJS.WritableStream & { isTTY?: boolean }, opts: ProgressOptions): Progress {
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
      const done = Math.round((BAR_WIDTH * b) / batches);
      // The first batches include warm-up (kernel compilation): no ETA from them.
      const eta = b < 3 ? '--' : `${(((now - t0) / 1000 / b) * (batches - b)).toFixed(0)}s`;
      const bar = '█'.repeat(done) + '░'.repeat(BAR_WIDTH - done);
      stream.write(
        `\r\x1b[2Kepoch ${String(epoch).padStart(width)}/${opts.epochs} ${bar} ${b}/${batches}  loss ${loss.toFixed(4)}  ETA ${eta}`,
      );
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

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

export function formatEpoch(m: EpochMetrics, epochs: number, width = String(epochs).length): string {
  const val = m.valAcc === null || m.valLoss === null ? 'val -' : `val loss ${m.valLoss.toFixed(4)} acc ${pct(m.valAcc)}`;
  return (
    `epoch ${String(m.epoch).padStart(width)}/${epochs}  train loss ${m.trainLoss.toFixed(4)} acc ${pct(m.trainAcc)}  ` +
    `${val}  lr ${Number(m.lr.toPrecision(6))}  ${m.seconds.toFixed(2)}s`
  );
}
