// The run folder contract: `<output>/<experiment>/<run-id>/`. Written by `ldr train`
// (src/runs, src/train); read by `ldr sweep` and `ldr report`. Every file is written atomically.
//
//   config.yaml     the resolved experiment (all defaults filled in)
//   env.json        RunEnv
//   metrics.jsonl   one EpochMetrics per line
//   summary.json    RunSummary (present only once the run has ended: completed or diverged)
//   checkpoint/     weights, optimizer state, epoch, PRNG state (resume)
//   lock            claim of a live process (see lock.ts); absent when nobody runs it

export const RUN_STATUSES = ['completed', 'diverged'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export interface RunEnv {
  backend: string;
  backendReason: string;
  /** The GPU the run computed on (WebGPU adapter or CUDA device); absent on the CPU. */
  gpu?: { api: 'webgpu' | 'cuda'; description?: string; name?: string; driver: string | null; [k: string]: unknown };
  /** e.g. tfjs-node-gpu fell back to the CPU. */
  backendWarning?: string;
  tfjsVersion: string;
  nodeVersion: string;
  ldrVersion: string;
  gitCommit: string | null;
  host: string;
  platform: string;
  startedAt: string;
  /** How the structured layer computes at the training batch (src/structured/computePath.ts), e.g. krylov-simd. */
  computePath?: string;
  /** Threads that computed each step (training.workers, resolved; 1 = one thread). */
  workers?: number;
  /** The command line of the process that started the run (after `node bin/ldr`). */
  argv?: string[];
  /** Its working directory (argv's relative paths are relative to it). */
  cwd?: string;
  /** Its `--set key=value` overrides, in order. */
  overrides?: string[];
  /** When a sweep launched the run: the sweep's command line and overrides. */
  sweep?: { argv: string[]; overrides: string[] };
  /** Uncommitted changes in ldr's own git checkout (null outside one). */
  gitDirty?: boolean | null;
  /** The Slurm job that started the run, when it ran inside one (absent otherwise). */
  slurm?: SlurmJob;
}

/** A Slurm job (or job-array task), from the SLURM_* variables of its environment. */
export interface SlurmJob {
  jobId: string;
  arrayJobId?: string;
  arrayTaskId?: string;
}

export interface EpochMetrics {
  epoch: number;
  trainLoss: number;
  trainAcc: number;
  /** null on epochs without validation (eval_every > 1). */
  valLoss: number | null;
  valAcc: number | null;
  lr: number;
  seconds: number;
  /** Global step: optimizer steps (batches) taken up to the end of this epoch. */
  step?: number;
  /** When the epoch ended (ISO 8601, UTC). */
  time?: string;
  /** Language-model runs only (model.type lstm): exp(trainLoss), exp(valLoss), training tokens per second. */
  trainPpl?: number;
  valPpl?: number | null;
  tokensPerSecond?: number;
  /** Memory at the epoch's end: resident set (MB) and live TF.js tensors; flat over a healthy run. */
  rssMB?: number;
  tensors?: number;
}

export interface RunSummary {
  status: RunStatus;
  /** For diverged runs: what happened (e.g. "loss became NaN at epoch 3, batch 17"). */
  message?: string;
  experiment: string;
  runId: string;
  dataset: string;
  modelType: string;
  className: string;
  /** null for classes without a displacement rank. */
  rank: number | null;
  /** toeplitz-like / hankel-like only: the fixed operators, z1 = (Z₁, Z₋₁), z0 = (Z₀, Z₀) (absent in older runs = z1). */
  operators?: 'z1' | 'z0';
  /** dataset.train_frac of the run (absent in older runs). */
  trainFrac?: number;
  /** Image classifiers: training examples actually used (after the validation hold-out and train_frac; absent in older runs). */
  trainExamples?: number;
  lr: number;
  seed: number;
  epochs: number;
  bestEpoch: number | null;
  bestValAcc: number | null;
  /** Test accuracy of the best-validation checkpoint (null if diverged before any validation). */
  testAcc: number | null;
  testLoss: number | null;
  params: { structured: number; total: number };
  /** Parameters of the unconstrained layer of the same shape, for the compression ratio. */
  unconstrainedParams: number;
  /** How the structured layer computed at the training batch (src/structured/computePath.ts). */
  computePath?: string;
  wallSeconds: number;
  backend: string;
  /** Peak resident set size of the process that ran it (MB; process.resourceUsage().maxRSS). */
  peakRssMB?: number;
  /** Threads that computed each step (training.workers, resolved); the last session's, on a resumed run. */
  workers?: number;
  /**
   * Language-model runs only (model.type lstm), where accuracies are next-word accuracies and the
   * reported number is test perplexity exp(testLoss) of the best-validation weights (lower is better).
   */
  lm?: { testPpl: number | null; bestValPpl: number | null; vocabSize: number; hidden: number; tokensPerSecond: number | null };
}
