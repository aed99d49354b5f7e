// The `dataset:` section of an experiment file (part of config/schema.ts's experiment schema).
// It lives here, with the loaders that read it, so that data/ imports nothing from config/.
import { z } from 'zod';

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

export type DatasetConfig = z.infer<typeof datasetSchema>;
