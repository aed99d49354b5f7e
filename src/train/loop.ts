// The training loop of every model (docs/method.md §5), read top to bottom: restore a checkpointed state
// or start fresh; each epoch draw the batches (seeded), take one optimizer step per batch, stop at
// the first non-finite loss (status "diverged"), validate every `eval_every` epochs (and at the
// last), keep the best-validation weights, set the next epoch's learning rate, hand a snapshot to
// the caller (who checkpoints it); at the end, the test loss and accuracy of the best weights.
// What is model-specific — batching, the loss, evaluation, the learning-rate rule — comes from a
// TrainTask (classifier.ts, lm.ts). Knows nothing about files: the caller saves `snapshot()` at each
// epoch end and passes it back as `resume` to continue exactly. With `training.workers` > 1 the
// caller passes `parallel` (parallel.ts), which takes each step and validation over several threads;
// everything else — optimizer state, snapshots, best weights, the test — stays here, on one thread.
import * as tf from '@tensorflow/tfjs';
import type { OptimizerConfig, TrainingConfig } from '../config/schema';
import type { EpochMetrics } from '../runs/types';
import { readableOnHost } from '../backend/hostRead';
import { Rng } from '../util/random';
import { correctCount } from './evaluate';
import { createOptimizer, gradsByName, type Optimizer } from './optimizer';
import type { BatchForward, BestWeights, Evaluation, TrainHooks, TrainResult, TrainState, TrainTask } from './types';

export interface LoopOptions<Batch> {
  task: TrainTask<Batch>;
  optimizer: OptimizerConfig;
  training: Pick<TrainingConfig, 'epochs' | 'eval_every'>;
  /** The run's training generator (shuffles, dropout masks) for a fresh run; ignored when resuming. */
  rng: Rng;
  resume?: TrainState;
  hooks?: TrainHooks;
  /** training.workers > 1: the steps run data-parallel (parallel.ts); absent: one thread, as ever. */
  parallel?: ParallelSteps<Batch>;
}

/** Takes the optimizer step of a batch split across worker threads, with the result of `step()`. */
export interface ParallelSteps<Batch> {
  step(optimizer: Optimizer, batch: Batch): Promise<{ loss: number; right: number }>;
  /** A split evaluated over the threads, with exactly the numbers of `task.evaluate(split)`. */
  evaluate(split: 'val' | 'test', onChunk?: () => void): Promise<Evaluation>;
}

