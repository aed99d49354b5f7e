// The experiment file, as a zod schema: the single source of truth for field names,
// types and defaults. Defaults reproduce the paper's protocol (docs/method.md §5).
// YAML keys are snake_case; unknown keys are errors (a typo must never fall back to a default).
import { z } from 'zod';
import { datasetSchema, type DatasetConfig } from '../data/schema';

// The `dataset:` section is data/'s own (its loaders read it); re-exported for one import site.
export { datasetSchema, type DatasetConfig };

export const MAX_SEED = 2 ** 32 - 1;
/** training.workers: more threads than this is a typo, not a machine. */
export const MAX_WORKERS = 256;

export const BACKENDS = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
/** The backends whose runs can split a batch over threads (training.workers > 1, src/train/parallel.ts). */
export const PARALLEL_BACKENDS: readonly string[] = ['wasm', 'cpu'];
export const DEFAULT_BATCH_SIZE = 50;

export const layerSchema = z
  .object({
    /** Structured class: canonical name or alias (docs/method.md §2). */
    class: z.string(),
    /** Displacement rank r (ignored by classes without one). */
    rank: z.number().int().min(1).default(1),
    /** Add a bias to the structured layer (lstm: the cell's one bias; the structured matrix has none, as the reference). */
    bias: z.boolean().default(true),
    /** toeplitz-like / hankel-like operators: z1 = (Z_1, Z_-1) as in P2, z0 = (Z_0, Z_0) as the reference. */
    operators: z.enum(['z1', 'z0']).default('z1'),
  })
  .strict();

/** The LSTM language model (model.type: lstm; docs/method.md §3, §5). Absent = these defaults. */
export const lstmSchema = z
  .object({
    /** Hidden size h = embedding size; the structured input-to-hidden matrix is 4h×4h. */
    hidden: z.number().int().min(1).max(4096) /* the 4h×4h structured matrix must fit in memory */.default(128),
    /** Dropout after the embedding and after the LSTM (seeded masks). */
    dropout: z.number().min(0).lt(1).default(0.2),
    /** Share the decoder's weights with the embedding. */
    tie_weights: z.boolean().default(false),
    /** Truncated backprop through time: window length in tokens. */
    bptt: z.number().int().min(1).default(35),
    /** Divide the learning rate by this when the validation loss does not improve (1 = never). */
    lr_stall_divisor: z.number().min(1).default(4),
  })
  .strict();

export const modelSchema = z
  .object({
    /** shl and cnn classify images (dataset: an image set); lstm models language (dataset: a corpus). */
    type: z.enum(['shl', 'cnn', 'lstm']).default('shl'),
    layer: layerSchema,
    /** Only for type lstm (optional: absent keeps the run ids of shl/cnn experiments unchanged). */
    lstm: lstmSchema.optional(),
  })
  .strict();

export const optimizerSchema = z
  .object({
    name: z.enum(['sgd', 'adam']).default('sgd'),
    lr: z.number().gt(0).default(0.01),
    /** SGD momentum (ignored by adam). */
    momentum: z.number().min(0).lt(1).default(0.9),
    /** Multiply the learning rate by this after every epoch (1 = constant). */
    lr_decay: z.number().gt(0).lte(1).default(1),
    /** Clip the global gradient norm to this value (null = no clipping). */
    clip: z.number().gt(0).nullable().default(null),
  })
  .strict();

export const trainingSchema = z
  .object({
    batch_size: z.number().int().min(1).max(65536).default(DEFAULT_BATCH_SIZE),
    epochs: z.number().int().min(1).default(20),
    /** Drives initialisation, shuffling and dropout. */
    // The generator takes 32 bits: a larger seed would silently wrap to another seed's numbers.
    seed: z.number().int().min(0).max(MAX_SEED).default(0),
    /** Validate (and checkpoint) every N epochs; the last epoch is always validated. */
    eval_every: z.number().int().min(1).default(1),
    /** Threads that share each batch (data-parallel, shl/cnn on wasm or cpu); `auto`: the cores a sweep's
     *  --jobs leaves free, or all cores for a lone run. 1 = one thread, as ever. Not part of the run id. */
    workers: z.union([z.number().int().min(1).max(MAX_WORKERS), z.literal('auto')]).default(1),
  })
  .strict();

export const experimentSchema = z
  .object({
    /** Experiment name: runs go to `<output>/<name>/<run-id>/`. */
    // Not "." or ".." (they would escape or flatten the output folder), nor hidden (".sweep").
    name: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" or "-"')
      .refine((n) => !n.startsWith('.'), 'a name that does not start with "."'),
    dataset: datasetSchema,
    model: modelSchema,
    optimizer: optimizerSchema.default(optimizerSchema.parse({})),
    training: trainingSchema.default(trainingSchema.parse({})),
    backend: z.enum(BACKENDS).default('auto'),
    /** Root folder for run folders. */
    output: z.string().refine((s) => s.length > 0, 'a folder (not empty)').default('results'),
  })
  .strict();

export type ExperimentConfig = z.infer<typeof experimentSchema>;
export type LayerConfig = z.infer<typeof layerSchema>;
export type LstmConfig = z.infer<typeof lstmSchema>;
export type OptimizerConfig = z.infer<typeof optimizerSchema>;
export type TrainingConfig = z.infer<typeof trainingSchema>;
