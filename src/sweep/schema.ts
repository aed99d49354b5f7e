// The `sweep:` section of a sweep file. It lives beside an ordinary experiment and is
// stripped before the experiment schema sees the file, so plain `ldr train` configs are
// unaffected by it.
//
//   sweep:
//     grid:                     # every combination of these values
//       optimizer.lr: [0.01, 0.05]
//       training.seed: [0, 1, 2]
//     zip:                      # fields that vary together (one axis per group)
//       - model.layer.class: [unconstrained, ldr-td, toeplitz-like]
//         model.layer.rank:  [1, 1, 4]
//     exclude:                  # drop every point matching all fields of a rule
//       - { model.layer.class: low-rank, optimizer.lr: 0.05 }
import { z } from 'zod';

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const valueList = z.array(z.unknown()).min(1, 'expected a non-empty list of values');

export const sweepSchema = z
  .object({
    grid: z.record(z.string(), valueList).default({}),
    zip: z.array(z.record(z.string(), valueList)).default([]),
    exclude: z.array(z.record(z.string(), scalar)).default([]),
  })
  .strict();

export type SweepSpec = z.infer<typeof sweepSchema>;
