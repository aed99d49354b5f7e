// The language-model loop of docs/method.md §5 (as the reference's word_language_model): the training
// stream cut into B parallel streams, truncated BPTT windows of T tokens, hidden state carried
// across the windows of an epoch (detached: gradients stop at the window) and reset to zero at
// each epoch start; SGD with gradient-norm clipping; lr ÷ `lr_stall_divisor` whenever the
// validation loss does not improve; test perplexity of the best-validation weights at the end.
// Dropout masks come from a seeded Rng (its state is part of the checkpoint). Knows nothing about
// files: the caller saves `snapshot()` each epoch and passes it back as `resume`.
import * as tf from '@tensorflow/tfjs';
import type { LstmConfig, OptimizerConfig, TrainingConfig } from '../config/schema';
import type { Corpus } from '../data/corpus/load';
import { disposeState, type DropoutMasks, type LstmLanguageModel, type LstmState } from '../models/lstm';
import type { EpochMetrics, RunStatus } from '../runs/types';
import { Rng } from '../util/random';
import { correctCount } from './evaluate';
import { sparseCrossEntropy } from './lmLoss';
import { createOptimizer } from './optimizer';
import { getWeights, setWeights, type BestWeights, type TrainHooks, type TrainState } from './trainer';

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

export interface LmResult {
  status: RunStatus;
  message?: string;
  metrics: EpochMetrics[];
  bestEpoch: number | null;
  bestValLoss: number | null;
  testLoss: number | null;
  /** Next-word accuracy of the best-validation weights on the test stream. */
  testAcc: number | null;
  seconds: number;
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
export function evaluateLm(model: LstmLanguageModel, tokens: Int32Array, bptt: number, batch = EVAL_BATCH, onChunk?: () => void): { loss: number; acc: number; tokens: number } {
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
    const [l, c] = stats.dataSync();
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

export async function trainLm(opts: LmTrainOptions): Promise<LmResult> {
  const { model, corpus, training, lstm } = opts;
  const vars = model.variables();
  const names = Object.keys(vars);
  const varList = names.map((n) => vars[n]);
  const optimizer = createOptimizer(opts.optimizer, vars);
  const B = training.batch_size;
  const { data, rows } = batchify(corpus.train, B);
  const wins = windows(rows, lstm.bptt);
  if (wins.length === 0) throw new Error(`the training stream (${corpus.train.length} tokens) is too short for batch size ${B}`);

  let rng = opts.dropoutRng;
  let best: BestWeights | null = null;
  let metrics: EpochMetrics[] = [];
  let seconds = 0;
  let startEpoch = 1;
  if (opts.resume) {
    const s = opts.resume;
    setWeights(vars, s.weights);
    optimizer.setState(s.optimizer);
    optimizer.lr = s.lr;
    rng = Rng.fromState(s.rngState);
    best = s.best;
    metrics = [...s.metrics];
    seconds = s.seconds;
    startEpoch = s.epoch + 1;
  }

  let divergedAt: string | null = null;
  let lastYield = Date.now();
  try {
    for (let epoch = startEpoch; epoch <= training.epochs && !divergedAt; epoch++) {
      const t0 = performance.now();
      const lr = optimizer.lr;
      let lossSum = 0;
      let correct = 0;
      let tokens = 0;
      // A new epoch starts from a zero state (the reference's init_hidden per epoch).
      let state = model.zeroState(B);
      opts.hooks?.onEpochStart?.(epoch, wins.length);
      for (let k = 0; k < wins.length; k++) {
        const w = wins[k];
        opts.hooks?.onWindowStart?.(epoch, k, state);
        const masks: DropoutMasks =
          lstm.dropout > 0
            ? { input: dropoutMask(rng, w.len * B, model.h, lstm.dropout), output: dropoutMask(rng, w.len * B, model.h, lstm.dropout) }
            : { input: null, output: null };
        const { loss, right, next } = trainWindow(model, optimizer, varList, names, data, w, B, state, masks);
        masks.input?.dispose();
        masks.output?.dispose();
        disposeState(state);
        state = next;
        if (!Number.isFinite(loss)) {
          divergedAt = `loss became ${loss} at epoch ${epoch}, window ${k + 1} of ${wins.length} (lr ${lr})`;
          break;
        }
        lossSum += loss * w.len * B;
        correct += right;
        tokens += w.len * B;
        opts.hooks?.onBatch?.(epoch, k + 1, wins.length, loss);
        if (Date.now() - lastYield > 200) {
          await new Promise((r) => setImmediate(r));
          lastYield = Date.now();
        }
      }
      disposeState(state);
      const trainSeconds = (performance.now() - t0) / 1000;
      if (divergedAt) {
        seconds += trainSeconds;
        break;
      }

      const validate = epoch % training.eval_every === 0 || epoch === training.epochs;
      const val = validate ? evaluateLm(model, corpus.valid, lstm.bptt, EVAL_BATCH, opts.hooks?.onEvalChunk) : null;
      if (val) {
        if (best === null || val.loss < best.valLoss) best = { epoch, valAcc: val.acc, valLoss: val.loss, weights: getWeights(vars) };
        else optimizer.lr = lr / lstm.lr_stall_divisor; // validation stalled
      }
      const epochSeconds = (performance.now() - t0) / 1000;
      seconds += epochSeconds;
      const trainLoss = lossSum / tokens;
      const m: EpochMetrics = {
        epoch,
        trainLoss,
        trainAcc: correct / tokens,
        valLoss: val ? val.loss : null,
        valAcc: val ? val.acc : null,
        lr,
        seconds: epochSeconds,
        trainPpl: Math.exp(trainLoss),
        valPpl: val ? Math.exp(val.loss) : null,
        tokensPerSecond: tokens / trainSeconds,
      };
      metrics.push(m);
      const snapshot = (): TrainState => ({
        epoch,
        rngState: rng.state,
        lr: optimizer.lr,
        optimizer: optimizer.getState(),
        weights: getWeights(vars),
        best,
        metrics: [...metrics],
        seconds,
      });
      await opts.hooks?.onEpochEnd?.(m, snapshot);
    }

    // The reported number: test perplexity of the best-validation weights.
    let test: { loss: number; acc: number } | null = null;
    if (best) {
      setWeights(vars, best.weights);
      test = evaluateLm(model, corpus.test, lstm.bptt, EVAL_BATCH, opts.hooks?.onEvalChunk);
    }
    return {
      status: divergedAt ? 'diverged' : 'completed',
      ...(divergedAt ? { message: divergedAt } : {}),
      metrics,
      bestEpoch: best?.epoch ?? null,
      bestValLoss: best?.valLoss ?? null,
      testLoss: test?.loss ?? null,
      testAcc: test?.acc ?? null,
      seconds,
    };
  } finally {
    optimizer.dispose();
  }
}

/** One SGD step on a window; returns the loss and correct count before the step, and the detached next state. */
function trainWindow(
  model: LstmLanguageModel,
  optimizer: ReturnType<typeof createOptimizer>,
  varList: tf.Variable[],
  names: string[],
  data: Int32Array,
  w: { start: number; len: number },
  B: number,
  state: LstmState,
  masks: DropoutMasks,
): { loss: number; right: number; next: LstmState } {
  let next: LstmState | null = null;
  const result = tf.tidy(() => {
    const ids = tf.tensor1d(data.subarray(w.start * B, (w.start + w.len) * B), 'int32');
    const targets = tf.tensor1d(data.subarray((w.start + 1) * B, (w.start + 1 + w.len) * B), 'int32');
    let logits: tf.Tensor2D | null = null;
    const { value, grads } = tf.variableGrads(() => {
      const out = model.forward(ids, w.len, state, masks);
      logits = tf.keep(out.logits);
      // The next window starts from these values; as plain tensors they carry no gradient back.
      next = { h: tf.keep(out.state.h), c: tf.keep(out.state.c) };
      return sparseCrossEntropy(out.logits, targets);
    }, varList);
    const right = correctCount(logits!, targets);
    (logits as tf.Tensor2D | null)?.dispose();
    const [loss, correct] = tf.stack([value, right]).dataSync();
    if (Number.isFinite(loss)) {
      const byName: Record<string, tf.Tensor> = {};
      names.forEach((name, i) => (byName[name] = grads[varList[i].name]));
      optimizer.step(byName);
    }
    return { loss, right: correct };
  });
  return { ...result, next: next! };
}
