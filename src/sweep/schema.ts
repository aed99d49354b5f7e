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

// Messages read "expected <message>, got <value>" (config/issues.ts).
const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()], { error: 'a single value (string, number, boolean or null)' });
const valueList = z.array(z.unknown(), { error: 'a list of values, e.g. [0.01, 0.1]' }).min(1, { error: 'at least one value' });
const fields = (what: string) => ({ error: `a mapping of dotted field names to ${what}` });

export const sweepSchema = z
  .object({
    grid: z.record(z.string(), valueList, fields('lists of values')).default({}),
    zip: z.array(z.record(z.string(), valueList, fields('lists of values')), { error: 'a list of groups' }).default([]),
    exclude: z.array(z.record(z.string(), scalar, fields('values')), { error: 'a list of rules' }).default([]),
  })
  .strict();

export type SweepSpec = z.infer<typeof sweepSchema>;