export async function trainLoop<Batch>(opts: LoopOptions<Batch>): Promise<TrainResult> {
  const { task, training, hooks } = opts;
  const vars = task.variables();
  const optimizer = createOptimizer(opts.optimizer, vars);

  // Fresh start, or exactly where the checkpoint left off.
  let rng = opts.rng;
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

  const evaluate = (split: 'val' | 'test') => (opts.parallel ?? task).evaluate(split, hooks?.onEvalChunk);
  let divergedAt: string | null = null;
  let lastYield = Date.now();
  try {
    for (let epoch = startEpoch; epoch <= training.epochs && !divergedAt; epoch++) {
      const t0 = performance.now();
      const lr = optimizer.lr;
      const { count, batches } = task.epoch(epoch, rng);
      let lossSum = 0;
      let correct = 0;
      let weightSum = 0;
      hooks?.onEpochStart?.(epoch, count);
      let b = 0;
      for (const batch of batches) {
        b++;
        const { loss, right } = opts.parallel ? await opts.parallel.step(optimizer, batch) : await step(task, optimizer, vars, batch);
        task.afterStep?.(batch);
        if (!Number.isFinite(loss)) {
          divergedAt = `loss became ${loss} at epoch ${epoch}, ${task.batchName} ${b} of ${count} (lr ${lr})`;
          break;
        }
        const weight = task.weight(batch);
        lossSum += loss * weight;
        correct += right;
        weightSum += weight;
        hooks?.onBatch?.(epoch, b, count, loss);
        // Let timers (lock heartbeat) and signal handlers run during long epochs.
        if (Date.now() - lastYield > 200) {
          await new Promise((r) => setImmediate(r));
          lastYield = Date.now();
        }
      }
      task.endEpoch?.();
      const trainSeconds = (performance.now() - t0) / 1000;
      if (divergedAt) {
        seconds += trainSeconds;
        break;
      }

      const validate = epoch % training.eval_every === 0 || epoch === training.epochs;
      const val = validate ? await evaluate('val') : null;
      const improved = val !== null && (best === null || task.improves(val, best));
      if (val && improved) {
        await readableOnHost(Object.values(vars));
        best = { epoch, valAcc: val.acc, valLoss: val.loss, weights: getWeights(vars) };
      }
      optimizer.lr = task.nextLr(lr, val, improved);
      const epochSeconds = (performance.now() - t0) / 1000;
      seconds += epochSeconds;
      const m: EpochMetrics = {
        epoch,
        trainLoss: lossSum / weightSum,
        trainAcc: correct / weightSum,
        valLoss: val ? val.loss : null,
        valAcc: val ? val.acc : null,
        lr,
        seconds: epochSeconds,
        step: epoch * count,
        time: new Date().toISOString(),
        rssMB: Math.round(process.memoryUsage.rss() / 2 ** 20),
        tensors: tf.memory().numTensors,
      };
      Object.assign(m, task.extraMetrics?.(m, weightSum, trainSeconds));
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
      // snapshot() reads synchronously; the webgpu backend needs an asynchronous read first.
      await readableOnHost([...Object.values(vars), ...optimizer.stateTensors()]);
      await hooks?.onEpochEnd?.(m, snapshot);
    }

    // The reported number: test loss and accuracy of the best-validation weights (docs/method.md §5).
    let test: Evaluation | null = null;
    if (best) {
      setWeights(vars, best.weights);
      test = await evaluate('test');
    }
    return {
      status: divergedAt ? 'diverged' : 'completed',
      ...(divergedAt ? { message: divergedAt } : {}),
      metrics,
      bestEpoch: best?.epoch ?? null,
      bestValAcc: best?.valAcc ?? null,
      bestValLoss: best?.valLoss ?? null,
      testAcc: test?.acc ?? null,
      testLoss: test?.loss ?? null,
      seconds,
    };
  } finally {
    optimizer.dispose();
  }
}

/** One optimizer step on a batch; returns its loss and correct count, both from before the step. */
async function step<Batch>(task: TrainTask<Batch>, optimizer: Optimizer, vars: Record<string, tf.Variable>, batch: Batch): Promise<{ loss: number; right: number }> {
  const { stats, grads } = batchGrads(() => task.forward(batch), vars);
  try {
    // Asynchronous: the webgpu backend has no synchronous read in Node (backend/hostRead.ts).
    const [loss, correct] = await stats.data();
    // A non-finite loss stops the run before it poisons the weights.
    if (Number.isFinite(loss)) tf.tidy(() => optimizer.step(grads));
    return { loss, right: correct };
  } finally {
    tf.dispose([stats, ...Object.values(grads)]);
  }
}

/**
 * The gradients of a batch's loss by variable name, and [loss, correct count] as one tensor; the
 * caller disposes both. `scale` multiplies the loss (a worker's slice of a batch: slice/batch rows,
 * so that the slices' gradients sum to the whole batch's); absent, the loss is taken as it is.
 */
export function batchGrads(
  forward: () => BatchForward,
  vars: Record<string, tf.Variable>,
  scale?: number,
): { stats: tf.Tensor1D; grads: Record<string, tf.Tensor> } {
  return tf.tidy(() => {
    let logits: tf.Tensor2D | null = null;
    let labels: tf.Tensor1D | null = null;
    const { value, grads } = tf.variableGrads(() => {
      const out = forward();
      logits = tf.keep(out.logits);
      labels = tf.keep(out.labels);
      return scale === undefined ? out.loss : tf.mul(out.loss, scale);
    }, Object.values(vars));
    const right = correctCount(logits!, labels!);
    // Kept tensors escape every tidy: release them by hand.
    (logits as tf.Tensor2D | null)?.dispose();
    (labels as tf.Tensor1D | null)?.dispose();
    return { stats: tf.stack([value, right]) as tf.Tensor1D, grads: gradsByName(vars, grads) };
  });
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
