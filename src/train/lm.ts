// The language model's part of training (docs/method.md §5, as the reference's word_language_model): the training
// stream cut into B parallel streams, truncated BPTT windows of T tokens, hidden state carried
// across the windows of an epoch (detached: gradients stop at the window) and reset to zero at
// each epoch start; SGD with gradient-norm clipping; lr ÷ `lr_stall_divisor` whenever the
// validation loss does not improve; test perplexity of the best-validation weights at the end.
// Dropout masks come from a seeded Rng (its state is part of the checkpoint). Knows nothing about
// files: the caller saves `snapshot()` each epoch and passes it back as `resume`. The loop itself
// (resume, steps, divergence, best weights) is loop.ts; this file supplies the windows, the loss,
// the state carry and the stall rule.
import * as tf from '@tensorflow/tfjs';
import type { LstmConfig, OptimizerConfig, TrainingConfig } from '../config/schema';
import type { Corpus } from '../data/corpus/load';
import { disposeState, type DropoutMasks, type LstmLanguageModel, type LstmState } from '../models/lstm';
import type { Rng } from '../util/random';
import { correctCount } from './evaluate';
import { sparseCrossEntropy } from './lmLoss';
import { trainLoop } from './loop';
import type { TrainHooks, TrainResult, TrainState, TrainTask } from './types';

/** The reference evaluates validation and test with 10 parallel streams. */
export const EVAL_BATCH = 10;

export interface LmHooks extends TrainHooks {
  /** Before each training window, with the state it starts from (tests check carry and reset). */
  onWindowStart?(epoch: number, window: number, state: LstmState): void;
}

export interface LmTrainOptions {
  model: LstmLanguageModel;
  corpus: Corpus;
  optimizer: OptimizerConfig;
  training: TrainingConfig;
  lstm: LstmConfig;
  /** The dropout-mask generator for a fresh run; ignored when resuming. */
  dropoutRng: Rng;
  resume?: TrainState;
  hooks?: LmHooks;
}

/** B parallel streams, time-major: row i, column b = tokens[b·rows + i] (the tail that does not fit is dropped). */
export function batchify(tokens: Int32Array, batch: number): { data: Int32Array; rows: number } {
  const rows = Math.floor(tokens.length / batch);
  const data = new Int32Array(rows * batch);
  for (let b = 0; b < batch; b++) for (let i = 0; i < rows; i++) data[i * batch + b] = tokens[b * rows + i];
  return { data, rows };
}

/** Start rows of the BPTT windows and their lengths: inputs rows [s, s+len), targets rows [s+1, s+len]. */
export function windows(rows: number, bptt: number): { start: number; len: number }[] {
  const out: { start: number; len: number }[] = [];
  for (let s = 0; s < rows - 1; s += bptt) out.push({ start: s, len: Math.min(bptt, rows - 1 - s) });
  return out;
}

/** Mean loss and next-word accuracy over a whole stream, state carried across windows, no dropout. */
export async function evaluateLm(
  model: LstmLanguageModel,
  tokens: Int32Array,
  bptt: number,
  batch = EVAL_BATCH,
  onChunk?: () => void,
): Promise<{ loss: number; acc: number; tokens: number }> {
  const { data, rows } = batchify(tokens, batch);
  let state = model.zeroState(batch);
  let lossSum = 0;
  let correct = 0;
  let count = 0;
  for (const w of windows(rows, bptt)) {
    const { stats, h, c: cell } = tf.tidy(() => {
      const ids = tf.tensor1d(data.subarray(w.start * batch, (w.start + w.len) * batch), 'int32');
      const targets = tf.tensor1d(data.subarray((w.start + 1) * batch, (w.start + 1 + w.len) * batch), 'int32');
      const out = model.forward(ids, w.len, state);
      return { stats: tf.stack([sparseCrossEntropy(out.logits, targets), correctCount(out.logits, targets)]), h: out.state.h, c: out.state.c };
    });
    const next: LstmState = { h: h as tf.Tensor2D, c: cell as tf.Tensor2D };
    const [l, c] = await stats.data();
    stats.dispose();
    disposeState(state);
    state = next;
    lossSum += l * w.len * batch;
    correct += c;
    count += w.len * batch;
    onChunk?.();
  }
  disposeState(state);
  return { loss: count ? lossSum / count : NaN, acc: count ? correct / count : NaN, tokens: count };
}

