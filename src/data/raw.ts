// A dataset as its source files hold it: every training example (validation not yet held out),
// every test example, pixels as Float32 in the source's scale, not padded, not standardised.
import type { Split } from './types';

export interface RawDataset {
  name: string;
  /** Features per example before padding (h × w × c). */
  features: number;
  train: Split;
  test: Split;
}

/** A growable Float32 + Int32 buffer for sources whose row count is known only at the end (.amat). */
export class SplitBuilder {
  private x: Float32Array;
  private y: Int32Array;
  count = 0;

  constructor(
    readonly features: number,
    capacity = 1024,
  ) {
    this.x = new Float32Array(Math.max(1, capacity) * features);
    this.y = new Int32Array(Math.max(1, capacity));
  }

  /** Appends a row labelled `label` and returns its features to fill (valid until the next push). */
  push(label: number): Float32Array {
    if (this.count === this.y.length) this.grow();
    this.y[this.count] = label;
    const row = this.x.subarray(this.count * this.features, (this.count + 1) * this.features);
    this.count++;
    return row;
  }

  private grow(): void {
    const x = new Float32Array(this.x.length * 2);
    x.set(this.x);
    const y = new Int32Array(this.y.length * 2);
    y.set(this.y);
    this.x = x;
    this.y = y;
  }

  /** The rows [start, end) as a Split that owns its memory. */
  split(start = 0, end = this.count): Split {
    return {
      x: this.x.slice(start * this.features, end * this.features),
      y: this.y.slice(start, end),
      count: end - start,
    };
  }
}
