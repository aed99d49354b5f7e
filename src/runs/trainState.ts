// What a checkpoint stores: everything that determines the rest of a run, taken after a completed
// epoch. Declared here, in the run-folder layer, because checkpoint.ts writes and reads it; the
// training loop (src/train/loop.ts) produces it and restores from it.
import type { EpochMetrics } from './types';

/** Everything needed to continue the same optimisation: slot tensors by "<slot>/<variable>", and the step count. */
export interface OptimizerState {
  step: number;
  slots: Record<string, Float32Array>;
}

export interface BestWeights {
  epoch: number;
  valAcc: number;
  valLoss: number;
  weights: Record<string, Float32Array>;
}

export interface TrainState {
  /** Epochs completed. */
  epoch: number;
  /** State of the run's training generator (shuffles or dropout masks of the next epoch come from it). */
  rngState: number;
  /** Learning rate of the next epoch (after decay). */
  lr: number;
  optimizer: OptimizerState;
  weights: Record<string, Float32Array>;
  best: BestWeights | null;
  metrics: EpochMetrics[];
  /** Training wall time so far, summed over sessions. */
  seconds: number;
}
