// The experiment file, as a zod schema: the single source of truth for field names,
// types and defaults. Defaults reproduce the paper's protocol (docs/method.md §5).
// YAML keys are snake_case; unknown keys are errors (a typo must never fall back to a default).
import { z } from 'zod';

export const BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export const datasetSchema = z
  .object({
    /** Built-in (`digits-bg-rot`, `digits-noise`) or one of the paper's (`mnist-bg-rot`, `mnist-noise`, `cifar10`, `norb`, `rectangles`); for lstm a corpus (`tiny-grammar` built in, `ptb`, `wikitext-2`). */
    name: z.string(),
    /** Folder holding the paper's source files (`<path>/<name>/…`) and the parsed cache (`<path>/.cache/<name>/`). */
    path: z.string().default('datasets'),
    /** Zero-pad 28×28 images to 32×32 (n = 1024). */
    pad32: z.boolean().default(false),
    /** Fraction of the training set held out for validation. */
    val_frac: z.number().gt(0).lt(1).default(0.15),
    /** Use only this fraction of the training set (quick experiments); 1 = all. */
    train_frac: z.number().gt(0).lte(1).default(1),
  })
  .strict();

export const layerSchema = z
  .object({
    /** Structured class: canonical name or alias (docs/method.md §2). */
    class: z.string(),
    /** Displacement rank r (ignored by classes without one). */
    rank: z.number().int().min(1).default(1),
    /** Add a bias to the structured layer. */
    bias: z.boolean().default(true),
    /** toeplitz-like / hankel-like operators: z1 = (Z_1, Z_-1) as in P2, z0 = (Z_0, Z_0) as the reference. */
    operators: z.enum(['z1', 'z0']).default('z1'),
  })
  .strict();

/** The LSTM language model (model.type: lstm; docs/method.md §3, §5). Absent = these defaults. */
export const lstmSchema = z
  .object({
    /** Hidden size h = embedding size; the structured input-to-hidden matrix is 4h×4h. */
    hidden: z.number().int().min(1).default(128),
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
    batch_size: z.number().int().min(1).default(50),
    epochs: z.number().int().min(1).default(20),
    /** Drives initialisation, shuffling and dropout. */
    seed: z.number().int().min(0).default(0),
    /** Validate (and checkpoint) every N epochs; the last epoch is always validated. */
    eval_every: z.number().int().min(1).default(1),
  })
  .strict();

export const experimentSchema = z
  .object({
    /** Experiment name: runs go to `<output>/<name>/<run-id>/`. */
    name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" or "-"'),
    dataset: datasetSchema,
    model: modelSchema,
    optimizer: optimizerSchema.default(optimizerSchema.parse({})),
    training: trainingSchema.default(trainingSchema.parse({})),
    backend: z.enum(BACKENDS).default('auto'),
    /** Root folder for run folders. */
    output: z.string().default('results'),
  })
  .strict();

export type ExperimentConfig = z.infer<typeof experimentSchema>;
export type DatasetConfig = z.infer<typeof datasetSchema>;
export type LayerConfig = z.infer<typeof layerSchema>;
export type LstmConfig = z.infer<typeof lstmSchema>;
export type OptimizerConfig = z.infer<typeof optimizerSchema>;
export type TrainingConfig = z.infer<typeof trainingSchema>;
