// What every dataset loader returns: ready-to-train Float32 features (standardised with the
// training split's per-feature mean and std) and Int32 labels.

export interface Split {
  /** Row-major [count × features]. */
  x: Float32Array;
  /** [count] class indices in 0..classes-1. */
  y: Int32Array;
  count: number;
}

export interface Dataset {
  /** Canonical dataset name (catalog.ts). */
  name: string;
  /** Input size n (784, or 1024 when padded to 32×32). */
  features: number;
  classes: number;
  /** [height, width, channels] of one example (the CNN reshapes rows with it). */
  imageShape: [number, number, number];
  /** The training split after the validation hold-out (and train_frac). */
  train: Split;
  /** Held out from the training set (val_frac), split with a fixed seed independent of the training seed. */
  val: Split;
  test: Split;
}