/** Inverted-dropout mask [rows, h]: 0 with probability p, else 1/(1−p); drawn from `rng`. */
export function dropoutMask(rng: Rng, rows: number, h: number, p: number): tf.Tensor2D {
  const m = new Float32Array(rows * h);
  const keep = 1 / (1 - p);
  for (let i = 0; i < m.length; i++) m[i] = rng.next() < p ? 0 : keep;
  return tf.tensor2d(m, [rows, h]);
}

export function trainLm(opts: LmTrainOptions): Promise<TrainResult> {
  return trainLoop({
    task: lmTask(opts.model, opts.corpus, opts.training.batch_size, opts.lstm, opts.hooks),
    optimizer: opts.optimizer,
    training: opts.training,
    rng: opts.dropoutRng,
    resume: opts.resume,
    hooks: opts.hooks,
  });
}

/** A BPTT window: input rows [start, start+len) of the batchified stream, and its dropout masks. */
interface Window {
  start: number;
  len: number;
  masks: DropoutMasks;
}

export function lmTask(model: LstmLanguageModel, corpus: Corpus, B: number, lstm: LstmConfig, hooks?: LmHooks): TrainTask<Window> {
  const { data, rows } = batchify(corpus.train, B);
  const wins = windows(rows, lstm.bptt);
  if (wins.length === 0) throw new Error(`the training stream (${corpus.train.length} tokens) is too short for batch size ${B}`);
  // The hidden state carried from window to window (detached), and the one the current step produced.
  let state: LstmState | null = null;
  let next: LstmState | null = null;
  const stream = { val: corpus.valid, test: corpus.test };
  return {
    batchName: 'window',
    variables: () => model.variables(),
    epoch(epoch, rng) {
      // A new epoch starts from a zero state (the reference's init_hidden per epoch).
      state = model.zeroState(B);
      function* steps(): Generator<Window> {
        for (let k = 0; k < wins.length; k++) {
          const w = wins[k];
          hooks?.onWindowStart?.(epoch, k, state!);
          const masks: DropoutMasks =
            lstm.dropout > 0
              ? { input: dropoutMask(rng, w.len * B, model.h, lstm.dropout), output: dropoutMask(rng, w.len * B, model.h, lstm.dropout) }
              : { input: null, output: null };
          yield { ...w, masks };
        }
      }
      return { count: wins.length, batches: steps() };
    },
    forward({ start, len, masks }) {
      const ids = tf.tensor1d(data.subarray(start * B, (start + len) * B), 'int32');
      const targets = tf.tensor1d(data.subarray((start + 1) * B, (start + 1 + len) * B), 'int32');
      const out = model.forward(ids, len, state!, masks);
      // The next window starts from these values; as plain tensors they carry no gradient back.
      next = { h: tf.keep(out.state.h), c: tf.keep(out.state.c) };
      return { loss: sparseCrossEntropy(out.logits, targets), logits: out.logits, labels: targets };
    },
    afterStep({ masks }) {
      masks.input?.dispose();
      masks.output?.dispose();
      disposeState(state!);
      state = next;
      next = null;
    },
    endEpoch() {
      disposeState(state!);
      state = null;
    },
    weight: (w) => w.len * B,
    evaluate: (which, onChunk) => evaluateLm(model, stream[which], lstm.bptt, EVAL_BATCH, onChunk),
    improves: (val, best) => val.loss < best.valLoss,
    // lr ÷ divisor when validation stalled.
    nextLr: (lr, val, improved) => (val && !improved ? lr / lstm.lr_stall_divisor : lr),
    extraMetrics: (m, tokens, trainSeconds) => ({
      trainPpl: Math.exp(m.trainLoss),
      valPpl: m.valLoss === null ? null : Math.exp(m.valLoss),
      tokensPerSecond: tokens / trainSeconds,
    }),
  };
}
