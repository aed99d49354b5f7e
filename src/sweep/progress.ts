// The sweep's progress line: done / running / failed / left, and an ETA from the mean
// duration of the points this sweep has run.
export interface ProgressCounts {
  total: number;
  done: number;
  running: number;
  /** Claimed by another process (another sweep, another node). */
  elsewhere: number;
  failed: number;
  left: number;
}

export class Progress {
  private done = 0;
  private failed = 0;
  private durations: number[] = [];
  constructor(
    private readonly total: number,
    private readonly jobs: number,
  ) {}

  ended(kind: 'done' | 'failed'): void {
    if (kind === 'done') this.done++;
    else this.failed++;
  }

  took(seconds: number): void {
    this.durations.push(seconds);
  }

  counts(running: number, elsewhere: number): ProgressCounts {
    const left = this.total - this.done - this.failed - running - elsewhere;
    return { total: this.total, done: this.done, running, elsewhere, failed: this.failed, left };
  }

  /** Seconds until the end, or null before any point has ended here. */
  eta(running: number): number | null {
    if (!this.durations.length) return null;
    const mean = this.durations.reduce((a, b) => a + b, 0) / this.durations.length;
    const queued = Math.max(0, this.total - this.done - this.failed - running);
    return (queued * mean) / this.jobs + (running ? mean / 2 : 0);
  }
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function formatProgress(c: ProgressCounts, eta: number | null): string {
  const parts = [`${c.done}/${c.total} done`, `${c.running} running`];
  if (c.elsewhere) parts.push(`${c.elsewhere} running elsewhere`);
  parts.push(`${c.failed} failed`, `${c.left} left`);
  return `sweep: ${parts.join(', ')}${eta !== null && c.done + c.failed < c.total ? ` · ETA ${formatDuration(eta)}` : ''}`;
}
