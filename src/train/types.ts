// The shapes the training code shares: what a task (classifier or language model) gives the loop
// (loop.ts), the hooks a caller watches it with, what it returns, and what a run gets and gives.
import type * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig } from '../config/schema';
import type { Dataset } from '../data/types';
import type { RunPaths } from '../runs/folder';
import type { BestWeights, TrainState } from '../runs/trainState';
import type { EpochMetrics, RunStatus, RunSummary } from '../runs/types';
import type { Rng } from '../util/random';
import type { Progress } from './progress';

export type { BestWeights, OptimizerState, TrainState } from '../runs/trainState';

/** Mean loss and accuracy of the model on a split (the LM: next-word accuracy). */
export interface Evaluation {
  loss: number;
  acc: number;
}

/** One epoch's batches, in training order; `count` is known before the first one is drawn. */
export interface EpochBatches<Batch> {
  count: number;
  batches: Iterable<Batch>;
}

/** What the model computes on a batch inside the gradient tape: the loss to minimise, and the
 *  logits and labels whose arg-max agreement is the batch's accuracy. */
export interface BatchForward {
  loss: tf.Scalar;
  logits: tf.Tensor2D;
  labels: tf.Tensor1D;
}

/**
 * What differs between the classifier and the language model. The loop (loop.ts) owns the rest:
 * resume, epochs, the optimizer step, divergence, snapshots, best weights, the final test.
 */
export interface TrainTask<Batch> {
  /** The model's trainable tensors by stable name (the optimizer's and the checkpoint's keys). */
  variables(): Record<string, tf.Variable>;
  /** Starts an epoch: its batches, drawing any randomness (shuffle, dropout masks) from `rng`. */
  epoch(epoch: number, rng: Rng): EpochBatches<Batch>;
  /** Forward pass and loss of one batch (called inside tf.variableGrads). */
  forward(batch: Batch): BatchForward;
  /** How much a batch counts in the epoch's mean loss and accuracy (examples, or tokens). */
  weight(batch: Batch): number;
  /** What a batch is called in messages ("batch"; the LM: "window"). */
  batchName: string;
  /** After each step (the LM carries its hidden state to the next window here). */
  afterStep?(batch: Batch): void;
  /** After the last step of an epoch, or the step that diverged. */
  endEpoch?(): void;
  /** Loss and accuracy of the current weights on the validation or the test split. */
  evaluate(split: 'val' | 'test', onChunk?: () => void): Promise<Evaluation>;
  /** Whether a validation result beats the best so far (higher accuracy; the LM: lower loss). */
  improves(val: Evaluation, best: BestWeights): boolean;
  /** The next epoch's learning rate from this epoch's (`val` null on epochs without validation). */
  nextLr(lr: number, val: Evaluation | null, improved: boolean): number;
  /** Extra per-epoch fields (the LM's perplexities and speed), appended after the common ones. */
  extraMetrics?(m: EpochMetrics, weight: number, trainSeconds: number): Partial<EpochMetrics>;
}

export interface TrainHooks {
  onEpochStart?(epoch: number, batches: number): void;
  /** After each batch with its loss; may throw to abort (tests use this to simulate a crash). */
  onBatch?(epoch: number, batch: number, batches: number, loss: number): void;
  /** After each epoch; `snapshot()` copies the state to host memory (for the checkpoint). */
  onEpochEnd?(metrics: EpochMetrics, snapshot: () => TrainState): void | Promise<void>;
  /** During validation and test evaluation, after each chunk of examples. */
  onEvalChunk?(): void;
}

export interface TrainResult {
  status: RunStatus;
  /** Why a diverged run stopped. */
  message?: string;
  metrics: EpochMetrics[];
  bestEpoch: number | null;
  bestValAcc: number | null;
  bestValLoss: number | null;
  /** Of the best-validation weights on the test split (null if no epoch was validated). */
  testAcc: number | null;
  testLoss: number | null;
  seconds: number;
}

export interface RunOptions {
  /** The dataset of cfg.dataset; called only when there is something to train (not for lstm). */
  loadData: () => Dataset | Promise<Dataset>;
  /** The backend actually in use (after initialisation). */
  backend: { name: string; reason: string };
  /** Retrain from scratch even if the run ended or has a checkpoint. */
  force?: boolean;
  progress?: Progress;
  /** Extra trainer hooks (tests inject a crash with onBatch). */
  hooks?: TrainHooks;
}

export interface RunOutcome {
  /** 'done-before': the run had ended already and nothing was trained. */
  kind: 'done-before' | 'trained';
  paths: RunPaths;
  summary: RunSummary;
  /** Epoch the run resumed after (null for a fresh start). */
  resumedFrom: number | null;
}

/** An experiment of one model type, run into its folder (classifierRun.ts, lmRun.ts). */
export type RunExperiment = (cfg: ExperimentConfig, opts: RunOptions) => Promise<RunOutcome>;
