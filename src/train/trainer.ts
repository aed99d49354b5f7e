// The epoch loop of docs/method.md §5: seeded shuffle, minibatch SGD with momentum (or Adam),
// validation every `eval_every` epochs (and at the last), keep the best-validation weights,
// and at the end the test accuracy of those weights. Knows nothing about files: the caller
// saves `snapshot()` at each epoch end and passes it back as `resume` to continue exactly.
import * as tf from '@tensorflow/tfjs';
import type { OptimizerConfig, TrainingConfig } from '../config/schema';
import type { Dataset } from '../data/types';
import type { EpochMetrics, RunStatus } from '../runs/types';
import { Rng } from '../util/random';
import { correctCount, crossEntropy, evaluate, type TrainableModel } from './evaluate';
import { createOptimizer, type OptimizerState } from './optimizer';

/** Everything that determines the rest of a run, taken after a completed epoch. */
export interface TrainState {
  /** Epochs completed. */
  epoch: number;
  /** State of the shuffling generator (the next epoch's permutation comes from it). */
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

export interface BestWeights {
  epoch: number;
  valAcc: number;
  valLoss: number;
  weights: Record<string, Float32Array>;
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

export interface TrainOptions {
  model: TrainableModel;
  data: Dataset;
  optimizer: OptimizerConfig;
  training: TrainingConfig;
  /** The shuffling generator for a fresh run (see `seedStreams`); ignored when resuming. */
  shuffleRng: Rng;
  resume?: TrainState;
  hooks?: TrainHooks;
}

export interface TrainResult {
  status: RunStatus;
  /** Why a diverged run stopped. */
  message?: string;
  metrics: EpochMetrics[];
  bestEpoch: number | null;
  bestValAcc: number | null;
  testAcc: number | null;
  testLoss: number | null;
  seconds: number;
}

/** The two independent random streams of a run: the model's initialisation and the epoch shuffles. */
export function seedStreams(seed: number): { init: Rng; shuffle: Rng } {
  const root = new Rng(seed);
  return { init: root.fork(), shuffle: root.fork() };
}

export async function train(opts: TrainOptions): Promise<TrainResult> {
  const { model, data, training } = opts;
  const vars = model.variables();
  const names = Object.keys(vars);
  const varList = names.map((n) => vars[n]);
  const optimizer = createOptimizer(opts.optimizer, vars);
  const n = data.features;

  let rng = opts.shuffleRng;
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

  const batches = Math.ceil(data.train.count / training.batch_size);
  const xb = new Float32Array(training.batch_size * n);
  const yb = new Int32Array(training.batch_size);
  let divergedAt: string | null = null;
  let lastYield = Date.now();

  try {
    for (let epoch = startEpoch; epoch <= training.epochs && !divergedAt; epoch++) {
      const t0 = performance.now();
      const perm = rng.permutation(data.train.count);
      const lr = optimizer.lr;
      let lossSum = 0;
      let correct = 0;
      opts.hooks?.onEpochStart?.(epoch, batches);
      for (let b = 0; b < batches; b++) {
        const start = b * training.batch_size;
        const size = Math.min(training.batch_size, data.train.count - start);
        gatherRows(data.train.x, data.train.y, n, perm, start, size, xb, yb);
        const [loss, right] = trainStep(model, optimizer, varList, names, xb, yb, size, n);
        if (!Number.isFinite(loss)) {
          divergedAt = `loss became ${loss} at epoch ${epoch}, batch ${b + 1} of ${batches} (lr ${lr})`;
          break;
        }
        lossSum += loss * size;
        correct += right;
        opts.hooks?.onBatch?.(epoch, b + 1, batches, loss);
        // Let timers (lock heartbeat) and signal handlers run during long epochs.
        if (Date.now() - lastYield > 200) {
          await new Promise((r) => setImmediate(r));
          lastYield = Date.now();
        }
      }
      if (divergedAt) {
        seconds += (performance.now() - t0) / 1000;
        break;
      }

      const validate = epoch % training.eval_every === 0 || epoch === training.epochs;
      const val = validate ? evaluate(model, data.val, n, 1000, opts.hooks?.onEvalChunk) : null;
      if (val && (best === null || val.acc > best.valAcc)) {
        best = { epoch, valAcc: val.acc, valLoss: val.loss, weights: getWeights(vars) };
      }
      optimizer.lr = lr * opts.optimizer.lr_decay;
      const epochSeconds = (performance.now() - t0) / 1000;
      seconds += epochSeconds;
      const m: EpochMetrics = {
        epoch,
        trainLoss: lossSum / data.train.count,
        trainAcc: correct / data.train.count,
        valLoss: val ? val.loss : null,
        valAcc: val ? val.acc : null,
        lr,
        seconds: epochSeconds,
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

    // The reported number: test accuracy of the best-validation weights (docs/method.md §5).
    let test: { loss: number; acc: number } | null = null;
    if (best) {
      setWeights(vars, best.weights);
      test = evaluate(model, data.test, n, 1000, opts.hooks?.onEvalChunk);
    }
    return {
      status: divergedAt ? 'diverged' : 'completed',
      ...(divergedAt ? { message: divergedAt } : {}),
      metrics,
      bestEpoch: best?.epoch ?? null,
      bestValAcc: best?.valAcc ?? null,
      testAcc: test?.acc ?? null,
      testLoss: test?.loss ?? null,
      seconds,
    };
  } finally {
    optimizer.dispose();
  }
}

/** One SGD step on the batch held in xb/yb (first `size` rows); returns [loss, correct] before the step. */
function trainStep(
  model: TrainableModel,
  optimizer: ReturnType<typeof createOptimizer>,
  varList: tf.Variable[],
  names: string[],
  xb: Float32Array,
  yb: Int32Array,
  size: number,
  n: number,
): [number, number] {
  return tf.tidy(() => {
    const x = tf.tensor2d(xb.subarray(0, size * n), [size, n]);
    const y = tf.tensor1d(yb.subarray(0, size), 'int32');
    let logits: tf.Tensor2D | null = null;
    const { value, grads } = tf.variableGrads(() => {
      logits = tf.keep(model.logits(x));
      return crossEntropy(logits, y);
    }, varList);
    const right = correctCount(logits!, y);
    (logits as tf.Tensor2D | null)?.dispose();
    const [loss, correct] = tf.stack([value, right]).dataSync();
    // A non-finite loss stops the run before it poisons the weights.
    if (Number.isFinite(loss)) {
      const byName: Record<string, tf.Tensor> = {};
      names.forEach((name, i) => (byName[name] = grads[varList[i].name]));
      optimizer.step(byName);
    }
    return [loss, correct] as [number, number];
  });
}

/** Copy rows perm[start..start+size) of (x, y) into the batch buffers. */
function gatherRows(
  x: Float32Array,
  y: Int32Array,
  n: number,
  perm: Int32Array,
  start: number,
  size: number,
  xb: Float32Array,
  yb: Int32Array,
): void {
  for (let i = 0; i < size; i++) {
    const row = perm[start + i];
    xb.set(x.subarray(row * n, (row + 1) * n), i * n);
    yb[i] = y[row];
  }
}

/** Host copies of every variable, by name. */
export function getWeights(vars: Record<string, tf.Variable>): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [name, v] of Object.entries(vars)) out[name] = new Float32Array(v.dataSync());
  return out;
}

/** Overwrite every variable from host arrays (names and sizes must match exactly). */
export function setWeights(vars: Record<string, tf.Variable>, weights: Record<string, Float32Array>): void {
  const missing = Object.keys(vars).filter((k) => !(k in weights));
  const extra = Object.keys(weights).filter((k) => !(k in vars));
  if (missing.length || extra.length) {
    throw new Error(`weights do not match the model (missing: ${missing.join(', ') || '-'}; unexpected: ${extra.join(', ') || '-'})`);
  }
  for (const [name, v] of Object.entries(vars)) {
    const w = weights[name];
    if (w.length !== v.size) throw new Error(`weights ${name}: ${w.length} values, expected ${v.size}`);
    tf.tidy(() => v.assign(tf.tensor(w, v.shape)));
  }
}
